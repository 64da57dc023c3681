//! An HTTP error status makes the call an error whether its body is dropped unread, read
//! whole or read halfway (`error_for_status()` drops it): status ERROR, `error.type`
//! from the body when it was read whole, else the status code, the duration metric with
//! `error.type`, and the span exported when the body is dropped.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use mistral_mock::{Fixtures, MockServer};
use mistral_otel_test_support::metrics::points;
use mistral_otel_test_support::mock::{case_request, push_turn_case, traced_client};
use mistral_otel_test_support::{Recorder, attr_i64, attr_str, client_span};
use opentelemetry::trace::Status;

/// (status, body, error.type when the whole body is read)
const ERRORS: [(u16, &str, &str); 5] = [
    // real bodies (shared fixtures, issue reports); the 404 one is FastAPI's default
    (401, r#"{"detail":"Unauthorized"}"#, "401"),
    (404, r#"{"detail":"Not Found"}"#, "404"),
    (
        422,
        r#"{"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body","foo"],"msg":"Extra inputs are not permitted","input":1}]},"type":"invalid_request_error","param":null,"code":null}"#,
        "invalid_request_error",
    ),
    (
        429,
        r#"{"object":"error","message":"Rate limit exceeded","type":"rate_limited","param":null,"code":"1300"}"#,
        "rate_limited",
    ),
    (
        500,
        r#"{"object":"Error","message":"Response failed during handoff orchestration","type":"invalid_request_error","code":3000}"#,
        "invalid_request_error",
    ),
];

#[derive(Debug, Clone, Copy)]
enum Read {
    Dropped,
    Whole,
    Halfway,
}

async fn call(status: u16, body: &str, read: Read, stream: bool) -> (Recorder, String) {
    let mut fixtures = Fixtures::empty();
    let name = format!("e{status}");
    push_turn_case(
        &mut fixtures,
        &name,
        "/v1/conversations",
        stream,
        status,
        "application/json",
        body.to_owned(),
    );
    // small pieces, so that "halfway" is a real first piece of several
    let server = MockServer::builder(fixtures.clone())
        .chunk_bytes(16)
        .start()
        .await
        .unwrap();
    let recorder = Recorder::new();
    let client = traced_client(&recorder, &server, false);
    let mut response = case_request(&client, &fixtures, &server, &name)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), status);
    match read {
        Read::Dropped => {
            // what `resp.error_for_status()?` does
            let err = response.error_for_status().unwrap_err();
            assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        }
        Read::Whole => {
            let bytes = response.bytes().await.unwrap();
            assert_eq!(bytes, body.as_bytes());
        }
        Read::Halfway => {
            let first = response.chunk().await.unwrap().unwrap();
            assert!(first.len() < body.len());
            drop(response);
        }
    }
    (recorder, name)
}

#[tokio::test]
async fn an_error_status_is_an_error_whether_the_body_is_dropped_read_whole_or_read_halfway() {
    for stream in [false, true] {
        for (status, body, from_body) in ERRORS {
            for read in [Read::Dropped, Read::Whole, Read::Halfway] {
                let what = format!("{status} {read:?} stream={stream}");
                let (recorder, _) = call(status, body, read, stream).await;
                let spans = recorder.spans();
                assert_eq!(
                    spans.len(),
                    1,
                    "{what}: the turn span is exported once the body is gone"
                );
                let turn = client_span(&spans);
                assert!(
                    matches!(turn.status, Status::Error { .. }),
                    "{what}: status {:?}",
                    turn.status
                );
                let expected = match read {
                    Read::Whole => from_body.to_owned(),
                    Read::Dropped | Read::Halfway => status.to_string(),
                };
                assert_eq!(
                    attr_str(turn, "error.type"),
                    Some(expected.clone()),
                    "{what}"
                );
                assert_eq!(
                    attr_i64(turn, "http.response.status_code"),
                    Some(i64::from(status)),
                    "{what}"
                );
                assert_eq!(
                    attr_str(turn, "gen_ai.response.finish_reasons").as_deref(),
                    Some(r#"["error"]"#),
                    "{what}"
                );
                assert!(
                    turn.events.iter().any(|e| e.name == "exception"),
                    "{what}: no exception event"
                );
                let durations = points(&recorder.metrics(), "gen_ai.client.operation.duration");
                assert_eq!(durations.len(), 1, "{what}: {durations:?}");
                assert_eq!(durations[0].get("error.type"), Some(expected), "{what}");
                assert_eq!(durations[0].count, 1, "{what}");
            }
        }
    }
}
