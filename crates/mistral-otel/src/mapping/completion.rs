//! Chat, FIM and agents completions: the request to the span's name and start attributes,
//! the response (plain, or rebuilt from a stream) to its end attributes and the function
//! calls the model asked for.

use mistral_otel_wire::{
    ChatMessage, Choice, CompletionRequest, CompletionResponse, Operation, ToolCall,
};
use opentelemetry::KeyValue;
use serde_json::{Value, json};

use super::request::tool_definitions;
use super::response::{function_call_attributes, usage_attributes};
use super::{kv_strings, messages};
use crate::capture::{Capture, ContentField, json_or_string};
use crate::semconv as sc;

/// What is known about a completion before it is sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct CompletionStart {
    pub(crate) span_name: String,
    pub(crate) attributes: Vec<KeyValue>,
    pub(crate) request_model: Option<String>,
    pub(crate) stream: bool,
}

/// The operation name of a completion endpoint.
pub(crate) fn operation_name(op: Operation) -> &'static str {
    match op {
        Operation::FimCompletion => sc::op::TEXT_COMPLETION,
        Operation::AgentsCompletion => sc::op::INVOKE_AGENT,
        _ => sc::op::CHAT,
    }
}

/// `chat {model}`, `text_completion {model}`, `invoke_agent {agent}` (or without a name).
fn span_name(op: Operation, model: Option<&str>, agent_name: Option<&str>) -> String {
    let operation = operation_name(op);
    let qualifier = match op {
        Operation::AgentsCompletion => agent_name,
        _ => model,
    };
    match qualifier {
        Some(q) => format!("{operation} {q}"),
        None => operation.to_owned(),
    }
}

/// Everything a completion span carries at its start.
pub(crate) fn completion_start(
    op: Operation,
    request: Option<&CompletionRequest>,
    agent_name: Option<&str>,
    accept_event_stream: bool,
    target: super::request::Target<'_>,
    capture: Option<&Capture>,
) -> CompletionStart {
    let mut attrs = vec![
        KeyValue::new(sc::GEN_AI_OPERATION_NAME, operation_name(op)),
        KeyValue::new(sc::GEN_AI_PROVIDER_NAME, sc::PROVIDER_MISTRAL),
        KeyValue::new(sc::SERVER_ADDRESS, target.host.to_owned()),
        KeyValue::new(sc::SERVER_PORT, i64::from(target.port)),
    ];
    let stream = request
        .and_then(|r| r.stream)
        .unwrap_or(accept_event_stream);
    // "if and only if the request is streaming" (unset: not streaming)
    if stream {
        attrs.push(KeyValue::new(sc::GEN_AI_REQUEST_STREAM, true));
    }
    if let Some(name) = agent_name.filter(|_| op == Operation::AgentsCompletion) {
        attrs.push(KeyValue::new(sc::GEN_AI_AGENT_NAME, name.to_owned()));
    }
    let model = request.and_then(|r| r.model.clone());
    let start = CompletionStart {
        span_name: span_name(op, model.as_deref(), agent_name),
        request_model: model,
        stream,
        ..CompletionStart::default()
    };
    let Some(req) = request else {
        return CompletionStart {
            attributes: attrs,
            ..start
        };
    };
    if let Some(model) = &req.model {
        attrs.push(KeyValue::new(sc::GEN_AI_REQUEST_MODEL, model.clone()));
    }
    if let Some(agent) = &req.agent_id {
        attrs.push(KeyValue::new(sc::GEN_AI_AGENT_ID, agent.clone()));
    }
    let floats = [
        (sc::GEN_AI_REQUEST_TEMPERATURE, req.temperature),
        (sc::GEN_AI_REQUEST_TOP_P, req.top_p),
        (sc::GEN_AI_REQUEST_FREQUENCY_PENALTY, req.frequency_penalty),
        (sc::GEN_AI_REQUEST_PRESENCE_PENALTY, req.presence_penalty),
    ];
    for (key, value) in floats {
        if let Some(v) = value {
            attrs.push(KeyValue::new(key, v));
        }
    }
    let ints = [
        (sc::GEN_AI_REQUEST_MAX_TOKENS, req.max_tokens),
        (sc::GEN_AI_REQUEST_SEED, req.random_seed),
        (sc::MISTRAL_REQUEST_MIN_TOKENS, req.min_tokens),
        (sc::GEN_AI_REQUEST_CHOICE_COUNT, req.n.filter(|n| *n != 1)),
    ];
    for (key, value) in ints {
        if let Some(v) = value {
            attrs.push(KeyValue::new(key, v));
        }
    }
    if !req.stop.is_empty() {
        attrs.push(kv_strings(
            sc::GEN_AI_REQUEST_STOP_SEQUENCES,
            req.stop.iter().cloned(),
        ));
    }
    if let Some(format) = &req.response_format {
        let output_type = if format == "text" { "text" } else { "json" };
        attrs.push(KeyValue::new(sc::GEN_AI_OUTPUT_TYPE, output_type));
    }
    let texts = [
        (sc::MISTRAL_REQUEST_PROMPT_MODE, &req.prompt_mode),
        (sc::MISTRAL_REQUEST_TOOL_CHOICE, &req.tool_choice),
        (sc::MISTRAL_REQUEST_REASONING_EFFORT, &req.reasoning_effort),
    ];
    for (key, value) in texts {
        if let Some(v) = value {
            attrs.push(KeyValue::new(key, v.clone()));
        }
    }
    if let Some(v) = req.safe_prompt {
        attrs.push(KeyValue::new(sc::MISTRAL_REQUEST_SAFE_PROMPT, v));
    }
    if let Some(v) = req.parallel_tool_calls {
        attrs.push(KeyValue::new(sc::MISTRAL_REQUEST_PARALLEL_TOOL_CALLS, v));
    }
    if let Some(guardrails) = &req.guardrails {
        attrs.extend(super::guardrail::config_attributes(guardrails));
    }
    if !req.tools.is_empty() {
        attrs.push(tool_definitions(&req.tools, capture));
    }
    if let Some(capture) = capture {
        let (system, input) = input_messages(req);
        if let Some(system) = system {
            attrs.extend(capture.top(
                sc::GEN_AI_SYSTEM_INSTRUCTIONS,
                ContentField::SystemInstructions,
                system,
            ));
        }
        if input.as_array().is_some_and(|a| !a.is_empty()) {
            attrs.extend(capture.top(
                sc::GEN_AI_INPUT_MESSAGES,
                ContentField::InputMessages,
                input,
            ));
        }
    }
    CompletionStart {
        attributes: attrs,
        ..start
    }
}

/// The conventions' message parts of a chat message.
fn message_parts(message: &ChatMessage) -> Vec<Value> {
    let mut parts = if message.role == "tool" {
        vec![json!({
            "type": "tool_call_response",
            "id": message.tool_call_id,
            "response": messages::content_text(&message.content),
        })]
    } else {
        messages::content_parts(&message.content)
            .into_iter()
            .filter(|p| p.get("content").is_none_or(|c| c != ""))
            .collect()
    };
    parts.extend(message.tool_calls.iter().map(tool_call_part));
    parts
}

fn tool_call_part(call: &ToolCall) -> Value {
    json!({
        "type": "tool_call", "id": call.id, "name": call.name,
        "arguments": json_or_string(&call.arguments),
    })
}

/// `gen_ai.system_instructions` (the system messages' parts) and `gen_ai.input.messages`
/// (the others); a FIM request's prompt and suffix are one user message.
fn input_messages(req: &CompletionRequest) -> (Option<Value>, Value) {
    if req.prompt.is_some() || req.suffix.is_some() {
        let mut parts = Vec::new();
        if let Some(prompt) = &req.prompt {
            parts.push(json!({"type": "text", "content": prompt}));
        }
        if let Some(suffix) = &req.suffix {
            parts.push(json!({"type": "text", "content": suffix, "name": "suffix"}));
        }
        return (None, json!([{"role": "user", "parts": parts}]));
    }
    let mut system = Vec::new();
    let mut input = Vec::new();
    for message in &req.messages {
        if message.role == "system" {
            system.extend(messages::content_parts(&message.content));
        } else {
            input.push(json!({"role": message.role, "parts": message_parts(message)}));
        }
    }
    (
        (!system.is_empty()).then_some(Value::Array(system)),
        Value::Array(input),
    )
}

/// `gen_ai.output.messages`: one assistant message per choice, its parts in order
/// (reasoning, text, tool calls), with the choice's finish reason.
pub(crate) fn output_messages(choices: &[Choice]) -> Value {
    Value::Array(
        choices
            .iter()
            .map(|c| {
                json!({
                    "role": "assistant",
                    "parts": message_parts(&c.message),
                    "finish_reason": c.finish_reason.as_deref().unwrap_or("stop"),
                })
            })
            .collect(),
    )
}

/// What a completion's response contributes to its span.
pub(crate) fn completion_end(
    response: &CompletionResponse,
    capture: Option<&Capture>,
) -> Vec<KeyValue> {
    let mut attrs = Vec::new();
    if let Some(id) = &response.id {
        attrs.push(KeyValue::new(sc::GEN_AI_RESPONSE_ID, id.clone()));
    }
    if let Some(model) = &response.model {
        attrs.push(KeyValue::new(sc::GEN_AI_RESPONSE_MODEL, model.clone()));
    }
    let reasons: Vec<String> = response
        .choices
        .iter()
        .filter_map(|c| c.finish_reason.clone())
        .collect();
    if !reasons.is_empty() {
        attrs.push(kv_strings(sc::GEN_AI_RESPONSE_FINISH_REASONS, reasons));
    }
    if let Some(usage) = &response.usage {
        attrs.extend(usage_attributes(usage));
    }
    if let Some(capture) = capture {
        attrs.extend(capture.top(
            sc::GEN_AI_OUTPUT_MESSAGES,
            ContentField::OutputMessages,
            output_messages(&response.choices),
        ));
    }
    attrs
}

/// The `mistral_ai.function_call` event of one tool call.
pub(crate) fn tool_call_event(call: &ToolCall, capture: Option<&Capture>) -> Vec<KeyValue> {
    function_call_attributes(
        call.id.as_deref().unwrap_or_default(),
        &call.name,
        &call.arguments,
        None,
        capture,
    )
}
