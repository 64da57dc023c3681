//! End to end through the real OTLP exporters: spans reach an in-process collector over
//! gRPC and HTTP with the configured headers, Braintrust gets Braintrust-native
//! attributes on its own path and headers, and no credential or (with capture off)
//! content ever appears in an exported byte.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::time::Duration;

use mistral_otel::MistralTracing;
use mistral_otel_export::braintrust::{BraintrustConfig, Parent};
use mistral_otel_export::{OtlpConfig, Protocol};
use mistral_otel_test_support::mock::{TEST_KEY, client, fixtures, send_case, server};
use otlp_receiver::{ExportKind, OtlpReceiver, ReceivedSpan};
use serde_json::Value;

fn by_id(spans: &[ReceivedSpan]) -> BTreeMap<String, &ReceivedSpan> {
    spans.iter().map(|s| (s.span_id.clone(), s)).collect()
}

/// Every text a fixture request sends as input: none may be exported with capture off.
fn input_canaries() -> Vec<String> {
    let fixtures = fixtures("mistral");
    let mut out = Vec::new();
    for case in fixtures.cases() {
        let Some(body) = fixtures.request_body(case) else {
            continue;
        };
        let Ok(json) = serde_json::from_slice::<Value>(&body) else {
            continue;
        };
        match &json["inputs"] {
            Value::String(s) => out.push(s.clone()),
            Value::Array(items) => {
                for item in items {
                    for key in ["content", "result"] {
                        if let Some(s) = item[key].as_str() {
                            out.push(s.to_owned());
                        }
                    }
                }
            }
            _ => {}
        }
        if let Some(s) = json["instructions"].as_str() {
            out.push(s.to_owned());
        }
    }
    assert!(out.len() >= 6, "{out:?}");
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn replay_all(mw: MistralTracing) {
    let server = server("mistral").await;
    let fixtures = fixtures("mistral");
    let client = client(mw);
    for case in fixtures.cases() {
        if case.request_body.is_none() && case.method == "POST" {
            continue;
        }
        send_case(&client, &fixtures, &server, &case.name).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_reach_a_collector_over_grpc_and_http_with_headers_and_no_secrets() {
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        let collector = OtlpReceiver::start().await.unwrap();
        let endpoint = match protocol {
            Protocol::Grpc => collector.grpc_endpoint(),
            Protocol::HttpProtobuf => collector.http_endpoint(),
        };
        let telemetry = OtlpConfig::new()
            .protocol(protocol)
            .endpoint(endpoint)
            .header("x-collector-tenant", "acme")
            .service_name("otlp-e2e")
            .batch_delay(Duration::from_millis(50))
            .build()
            .unwrap();
        let mw = MistralTracing::builder()
            .host("127.0.0.1")
            .tracer_provider(telemetry.tracer_provider())
            .meter_provider(telemetry.meter_provider().unwrap())
            .build();
        replay_all(mw).await;
        telemetry.force_flush().unwrap();
        telemetry.shutdown().unwrap();

        let spans = collector.spans();
        let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
        for expected in [
            "invoke_agent lyon-population",
            "execute_tool web_search",
            "chat mistral-medium-latest",
            "invoke_agent billing-agent",
            "GET /v1/conversations/{conversation_id}/history",
            "create_agent triage-agent",
        ] {
            assert!(
                names.contains(&expected),
                "{protocol:?}: {expected} missing from {names:?}"
            );
        }
        // kinds survive the wire: turns CLIENT (3), children INTERNAL (1)
        let index = by_id(&spans);
        for span in &spans {
            if span.name.starts_with("execute_tool") || span.name.starts_with("chat") {
                assert_eq!(span.kind, 1, "{}", span.name);
                let parent = index.get(&span.parent_span_id).expect("parent exported");
                assert!(parent.start_unix_nano <= span.start_unix_nano);
                assert!(parent.end_unix_nano >= span.end_unix_nano);
            }
            if span.name == "invoke_agent lyon-population" {
                assert_eq!(span.kind, 3);
                assert_eq!(span.resource["service.name"], "otlp-e2e");
            }
        }
        assert!(
            spans
                .iter()
                .any(|s| s.name == "invoke_agent lyon-population"
                    && s.attributes.get("gen_ai.usage.input_tokens") == Some(&Value::from(231))),
            "{protocol:?}: the start turn's usage"
        );
        let exports = collector.exports();
        let traces: Vec<_> = exports
            .iter()
            .filter(|e| e.kind == ExportKind::Traces)
            .collect();
        assert!(!traces.is_empty());
        assert!(
            traces
                .iter()
                .all(|e| e.header("x-collector-tenant") == Some("acme"))
        );
        assert!(
            exports.iter().any(|e| e.kind == ExportKind::Metrics),
            "{protocol:?}: metrics exported too"
        );
        let canaries = input_canaries();
        for export in &exports {
            assert!(
                !contains(&export.raw_body, TEST_KEY.as_bytes()),
                "API key exported"
            );
            assert!(
                !contains(&export.raw_body, b"Bearer "),
                "an Authorization value was exported"
            );
            for canary in &canaries {
                assert!(
                    !contains(&export.raw_body, canary.as_bytes()),
                    "content exported with capture off: {canary}"
                );
            }
        }
        collector.shutdown().await;
    }
}

fn json_attr(span: &ReceivedSpan, key: &str) -> Value {
    let text = span
        .str_attr(key)
        .unwrap_or_else(|| panic!("{} has no {key}", span.name));
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{key} on {} is not JSON: {e}", span.name))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn braintrust_receives_native_attributes_on_its_path_with_both_headers() {
    let braintrust = OtlpReceiver::start().await.unwrap();
    let telemetry = BraintrustConfig::new()
        .api_key("bt-test-key-123")
        .parent(Parent::ProjectName("mistral-otel-tests".into()))
        .base_url(braintrust.http_endpoint())
        .into_otlp()
        .unwrap()
        .batch_delay(Duration::from_millis(50))
        .build()
        .unwrap();
    assert!(
        telemetry.meter_provider().is_none(),
        "Braintrust takes no metrics"
    );
    let server = server("mistral").await;
    let fixtures = fixtures("mistral");
    let client = client(
        MistralTracing::builder()
            .host("127.0.0.1")
            .tracer_provider(telemetry.tracer_provider())
            .metrics(false)
            .capture_content(true)
            .max_attribute_bytes(400)
            .decorator(mistral_otel::braintrust::Braintrust::new())
            .build(),
    );
    for case in [
        "start_web_search",
        "start_stream_tools",
        "start_stream_agent_handoff",
    ] {
        send_case(&client, &fixtures, &server, case).await;
    }
    telemetry.force_flush().unwrap();
    telemetry.shutdown().unwrap();

    let exports = braintrust.exports();
    assert!(!exports.is_empty());
    for e in &exports {
        assert_eq!(e.path, "/otel/v1/traces");
        assert_eq!(e.kind, ExportKind::Traces);
        assert_eq!(e.header("authorization"), Some("Bearer bt-test-key-123"));
        assert_eq!(
            e.header("x-bt-parent"),
            Some("project_name:mistral-otel-tests")
        );
        assert_eq!(e.content_type.as_deref(), Some("application/x-protobuf"));
    }
    let spans = braintrust.spans();
    let turns: Vec<&ReceivedSpan> = spans.iter().filter(|s| s.kind == 3).collect();
    assert_eq!(turns.len(), 3);
    let names: Vec<String> = turns
        .iter()
        .map(|t| {
            json_attr(t, "braintrust.span_attributes")["name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(names.contains(&"mistral.beta.conversations.start".to_owned()));
    assert!(names.contains(&"mistral.beta.conversations.start_stream".to_owned()));
    for turn in &turns {
        assert_eq!(
            json_attr(turn, "braintrust.span_attributes")["type"],
            "task"
        );
        let metadata = json_attr(turn, "braintrust.metadata");
        assert_eq!(metadata["provider"], "mistral");
        let metrics = json_attr(turn, "braintrust.metrics");
        assert!(metrics["prompt_tokens"].is_u64());
        assert!(metrics["completion_tokens"].is_u64());
        assert!(metrics["tokens"].is_u64());
        let input = json_attr(turn, "braintrust.input_json");
        assert!(input.is_array());
        // the task row's output: the turn's outputs as chat messages
        let output = json_attr(turn, "braintrust.output_json");
        let last = output.as_array().unwrap().last().unwrap();
        assert_eq!(last["role"], "assistant");
        if turn.attributes.get("gen_ai.request.stream") == Some(&Value::Bool(true)) {
            assert!(metrics["time_to_first_token"].as_f64().unwrap() > 0.0);
        }
    }
    let pending_call = turns
        .iter()
        .filter_map(|t| {
            let output = json_attr(t, "braintrust.output_json");
            output.as_array()?.last()?["tool_calls"][0]["function"]["name"]
                .as_str()
                .map(str::to_owned)
        })
        .find(|name| name == "lookup_invoice");
    assert!(
        pending_call.is_some(),
        "the handoff turn ends with a pending function call"
    );
    for span in &spans {
        let kind = json_attr(span, "braintrust.span_attributes")["type"]
            .as_str()
            .unwrap()
            .to_owned();
        let expected = if span.name.starts_with("chat") {
            "llm"
        } else if span.name.starts_with("execute_tool") {
            "tool"
        } else {
            "task"
        };
        assert_eq!(kind, expected, "{}", span.name);
        for key in [
            "braintrust.input_json",
            "braintrust.output_json",
            "braintrust.metadata",
            "braintrust.metrics",
        ] {
            if span.attributes.contains_key(key) {
                json_attr(span, key); // valid JSON, also when capped at 400 bytes
            }
        }
    }
    assert!(
        exports
            .iter()
            .all(|e| !contains(&e.raw_body, TEST_KEY.as_bytes()))
    );
    braintrust.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn genai_events_reach_a_collector_as_log_records_in_their_spans_trace() {
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        let collector = OtlpReceiver::start().await.unwrap();
        let endpoint = match protocol {
            Protocol::Grpc => collector.grpc_endpoint(),
            Protocol::HttpProtobuf => collector.http_endpoint(),
        };
        let telemetry = OtlpConfig::new()
            .protocol(protocol)
            .endpoint(endpoint)
            .service_name("otlp-events")
            .metrics(false)
            .batch_delay(Duration::from_millis(50))
            .build()
            .unwrap();
        let mw = MistralTracing::builder()
            .host("127.0.0.1")
            .tracer_provider(telemetry.tracer_provider())
            .logger_provider(telemetry.logger_provider().unwrap())
            .content_capture(mistral_otel::capture::ContentCapture::EventOnly)
            .build();
        let server = server("mistral").await;
        let fixtures = fixtures("mistral");
        drop(send_case(&client(mw), &fixtures, &server, "start_web_search").await);
        telemetry.force_flush().unwrap();
        telemetry.shutdown().unwrap();

        let logs = collector.logs();
        assert_eq!(logs.len(), 1, "{protocol:?}");
        let record = &logs[0];
        assert_eq!(
            record.event_name,
            "gen_ai.client.inference.operation.details"
        );
        assert_eq!(record.severity_number, 5, "DEBUG");
        let turn = collector
            .spans()
            .into_iter()
            .find(|s| s.name.starts_with("invoke_agent"))
            .unwrap();
        assert_eq!(record.trace_id, turn.trace_id, "{protocol:?}");
        assert_eq!(record.span_id, turn.span_id, "{protocol:?}");
        // structured content over the wire (a kvlist / array), not JSON text
        let input = &record.attributes["gen_ai.input.messages"];
        assert_eq!(input[0]["role"], "user", "{protocol:?}: {input}");
        assert!(record.attributes["gen_ai.output.messages"].is_array());
        // and no content on the spans
        assert!(!turn.attributes.contains_key("gen_ai.input.messages"));
        assert_eq!(
            record.resource.get("service.name").and_then(Value::as_str),
            Some("otlp-events")
        );
    }
}
