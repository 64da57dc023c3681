//! Parallel outputs are told apart by `output_index`: deltas that interleave (4, 5, 4, 5)
//! give one span or one function-call event per output, with its own text and arguments,
//! and the tree does not depend on the interleaving or on the capture setting.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;

use mistral_mock::{Fixtures, MockServer};
use mistral_otel_test_support::golden::{Render, render_with};
use mistral_otel_test_support::mock::{push_turn_case, send_case, traced_client};
use mistral_otel_test_support::{Recorder, attr_str, client_span, fixtures_dir};
use mistral_otel_wire::SseParser;
use opentelemetry_sdk::trace::SpanData;
use proptest::prelude::*;
use serde_json::{Value, json};

const SSE: &str = "text/event-stream; charset=utf-8";

fn sse(events: &[Value]) -> String {
    events
        .iter()
        .map(|e| format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap()))
        .collect()
}

fn started() -> Value {
    json!({"type": "conversation.response.started", "conversation_id": "conv_1"})
}

fn done() -> Value {
    json!({"type": "conversation.response.done",
           "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}})
}

fn call(index: u32, id: &str, name: &str, args: &str) -> Value {
    json!({"type": "function.call.delta", "output_index": index, "id": format!("fc_{id}"),
           "name": name, "tool_call_id": id, "arguments": args, "model": "mistral-medium-latest"})
}

fn text(index: u32, chunk: &str) -> Value {
    json!({"type": "message.output.delta", "output_index": index, "id": format!("msg_{index}"),
           "content_index": 0, "model": "mistral-medium-latest", "role": "assistant", "content": chunk})
}

/// Replay one synthetic stream and return its spans.
async fn replay(body: String, capture: bool) -> Vec<SpanData> {
    let mut fixtures = Fixtures::empty();
    push_turn_case(
        &mut fixtures,
        "s",
        "/v1/conversations",
        true,
        200,
        SSE,
        body,
    );
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let recorder = Recorder::new();
    let held = send_case(
        &traced_client(&recorder, &server, capture),
        &fixtures,
        &server,
        "s",
    )
    .await;
    let spans = recorder.assert_all_exported("stream");
    drop(held);
    spans
}

fn function_calls(span: &SpanData) -> Vec<BTreeMap<String, String>> {
    span.events
        .iter()
        .filter(|e| e.name == "mistral_ai.function_call")
        .map(|e| {
            e.attributes
                .iter()
                .map(|kv| (kv.key.to_string(), kv.value.as_str().into_owned()))
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn interleaved_function_call_deltas_give_one_event_per_call_with_whole_arguments() {
    let body = sse(&[
        started(),
        call(4, "A", "get_weather", r#"{"city":"#),
        call(5, "B", "get_time", r#"{"tz":"#),
        call(4, "A", "get_weather", r#""Paris"}"#),
        call(5, "B", "get_time", r#""CET"}"#),
        done(),
    ]);
    for capture in [false, true] {
        let spans = replay(body.clone(), capture).await;
        let turn = client_span(&spans);
        let calls = function_calls(turn);
        assert_eq!(calls.len(), 2, "capture={capture}: {calls:?}");
        assert_eq!(calls[0]["gen_ai.tool.call.id"], "A");
        assert_eq!(calls[0]["gen_ai.tool.name"], "get_weather");
        assert_eq!(calls[1]["gen_ai.tool.call.id"], "B");
        assert_eq!(calls[1]["gen_ai.tool.name"], "get_time");
        assert_eq!(
            attr_str(turn, "gen_ai.response.finish_reasons").as_deref(),
            Some(r#"["tool_call"]"#)
        );
        if capture {
            let args: Vec<Value> = calls
                .iter()
                .map(|c| serde_json::from_str(&c["gen_ai.tool.call.arguments"]).unwrap())
                .collect();
            assert_eq!(args, vec![json!({"city": "Paris"}), json!({"tz": "CET"})]);
            let output: Value =
                serde_json::from_str(&attr_str(turn, "gen_ai.output.messages").unwrap()).unwrap();
            let parts = output[0]["parts"].as_array().unwrap();
            let ids: Vec<&str> = parts.iter().map(|p| p["id"].as_str().unwrap()).collect();
            assert_eq!(ids, ["A", "B"], "each call listed once: {parts:?}");
        }
    }
}

#[tokio::test]
async fn interleaved_message_deltas_give_one_chat_span_per_output_with_capture_on_and_off() {
    let body = sse(&[
        started(),
        text(0, "Hel"),
        text(1, "Bon"),
        text(0, "lo"),
        text(1, "jour"),
        text(0, "!"),
        done(),
    ]);
    for capture in [false, true] {
        let spans = replay(body.clone(), capture).await;
        let chats: Vec<&SpanData> = spans
            .iter()
            .filter(|s| s.name.starts_with("chat"))
            .collect();
        assert_eq!(chats.len(), 2, "capture={capture}");
        if capture {
            let mut texts: Vec<String> = chats
                .iter()
                .map(|c| {
                    let v: Value =
                        serde_json::from_str(&attr_str(c, "gen_ai.output.messages").unwrap())
                            .unwrap();
                    v[0]["parts"][0]["content"].as_str().unwrap().to_owned()
                })
                .collect();
            texts.sort();
            assert_eq!(texts, ["Bonjour", "Hello!"]);
        }
    }
}

#[tokio::test]
async fn a_tool_started_at_a_higher_index_does_not_split_an_open_function_call() {
    let body = sse(&[
        started(),
        call(0, "A", "lookup", r#"{"id":"#),
        json!({"type": "tool.execution.started", "output_index": 1, "id": "tool_exec_1",
               "name": "web_search", "arguments": ""}),
        call(0, "A", "lookup", r#"7}"#),
        json!({"type": "tool.execution.delta", "output_index": 1, "id": "tool_exec_1",
               "name": "web_search", "arguments": r#"{"query":"x"}"#}),
        json!({"type": "tool.execution.done", "output_index": 1, "id": "tool_exec_1",
               "name": "web_search", "info": {}}),
        done(),
    ]);
    for capture in [false, true] {
        let spans = replay(body.clone(), capture).await;
        let calls = function_calls(client_span(&spans));
        assert_eq!(calls.len(), 1, "capture={capture}: {calls:?}");
        if capture {
            assert_eq!(calls[0]["gen_ai.tool.call.arguments"], r#"{"id":7}"#);
        }
        assert_eq!(
            spans
                .iter()
                .filter(|s| s.name == "execute_tool web_search")
                .count(),
            1
        );
    }
}

/// One SSE event of a fixture: its name and data.
#[derive(Debug, Clone)]
struct Event {
    name: String,
    data: String,
}

fn events_of(body: &[u8]) -> Vec<Event> {
    let mut parser = SseParser::new();
    let mut out = Vec::new();
    parser
        .push(body, |e| {
            out.push(Event {
                name: e.event.to_owned(),
                data: String::from_utf8(e.data.to_vec()).unwrap(),
            });
        })
        .unwrap();
    parser.finish(|_| {}).unwrap();
    out
}

fn index_of(event: &Event) -> Option<u64> {
    serde_json::from_str::<Value>(&event.data).ok()?["output_index"].as_u64()
}

/// Interleave the outputs' events at random, each output keeping its own order. Events
/// without an output stay where they are, and a handoff stays a barrier: the server sends
/// it before the outputs of the agent it hands to.
fn interleave(events: &[Event], seed: u64) -> Vec<Event> {
    let mut rng = seed | 1;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut out = Vec::new();
    let mut segment: BTreeMap<u64, Vec<Event>> = BTreeMap::new();
    let mut flush = |segment: &mut BTreeMap<u64, Vec<Event>>, out: &mut Vec<Event>| {
        let mut queues: Vec<std::collections::VecDeque<Event>> = std::mem::take(segment)
            .into_values()
            .map(Into::into)
            .collect();
        while !queues.is_empty() {
            let pick = (next() % queues.len() as u64) as usize;
            out.push(queues[pick].pop_front().unwrap());
            if queues[pick].is_empty() {
                queues.remove(pick);
            }
        }
    };
    for event in events {
        match (index_of(event), event.name.starts_with("agent.handoff")) {
            (Some(index), false) => segment.entry(index).or_default().push(event.clone()),
            _ => {
                flush(&mut segment, &mut out);
                out.push(event.clone());
            }
        }
    }
    flush(&mut segment, &mut out);
    out
}

fn body_of(events: &[Event]) -> String {
    events
        .iter()
        .map(|e| format!("event: {}\ndata: {}\n\n", e.name, e.data))
        .collect()
}

const STREAM_CASES: [&str; 4] = [
    "start_stream_tools",
    "start_stream_agent_handoff",
    "append_stream_function_result",
    "start_stream_error",
];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn any_interleaving_of_a_fixtures_outputs_gives_the_same_tree_with_capture_on_and_off(
        seed in any::<u64>(),
    ) {
        let fixtures = Fixtures::load(fixtures_dir("mistral")).unwrap();
        let rt = runtime();
        for case in STREAM_CASES {
            let body = fixtures.response_body(fixtures.case(case).unwrap()).unwrap();
            let events = events_of(&body);
            let reference = rt.block_on(replay(body_of(&events), false));
            let reference = render_with(&reference, Render { without_content: true });
            let shuffled = body_of(&interleave(&events, seed));
            for capture in [false, true] {
                let spans = rt.block_on(replay(shuffled.clone(), capture));
                let tree = render_with(&spans, Render { without_content: true });
                prop_assert_eq!(&tree, &reference, "{} seed {} capture {}", case, seed, capture);
            }
        }
    }
}
