//! Mistral's 2026 API features (fixtures in `tests/fixtures/features/`, written from the
//! client models): guardrail configuration, results and blocks; reasoning parts (and a
//! thinking chunk's signature never exported); agent versions and aliases; handoffs handed
//! back to the client; custom connectors and their usage.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use mistral_mock::MockServer;
use mistral_otel::braintrust::Braintrust;
use mistral_otel_test_support::mock::{builder, client, fixtures, send_case};
use mistral_otel_test_support::{Recorder, attr, attr_str, client_span, exported_text, one};
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry_sdk::trace::SpanData;

fn strings(span: &SpanData, key: &str) -> Vec<String> {
    match attr(span, key) {
        Some(opentelemetry::Value::Array(opentelemetry::Array::String(items))) => {
            items.iter().map(|s| s.as_str().to_owned()).collect()
        }
        other => panic!("{key}: {other:?}"),
    }
}

/// Replay cases in order on one client (capture on, Braintrust decoration when asked).
async fn replay(cases: &[&str], braintrust: bool) -> Vec<SpanData> {
    let fixtures = fixtures("features");
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let recorder = Recorder::new();
    let mut b = builder(&recorder, &server).capture_content(true);
    if braintrust {
        b = b.decorator(Braintrust::new());
    }
    let client = client(b.build());
    for case in cases {
        drop(send_case(&client, &fixtures, &server, case).await);
    }
    recorder.spans()
}

#[tokio::test]
async fn guardrail_configuration_and_results_are_on_the_turn() {
    let spans = replay(&["guardrails_start"], false).await;
    let turn = client_span(&spans);
    assert_eq!(
        strings(turn, "mistral_ai.guardrail.names"),
        ["moderation_llm_v2"]
    );
    assert_eq!(strings(turn, "mistral_ai.guardrail.actions"), ["block"]);
    assert_eq!(
        attr(turn, "mistral_ai.guardrail.block_on_error").map(|v| v.to_string()),
        Some("true".to_owned())
    );
    let result = turn
        .events
        .iter()
        .find(|e| e.name == "mistral_ai.guardrail.result")
        .expect("a result event");
    let get = |k: &str| {
        result
            .attributes
            .iter()
            .find(|kv| kv.key.as_str() == k)
            .map(|kv| kv.value.as_str().into_owned())
    };
    assert_eq!(
        get("mistral_ai.guardrail.name").as_deref(),
        Some("moderation_llm_v2")
    );
    assert_eq!(get("mistral_ai.guardrail.action").as_deref(), Some("none"));
    assert_eq!(
        get("mistral_ai.guardrail.violated").as_deref(),
        Some("false")
    );
    assert_eq!(turn.status, Status::Unset);
}

#[tokio::test]
async fn a_blocked_request_is_a_guardrail_error_with_the_categories_that_tripped_it() {
    for (case, error_type) in [
        ("guardrails_blocked", "guardrail_blocked"),
        ("chat_guardrails_blocked", "guardrail_blocked"),
        ("guardrails_error", "guardrail_error"),
    ] {
        let spans = replay(&[case], false).await;
        let span = client_span(&spans);
        assert!(matches!(span.status, Status::Error { .. }), "{case}");
        assert_eq!(
            attr_str(span, "error.type").as_deref(),
            Some(error_type),
            "{case}"
        );
        assert!(
            span.events
                .iter()
                .any(|e| e.name == "mistral_ai.guardrail.result"),
            "{case}"
        );
        if case != "guardrails_error" {
            assert!(
                !strings(span, "mistral_ai.guardrail.categories").is_empty(),
                "{case}"
            );
            // the message of the nested error object, not "HTTP 403"
            assert!(
                matches!(&span.status, Status::Error { description } if description.contains("blocked by guardrail")),
                "{case}: {:?}",
                span.status
            );
        } else {
            assert_eq!(
                attr_str(span, "mistral_ai.error.code").as_deref(),
                Some("3201")
            );
        }
    }
}

#[tokio::test]
async fn reasoning_is_a_part_of_the_output_and_its_signature_never_leaves() {
    let spans = replay(&["reasoning_start_stream", "reasoning_chat"], true).await;
    let text = exported_text(&spans);
    for signature in ["WrWIJpLqP3S+0Z8NjAj8eCu", "hfwd6g0Qs6ZOXdQVUcTdjDxHs"] {
        assert!(
            !text.contains(signature),
            "a thinking signature was exported"
        );
    }
    let turn = spans
        .iter()
        .find(|s| s.span_kind == SpanKind::Client && s.name.starts_with("invoke_agent"))
        .unwrap();
    let chat = spans
        .iter()
        .find(|s| s.span_kind == SpanKind::Client && s.name.starts_with("chat"))
        .unwrap();
    for span in [turn, chat] {
        let output: serde_json::Value =
            serde_json::from_str(&attr_str(span, "gen_ai.output.messages").unwrap()).unwrap();
        let kinds: Vec<&str> = output[0]["parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds.first(),
            Some(&"reasoning"),
            "{}: {kinds:?}",
            span.name
        );
        assert!(kinds.contains(&"text"), "{}", span.name);
    }
    assert_eq!(
        attr_str(turn, "mistral_ai.request.reasoning_effort").as_deref(),
        Some("high"),
        "completion_args.reasoning_effort"
    );
}

#[tokio::test]
async fn an_agent_version_is_a_number_or_an_alias() {
    let spans = replay(&["agent_version_start", "agent_alias_start"], false).await;
    let turns: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.span_kind == SpanKind::Client)
        .collect();
    assert_eq!(
        attr_str(turns[0], "gen_ai.agent.version").as_deref(),
        Some("3")
    );
    assert!(attr(turns[0], "mistral_ai.agent.version_alias").is_none());
    assert_eq!(
        attr_str(turns[1], "mistral_ai.agent.version_alias").as_deref(),
        Some("production")
    );
    assert!(attr(turns[1], "gen_ai.agent.version").is_none());
}

#[tokio::test]
async fn a_handoff_handed_back_to_the_client_is_on_the_turn_and_the_next_call_links_to_it() {
    let spans = replay(&["handoff_client_start", "handoff_client_next"], false).await;
    let turns: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.span_kind == SpanKind::Client)
        .collect();
    assert_eq!(turns.len(), 2);
    let (handing, next) = (turns[0], turns[1]);
    // the receiving agent did not run in the first turn: no span of it there
    assert!(!spans.iter().any(|s| s.span_kind == SpanKind::Internal
        && s.parent_span_id == handing.span_context.span_id()
        && s.name == "invoke_agent billing-agent"));
    let event = handing
        .events
        .iter()
        .find(|e| e.name == "mistral_ai.handoff")
        .expect("the handoff on the turn");
    assert!(
        event
            .attributes
            .iter()
            .any(|kv| kv.key.as_str() == "mistral_ai.handoff.next_agent_name"
                && kv.value.as_str() == "billing-agent")
    );
    assert_eq!(
        attr_str(handing, "mistral_ai.handoff.next_agent_name").as_deref(),
        Some("billing-agent")
    );
    // the client's next call is the receiving agent's, and links to the handoff
    assert_eq!(next.name, "invoke_agent billing-agent");
    assert!(
        next.links
            .links
            .iter()
            .any(|l| l.span_context.span_id() == handing.span_context.span_id())
    );
    assert_eq!(
        attr_str(next, "mistral_ai.handoff.previous_agent_name").as_deref(),
        Some("triage-agent")
    );
}

#[tokio::test]
async fn a_custom_connector_is_an_extension_tool_and_its_credential_never_leaves() {
    let spans = replay(&["connector_start_stream"], true).await;
    let tool = one(&spans, "execute_tool jira_search");
    assert_eq!(
        attr_str(tool, "gen_ai.tool.type").as_deref(),
        Some("extension")
    );
    let turn = client_span(&spans);
    assert_eq!(
        attr(turn, "mistral_ai.usage.connectors.jira_search").map(|v| v.to_string()),
        Some("1".to_owned()),
        "a string count is read as a number"
    );
    assert!(attr(turn, "mistral_ai.usage.connector_tokens").is_some());
    assert!(
        attr_str(turn, "gen_ai.tool.definitions")
            .unwrap()
            .contains("jira"),
        "the connector is named among the tools"
    );
    assert!(!exported_text(&spans).contains("JIRA_API_TOKEN"));
}
