//! Chat, FIM and agents completions: one `llm` row, as Braintrust's SDK logs
//! `chat.complete`, `chat.stream`, `fim.*` and `agents.*`.

use mistral_otel_wire::{
    ChatMessage, CompletionRequest, CompletionResponse, Content, Operation, ToolCall,
};
use opentelemetry::KeyValue;
use serde_json::{Map, Value, json};

use super::{insert_some, metrics, span_attributes};
use crate::capture::ContentField;
use crate::decorate::{CallEnd, CallStart, Decoration, SpanAttributes};
use crate::semconv::braintrust as bt;

pub(super) fn start(call: &CallStart<'_>, span: &mut SpanAttributes<'_>) -> Box<dyn Decoration> {
    let family = match call.operation {
        Operation::FimCompletion => "fim",
        Operation::AgentsCompletion => "agents",
        _ => "chat",
    };
    let method = if call.stream { "stream" } else { "complete" };
    span.push(span_attributes(
        "llm",
        &format!("mistral.{family}.{method}"),
    ));
    if let Some(request) = call.completion {
        span.push_content(bt::INPUT_JSON, ContentField::InputMessages, input(request));
    }
    Box::new(CompletionRow {
        metadata: request_metadata(call),
    })
}

struct CompletionRow {
    metadata: Map<String, Value>,
}

impl Decoration for CompletionRow {
    fn on_end(&mut self, call: &CallEnd<'_>, span: &mut SpanAttributes<'_>) {
        let mut metadata = std::mem::take(&mut self.metadata);
        // as Braintrust's SDK: the response's id, model, object and created win
        if let Some(response) = call.completion {
            insert_some(&mut metadata, "id", response.id.as_deref());
            insert_some(&mut metadata, "model", response.model.as_deref());
            insert_some(&mut metadata, "object", response.object.as_deref());
            if let Some(created) = response.created {
                metadata.insert("created".into(), json!(created));
            }
        }
        span.push(KeyValue::new(
            bt::METADATA,
            Value::Object(metadata).to_string(),
        ));
        if let Some(m) = metrics(
            call.usage,
            call.time_to_first_chunk.map(|d| d.as_secs_f64()),
            &[],
        ) {
            span.push(m);
        }
        if let Some(response) = call.completion {
            span.push_content(
                bt::OUTPUT_JSON,
                ContentField::OutputMessages,
                choices(response),
            );
        }
    }
}

/// `provider`, `stream` and the request's settings (Braintrust's chat, FIM and agents key
/// lists), the application's `metadata` as `request_metadata`.
fn request_metadata(call: &CallStart<'_>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("provider".into(), json!("mistral"));
    m.insert("stream".into(), json!(call.stream));
    let Some(req) = call.completion else {
        return m;
    };
    insert_some(&mut m, "model", req.model.as_deref());
    insert_some(&mut m, "agent_id", req.agent_id.as_deref());
    let numbers = [
        ("temperature", req.temperature),
        ("top_p", req.top_p),
        ("presence_penalty", req.presence_penalty),
        ("frequency_penalty", req.frequency_penalty),
    ];
    for (key, value) in numbers {
        if let Some(v) = value {
            m.insert(key.into(), json!(v));
        }
    }
    let ints = [
        ("max_tokens", req.max_tokens),
        ("min_tokens", req.min_tokens),
        ("random_seed", req.random_seed),
        ("n", req.n),
    ];
    for (key, value) in ints {
        if let Some(v) = value {
            m.insert(key.into(), json!(v));
        }
    }
    if !req.stop.is_empty() {
        m.insert("stop".into(), json!(req.stop));
    }
    if let Some(format) = &req.response_format {
        m.insert("response_format".into(), json!({"type": format}));
    }
    insert_some(&mut m, "tool_choice", req.tool_choice.as_deref());
    insert_some(&mut m, "prompt_mode", req.prompt_mode.as_deref());
    insert_some(&mut m, "reasoning_effort", req.reasoning_effort.as_deref());
    for (key, value) in [
        ("parallel_tool_calls", req.parallel_tool_calls),
        ("safe_prompt", req.safe_prompt),
    ] {
        if let Some(v) = value {
            m.insert(key.into(), json!(v));
        }
    }
    if let Some(g) = req.guardrails.as_ref().filter(|g| !g.is_null()) {
        m.insert("guardrails".into(), g.clone());
    }
    if let Some(user) = req.metadata.as_ref().filter(|v| !v.is_null()) {
        m.insert("request_metadata".into(), user.clone());
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
        m.insert("tools".into(), Value::Array(tools));
    }
    m
}

/// The row's input: the messages as sent (Mistral's are OpenAI's shape), or a FIM request's
/// `{prompt, suffix}`.
fn input(request: &CompletionRequest) -> Value {
    if request.prompt.is_some() || request.suffix.is_some() {
        let mut fim = Map::new();
        insert_some(&mut fim, "prompt", request.prompt.as_deref());
        insert_some(&mut fim, "suffix", request.suffix.as_deref());
        return Value::Object(fim);
    }
    Value::Array(request.messages.iter().map(message).collect())
}

fn content(content: &Content) -> Value {
    match content {
        Content::Text(text) => json!(text),
        Content::Chunks(chunks) => Value::Array(
            chunks
                .iter()
                .map(|c| {
                    let mut json = c.to_json();
                    // a thinking chunk's signature is an opaque replay token: never exported
                    if let Value::Object(map) = &mut json {
                        map.remove("signature");
                    }
                    json
                })
                .collect(),
        ),
    }
}

fn tool_call(call: &ToolCall) -> Value {
    json!({"id": call.id, "type": "function",
           "function": {"name": call.name, "arguments": call.arguments}})
}

fn message(message: &ChatMessage) -> Value {
    let mut m = Map::new();
    m.insert("role".into(), json!(message.role));
    m.insert("content".into(), content(&message.content));
    if !message.tool_calls.is_empty() {
        m.insert(
            "tool_calls".into(),
            Value::Array(message.tool_calls.iter().map(tool_call).collect()),
        );
    }
    insert_some(&mut m, "tool_call_id", message.tool_call_id.as_deref());
    insert_some(&mut m, "name", message.name.as_deref());
    Value::Object(m)
}

/// The row's output: the choices (a stream's as its chunks add up).
fn choices(response: &CompletionResponse) -> Value {
    Value::Array(
        response
            .choices
            .iter()
            .map(|c| {
                json!({"index": c.index, "message": message(&c.message),
                       "finish_reason": c.finish_reason})
            })
            .collect(),
    )
}
