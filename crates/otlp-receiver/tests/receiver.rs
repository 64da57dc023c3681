//! The receiver against hand-built OTLP requests over both transports.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{
    Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, metric, number_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, span};
use otlp_receiver::{Behavior, ExportKind, OtlpReceiver, Transport};
use prost::Message;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(5);

fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn resource(service: &str) -> Option<Resource> {
    Some(Resource {
        attributes: vec![kv("service.name", Value::StringValue(service.to_owned()))],
        ..Default::default()
    })
}

fn trace_request(span_names: &[&str]) -> ExportTraceServiceRequest {
    let spans = span_names
        .iter()
        .enumerate()
        .map(|(i, name)| Span {
            trace_id: vec![0xab; 16],
            span_id: vec![u8::try_from(i + 1).unwrap(); 8],
            parent_span_id: if i == 0 { vec![] } else { vec![1; 8] },
            name: (*name).to_owned(),
            kind: span::SpanKind::Client as i32,
            start_time_unix_nano: 1_000,
            end_time_unix_nano: 2_000,
            attributes: vec![
                kv(
                    "gen_ai.request.model",
                    Value::StringValue("mistral-large-latest".into()),
                ),
                kv("gen_ai.usage.input_tokens", Value::IntValue(42)),
                kv("gen_ai.request.temperature", Value::DoubleValue(0.5)),
                kv("gen_ai.request.stream", Value::BoolValue(true)),
                kv(
                    "gen_ai.response.finish_reasons",
                    Value::ArrayValue(ArrayValue {
                        values: vec![AnyValue {
                            value: Some(Value::StringValue("stop".into())),
                        }],
                    }),
                ),
            ],
            events: vec![span::Event {
                name: "exception".into(),
                attributes: vec![kv("exception.type", Value::StringValue("Timeout".into()))],
                ..Default::default()
            }],
            links: vec![span::Link {
                trace_id: vec![0xcd; 16],
                span_id: vec![0xef; 8],
                ..Default::default()
            }],
            status: Some(Status {
                message: "boom".into(),
                code: 2,
            }),
            ..Default::default()
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: resource("receiver-test"),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "mistral-otel".into(),
                    ..Default::default()
                }),
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn metrics_request(metric_name: &str) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: resource("receiver-test"),
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![Metric {
                    name: metric_name.to_owned(),
                    data: Some(metric::Data::Gauge(Gauge {
                        data_points: vec![NumberDataPoint {
                            value: Some(number_data_point::Value::AsInt(7)),
                            ..Default::default()
                        }],
                    })),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn string(s: &str) -> AnyValue {
    AnyValue {
        value: Some(Value::StringValue(s.to_owned())),
    }
}

fn kvlist(pairs: Vec<KeyValue>) -> Value {
    Value::KvlistValue(KeyValueList { values: pairs })
}

fn array(values: Vec<AnyValue>) -> Value {
    Value::ArrayValue(ArrayValue { values })
}

/// One GenAI event per name: structured body and attributes, in span 0x02.. of trace 0xab..;
/// the second and later records have no trace context.
fn logs_request(event_names: &[&str]) -> ExportLogsServiceRequest {
    let records = event_names
        .iter()
        .enumerate()
        .map(|(i, name)| LogRecord {
            time_unix_nano: 1_000,
            observed_time_unix_nano: 1_500,
            severity_number: 9,
            severity_text: "INFO".into(),
            event_name: (*name).to_owned(),
            body: Some(AnyValue {
                value: Some(kvlist(vec![kv(
                    "summary",
                    Value::StringValue("one chat call".into()),
                )])),
            }),
            attributes: vec![
                kv("gen_ai.operation.name", Value::StringValue("chat".into())),
                kv(
                    "gen_ai.input.messages",
                    array(vec![AnyValue {
                        value: Some(kvlist(vec![
                            kv("role", Value::StringValue("user".into())),
                            kv(
                                "parts",
                                array(vec![AnyValue {
                                    value: Some(kvlist(vec![
                                        kv("type", Value::StringValue("text".into())),
                                        kv("content", Value::StringValue("Hi".into())),
                                    ])),
                                }]),
                            ),
                        ])),
                    }]),
                ),
                kv("gen_ai.usage.input_tokens", Value::IntValue(12)),
                kv("mistral_ai.flag", Value::BoolValue(false)),
                kv("raw", Value::BytesValue(vec![0xca, 0xfe])),
                kv("list", array(vec![string("a"), string("b")])),
            ],
            flags: if i == 0 { 1 } else { 0 },
            trace_id: if i == 0 { vec![0xab; 16] } else { vec![] },
            span_id: if i == 0 { vec![2; 8] } else { vec![] },
            ..Default::default()
        })
        .collect();
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource("receiver-test"),
            scope_logs: vec![ScopeLogs {
                scope: Some(InstrumentationScope {
                    name: "mistral-otel".into(),
                    ..Default::default()
                }),
                log_records: records,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

const EVENT: &str = "gen_ai.client.inference.operation.details";

fn metric_names(metrics: &[ResourceMetrics]) -> Vec<String> {
    metrics
        .iter()
        .flat_map(|rm| &rm.scope_metrics)
        .flat_map(|sm| &sm.metrics)
        .map(|m| m.name.clone())
        .collect()
}

async fn post(
    url: String,
    content_type: &str,
    body: Vec<u8>,
) -> Result<reqwest::Response, reqwest::Error> {
    reqwest::Client::new()
        .post(url)
        .header("content-type", content_type)
        .header("authorization", "Bearer sk-test")
        .timeout(WAIT)
        .body(body)
        .send()
        .await
}

#[tokio::test]
async fn grpc_trace_export_is_decoded_with_metadata_and_raw_frame() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let mut client = TraceServiceClient::connect(receiver.grpc_endpoint())
        .await
        .unwrap();
    let mut request = tonic::Request::new(trace_request(&["invoke_agent", "chat"]));
    request
        .metadata_mut()
        .insert("authorization", "Bearer sk-grpc".parse().unwrap());
    client.export(request).await.unwrap();

    let spans = receiver.wait_for_spans(2, WAIT).await;
    assert_eq!(spans.len(), 2);
    let root = &spans[0];
    assert_eq!(root.name, "invoke_agent");
    assert_eq!(root.kind, 3);
    assert_eq!(root.trace_id, "ab".repeat(16));
    assert_eq!(root.span_id, "0101010101010101");
    assert_eq!(root.parent_span_id, "");
    assert_eq!(spans[1].parent_span_id, "0101010101010101");
    assert_eq!((root.start_unix_nano, root.end_unix_nano), (1_000, 2_000));
    assert_eq!(
        root.attributes["gen_ai.request.model"],
        json!("mistral-large-latest")
    );
    assert_eq!(root.attributes["gen_ai.usage.input_tokens"], json!(42));
    assert_eq!(root.attributes["gen_ai.request.temperature"], json!(0.5));
    assert_eq!(root.attributes["gen_ai.request.stream"], json!(true));
    assert_eq!(
        root.attributes["gen_ai.response.finish_reasons"],
        json!(["stop"])
    );
    assert_eq!(root.events[0].0, "exception");
    assert_eq!(root.events[0].1["exception.type"], json!("Timeout"));
    assert_eq!(root.links, vec![("cd".repeat(16), "ef".repeat(8))]);
    assert_eq!(
        (root.status_code, root.status_message.as_str()),
        (2, "boom")
    );
    assert_eq!(root.resource["service.name"], json!("receiver-test"));
    assert_eq!(root.scope_name, "mistral-otel");

    let exports = receiver.exports();
    assert_eq!(exports.len(), 1);
    let export = &exports[0];
    assert_eq!(export.transport, Transport::Grpc);
    assert_eq!(export.kind, ExportKind::Traces);
    assert_eq!(
        export.path,
        "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
    );
    assert_eq!(export.header("authorization"), Some("Bearer sk-grpc"));
    assert!(
        export
            .content_type
            .as_deref()
            .unwrap()
            .starts_with("application/grpc")
    );
    // One uncompressed gRPC frame: flag byte, 4-byte length, then the message itself.
    let message = trace_request(&["invoke_agent", "chat"]).encode_to_vec();
    assert_eq!(export.raw_body[0], 0);
    assert_eq!(&export.raw_body[5..], message.as_slice());
    assert_eq!(receiver.total_bytes(), message.len() + 5);
    receiver.shutdown().await;
}

#[tokio::test]
async fn grpc_metrics_export_is_decoded() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let mut client = MetricsServiceClient::connect(receiver.grpc_endpoint())
        .await
        .unwrap();
    client
        .export(metrics_request("gen_ai.client.token.usage"))
        .await
        .unwrap();

    let arrived = receiver
        .wait_for_metrics(
            |m| metric_names(m).contains(&"gen_ai.client.token.usage".to_owned()),
            WAIT,
        )
        .await;
    assert!(arrived);
    let exports = receiver.exports();
    assert_eq!(
        (exports[0].transport, exports[0].kind),
        (Transport::Grpc, ExportKind::Metrics)
    );
    assert!(receiver.spans().is_empty());
    receiver.shutdown().await;
}

#[tokio::test]
async fn http_protobuf_export_on_prefixed_path_is_decoded_with_headers() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let body = trace_request(&["invoke_agent"]).encode_to_vec();
    let response = post(
        format!("{}/otel/v1/traces", receiver.http_endpoint()),
        "application/x-protobuf",
        body.clone(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-protobuf");

    let spans = receiver.spans();
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].name, "invoke_agent");
    let export = &receiver.exports()[0];
    assert_eq!(export.transport, Transport::Http);
    assert_eq!(export.kind, ExportKind::Traces);
    assert_eq!(export.path, "/otel/v1/traces");
    assert_eq!(export.header("authorization"), Some("Bearer sk-test"));
    assert_eq!(
        export.content_type.as_deref(),
        Some("application/x-protobuf")
    );
    assert_eq!(export.raw_body, body);
    receiver.shutdown().await;
}

#[tokio::test]
async fn http_json_metrics_export_is_decoded() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let body = serde_json::to_vec(&metrics_request("gen_ai.client.operation.duration")).unwrap();
    let response = post(
        format!("{}/v1/metrics", receiver.http_endpoint()),
        "application/json",
        body,
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        metric_names(&receiver.metrics()),
        vec!["gen_ai.client.operation.duration"]
    );
    assert_eq!(receiver.exports()[0].kind, ExportKind::Metrics);
    receiver.shutdown().await;
}

#[tokio::test]
async fn unknown_path_is_404_and_not_recorded() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let response = post(
        format!("{}/v1/profiles", receiver.http_endpoint()),
        "application/x-protobuf",
        Vec::new(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 404);
    assert!(receiver.exports().is_empty());
    receiver.shutdown().await;
}

#[tokio::test]
async fn undecodable_body_is_400_and_its_bytes_are_kept() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let response = post(
        format!("{}/v1/traces", receiver.http_endpoint()),
        "application/json",
        b"not json".to_vec(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(receiver.exports()[0].raw_body, b"not json");
    assert!(receiver.spans().is_empty());
    receiver.shutdown().await;
}

#[tokio::test]
async fn status500_behavior_fails_both_transports_but_records_the_requests() {
    let receiver = OtlpReceiver::start().await.unwrap();
    receiver.set_behavior(Behavior::Status500);

    let response = post(
        format!("{}/v1/traces", receiver.http_endpoint()),
        "application/x-protobuf",
        trace_request(&["http"]).encode_to_vec(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 500);

    let mut client = TraceServiceClient::connect(receiver.grpc_endpoint())
        .await
        .unwrap();
    let status = client.export(trace_request(&["grpc"])).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Internal);

    let names: Vec<String> = receiver.spans().into_iter().map(|s| s.name).collect();
    assert_eq!(names, vec!["http", "grpc"]);

    receiver.set_behavior(Behavior::Normal);
    client.export(trace_request(&["recovered"])).await.unwrap();
    receiver.shutdown().await;
}

#[tokio::test]
async fn hang_behavior_never_answers_until_shutdown() {
    let receiver = OtlpReceiver::start().await.unwrap();
    receiver.set_behavior(Behavior::Hang);
    let url = format!("{}/v1/traces", receiver.http_endpoint());
    let result = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/x-protobuf")
        .timeout(Duration::from_millis(300))
        .body(trace_request(&["held"]).encode_to_vec())
        .send()
        .await;
    assert!(result.unwrap_err().is_timeout());
    assert_eq!(receiver.spans()[0].name, "held");

    // A request still held when the receiver stops must not keep shutdown waiting.
    let url = format!("{}/v1/traces", receiver.http_endpoint());
    let pending = tokio::spawn(post(
        url,
        "application/x-protobuf",
        trace_request(&["held at shutdown"]).encode_to_vec(),
    ));
    receiver.wait_for_spans(2, WAIT).await;
    let started = Instant::now();
    receiver.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(pending.await.unwrap().unwrap().status(), 503);
}

#[tokio::test]
async fn slow_behavior_delays_the_answer() {
    let receiver = OtlpReceiver::start().await.unwrap();
    receiver.set_behavior(Behavior::Slow(Duration::from_millis(300)));
    let started = Instant::now();
    let response = post(
        format!("{}/v1/traces", receiver.http_endpoint()),
        "application/x-protobuf",
        trace_request(&["slow"]).encode_to_vec(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    receiver.shutdown().await;
}

#[tokio::test]
async fn wait_for_spans_returns_what_arrived_at_timeout() {
    let receiver = OtlpReceiver::start().await.unwrap();
    post(
        format!("{}/v1/traces", receiver.http_endpoint()),
        "application/x-protobuf",
        trace_request(&["only one"]).encode_to_vec(),
    )
    .await
    .unwrap();
    let spans = receiver.wait_for_spans(2, Duration::from_millis(200)).await;
    assert_eq!(spans.len(), 1);
    assert!(
        !receiver
            .wait_for_metrics(|m| !m.is_empty(), Duration::from_millis(100))
            .await
    );
    receiver.shutdown().await;
}

#[tokio::test]
async fn wait_for_spans_wakes_on_a_later_arrival() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let url = format!("{}/v1/traces", receiver.http_endpoint());
    let sender = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        post(
            url,
            "application/x-protobuf",
            trace_request(&["late"]).encode_to_vec(),
        )
        .await
    });
    let spans = receiver.wait_for_spans(1, WAIT).await;
    assert_eq!(spans[0].name, "late");
    sender.await.unwrap().unwrap();
    receiver.shutdown().await;
}

#[tokio::test]
async fn clear_forgets_everything_received() {
    let receiver = OtlpReceiver::start().await.unwrap();
    post(
        format!("{}/v1/traces", receiver.http_endpoint()),
        "application/x-protobuf",
        trace_request(&["gone"]).encode_to_vec(),
    )
    .await
    .unwrap();
    assert!(receiver.total_bytes() > 0);
    post(
        format!("{}/v1/logs", receiver.http_endpoint()),
        "application/x-protobuf",
        logs_request(&["gone too"]).encode_to_vec(),
    )
    .await
    .unwrap();
    post(
        format!("{}/v1/metrics", receiver.http_endpoint()),
        "application/x-protobuf",
        metrics_request("gone as well").encode_to_vec(),
    )
    .await
    .unwrap();
    assert_eq!(receiver.logs().len(), 1);
    assert_eq!(receiver.metrics().len(), 1);
    receiver.clear();
    assert!(receiver.exports().is_empty());
    assert!(receiver.spans().is_empty());
    assert!(receiver.logs().is_empty());
    assert!(receiver.metrics().is_empty());
    assert_eq!(receiver.total_bytes(), 0);
    // counting starts again from nothing
    assert!(
        receiver
            .wait_for_logs(1, Duration::from_millis(100))
            .await
            .is_empty()
    );
    receiver.shutdown().await;
}

#[test]
fn start_outside_a_tokio_runtime_is_an_error() {
    let result = block_on_without_runtime(OtlpReceiver::start());
    assert!(matches!(
        result,
        Err(otlp_receiver::ReceiverError::NoTokioRuntime)
    ));
}

/// Polls a future to completion without any runtime (it must not need one to finish).
fn block_on_without_runtime<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

#[tokio::test]
async fn grpc_logs_export_is_decoded_structurally_with_metadata() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let mut client = LogsServiceClient::connect(receiver.grpc_endpoint())
        .await
        .unwrap();
    let mut request = tonic::Request::new(logs_request(&[EVENT, "outside a span"]));
    request
        .metadata_mut()
        .insert("x-tenant", "acme".parse().unwrap());
    client.export(request).await.unwrap();

    let logs = receiver.wait_for_logs(2, WAIT).await;
    assert_eq!(logs.len(), 2);
    let event = &logs[0];
    assert_eq!(event.event_name, EVENT);
    assert_eq!(
        (event.severity_number, event.severity_text.as_str()),
        (9, "INFO")
    );
    assert_eq!(event.body, json!({"summary": "one chat call"}));
    assert_eq!(event.str_attr("gen_ai.operation.name"), Some("chat"));
    assert_eq!(
        event.attributes["gen_ai.input.messages"],
        json!([{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}])
    );
    assert_eq!(event.attributes["gen_ai.usage.input_tokens"], json!(12));
    assert_eq!(event.attributes["mistral_ai.flag"], json!(false));
    assert_eq!(event.attributes["raw"], json!("cafe"));
    assert_eq!(event.attributes["list"], json!(["a", "b"]));
    assert_eq!(event.trace_id, "ab".repeat(16));
    assert_eq!(event.span_id, "0202020202020202");
    assert_eq!(event.flags, 1);
    assert_eq!(
        (event.time_unix_nano, event.observed_time_unix_nano),
        (1_000, 1_500)
    );
    assert_eq!(event.resource["service.name"], json!("receiver-test"));
    assert_eq!(event.scope_name, "mistral-otel");
    // no trace context: empty ids
    assert_eq!(logs[1].event_name, "outside a span");
    assert_eq!(
        (logs[1].trace_id.as_str(), logs[1].span_id.as_str()),
        ("", "")
    );

    let exports = receiver.exports();
    assert_eq!(exports.len(), 1);
    assert_eq!(
        (exports[0].transport, exports[0].kind),
        (Transport::Grpc, ExportKind::Logs)
    );
    assert_eq!(
        exports[0].path,
        "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
    );
    assert_eq!(exports[0].header("x-tenant"), Some("acme"));
    let message = logs_request(&[EVENT, "outside a span"]).encode_to_vec();
    assert_eq!(&exports[0].raw_body[5..], message.as_slice());
    // logs are not spans or metrics, and the other way round
    assert!(receiver.spans().is_empty());
    assert!(receiver.metrics().is_empty());
    client.export(logs_request(&["third"])).await.unwrap();
    assert_eq!(receiver.logs().len(), 3);
    receiver.shutdown().await;
}

#[tokio::test]
async fn http_protobuf_and_json_logs_exports_are_decoded_on_any_prefix() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let body = logs_request(&[EVENT]).encode_to_vec();
    let response = post(
        format!("{}/otel/v1/logs", receiver.http_endpoint()),
        "application/x-protobuf",
        body.clone(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-protobuf");
    let response = post(
        format!("{}/v1/logs", receiver.http_endpoint()),
        "application/json",
        serde_json::to_vec(&logs_request(&["as json"])).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");

    let logs = receiver.logs();
    let names: Vec<&str> = logs.iter().map(|l| l.event_name.as_str()).collect();
    assert_eq!(names, [EVENT, "as json"]);
    for log in &logs {
        assert_eq!(
            log.attributes["gen_ai.input.messages"][0]["parts"][0]["content"],
            json!("Hi")
        );
        assert_eq!(log.trace_id, "ab".repeat(16));
    }
    let exports = receiver.exports();
    assert_eq!(exports[0].kind, ExportKind::Logs);
    assert_eq!(exports[0].transport, Transport::Http);
    assert_eq!(exports[0].path, "/otel/v1/logs");
    assert_eq!(exports[0].header("authorization"), Some("Bearer sk-test"));
    assert_eq!(exports[0].raw_body, body);
    assert_eq!(exports[1].path, "/v1/logs");
    assert!(receiver.spans().is_empty());
    receiver.shutdown().await;
}

#[tokio::test]
async fn undecodable_logs_body_is_400_and_kept_without_records() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let response = post(
        format!("{}/v1/logs", receiver.http_endpoint()),
        "application/x-protobuf",
        vec![0xff, 0xff, 0xff],
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(receiver.exports()[0].kind, ExportKind::Logs);
    assert!(receiver.logs().is_empty());
    receiver.shutdown().await;
}

#[tokio::test]
async fn behaviors_apply_to_logs_over_both_transports() {
    let receiver = OtlpReceiver::start().await.unwrap();
    let url = format!("{}/v1/logs", receiver.http_endpoint());
    let mut client = LogsServiceClient::connect(receiver.grpc_endpoint())
        .await
        .unwrap();

    receiver.set_behavior(Behavior::Status500);
    let response = post(
        url.clone(),
        "application/x-protobuf",
        logs_request(&["http 500"]).encode_to_vec(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 500);
    let status = client
        .export(logs_request(&["grpc 500"]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Internal);

    receiver.set_behavior(Behavior::Hang);
    let held = reqwest::Client::new()
        .post(url.clone())
        .header("content-type", "application/x-protobuf")
        .timeout(Duration::from_millis(300))
        .body(logs_request(&["http held"]).encode_to_vec())
        .send()
        .await;
    assert!(held.unwrap_err().is_timeout());
    let mut held_client = client.clone();
    let held_grpc = tokio::spawn(async move {
        held_client
            .export(logs_request(&["grpc held"]))
            .await
            .map(|_| ())
    });

    // every request is recorded on arrival, whatever the answer
    let names: Vec<String> = receiver
        .wait_for_logs(4, WAIT)
        .await
        .into_iter()
        .map(|l| l.event_name)
        .collect();
    assert_eq!(names, ["http 500", "grpc 500", "http held", "grpc held"]);

    receiver.set_behavior(Behavior::Slow(Duration::from_millis(200)));
    let started = Instant::now();
    client.export(logs_request(&["slow"])).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(200));

    receiver.shutdown().await;
    let held_status = held_grpc.await.unwrap().unwrap_err();
    assert_eq!(held_status.code(), tonic::Code::Unavailable);
}

#[tokio::test]
async fn wait_for_logs_returns_what_arrived_at_timeout_and_wakes_on_arrival() {
    let receiver = OtlpReceiver::start().await.unwrap();
    // spans do not count as log records
    post(
        format!("{}/v1/traces", receiver.http_endpoint()),
        "application/x-protobuf",
        trace_request(&["a span"]).encode_to_vec(),
    )
    .await
    .unwrap();
    assert!(
        receiver
            .wait_for_logs(1, Duration::from_millis(200))
            .await
            .is_empty()
    );
    let url = format!("{}/v1/logs", receiver.http_endpoint());
    let sender = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        post(
            url,
            "application/x-protobuf",
            logs_request(&["late", "later"]).encode_to_vec(),
        )
        .await
    });
    // woken by the arrival, long before the timeout
    let started = Instant::now();
    let logs = receiver.wait_for_logs(2, Duration::from_secs(60)).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(logs.len(), 2);
    assert_eq!(logs[0].event_name, "late");
    sender.await.unwrap().unwrap();
    receiver.shutdown().await;
}
