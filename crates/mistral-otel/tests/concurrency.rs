//! Many turns at once through one client and one telemetry pipeline: every trace is
//! built as if its turn ran alone (no cross-talk between concurrent streams).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mistral_mock::MockServer;
use mistral_otel::options::ExtraAttributes;
use mistral_otel_test_support::mock::*;
use mistral_otel_test_support::*;
use opentelemetry::KeyValue;
use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::trace::SpanData;

const TURNS: usize = 200;

/// Every stream fixture and every plain one with a JSON request or none (the multipart
/// upload has its own test).
const CASES: [&str; 17] = [
    "start_stream_tools",
    "start_stream_agent_handoff",
    "append_stream_function_result",
    "start_stream_error",
    "start_web_search",
    "append",
    "restart",
    "error_422",
    "error_429",
    "get",
    "list",
    "history",
    "messages",
    "delete",
    "agent_create",
    "library_create",
    "library_document_status",
];

/// What a trace must look like: its shape and the conversation id of its spans.
#[derive(Debug, Clone, PartialEq)]
struct Expected {
    shape: Vec<(usize, String, String)>,
    conversation_id: Option<String>,
}

fn root(spans: &[&SpanData]) -> SpanData {
    let roots: Vec<&&SpanData> = spans
        .iter()
        .filter(|s| s.parent_span_id == SpanId::INVALID)
        .collect();
    assert_eq!(roots.len(), 1, "one root per trace");
    (*roots[0]).clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_turns_each_build_their_own_tree() {
    let fixtures = fixtures("mistral");
    // small random pieces with a pause between them, so streams interleave at the byte level
    let server = MockServer::builder(fixtures.clone())
        .random_chunks(0xC0FFEE, 256)
        .chunk_delay(Duration::from_millis(1))
        .start()
        .await
        .unwrap();
    let server = Arc::new(server);

    // the reference: each case alone
    let mut expected: HashMap<&str, Expected> = HashMap::new();
    for case in CASES {
        let recorder = Recorder::new();
        let client = traced_client(&recorder, &server, true);
        let held = send_case(&client, &fixtures, &server, case).await;
        let spans = recorder.assert_all_exported(case);
        drop(held);
        let refs: Vec<&SpanData> = spans.iter().collect();
        expected.insert(
            case,
            Expected {
                shape: tree_shape(&spans),
                conversation_id: attr_str(&root(&refs), "gen_ai.conversation.id"),
            },
        );
    }

    let recorder = Recorder::new();
    let client = traced_client(&recorder, &server, true);
    let fixtures = Arc::new(fixtures);
    let started = Instant::now();
    let tasks: Vec<_> = (0..TURNS)
        .map(|i| {
            let (client, fixtures, server) = (client.clone(), fixtures.clone(), server.clone());
            let case = CASES[i % CASES.len()];
            tokio::spawn(async move {
                let response = case_request(&client, &fixtures, &server, case)
                    .with_extension(ExtraAttributes::new([
                        KeyValue::new("test.turn", i as i64),
                        KeyValue::new("test.case", case),
                    ]))
                    .send()
                    .await
                    .unwrap();
                let seen = read_holding(response).await;
                assert_eq!(
                    Some(seen.body.clone()),
                    fixtures
                        .response_body(fixtures.case(case).unwrap())
                        .or(Some(bytes::Bytes::new())),
                    "turn {i} ({case}) got other bytes"
                );
                seen
            })
        })
        .collect();
    let mut held = Vec::with_capacity(TURNS);
    for task in tasks {
        held.push(task.await.unwrap());
    }
    eprintln!("{TURNS} concurrent turns in {:?}", started.elapsed());

    // every response is still held: the spans were ended by the instrumentation
    let spans = recorder.assert_all_exported("200 concurrent turns");
    drop(held);
    assert_children_inside_parents(&spans);

    let mut traces: HashMap<TraceId, Vec<&SpanData>> = HashMap::new();
    for span in &spans {
        traces
            .entry(span.span_context.trace_id())
            .or_default()
            .push(span);
    }
    assert_eq!(traces.len(), TURNS, "one trace per turn");

    let mut turns_seen = [false; TURNS];
    for trace in traces.values() {
        let turn = root(trace);
        let i = attr_i64(&turn, "test.turn").expect("the root is a turn of this test") as usize;
        assert!(!turns_seen[i], "turn {i} has two traces");
        turns_seen[i] = true;
        let case = attr_str(&turn, "test.case").unwrap();
        let want = &expected[case.as_str()];
        // every span of the trace hangs under this turn's root
        for span in trace {
            assert!(
                span.parent_span_id == SpanId::INVALID
                    || trace
                        .iter()
                        .any(|p| p.span_context.span_id() == span.parent_span_id),
                "turn {i} ({case}): {} has a parent outside its trace",
                span.name
            );
        }
        let owned: Vec<SpanData> = trace.iter().map(|s| (*s).clone()).collect();
        assert_eq!(
            tree_shape(&owned),
            want.shape,
            "turn {i} ({case}) differs from the same case run alone"
        );
        for span in trace {
            if let Some(id) = attr_str(span, "gen_ai.conversation.id") {
                assert_eq!(
                    Some(&id),
                    want.conversation_id.as_ref(),
                    "turn {i} ({case}): {} carries another conversation's id",
                    span.name
                );
            }
        }
        assert_eq!(
            attr_str(&turn, "gen_ai.conversation.id"),
            want.conversation_id,
            "turn {i} ({case})"
        );
    }
    assert!(turns_seen.iter().all(|seen| *seen));
}
