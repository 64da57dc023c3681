//! The common deltas read in one forward scan, without building a JSON tree: a
//! conversation's `message.output.delta` with text content, and a completion chunk whose
//! one choice carries text (or nothing) and nothing else. Everything else, and anything
//! unusual (escaped keys, nested values where a scalar is expected, a second choice, tool
//! calls, a finish reason, usage, an error), answers `None`, and the caller decodes the
//! event in full. Whenever these answer, the full decoders agree (the robustness tests and
//! the fuzz targets check it): the scan validates the structure it walks and the data's
//! UTF-8, and unescapes text with `serde_json`.

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
    let mut scan = Scan::new(data)?;
    let (mut output_index, mut content_index, mut text) = (None, None, None);
    while let Some(key) = scan.next_key()? {
        match key {
            OUTPUT_INDEX => output_index = Some(scan.u32_value()?),
            CONTENT_INDEX => content_index = Some(scan.u32_value()?),
            CONTENT => text = Some(scan.string_value()?),
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
    scan_chunk(data, None).map(|(chunk, _)| chunk)
}

/// [`peek_chunk_text`] for the chunks of one stream, which repeat their first members
/// (`id`, `object`, `created`, `model`) byte for byte: the bytes before `choices` of the
/// last chunk read are kept (at most [`ChunkReader::MAX_PREFIX`]), and a chunk that starts
/// with them is scanned from there. The scan is the same function of the same bytes, so
/// the answer is [`peek_chunk_text`]'s.
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
    prefix: Vec<u8>,
}

impl ChunkReader {
    /// The longest prefix kept.
    pub const MAX_PREFIX: usize = 512;

    /// Read one chunk, as [`peek_chunk_text`] does.
    pub fn read<'a>(&mut self, data: &'a [u8]) -> Option<ChunkText<'a>> {
        if !self.prefix.is_empty() && data.starts_with(&self.prefix) {
            return scan_chunk(data, Some(self.prefix.len())).map(|(chunk, _)| chunk);
        }
        let (chunk, at) = scan_chunk(data, None)?;
        self.prefix.clear();
        if let Some(prefix) = data.get(..at).filter(|p| p.len() <= Self::MAX_PREFIX) {
            self.prefix.extend_from_slice(prefix);
        }
        Some(chunk)
    }
}

/// The chunk scan. `resume`: start at that offset, a position where a scan from the start
/// stood at the value of the chunk's first `choices` member. Returns the chunk and that
/// position.
fn scan_chunk(data: &[u8], resume: Option<usize>) -> Option<(ChunkText<'_>, usize)> {
    let mut scan = match resume {
        Some(pos) => Scan {
            data,
            pos,
            first: false,
        },
        None => Scan::new(data)?,
    };
    let mut choice = None;
    let mut choices_at = resume;
    let mut resumed = resume.is_some();
    loop {
        let key = if resumed {
            resumed = false;
            CHOICES
        } else {
            match scan.next_key()? {
                Some(key) => key,
                None => break,
            }
        };
        match key {
            // a repeated key: the last wins, as in `serde_json`'s map
            CHOICES => {
                choices_at.get_or_insert(scan.pos);
                choice = Some(scan.one_choice()?);
            }
            // these change the fold: decode in full
            USAGE | ERROR => return None,
            // an error object sent in place of a chunk
            OBJECT => {
                if scan.string_value()?.eq_ignore_ascii_case("error") {
                    return None;
                }
            }
            _ => scan.skip_scalar()?,
        }
    }
    scan.end()?;
    Some((choice?, choices_at?))
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

/// A forward scan over one JSON object.
struct Scan<'a> {
    data: &'a [u8],
    pos: usize,
    /// Whether the next member is the object's first.
    first: bool,
}

impl<'a> Scan<'a> {
    fn new(data: &'a [u8]) -> Option<Self> {
        let mut scan = Scan {
            data,
            pos: 0,
            first: true,
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
    /// `None`), positioned after its colon; `Some(None)` at the object's end.
    fn next_key(&mut self) -> Option<Option<u128>> {
        self.ws();
        if self.data.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Some(None);
        }
        if !self.first {
            self.eat(b',')?;
            self.ws();
        }
        self.first = false;
        self.eat(b'"')?;
        let start = self.pos;
        let (end, escaped) = self.string_end()?;
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

    /// From just inside a string's opening quote: the index of its closing quote and
    /// whether it holds escapes. `None` for what `serde_json` rejects in any string (a raw
    /// control character, invalid UTF-8 outside escapes) or a string that does not end.
    /// One pass, byte by byte: these strings are short, where a vectorised search costs
    /// more than it saves.
    fn string_end(&self) -> Option<(usize, bool)> {
        let start = self.pos;
        let mut i = start;
        let mut escaped = false;
        let mut ascii = true;
        loop {
            match *self.data.get(i)? {
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
            std::str::from_utf8(self.data.get(start..i)?).ok()?;
        }
        Some((i, escaped))
    }

    /// A string value, unescaped.
    fn string_value(&mut self) -> Option<Cow<'a, str>> {
        self.eat(b'"')?;
        let start = self.pos;
        let (end, escaped) = self.string_end()?;
        self.pos = end + 1;
        if escaped {
            let quoted = self.data.get(start - 1..end + 1)?;
            serde_json::from_slice::<String>(quoted)
                .ok()
                .map(Cow::Owned)
        } else {
            std::str::from_utf8(self.data.get(start..end)?)
                .ok()
                .map(Cow::Borrowed)
        }
    }

    /// Skip a string value: checked as [`string_value`](Self::string_value) checks it,
    /// without building it.
    fn skip_string(&mut self) -> Option<()> {
        self.eat(b'"')?;
        let start = self.pos;
        let (end, escaped) = self.string_end()?;
        self.pos = end + 1;
        if escaped {
            serde_json::from_slice::<serde::de::IgnoredAny>(self.data.get(start - 1..end + 1)?)
                .ok()?;
        }
        Some(())
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
        let mut inner = Scan {
            data: self.data,
            pos: self.pos,
            first: true,
        };
        inner.eat(b'{')?;
        let (mut index, mut text) = (None, None);
        while let Some(key) = inner.next_key()? {
            match key {
                INDEX => index = Some(inner.u32_value()?),
                FINISH_REASON => inner.literal(b"null")?,
                DELTA => {
                    let mut delta = Scan {
                        data: inner.data,
                        pos: inner.pos,
                        first: true,
                    };
                    delta.eat(b'{')?;
                    let mut content = Cow::Borrowed("");
                    while let Some(key) = delta.next_key()? {
                        match key {
                            CONTENT => {
                                content = if delta.literal(b"null").is_some() {
                                    Cow::Borrowed("")
                                } else {
                                    delta.string_value()?
                                };
                            }
                            ROLE => {
                                delta.string_value()?;
                            }
                            _ => return None,
                        }
                    }
                    inner.pos = delta.pos;
                    text = Some(content);
                }
                // logprobs and anything newer: decode in full
                _ => return None,
            }
        }
        self.pos = inner.pos;
        self.ws();
        self.eat(b']')?;
        Some(ChunkText {
            index: index?,
            text: text?,
        })
    }
}
