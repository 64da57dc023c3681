//! Errors: HTTP error bodies (every Mistral envelope) and transport failures.

use mistral_otel_wire::{ApiError, parse_error_body};

/// What an error contributes to a span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ErrorFacts {
    /// `error.type`: the Mistral error `type`, or the status code as a string.
    pub(crate) error_type: String,
    /// `mistral_ai.error.code`.
    pub(crate) code: Option<String>,
    /// The `exception` event's message.
    pub(crate) message: String,
    /// What the guardrails found, when the body says.
    pub(crate) guardrails: Vec<mistral_otel_wire::GuardrailResult>,
}

/// An HTTP status >= 400 with its (possibly capped or absent) body.
pub(crate) fn http_error(status: u16, body: Option<&[u8]>) -> ErrorFacts {
    let parsed = body.and_then(parse_error_body);
    let status_text = status.to_string();
    match parsed {
        Some(api) => ErrorFacts::from_api(&api, &status_text, &format!("HTTP {status_text}")),
        None => ErrorFacts {
            error_type: status_text.clone(),
            code: None,
            message: format!("HTTP {status_text}"),
            guardrails: Vec::new(),
        },
    }
}

/// A transport error's message with every URL in it stripped of its userinfo, query and
/// fragment: reqwest puts the full request URL in its messages, and an API key can ride in
/// a query (`?api_key=…`) or in `user:password@`. Nothing else is changed.
///
/// ```ignore
/// assert_eq!(
///     redact_urls("error sending request for url (https://u:p@h/v1/x?key=s)"),
///     "error sending request for url (https://h/v1/x)"
/// );
/// ```
pub(crate) fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(sep) = rest.find("://") {
        let after = sep + 3;
        out.push_str(rest.get(..after).unwrap_or_default());
        let tail = rest.get(after..).unwrap_or_default();
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | '<' | '>' | ']'))
            .unwrap_or(tail.len());
        let url = tail.get(..end).unwrap_or_default();
        let authority_end = url.find(['/', '?', '#']).unwrap_or(url.len());
        let host_start = url
            .get(..authority_end)
            .and_then(|a| a.rfind('@'))
            .map_or(0, |at| at + 1);
        let kept_end = url.find(['?', '#']).unwrap_or(url.len());
        out.push_str(url.get(host_start..kept_end).unwrap_or_default());
        rest = tail.get(end..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

impl ErrorFacts {
    /// A Mistral error object: its `type` as `error.type` (else `fallback_type`), its code,
    /// its message (else `fallback_message`).
    pub(crate) fn from_api(api: &ApiError, fallback_type: &str, fallback_message: &str) -> Self {
        // a guardrail's block (or failed evaluation) says so, whatever `type` says
        let guardrail = super::guardrail::error_type(&api.guardrails, api.code.as_deref());
        Self {
            guardrails: api.guardrails.clone(),
            error_type: guardrail.map(str::to_owned).unwrap_or_else(|| {
                api.error_type
                    .clone()
                    .unwrap_or_else(|| fallback_type.to_owned())
            }),
            code: api.code.clone(),
            message: api
                .message
                .clone()
                .unwrap_or_else(|| fallback_message.to_owned()),
        }
    }

    /// A transport error (the request, or the body after the headers): its kind as
    /// `error.type`, its message with URLs redacted.
    pub(crate) fn transport(err: &(dyn std::error::Error + 'static)) -> Self {
        Self {
            error_type: transport_error_type(err).to_owned(),
            code: None,
            message: redact_urls(&err.to_string()),
            guardrails: Vec::new(),
        }
    }

    /// An error from the rest of the middleware chain.
    pub(crate) fn middleware(err: &reqwest_middleware::Error) -> Self {
        Self {
            error_type: middleware_error_type(err).to_owned(),
            code: None,
            message: redact_urls(&err.to_string()),
            guardrails: Vec::new(),
        }
    }
}

/// `error.type` for a request that failed before a response arrived, or whose body failed.
pub(crate) fn transport_error_type(err: &(dyn std::error::Error + 'static)) -> &'static str {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(r) = e.downcast_ref::<reqwest::Error>() {
            if r.is_timeout() {
                return "timeout";
            }
            if r.is_connect() {
                return "connect";
            }
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return "timeout";
        }
        current = e.source();
    }
    "_OTHER"
}

/// `error.type` for a middleware-chain error.
fn middleware_error_type(err: &reqwest_middleware::Error) -> &'static str {
    match err {
        reqwest_middleware::Error::Reqwest(e) => transport_error_type(e),
        reqwest_middleware::Error::Middleware(e) => transport_error_type(e.as_ref()),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_urls;

    #[test]
    fn urls_lose_userinfo_query_and_fragment_and_nothing_else_changes() {
        assert_eq!(
            redact_urls(
                "error sending request for url (https://u:p@api.mistral.ai/v1/x?api_key=s#f)"
            ),
            "error sending request for url (https://api.mistral.ai/v1/x)"
        );
        assert_eq!(
            redact_urls("a http://h:1/p?k=v b https://x@y c"),
            "a http://h:1/p b https://y c"
        );
        assert_eq!(redact_urls("no url here: a?b=c"), "no url here: a?b=c");
        assert_eq!(redact_urls("trailing ://"), "trailing ://");
        assert_eq!(
            redact_urls("http://h/p@q"),
            "http://h/p@q",
            "an @ in the path is kept"
        );
    }
}
