//! Content capture: redaction, then a size cap that keeps every value valid JSON.
//!
//! Content (instructions, messages, tool arguments and results) is off by default, as
//! the GenAI conventions require. When it is on, every captured value goes through the
//! user's [`Redactor`] first, as a structured JSON value, before any attribute exists;
//! then it is serialised and, past the per-attribute cap, shortened: string leaves are
//! cut (at a char boundary, with a `…` marker) to the longest length that fits, so the
//! result still parses and keeps its shape.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use opentelemetry::KeyValue;
use serde_json::Value;

/// Where captured content goes, as the GenAI instrumentations spell it
/// (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`).
///
/// ```
/// use mistral_otel::capture::ContentCapture;
/// assert_eq!(ContentCapture::parse("span_and_event"), Some(ContentCapture::SpanAndEvent));
/// assert_eq!(ContentCapture::parse("true"), Some(ContentCapture::SpanOnly));
/// assert_eq!(ContentCapture::parse("false"), Some(ContentCapture::NoContent));
/// assert_eq!(ContentCapture::parse("maybe"), None);
/// assert!(ContentCapture::EventOnly.events() && !ContentCapture::EventOnly.spans());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ContentCapture {
    /// No content anywhere (the default).
    #[default]
    NoContent,
    /// Content as span attributes.
    SpanOnly,
    /// Content only in the `gen_ai.client.inference.operation.details` event (a log record).
    EventOnly,
    /// Content on spans and in the event.
    SpanAndEvent,
}

impl ContentCapture {
    /// `NO_CONTENT`, `SPAN_ONLY`, `EVENT_ONLY`, `SPAN_AND_EVENT` (any case), or `true` /
    /// `1` (span only) and `false` / `0` (none); `None` for anything else.
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value.trim().to_ascii_lowercase().as_str() {
            "no_content" | "false" | "0" => ContentCapture::NoContent,
            "span_only" | "true" | "1" => ContentCapture::SpanOnly,
            "event_only" => ContentCapture::EventOnly,
            "span_and_event" => ContentCapture::SpanAndEvent,
            _ => return None,
        })
    }

    /// Whether content goes on spans.
    pub fn spans(self) -> bool {
        matches!(
            self,
            ContentCapture::SpanOnly | ContentCapture::SpanAndEvent
        )
    }

    /// Whether content goes in the events.
    pub fn events(self) -> bool {
        matches!(
            self,
            ContentCapture::EventOnly | ContentCapture::SpanAndEvent
        )
    }

    /// Whether content is read at all.
    pub fn any(self) -> bool {
        self != ContentCapture::NoContent
    }
}

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

/// Content capture for one call: its policy, where content goes, whether any value had to
/// be cut (the call's span is then marked `mistral_ai.content.truncated`), and the call's
/// content kept for its event.
#[derive(Debug)]
pub(crate) struct Capture {
    policy: ContentPolicy,
    mode: ContentCapture,
    truncated: AtomicBool,
    /// The call's top-level content (input and output messages, instructions, tool
    /// definitions) as structured values, for the event.
    for_event: Mutex<Vec<(&'static str, Value)>>,
}

impl Capture {
    /// Capture for one call; `mode` must not be [`ContentCapture::NoContent`].
    pub(crate) fn new(policy: ContentPolicy, mode: ContentCapture) -> Self {
        Self {
            policy,
            mode,
            truncated: AtomicBool::new(false),
            for_event: Mutex::new(Vec::new()),
        }
    }

    /// Whether content goes on spans.
    pub(crate) fn spans(&self) -> bool {
        self.mode.spans()
    }

    /// A content attribute of a span other than the call's own (a child's tool arguments,
    /// a message output): only when content goes on spans.
    pub(crate) fn span_kv(
        &self,
        key: &'static str,
        field: ContentField,
        value: Value,
    ) -> Option<KeyValue> {
        self.spans()
            .then(|| KeyValue::new(key, self.render(field, value)))
    }

    /// A content attribute of the call itself: kept for the event when content goes there,
    /// returned as an attribute when content goes on spans.
    pub(crate) fn top(
        &self,
        key: &'static str,
        field: ContentField,
        value: Value,
    ) -> Option<KeyValue> {
        let json = self.render(field, value);
        if self.mode.events()
            && let Ok(mut kept) = self.for_event.lock()
        {
            // capped and still valid JSON: read back as the structured value
            let structured = serde_json::from_str(&json).unwrap_or(Value::Null);
            kept.retain(|(k, _)| *k != key);
            kept.push((key, structured));
        }
        self.spans().then(|| KeyValue::new(key, json))
    }

    /// The content kept for the event.
    pub(crate) fn event_content(&self) -> Vec<(&'static str, Value)> {
        self.for_event
            .lock()
            .map(|kept| kept.clone())
            .unwrap_or_default()
    }

    /// Redact, serialise and cap one value, remembering a cut.
    pub(crate) fn render(&self, field: ContentField, value: Value) -> String {
        let rendered = self.policy.render(field, value);
        if rendered.truncated {
            self.mark_truncated();
        }
        rendered.json
    }

    /// Content was left out or cut somewhere else (a stream's capture budget).
    pub(crate) fn mark_truncated(&self) {
        self.truncated.store(true, Ordering::Relaxed);
    }

    pub(crate) fn truncated(&self) -> bool {
        self.truncated.load(Ordering::Relaxed)
    }

    /// The per-attribute cap.
    pub(crate) fn max_attribute_bytes(&self) -> usize {
        self.policy.max_attribute_bytes
    }
}

/// Serialise `value`; past `cap` bytes, cut its strings to the longest length that fits.
///
/// Linear in the size of `value`: it is serialised once to measure it and once more to
/// write the result, and the longest length that fits is searched on arithmetic, not by
/// serialising candidates. For a length `m`, strings of at most `m` characters count
/// whole; longer ones count their first `m` characters (escaped as JSON escapes them)
/// plus the marker. Each step of the search first bounds that sum from below (a kept
/// character is at least one byte) and walks the long strings' first `m` characters only
/// when the bound fits the cap, so a step costs at most the number of strings plus `cap`.
pub(crate) fn render_capped(value: &Value, cap: usize) -> Rendered {
    let full = value.to_string();
    if full.len() <= cap {
        return Rendered {
            json: full,
            truncated: false,
        };
    }
    let mut strings: Vec<Leaf<'_>> = Vec::new();
    collect_strings(value, &mut strings);
    strings.sort_by_key(|leaf| leaf.chars);
    // `base`: everything but the strings' contents (quotes, keys, numbers, structure)
    let contents: usize = strings.iter().map(|leaf| leaf.escaped).sum();
    let base = full.len() - contents;
    // prefix sums of the escaped lengths, in order of character count
    let mut short_sums = Vec::with_capacity(strings.len() + 1);
    short_sums.push(0usize);
    for leaf in &strings {
        short_sums.push(short_sums.last().copied().unwrap_or(0) + leaf.escaped);
    }
    let size_at = |m: usize| -> Option<usize> {
        let short = strings.partition_point(|leaf| leaf.chars <= m);
        let long = strings.get(short..).unwrap_or_default();
        let fixed = base + short_sums.get(short).copied().unwrap_or(0);
        let lower = fixed + long.len() * (m + MARKER.len());
        if lower > cap {
            return None;
        }
        let cut: usize = long
            .iter()
            .map(|leaf| escaped_prefix_len(leaf.text, m))
            .sum();
        Some(fixed + cut + long.len() * MARKER.len()).filter(|size| *size <= cap)
    };
    let longest = strings.last().map_or(0, |leaf| leaf.chars);
    let (mut lo, mut hi) = (0usize, longest.min(cap));
    let mut best: Option<usize> = None;
    while lo <= hi {
        let mid = lo + (hi - lo) / 2;
        if size_at(mid).is_some() {
            best = Some(mid);
            lo = mid + 1;
        } else if mid == 0 {
            break;
        } else {
            hi = mid - 1;
        }
    }
    let json = match best {
        Some(m) => serde_json::to_string(&Capped {
            value,
            max_chars: m,
        })
        .unwrap_or_default(),
        None => {
            // even empty strings do not fit: say so in a value that is still valid JSON
            let note = Value::String(format!("[truncated: {} bytes]", full.len())).to_string();
            if note.len() <= cap {
                note
            } else {
                "\"\"".to_owned()
            }
        }
    };
    Rendered {
        json,
        truncated: true,
    }
}

/// A string leaf: its text, characters and escaped length (without quotes).
struct Leaf<'a> {
    text: &'a str,
    chars: usize,
    escaped: usize,
}

fn collect_strings<'a>(value: &'a Value, out: &mut Vec<Leaf<'a>>) {
    match value {
        Value::String(s) => out.push(Leaf {
            text: s,
            chars: s.chars().count(),
            escaped: s.chars().map(escaped_len).sum(),
        }),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// Bytes `serde_json` writes for `c` inside a string.
fn escaped_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
        c if (c as u32) < 0x20 => 6,
        c => c.len_utf8(),
    }
}

fn escaped_prefix_len(text: &str, max_chars: usize) -> usize {
    text.chars().take(max_chars).map(escaped_len).sum()
}

/// `value` serialised with every string longer than `max_chars` characters cut there and
/// marked, without copying the value.
struct Capped<'a> {
    value: &'a Value,
    max_chars: usize,
}

impl serde::Serialize for Capped<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.value {
            Value::String(s) => match s.char_indices().nth(self.max_chars) {
                Some((cut, _)) => {
                    let mut text = String::with_capacity(cut + MARKER.len());
                    text.push_str(s.get(..cut).unwrap_or_default());
                    text.push_str(MARKER);
                    serializer.serialize_str(&text)
                }
                None => serializer.serialize_str(s),
            },
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Capped {
                        value: item,
                        max_chars: self.max_chars,
                    })?;
                }
                seq.end()
            }
            Value::Object(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (key, item) in fields {
                    map.serialize_entry(
                        key,
                        &Capped {
                            value: item,
                            max_chars: self.max_chars,
                        },
                    )?;
                }
                map.end()
            }
            other => other.serialize(serializer),
        }
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

    /// The former implementation (re-serialising every candidate), kept as the reference.
    fn reference(value: &Value, cap: usize) -> Rendered {
        fn longest(value: &Value) -> usize {
            match value {
                Value::String(s) => s.chars().count(),
                Value::Array(items) => items.iter().map(longest).max().unwrap_or(0),
                Value::Object(map) => map.values().map(longest).max().unwrap_or(0),
                _ => 0,
            }
        }
        fn cut(value: &Value, max: usize) -> Value {
            match value {
                Value::String(s) if s.chars().count() > max => {
                    Value::String(s.chars().take(max).collect::<String>() + MARKER)
                }
                Value::Array(items) => Value::Array(items.iter().map(|v| cut(v, max)).collect()),
                Value::Object(map) => {
                    Value::Object(map.iter().map(|(k, v)| (k.clone(), cut(v, max))).collect())
                }
                other => other.clone(),
            }
        }
        let full = value.to_string();
        if full.len() <= cap {
            return Rendered {
                json: full,
                truncated: false,
            };
        }
        let (mut lo, mut hi) = (0usize, longest(value));
        let mut best = None;
        while lo <= hi {
            let mid = lo + (hi - lo) / 2;
            let candidate = cut(value, mid).to_string();
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

    fn arbitrary_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let text = proptest::string::string_regex("[a-zé\"\\\n\u{1}€😀 ]{0,40}").unwrap();
        let leaf = prop_oneof![
            text.prop_map(Value::String),
            any::<i64>().prop_map(Value::from),
            Just(Value::Null),
        ];
        leaf.prop_recursive(3, 40, 6, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map("[a-z]{1,6}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn the_linear_search_cuts_exactly_as_re_serialising_every_candidate_would(
            value in arbitrary_value(),
            cap in 0usize..400,
        ) {
            proptest::prop_assert_eq!(render_capped(&value, cap), reference(&value, cap));
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
