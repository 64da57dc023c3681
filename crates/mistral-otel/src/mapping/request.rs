//! A turn request (start / append / restart) to the turn span's name and start attributes.

use mistral_otel_wire::{AgentVersion, Operation, TurnRequest};
use opentelemetry::KeyValue;

use super::{kv_strings, messages};
use crate::capture::{Capture, ContentField};
use crate::semconv::{self as sc, Conventions};

/// What is known about a turn before it is sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct TurnStart {
    pub(crate) span_name: String,
    pub(crate) attributes: Vec<KeyValue>,
    pub(crate) request_model: Option<String>,
    pub(crate) stream: bool,
    /// The `gen_ai.conversation.id` already set at start.
    pub(crate) conversation_id: Option<String>,
}

/// Where the request goes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    pub(crate) host: &'a str,
    pub(crate) port: u16,
}

/// Everything the turn span carries at its start.
#[allow(clippy::too_many_arguments)] // each is one fact about the request
pub(crate) fn turn_start(
    operation: Operation,
    path_conversation_id: Option<&str>,
    request: Option<&TurnRequest>,
    agent_name_override: Option<&str>,
    accept_event_stream: bool,
    target: Target<'_>,
    capture: Option<&Capture>,
    conventions: Conventions,
) -> TurnStart {
    let mut attrs = Vec::with_capacity(24);
    attrs.push(KeyValue::new(
        sc::GEN_AI_OPERATION_NAME,
        sc::op::INVOKE_AGENT,
    ));
    attrs.push(KeyValue::new(
        sc::GEN_AI_PROVIDER_NAME,
        sc::PROVIDER_MISTRAL,
    ));
    if let Some(kind) = operation.turn_kind() {
        attrs.push(KeyValue::new(sc::MISTRAL_CONVERSATION_OPERATION, kind));
    }
    attrs.push(KeyValue::new(sc::SERVER_ADDRESS, target.host.to_owned()));
    attrs.push(KeyValue::new(sc::SERVER_PORT, i64::from(target.port)));
    // a restart answers with a new conversation id, set when the response arrives; the
    // SDK keeps every value set for a key, so the path id gets its own key here
    let mut conversation_id = None;
    if let Some(id) = path_conversation_id {
        if operation == Operation::ConversationRestart {
            attrs.push(KeyValue::new(
                sc::MISTRAL_SOURCE_CONVERSATION_ID,
                id.to_owned(),
            ));
        } else {
            attrs.push(KeyValue::new(sc::GEN_AI_CONVERSATION_ID, id.to_owned()));
            conversation_id = Some(id.to_owned());
        }
    }
    let stream = request
        .and_then(|r| r.stream)
        .unwrap_or(accept_event_stream);
    // v1.41.1 has no `gen_ai.request.stream` on `invoke_agent` spans; the latest
    // conventions add it, set "if and only if the request is streaming"
    if stream && conventions == Conventions::GenAiLatest {
        attrs.push(KeyValue::new(sc::GEN_AI_REQUEST_STREAM, true));
    }

    let agent_name = agent_name_override
        .map(str::to_owned)
        .or_else(|| request.and_then(|r| r.name.clone()));
    let span_name = match &agent_name {
        Some(name) => format!("{} {name}", sc::op::INVOKE_AGENT),
        None => sc::op::INVOKE_AGENT.to_owned(),
    };
    if let Some(name) = agent_name {
        attrs.push(KeyValue::new(sc::GEN_AI_AGENT_NAME, name));
    }

    let mut start = TurnStart {
        span_name,
        stream,
        conversation_id,
        ..TurnStart::default()
    };
    let Some(req) = request else {
        start.attributes = attrs;
        return start;
    };

    if let Some(model) = &req.model {
        attrs.push(KeyValue::new(sc::GEN_AI_REQUEST_MODEL, model.clone()));
        start.request_model = Some(model.clone());
    }
    if let Some(agent_id) = &req.agent_id {
        attrs.push(KeyValue::new(sc::GEN_AI_AGENT_ID, agent_id.clone()));
    }
    attrs.extend(req.agent_version.as_ref().map(agent_version));
    if let Some(description) = &req.description {
        attrs.push(KeyValue::new(
            sc::GEN_AI_AGENT_DESCRIPTION,
            description.clone(),
        ));
    }
    if let Some(from) = &req.from_entry_id {
        attrs.push(KeyValue::new(sc::MISTRAL_FROM_ENTRY_ID, from.clone()));
    }
    if let Some(store) = req.store {
        attrs.push(KeyValue::new(sc::MISTRAL_STORE, store));
    }
    if let Some(h) = &req.handoff_execution {
        attrs.push(KeyValue::new(sc::MISTRAL_HANDOFF_EXECUTION, h.clone()));
    }
    if let Some(guardrails) = &req.guardrails {
        attrs.extend(super::guardrail::config_attributes(guardrails));
    }
    if let Some(args) = &req.completion_args {
        if let Some(v) = args.temperature {
            attrs.push(KeyValue::new(sc::GEN_AI_REQUEST_TEMPERATURE, v));
        }
        if let Some(v) = args.top_p {
            attrs.push(KeyValue::new(sc::GEN_AI_REQUEST_TOP_P, v));
        }
        if let Some(v) = args.max_tokens {
            attrs.push(KeyValue::new(sc::GEN_AI_REQUEST_MAX_TOKENS, v));
        }
        if let Some(v) = args.random_seed {
            attrs.push(KeyValue::new(sc::GEN_AI_REQUEST_SEED, v));
        }
        if !args.stop.is_empty() {
            attrs.push(kv_strings(
                sc::GEN_AI_REQUEST_STOP_SEQUENCES,
                args.stop.iter().cloned(),
            ));
        }
        if let Some(v) = args.frequency_penalty {
            attrs.push(KeyValue::new(sc::GEN_AI_REQUEST_FREQUENCY_PENALTY, v));
        }
        if let Some(v) = args.presence_penalty {
            attrs.push(KeyValue::new(sc::GEN_AI_REQUEST_PRESENCE_PENALTY, v));
        }
        if let Some(effort) = &args.reasoning_effort {
            attrs.push(KeyValue::new(
                sc::MISTRAL_REQUEST_REASONING_EFFORT,
                effort.clone(),
            ));
        }
        if let Some(format) = &args.response_format {
            let output_type = if format == "text" { "text" } else { "json" };
            attrs.push(KeyValue::new(sc::GEN_AI_OUTPUT_TYPE, output_type));
        }
    }
    if !req.tools.is_empty() {
        attrs.push(tool_definitions(&req.tools, capture));
    }
    if let Some(capture) = capture {
        if let Some(instructions) = &req.instructions {
            attrs.extend(capture.top(
                sc::GEN_AI_SYSTEM_INSTRUCTIONS,
                ContentField::SystemInstructions,
                messages::system_instructions(instructions),
            ));
        }
        if let Some(inputs) = &req.inputs {
            attrs.extend(capture.top(
                sc::GEN_AI_INPUT_MESSAGES,
                ContentField::InputMessages,
                messages::input_messages(inputs),
            ));
        }
    }
    start.attributes = attrs;
    start
}

/// The agent version a request asks for: a number is `gen_ai.agent.version`; an alias
/// (`production`) is `mistral_ai.agent.version_alias` (the version it stands for is not in a
/// turn's response; an agent read answers it).
pub(crate) fn agent_version(version: &AgentVersion) -> KeyValue {
    match version {
        AgentVersion::Number(n) => KeyValue::new(sc::GEN_AI_AGENT_VERSION, n.to_string()),
        AgentVersion::Alias(alias) => KeyValue::new(sc::MISTRAL_AGENT_VERSION_ALIAS, alias.clone()),
    }
}

/// `gen_ai.tool.definitions`: type and name only, or (capturing) the full function schemas.
pub(crate) fn tool_definitions(
    tools: &[mistral_otel_wire::ToolDefinition],
    capture: Option<&Capture>,
) -> KeyValue {
    // full schemas are content: on the span only when content goes there (and kept for the
    // event when it goes there); names and types otherwise
    capture
        .and_then(|c| {
            c.top(
                sc::GEN_AI_TOOL_DEFINITIONS,
                ContentField::ToolDefinitions,
                messages::tool_definitions(tools, true),
            )
        })
        .unwrap_or_else(|| {
            KeyValue::new(
                sc::GEN_AI_TOOL_DEFINITIONS,
                messages::tool_definitions(tools, false).to_string(),
            )
        })
}
