//! A push parser for `text/event-stream` bodies, fed with whatever byte chunks the
//! transport delivers.
//!
//! Framing follows WHATWG and the Python SDK: lines end with `\n`, `\r\n` or `\r` (also
//! when a `\r\n` is split across two pushes); a line starting with `:` is a comment;
//! `field:value` loses one space after the colon; a line without a colon is a field with
//! an empty value; an event name that is not UTF-8 reads as `"message"` (so the JSON
//! `type` names the event); `data` lines are joined with `\n`; `id` and `retry` are accepted and
//! ignored; a leading UTF-8 byte order mark is skipped. A blank line dispatches the event
//! when at least one `data` line was seen; otherwise it only resets the event name.
//!
//! At end of stream, [`SseParser::finish`] treats an unterminated last line as a line and
//! dispatches a pending event that has data even without its blank line, as the Python
//! SDK does (the TypeScript SDK drops it). So `data: {"partial` cut at EOF is dispatched
//! and fails JSON decoding downstream, while a lone `event: x` at EOF is not dispatched.
//!
//! Memory is bounded: the bytes held for the pending event (its partial line, event name
//! and data) never exceed the limit given to [`SseParser::with_max_event_bytes`].

use std::fmt;

use memchr::{memchr, memchr2};

/// One dispatched event. Borrowed from the parser's buffers: copy what you keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SseEvent<'a> {
    /// The `event` field; `"message"` when the event had none.
    pub event: &'a str,
    /// The `data` lines joined with `\n` (raw bytes, usually UTF-8 JSON).
    pub data: &'a [u8],
}

/// Why the parser stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseError {
    /// A line, or the pending event, grew past the limit. The parser freed its buffers and
    /// ignores the rest of the stream.
    Overflow {
        /// The limit in bytes.
        limit: usize,
    },
}

impl fmt::Display for SseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SseError::Overflow { limit } => {
                write!(f, "server-sent event larger than {limit} bytes")
            }
        }
    }
}

impl std::error::Error for SseError {}

/// The default bound on one event (4 MiB).
pub const DEFAULT_MAX_EVENT_BYTES: usize = 4 * 1024 * 1024;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Incremental `text/event-stream` parser. Buffers are reused between events, and a line
/// that arrives whole inside one push is parsed in place without copying.
///
/// ```
/// use mistral_otel_wire::SseParser;
/// let mut parser = SseParser::new();
/// let mut seen = Vec::new();
/// for chunk in [&b"event: ping\nda"[..], b"ta: {}\r", b"\n\r\n"] {
///     parser.push(chunk, |e| seen.push((e.event.to_owned(), e.data.to_vec()))).unwrap();
/// }
/// parser.finish(|e| seen.push((e.event.to_owned(), e.data.to_vec()))).unwrap();
/// assert_eq!(seen, vec![("ping".to_owned(), b"{}".to_vec())]);
/// ```
#[derive(Debug, Clone)]
pub struct SseParser {
    /// The start of a line whose end has not arrived yet.
    line: Vec<u8>,
    pending: PendingEvent,
    /// The last push ended with `\r`: a `\n` starting the next push belongs to it.
    after_cr: bool,
    overflowed: bool,
    /// The name of the last event parsed in place, checked once: a stream repeats a few
    /// names, so the next event with the same bytes skips the UTF-8 check.
    last_name: String,
}

#[derive(Debug, Clone)]
struct PendingEvent {
    /// Raw bytes: a name that is not UTF-8 is dispatched as `"message"`.
    event: Vec<u8>,
    data: Vec<u8>,
    has_data: bool,
    at_stream_start: bool,
    limit: usize,
}

impl Default for SseParser {
    fn default() -> Self {
        SseParser::new()
    }
}

impl SseParser {
    /// A parser bounded by [`DEFAULT_MAX_EVENT_BYTES`].
    pub fn new() -> Self {
        SseParser::with_max_event_bytes(DEFAULT_MAX_EVENT_BYTES)
    }

    /// A parser that holds at most `limit` bytes for one event (partial line, event name
    /// and data together).
    pub fn with_max_event_bytes(limit: usize) -> Self {
        SseParser {
            line: Vec::new(),
            pending: PendingEvent {
                event: Vec::new(),
                data: Vec::new(),
                has_data: false,
                at_stream_start: true,
                limit,
            },
            after_cr: false,
            overflowed: false,
            last_name: String::new(),
        }
    }

    /// Feed the next bytes (any split, including inside a UTF-8 character or a `\r\n`).
    /// Calls `on_event` for each complete event. Once a partial line or an event's
    /// accumulated data exceeds the limit: returns `Err(Overflow)` once, frees its
    /// buffers and ignores all further input ([`is_overflowed`](Self::is_overflowed)).
    pub fn push(
        &mut self,
        bytes: &[u8],
        mut on_event: impl FnMut(SseEvent<'_>),
    ) -> Result<(), SseError> {
        if self.overflowed {
            return Ok(());
        }
        let result = self.push_lines(bytes, &mut on_event);
        if result.is_err() {
            self.overflow();
        }
        result
    }

    /// End of stream: an unterminated last line counts as a line, and a pending event
    /// that has data is dispatched even without its blank line. The parser is then ready
    /// for a new stream.
    pub fn finish(&mut self, mut on_event: impl FnMut(SseEvent<'_>)) -> Result<(), SseError> {
        if self.overflowed {
            return Ok(());
        }
        // `push` already checked the partial line against the limit
        if !self.line.is_empty() {
            self.pending.process_line(&self.line, &mut on_event);
            self.line.clear();
        }
        self.pending.dispatch(&mut on_event);
        self.pending.at_stream_start = true;
        self.after_cr = false;
        Ok(())
    }

    /// Whether the limit was exceeded (all further input is ignored).
    pub fn is_overflowed(&self) -> bool {
        self.overflowed
    }

    /// Bytes currently held for the pending event: partial line, event name and data
    /// (spare capacity kept for reuse is not counted; it is bounded by the limit too).
    pub fn buffered_bytes(&self) -> usize {
        self.line.len() + self.pending.held()
    }

    fn push_lines<F: FnMut(SseEvent<'_>)>(
        &mut self,
        bytes: &[u8],
        on_event: &mut F,
    ) -> Result<(), SseError> {
        let mut rest = bytes;
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            rest = rest.strip_prefix(b"\n").unwrap_or(rest);
        }
        loop {
            // the usual event, whole inside this push: parsed in place, nothing copied
            if self.line.is_empty()
                && self.pending.is_idle()
                && let Some((name, data, used)) = whole_event(rest, self.pending.limit)
            {
                // (lengths first: comparing two empty slices still calls `memcmp` with
                // dangling pointers, which costs ~80 ns on some CPUs)
                let last = self.last_name.as_bytes();
                if name.len() != last.len() || (!name.is_empty() && name != last) {
                    self.last_name.clear();
                    if let Ok(name) = std::str::from_utf8(name) {
                        self.last_name.push_str(name);
                    }
                }
                // an empty name, or one that is not UTF-8 (left empty), is "message"
                let event = match self.last_name.as_str() {
                    "" => "message",
                    name => name,
                };
                on_event(SseEvent { event, data });
                rest = rest.get(used..).unwrap_or_default();
                continue;
            }
            let Some(end) = memchr2(b'\n', b'\r', rest) else {
                break;
            };
            let line = rest.get(..end).unwrap_or_default();
            let mut next = end + 1;
            if rest.get(end) == Some(&b'\r') {
                match rest.get(next) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
            if self.line.is_empty() {
                self.check(line.len())?;
                self.pending.process_line(line, on_event);
            } else {
                self.buffer(line)?;
                self.pending.process_line(&self.line, on_event);
                self.line.clear();
            }
            rest = rest.get(next..).unwrap_or_default();
        }
        if !rest.is_empty() {
            self.buffer(rest)?;
        }
        Ok(())
    }

    /// A line of `line_len` bytes must fit, together with the pending event, in the limit.
    /// Checking whole lines (not only data) keeps the outcome independent of chunking.
    fn check(&self, line_len: usize) -> Result<(), SseError> {
        let limit = self.pending.limit;
        if line_len.saturating_add(self.pending.held()) > limit {
            Err(SseError::Overflow { limit })
        } else {
            Ok(())
        }
    }

    fn buffer(&mut self, part: &[u8]) -> Result<(), SseError> {
        self.check(self.line.len().saturating_add(part.len()))?;
        extend_within(&mut self.line, part, self.pending.limit);
        Ok(())
    }

    fn overflow(&mut self) {
        self.overflowed = true;
        self.line = Vec::new();
        self.pending.event = Vec::new();
        self.pending.data = Vec::new();
        self.pending.has_data = false;
    }
}

impl PendingEvent {
    fn held(&self) -> usize {
        self.event.len() + self.data.len()
    }

    /// No event under way (and the stream's first line, which may carry a byte order
    /// mark, is behind).
    fn is_idle(&self) -> bool {
        !self.at_stream_start && !self.has_data && self.event.is_empty()
    }

    fn process_line<F: FnMut(SseEvent<'_>)>(&mut self, line: &[u8], on_event: &mut F) {
        let line = if self.at_stream_start {
            self.at_stream_start = false;
            line.strip_prefix(BOM).unwrap_or(line)
        } else {
            line
        };
        if line.is_empty() {
            self.dispatch(on_event);
            return;
        }
        let (field, value) = match memchr(b':', line) {
            Some(0) => return,
            Some(colon) => {
                let value = line.get(colon + 1..).unwrap_or_default();
                let value = value.strip_prefix(b" ").unwrap_or(value);
                (line.get(..colon).unwrap_or_default(), value)
            }
            None => (line, &[][..]),
        };
        match field {
            b"event" => {
                self.event.clear();
                extend_within(&mut self.event, value, self.limit);
            }
            b"data" => {
                // the caller checked that the whole line fits, so this stays within the limit
                if self.has_data {
                    extend_within(&mut self.data, b"\n", self.limit);
                }
                extend_within(&mut self.data, value, self.limit);
                self.has_data = true;
            }
            // `id`, `retry` and unknown fields do not matter to this API
            _ => {}
        }
    }

    fn dispatch<F: FnMut(SseEvent<'_>)>(&mut self, on_event: &mut F) {
        if self.has_data {
            let event = match std::str::from_utf8(&self.event) {
                Ok("") | Err(_) => "message",
                Ok(name) => name,
            };
            on_event(SseEvent {
                event,
                data: &self.data,
            });
        }
        self.event.clear();
        self.data.clear();
        self.has_data = false;
    }
}

/// The common shape of an event, whole at the start of `bytes`: an optional
/// `event: name\n` line, one `data: value\n` line and the blank line, all ended by a bare
/// `\n`, within `limit` as the line-by-line path counts it. Returns the name (empty when
/// there is no event line), the data and the bytes used; `None` for anything else
/// (comments, several data lines, `\r`, an event cut by the push), which the line-by-line
/// path then handles with the same result.
fn whole_event(bytes: &[u8], limit: usize) -> Option<(&[u8], &[u8], usize)> {
    fn field<'a>(line: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
        let value = line.strip_prefix(name)?.strip_prefix(b":")?;
        Some(value.strip_prefix(b" ").unwrap_or(value))
    }
    // a `\r` anywhere in these lines is the line-by-line path's business: each scan stops
    // at the first `\n` or `\r` and gives up on a `\r`
    let line_end = |from: &[u8]| match memchr2(b'\n', b'\r', from) {
        Some(i) if from.get(i) == Some(&b'\n') => Some(i),
        _ => None,
    };
    let first_end = line_end(bytes)?;
    let first = bytes.get(..first_end)?;
    let (name, data_start) = match field(first, b"event") {
        Some(name) if first.len() <= limit => (name, first_end + 1),
        Some(_) => return None,
        None => (&b""[..], 0),
    };
    let after_name = bytes.get(data_start..)?;
    let data_end = if data_start == 0 {
        first_end
    } else {
        line_end(after_name)?
    };
    let data_line = after_name.get(..data_end)?;
    if data_line.len() + name.len() > limit {
        return None;
    }
    let data = field(data_line, b"data")?;
    // the blank line that dispatches it
    let blank = data_start + data_end + 1;
    if bytes.get(blank) != Some(&b'\n') {
        return None;
    }
    Some((name, data, blank + 1))
}

/// Append without letting the capacity double past the limit.
fn extend_within(buf: &mut Vec<u8>, part: &[u8], limit: usize) {
    let needed = buf.len() + part.len();
    if needed > buf.capacity() {
        let target = buf
            .capacity()
            .saturating_mul(2)
            .clamp(needed, limit.max(needed));
        buf.reserve_exact(target - buf.len());
    }
    buf.extend_from_slice(part);
}
