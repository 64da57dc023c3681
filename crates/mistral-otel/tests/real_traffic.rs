//! Every exchange recorded from the live API (`tests/fixtures/real/`, 156 cases from other
//! projects' test suites) replayed through the middleware, each folder in manifest order on
//! one client. What each span must say is worked out here from the recorded bytes alone,
//! with `serde_json` and a few lines of SSE splitting (an oracle independent of the wire
//! crate): the contract's span name and operation, the request model, the response id and
//! model, usage, one finish reason per choice, one `mistral_ai.function_call` event per
//! tool call, a time to first chunk and outcome `completed` for each stream, and for each
//! error body status ERROR with the `error.type` its envelope gives.
//!
//! The same cases cut into 1, 7 and 13 byte pieces and pieces of random size give the same
//! trees as whole bodies.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;

use mistral_mock::{Case, Fixtures, MockServer};
use mistral_otel_test_support::golden::render;
use mistral_otel_test_support::mock::{builder, client, fixtures, send_case};
use mistral_otel_test_support::{Recorder, attr, attr_i64, attr_str};
use opentelemetry::Value;
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry_sdk::trace::SpanData;
use serde_json::Value as Json;

const FOLDERS: [&str; 5] = [
    "braintrust-sdk-javascript",
    "issue-reports-errors",
    "mistral-docs",
    "openllmetry",
    "ruby_llm",
];

/// What the recorded bytes say a span must carry.
#[derive(Debug, Default)]
struct Expected {
    name: String,
    operation: Option<&'static str>,
    request_model: Option<String>,
    error_type: Option<String>,
    response_id: Option<String>,
    response_model: Option<String>,
    input_tokens: Option<i64>,
    output_tokens: Option<i64>,
    cached_tokens: Option<i64>,
    finish_reasons: Vec<String>,
    /// (tool call id, name) of every tool call, in choice then index order.
    tool_calls: Vec<(String, String)>,
    /// Completion streams: data events other than `[DONE]`.
    chunks: Option<i64>,
    stream: bool,
}

fn json(bytes: &[u8]) -> Option<Json> {
    serde_json::from_slice(bytes).ok()
}

fn int(v: Option<&Json>) -> Option<i64> {
    v.and_then(Json::as_i64)
}

fn text(v: Option<&Json>) -> Option<String> {
    v.and_then(Json::as_str).map(str::to_owned)
}

/// The data of each SSE event, and the event name when there is one.
fn sse_events(body: &[u8]) -> Vec<(Option<String>, String)> {
    let body = String::from_utf8_lossy(body).replace("\r\n", "\n");
    body.split("\n\n")
        .filter_map(|block| {
            let mut name = None;
            let mut data = Vec::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = Some(v.trim().to_owned());
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push(v.strip_prefix(' ').unwrap_or(v).to_owned());
                }
            }
            (!data.is_empty()).then(|| (name, data.join("\n")))
        })
        .collect()
}

fn usage_into(e: &mut Expected, usage: &Json) {
    e.input_tokens = int(usage.get("prompt_tokens"));
    e.output_tokens = int(usage.get("completion_tokens"));
    e.cached_tokens = int(usage.pointer("/prompt_tokens_details/cached_tokens"));
}

fn expected(fixtures: &Fixtures, case: &Case, agent_names: &BTreeMap<String, String>) -> Expected {
    let request = fixtures.request_body(case).and_then(|b| json(&b));
    let body = fixtures.response_body(case).unwrap_or_default();
    let path = case.path.as_str();
    let (operation, qualifier) = match path {
        "/v1/chat/completions" => (Some("chat"), "model"),
        "/v1/fim/completions" => (Some("text_completion"), "model"),
        "/v1/agents/completions" => (Some("invoke_agent"), "agent"),
        "/v1/embeddings" => (Some("embeddings"), "model"),
        "/v1/moderations" | "/v1/chat/moderations" => (Some("moderation"), "model"),
        "/v1/conversations" => (Some("invoke_agent"), "none"),
        "/v1/agents" => (Some("create_agent"), "name"),
        _ => (None, "none"),
    };
    let req = |key: &str| request.as_ref().and_then(|r| text(r.get(key)));
    let mut e = Expected {
        operation,
        request_model: req("model").filter(|_| qualifier != "name"),
        stream: request
            .as_ref()
            .and_then(|r| r.get("stream"))
            .and_then(Json::as_bool)
            .unwrap_or(false),
        ..Expected::default()
    };
    let q = match qualifier {
        "model" => req("model"),
        "name" => req("name"),
        "agent" => req("agent_id").and_then(|id| agent_names.get(&id).cloned()),
        _ => None,
    };
    e.name = match (operation, q) {
        (Some(op), Some(q)) => format!("{op} {q}"),
        (Some(op), None) => op.to_owned(),
        (None, _) => format!("{} /v1/agents/{{agent_id}}", case.method),
    };
    if case.status >= 400 {
        // `type` of an error envelope (object `error`, `Error` or absent), else the status
        let parsed = json(&body);
        e.error_type = Some(
            parsed
                .as_ref()
                .and_then(|b| text(b.get("type")))
                .unwrap_or_else(|| case.status.to_string()),
        );
        return e;
    }
    if case.is_stream() {
        if path == "/v1/conversations" {
            return e;
        }
        let mut finish: BTreeMap<i64, String> = BTreeMap::new();
        let mut calls: BTreeMap<(i64, i64), (String, String)> = BTreeMap::new();
        let mut chunks = 0;
        for (_, data) in sse_events(&body) {
            if data.trim() == "[DONE]" {
                continue;
            }
            chunks += 1;
            let chunk = json(data.as_bytes()).expect("chunk JSON");
            e.response_id = e.response_id.or_else(|| text(chunk.get("id")));
            e.response_model = e.response_model.or_else(|| text(chunk.get("model")));
            if let Some(usage) = chunk.get("usage").filter(|u| u.is_object()) {
                usage_into(&mut e, usage);
            }
            for choice in chunk["choices"].as_array().into_iter().flatten() {
                let index = int(choice.get("index")).unwrap_or(0);
                if let Some(reason) = text(choice.get("finish_reason")) {
                    finish.insert(index, reason);
                }
                let deltas = choice.pointer("/delta/tool_calls").and_then(Json::as_array);
                for (position, call) in deltas.into_iter().flatten().enumerate() {
                    let at = int(call.get("index")).unwrap_or(position as i64);
                    let slot = calls.entry((index, at)).or_default();
                    if let Some(id) = text(call.get("id")) {
                        slot.0 = id;
                    }
                    if let Some(name) = text(call.pointer("/function/name")) {
                        slot.1.push_str(&name);
                    }
                }
            }
        }
        e.finish_reasons = finish.into_values().collect();
        e.tool_calls = calls.into_values().collect();
        e.chunks = Some(chunks);
        return e;
    }
    let Some(resp) = json(&body) else {
        return e;
    };
    if operation == Some("create_agent") || case.method == "DELETE" {
        return e;
    }
    e.response_id = text(resp.get("id"));
    e.response_model = text(resp.get("model"));
    if let Some(usage) = resp.get("usage").filter(|u| u.is_object()) {
        usage_into(&mut e, usage);
        if matches!(operation, Some("embeddings" | "moderation")) {
            // no output tokens for these (0 in the recordings)
            e.output_tokens = None;
        }
    }
    for choice in resp["choices"].as_array().into_iter().flatten() {
        if let Some(reason) = text(choice.get("finish_reason")) {
            e.finish_reasons.push(reason);
        }
        let calls = choice
            .pointer("/message/tool_calls")
            .and_then(Json::as_array);
        for call in calls.into_iter().flatten() {
            e.tool_calls.push((
                text(call.get("id")).unwrap_or_default(),
                text(call.pointer("/function/name")).unwrap_or_default(),
            ));
        }
    }
    e
}

fn strings(span: &SpanData, key: &str) -> Vec<String> {
    match attr(span, key) {
        Some(Value::Array(opentelemetry::Array::String(items))) => {
            items.iter().map(|s| s.as_str().to_owned()).collect()
        }
        Some(other) => vec![other.as_str().into_owned()],
        None => Vec::new(),
    }
}

fn check(case: &Case, span: &SpanData, e: &Expected) {
    let name = &case.name;
    assert_eq!(span.name, e.name, "{name}: span name");
    assert_eq!(span.span_kind, SpanKind::Client, "{name}");
    assert_eq!(
        attr_str(span, "gen_ai.operation.name").as_deref(),
        e.operation,
        "{name}: operation"
    );
    if e.request_model.is_some() {
        assert_eq!(
            attr_str(span, "gen_ai.request.model"),
            e.request_model,
            "{name}: request model"
        );
    }
    match &e.error_type {
        Some(error_type) => {
            assert!(
                matches!(span.status, Status::Error { .. }),
                "{name}: status {:?}",
                span.status
            );
            assert_eq!(
                attr_str(span, "error.type").as_ref(),
                Some(error_type),
                "{name}"
            );
            return;
        }
        None => assert_eq!(span.status, Status::Unset, "{name}: status"),
    }
    if e.operation == Some("invoke_agent") && case.path == "/v1/conversations" {
        return;
    }
    let checks = [
        ("gen_ai.response.id", e.response_id.clone()),
        ("gen_ai.response.model", e.response_model.clone()),
    ];
    for (key, value) in checks {
        assert_eq!(attr_str(span, key), value, "{name}: {key}");
    }
    let counts = [
        ("gen_ai.usage.input_tokens", e.input_tokens),
        ("gen_ai.usage.output_tokens", e.output_tokens),
        ("gen_ai.usage.cache_read.input_tokens", e.cached_tokens),
        ("mistral_ai.stream.chunk_count", e.chunks),
    ];
    for (key, value) in counts {
        assert_eq!(attr_i64(span, key), value, "{name}: {key}");
    }
    assert_eq!(
        strings(span, "gen_ai.response.finish_reasons"),
        e.finish_reasons,
        "{name}: finish reasons"
    );
    let mut events: Vec<(String, String)> = span
        .events
        .iter()
        .filter(|ev| ev.name == "mistral_ai.function_call")
        .map(|ev| {
            let get = |k: &str| {
                ev.attributes
                    .iter()
                    .find(|kv| kv.key.as_str() == k)
                    .map(|kv| kv.value.as_str().into_owned())
                    .unwrap_or_default()
            };
            (get("gen_ai.tool.call.id"), get("gen_ai.tool.name"))
        })
        .collect();
    let mut expected_calls = e.tool_calls.clone();
    events.sort();
    expected_calls.sort();
    assert_eq!(events, expected_calls, "{name}: function calls");
    if e.stream {
        let ttfc = match attr(span, "gen_ai.response.time_to_first_chunk") {
            Some(Value::F64(s)) => *s,
            other => panic!("{name}: time to first chunk {other:?}"),
        };
        let duration = span
            .end_time
            .duration_since(span.start_time)
            .unwrap()
            .as_secs_f64();
        assert!(
            ttfc > 0.0 && ttfc <= duration,
            "{name}: ttfc {ttfc} of {duration}"
        );
        assert_eq!(
            attr_str(span, "mistral_ai.stream.outcome").as_deref(),
            Some("completed"),
            "{name}"
        );
    }
}

#[tokio::test]
async fn every_recorded_exchange_gives_the_contracts_span() {
    let mut replayed = 0;
    for folder in FOLDERS {
        let fixtures = fixtures(&format!("real/{folder}"));
        let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
        let recorder = Recorder::new();
        // one client per folder, cases in recorded order: an agent created earlier names
        // the agents completions that follow
        let client = client(builder(&recorder, &server).build());
        let mut agent_names = BTreeMap::new();
        for case in fixtures.cases() {
            recorder.reset();
            let expected = expected(&fixtures, case, &agent_names);
            let held = send_case(&client, &fixtures, &server, &case.name).await;
            assert_eq!(
                held.body,
                fixtures.response_body(case).unwrap_or_default(),
                "{}: body changed",
                case.name
            );
            let spans = recorder.assert_all_exported(&case.name);
            drop(held);
            let top: Vec<&SpanData> = spans
                .iter()
                .filter(|s| s.span_kind == SpanKind::Client)
                .collect();
            assert_eq!(top.len(), 1, "{}", case.name);
            check(case, top[0], &expected);
            if case.path == "/v1/agents" && case.status == 200 {
                let resp = json(&fixtures.response_body(case).unwrap()).unwrap();
                agent_names.insert(
                    text(resp.get("id")).unwrap(),
                    text(resp.get("name")).unwrap(),
                );
            }
            replayed += 1;
        }
    }
    assert_eq!(replayed, 156);
}

/// The whole trace of every case, rendered, per chunking of the bodies.
async fn trees(folder: &str, chunking: Option<Chunking>) -> BTreeMap<String, String> {
    let fixtures = fixtures(&format!("real/{folder}"));
    let server = match chunking {
        None => MockServer::builder(fixtures.clone()),
        Some(Chunking::Fixed(n)) => MockServer::builder(fixtures.clone()).chunk_bytes(n),
        Some(Chunking::Random(seed)) => {
            MockServer::builder(fixtures.clone()).random_chunks(seed, 40)
        }
    }
    .start()
    .await
    .unwrap();
    let mut out = BTreeMap::new();
    for case in fixtures.cases() {
        let recorder = Recorder::new();
        let client = client(builder(&recorder, &server).capture_content(true).build());
        let held = send_case(&client, &fixtures, &server, &case.name).await;
        let spans = recorder.assert_all_exported(&case.name);
        drop(held);
        out.insert(case.name.clone(), render(&spans));
    }
    out
}

#[derive(Clone, Copy)]
enum Chunking {
    Fixed(usize),
    Random(u64),
}

#[tokio::test]
async fn bodies_cut_anywhere_give_the_same_trees() {
    for folder in FOLDERS {
        let whole = trees(folder, None).await;
        for chunking in [
            Chunking::Fixed(1),
            Chunking::Fixed(7),
            Chunking::Fixed(13),
            Chunking::Random(0x5eed),
        ] {
            let cut = trees(folder, Some(chunking)).await;
            for (case, tree) in &whole {
                // chunked bodies have no content-length: nothing in a tree depends on it
                assert_eq!(cut.get(case), Some(tree), "{folder}/{case}");
            }
        }
    }
}
