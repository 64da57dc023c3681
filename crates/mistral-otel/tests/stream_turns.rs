//! Streaming turns: the span tree built live from SSE, replayed whole and in every
//! chunking, timed, and ended honestly on every path.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use mistral_mock::{Fixtures, MockServer};
use mistral_otel_test_support::mock::*;
use mistral_otel_test_support::*;
use opentelemetry::Value;
use opentelemetry::trace::Status;
use opentelemetry_sdk::trace::SpanData;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const STREAM_CASES: [&str; 4] = [
    "start_stream_tools",
    "start_stream_agent_handoff",
    "append_stream_function_result",
    "start_stream_error",
];

fn outcome(span: &SpanData) -> Option<String> {
    attr_str(span, "mistral_ai.stream.outcome")
}

fn turn(spans: &[SpanData]) -> &SpanData {
    spans
        .iter()
        .find(|s| s.span_kind == opentelemetry::trace::SpanKind::Client)
        .expect("turn span")
}

/// Replay one case with a given server chunking and return the spans.
async fn replay(
    builder: impl FnOnce(Fixtures) -> mistral_mock::MockServerBuilder,
    case: &str,
    capture: bool,
) -> (Vec<SpanData>, Recorder) {
    let recorder = Recorder::new();
    let fixtures = fixtures("mistral");
    let server = builder(fixtures.clone()).start().await.unwrap();
    let client = traced_client(&recorder, &server, capture);
    let seen = send_case(&client, &fixtures, &server, case).await;
    assert_eq!(
        Some(seen.body.clone()),
        fixtures.response_body(fixtures.case(case).unwrap()),
        "bytes differ for {case}"
    );
    // the response is still held: every span was ended by the instrumentation
    let spans = recorder.assert_all_exported(case);
    drop(seen);
    assert_children_inside_parents(&spans);
    (spans, recorder)
}

#[tokio::test]
async fn every_stream_fixture_gives_the_same_tree_in_every_chunking() {
    for case in STREAM_CASES {
        let (whole, _) = replay(MockServer::builder, case, false).await;
        let reference = tree_shape(&whole);
        let expected = fixtures("mistral")
            .expected_aggregate(fixtures("mistral").case(case).unwrap())
            .unwrap();
        for (label, spans) in [
            (
                "1",
                replay(|f| MockServer::builder(f).chunk_bytes(1), case, false)
                    .await
                    .0,
            ),
            (
                "7",
                replay(|f| MockServer::builder(f).chunk_bytes(7), case, false)
                    .await
                    .0,
            ),
            (
                "13",
                replay(|f| MockServer::builder(f).chunk_bytes(13), case, true)
                    .await
                    .0,
            ),
            (
                "random",
                replay(
                    |f| MockServer::builder(f).random_chunks(0x5eed, 40),
                    case,
                    true,
                )
                .await
                .0,
            ),
        ] {
            assert_eq!(
                tree_shape(&spans),
                reference,
                "{case} in {label}-byte chunks"
            );
            let t = turn(&spans);
            assert_eq!(
                attr_i64(t, "mistral_ai.stream.event_count"),
                expected["event_count"].as_i64(),
                "{case}"
            );
            assert_eq!(
                attr_str(t, "gen_ai.conversation.id").as_deref(),
                expected["conversation_id"].as_str(),
                "{case}"
            );
            match expected["terminal"].as_str().unwrap() {
                "done" => {
                    assert_eq!(outcome(t).as_deref(), Some("completed"), "{case}");
                    assert_eq!(
                        attr_i64(t, "gen_ai.usage.input_tokens"),
                        expected["usage"]["prompt_tokens"].as_i64()
                    );
                    assert_eq!(
                        attr_i64(t, "gen_ai.usage.output_tokens"),
                        expected["usage"]["completion_tokens"].as_i64()
                    );
                    assert_eq!(t.status, Status::Unset);
                }
                "error" => {
                    assert_eq!(outcome(t).as_deref(), Some("error"));
                    assert!(matches!(t.status, Status::Error { .. }));
                    assert_eq!(
                        attr_str(t, "error.type"),
                        Some(expected["error"]["code"].to_string())
                    );
                }
                other => panic!("unexpected terminal {other}"),
            }
            assert!(
                attr(t, "gen_ai.response.time_to_first_chunk").is_some(),
                "{case}: no TTFT"
            );
        }
    }
}

#[tokio::test]
async fn tools_stream_has_a_timed_tool_span_and_a_chat_span() {
    let (spans, _) = replay(MockServer::builder, "start_stream_tools", true).await;
    let names = names(&spans);
    let tool = spans
        .iter()
        .find(|s| s.name.starts_with("execute_tool "))
        .unwrap_or_else(|| panic!("{names:?}"));
    let chat = spans
        .iter()
        .find(|s| s.name.starts_with("chat"))
        .unwrap_or_else(|| panic!("{names:?}"));
    assert!(tool.end_time <= chat.start_time);
    assert!(attr_str(tool, "gen_ai.tool.call.arguments").is_some());
    let t = turn(&spans);
    let output: serde_json::Value =
        serde_json::from_str(&attr_str(t, "gen_ai.output.messages").unwrap()).unwrap();
    let parts = output[0]["parts"].as_array().unwrap();
    assert_eq!(parts[0]["type"], "server_tool_call");
    assert!(
        parts.iter().any(|p| p["type"] == "tool_reference"),
        "{parts:?}"
    );
}

#[tokio::test]
async fn handoff_stream_nests_outputs_under_the_next_agent() {
    let (spans, _) = replay(MockServer::builder, "start_stream_agent_handoff", true).await;
    let t = turn(&spans);
    let handoff = one(&spans, "invoke_agent billing-agent");
    assert_eq!(handoff.parent_span_id, t.span_context.span_id());
    assert_eq!(
        attr_str(handoff, "mistral_ai.handoff.previous_agent_name").as_deref(),
        Some("triage-agent")
    );
    let under = children(&spans, handoff);
    assert_eq!(under.len(), 1);
    assert!(under[0].name.starts_with("chat"));
    let call = handoff
        .events
        .iter()
        .find(|e| e.name == "mistral_ai.function_call")
        .expect("function call event on the handoff span");
    let get = |k: &str| {
        call.attributes
            .iter()
            .find(|kv| kv.key.as_str() == k)
            .map(|kv| kv.value.as_str().into_owned())
    };
    assert_eq!(get("gen_ai.tool.name").as_deref(), Some("lookup_invoice"));
    assert_eq!(get("gen_ai.tool.call.id").as_deref(), Some("OqIjrMNyX"));
    let args: serde_json::Value =
        serde_json::from_str(&get("gen_ai.tool.call.arguments").unwrap()).unwrap();
    assert_eq!(args["invoice_id"], "INV-20391");
    assert_eq!(
        attr_str(t, "gen_ai.response.finish_reasons").as_deref(),
        Some(r#"["tool_call"]"#)
    );
}

/// A raw HTTP/1.1 server that sends SSE events `gap` apart, recording when each was sent.
async fn paced_server(
    events: Vec<&'static str>,
    gap: Duration,
) -> (String, tokio::sync::mpsc::UnboundedReceiver<Instant>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 65536];
        let _ = sock.read(&mut buf).await;
        sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
            .await
            .unwrap();
        for (i, ev) in events.iter().enumerate() {
            if i > 0 {
                tokio::time::sleep(gap).await;
            }
            let chunk = format!("{:x}\r\n{ev}\r\n", ev.len());
            let _ = tx.send(Instant::now());
            if sock.write_all(chunk.as_bytes()).await.is_err() {
                return;
            }
            let _ = sock.flush().await;
        }
        let _ = sock.write_all(b"0\r\n\r\n").await;
    });
    (format!("http://{addr}"), rx)
}

const STARTED: &str = "event: conversation.response.started\ndata: {\"type\":\"conversation.response.started\",\"conversation_id\":\"conv_paced\"}\n\n";
const DELTA: &str = "event: message.output.delta\ndata: {\"type\":\"message.output.delta\",\"output_index\":0,\"id\":\"msg_1\",\"content_index\":0,\"model\":\"mistral-small-latest\",\"role\":\"assistant\",\"content\":\"Hi\"}\n\n";
const DONE: &str = "event: conversation.response.done\ndata: {\"type\":\"conversation.response.done\",\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}\n\n";

#[tokio::test]
async fn first_chunk_reaches_the_caller_before_the_next_is_sent_and_ttft_is_exact() {
    let recorder = Recorder::new();
    let gap = Duration::from_millis(200);
    let (base, mut sent) = paced_server(vec![STARTED, DELTA, DELTA, DONE], gap).await;
    let client = client(
        mistral_otel::MistralTracing::builder()
            .host("127.0.0.1")
            .tracer_provider(&recorder.provider)
            .build(),
    );
    let before = Instant::now();
    let resp = client
        .post(format!("{base}/v1/conversations"))
        .header("accept", "text/event-stream")
        .body(r#"{"inputs":"hi","model":"mistral-small-latest","stream":true}"#)
        .send()
        .await
        .unwrap();
    let mut stream = resp.bytes_stream();
    let first = stream.next().await.unwrap().unwrap();
    let first_at = Instant::now();
    assert_eq!(&first[..], STARTED.as_bytes());
    let mut rest = Vec::new();
    while let Some(chunk) = stream.next().await {
        rest.push(chunk.unwrap());
    }
    let _started_sent = sent.recv().await.unwrap();
    let second_sent = sent.recv().await.unwrap();
    assert!(
        first_at < second_sent,
        "the caller waited for the second event: buffering"
    );
    assert_eq!(rest.len(), 3);
    let spans = recorder.spans();
    let t = turn(&spans);
    let ttft = match attr(t, "gen_ai.response.time_to_first_chunk") {
        Some(Value::F64(v)) => *v,
        other => panic!("ttft {other:?}"),
    };
    let real = second_sent.duration_since(before).as_secs_f64();
    assert!(
        (ttft - real).abs() < 0.02,
        "ttft {ttft} vs first delta sent after {real}"
    );
    assert!(
        ttft >= gap.as_secs_f64() * 0.9,
        "ttft {ttft} counted the started event"
    );
    assert_eq!(outcome(t).as_deref(), Some("completed"));
}

#[tokio::test]
async fn dropping_the_stream_after_the_first_chunk_ends_everything_as_cancelled() {
    let recorder = Recorder::new();
    let fixtures = fixtures("mistral");
    let server = MockServer::builder(fixtures.clone())
        .chunk_bytes(300)
        .chunk_delay(Duration::from_millis(5))
        .start()
        .await
        .unwrap();
    let client = traced_client(&recorder, &server, true);
    let resp = case_request(&client, &fixtures, &server, "start_stream_tools")
        .send()
        .await
        .unwrap();
    let mut stream = resp.bytes_stream();
    for _ in 0..6 {
        stream.next().await.unwrap().unwrap();
    }
    drop(stream);
    let spans = recorder.spans();
    // "cancelled" is written only by the instrumentation's own end at drop
    let t = turn(&spans);
    assert_eq!(outcome(t).as_deref(), Some("cancelled"));
    assert_eq!(t.status, Status::Unset);
    assert!(attr(t, "gen_ai.response.time_to_first_chunk").is_some());
    assert_children_inside_parents(&spans);
}

#[tokio::test]
async fn dropping_the_response_before_reading_ends_the_turn_as_cancelled() {
    let recorder = Recorder::new();
    let fixtures = fixtures("mistral");
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let client = traced_client(&recorder, &server, false);
    let resp = case_request(&client, &fixtures, &server, "start_stream_agent_handoff")
        .send()
        .await
        .unwrap();
    drop(resp);
    let spans = recorder.spans();
    assert_eq!(spans.len(), 1);
    assert_eq!(outcome(&spans[0]).as_deref(), Some("cancelled"));
}

fn truncated_fixtures(cut: impl Fn(&[u8]) -> Vec<u8>) -> (Fixtures, &'static str) {
    let mut fixtures = fixtures("mistral");
    let base = fixtures.case("start_stream_tools").unwrap().clone();
    let body = fixtures.response_body(&base).unwrap();
    let request = fixtures.request_body(&base);
    let mut case = base.clone();
    case.name = "truncated".into();
    fixtures.push_case(case, request, Some(bytes::Bytes::from(cut(&body))));
    (fixtures, "truncated")
}

#[tokio::test]
async fn a_body_cut_mid_event_ends_as_truncated_with_tools_incomplete() {
    let text = String::from_utf8(
        fixtures("mistral")
            .response_body(fixtures("mistral").case("start_stream_tools").unwrap())
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    // cut inside the JSON of the first tool.execution.delta
    let at = text.find("event: tool.execution.delta").unwrap() + 60;
    let (fixtures, name) = truncated_fixtures(|b| b[..at].to_vec());
    let recorder = Recorder::new();
    let server = MockServer::builder(fixtures.clone())
        .chunk_bytes(11)
        .start()
        .await
        .unwrap();
    let client = traced_client(&recorder, &server, false);
    let held = send_case(&client, &fixtures, &server, name).await;
    let spans = recorder.assert_all_exported(name);
    drop(held);
    let t = turn(&spans);
    assert_eq!(outcome(t).as_deref(), Some("truncated"));
    assert_eq!(
        attr_str(t, "error.type").as_deref(),
        Some("truncated_stream")
    );
    assert!(matches!(t.status, Status::Error { .. }));
    let tool = spans
        .iter()
        .find(|s| s.name.starts_with("execute_tool"))
        .unwrap();
    assert_eq!(
        attr(tool, "mistral_ai.tool.incomplete"),
        Some(&Value::Bool(true))
    );
    assert_children_inside_parents(&spans);
}

#[tokio::test]
async fn a_final_event_without_blank_line_is_still_dispatched() {
    // drop the last "\n": the done event has no blank line after it
    let (fixtures, name) = truncated_fixtures(|b| b[..b.len() - 1].to_vec());
    let recorder = Recorder::new();
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let client = traced_client(&recorder, &server, false);
    let held = send_case(&client, &fixtures, &server, name).await;
    let spans = recorder.assert_all_exported(name);
    drop(held);
    assert_eq!(outcome(turn(&spans)).as_deref(), Some("completed"));
}

#[tokio::test]
async fn a_connection_reset_mid_stream_ends_as_error_and_the_caller_gets_the_error() {
    let recorder = Recorder::new();
    let fixtures = fixtures("mistral");
    let server = MockServer::builder(fixtures.clone())
        .fail_after_bytes("start_stream_tools", 2000)
        .start()
        .await
        .unwrap();
    let client = traced_client(&recorder, &server, false);
    let resp = case_request(&client, &fixtures, &server, "start_stream_tools")
        .send()
        .await
        .unwrap();
    let mut stream = resp.bytes_stream();
    let mut got_error = false;
    while let Some(chunk) = stream.next().await {
        if chunk.is_err() {
            got_error = true;
            break;
        }
    }
    assert!(got_error, "the caller must see the transport error");
    let spans = recorder.assert_all_exported("reset");
    drop(stream);
    let t = turn(&spans);
    assert_eq!(outcome(t).as_deref(), Some("error"));
    assert!(matches!(t.status, Status::Error { .. }));
    assert!(attr_str(t, "error.type").is_some());
}

#[tokio::test]
async fn an_event_larger_than_the_cap_stops_collection_but_not_the_bytes() {
    let recorder = Recorder::new();
    let fixtures = fixtures("mistral");
    let server = MockServer::builder(fixtures.clone())
        .chunk_bytes(64)
        .start()
        .await
        .unwrap();
    let client = client(
        mistral_otel::MistralTracing::builder()
            .host("127.0.0.1")
            .tracer_provider(&recorder.provider)
            .metrics(false)
            .max_event_bytes(100)
            .build(),
    );
    let seen = send_case(&client, &fixtures, &server, "start_stream_tools").await;
    assert_eq!(
        Some(seen.body.clone()),
        fixtures.response_body(fixtures.case("start_stream_tools").unwrap())
    );
    let spans = recorder.assert_all_exported("overflow");
    drop(seen);
    assert_eq!(
        attr(turn(&spans), "mistral_ai.stream.overflow"),
        Some(&Value::Bool(true))
    );
}

/// The error chain a caller sees, as text.
fn chain(err: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut out = vec![err.to_string()];
    let mut cur = err.source();
    while let Some(e) = cur {
        out.push(e.to_string());
        cur = e.source();
    }
    out
}

#[tokio::test]
async fn a_mid_stream_error_reaches_the_caller_as_a_bare_client_would_see_it() {
    let fixtures = fixtures("mistral");
    let server = MockServer::builder(fixtures.clone())
        .fail_after_bytes("start_stream_tools", 1500)
        .start()
        .await
        .unwrap();
    let recorder = Recorder::new();
    let bare = reqwest_middleware::ClientBuilder::new(reqwest::Client::new()).build();
    let traced = traced_client(&recorder, &server, false);
    let mut seen = Vec::new();
    for client in [&bare, &traced] {
        let resp = case_request(client, &fixtures, &server, "start_stream_tools")
            .send()
            .await
            .unwrap();
        let mut stream = resp.bytes_stream();
        let mut bytes = 0;
        let err = loop {
            match stream.next().await {
                Some(Ok(chunk)) => bytes += chunk.len(),
                Some(Err(e)) => break e,
                None => panic!("no error"),
            }
        };
        seen.push((
            bytes,
            err.is_body(),
            err.is_decode(),
            err.is_timeout(),
            chain(&err),
        ));
    }
    assert_eq!(seen[0].0, seen[1].0, "same bytes before the error");
    assert_eq!(
        (seen[0].1, seen[0].2, seen[0].3),
        (seen[1].1, seen[1].2, seen[1].3),
        "same error kind"
    );
    assert_eq!(
        seen[0].4.first(),
        seen[1].4.first(),
        "same top-level message"
    );
    assert_eq!(seen[0].4.last(), seen[1].4.last(), "same root cause");
    // known difference: reqwest wraps a body error once per `reqwest::Body` layer, and a
    // tapped response has two more ("request or response body error") in its source chain
    assert_eq!(seen[1].4.len(), seen[0].4.len() + 2);
}
