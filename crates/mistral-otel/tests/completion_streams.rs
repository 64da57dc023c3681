//! Streamed chat completions (data-only SSE ending with `data: [DONE]`): time to first
//! chunk at the first chunk that carries output, tool calls assembled per `index` however
//! they are split, and every outcome: `completed` (with or without `[DONE]`), `error` (an
//! error object in the stream, a broken connection), `truncated`, `cancelled`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use mistral_mock::{Fixtures, MockServer};
use mistral_otel_test_support::metrics::points;
use mistral_otel_test_support::mock::*;
use mistral_otel_test_support::*;
use opentelemetry::Value;
use opentelemetry::trace::Status;
use serde_json::json;

const CHAT: &str = "/v1/chat/completions";
const REQUEST: &str =
    r#"{"model":"mistral-small-latest","messages":[{"role":"user","content":"Hi"}],"stream":true}"#;

/// One data-only SSE event, padded with `p` to exactly `len` bytes when `len` is given.
fn event(chunk: serde_json::Value, len: Option<usize>) -> String {
    let plain = format!("data: {chunk}\n\n");
    let Some(len) = len else { return plain };
    let mut chunk = chunk;
    chunk["p"] = json!("");
    let base = format!("data: {chunk}\n\n").len();
    assert!(base <= len, "event longer than {len}");
    chunk["p"] = json!("x".repeat(len - base));
    let padded = format!("data: {chunk}\n\n");
    assert_eq!(padded.len(), len);
    padded
}

fn chunk(delta: serde_json::Value, finish: Option<&str>) -> serde_json::Value {
    json!({"id": "cmpl-1", "object": "chat.completion.chunk", "created": 1787150313,
           "model": "mistral-small-2506",
           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
}

fn f64_attr(span: &opentelemetry_sdk::trace::SpanData, key: &str) -> f64 {
    match attr(span, key) {
        Some(Value::F64(v)) => *v,
        other => panic!("{key}: {other:?}"),
    }
}

/// A mock that sends `body` in pieces of `piece` bytes, `gap` apart.
async fn paced(name: &str, body: String, piece: usize, gap: Duration) -> (Fixtures, MockServer) {
    let mut fixtures = Fixtures::empty();
    push_case(
        &mut fixtures,
        name,
        CHAT,
        REQUEST,
        200,
        "text/event-stream",
        body,
    );
    let server = MockServer::builder(fixtures.clone())
        .chunk_bytes(piece)
        .chunk_delay(gap)
        .start()
        .await
        .unwrap();
    (fixtures, server)
}

#[tokio::test]
async fn time_to_first_chunk_is_the_first_chunk_with_output_not_the_role_chunk() {
    const LEN: usize = 400;
    let gap = Duration::from_millis(250);
    // the first output of each stream: text, a thinking part, a tool call
    let outputs = [
        json!({"content": "Hello"}),
        json!({"content": [{"type": "thinking", "thinking": [{"type": "text", "text": "Let me see."}]}]}),
        json!({"tool_calls": [{"id": "call_1", "type": "function", "index": 0,
               "function": {"name": "get_weather", "arguments": "{}"}}]}),
    ];
    for (i, output) in outputs.into_iter().enumerate() {
        // piece 1: the role (at once); piece 2: the first output (one gap later); then the end
        let body = [
            event(
                chunk(json!({"role": "assistant", "content": ""}), None),
                Some(LEN),
            ),
            event(chunk(output, None), Some(LEN)),
            event(chunk(json!({"content": ""}), Some("stop")), Some(LEN)),
            "data: [DONE]\n\n".to_owned(),
        ]
        .concat();
        let name = format!("paced_{i}");
        let (fixtures, server) = paced(&name, body, LEN, gap).await;
        let recorder = Recorder::new();
        let client = traced_client(&recorder, &server, false);
        let held = send_case(&client, &fixtures, &server, &name).await;
        let spans = recorder.assert_all_exported(&name);
        drop(held);
        let span = client_span(&spans);
        let ttfc = f64_attr(span, "gen_ai.response.time_to_first_chunk");
        // taken at the role chunk it would be about zero
        assert!(
            ttfc >= gap.as_secs_f64(),
            "case {i}: time to first chunk {ttfc}s is before the first output"
        );
        assert_eq!(
            attr_str(span, "mistral_ai.stream.outcome").as_deref(),
            Some("completed")
        );
    }
}

#[tokio::test]
async fn split_and_parallel_tool_calls_are_assembled_per_index() {
    let fixtures = fixtures("api");
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let recorder = Recorder::new();
    let client = traced_client(&recorder, &server, true);
    let held = send_case(&client, &fixtures, &server, "chat_stream_split_tool_calls").await;
    let spans = recorder.assert_all_exported("split tool calls");
    drop(held);
    let span = client_span(&spans);
    let calls: Vec<Vec<(String, String)>> = span
        .events
        .iter()
        .filter(|e| e.name == "mistral_ai.function_call")
        .map(|e| {
            let mut kv: Vec<(String, String)> = e
                .attributes
                .iter()
                .map(|kv| (kv.key.to_string(), kv.value.as_str().into_owned()))
                .collect();
            kv.sort();
            kv
        })
        .collect();
    let expected = |id: &str, city: &str| {
        vec![
            (
                "gen_ai.tool.call.arguments".to_owned(),
                format!(r#"{{"city":"{city}"}}"#),
            ),
            ("gen_ai.tool.call.id".to_owned(), id.to_owned()),
            ("gen_ai.tool.name".to_owned(), "get_weather".to_owned()),
        ]
    };
    assert_eq!(
        calls,
        vec![
            expected("call_berlin0", "Berlin"),
            expected("call_paris01", "Paris")
        ]
    );
    let output: serde_json::Value =
        serde_json::from_str(&attr_str(span, "gen_ai.output.messages").unwrap()).unwrap();
    let parts = output[0]["parts"].as_array().unwrap();
    assert_eq!(parts[0]["type"], "reasoning");
    assert_eq!(parts[0]["content"], "Two cities: call the tool twice.");
    assert_eq!(parts[1]["arguments"], json!({"city": "Berlin"}));
    assert_eq!(parts[2]["arguments"], json!({"city": "Paris"}));
    assert_eq!(output[0]["finish_reason"], "tool_calls");
}

#[tokio::test]
async fn a_stream_without_done_is_complete_when_every_choice_finished() {
    let fixtures = fixtures("api");
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let recorder = Recorder::new();
    let client = traced_client(&recorder, &server, false);
    let held = send_case(&client, &fixtures, &server, "chat_stream_without_done").await;
    drop(held);
    let spans = recorder.spans();
    let span = client_span(&spans);
    assert_eq!(span.status, Status::Unset);
    assert_eq!(
        attr_str(span, "mistral_ai.stream.outcome").as_deref(),
        Some("completed")
    );
    assert_eq!(attr_i64(span, "gen_ai.usage.output_tokens"), Some(2));
}

#[tokio::test]
async fn an_error_object_in_the_stream_ends_it_with_status_error() {
    let fixtures = fixtures("api");
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let recorder = Recorder::new();
    let client = traced_client(&recorder, &server, false);
    let held = send_case(&client, &fixtures, &server, "chat_stream_error").await;
    // ended by the error chunk itself, while the caller still holds the response
    let spans = recorder.assert_all_exported("stream error");
    drop(held);
    let span = client_span(&spans);
    assert!(
        matches!(&span.status, Status::Error { description } if description == "Internal server error")
    );
    assert_eq!(
        attr_str(span, "error.type").as_deref(),
        Some("internal_server_error")
    );
    assert_eq!(
        attr_str(span, "mistral_ai.error.code").as_deref(),
        Some("3000")
    );
    assert_eq!(
        attr_str(span, "mistral_ai.stream.outcome").as_deref(),
        Some("error")
    );
}

#[tokio::test]
async fn a_stream_cut_short_is_truncated() {
    let mut fixtures = Fixtures::empty();
    let body = [
        event(
            chunk(json!({"role": "assistant", "content": ""}), None),
            None,
        ),
        event(chunk(json!({"content": "Hel"}), None), None),
    ]
    .concat();
    push_case(
        &mut fixtures,
        "cut",
        CHAT,
        REQUEST,
        200,
        "text/event-stream",
        body,
    );
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let recorder = Recorder::new();
    let client = traced_client(&recorder, &server, false);
    let held = send_case(&client, &fixtures, &server, "cut").await;
    let spans = recorder.assert_all_exported("truncated");
    drop(held);
    let span = client_span(&spans);
    assert!(matches!(span.status, Status::Error { .. }));
    assert_eq!(
        attr_str(span, "error.type").as_deref(),
        Some("truncated_stream")
    );
    assert_eq!(
        attr_str(span, "mistral_ai.stream.outcome").as_deref(),
        Some("truncated")
    );
}

#[tokio::test]
async fn a_broken_connection_is_an_error_and_a_dropped_stream_is_cancelled() {
    let fixtures = fixtures("real/ruby_llm");
    let case = fixtures
        .cases()
        .iter()
        .find(|c| c.is_stream())
        .unwrap()
        .name
        .clone();
    // broken after the first 300 bytes
    let server = MockServer::builder(fixtures.clone())
        .fail_after_bytes(&case, 300)
        .start()
        .await
        .unwrap();
    let recorder = Recorder::new();
    let client = traced_client(&recorder, &server, false);
    let mut response = case_request(&client, &fixtures, &server, &case)
        .send()
        .await
        .unwrap();
    while let Ok(Some(_)) = response.chunk().await {}
    drop(response);
    let spans = recorder.spans();
    let span = client_span(&spans);
    assert!(matches!(span.status, Status::Error { .. }));
    assert_eq!(
        attr_str(span, "mistral_ai.stream.outcome").as_deref(),
        Some("error")
    );

    // the caller stops after the first piece
    let server = MockServer::builder(fixtures.clone())
        .chunk_bytes(64)
        .chunk_delay(Duration::from_millis(50))
        .start()
        .await
        .unwrap();
    let recorder = Recorder::new();
    let client = traced_client(&recorder, &server, false);
    let mut response = case_request(&client, &fixtures, &server, &case)
        .send()
        .await
        .unwrap();
    response.chunk().await.unwrap();
    assert!(
        recorder.spans().is_empty(),
        "ended before the caller stopped"
    );
    drop(response);
    let spans = recorder.spans();
    let span = client_span(&spans);
    assert_eq!(span.status, Status::Unset);
    assert_eq!(
        attr_str(span, "mistral_ai.stream.outcome").as_deref(),
        Some("cancelled")
    );
}

#[tokio::test]
async fn one_finish_reason_per_choice() {
    let fixtures = fixtures("api");
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let recorder = Recorder::new();
    let client = traced_client(&recorder, &server, false);
    drop(send_case(&client, &fixtures, &server, "chat_n2").await);
    let spans = recorder.spans();
    let span = client_span(&spans);
    assert_eq!(
        attr(span, "gen_ai.response.finish_reasons").map(|v| v.to_string()),
        Some("[\"stop\",\"length\"]".to_owned())
    );
    assert_eq!(attr_i64(span, "gen_ai.request.choice.count"), Some(2));
}

#[tokio::test]
async fn completion_streams_record_the_streaming_metrics() {
    let fixtures = fixtures("api");
    let server = MockServer::builder(fixtures.clone())
        .chunk_bytes(200)
        .chunk_delay(Duration::from_millis(2))
        .start()
        .await
        .unwrap();
    let recorder = Recorder::new();
    let client = traced_client(&recorder, &server, false);
    drop(send_case(&client, &fixtures, &server, "chat_stream_split_tool_calls").await);
    drop(send_case(&client, &fixtures, &server, "chat_stream_error").await);
    let metrics = recorder.metrics();
    let ttfc = points(&metrics, "gen_ai.client.operation.time_to_first_chunk");
    assert_eq!(ttfc.iter().map(|p| p.count).sum::<u64>(), 2);
    assert!(
        ttfc.iter()
            .all(|p| p.get("gen_ai.operation.name").as_deref() == Some("chat"))
    );
    let per_chunk = points(&metrics, "gen_ai.client.operation.time_per_output_chunk");
    assert!(per_chunk.iter().map(|p| p.count).sum::<u64>() >= 1);
    let duration = points(&metrics, "gen_ai.client.operation.duration");
    let errors: Vec<Option<String>> = duration.iter().map(|p| p.get("error.type")).collect();
    assert!(errors.contains(&None));
    assert!(errors.contains(&Some("internal_server_error".to_owned())));
    let tokens = points(&metrics, "gen_ai.client.token.usage");
    let input = tokens
        .iter()
        .find(|p| p.get("gen_ai.token.type").as_deref() == Some("input"))
        .unwrap();
    assert_eq!(input.sum, 88.0);
    assert_eq!(
        input.get("gen_ai.response.model").as_deref(),
        Some("mistral-small-2506")
    );
}
