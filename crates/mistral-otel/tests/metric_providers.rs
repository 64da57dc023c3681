//! Metrics follow the meter provider the application installs, however late and however
//! often, like spans follow the tracer provider; and the attribute values a server or a
//! connector chooses cannot grow the number of time series without limit.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use mistral_mock::{Fixtures, MockServer};
use mistral_otel::{MAX_METRIC_ERROR_TYPES, MAX_METRIC_TOOL_NAMES, MistralTracing};
use mistral_otel_test_support::metrics::points;
use mistral_otel_test_support::mock::{builder, client, push_turn_case, send_case};
use mistral_otel_test_support::{Recorder, fixtures_dir};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};

fn provider() -> (SdkMeterProvider, InMemoryMetricExporter) {
    let exporter = InMemoryMetricExporter::default();
    let provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(exporter.clone()).build())
        .build();
    (provider, exporter)
}

fn turns_recorded(provider: &SdkMeterProvider, exporter: &InMemoryMetricExporter) -> u64 {
    exporter.reset();
    provider.force_flush().unwrap();
    let metrics = exporter.get_finished_metrics().unwrap();
    points(&metrics, "gen_ai.client.operation.duration")
        .iter()
        .map(|p| p.count)
        .sum()
}

#[tokio::test]
async fn metrics_follow_a_global_provider_installed_after_the_client_and_installed_again() {
    let fixtures = Fixtures::load(fixtures_dir("mistral")).unwrap();
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let recorder = Recorder::new();
    // built before any provider exists, with the default (global) meter
    let client = client(
        MistralTracing::builder()
            .host(&server.addr().to_string())
            .tracer_provider(&recorder.provider)
            .build(),
    );
    send_case(&client, &fixtures, &server, "append").await;

    let (first, first_exporter) = provider();
    opentelemetry::global::set_meter_provider(first.clone());
    send_case(&client, &fixtures, &server, "append").await;
    assert_eq!(turns_recorded(&first, &first_exporter), 1);

    let (second, second_exporter) = provider();
    opentelemetry::global::set_meter_provider(second.clone());
    send_case(&client, &fixtures, &server, "append").await;
    send_case(&client, &fixtures, &server, "append").await;
    assert_eq!(turns_recorded(&second, &second_exporter), 2);
    assert_eq!(
        turns_recorded(&first, &first_exporter),
        1,
        "the replaced provider gets nothing more"
    );
}

#[tokio::test]
async fn error_types_from_bodies_and_tool_names_from_connectors_are_capped_in_metrics() {
    let mut fixtures = Fixtures::empty();
    let kinds = MAX_METRIC_ERROR_TYPES + 8;
    for i in 0..kinds {
        push_turn_case(
            &mut fixtures,
            &format!("e{i}"),
            "/v1/conversations",
            false,
            400,
            "application/json",
            format!(r#"{{"object":"error","message":"m","type":"kind_{i}","code":null}}"#),
        );
    }
    let tools = MAX_METRIC_TOOL_NAMES + 6;
    let mut sse = String::from(
        "event: conversation.response.started\ndata: {\"type\":\"conversation.response.started\",\"conversation_id\":\"conv_1\"}\n\n",
    );
    for i in 0..tools {
        for (event, extra) in [
            ("tool.execution.started", r#","arguments":"""#),
            ("tool.execution.done", r#","info":{}"#),
        ] {
            sse.push_str(&format!(
                "event: {event}\ndata: {{\"type\":\"{event}\",\"output_index\":{i},\"id\":\"t{i}\",\"name\":\"connector_{i}\"{extra}}}\n\n"
            ));
        }
    }
    sse.push_str("event: conversation.response.done\ndata: {\"type\":\"conversation.response.done\",\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}\n\n");
    push_turn_case(
        &mut fixtures,
        "tools",
        "/v1/conversations",
        true,
        200,
        "text/event-stream",
        sse,
    );
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let recorder = Recorder::new();
    let client = client(builder(&recorder, &server).build());
    for i in 0..kinds {
        send_case(&client, &fixtures, &server, &format!("e{i}")).await;
    }
    send_case(&client, &fixtures, &server, "tools").await;

    // spans keep every value
    let spans = recorder.spans();
    assert_eq!(
        spans
            .iter()
            .filter(|s| s.name.starts_with("execute_tool"))
            .count(),
        tools
    );
    let metrics = recorder.metrics();
    let durations = points(&metrics, "gen_ai.client.operation.duration");
    let mut error_types: Vec<String> = durations
        .iter()
        .filter_map(|p| p.get("error.type"))
        .collect();
    error_types.sort();
    error_types.dedup();
    assert_eq!(
        error_types.len(),
        MAX_METRIC_ERROR_TYPES + 1,
        "{error_types:?}"
    );
    assert!(error_types.contains(&"_OTHER".to_owned()));
    let other: u64 = durations
        .iter()
        .filter(|p| p.get("error.type").as_deref() == Some("_OTHER"))
        .map(|p| p.count)
        .sum();
    assert_eq!(other, 8);
    let executions = points(&metrics, "mistral_ai.tool.executions");
    assert_eq!(executions.len(), MAX_METRIC_TOOL_NAMES + 1);
    let total: f64 = executions.iter().map(|p| p.sum).sum();
    assert_eq!(total, tools as f64, "every execution is still counted");
}
