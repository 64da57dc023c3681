//! Braintrust rendering: `braintrust.*` JSON attributes so Braintrust shows the tree as
//! task / llm / tool rows.

use std::time::Duration;

use mistral_otel_wire::{Chunk, Content, Entry, Inputs, Operation, TurnRequest, Usage};
use opentelemetry::KeyValue;
use serde_json::{Map, Value, json};

use super::response::ChildKind;
use crate::capture::{ContentField, ContentPolicy, json_or_string};
use crate::semconv::braintrust as bt;

/// `braintrust.span_attributes` and `braintrust.metadata` of a turn span.
pub(crate) fn turn_start(
    operation: Operation,
    request: Option<&TurnRequest>,
    conversation_id: Option<&str>,
    stream: bool,
    content: Option<&ContentPolicy>,
) -> (Vec<KeyValue>, bool) {
    let method = match (operation.turn_kind(), stream) {
        (Some(kind), true) => format!("{kind}_stream"),
        (Some(kind), false) => kind.to_owned(),
        (None, _) => operation.name().to_owned(),
    };
    let span_attributes =
        json!({"type": "task", "name": format!("mistral.beta.conversations.{method}")});
    let mut metadata = Map::new();
    metadata.insert("provider".into(), Value::String("mistral".into()));
    metadata.insert("stream".into(), Value::Bool(stream));
    if let Some(conv) = conversation_id {
        metadata.insert("conversation_id".into(), Value::String(conv.to_owned()));
    }
    if let Some(req) = request {
        if let Some(model) = &req.model {
            metadata.insert("model".into(), Value::String(model.clone()));
        }
        if let Some(agent) = &req.agent_id {
            metadata.insert("agent_id".into(), Value::String(agent.clone()));
        }
        if let Some(version) = &req.agent_version {
            metadata.insert("agent_version".into(), Value::String(version.to_string()));
        }
        if let Some(args) = &req.completion_args {
            metadata.insert("completion_args".into(), args.raw.clone());
        }
        if !req.tools.is_empty() {
            let tools: Vec<Value> = req
                .tools
                .iter()
                .map(|t| match &t.function {
                    Some(f) => json!({"type": "function", "function": {
                        "name": f.name, "description": f.description, "parameters": f.parameters}}),
                    None => json!({"type": t.kind}),
                })
                .collect();
            metadata.insert("tools".into(), Value::Array(tools));
        }
    }
    let mut attrs = vec![
        KeyValue::new(bt::SPAN_ATTRIBUTES, span_attributes.to_string()),
        KeyValue::new(bt::METADATA, Value::Object(metadata).to_string()),
    ];
    let mut truncated = false;
    if let (Some(policy), Some(req)) = (content, request) {
        let (kv, t) = render(
            policy,
            bt::INPUT_JSON,
            ContentField::BraintrustInput,
            input_json(req),
        );
        attrs.push(kv);
        truncated = t;
    }
    (attrs, truncated)
}

/// `braintrust.span_attributes` of a child: `llm` for chat, `tool`, `task` for handoffs.
pub(crate) fn child_type(kind: ChildKind) -> KeyValue {
    let kind = match kind {
        ChildKind::Chat => "llm",
        ChildKind::Tool => "tool",
        ChildKind::Handoff => "task",
    };
    KeyValue::new(bt::SPAN_ATTRIBUTES, json!({ "type": kind }).to_string())
}

/// `braintrust.metrics`: token counts and, for streams, time to first token (seconds).
pub(crate) fn metrics(usage: Option<&Usage>, ttft: Option<Duration>) -> KeyValue {
    let mut m = Map::new();
    if let Some(u) = usage {
        m.insert("prompt_tokens".into(), json!(u.prompt_tokens));
        m.insert("completion_tokens".into(), json!(u.completion_tokens));
        m.insert("tokens".into(), json!(u.total_tokens));
    }
    if let Some(t) = ttft {
        m.insert("time_to_first_token".into(), json!(t.as_secs_f64()));
    }
    KeyValue::new(bt::METRICS, Value::Object(m).to_string())
}

fn text_of(content: &Content) -> String {
    match content {
        Content::Text(t) => t.clone(),
        Content::Chunks(chunks) => chunks
            .iter()
            .filter_map(|c| match c {
                Chunk::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect(),
    }
}

/// `braintrust.input_json`: the turn's input as OpenAI chat messages (instructions as a
/// leading system message, `function.result` as a `tool` message).
pub(crate) fn input_json(request: &TurnRequest) -> Value {
    let mut messages = Vec::new();
    if let Some(instructions) = &request.instructions {
        messages.push(json!({"role": "system", "content": instructions}));
    }
    match &request.inputs {
        Some(Inputs::Text(text)) => messages.push(json!({"role": "user", "content": text})),
        Some(Inputs::Entries(entries)) => {
            for entry in entries {
                match entry {
                    Entry::MessageInput(m) => {
                        messages.push(json!({"role": m.role, "content": text_of(&m.content)}))
                    }
                    Entry::MessageOutput(m) => {
                        messages.push(json!({"role": "assistant", "content": text_of(&m.content)}))
                    }
                    Entry::FunctionResult(r) => messages.push(
                        json!({"role": "tool", "tool_call_id": r.tool_call_id, "content": r.result}),
                    ),
                    Entry::FunctionCall(f) => messages.push(json!({
                        "role": "assistant", "content": null,
                        "tool_calls": [tool_call(&f.tool_call_id, &f.name, &f.arguments)],
                    })),
                    _ => {}
                }
            }
        }
        None => {}
    }
    Value::Array(messages)
}

fn tool_call(id: &str, name: &str, arguments: &str) -> Value {
    json!({"id": id, "type": "function", "function": {"name": name, "arguments": arguments}})
}

/// `braintrust.output_json`: OpenAI chat choices (pending function calls as `tool_calls`).
pub(crate) fn output_json<'a>(
    entries: impl IntoIterator<Item = &'a Entry>,
    finish_reason: &str,
) -> Value {
    let mut content = String::new();
    let mut calls = Vec::new();
    for entry in entries {
        match entry {
            Entry::MessageOutput(m) => content.push_str(&text_of(&m.content)),
            Entry::FunctionCall(f) => calls.push(tool_call(&f.tool_call_id, &f.name, &f.arguments)),
            _ => {}
        }
    }
    let mut message = Map::new();
    message.insert("role".into(), Value::String("assistant".into()));
    message.insert("content".into(), Value::String(content));
    if !calls.is_empty() {
        message.insert("tool_calls".into(), Value::Array(calls));
    }
    let finish = if finish_reason == "tool_call" {
        "tool_calls"
    } else {
        finish_reason
    };
    json!([{"index": 0, "finish_reason": finish, "message": message}])
}

/// Input and output of an `execute_tool` child: its arguments and its result.
pub(crate) fn tool_io(
    policy: &ContentPolicy,
    arguments: &str,
    info: Option<&Value>,
) -> (Vec<KeyValue>, bool) {
    let input = policy.render(ContentField::BraintrustInput, json_or_string(arguments));
    let mut truncated = input.truncated;
    let mut attrs = vec![KeyValue::new(bt::INPUT_JSON, input.json)];
    if let Some(info) = info {
        let output = policy.render(ContentField::BraintrustOutput, info.clone());
        truncated |= output.truncated;
        attrs.push(KeyValue::new(bt::OUTPUT_JSON, output.json));
    }
    (attrs, truncated)
}

/// Render a Braintrust JSON value under the content policy.
pub(crate) fn render(
    policy: &ContentPolicy,
    key: &'static str,
    field: ContentField,
    value: Value,
) -> (KeyValue, bool) {
    let rendered = policy.render(field, value);
    (KeyValue::new(key, rendered.json), rendered.truncated)
}
