//! Conversation turns: a `task` row with `tool`, `llm` and handoff rows under it.

use std::collections::BTreeMap;

use mistral_otel_wire::{Entry, Inputs, TurnRequest};
use opentelemetry::KeyValue;
use serde_json::{Map, Value, json};

use crate::capture::{ContentField, json_or_string};
use crate::decorate::{CallEnd, CallStart, Child, ChildKind, Decoration, SpanAttributes};
use crate::mapping::messages::content_text;
use crate::semconv::braintrust as bt;

use super::{insert_some, metrics, span_attributes};

/// The rows of a conversation turn (start, append, restart).
pub(super) fn start(
    kind: &str,
    call: &CallStart<'_>,
    span: &mut SpanAttributes<'_>,
) -> Box<dyn Decoration> {
    let method = if call.stream {
        format!("{kind}_stream")
    } else {
        kind.to_owned()
    };
    let name = format!("mistral.beta.conversations.{method}");
    span.push(span_attributes("task", &name));
    let input = call.turn.map(input_messages);
    if let Some(input) = &input {
        span.push_content(bt::INPUT_JSON, ContentField::InputMessages, input.clone());
    }
    Box::new(TurnRows {
        metadata: request_metadata(call, span.capturing()),
        request_model: call.turn.and_then(|t| t.model.clone()),
        path_conversation_id: call.path_conversation_id.map(str::to_owned),
        input: input.filter(|_| span.capturing()),
        ended: BTreeMap::new(),
    })
}

/// The rows of one turn.
struct TurnRows {
    /// The task row's metadata known at the start.
    metadata: Map<String, Value>,
    request_model: Option<String>,
    path_conversation_id: Option<String>,
    /// The turn's input as chat messages (capture only).
    input: Option<Value>,
    /// Outputs whose spans ended, by `output_index` (capture only), for the input of the
    /// `llm` rows that follow them.
    ended: BTreeMap<u32, Entry>,
}

impl Decoration for TurnRows {
    fn on_child_end(&mut self, child: &Child<'_>, span: &mut SpanAttributes<'_>) {
        match (child.kind, child.entry) {
            (ChildKind::Chat, Entry::MessageOutput(m)) => {
                span.push(span_attributes("llm", child.name));
                let mut metadata = Map::new();
                metadata.insert("provider".into(), json!("mistral"));
                insert_some(&mut metadata, "model", m.model.as_deref());
                insert_some(&mut metadata, "agent_id", m.agent_id.as_deref());
                span.push(KeyValue::new(
                    bt::METADATA,
                    Value::Object(metadata).to_string(),
                ));
                if span.capturing() {
                    let mut messages = match &self.input {
                        Some(Value::Array(items)) => items.clone(),
                        _ => Vec::new(),
                    };
                    let earlier = self.ended.range(..child.output_index).map(|(_, e)| e);
                    messages.extend(output_messages(earlier));
                    span.push_content(
                        bt::INPUT_JSON,
                        ContentField::InputMessages,
                        Value::Array(messages),
                    );
                    span.push_content(
                        bt::OUTPUT_JSON,
                        ContentField::OutputMessages,
                        choices([child.entry], "stop"),
                    );
                }
            }
            (ChildKind::Tool, Entry::ToolExecution(tool)) => {
                span.push(span_attributes("tool", &format!("tool: {}", tool.name)));
                let mut metadata = Map::new();
                insert_some(&mut metadata, "tool_call_id", tool.id.as_deref());
                metadata.insert("tool_type".into(), json!("tool.execution"));
                metadata.insert("tool_index".into(), json!(child.output_index));
                insert_some(&mut metadata, "agent_id", tool.agent_id.as_deref());
                insert_some(&mut metadata, "model", tool.model.as_deref());
                span.push(KeyValue::new(
                    bt::METADATA,
                    Value::Object(metadata).to_string(),
                ));
                span.push_content(
                    bt::INPUT_JSON,
                    ContentField::ToolArguments,
                    json_or_string(&tool.arguments),
                );
                if let Some(info) = &tool.info {
                    span.push_content(bt::OUTPUT_JSON, ContentField::ToolResult, info.clone());
                }
            }
            (ChildKind::Handoff, Entry::AgentHandoff(h)) => {
                span.push(span_attributes("task", child.name));
                let mut metadata = Map::new();
                metadata.insert("provider".into(), json!("mistral"));
                insert_some(
                    &mut metadata,
                    "previous_agent_id",
                    h.previous_agent_id.as_deref(),
                );
                insert_some(
                    &mut metadata,
                    "previous_agent_name",
                    h.previous_agent_name.as_deref(),
                );
                insert_some(&mut metadata, "agent_id", h.next_agent_id.as_deref());
                insert_some(&mut metadata, "agent_name", h.next_agent_name.as_deref());
                span.push(KeyValue::new(
                    bt::METADATA,
                    Value::Object(metadata).to_string(),
                ));
            }
            _ => {}
        }
        if span.capturing() && child.kind != ChildKind::Handoff {
            self.ended.insert(child.output_index, child.entry.clone());
        }
    }

    fn on_end(&mut self, call: &CallEnd<'_>, span: &mut SpanAttributes<'_>) {
        let mut metadata = std::mem::take(&mut self.metadata);
        let conversation_id = call
            .conversation_id
            .or(self.path_conversation_id.as_deref());
        insert_some(&mut metadata, "conversation_id", conversation_id);
        // as Braintrust's SDK: the model of the first output, else the one asked for
        let model = call.response_model.or(self.request_model.as_deref());
        insert_some(&mut metadata, "model", model);
        metadata.insert("object".into(), json!("conversation.response"));
        span.push(KeyValue::new(
            bt::METADATA,
            Value::Object(metadata).to_string(),
        ));
        // a failed call has no output and no usage (as Braintrust's SDK logs it)
        if let Some(metrics) = metrics(
            call.usage,
            call.time_to_first_chunk.map(|d| d.as_secs_f64()),
            &[],
        ) {
            span.push(metrics);
        }
        if !call.outputs.is_empty() {
            span.push_content(
                bt::OUTPUT_JSON,
                ContentField::OutputMessages,
                Value::Array(output_messages(call.outputs)),
            );
        }
    }
}

/// What the request says, for the task row's metadata (instructions only when capturing).
fn request_metadata(call: &CallStart<'_>, capturing: bool) -> Map<String, Value> {
    let mut metadata = Map::new();
    metadata.insert("provider".into(), json!("mistral"));
    metadata.insert("stream".into(), Value::Bool(call.stream));
    let Some(req) = call.turn else {
        return metadata;
    };
    insert_some(&mut metadata, "agent_id", req.agent_id.as_deref());
    if let Some(version) = &req.agent_version {
        metadata.insert("agent_version".into(), json!(version.to_string()));
    }
    insert_some(&mut metadata, "name", req.name.as_deref());
    insert_some(&mut metadata, "description", req.description.as_deref());
    insert_some(&mut metadata, "from_entry_id", req.from_entry_id.as_deref());
    insert_some(
        &mut metadata,
        "handoff_execution",
        req.handoff_execution.as_deref(),
    );
    if let Some(store) = req.store {
        metadata.insert("store".into(), Value::Bool(store));
    }
    if let Some(args) = &req.completion_args {
        metadata.insert("completion_args".into(), args.raw.clone());
    }
    if let Some(guardrails) = req.guardrails.as_ref().filter(|g| !g.is_null()) {
        metadata.insert("guardrails".into(), guardrails.clone());
    }
    if let Some(confirmations) = req.tool_confirmations.as_ref().filter(|c| !c.is_null()) {
        metadata.insert("tool_confirmations".into(), confirmations.clone());
    }
    if let Some(user) = req.metadata.as_ref().filter(|m| !m.is_null()) {
        metadata.insert("request_metadata".into(), user.clone());
    }
    if capturing {
        insert_some(&mut metadata, "instructions", req.instructions.as_deref());
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

/// The turn's input as OpenAI chat messages.
fn input_messages(request: &TurnRequest) -> Value {
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
                        messages.push(json!({"role": m.role, "content": content_text(&m.content)}))
                    }
                    Entry::FunctionResult(r) => messages.push(
                        json!({"role": "tool", "tool_call_id": r.tool_call_id, "content": r.result}),
                    ),
                    other => messages.extend(output_messages([other])),
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

/// Outputs as OpenAI chat messages: text as assistant messages, a tool execution as an
/// assistant `tool_calls` message followed by a `tool` message with its result, pending
/// function calls as `tool_calls` of the assistant message.
fn output_messages<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Vec<Value> {
    let mut messages: Vec<Value> = Vec::new();
    for entry in entries {
        match entry {
            Entry::MessageOutput(m) => {
                messages.push(json!({"role": "assistant", "content": content_text(&m.content)}))
            }
            Entry::ToolExecution(t) => {
                let id = t.id.as_deref().unwrap_or_default();
                messages.push(json!({
                    "role": "assistant", "content": null,
                    "tool_calls": [tool_call(id, &t.name, &t.arguments)],
                }));
                let result = t.info.as_ref().map_or(String::new(), Value::to_string);
                messages.push(json!({"role": "tool", "tool_call_id": id, "content": result}));
            }
            Entry::FunctionCall(f) => {
                let call = tool_call(&f.tool_call_id, &f.name, &f.arguments);
                // a call right after the model's text belongs to that message
                match messages.last_mut() {
                    Some(Value::Object(last))
                        if last.get("role") == Some(&json!("assistant"))
                            && last.get("content").is_some_and(Value::is_string) =>
                    {
                        match last.get_mut("tool_calls") {
                            Some(Value::Array(calls)) => calls.push(call),
                            _ => {
                                last.insert("tool_calls".into(), json!([call]));
                            }
                        }
                    }
                    _ => messages.push(json!({
                        "role": "assistant", "content": null, "tool_calls": [call],
                    })),
                }
            }
            _ => {}
        }
    }
    messages
}

/// Chat-completion choices: the message's text and its pending function calls.
fn choices<'a>(entries: impl IntoIterator<Item = &'a Entry>, finish_reason: &str) -> Value {
    let mut content = String::new();
    let mut calls = Vec::new();
    for entry in entries {
        match entry {
            Entry::MessageOutput(m) => content.push_str(&content_text(&m.content)),
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
