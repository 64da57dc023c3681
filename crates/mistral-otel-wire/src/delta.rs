//! The common deltas read in one forward scan, without building a JSON tree: a
//! conversation's `message.output.delta` with text content, and a completion chunk whose
//! one choice carries text (or nothing) and nothing else. Everything else, and anything
//! unusual (escaped keys, nested values where a scalar is expected, a second choice, tool
//! calls, a finish reason, usage, an error), answers `None`, and the caller decodes the
//! event in full. Whenever these answer, the full decoders agree (the robustness tests and
//! the fuzz targets check it): the scan validates the structure it walks and the data's
//! UTF-8, and unescapes text with `serde_json`.
//!
//! The events of one stream differ from one another only in a few string values (the
//! text, a timestamp, padding). The readers ([`ChunkReader`], [`TextDeltaReader`]) keep
//! the last event they read in full as a template: its bytes, with the spans of its free
//! string values (not keys, not values the scan compares) as holes. An event whose bytes
//! outside the holes are the template's, and whose holes hold valid JSON strings, is what
//! the scan would read with the same structure and the same numbers: only the text is
//! taken from it. The scan's answer does not depend on a free string's content beyond
//! its validity, so the answer is the stateless function's.

use std::borrow::Cow;

/// A `message.output.delta` whose content is text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextDelta<'a> {
    /// `output_index`
    pub output_index: u32,
    /// `content_index` (0 when absent).
    pub content_index: u32,
    /// The text, unescaped.
    pub text: Cow<'a, str>,
}

/// A completion chunk with one choice whose delta is at most text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkText<'a> {
    /// The choice's `index`.
    pub index: u32,
    /// The delta's text (empty when the delta has no content, `null` or `""`).
    pub text: Cow<'a, str>,
}

/// Read a `message.output.delta` payload whose `content` is a string.
///
/// ```
/// use mistral_otel_wire::peek_text_delta;
/// let d = peek_text_delta(br#"{"type":"message.output.delta","created_at":"2026-03-10T10:02:49.023111Z","output_index":1,"id":"msg_1","content_index":0,"model":"m","role":"assistant","content":"On \"it\""}"#).unwrap();
/// assert_eq!((d.output_index, d.content_index, d.text.as_ref()), (1, 0, "On \"it\""));
/// assert!(peek_text_delta(br#"{"output_index":1,"content":{"type":"thinking","thinking":[]}}"#).is_none());
/// ```
pub fn peek_text_delta(data: &[u8]) -> Option<TextDelta<'_>> {
    scan_text_delta(&mut Scan::new(data, false)?)
}

/// Read a completion chunk that is one choice's text (or an empty delta) and nothing
/// more: no tool calls, no finish reason, no usage, no error.
///
/// ```
/// use mistral_otel_wire::peek_chunk_text;
/// let c = peek_chunk_text(br#"{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"p":"abc"}"#).unwrap();
/// assert_eq!((c.index, c.text.as_ref()), (0, "Hi"));
/// assert!(peek_chunk_text(br#"{"choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop"}]}"#).is_none());
/// ```
pub fn peek_chunk_text(data: &[u8]) -> Option<ChunkText<'_>> {
    scan_chunk(&mut Scan::new(data, false)?)
}

/// [`peek_text_delta`] for the events of one stream, through a template of the last one
/// read in full (see the module docs): the same answers, most of them without a scan.
///
/// ```
/// use mistral_otel_wire::TextDeltaReader;
/// let mut reader = TextDeltaReader::default();
/// let delta = |at: &str, text: &str| format!(r#"{{"type":"message.output.delta","created_at":"{at}","output_index":0,"id":"m1","content_index":0,"content":"{text}"}}"#);
/// assert_eq!(reader.read(delta("2026-03-10T10:02:49Z", "Hi").as_bytes()).unwrap().text, "Hi");
/// assert_eq!(reader.read(delta("2026-03-10T10:02:50Z", " there").as_bytes()).unwrap().text, " there");
/// ```
#[derive(Debug, Clone, Default)]
pub struct TextDeltaReader {
    template: Option<Template<(u32, u32)>>,
}

impl TextDeltaReader {
    /// Read one event, as [`peek_text_delta`] does.
    pub fn read<'a>(&mut self, data: &'a [u8]) -> Option<TextDelta<'a>> {
        if let Some(((output_index, content_index), text)) =
            self.template.as_ref().and_then(|t| t.read(data))
        {
            return Some(TextDelta {
                output_index,
                content_index,
                text,
            });
        }
        let mut scan = Scan::new(data, data.len() <= MAX_TEMPLATE)?;
        let delta = scan_text_delta(&mut scan)?;
        self.template = Template::new(scan, (delta.output_index, delta.content_index));
        Some(delta)
    }
}

/// [`peek_chunk_text`] for the chunks of one stream, through a template of the last one
/// read in full (see the module docs): the same answers, most of them without a scan.
///
/// ```
/// use mistral_otel_wire::ChunkReader;
/// let mut reader = ChunkReader::default();
/// let chunk = |text: &str| format!(r#"{{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{{"index":0,"delta":{{"content":"{text}"}},"finish_reason":null}}]}}"#);
/// assert_eq!(reader.read(chunk("Hi").as_bytes()).unwrap().text, "Hi");
/// assert_eq!(reader.read(chunk(" there").as_bytes()).unwrap().text, " there");
/// ```
#[derive(Debug, Clone, Default)]
pub struct ChunkReader {
    template: Option<Template<u32>>,
}

impl ChunkReader {
    /// Read one chunk, as [`peek_chunk_text`] does.
    pub fn read<'a>(&mut self, data: &'a [u8]) -> Option<ChunkText<'a>> {
        if let Some((index, text)) = self.template.as_ref().and_then(|t| t.read(data)) {
            return Some(ChunkText { index, text });
        }
        let mut scan = Scan::new(data, data.len() <= MAX_TEMPLATE)?;
        let chunk = scan_chunk(&mut scan)?;
        self.template = Template::new(scan, chunk.index);
        Some(chunk)
    }
}

/// The largest event kept as a template.
const MAX_TEMPLATE: usize = 1024;

fn scan_text_delta<'a>(scan: &mut Scan<'a>) -> Option<TextDelta<'a>> {
    let (mut output_index, mut content_index, mut text) = (None, None, None);
    let mut first = true;
    while let Some(key) = scan.next_key(&mut first)? {
        match key {
            OUTPUT_INDEX => output_index = Some(scan.u32_value()?),
            CONTENT_INDEX => content_index = Some(scan.u32_value()?),
            CONTENT => text = Some(scan.string_value(Role::Text)?),
            _ => scan.skip_scalar()?,
        }
    }
    scan.end()?;
    Some(TextDelta {
        output_index: output_index?,
        content_index: content_index.unwrap_or(0),
        text: text?,
    })
}

fn scan_chunk<'a>(scan: &mut Scan<'a>) -> Option<ChunkText<'a>> {
    let mut choice = None;
    let mut first = true;
    while let Some(key) = scan.next_key(&mut first)? {
        match key {
            // a repeated key: the last wins, as in `serde_json`'s map
            CHOICES => choice = Some(scan.one_choice()?),
            // these change the fold: decode in full
            USAGE | ERROR => return None,
            // an error object sent in place of a chunk
            OBJECT => {
                if scan
                    .string_value(Role::Compared)?
                    .eq_ignore_ascii_case("error")
                {
                    return None;
                }
            }
            _ => scan.skip_scalar()?,
        }
    }
    scan.end()?;
    choice
}

/// A key of at most 15 bytes packed in an integer (its bytes, then its length in the top
/// byte), so that matching a key is one comparison; longer keys pack to a value no short
/// key has.
const fn key(name: &[u8]) -> u128 {
    if name.len() > 15 {
        return u128::MAX;
    }
    let mut packed = (name.len() as u128) << 120;
    let (mut rest, mut shift) = (name, 0);
    while let [byte, tail @ ..] = rest {
        packed |= (*byte as u128) << shift;
        shift += 8;
        rest = tail;
    }
    packed
}

const OUTPUT_INDEX: u128 = key(b"output_index");
const CONTENT_INDEX: u128 = key(b"content_index");
const CONTENT: u128 = key(b"content");
const CHOICES: u128 = key(b"choices");
const USAGE: u128 = key(b"usage");
const ERROR: u128 = key(b"error");
const OBJECT: u128 = key(b"object");
const INDEX: u128 = key(b"index");
const FINISH_REASON: u128 = key(b"finish_reason");
const DELTA: u128 = key(b"delta");
const ROLE: u128 = key(b"role");

/// What a string value is to the scan.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Only its validity matters: a hole in a template.
    Free,
    /// The text the scan answers: a hole, remembered as the text's.
    Text,
    /// Compared by the scan: part of a template's fixed bytes.
    Compared,
}

/// A string value of a template: the bytes between its quotes.
#[derive(Debug, Clone, Copy)]
struct Hole {
    start: usize,
    end: usize,
    escaped: bool,
}

/// A forward scan over one JSON object, recording its holes when asked.
struct Scan<'a> {
    data: &'a [u8],
    pos: usize,
    holes: Option<Vec<Hole>>,
    /// Which hole holds the text (the last text read; `None` after a `null` one).
    text: Option<usize>,
}

impl<'a> Scan<'a> {
    fn new(data: &'a [u8], record: bool) -> Option<Self> {
        let mut scan = Scan {
            data,
            pos: 0,
            holes: record.then(Vec::new),
            text: None,
        };
        scan.ws();
        scan.eat(b'{')?;
        Some(scan)
    }

    fn ws(&mut self) {
        while matches!(self.data.get(self.pos), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.data.get(self.pos) == Some(&byte)).then(|| self.pos += 1)
    }

    /// The next key of the current object, packed by [`key`] (keys with escapes answer
    /// `None`), positioned after its colon; `Some(None)` at the object's end. `first`:
    /// whether no member was read yet.
    fn next_key(&mut self, first: &mut bool) -> Option<Option<u128>> {
        self.ws();
        if self.data.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Some(None);
        }
        if !*first {
            self.eat(b',')?;
            self.ws();
        }
        *first = false;
        self.eat(b'"')?;
        let start = self.pos;
        let (end, escaped) = string_end(self.data, start)?;
        if escaped {
            return None;
        }
        let packed = key(self.data.get(start..end)?);
        self.pos = end + 1;
        self.ws();
        self.eat(b':')?;
        self.ws();
        Some(Some(packed))
    }

    /// The end of the data after the object: only whitespace.
    fn end(&mut self) -> Option<()> {
        self.ws();
        (self.pos == self.data.len()).then_some(())
    }

    /// A string value, unescaped.
    fn string_value(&mut self, role: Role) -> Option<Cow<'a, str>> {
        self.eat(b'"')?;
        let start = self.pos;
        let (end, escaped) = string_end(self.data, start)?;
        self.pos = end + 1;
        let text = text_of(self.data, start, end, escaped)?;
        self.hole(role, start, end, escaped);
        Some(text)
    }

    /// Skip a string value: checked as [`string_value`](Self::string_value) checks it,
    /// without building it.
    fn skip_string(&mut self) -> Option<()> {
        self.eat(b'"')?;
        let start = self.pos;
        let (end, escaped) = string_end(self.data, start)?;
        self.pos = end + 1;
        if escaped {
            check_escaped(self.data, start, end)?;
        }
        self.hole(Role::Free, start, end, escaped);
        Some(())
    }

    fn hole(&mut self, role: Role, start: usize, end: usize, escaped: bool) {
        if role == Role::Compared {
            return;
        }
        if let Some(holes) = &mut self.holes {
            if role == Role::Text {
                self.text = Some(holes.len());
            }
            holes.push(Hole {
                start,
                end,
                escaped,
            });
        }
    }

    fn u32_value(&mut self) -> Option<u32> {
        let start = self.pos;
        let mut n: u32 = 0;
        while let Some(b) = self.data.get(self.pos).filter(|b| b.is_ascii_digit()) {
            n = n.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
            self.pos += 1;
        }
        let digits = self.pos - start;
        // JSON numbers have no leading zeros; a fraction or exponent is not a u32
        if digits == 0 || (digits > 1 && self.data.get(start) == Some(&b'0')) {
            return None;
        }
        if matches!(self.data.get(self.pos), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        Some(n)
    }

    /// Skip a string, number, `true`, `false` or `null`; a nested object or array answers
    /// `None`.
    fn skip_scalar(&mut self) -> Option<()> {
        match self.data.get(self.pos)? {
            b'"' => self.skip_string(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn literal<const N: usize>(&mut self, word: &[u8; N]) -> Option<()> {
        let end = self.pos + N;
        (self.data.get(self.pos..end)? == word).then(|| self.pos = end)
    }

    /// A JSON number `serde_json` reads without fail: an integer part of at most 20
    /// digits (so it is never out of range) and an optional fraction.
    fn number(&mut self) -> Option<()> {
        self.eat(b'-');
        let int_start = self.pos;
        while self.data.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        let int_len = self.pos - int_start;
        if int_len == 0 || int_len > 20 || (int_len > 1 && self.data.get(int_start) == Some(&b'0'))
        {
            return None;
        }
        if self.eat(b'.').is_some() {
            let frac = self.pos;
            while self.data.get(self.pos).is_some_and(u8::is_ascii_digit) {
                self.pos += 1;
            }
            if self.pos == frac {
                return None;
            }
        }
        // an exponent is not consumed: the member after it does not parse, so the scan
        // answers `None`
        Some(())
    }

    /// `[{"index": N, "delta": {...}, "finish_reason": null}]`: exactly one choice whose
    /// delta holds at most `role` and a text `content`, with no finish reason.
    fn one_choice(&mut self) -> Option<ChunkText<'a>> {
        self.eat(b'[')?;
        self.ws();
        self.eat(b'{')?;
        let (mut index, mut text) = (None, None);
        let mut first = true;
        while let Some(key) = self.next_key(&mut first)? {
            match key {
                INDEX => index = Some(self.u32_value()?),
                FINISH_REASON => self.literal(b"null")?,
                DELTA => {
                    self.eat(b'{')?;
                    let mut content = Cow::Borrowed("");
                    self.text = None;
                    let mut first = true;
                    while let Some(key) = self.next_key(&mut first)? {
                        match key {
                            CONTENT => {
                                content = if self.literal(b"null").is_some() {
                                    self.text = None;
                                    Cow::Borrowed("")
                                } else {
                                    self.string_value(Role::Text)?
                                };
                            }
                            ROLE => {
                                self.skip_string()?;
                            }
                            _ => return None,
                        }
                    }
                    text = Some(content);
                }
                // logprobs and anything newer: decode in full
                _ => return None,
            }
        }
        self.ws();
        self.eat(b']')?;
        Some(ChunkText {
            index: index?,
            text: text?,
        })
    }
}

/// From just inside a string's opening quote: the index of its closing quote and whether
/// it holds escapes. `None` for what `serde_json` rejects in any string (a raw control
/// character, invalid UTF-8 outside escapes) or a string that does not end. One pass,
/// byte by byte: these strings are short, where a vectorised search costs more than it
/// saves.
fn string_end(data: &[u8], start: usize) -> Option<(usize, bool)> {
    let mut i = start;
    let mut escaped = false;
    let mut ascii = true;
    loop {
        // eight plain bytes at a time (printable ASCII, neither quote nor backslash)
        while data
            .get(i..i + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .is_some_and(|w| plain_word(u64::from_le_bytes(w)))
        {
            i += 8;
        }
        match *data.get(i)? {
            b'"' => break,
            b'\\' => {
                escaped = true;
                i += 2;
            }
            0..=0x1f => return None,
            0x80.. => {
                ascii = false;
                i += 1;
            }
            _ => i += 1,
        }
    }
    // escaped strings are validated by the unescaping decoder
    if !ascii && !escaped {
        std::str::from_utf8(data.get(start..i)?).ok()?;
    }
    Some((i, escaped))
}

/// Whether none of a word's eight bytes is a quote, a backslash, a control character or
/// non-ASCII (exact: each test finds a byte in the word exactly when there is one).
fn plain_word(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let special = has_zero(w ^ (ONES * b'"' as u64))
        | has_zero(w ^ (ONES * b'\\' as u64))
        | (w.wrapping_sub(ONES * 0x20) & !w & HIGH)
        | (w & HIGH);
    special == 0
}

/// The text of the string whose bytes between its quotes are `data[start..end]`, as
/// `serde_json` reads it.
fn text_of(data: &[u8], start: usize, end: usize, escaped: bool) -> Option<Cow<'_, str>> {
    if escaped {
        let quoted = data.get(start.checked_sub(1)?..end + 1)?;
        serde_json::from_slice::<String>(quoted)
            .ok()
            .map(Cow::Owned)
    } else {
        std::str::from_utf8(data.get(start..end)?)
            .ok()
            .map(Cow::Borrowed)
    }
}

/// Whether the escaped string `data[start..end]` (between its quotes) is one
/// `serde_json` reads as a `String`, as the decoders read `id`, `model` and the like.
/// Not `IgnoredAny`: it skips a string without checking its UTF-8 or its surrogate
/// escapes, so a payload the decoders reject would be read here. Rare (free strings
/// seldom hold escapes), so the allocation is not on the hot path.
fn check_escaped(data: &[u8], start: usize, end: usize) -> Option<()> {
    let quoted = data.get(start.checked_sub(1)?..end + 1)?;
    serde_json::from_slice::<String>(quoted).ok().map(|_| ())
}

/// An event read in full, kept to read the next ones: see the module docs.
#[derive(Debug, Clone)]
struct Template<F> {
    bytes: Vec<u8>,
    holes: Vec<Hole>,
    /// The hole of the text, `None` when the text was absent or `null` (read as "").
    text: Option<usize>,
    /// What the scan read outside the holes.
    facts: F,
}

impl<F: Copy> Template<F> {
    fn new(scan: Scan<'_>, facts: F) -> Option<Self> {
        Some(Template {
            bytes: scan.data.to_vec(),
            holes: scan.holes?,
            text: scan.text,
            facts,
        })
    }

    /// The facts and text of `data` when it is this template with other strings in its
    /// holes; `None` when it is not (the caller scans it).
    fn read<'a>(&self, data: &'a [u8]) -> Option<(F, Cow<'a, str>)> {
        // the holes wholly inside the run of bytes equal to the template's (closing quote
        // included) hold the template's own strings: valid, and already placed
        let common = common_prefix(&self.bytes, data);
        let skip = self.holes.partition_point(|h| h.end < common);
        let mut text = Cow::Borrowed("");
        if let Some(i) = self.text.filter(|i| *i < skip) {
            let hole = self.holes.get(i)?;
            text = text_of(data, hole.start, hole.end, hole.escaped)?;
        }
        let start = skip
            .checked_sub(1)
            .map_or(0, |i| self.holes.get(i).map_or(0, |h| h.end));
        let (mut t, mut d) = (start, start);
        for (i, hole) in self.holes.iter().enumerate().skip(skip) {
            // the fixed bytes up to the hole, its opening quote included
            let fixed = self.bytes.get(t..hole.start)?;
            same(data.get(d..d + fixed.len())?, fixed)?;
            d += fixed.len();
            let old = self.bytes.get(hole.start..hole.end)?;
            // (the fixed bytes after a hole begin with its closing quote: a longer string
            // that starts with the same bytes fails there)
            let (end, escaped) = if data
                .get(d..d + old.len())
                .is_some_and(|new| same(new, old).is_some())
            {
                // the same string, valid before
                (d + old.len(), hole.escaped)
            } else {
                let (end, escaped) = string_end(data, d)?;
                if escaped && Some(i) != self.text {
                    check_escaped(data, d, end)?;
                }
                (end, escaped)
            };
            if Some(i) == self.text {
                text = text_of(data, d, end, escaped)?;
            }
            d = end;
            t = hole.end;
        }
        // the rest, closing quote of the last hole and trailing whitespace included
        let rest = self.bytes.get(t..)?;
        same(data.get(d..)?, rest)?;
        Some((self.facts, text))
    }
}

/// Equal bytes, compared inline (short runs, where a call to `memcmp` costs more than the
/// comparison; with the dangling pointers of empty slices it takes ~80 ns on some CPUs).
fn same(a: &[u8], b: &[u8]) -> Option<()> {
    (a.len() == b.len() && common_prefix(a, b) == a.len()).then_some(())
}

/// How many bytes `a` and `b` begin with in common: eight at a time, then one at a time.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let word = |s: &[u8]| <[u8; 8]>::try_from(s).map_or(0, u64::from_ne_bytes);
    let mut n = 0;
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        if word(x) != word(y) {
            break;
        }
        n += 8;
    }
    let tail = a.get(n..).unwrap_or_default().iter();
    n + tail
        .zip(b.get(n..).unwrap_or_default())
        .take_while(|(x, y)| x == y)
        .count()
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::plain_word;

    fn plain_byte(b: u8) -> bool {
        (0x20..0x80).contains(&b) && b != b'"' && b != b'\\'
    }

    /// Every pair of bytes at every pair of positions (the rest plain): the word test is
    /// the byte test, with no false alarm from a borrow and nothing missed.
    #[test]
    fn a_word_is_plain_exactly_when_its_bytes_are() {
        for p in 0..8 {
            for q in 0..8 {
                for a in 0..=255u8 {
                    for b in 0..=255u8 {
                        let mut bytes = [b'x'; 8];
                        bytes[p] = a;
                        bytes[q] = b;
                        let expected = bytes.iter().all(|b| plain_byte(*b));
                        assert_eq!(plain_word(u64::from_le_bytes(bytes)), expected, "{bytes:?}");
                    }
                }
            }
        }
    }
}
