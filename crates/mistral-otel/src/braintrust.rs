//! Braintrust's rendering, as a [`Decorator`]: `braintrust.*` JSON attributes so that
//! Braintrust shows a conversation turn as a `task` row with `llm`, `tool` and (handoff)
//! `task` rows under it.
//!
//! ```
//! use mistral_otel::{MistralTracing, braintrust::Braintrust};
//!
//! let tracing = MistralTracing::builder().decorator(Braintrust::new()).build();
//! # let _ = tracing;
//! ```
//!
//! With content capture on, rows carry `braintrust.input_json` / `braintrust.output_json`
//! in the OpenAI chat shape (instructions as a leading system message, `function.result`
//! as a `tool` message, pending function calls as `tool_calls`); the application's
//! redactor sees them as input and output messages, tool arguments and results.

use mistral_otel_wire::{Chunk, Content, Entry, Inputs, TurnRequest, Usage};
use opentelemetry::KeyValue;
use serde_json::{Map, Value, json};

use crate::capture::{ContentField, json_or_string};
use crate::decorate::{
    CallEnd, CallStart, Child, ChildKind, Decoration, Decorator, SpanAttributes,
};
use crate::semconv::braintrust as bt;

/// The Braintrust decorator.
#[derive(Debug, Clone, Copy, Default)]
pub struct Braintrust {
    _private: (),
}

impl Braintrust {
    /// The decorator.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Decorator for Braintrust {
    fn start(&self, call: &CallStart<'_>, span: &mut SpanAttributes<'_>) -> Box<dyn Decoration> {
        let Some(kind) = call.operation.turn_kind() else {
            return Box::new(());
        };
        let method = if call.stream {
            format!("{kind}_stream")
        } else {
            kind.to_owned()
        };
        let span_attributes =
            json!({"type": "task", "name": format!("mistral.beta.conversations.{method}")});
        span.push(KeyValue::new(
            bt::SPAN_ATTRIBUTES,
            span_attributes.to_string(),
        ));
        span.push(KeyValue::new(
            bt::METADATA,
            Value::Object(metadata(call)).to_string(),
        ));
        if let Some(request) = call.turn {
            span.push_content(
                bt::INPUT_JSON,
                ContentField::InputMessages,
                input_json(request),
            );
        }
        Box::new(TurnRows)
    }
}

/// The rows of one turn.
struct TurnRows;

impl Decoration for TurnRows {
    fn on_child(&mut self, child: &Child<'_>, span: &mut SpanAttributes<'_>) {
        let kind = match child.kind {
            ChildKind::Chat => "llm",
            ChildKind::Tool => "tool",
            ChildKind::Handoff => "task",
        };
        span.push(KeyValue::new(
            bt::SPAN_ATTRIBUTES,
            json!({ "type": kind }).to_string(),
        ));
    }

    fn on_child_end(&mut self, child: &Child<'_>, span: &mut SpanAttributes<'_>) {
        match child.entry {
            Entry::MessageOutput(_) => span.push_content(
                bt::OUTPUT_JSON,
                ContentField::OutputMessages,
                output_json([child.entry], "stop"),
            ),
            Entry::ToolExecution(tool) => {
                span.push_content(
                    bt::INPUT_JSON,
                    ContentField::ToolArguments,
                    json_or_string(&tool.arguments),
                );
                if let Some(info) = &tool.info {
                    span.push_content(bt::OUTPUT_JSON, ContentField::ToolResult, info.clone());
                }
            }
            _ => {}
        }
    }

    fn on_end(&mut self, call: &CallEnd<'_>, span: &mut SpanAttributes<'_>) {
        let reason = if call.finish_reason.is_empty() {
            "stop"
        } else {
            call.finish_reason
        };
        span.push_content(
            bt::OUTPUT_JSON,
            ContentField::OutputMessages,
            output_json(call.outputs, reason),
        );
        span.push(metrics(
            call.usage,
            call.time_to_first_chunk.map(|d| d.as_secs_f64()),
        ));
    }
}

/// `braintrust.metadata` of a turn.
fn metadata(call: &CallStart<'_>) -> Map<String, Value> {
    let mut metadata = Map::new();
    metadata.insert("provider".into(), Value::String("mistral".into()));
    metadata.insert("stream".into(), Value::Bool(call.stream));
    if let Some(conv) = call.path_conversation_id {
        metadata.insert("conversation_id".into(), Value::String(conv.to_owned()));
    }
    let Some(req) = call.turn else {
        return metadata;
    };
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
    metadata
}

/// `braintrust.metrics`: token counts and, for streams, time to first token (seconds).
fn metrics(usage: Option<&Usage>, ttft: Option<f64>) -> KeyValue {
    let mut m = Map::new();
    if let Some(u) = usage {
        m.insert("prompt_tokens".into(), json!(u.prompt_tokens));
        m.insert("completion_tokens".into(), json!(u.completion_tokens));
        m.insert("tokens".into(), json!(u.total_tokens));
    }
    if let Some(t) = ttft {
        m.insert("time_to_first_token".into(), json!(t));
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

/// `braintrust.input_json`: the turn's input as OpenAI chat messages.
fn input_json(request: &TurnRequest) -> Value {
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
fn output_json<'a>(entries: impl IntoIterator<Item = &'a Entry>, finish_reason: &str) -> Value {
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
