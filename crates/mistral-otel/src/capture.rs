//! Content capture: redaction, then a size cap that keeps every value valid JSON.
//!
//! Content (instructions, messages, tool arguments and results) is off by default, as
//! the GenAI conventions require. When it is on, every captured value goes through the
//! user's [`Redactor`] first, as a structured JSON value, before any attribute exists;
//! then it is serialised and, past the per-attribute cap, shortened: string leaves are
//! cut (at a char boundary, with a `…` marker) to the longest length that fits, so the
//! result still parses and keeps its shape.

use std::sync::Arc;

use serde_json::Value;

/// Which captured value a [`Redactor`] is looking at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContentField {
    /// `gen_ai.system_instructions` (request `instructions`).
    SystemInstructions,
    /// `gen_ai.input.messages` (request `inputs`).
    InputMessages,
    /// `gen_ai.output.messages` (turn outputs, or one `message.output` on a `chat` span).
    OutputMessages,
    /// `gen_ai.tool.definitions` with full function schemas.
    ToolDefinitions,
    /// `gen_ai.tool.call.arguments` of a server-side tool or a function call.
    ToolArguments,
    /// `gen_ai.tool.call.result` (a tool execution's `info`).
    ToolResult,
    /// `braintrust.input_json`.
    BraintrustInput,
    /// `braintrust.output_json`.
    BraintrustOutput,
}

/// A hook that rewrites captured content before it becomes an attribute.
///
/// Any `Fn(ContentField, &mut serde_json::Value) + Send + Sync` is a redactor:
///
/// ```
/// use mistral_otel::capture::{ContentField, Redactor};
/// fn mask_emails(value: &mut serde_json::Value) {
///     match value {
///         serde_json::Value::String(s) if s.contains('@') => *s = "<email>".into(),
///         serde_json::Value::Array(items) => items.iter_mut().for_each(mask_emails),
///         serde_json::Value::Object(map) => map.values_mut().for_each(mask_emails),
///         _ => {}
///     }
/// }
/// let redactor = |_field: ContentField, value: &mut serde_json::Value| mask_emails(value);
/// let mut v = serde_json::json!([{"role": "user", "parts": [{"type": "text", "content": "me@x.io"}]}]);
/// redactor.redact(ContentField::InputMessages, &mut v);
/// assert_eq!(v[0]["parts"][0]["content"], "<email>");
/// ```
pub trait Redactor: Send + Sync {
    /// Rewrite `value` in place.
    fn redact(&self, field: ContentField, value: &mut Value);
}

impl<F> Redactor for F
where
    F: Fn(ContentField, &mut Value) + Send + Sync,
{
    fn redact(&self, field: ContentField, value: &mut Value) {
        self(field, value)
    }
}

/// Default cap for one captured attribute value, in bytes.
pub const DEFAULT_MAX_ATTRIBUTE_BYTES: usize = 32 * 1024;

const MARKER: &str = "…";

/// What the middleware does with content once capture is on.
#[derive(Clone)]
pub(crate) struct ContentPolicy {
    pub(crate) max_attribute_bytes: usize,
    pub(crate) redactor: Option<Arc<dyn Redactor>>,
}

impl std::fmt::Debug for ContentPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentPolicy")
            .field("max_attribute_bytes", &self.max_attribute_bytes)
            .field("redactor", &self.redactor.as_ref().map(|_| "<fn>"))
            .finish()
    }
}

impl Default for ContentPolicy {
    fn default() -> Self {
        Self {
            max_attribute_bytes: DEFAULT_MAX_ATTRIBUTE_BYTES,
            redactor: None,
        }
    }
}

/// A rendered captured value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rendered {
    pub(crate) json: String,
    pub(crate) truncated: bool,
}

impl ContentPolicy {
    /// Redact, serialise and cap one value.
    pub(crate) fn render(&self, field: ContentField, mut value: Value) -> Rendered {
        if let Some(redactor) = &self.redactor {
            redactor.redact(field, &mut value);
        }
        render_capped(&value, self.max_attribute_bytes)
    }
}

/// Serialise `value`; past `cap` bytes, cut its strings to the longest length that fits.
pub(crate) fn render_capped(value: &Value, cap: usize) -> Rendered {
    let full = value.to_string();
    if full.len() <= cap {
        return Rendered {
            json: full,
            truncated: false,
        };
    }
    let longest = longest_string(value);
    // serialised length grows with the allowed string length: binary search the largest fit
    let (mut lo, mut hi) = (0usize, longest);
    let mut best: Option<String> = None;
    while lo <= hi {
        let mid = lo + (hi - lo) / 2;
        let candidate = truncate_strings(value, mid).to_string();
        if candidate.len() <= cap {
            best = Some(candidate);
            lo = mid + 1;
        } else if mid == 0 {
            break;
        } else {
            hi = mid - 1;
        }
    }
    let json = best.unwrap_or_else(|| {
        // even empty strings do not fit: say so in a value that is still valid JSON
        let note = Value::String(format!("[truncated: {} bytes]", full.len())).to_string();
        if note.len() <= cap {
            note
        } else {
            "\"\"".to_owned()
        }
    });
    Rendered {
        json,
        truncated: true,
    }
}

fn longest_string(value: &Value) -> usize {
    match value {
        Value::String(s) => s.chars().count(),
        Value::Array(items) => items.iter().map(longest_string).max().unwrap_or(0),
        Value::Object(map) => map.values().map(longest_string).max().unwrap_or(0),
        _ => 0,
    }
}

fn truncate_strings(value: &Value, max_chars: usize) -> Value {
    match value {
        Value::String(s) => {
            if s.chars().count() <= max_chars {
                Value::String(s.clone())
            } else {
                let mut cut: String = s.chars().take(max_chars).collect();
                cut.push_str(MARKER);
                Value::String(cut)
            }
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| truncate_strings(v, max_chars))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), truncate_strings(v, max_chars)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Capture-side value for a JSON text such as tool arguments: parsed when it is JSON,
/// else kept as a string.
pub(crate) fn json_or_string(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn small_values_are_untouched() {
        let r = render_capped(&json!({"a": "b"}), 100);
        assert_eq!(r.json, r#"{"a":"b"}"#);
        assert!(!r.truncated);
    }

    #[test]
    fn oversized_values_stay_valid_json_under_the_cap() {
        let big = "é".repeat(10_000);
        let value = json!([{"role": "user", "parts": [{"type": "text", "content": big}]}]);
        for cap in [10, 64, 100, 1000, 5000] {
            let r = render_capped(&value, cap);
            assert!(r.truncated);
            assert!(r.json.len() <= cap, "cap {cap}: {}", r.json.len());
            let parsed: Value = serde_json::from_str(&r.json).unwrap();
            if cap >= 100 {
                assert_eq!(parsed[0]["role"], "user");
                assert!(
                    parsed[0]["parts"][0]["content"]
                        .as_str()
                        .unwrap()
                        .ends_with('…')
                );
            }
        }
    }

    #[test]
    fn redactor_runs_before_serialisation() {
        let policy = ContentPolicy {
            max_attribute_bytes: 1000,
            redactor: Some(Arc::new(|_f: ContentField, v: &mut Value| {
                *v = json!("redacted");
            })),
        };
        let r = policy.render(ContentField::InputMessages, json!("secret"));
        assert_eq!(r.json, "\"redacted\"");
    }
}
