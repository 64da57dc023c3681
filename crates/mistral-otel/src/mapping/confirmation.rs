//! Tool confirmations (human in the loop): a function call `pending` confirmation is a
//! `require_approval` decision; the append that answers carries `allow` or `deny` for it.
//! Each decision is a span event named by the conventions in force (the latest
//! conventions' `gen_ai.tool.call.decision`, else `mistral_ai.tool.call.decision`).

use std::time::Duration;

use opentelemetry::KeyValue;

use crate::semconv::{self as sc, Conventions};

/// The `confirmation_status` of a call that waits for the user.
pub(crate) const PENDING: &str = "pending";

/// The outcome an answer's `confirmation` gives (`allow` / `deny`; anything else as sent).
pub(crate) fn outcome_of(confirmation: &str) -> String {
    confirmation.trim().to_ascii_lowercase()
}

/// A decision span event: its name and attributes.
pub(crate) fn decision_event(
    conventions: Conventions,
    tool_call_id: &str,
    tool_name: Option<&str>,
    outcome: &str,
    wait: Option<Duration>,
) -> (&'static str, Vec<KeyValue>) {
    let (name, outcome_key) = match conventions {
        Conventions::GenAiLatest => (
            sc::GEN_AI_TOOL_CALL_DECISION_EVENT,
            sc::GEN_AI_TOOL_CALL_DECISION_OUTCOME,
        ),
        _ => (
            sc::MISTRAL_TOOL_CALL_DECISION_EVENT,
            sc::MISTRAL_TOOL_CALL_DECISION_OUTCOME,
        ),
    };
    let mut attrs = vec![
        KeyValue::new(outcome_key, outcome.to_owned()),
        KeyValue::new(sc::GEN_AI_TOOL_CALL_ID, tool_call_id.to_owned()),
    ];
    if let Some(n) = tool_name {
        attrs.push(KeyValue::new(sc::GEN_AI_TOOL_NAME, n.to_owned()));
    }
    if let Some(w) = wait {
        attrs.push(KeyValue::new(sc::MISTRAL_TOOL_CALL_WAIT, w.as_secs_f64()));
    }
    (name, attrs)
}
