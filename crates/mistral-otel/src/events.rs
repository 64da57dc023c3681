//! GenAI events as OpenTelemetry log records: the `gen_ai.client.inference.operation.details`
//! event of each conversation turn and completion, emitted through the Logs API when the
//! call ends, in the call span's trace context.
//!
//! The event carries the call's inference attributes (operation, models, response id,
//! finish reasons, usage, conversation id, server, `error.type`) and, when content goes to
//! events ([`ContentCapture::EventOnly`](crate::capture::ContentCapture::EventOnly) or
//! `SpanAndEvent`), the input and output messages, system instructions and tool
//! definitions in structured form (maps and lists, not JSON text), after the redactor and
//! the size cap.

use std::collections::HashMap;
use std::time::SystemTime;

use opentelemetry::logs::{AnyValue, LogRecord, Logger, Severity};
use opentelemetry::trace::SpanContext;
use opentelemetry::{Key, KeyValue, Value};
use serde_json::Value as Json;

/// The event's name.
pub(crate) const DETAILS_EVENT: &str = "gen_ai.client.inference.operation.details";

/// Keys of the call span's attributes that the event repeats.
const EVENT_KEYS: [&str; 17] = [
    crate::semconv::GEN_AI_OPERATION_NAME,
    crate::semconv::GEN_AI_PROVIDER_NAME,
    crate::semconv::GEN_AI_REQUEST_MODEL,
    crate::semconv::GEN_AI_RESPONSE_MODEL,
    crate::semconv::GEN_AI_RESPONSE_ID,
    crate::semconv::GEN_AI_RESPONSE_FINISH_REASONS,
    crate::semconv::GEN_AI_USAGE_INPUT_TOKENS,
    crate::semconv::GEN_AI_USAGE_OUTPUT_TOKENS,
    crate::semconv::GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    crate::semconv::GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
    crate::semconv::GEN_AI_CONVERSATION_ID,
    crate::semconv::GEN_AI_REQUEST_TEMPERATURE,
    crate::semconv::GEN_AI_REQUEST_MAX_TOKENS,
    crate::semconv::GEN_AI_OUTPUT_TYPE,
    crate::semconv::SERVER_ADDRESS,
    crate::semconv::SERVER_PORT,
    crate::semconv::ERROR_TYPE,
];

/// Whether the event repeats the span attribute `key`.
pub(crate) fn is_event_key(key: &str) -> bool {
    EVENT_KEYS.contains(&key)
}

/// One event, ready to emit.
#[derive(Debug, Clone)]
pub(crate) struct GenAiEvent {
    pub(crate) name: &'static str,
    pub(crate) severity: Severity,
    pub(crate) timestamp: SystemTime,
    pub(crate) span: SpanContext,
    pub(crate) attributes: Vec<(Key, AnyValue)>,
}

/// Where events go: a logger of the application's logger provider.
pub(crate) trait EventSink: Send + Sync {
    fn emit(&self, event: GenAiEvent);
}

/// Any OpenTelemetry logger is a sink.
pub(crate) struct LoggerSink<L>(pub(crate) L);

impl<L: Logger + Send + Sync> EventSink for LoggerSink<L> {
    fn emit(&self, event: GenAiEvent) {
        let mut record = self.0.create_log_record();
        record.set_event_name(event.name);
        record.set_severity_number(event.severity);
        record.set_severity_text(event.severity.name());
        record.set_timestamp(event.timestamp);
        record.set_observed_timestamp(SystemTime::now());
        if event.span.is_valid() {
            record.set_trace_context(
                event.span.trace_id(),
                event.span.span_id(),
                Some(event.span.trace_flags()),
            );
        }
        record.add_attributes(event.attributes);
        self.0.emit(record);
    }
}

/// A span attribute's value as a log attribute value.
pub(crate) fn any_value(value: &Value) -> AnyValue {
    match value {
        Value::Bool(b) => AnyValue::Boolean(*b),
        Value::I64(i) => AnyValue::Int(*i),
        Value::F64(f) => AnyValue::Double(*f),
        Value::String(s) => AnyValue::String(s.clone()),
        Value::Array(array) => {
            let items: Vec<AnyValue> = match array {
                opentelemetry::Array::Bool(v) => v.iter().map(|b| AnyValue::Boolean(*b)).collect(),
                opentelemetry::Array::I64(v) => v.iter().map(|i| AnyValue::Int(*i)).collect(),
                opentelemetry::Array::F64(v) => v.iter().map(|f| AnyValue::Double(*f)).collect(),
                opentelemetry::Array::String(v) => {
                    v.iter().map(|s| AnyValue::String(s.clone())).collect()
                }
                _ => Vec::new(),
            };
            AnyValue::ListAny(Box::new(items))
        }
        _ => AnyValue::String(value.as_str().into_owned().into()),
    }
}

/// A JSON value as a structured log attribute value (objects become maps, arrays lists).
pub(crate) fn json_value(value: Json) -> AnyValue {
    match value {
        Json::Null => AnyValue::String("".into()),
        Json::Bool(b) => AnyValue::Boolean(b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => AnyValue::Int(i),
            None => AnyValue::Double(n.as_f64().unwrap_or_default()),
        },
        Json::String(s) => AnyValue::String(s.into()),
        Json::Array(items) => {
            AnyValue::ListAny(Box::new(items.into_iter().map(json_value).collect()))
        }
        Json::Object(map) => AnyValue::Map(Box::new(
            map.into_iter()
                .map(|(k, v)| (Key::from(k), json_value(v)))
                .collect::<HashMap<Key, AnyValue>>(),
        )),
    }
}

/// The span attributes the event repeats, as log attributes.
pub(crate) fn event_attributes(attributes: &[KeyValue]) -> Vec<(Key, AnyValue)> {
    attributes
        .iter()
        .filter(|kv| is_event_key(kv.key.as_str()))
        .map(|kv| (kv.key.clone(), any_value(&kv.value)))
        .collect()
}
