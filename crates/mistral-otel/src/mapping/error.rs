//! Errors: HTTP error bodies (every Mistral envelope) and transport failures.

use mistral_otel_wire::parse_error_body;

/// What an error contributes to a span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ErrorFacts {
    /// `error.type`: the Mistral error `type`, or the status code as a string.
    pub(crate) error_type: String,
    /// `mistral_ai.error.code`.
    pub(crate) code: Option<String>,
    /// The `exception` event's message.
    pub(crate) message: String,
}

/// An HTTP status >= 400 with its (possibly capped or absent) body.
pub(crate) fn http_error(status: u16, body: Option<&[u8]>) -> ErrorFacts {
    let parsed = body.and_then(parse_error_body);
    let status_text = status.to_string();
    match parsed {
        Some(api) => ErrorFacts {
            error_type: api.error_type.unwrap_or_else(|| status_text.clone()),
            code: api.code,
            message: api.message.unwrap_or_else(|| format!("HTTP {status_text}")),
        },
        None => ErrorFacts {
            error_type: status_text.clone(),
            code: None,
            message: format!("HTTP {status_text}"),
        },
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
pub(crate) fn middleware_error_type(err: &reqwest_middleware::Error) -> &'static str {
    match err {
        reqwest_middleware::Error::Reqwest(e) => transport_error_type(e),
        reqwest_middleware::Error::Middleware(e) => transport_error_type(e.as_ref()),
    }
}
