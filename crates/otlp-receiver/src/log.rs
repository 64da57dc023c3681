//! Log records flattened out of logs exports, with body and attributes as JSON values.

use std::collections::BTreeMap;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use serde_json::Value;

use crate::span::{any_value_to_json, attributes, hex};

/// One log record (an OpenTelemetry event, such as
/// `gen_ai.client.inference.operation.details`) with its resource and scope, flattened
/// out of an export.
///
/// Ids are lower-case hex, `""` when the record was emitted outside a span. The body and
/// the attribute values map to JSON structurally, as span attributes do: strings,
/// integers, doubles, bools; arrays to JSON arrays and key-value lists to JSON objects,
/// nested to any depth; bytes to a hex string.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedLog {
    /// The event name (`""` when the record has none).
    pub event_name: String,
    /// The proto `SeverityNumber`: 0 unspecified, 1-4 trace, 5-8 debug, 9-12 info, 13-16
    /// warn, 17-20 error, 21-24 fatal.
    pub severity_number: i32,
    /// The severity text as the source gave it (`""` when unset).
    pub severity_text: String,
    /// The body, `Value::Null` when the record has none.
    pub body: Value,
    /// Record attributes.
    pub attributes: BTreeMap<String, Value>,
    /// 32 hex digits, or `""`.
    pub trace_id: String,
    /// 16 hex digits, or `""`.
    pub span_id: String,
    /// The flags field (the low 8 bits are the W3C trace flags).
    pub flags: u32,
    /// When the event happened, nanoseconds since the Unix epoch (0 when unknown).
    pub time_unix_nano: u64,
    /// When the SDK saw the record, nanoseconds since the Unix epoch.
    pub observed_time_unix_nano: u64,
    /// Attributes of the resource the record was exported under (`service.name`, ...).
    pub resource: BTreeMap<String, Value>,
    /// The instrumentation scope name.
    pub scope_name: String,
}

impl ReceivedLog {
    /// The attribute `key` as a string, if it is one.
    pub fn str_attr(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).and_then(Value::as_str)
    }
}

/// Appends every log record of `request` to `out`, in document order.
pub(crate) fn flatten_into(request: &ExportLogsServiceRequest, out: &mut Vec<ReceivedLog>) {
    for resource_logs in &request.resource_logs {
        let resource = resource_logs
            .resource
            .as_ref()
            .map(|r| attributes(&r.attributes))
            .unwrap_or_default();
        for scope_logs in &resource_logs.scope_logs {
            let scope_name = scope_logs
                .scope
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_default();
            for record in &scope_logs.log_records {
                out.push(ReceivedLog {
                    event_name: record.event_name.clone(),
                    severity_number: record.severity_number,
                    severity_text: record.severity_text.clone(),
                    body: any_value_to_json(record.body.as_ref()),
                    attributes: attributes(&record.attributes),
                    trace_id: hex(&record.trace_id),
                    span_id: hex(&record.span_id),
                    flags: record.flags,
                    time_unix_nano: record.time_unix_nano,
                    observed_time_unix_nano: record.observed_time_unix_nano,
                    resource: resource.clone(),
                    scope_name: scope_name.clone(),
                });
            }
        }
    }
}

/// How many log records `request` holds.
pub(crate) fn count(request: &ExportLogsServiceRequest) -> usize {
    request
        .resource_logs
        .iter()
        .flat_map(|rl| &rl.scope_logs)
        .map(|sl| sl.log_records.len())
        .sum()
}
