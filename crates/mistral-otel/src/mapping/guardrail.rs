//! Guardrails: the configuration a request asks for, what the guardrails found in a
//! response, and a blocked request. Mistral's guardrails run server-side inside the call,
//! so they are attributes and events of the call's span (`mistral_ai.guardrail.*`), not the
//! conventions' `apply_guardrail` span, which stands for a guardrail service the client
//! calls itself.

use mistral_otel_wire::{GuardrailResult, guardrail_config};
use opentelemetry::KeyValue;
use opentelemetry::trace::SpanRef;
use serde_json::Value;

use super::kv_strings;
use crate::semconv as sc;

/// The `error.type` of a request a guardrail blocked.
pub(crate) const BLOCKED: &str = "guardrail_blocked";
/// The `error.type` of a request blocked because a guardrail's evaluation failed
/// (`block_on_error`).
pub(crate) const FAILED: &str = "guardrail_error";

/// The request's guardrail configuration: the raw value (no secret in it) and which
/// guardrails, with what action and whether an evaluation error blocks.
pub(crate) fn config_attributes(guardrails: &Value) -> Vec<KeyValue> {
    if guardrails.is_null() {
        return Vec::new();
    }
    let config = guardrail_config(guardrails);
    let mut attrs = vec![KeyValue::new(
        sc::MISTRAL_GUARDRAILS,
        guardrails.to_string(),
    )];
    if !config.is_empty() {
        attrs.push(kv_strings(
            sc::MISTRAL_GUARDRAIL_NAMES,
            config.iter().map(|c| c.guardrail.clone()),
        ));
        attrs.push(kv_strings(
            sc::MISTRAL_GUARDRAIL_ACTIONS,
            config
                .iter()
                .map(|c| c.action.clone().unwrap_or_else(|| "none".to_owned())),
        ));
        attrs.push(KeyValue::new(
            sc::MISTRAL_GUARDRAIL_BLOCK_ON_ERROR,
            config.iter().any(|c| c.block_on_error),
        ));
    }
    attrs
}

/// The `error.type` of a failed call whose body names guardrails.
pub(crate) fn error_type(results: &[GuardrailResult], code: Option<&str>) -> Option<&'static str> {
    if results.is_empty() {
        return None;
    }
    if code == Some("3201") || results.iter().any(|r| r.error.is_some()) {
        Some(FAILED)
    } else {
        Some(BLOCKED)
    }
}

/// One `mistral_ai.guardrail.result` event per guardrail on `span`, and the violated
/// categories of all of them on the span.
pub(crate) fn record_results(span: &SpanRef<'_>, results: &[GuardrailResult]) {
    if results.is_empty() {
        return;
    }
    let mut violated: Vec<String> = Vec::new();
    for result in results {
        let mut attrs = vec![KeyValue::new(
            sc::MISTRAL_GUARDRAIL_NAME,
            result.guardrail.clone(),
        )];
        if let Some(action) = &result.action {
            attrs.push(KeyValue::new(sc::MISTRAL_GUARDRAIL_ACTION, action.clone()));
        }
        attrs.push(KeyValue::new(
            sc::MISTRAL_GUARDRAIL_VIOLATED,
            result.any_violated,
        ));
        if !result.violated.is_empty() {
            attrs.push(kv_strings(
                sc::MISTRAL_GUARDRAIL_CATEGORIES,
                result.violated.iter().cloned(),
            ));
        }
        if let Some(error) = &result.error {
            attrs.push(KeyValue::new(sc::MISTRAL_GUARDRAIL_ERROR, error.clone()));
        }
        violated.extend(result.violated.iter().cloned());
        span.add_event(sc::MISTRAL_GUARDRAIL_RESULT_EVENT, attrs);
    }
    violated.sort();
    violated.dedup();
    span.set_attribute(KeyValue::new(
        sc::MISTRAL_GUARDRAIL_VIOLATED,
        results.iter().any(|r| r.any_violated),
    ));
    if !violated.is_empty() {
        span.set_attribute(kv_strings(sc::MISTRAL_GUARDRAIL_CATEGORIES, violated));
    }
}
