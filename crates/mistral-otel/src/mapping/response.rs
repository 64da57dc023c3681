//! A plain (non-streaming) conversation response to the turn's end attributes and the
//! plan of its child spans (`chat`, `execute_tool`, handoff `invoke_agent`), with
//! server timestamps that the turn recorder fits inside the turn span.

use std::time::SystemTime;

use mistral_otel_wire::{ConversationResponse, Entry, Usage, parse_timestamp};
use opentelemetry::KeyValue;

use super::confirmation::PENDING;
use super::{kv_strings, kv_u64, messages};
use crate::capture::{Capture, ContentField, json_or_string};
use crate::decorate::ChildKind;
use crate::semconv as sc;

/// One span to create under the turn.
#[derive(Debug, Clone)]
pub(crate) struct ChildPlan {
    pub(crate) name: String,
    pub(crate) attributes: Vec<KeyValue>,
    /// Index of the handoff child that owns this one; `None` = the turn span.
    pub(crate) parent: Option<usize>,
    pub(crate) server_start: Option<SystemTime>,
    pub(crate) server_end: Option<SystemTime>,
    pub(crate) kind: ChildKind,
    /// Its entry's position in the response's outputs.
    pub(crate) output_index: usize,
}

/// A `mistral_ai.function_call` event.
#[derive(Debug, Clone)]
pub(crate) struct FunctionCallEvent {
    pub(crate) owner: Option<usize>,
    pub(crate) attributes: Vec<KeyValue>,
    pub(crate) server_time: Option<SystemTime>,
    /// `(tool_call_id, name)` of a call waiting for the user's confirmation.
    pub(crate) pending: Option<(String, String)>,
}

/// Everything a plain response contributes.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResponsePlan {
    pub(crate) end_attributes: Vec<KeyValue>,
    pub(crate) children: Vec<ChildPlan>,
    pub(crate) function_calls: Vec<FunctionCallEvent>,
    pub(crate) response_model: Option<String>,
    pub(crate) conversation_id: Option<String>,
    pub(crate) usage: Option<Usage>,
    pub(crate) finish_reason: &'static str,
}

/// Usage attributes of a turn.
pub(crate) fn usage_attributes(usage: &Usage) -> Vec<KeyValue> {
    let mut attrs = vec![
        kv_u64(sc::GEN_AI_USAGE_INPUT_TOKENS, usage.prompt_tokens),
        kv_u64(sc::GEN_AI_USAGE_OUTPUT_TOKENS, usage.completion_tokens),
        kv_u64(sc::MISTRAL_USAGE_TOTAL_TOKENS, usage.total_tokens),
    ];
    if let Some(cached) = usage.cached_tokens {
        attrs.push(kv_u64(sc::GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, cached));
    }
    if let Some(reasoning) = usage.reasoning_tokens {
        attrs.push(kv_u64(sc::GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, reasoning));
    }
    if let Some(seconds) = usage.prompt_audio_seconds {
        attrs.push(KeyValue::new(
            sc::MISTRAL_USAGE_PROMPT_AUDIO_SECONDS,
            seconds,
        ));
    }
    if let Some(c) = usage.connector_tokens {
        attrs.push(kv_u64(sc::MISTRAL_USAGE_CONNECTOR_TOKENS, c));
    }
    for (tool, count) in &usage.connectors {
        attrs.push(KeyValue::new(
            format!("{}{tool}", sc::MISTRAL_USAGE_CONNECTORS_PREFIX),
            i64::try_from(*count).unwrap_or(i64::MAX),
        ));
    }
    attrs
}

/// `execute_tool` attributes for a server-side tool.
pub(crate) fn tool_attributes(name: &str, call_id: Option<&str>) -> Vec<KeyValue> {
    let tool_type = if name == "document_library" {
        "datastore"
    } else {
        "extension"
    };
    let mut attrs = vec![
        KeyValue::new(sc::GEN_AI_OPERATION_NAME, sc::op::EXECUTE_TOOL),
        KeyValue::new(sc::GEN_AI_PROVIDER_NAME, sc::PROVIDER_MISTRAL),
        KeyValue::new(sc::GEN_AI_TOOL_NAME, name.to_owned()),
        KeyValue::new(sc::GEN_AI_TOOL_TYPE, tool_type),
    ];
    if let Some(id) = call_id {
        attrs.push(KeyValue::new(sc::GEN_AI_TOOL_CALL_ID, id.to_owned()));
    }
    attrs
}

/// `chat` attributes for one `message.output`.
pub(crate) fn chat_attributes(
    id: Option<&str>,
    model: Option<&str>,
    agent_id: Option<&str>,
    conversation_id: Option<&str>,
) -> Vec<KeyValue> {
    let mut attrs = vec![
        KeyValue::new(sc::GEN_AI_OPERATION_NAME, sc::op::CHAT),
        KeyValue::new(sc::GEN_AI_PROVIDER_NAME, sc::PROVIDER_MISTRAL),
    ];
    if let Some(id) = id {
        attrs.push(KeyValue::new(sc::GEN_AI_RESPONSE_ID, id.to_owned()));
    }
    if let Some(model) = model {
        attrs.push(KeyValue::new(sc::GEN_AI_RESPONSE_MODEL, model.to_owned()));
    }
    if let Some(agent) = agent_id {
        attrs.push(KeyValue::new(sc::GEN_AI_AGENT_ID, agent.to_owned()));
    }
    if let Some(conv) = conversation_id {
        attrs.push(KeyValue::new(sc::GEN_AI_CONVERSATION_ID, conv.to_owned()));
    }
    attrs
}

/// `chat {model}` or `chat`.
pub(crate) fn chat_name(model: Option<&str>) -> String {
    match model {
        Some(m) => format!("{} {m}", sc::op::CHAT),
        None => sc::op::CHAT.to_owned(),
    }
}

/// Handoff `invoke_agent` attributes.
pub(crate) fn handoff_attributes(
    previous_id: Option<&str>,
    previous_name: Option<&str>,
    next_id: Option<&str>,
    next_name: Option<&str>,
) -> Vec<KeyValue> {
    let mut attrs = vec![
        KeyValue::new(sc::GEN_AI_OPERATION_NAME, sc::op::INVOKE_AGENT),
        KeyValue::new(sc::GEN_AI_PROVIDER_NAME, sc::PROVIDER_MISTRAL),
    ];
    attrs.extend(handoff_next_agent(next_id, next_name));
    if let Some(v) = previous_id {
        attrs.push(KeyValue::new(
            sc::MISTRAL_HANDOFF_PREVIOUS_AGENT_ID,
            v.to_owned(),
        ));
    }
    if let Some(v) = previous_name {
        attrs.push(KeyValue::new(
            sc::MISTRAL_HANDOFF_PREVIOUS_AGENT_NAME,
            v.to_owned(),
        ));
    }
    attrs
}

/// The transfer span of a handoff (latest conventions):
/// `execute_tool handoff {target}`, or `execute_tool handoff` until the target is known.
pub(crate) fn transfer_name(next_name: Option<&str>) -> String {
    match next_name {
        Some(n) => format!("{} {} {n}", sc::op::EXECUTE_TOOL, sc::HANDOFF_TOOL),
        None => format!("{} {}", sc::op::EXECUTE_TOOL, sc::HANDOFF_TOOL),
    }
}

/// The transfer span's attributes: the handing-off agent as `gen_ai.agent.*`, the mode and
/// the target.
pub(crate) fn transfer_attributes(
    previous_id: Option<&str>,
    previous_name: Option<&str>,
    next_name: Option<&str>,
) -> Vec<KeyValue> {
    let mut attrs = vec![
        KeyValue::new(sc::GEN_AI_OPERATION_NAME, sc::op::EXECUTE_TOOL),
        KeyValue::new(sc::GEN_AI_TOOL_NAME, sc::HANDOFF_TOOL),
        KeyValue::new(sc::GEN_AI_TRANSFER_MODE, "pass_control"),
    ];
    if let Some(v) = previous_id {
        attrs.push(KeyValue::new(sc::GEN_AI_AGENT_ID, v.to_owned()));
    }
    if let Some(v) = previous_name {
        attrs.push(KeyValue::new(sc::GEN_AI_AGENT_NAME, v.to_owned()));
    }
    attrs.extend(transfer_target(next_name));
    attrs
}

/// The transfer's target, once known.
pub(crate) fn transfer_target(next_name: Option<&str>) -> Vec<KeyValue> {
    next_name
        .map(|n| KeyValue::new(sc::GEN_AI_TRANSFER_TARGET_NAME, n.to_owned()))
        .into_iter()
        .collect()
}

/// The receiving agent's `invoke_agent` span under the latest conventions: an internal
/// agent span keeps the agent's name only (no provider, no agent id).
pub(crate) fn receiving_agent_attributes(
    previous_id: Option<&str>,
    previous_name: Option<&str>,
    next_name: Option<&str>,
) -> Vec<KeyValue> {
    let mut attrs = vec![KeyValue::new(
        sc::GEN_AI_OPERATION_NAME,
        sc::op::INVOKE_AGENT,
    )];
    if let Some(v) = next_name {
        attrs.push(KeyValue::new(sc::GEN_AI_AGENT_NAME, v.to_owned()));
    }
    if let Some(v) = previous_id {
        attrs.push(KeyValue::new(
            sc::MISTRAL_HANDOFF_PREVIOUS_AGENT_ID,
            v.to_owned(),
        ));
    }
    if let Some(v) = previous_name {
        attrs.push(KeyValue::new(
            sc::MISTRAL_HANDOFF_PREVIOUS_AGENT_NAME,
            v.to_owned(),
        ));
    }
    attrs
}

/// The receiving agent of a handoff, set when `agent.handoff.done` names it.
pub(crate) fn handoff_next_agent(next_id: Option<&str>, next_name: Option<&str>) -> Vec<KeyValue> {
    let mut attrs = Vec::new();
    if let Some(v) = next_id {
        attrs.push(KeyValue::new(sc::GEN_AI_AGENT_ID, v.to_owned()));
    }
    if let Some(v) = next_name {
        attrs.push(KeyValue::new(sc::GEN_AI_AGENT_NAME, v.to_owned()));
    }
    attrs
}

/// The span name of an output's child: `chat {model}`, `execute_tool {name}`, or the
/// handoff's `invoke_agent {next agent}`.
pub(crate) fn child_name(entry: &Entry) -> String {
    match entry {
        Entry::MessageOutput(m) => chat_name(m.model.as_deref()),
        Entry::ToolExecution(t) => format!("{} {}", sc::op::EXECUTE_TOOL, t.name),
        Entry::AgentHandoff(h) => handoff_name(h.next_agent_name.as_deref()),
        _ => String::new(),
    }
}

/// `invoke_agent {next}` or `invoke_agent`.
pub(crate) fn handoff_name(next_name: Option<&str>) -> String {
    match next_name {
        Some(n) => format!("{} {n}", sc::op::INVOKE_AGENT),
        None => sc::op::INVOKE_AGENT.to_owned(),
    }
}

/// The `mistral_ai.function_call` event's attributes.
pub(crate) fn function_call_attributes(
    tool_call_id: &str,
    name: &str,
    arguments: &str,
    confirmation_status: Option<&str>,
    capture: Option<&Capture>,
) -> Vec<KeyValue> {
    let mut attrs = vec![
        KeyValue::new(sc::GEN_AI_TOOL_CALL_ID, tool_call_id.to_owned()),
        KeyValue::new(sc::GEN_AI_TOOL_NAME, name.to_owned()),
    ];
    if let Some(status) = confirmation_status {
        attrs.push(KeyValue::new(
            sc::MISTRAL_FUNCTION_CALL_CONFIRMATION,
            status.to_owned(),
        ));
    }
    if let Some(capture) = capture {
        attrs.extend(capture.span_kv(
            sc::GEN_AI_TOOL_CALL_ARGUMENTS,
            ContentField::ToolArguments,
            json_or_string(arguments),
        ));
    }
    attrs
}

/// A tool child's content attributes (content on spans only): its arguments and its
/// result.
pub(crate) fn tool_content(
    arguments: &str,
    info: Option<&serde_json::Value>,
    capture: &Capture,
) -> Vec<KeyValue> {
    let mut attrs: Vec<KeyValue> = capture
        .span_kv(
            sc::GEN_AI_TOOL_CALL_ARGUMENTS,
            ContentField::ToolArguments,
            json_or_string(arguments),
        )
        .into_iter()
        .collect();
    if let Some(info) = info {
        attrs.extend(capture.span_kv(
            sc::GEN_AI_TOOL_CALL_RESULT,
            ContentField::ToolResult,
            info.clone(),
        ));
    }
    attrs
}

/// A chat child's content attribute (content on spans only): its one message.
pub(crate) fn chat_content(entry: &Entry, capture: &Capture) -> Option<KeyValue> {
    capture.span_kv(
        sc::GEN_AI_OUTPUT_MESSAGES,
        ContentField::OutputMessages,
        messages::output_messages([entry], "stop"),
    )
}

/// Finish reason of a turn that ended normally.
pub(crate) fn finish_reason<'a>(outputs: impl IntoIterator<Item = &'a Entry>) -> &'static str {
    match outputs.into_iter().last() {
        Some(Entry::FunctionCall(_)) => "tool_call",
        _ => "stop",
    }
}

/// Map a parsed plain response.
pub(crate) fn plan_response(
    response: &ConversationResponse,
    capture: Option<&Capture>,
) -> ResponsePlan {
    let mut plan = ResponsePlan {
        conversation_id: response.conversation_id.clone(),
        usage: response.usage.clone(),
        finish_reason: finish_reason(&response.outputs),
        ..ResponsePlan::default()
    };
    let conv = response.conversation_id.as_deref();
    let mut owner: Option<usize> = None;
    for (output_index, entry) in response.outputs.iter().enumerate() {
        let start = entry.created_at().and_then(parse_timestamp);
        let end = entry.completed_at().and_then(parse_timestamp);
        match entry {
            Entry::MessageOutput(m) => {
                if plan.response_model.is_none() {
                    plan.response_model = m.model.clone();
                }
                let mut attributes = chat_attributes(
                    m.id.as_deref(),
                    m.model.as_deref(),
                    m.agent_id.as_deref(),
                    conv,
                );
                if let Some(capture) = capture {
                    attributes.extend(chat_content(entry, capture));
                }
                plan.children.push(ChildPlan {
                    name: child_name(entry),
                    attributes,
                    parent: owner,
                    server_start: start,
                    server_end: end,
                    kind: ChildKind::Chat,
                    output_index,
                });
            }
            Entry::ToolExecution(t) => {
                let mut attributes = tool_attributes(&t.name, t.id.as_deref());
                if let Some(capture) = capture {
                    attributes.extend(tool_content(&t.arguments, t.info.as_ref(), capture));
                }
                plan.children.push(ChildPlan {
                    name: child_name(entry),
                    attributes,
                    parent: owner,
                    server_start: start,
                    server_end: end,
                    kind: ChildKind::Tool,
                    output_index,
                });
            }
            Entry::FunctionCall(f) => {
                let attributes = function_call_attributes(
                    &f.tool_call_id,
                    &f.name,
                    &f.arguments,
                    f.confirmation_status.as_deref(),
                    capture,
                );
                plan.function_calls.push(FunctionCallEvent {
                    owner,
                    attributes,
                    server_time: start,
                    pending: (f.confirmation_status.as_deref() == Some(PENDING))
                        .then(|| (f.tool_call_id.clone(), f.name.clone())),
                });
            }
            Entry::AgentHandoff(h) => {
                plan.children.push(ChildPlan {
                    name: child_name(entry),
                    attributes: handoff_attributes(
                        h.previous_agent_id.as_deref(),
                        h.previous_agent_name.as_deref(),
                        h.next_agent_id.as_deref(),
                        h.next_agent_name.as_deref(),
                    ),
                    // handoffs are siblings under the turn: each owns what follows it
                    parent: None,
                    server_start: start,
                    server_end: end,
                    kind: ChildKind::Handoff,
                    output_index,
                });
                owner = Some(plan.children.len().saturating_sub(1));
            }
            Entry::MessageInput(_) | Entry::FunctionResult(_) | Entry::Unknown { .. } => {}
        }
    }
    let mut end = Vec::new();
    if let Some(model) = &plan.response_model {
        end.push(KeyValue::new(sc::GEN_AI_RESPONSE_MODEL, model.clone()));
    }
    if let Some(usage) = &plan.usage {
        end.extend(usage_attributes(usage));
    }
    end.push(kv_strings(
        sc::GEN_AI_RESPONSE_FINISH_REASONS,
        [plan.finish_reason.to_owned()],
    ));
    if let Some(capture) = capture {
        end.extend(capture.top(
            sc::GEN_AI_OUTPUT_MESSAGES,
            ContentField::OutputMessages,
            messages::output_messages(&response.outputs, plan.finish_reason),
        ));
    }
    plan.end_attributes = end;
    plan
}
