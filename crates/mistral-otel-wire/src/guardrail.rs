//! Guardrails: what a request configures (`guardrails`: which moderation, its action,
//! `block_on_error`) and what a response or an error body says they found. Mistral's
//! results come in three shapes: an array of `{<guardrail>: {action, categories: {name:
//! {score, violated}}}}` on a response, `{"results": {<guardrail>: {decisions, violated,
//! action}}}` in a blocked request's 403 body, and an array whose entries carry an `error`
//! when the evaluation itself failed (code 3201).

use serde_json::Value;

use crate::lenient::{self, Object};

/// One guardrail the request configures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardrailConfig {
    /// `moderation_llm_v1`, `moderation_llm_v2`, ...
    pub guardrail: String,
    /// `action`: `block` or `none`.
    pub action: Option<String>,
    /// `block_on_error` of the entry it is in.
    pub block_on_error: bool,
}

/// What one guardrail found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuardrailResult {
    /// `moderation_llm_v2`, ...
    pub guardrail: String,
    /// `action` taken: `none`, `block` (or another value as sent).
    pub action: Option<String>,
    /// Categories found violated, sorted.
    pub violated: Vec<String>,
    /// Whether the guardrail says the input violated it (`violated`, or any category).
    pub any_violated: bool,
    /// The message of an evaluation that failed.
    pub error: Option<String>,
}

/// The guardrails a request's `guardrails` value configures; entries set to `null` are
/// not configured.
///
/// ```
/// let config = serde_json::json!([{"block_on_error": true, "moderation_llm_v1": null,
///     "moderation_llm_v2": {"action": "block", "custom_category_thresholds": {"pii": 0.2}}}]);
/// let found = mistral_otel_wire::guardrail_config(&config);
/// assert_eq!(found.len(), 1);
/// assert_eq!(found[0].guardrail, "moderation_llm_v2");
/// assert_eq!((found[0].action.as_deref(), found[0].block_on_error), (Some("block"), true));
/// ```
pub fn guardrail_config(value: &Value) -> Vec<GuardrailConfig> {
    let Value::Array(entries) = value else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.iter().filter_map(Value::as_object) {
        let block_on_error = lenient::boolean(entry, "block_on_error").unwrap_or(false);
        for (name, config) in entry {
            if let Value::Object(config) = config {
                out.push(GuardrailConfig {
                    guardrail: name.clone(),
                    action: lenient::string(config, "action"),
                    block_on_error,
                });
            }
        }
    }
    out
}

/// What a `guardrails` value of a response or an error body says, in any of the three
/// shapes.
///
/// ```
/// let response = serde_json::json!([{"moderation_llm_v2": {"action": "none", "categories": {
///     "pii": {"score": 0.01, "violated": false}, "selfharm": {"score": 0.9, "violated": true}}}}]);
/// let found = mistral_otel_wire::guardrail_results(&response);
/// assert_eq!(found[0].violated, vec!["selfharm".to_owned()]);
/// let blocked = serde_json::json!({"results": {"moderation_llm_v2": {"violated": true,
///     "action": "block", "decisions": {"sexual": {"threshold": 0.1, "score": 0.3, "violated": true}}}}});
/// let found = mistral_otel_wire::guardrail_results(&blocked);
/// assert_eq!((found[0].action.as_deref(), found[0].any_violated), (Some("block"), true));
/// ```
pub fn guardrail_results(value: &Value) -> Vec<GuardrailResult> {
    let mut out = Vec::new();
    match value {
        Value::Array(entries) => {
            for entry in entries.iter().filter_map(Value::as_object) {
                out.extend(entry.iter().filter_map(|(name, v)| result(name, v)));
            }
        }
        Value::Object(obj) => {
            let results = match obj.get("results") {
                Some(Value::Object(results)) => results,
                _ => obj,
            };
            out.extend(results.iter().filter_map(|(name, v)| result(name, v)));
        }
        _ => {}
    }
    out
}

fn result(name: &str, value: &Value) -> Option<GuardrailResult> {
    let obj: &Object = value.as_object()?;
    let categories = obj
        .get("categories")
        .or_else(|| obj.get("decisions"))
        .and_then(Value::as_object);
    let mut violated: Vec<String> = categories
        .map(|c| {
            c.iter()
                .filter(|(_, v)| {
                    v.get("violated").and_then(Value::as_bool).unwrap_or(false)
                        || v.as_bool().unwrap_or(false)
                })
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default();
    violated.sort();
    let error = match obj.get("error") {
        Some(Value::Object(e)) => lenient::string(e, "message").or_else(|| Some(String::new())),
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    Some(GuardrailResult {
        guardrail: name.to_owned(),
        action: lenient::string(obj, "action"),
        any_violated: lenient::boolean(obj, "violated").unwrap_or(false) || !violated.is_empty(),
        violated,
        error,
    })
}
