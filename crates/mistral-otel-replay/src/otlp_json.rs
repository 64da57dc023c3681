//! Spans in the OTLP protobuf-JSON mapping, the file format OpenTelemetry tools read.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SpanData;

use crate::ReplayError;

/// One `ExportTraceServiceRequest` holding `spans` under `resource`, as one line of JSON
/// (no trailing newline): hex `traceId`/`spanId`, integer `kind`, attributes as
/// `{"key", "value": {"stringValue" | "intValue" | ...}}`.
pub fn otlp_json_line(spans: &[SpanData], resource: &Resource) -> Result<String, ReplayError> {
    let resource = ResourceAttributesWithSchema::from(resource);
    let request = ExportTraceServiceRequest {
        resource_spans: group_spans_by_resource_and_scope(spans.to_vec(), &resource),
    };
    serde_json::to_string(&request).map_err(ReplayError::Json)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use opentelemetry::trace::{Span as _, SpanKind, Tracer as _, TracerProvider as _};
    use opentelemetry::{Array, KeyValue, Value as OtelValue};
    use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn line_follows_the_otlp_json_mapping() {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let tracer = provider.tracer("scope-under-test");
        tracer
            .span_builder("invoke_agent")
            .with_kind(SpanKind::Client)
            .with_attributes([
                KeyValue::new("s", "text"),
                KeyValue::new("i", 42_i64),
                KeyValue::new("d", 0.5),
                KeyValue::new("b", true),
                KeyValue::new("a", OtelValue::Array(Array::String(vec!["stop".into()]))),
            ])
            .start(&tracer)
            .end();
        let spans = exporter.get_finished_spans().unwrap();
        let resource = Resource::builder_empty().with_service_name("svc").build();

        let line = otlp_json_line(&spans, &resource).unwrap();
        assert!(!line.contains('\n'));
        let json: Value = serde_json::from_str(&line).unwrap();
        let resource_spans = &json["resourceSpans"][0];
        assert_eq!(
            resource_spans["resource"]["attributes"][0],
            json!({"key": "service.name", "value": {"stringValue": "svc"}})
        );
        let scope_spans = &resource_spans["scopeSpans"][0];
        assert_eq!(scope_spans["scope"]["name"], "scope-under-test");
        let span = &scope_spans["spans"][0];
        assert_eq!(span["kind"], 3, "CLIENT is 3 in OTLP");
        assert_eq!(
            span["traceId"].as_str().unwrap(),
            spans[0].span_context.trace_id().to_string()
        );
        assert_eq!(span["spanId"].as_str().unwrap().len(), 16);
        assert_eq!(
            span["attributes"],
            json!([
                {"key": "s", "value": {"stringValue": "text"}},
                {"key": "i", "value": {"intValue": "42"}},
                {"key": "d", "value": {"doubleValue": 0.5}},
                {"key": "b", "value": {"boolValue": true}},
                {"key": "a", "value": {"arrayValue": {"values": [{"stringValue": "stop"}]}}},
            ])
        );
    }
}
