//! Braintrust rendering: `braintrust.*` JSON attributes so Braintrust shows the tree as
//! task / llm / tool rows.

use std::time::Duration;

use mistral_otel_wire::{Operation, TurnRequest, Usage};
use opentelemetry::KeyValue;
use serde_json::{Map, Value, json};

use super::response::ChildKind;
use crate::capture::ContentPolicy;
use crate::semconv::braintrust as bt;

/// `braintrust.span_attributes` and `braintrust.metadata` of a turn span.
pub(crate) fn turn_start(
    operation: Operation,
    request: Option<&TurnRequest>,
    conversation_id: Option<&str>,
    stream: bool,
    _content: Option<&ContentPolicy>,
) -> Vec<KeyValue> {
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
    vec![
        KeyValue::new(bt::SPAN_ATTRIBUTES, span_attributes.to_string()),
        KeyValue::new(bt::METADATA, Value::Object(metadata).to_string()),
    ]
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
