//! The trees that differ under the latest conventions (`semantic-conventions-genai`
//! v0.1.0): a handoff is the transfer specialisation of `execute_tool` followed by the
//! receiving agent's span, linked to it (as the conventions' agent-interaction example
//! shows), for a streamed handoff and a plain one (server-side; a handoff handed back to
//! the client is on the turn, see `api_2026.rs`); the turn span says whether it streamed.
//! Golden trees in `tests/golden/latest/`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use mistral_mock::MockServer;
use mistral_otel::semconv::Conventions;
use mistral_otel_test_support::golden::{assert_golden, render};
use mistral_otel_test_support::mock::{builder, client, fixtures, send_case};
use mistral_otel_test_support::{Recorder, attr, attr_str, one};
use opentelemetry::trace::SpanKind;

/// A plain server-side handoff: the client-side fixture's handoff, then the receiving
/// agent's answer (as the server runs it when `handoff_execution` is `server`).
fn with_server_handoff(mut fixtures: mistral_mock::Fixtures) -> mistral_mock::Fixtures {
    let recorded = fixtures.clone();
    let case = recorded.case("handoff_client_start").unwrap();
    let mut response: serde_json::Value =
        serde_json::from_slice(&recorded.response_body(case).unwrap()).unwrap();
    response["outputs"].as_array_mut().unwrap().push(serde_json::json!({
        "object": "entry", "type": "message.output",
        "created_at": "2026-08-16T11:05:01.402221Z", "completed_at": "2026-08-16T11:05:02.010221Z",
        "agent_id": "ag_019cad8e776878b5949bb07a48e05c1c", "model": "mistral-medium-latest",
        "id": "msg_01a00a3f15a07c1e9b2d3f4a5b6c7d8e", "role": "assistant",
        "content": "I can help with the duplicate charge."
    }));
    mistral_otel_test_support::mock::push_case(
        &mut fixtures,
        "handoff_server_start",
        "/v1/conversations",
        r#"{"inputs":"I was charged twice","agent_id":"ag_019cad8fbf88776b883159fcb56e5352","handoff_execution":"server","stream":false}"#,
        200,
        "application/json",
        response.to_string(),
    );
    fixtures
}

async fn tree(set: &str, case: &str) -> Vec<opentelemetry_sdk::trace::SpanData> {
    let fixtures = if set == "features" {
        with_server_handoff(fixtures(set))
    } else {
        fixtures(set)
    };
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let recorder = Recorder::new();
    let client = client(
        builder(&recorder, &server)
            .conventions(Conventions::GenAiLatest)
            .build(),
    );
    let held = send_case(&client, &fixtures, &server, case).await;
    let spans = recorder.assert_all_exported(case);
    drop(held);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/latest")
        .join(format!("{case}.txt"));
    assert_golden(&path, &render(&spans));
    spans
}

#[tokio::test]
async fn a_handoff_is_a_transfer_then_the_receiving_agents_span_linked_to_it() {
    for (set, case) in [
        ("mistral", "start_stream_agent_handoff"),
        ("features", "handoff_server_start"),
    ] {
        let spans = tree(set, case).await;
        let transfer = one(&spans, "execute_tool handoff billing-agent");
        assert_eq!(transfer.span_kind, SpanKind::Internal, "{case}");
        assert_eq!(
            attr_str(transfer, "gen_ai.operation.name").as_deref(),
            Some("execute_tool")
        );
        assert_eq!(
            attr_str(transfer, "gen_ai.tool.name").as_deref(),
            Some("handoff")
        );
        assert_eq!(
            attr_str(transfer, "gen_ai.transfer.mode").as_deref(),
            Some("pass_control")
        );
        assert_eq!(
            attr_str(transfer, "gen_ai.transfer.target.name").as_deref(),
            Some("billing-agent")
        );
        // the source agent is the transfer's agent
        assert_eq!(
            attr_str(transfer, "gen_ai.agent.name").as_deref(),
            Some("triage-agent"),
            "{case}"
        );
        let receiving = one(&spans, "invoke_agent billing-agent");
        assert_eq!(receiving.span_kind, SpanKind::Internal);
        assert_eq!(
            receiving
                .links
                .links
                .first()
                .map(|l| l.span_context.span_id()),
            Some(transfer.span_context.span_id()),
            "{case}: the receiving agent's span links to the transfer"
        );
        // an internal agent span: the name, not the provider nor the hosted agent's id
        assert!(attr(receiving, "gen_ai.provider.name").is_none(), "{case}");
        assert!(attr(receiving, "gen_ai.agent.id").is_none(), "{case}");
        // both under the turn, and the transfer inside the turn's time
        let turn = spans
            .iter()
            .find(|s| s.span_kind == SpanKind::Client)
            .unwrap();
        assert_eq!(transfer.parent_span_id, turn.span_context.span_id());
        assert_eq!(receiving.parent_span_id, turn.span_context.span_id());
        assert!(transfer.start_time >= turn.start_time && transfer.end_time <= turn.end_time);
    }
}

#[tokio::test]
async fn a_streamed_turn_says_so_under_the_latest_conventions_only() {
    let spans = tree("mistral", "start_stream_tools").await;
    let turn = spans
        .iter()
        .find(|s| s.span_kind == SpanKind::Client)
        .unwrap();
    assert_eq!(
        attr(turn, "gen_ai.request.stream").map(|v| v.to_string()),
        Some("true".to_owned())
    );
    // v1.41.1 has no gen_ai.request.stream on invoke_agent
    let fixtures = fixtures("mistral");
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let recorder = Recorder::new();
    let client = client(
        builder(&recorder, &server)
            .conventions(Conventions::V1_41)
            .build(),
    );
    drop(send_case(&client, &fixtures, &server, "start_stream_tools").await);
    let spans = recorder.spans();
    let turn = spans
        .iter()
        .find(|s| s.span_kind == SpanKind::Client)
        .unwrap();
    assert!(attr(turn, "gen_ai.request.stream").is_none());
}
