//! Spans flattened out of trace exports, with attributes as JSON values.

use std::collections::BTreeMap;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use serde_json::Value;

/// One span with its resource and scope, flattened out of an export.
///
/// Ids are lower-case hex; attribute values map to JSON (string, integer, double, bool,
/// arrays and key-value lists; bytes as a hex string).
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedSpan {
    /// The span name.
    pub name: String,
    /// The proto `SpanKind`: 1 internal, 2 server, 3 client, 4 producer, 5 consumer.
    pub kind: i32,
    /// 32 hex digits.
    pub trace_id: String,
    /// 16 hex digits.
    pub span_id: String,
    /// 16 hex digits, or `""` for a root span.
    pub parent_span_id: String,
    /// Start time, nanoseconds since the Unix epoch.
    pub start_unix_nano: u64,
    /// End time, nanoseconds since the Unix epoch.
    pub end_unix_nano: u64,
    /// Span attributes.
    pub attributes: BTreeMap<String, Value>,
    /// Events in order: name and attributes.
    pub events: Vec<(String, BTreeMap<String, Value>)>,
    /// Links: (trace id, span id), hex.
    pub links: Vec<(String, String)>,
    /// The proto status code: 0 unset, 1 ok, 2 error.
    pub status_code: i32,
    /// The status description (set with errors only).
    pub status_message: String,
    /// Attributes of the resource the span was exported under (`service.name`, ...).
    pub resource: BTreeMap<String, Value>,
    /// The instrumentation scope name.
    pub scope_name: String,
}

impl ReceivedSpan {
    /// The attribute `key` as a string, if it is one.
    pub fn str_attr(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).and_then(Value::as_str)
    }
}

/// Appends every span of `request` to `out`, in document order.
pub(crate) fn flatten_into(request: &ExportTraceServiceRequest, out: &mut Vec<ReceivedSpan>) {
    for resource_spans in &request.resource_spans {
        let resource = resource_spans
            .resource
            .as_ref()
            .map(|r| attributes(&r.attributes))
            .unwrap_or_default();
        for scope_spans in &resource_spans.scope_spans {
            let scope_name = scope_spans
                .scope
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_default();
            for span in &scope_spans.spans {
                let status = span.status.as_ref();
                out.push(ReceivedSpan {
                    name: span.name.clone(),
                    kind: span.kind,
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent_span_id: hex(&span.parent_span_id),
                    start_unix_nano: span.start_time_unix_nano,
                    end_unix_nano: span.end_time_unix_nano,
                    attributes: attributes(&span.attributes),
                    events: span
                        .events
                        .iter()
                        .map(|e| (e.name.clone(), attributes(&e.attributes)))
                        .collect(),
                    links: span
                        .links
                        .iter()
                        .map(|l| (hex(&l.trace_id), hex(&l.span_id)))
                        .collect(),
                    status_code: status.map(|s| s.code).unwrap_or_default(),
                    status_message: status.map(|s| s.message.clone()).unwrap_or_default(),
                    resource: resource.clone(),
                    scope_name: scope_name.clone(),
                });
            }
        }
    }
}

/// Key-value pairs as a JSON map; a repeated key keeps its last value, as collectors do.
pub(crate) fn attributes(pairs: &[KeyValue]) -> BTreeMap<String, Value> {
    pairs
        .iter()
        .map(|kv| (kv.key.clone(), any_value_to_json(kv.value.as_ref())))
        .collect()
}

pub(crate) fn any_value_to_json(value: Option<&AnyValue>) -> Value {
    use any_value::Value as V;
    match value.and_then(|v| v.value.as_ref()) {
        None => Value::Null,
        Some(V::StringValue(s)) => Value::String(s.clone()),
        Some(V::BoolValue(b)) => Value::Bool(*b),
        Some(V::IntValue(i)) => Value::from(*i),
        // Non-finite doubles have no JSON form.
        Some(V::DoubleValue(d)) => {
            serde_json::Number::from_f64(*d).map_or(Value::Null, Value::Number)
        }
        Some(V::ArrayValue(a)) => Value::Array(
            a.values
                .iter()
                .map(|v| any_value_to_json(Some(v)))
                .collect(),
        ),
        Some(V::KvlistValue(kv)) => Value::Object(attributes(&kv.values).into_iter().collect()),
        Some(V::BytesValue(b)) => Value::String(hex(b)),
        Some(V::StringValueStrindex(_)) => Value::Null,
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing into a String cannot fail.
        let _ = write!(s, "{b:02x}");
    }
    s
}
