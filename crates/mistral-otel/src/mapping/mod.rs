//! Mapping: wire facts (from `mistral-otel-wire`) to span names, attributes and JSON
//! content values. No I/O and no clocks here; the turn recorder owns time and spans.

pub(crate) mod completion;
pub(crate) mod confirmation;
pub(crate) mod error;
pub(crate) mod guardrail;
pub(crate) mod inference;
pub(crate) mod messages;
pub(crate) mod request;
pub(crate) mod resource;
pub(crate) mod response;

use opentelemetry::{Array, KeyValue, StringValue, Value};

/// `KeyValue` for an `i64` that came as `u64`, saturating.
pub(crate) fn kv_u64(key: &'static str, value: u64) -> KeyValue {
    KeyValue::new(key, i64::try_from(value).unwrap_or(i64::MAX))
}

/// A string array attribute.
pub(crate) fn kv_strings(key: &'static str, values: impl IntoIterator<Item = String>) -> KeyValue {
    let values: Vec<StringValue> = values.into_iter().map(StringValue::from).collect();
    KeyValue::new(key, Value::Array(Array::String(values)))
}

/// Status code, correlation id and every `x-ratelimit-*` header of a response.
pub(crate) fn response_headers(status: u16, headers: &http::HeaderMap) -> Vec<KeyValue> {
    let mut attrs = vec![KeyValue::new(
        crate::semconv::HTTP_RESPONSE_STATUS_CODE,
        i64::from(status),
    )];
    for (name, value) in headers {
        let Ok(value) = value.to_str() else { continue };
        let name = name.as_str();
        if name == "mistral-correlation-id" {
            attrs.push(KeyValue::new(
                crate::semconv::MISTRAL_CORRELATION_ID,
                value.to_owned(),
            ));
        } else if let Some(rest) = name.strip_prefix("x-ratelimit-") {
            let key = format!("{}{rest}", crate::semconv::MISTRAL_RATELIMIT_PREFIX);
            match value.parse::<i64>() {
                Ok(n) => attrs.push(KeyValue::new(key, n)),
                Err(_) => attrs.push(KeyValue::new(key, value.to_owned())),
            }
        }
    }
    attrs
}
