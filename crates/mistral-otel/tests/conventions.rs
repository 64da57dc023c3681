//! Both versions of the GenAI conventions, checked against their own name lists: every
//! fixture (hand-made, written from the client models, and recorded from the live API) is
//! replayed under v1.41.1 (the default) and under `semantic-conventions-genai` v0.1.0
//! (`gen_ai_latest_experimental`), with content on spans and in events, metrics and logs
//! recorded; every `gen_ai.*` name found (span attributes, span event names and their
//! attributes, metric names and their attributes, log record event names and attributes,
//! `gen_ai.operation.name` values) must be in that version's list
//! (`tests/conventions/*.txt`, taken from each version's model files; see their headers).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};

use mistral_mock::MockServer;
use mistral_otel::capture::ContentCapture;
use mistral_otel::semconv::Conventions;
use mistral_otel_test_support::Recorder;
use mistral_otel_test_support::mock::{builder, client, fixtures, send_case};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};

const SETS: [&str; 9] = [
    "mistral",
    "beta_surface",
    "api",
    "features",
    "real/braintrust-sdk-javascript",
    "real/issue-reports-errors",
    "real/mistral-docs",
    "real/openllmetry",
    "real/ruby_llm",
];

/// Operation names outside the registry that the contract gives Mistral's endpoints (said
/// so in the README).
const EXTENSION_OPERATIONS: [&str; 4] = ["moderation", "classification", "ocr", "transcription"];

fn allowed(file: &str) -> BTreeSet<String> {
    let path = format!("{}/tests/conventions/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

fn add(seen: &mut BTreeMap<String, String>, name: &str, place: &str) {
    seen.entry(name.to_owned())
        .or_insert_with(|| place.to_owned());
}

/// Every name the replay produced, with where it was first seen.
async fn replay_all(conventions: Conventions) -> BTreeMap<String, String> {
    let mut seen = BTreeMap::new();
    for set in SETS {
        let fixtures = fixtures(set);
        let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
        let recorder = Recorder::new();
        let client = client(
            builder(&recorder, &server)
                .conventions(conventions)
                .content_capture(ContentCapture::SpanAndEvent)
                .build(),
        );
        for case in fixtures.cases() {
            drop(send_case(&client, &fixtures, &server, &case.name).await);
        }
        let place = |what: &str| format!("{set}: {what}");
        for span in recorder.spans() {
            for kv in span.attributes.iter() {
                add(&mut seen, kv.key.as_str(), &place(&span.name));
                if kv.key.as_str() == "gen_ai.operation.name" {
                    let value = format!("gen_ai.operation.name={}", kv.value.as_str());
                    add(&mut seen, &value, &place(&span.name));
                }
            }
            for event in span.events.iter() {
                add(&mut seen, &event.name, &place(&span.name));
                for kv in &event.attributes {
                    add(&mut seen, kv.key.as_str(), &place(&event.name));
                }
            }
        }
        for metrics in recorder.metrics() {
            for scope in metrics.scope_metrics() {
                for metric in scope.metrics() {
                    add(&mut seen, metric.name(), &place("metric"));
                    let keys: Vec<String> = match metric.data() {
                        AggregatedMetrics::F64(MetricData::Histogram(h)) => h
                            .data_points()
                            .flat_map(|p| p.attributes().map(|kv| kv.key.to_string()))
                            .collect(),
                        AggregatedMetrics::U64(MetricData::Histogram(h)) => h
                            .data_points()
                            .flat_map(|p| p.attributes().map(|kv| kv.key.to_string()))
                            .collect(),
                        AggregatedMetrics::U64(MetricData::Sum(s)) => s
                            .data_points()
                            .flat_map(|p| p.attributes().map(|kv| kv.key.to_string()))
                            .collect(),
                        _ => Vec::new(),
                    };
                    for key in keys {
                        add(&mut seen, &key, &place(metric.name()));
                    }
                }
            }
        }
        for log in recorder.logs() {
            let name = log.event_name().unwrap_or("<no event name>");
            add(&mut seen, name, &place("log record"));
            for (key, _) in log.attributes_iter() {
                add(&mut seen, key.as_str(), &place(name));
            }
        }
    }
    seen
}

fn check(conventions: Conventions, list: &str) -> BTreeMap<String, String> {
    let allowed = allowed(list);
    let seen = tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current().block_on(replay_all(conventions))
    });
    let outside: Vec<String> = seen
        .iter()
        .filter(|(name, _)| {
            let genai = name.starts_with("gen_ai.")
                || ["error.type", "server.address", "server.port"].contains(&name.as_str());
            let extension = EXTENSION_OPERATIONS
                .iter()
                .any(|op| **name == format!("gen_ai.operation.name={op}"));
            genai && !extension && !allowed.contains(*name)
        })
        .map(|(name, place)| format!("{name} (first seen at {place})"))
        .collect();
    assert!(
        outside.is_empty(),
        "{conventions:?}: names not in {list}:\n  {}",
        outside.join("\n  ")
    );
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_under_v1_41_uses_v1_41_1_names_only() {
    let seen = check(Conventions::V1_41, "v1.41.1.txt");
    // and the names that prove the setting took effect
    for name in [
        "gen_ai.client.operation.duration",
        "gen_ai.client.token.usage",
        "gen_ai.client.operation.time_to_first_chunk",
        "gen_ai.client.inference.operation.details",
    ] {
        assert!(seen.contains_key(name), "{name} never recorded");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_under_the_latest_conventions_uses_their_names_only() {
    let seen = check(Conventions::GenAiLatest, "genai-v0.1.0.txt");
    for name in [
        "gen_ai.client.inference.duration",
        "gen_ai.client.inference.usage.input_tokens",
        "gen_ai.client.inference.operation.output_tokens",
        "gen_ai.client.inference.time_to_first_chunk",
        "gen_ai.client.embeddings.duration",
        "gen_ai.invoke_agent.duration",
        "gen_ai.invoke_agent.inference_calls",
        "gen_ai.execute_tool.duration",
        "gen_ai.transfer.target.name",
        "gen_ai.request.stream",
        "gen_ai.client.inference.operation.details",
    ] {
        assert!(seen.contains_key(name), "{name} never recorded");
    }
}
