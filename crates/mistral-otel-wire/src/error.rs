//! API error bodies. The live API uses several envelopes (see `mistral-wire.md` section 5);
//! all of them read into one [`ApiError`].

use serde_json::Value;

use crate::guardrail::{GuardrailResult, guardrail_results};
use crate::lenient::{self, Object};

/// What an error body says, whatever its envelope.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApiError {
    /// `type`, e.g. `invalid_request_error`, `rate_limited`.
    pub error_type: Option<String>,
    /// `code`; an integer code becomes its decimal text.
    pub code: Option<String>,
    /// `message`; validation details become `"loc: msg"` lines joined with `"; "`.
    pub message: Option<String>,
    /// `param`
    pub param: Option<String>,
    /// `request_id`
    pub request_id: Option<String>,
    /// What the guardrails found, when a guardrail blocked the request or failed.
    pub guardrails: Vec<GuardrailResult>,
}

/// Read an error body. Handles `{object:"error", message: string | {detail:[…]}, type,
/// param, code: int | string | null}`, the bare `{"detail": […]}` of the OpenAPI spec,
/// `{"message", "request_id"}` and `{"object":"Error", …, "code": 3000}`.
/// `None` when the body is not a JSON object.
///
/// ```
/// let err = mistral_otel_wire::parse_error_body(
///     br#"{"object":"error","message":"Rate limit exceeded","type":"rate_limited","param":null,"code":"1300"}"#,
/// ).unwrap();
/// assert_eq!(err.error_type.as_deref(), Some("rate_limited"));
/// assert_eq!(err.code.as_deref(), Some("1300"));
/// ```
pub fn parse_error_body(body: &[u8]) -> Option<ApiError> {
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
        return None;
    };
    let guardrails = obj
        .get("guardrails")
        .map(guardrail_results)
        .unwrap_or_default();
    // `{"error": {"message": ..., "status": 403}, "guardrails": ...}`: a guardrail's block
    let obj = match obj.get("error") {
        Some(Value::Object(inner)) if !obj.contains_key("message") => inner.clone(),
        _ => obj,
    };
    let message = match obj.get("message") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(inner)) => detail_message(inner).or_else(|| {
            lenient::string(inner, "message")
                .or_else(|| Some(Value::Object(inner.clone()).to_string()))
        }),
        _ => detail_message(&obj),
    };
    Some(ApiError {
        error_type: lenient::string(&obj, "type"),
        code: lenient::code(obj.get("code")),
        message,
        param: match obj.get("param") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
        },
        request_id: lenient::string(&obj, "request_id"),
        guardrails,
    })
}

/// The pydantic `detail` list as `"loc: msg"` items; a string `detail` as is.
fn detail_message(obj: &Object) -> Option<String> {
    match obj.get("detail")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(detail_item).collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        _ => None,
    }
}

fn detail_item(item: &Value) -> Option<String> {
    let obj = item.as_object()?;
    let msg = lenient::string(obj, "msg");
    let loc = match obj.get("loc") {
        Some(Value::Array(parts)) => {
            let parts: Vec<String> = parts
                .iter()
                .filter_map(|p| match p {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect();
            (!parts.is_empty()).then(|| parts.join("."))
        }
        _ => None,
    };
    match (loc, msg) {
        (Some(loc), Some(msg)) => Some(format!("{loc}: {msg}")),
        (None, Some(msg)) => Some(msg),
        (Some(loc), None) => Some(loc),
        (None, None) => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn string_detail_is_the_message() {
        let err = parse_error_body(br#"{"detail":"Not Found"}"#).unwrap();
        assert_eq!(err.message.as_deref(), Some("Not Found"));
    }

    #[test]
    fn non_object_bodies_are_not_error_envelopes() {
        assert_eq!(parse_error_body(b"upstream connect error"), None);
        assert_eq!(parse_error_body(b"[1,2]"), None);
        assert_eq!(parse_error_body(b""), None);
    }
}
