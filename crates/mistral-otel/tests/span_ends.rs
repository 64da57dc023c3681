//! Spans end when the call ends, not when the caller happens to poll again or drop the
//! response: the frame that carries a stream's terminal event, or a body's last byte, has
//! ended the spans (and handed them to the span processor) by the time the caller holds
//! it. Every check here runs while the response is still held, so the SDK's
//! end-on-drop cannot do the instrumentation's work.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, SystemTime};

use mistral_mock::{Fixtures, MockServer};
use mistral_otel_test_support::mock::{case_request, traced_client};
use mistral_otel_test_support::{
    Recorder, assert_children_inside_parents, attr_str, client_span, fixtures_dir,
};

/// Read `response` until `total` bytes arrived, without polling after the last one.
/// Returns the wall time just before the last read started and just after it returned.
async fn read_exactly(response: &mut reqwest::Response, total: usize) -> (SystemTime, SystemTime) {
    let mut seen = 0;
    loop {
        let before = SystemTime::now();
        let chunk = response.chunk().await.unwrap().expect("body ended early");
        seen += chunk.len();
        if seen >= total {
            assert_eq!(seen, total);
            return (before, SystemTime::now());
        }
    }
}

#[tokio::test]
async fn the_frame_with_the_terminal_event_ends_the_turn_before_the_caller_polls_again() {
    let fixtures = Fixtures::load(fixtures_dir("mistral")).unwrap();
    for case in [
        "start_stream_tools",
        "start_stream_agent_handoff",
        "append_stream_function_result",
        "start_stream_error",
    ] {
        let body = fixtures
            .response_body(fixtures.case(case).unwrap())
            .unwrap();
        let server = MockServer::builder(fixtures.clone())
            .chunk_bytes(200)
            .chunk_delay(Duration::from_millis(5))
            .start()
            .await
            .unwrap();
        for capture in [false, true] {
            let recorder = Recorder::new();
            let client = traced_client(&recorder, &server, capture);
            let mut response = case_request(&client, &fixtures, &server, case)
                .send()
                .await
                .unwrap();
            let (before_last, after_last) = read_exactly(&mut response, body.len()).await;
            // the caller keeps the body and does not poll again
            tokio::time::sleep(Duration::from_millis(100)).await;
            let spans = recorder.assert_all_exported(case);
            let turn = client_span(&spans);
            assert!(
                attr_str(turn, "mistral_ai.stream.outcome").is_some(),
                "{case}"
            );
            assert!(
                turn.end_time >= before_last && turn.end_time <= after_last,
                "{case}: the turn ends at the arrival of its last frame, not later"
            );
            assert_children_inside_parents(&spans);
            drop(response);
            assert_eq!(
                recorder.spans().len(),
                spans.len(),
                "{case}: nothing more at drop"
            );
        }
    }
}

#[tokio::test]
async fn the_last_byte_of_a_plain_body_ends_the_turn_before_the_caller_polls_again() {
    let fixtures = Fixtures::load(fixtures_dir("mistral")).unwrap();
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    for case in [
        "start_web_search",
        "append",
        "restart",
        "error_429",
        "history",
    ] {
        let recorder = Recorder::new();
        let client = traced_client(&recorder, &server, false);
        let mut response = case_request(&client, &fixtures, &server, case)
            .send()
            .await
            .unwrap();
        let total = usize::try_from(response.content_length().expect("content-length")).unwrap();
        let (before_last, after_last) = read_exactly(&mut response, total).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let spans = recorder.assert_all_exported(case);
        let top = client_span(&spans);
        assert!(
            top.end_time >= before_last && top.end_time <= after_last,
            "{case}: ends with the last byte"
        );
        assert_children_inside_parents(&spans);
    }
}
