//! Tool confirmations (human in the loop): a function call left `pending` is a
//! `require_approval` decision on the turn that asked; the append that answers carries an
//! `allow` / `deny` decision per call, links to the turn that asked, and records how long
//! the call waited (from the end of the asking turn to the answer), as an attribute and in
//! a histogram. Plain and streamed, under both conventions.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use mistral_mock::MockServer;
use mistral_otel::semconv::Conventions;
use mistral_otel_test_support::metrics::points;
use mistral_otel_test_support::mock::{builder, client, fixtures, send_case};
use mistral_otel_test_support::{Recorder, attr};
use opentelemetry::trace::SpanKind;
use opentelemetry_sdk::trace::SpanData;

const GAP: Duration = Duration::from_millis(60);

fn decisions(span: &SpanData, name: &str, outcome_key: &str) -> Vec<(String, String, Option<f64>)> {
    span.events
        .iter()
        .filter(|e| e.name == name)
        .map(|e| {
            let get = |k: &str| e.attributes.iter().find(|kv| kv.key.as_str() == k);
            (
                get("gen_ai.tool.call.id")
                    .unwrap()
                    .value
                    .as_str()
                    .into_owned(),
                get(outcome_key).unwrap().value.as_str().into_owned(),
                get("mistral_ai.tool.call.wait").and_then(|kv| match kv.value {
                    opentelemetry::Value::F64(v) => Some(v),
                    _ => None,
                }),
            )
        })
        .collect()
}

fn turn<'a>(spans: &'a [SpanData], operation: &str) -> &'a SpanData {
    spans
        .iter()
        .find(|s| {
            s.span_kind == SpanKind::Client
                && s.attributes.iter().any(|kv| {
                    kv.key.as_str() == "mistral_ai.conversation.operation"
                        && kv.value.as_str() == operation
                })
        })
        .unwrap_or_else(|| panic!("no {operation} turn"))
}

async fn ask_then_answer(
    conventions: Conventions,
    ask: &str,
    answer: &str,
) -> (Recorder, Vec<SpanData>) {
    let fixtures = fixtures("features");
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let recorder = Recorder::new();
    // conversation links off: the link found is the confirmation's own
    let client = client(
        builder(&recorder, &server)
            .conventions(conventions)
            .turn_links(0)
            .build(),
    );
    drop(send_case(&client, &fixtures, &server, ask).await);
    tokio::time::sleep(GAP).await;
    drop(send_case(&client, &fixtures, &server, answer).await);
    let spans = recorder.spans();
    (recorder, spans)
}

#[tokio::test]
async fn an_allowed_call_links_the_answer_to_the_turn_that_asked_and_records_the_wait() {
    let (recorder, spans) =
        ask_then_answer(Conventions::V1_41, "confirm_start", "confirm_append_allow").await;
    let (event, outcome) = (
        "mistral_ai.tool.call.decision",
        "mistral_ai.tool.call.decision.outcome",
    );
    let start = turn(&spans, "start");
    assert_eq!(
        decisions(start, event, outcome),
        vec![("XA0JVy6Cq".into(), "require_approval".into(), None)]
    );
    let append = turn(&spans, "append");
    let answers = decisions(append, event, outcome);
    assert_eq!(answers.len(), 1);
    let (id, verdict, wait) = &answers[0];
    assert_eq!((id.as_str(), verdict.as_str()), ("XA0JVy6Cq", "allow"));
    let wait = wait.expect("a wait for a call whose turn was seen");
    assert!(wait >= GAP.as_secs_f64(), "waited {wait}s");
    assert!(
        append
            .links
            .links
            .iter()
            .any(|l| l.span_context.span_id() == start.span_context.span_id())
    );
    assert!(matches!(
        attr(append, "mistral_ai.tool.confirmation.wait"),
        Some(opentelemetry::Value::F64(w)) if *w == wait
    ));
    let waits = points(&recorder.metrics(), "mistral_ai.tool.confirmation.wait");
    assert_eq!(waits.len(), 1);
    assert_eq!(
        waits[0].get("gen_ai.tool.name").as_deref(),
        Some("gmail_search")
    );
    assert_eq!(
        waits[0]
            .get("mistral_ai.tool.call.decision.outcome")
            .as_deref(),
        Some("allow")
    );
}

#[tokio::test]
async fn a_streamed_answer_with_deny_and_allow_under_the_latest_conventions() {
    let (_, spans) = ask_then_answer(
        Conventions::GenAiLatest,
        "confirm_start_two_calls",
        "confirm_append_deny_stream",
    )
    .await;
    let (event, outcome) = (
        "gen_ai.tool.call.decision",
        "gen_ai.tool.call.decision.outcome",
    );
    let start = turn(&spans, "start");
    let mut asked = decisions(start, event, outcome);
    asked.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        asked,
        vec![
            ("0sAd4dNKD".into(), "require_approval".into(), None),
            ("wosTWOEqe".into(), "require_approval".into(), None)
        ]
    );
    let append = turn(&spans, "append");
    let answered: Vec<(String, String)> = decisions(append, event, outcome)
        .into_iter()
        .map(|(id, verdict, wait)| {
            assert!(wait.is_some());
            (id, verdict)
        })
        .collect();
    assert_eq!(
        answered,
        vec![
            ("0sAd4dNKD".into(), "deny".into()),
            ("wosTWOEqe".into(), "allow".into())
        ]
    );
    // one link to the asking turn, however many calls it asked about
    let to_start = append
        .links
        .links
        .iter()
        .filter(|l| l.span_context.span_id() == start.span_context.span_id())
        .count();
    assert_eq!(to_start, 1);
}

#[tokio::test]
async fn a_pending_call_in_a_stream_is_a_require_approval_decision() {
    let fixtures = fixtures("features");
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let recorder = Recorder::new();
    let client = client(builder(&recorder, &server).build());
    drop(send_case(&client, &fixtures, &server, "confirm_start_stream").await);
    let spans = recorder.spans();
    let start = turn(&spans, "start");
    let asked = decisions(
        start,
        "mistral_ai.tool.call.decision",
        "mistral_ai.tool.call.decision.outcome",
    );
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].1, "require_approval");
}

#[tokio::test]
async fn an_answer_for_a_call_never_seen_is_recorded_without_a_link_or_wait() {
    let fixtures = fixtures("features");
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let recorder = Recorder::new();
    let client = client(builder(&recorder, &server).build());
    drop(send_case(&client, &fixtures, &server, "confirm_append_allow").await);
    let spans = recorder.spans();
    let append = turn(&spans, "append");
    let answers = decisions(
        append,
        "mistral_ai.tool.call.decision",
        "mistral_ai.tool.call.decision.outcome",
    );
    assert_eq!(answers, vec![("XA0JVy6Cq".into(), "allow".into(), None)]);
    assert!(append.links.links.is_empty());
    assert!(attr(append, "mistral_ai.tool.confirmation.wait").is_none());
}
