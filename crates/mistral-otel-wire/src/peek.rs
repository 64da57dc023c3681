//! Reading one field of an event without decoding it, for callers that only need to
//! route an event (e.g. to the span of its output) before deciding to decode it.

use std::sync::LazyLock;

use memchr::memchr2;
use memchr::memmem::Finder;

const KEY: &[u8] = b"\"output_index\":";

// Built once: constructing a searcher costs about as much as the search itself.
static FINDER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(KEY));

/// The top-level `"output_index"` of an event's JSON `data`, read without parsing the JSON.
///
/// `Some(n)` only when the data starts (after whitespace) with `{`, the key
/// `"output_index":` appears spelled exactly so as a key of that top-level object (not
/// inside a string, not in a nested object or array), and its value is a plain run of
/// ASCII digits (whitespace allowed around the colon's right side) that fits a `u32`
/// and is not followed by a fraction or exponent.
///
/// `None` in every doubtful case, so a caller can fall back to [`decode_stream_event`]:
/// absent key, a key written with escapes (`"output\u005findex"`), a negative, float,
/// string or `null` value, overflow, or data whose strings or brackets do not balance
/// before the key. The search finds the key with `memchr::memmem` (a JSON string cannot
/// hold an unescaped quote, so the match is a key unless it sits in a nested container)
/// and then checks the bytes before it for bracket depth and string boundaries; other
/// malformations (a missing comma or colon) and anything after the value go unnoticed,
/// so on invalid JSON this may answer where [`decode_stream_event`] errors. With
/// duplicate top-level keys the first wins, whereas [`decode_stream_event`] keeps the
/// last.
///
/// ```
/// use mistral_otel_wire::peek_output_index;
/// let data = br#"{"type":"message.output.delta","output_index":3,"content":"x"}"#;
/// assert_eq!(peek_output_index(data), Some(3));
/// assert_eq!(peek_output_index(br#"{"info":{"output_index":3}}"#), None);
/// ```
///
/// [`decode_stream_event`]: crate::decode_stream_event
pub fn peek_output_index(data: &[u8]) -> Option<u32> {
    let first = data.iter().position(|b| !b.is_ascii_whitespace())?;
    if data.get(first) != Some(&b'{') {
        return None;
    }
    // Structural state at `pos`, which is always outside strings.
    let mut pos = first + 1;
    let mut depth = 1u32;
    let first_hit = FINDER.find(data)?;
    if plain_prefix(data.get(pos..first_hit)?) {
        return digits(data.get(first_hit + KEY.len()..)?);
    }
    for hit in FINDER.find_iter(data) {
        if hit < pos {
            // inside a string already skipped
            continue;
        }
        pos = advance(data, pos, hit, &mut depth)?;
        if pos == hit && depth == 1 {
            return digits(data.get(hit + KEY.len()..)?);
        }
    }
    None
}

/// The fast path: the bytes between the opening `{` and the first match leave it at depth 1
/// outside strings when they hold no bracket, no backslash and an even number of quotes,
/// as in the usual event, whose first fields are short plain strings. Otherwise
/// [`advance`] walks the structure.
fn plain_prefix(prefix: &[u8]) -> bool {
    // branch-free so that the compiler vectorises it
    let mut quotes = 0u32;
    let mut special = false;
    for &b in prefix {
        quotes += u32::from(b == b'"');
        special |= matches!(b, b'{' | b'[' | b'}' | b']' | b'\\');
    }
    !special && quotes.is_multiple_of(2)
}

/// Walk from `pos` (outside strings) to `target`, tracking bracket depth and jumping over
/// strings. Returns `target` when it lies outside strings, or the end of the string that
/// covers it. `None` when a string is unterminated or the top-level object closes first.
fn advance(data: &[u8], mut pos: usize, target: usize, depth: &mut u32) -> Option<usize> {
    while pos < target {
        match *data.get(pos)? {
            b'"' => pos = string_end(data, pos + 1)?,
            b'{' | b'[' => {
                *depth += 1;
                pos += 1;
            }
            b'}' | b']' => {
                *depth -= 1;
                if *depth == 0 {
                    return None;
                }
                pos += 1;
            }
            _ => pos += 1,
        }
    }
    Some(pos)
}

/// The position after the closing quote of the string whose contents start at `pos`.
fn string_end(data: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let i = pos + memchr2(b'"', b'\\', data.get(pos..)?)?;
        if *data.get(i)? == b'"' {
            return Some(i + 1);
        }
        // skip the escaped byte (a `\uXXXX` escape has no quote or backslash in it)
        pos = i + 2;
    }
}

/// A JSON unsigned integer at the start of `rest` (after optional whitespace).
fn digits(rest: &[u8]) -> Option<u32> {
    let start = rest.iter().position(|b| !b.is_ascii_whitespace())?;
    let mut n = 0u32;
    let mut len = 0;
    for &b in rest.get(start..)? {
        if !b.is_ascii_digit() {
            if matches!(b, b'.' | b'e' | b'E') {
                return None;
            }
            break;
        }
        n = n.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
        len += 1;
    }
    (len > 0).then_some(n)
}

/// The top-level string `key` of a JSON object, read from its first `limit` bytes and no
/// further: the keys before it are skipped unbuilt, and the read stops at the key. For a
/// request too large to parse (an OCR document inlined as base64) whose `model` comes
/// before the payload, as the SDKs write it. `None` when the key is absent from those
/// bytes, is not a string, or the JSON breaks before it.
///
/// ```
/// use mistral_otel_wire::peek_top_level_string;
/// let body = br#"{"model":"mistral-ocr-latest","document":{"type":"document_url","document_url":"data:application/pdf;base64,JVBERi0xLjcK"}}"#;
/// assert_eq!(peek_top_level_string(body, "model", 40).as_deref(), Some("mistral-ocr-latest"));
/// assert_eq!(peek_top_level_string(br#"{"document":{"model":"x"},"model":"m"}"#, "model", 64).as_deref(), Some("m"));
/// assert_eq!(peek_top_level_string(br#"{"document":"...long...","model":"m"}"#, "model", 12), None);
/// ```
pub fn peek_top_level_string(data: &[u8], key: &str, limit: usize) -> Option<String> {
    use serde::Deserializer as _;
    use serde::de::{IgnoredAny, MapAccess, Visitor};

    struct Find<'k> {
        key: &'k str,
        found: &'k mut Option<String>,
    }
    impl<'de> Visitor<'de> for Find<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if k == self.key {
                    // stop here: nothing after the value is read (the deserializer then
                    // reports the unread rest, which is ignored)
                    *self.found = map.next_value::<Option<String>>().ok().flatten();
                    return Ok(());
                }
                map.next_value::<IgnoredAny>()?;
            }
            Ok(())
        }
    }
    let prefix = data.get(..limit.min(data.len()))?;
    let mut found = None;
    let mut de = serde_json::Deserializer::from_slice(prefix);
    let _ = de.deserialize_map(Find {
        key,
        found: &mut found,
    });
    found
}
