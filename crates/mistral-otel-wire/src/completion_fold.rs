//! The fold of a completion stream: decoded chunks and their arrival instants in, the
//! response the stream amounts to out. A pure state machine like [`crate::StreamFold`],
//! generic over the instant type.
//!
//! * Choices are told apart by `index`; tool calls within a choice by their `index` (or,
//!   without one, by their `id`; a call with neither starts a new call). A call that
//!   arrives whole in one chunk (as every recording shows) and one split over several
//!   chunks give the same call; parallel calls stay apart.
//! * Text deltas join the text before them; thinking chunks join the thinking before them
//!   (the reasoning part), and other chunk objects take their own place.
//! * The first output is the first chunk that carries output: text that is not empty, a
//!   thinking part or a tool call; the first chunk's bare `role: assistant` is not.
//! * Content is kept only with a capture budget, and only while it lasts.
//!
//! ```
//! use mistral_otel_wire::{CompletionFold, decode_completion_chunk};
//!
//! let mut fold = CompletionFold::<u32>::new(Some(1 << 16));
//! for (at, data) in [
//!     r#"{"id":"c1","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#,
//!     r#"{"id":"c1","model":"m","choices":[{"index":0,"delta":{"content":"Hel"}}]}"#,
//!     r#"{"id":"c1","model":"m","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#,
//! ].iter().enumerate() {
//!     fold.apply(decode_completion_chunk(data.as_bytes(), true).unwrap(), at as u32);
//! }
//! assert_eq!(fold.first_output(), Some(1));
//! let response = fold.response();
//! assert_eq!(response.choices[0].finish_reason.as_deref(), Some("stop"));
//! assert_eq!(response.usage.unwrap().total_tokens, 5);
//! ```

use std::collections::BTreeMap;

use crate::budget::Budget;
use crate::completion::{ChatMessage, Choice, CompletionChunk, CompletionResponse, ToolCall};
use crate::entry::{Chunk, Content};
use crate::error::ApiError;
use crate::fold::json_size;
use crate::response::Usage;

/// A tool call as it stands, with the arrival of its first piece.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamedToolCall<T> {
    /// The choice it belongs to.
    pub choice: u32,
    /// The call (arguments only while capturing).
    pub call: ToolCall,
    /// Arrival of its first piece.
    pub first: T,
}

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Thinking(String),
    Other(Chunk),
}

#[derive(Debug, Clone)]
struct ChoiceState<T> {
    finish_reason: Option<String>,
    parts: Vec<Part>,
    calls: Vec<StreamedToolCall<T>>,
}

impl<T> Default for ChoiceState<T> {
    fn default() -> Self {
        ChoiceState {
            finish_reason: None,
            parts: Vec::new(),
            calls: Vec::new(),
        }
    }
}

/// The completion stream fold. See the module docs.
#[derive(Debug, Clone)]
pub struct CompletionFold<T> {
    id: Option<String>,
    model: Option<String>,
    object: Option<String>,
    created: Option<i64>,
    usage: Option<Usage>,
    choices: BTreeMap<u32, ChoiceState<T>>,
    first_output: Option<T>,
    last_output: Option<T>,
    done: bool,
    error: Option<ApiError>,
    capture: Budget,
}

impl<T: Copy + Ord> CompletionFold<T> {
    /// A fold for one stream; `capture_budget` as for [`crate::StreamFold::new`].
    pub fn new(capture_budget: Option<usize>) -> Self {
        CompletionFold {
            id: None,
            model: None,
            object: None,
            created: None,
            usage: None,
            choices: BTreeMap::new(),
            first_output: None,
            last_output: None,
            done: false,
            error: None,
            capture: Budget {
                left: capture_budget,
                truncated: false,
            },
        }
    }

    /// Account for one chunk that arrived at `at`. Chunks after `[DONE]` or an error are
    /// ignored.
    pub fn apply(&mut self, chunk: CompletionChunk, at: T) {
        if self.ended() {
            return;
        }
        self.id = self.id.take().or(chunk.id);
        self.model = self.model.take().or(chunk.model);
        self.object = self.object.take().or(chunk.object);
        self.created = self.created.or(chunk.created);
        // the last chunk that carries usage holds the stream's
        if chunk.usage.is_some() {
            self.usage = chunk.usage;
        }
        if chunk.error.is_some() {
            self.error = chunk.error;
        }
        for delta in chunk.choices {
            if delta.carries_output {
                self.first_output.get_or_insert(at);
                self.last_output = Some(at);
            }
            let state = self.choices.entry(delta.index).or_default();
            if delta.finish_reason.is_some() {
                state.finish_reason = delta.finish_reason;
            }
            if let Some(content) = delta.content
                && self.capture.charge(content_size(&content))
            {
                add_content(&mut state.parts, content);
            }
            for piece in delta.tool_calls {
                let slot = state
                    .calls
                    .iter_mut()
                    .position(|c| match (piece.index, &piece.id) {
                        (Some(i), _) => c.call.index == Some(i),
                        (None, Some(id)) => c.call.id.as_ref() == Some(id),
                        (None, None) => false,
                    });
                let arguments = if self.capture.charge(piece.arguments.len()) {
                    piece.arguments
                } else {
                    String::new()
                };
                match slot.and_then(|i| state.calls.get_mut(i)) {
                    Some(call) => {
                        if call.call.id.is_none() {
                            call.call.id = piece.id;
                        }
                        if call.call.name.is_empty() {
                            call.call.name = piece.name;
                        } else if !piece.name.is_empty() && piece.name != call.call.name {
                            // names sent in pieces are concatenated, as arguments are
                            call.call.name.push_str(&piece.name);
                        }
                        call.call.arguments.push_str(&arguments);
                    }
                    None => state.calls.push(StreamedToolCall {
                        choice: delta.index,
                        call: ToolCall { arguments, ..piece },
                        first: at,
                    }),
                }
            }
        }
    }

    /// The hot path for a chunk read by [`peek_chunk_text`](crate::peek_chunk_text): one
    /// choice's text (or an empty delta), nothing else. Does what [`apply`](Self::apply)
    /// would with that chunk decoded, and returns `true`; returns `false` (and changes
    /// nothing) when only a full `apply` can: before the stream's `id`, `model`, `object`
    /// and `created` are known, for a choice not seen yet, or once the stream ended.
    pub fn continue_text(&mut self, choice: u32, text: &str, at: T) -> bool {
        if self.ended()
            || self.id.is_none()
            || self.model.is_none()
            || self.object.is_none()
            || self.created.is_none()
        {
            return false;
        }
        let Some(state) = self.choices.get_mut(&choice) else {
            return false;
        };
        if !text.is_empty() {
            self.first_output.get_or_insert(at);
            self.last_output = Some(at);
            if self.capture.charge(text.len()) {
                add_content(&mut state.parts, Content::Text(text.to_owned()));
            }
        }
        true
    }

    /// The `[DONE]` sentinel arrived.
    pub fn done(&mut self) {
        self.done = true;
    }

    /// Whether the stream ended itself: `[DONE]`, or an error object.
    pub fn ended(&self) -> bool {
        self.done || self.error.is_some()
    }

    /// Whether `[DONE]` arrived.
    pub fn saw_done(&self) -> bool {
        self.done
    }

    /// Whether every choice seen so far has a finish reason (a stream whose server omits
    /// `[DONE]` is complete when its body ends after that).
    pub fn all_finished(&self) -> bool {
        !self.choices.is_empty() && self.choices.values().all(|c| c.finish_reason.is_some())
    }

    /// The error object sent in the stream.
    pub fn error(&self) -> Option<&ApiError> {
        self.error.as_ref()
    }

    /// Arrival of the first chunk that carried output.
    pub fn first_output(&self) -> Option<T> {
        self.first_output
    }

    /// Arrival of the latest chunk that carried output.
    pub fn last_output(&self) -> Option<T> {
        self.last_output
    }

    /// The model the chunks named.
    pub fn model(&self) -> Option<&str> {
        self.model.as_deref()
    }

    /// The usage the stream reported.
    pub fn usage(&self) -> Option<&Usage> {
        self.usage.as_ref()
    }

    /// Whether content was left out because the capture budget ran out.
    pub fn content_truncated(&self) -> bool {
        self.capture.truncated
    }

    /// Every tool call so far, by choice and in order, with its first arrival.
    pub fn tool_calls(&self) -> impl Iterator<Item = &StreamedToolCall<T>> {
        self.choices.values().flat_map(|c| c.calls.iter())
    }

    /// The response the stream amounts to so far, as the non-streamed call would have
    /// answered it (message content only while capturing).
    pub fn response(&self) -> CompletionResponse {
        CompletionResponse {
            guardrails: Vec::new(),
            id: self.id.clone(),
            model: self.model.clone(),
            object: self.object.clone(),
            created: self.created,
            usage: self.usage.clone(),
            choices: self
                .choices
                .iter()
                .map(|(index, state)| Choice {
                    index: *index,
                    finish_reason: state.finish_reason.clone(),
                    message: ChatMessage {
                        role: "assistant".to_owned(),
                        content: Content::Chunks(state.parts.iter().map(part_chunk).collect()),
                        tool_calls: state.calls.iter().map(|c| c.call.clone()).collect(),
                        tool_call_id: None,
                        name: None,
                    },
                })
                .collect(),
        }
    }
}

fn content_size(content: &Content) -> usize {
    match content {
        Content::Text(text) => text.len(),
        Content::Chunks(chunks) => chunks.iter().map(|c| json_size(&c.to_json())).sum(),
    }
}

fn thinking_text(chunks: &[Chunk]) -> String {
    chunks
        .iter()
        .filter_map(|c| match c {
            Chunk::Text { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

fn add_content(parts: &mut Vec<Part>, content: Content) {
    let chunks = match content {
        Content::Text(text) => vec![Chunk::Text { text }],
        Content::Chunks(chunks) => chunks,
    };
    for chunk in chunks {
        match (parts.last_mut(), chunk) {
            (Some(Part::Text(acc)), Chunk::Text { text }) => acc.push_str(&text),
            (_, Chunk::Text { text }) => parts.push(Part::Text(text)),
            (Some(Part::Thinking(acc)), Chunk::Thinking { thinking, .. }) => {
                acc.push_str(&thinking_text(&thinking))
            }
            (_, Chunk::Thinking { thinking, .. }) => {
                parts.push(Part::Thinking(thinking_text(&thinking)))
            }
            (_, other) => parts.push(Part::Other(other)),
        }
    }
}

fn part_chunk(part: &Part) -> Chunk {
    match part {
        Part::Text(text) => Chunk::Text { text: text.clone() },
        Part::Thinking(text) => Chunk::Thinking {
            thinking: vec![Chunk::Text { text: text.clone() }],
            signature: None,
            closed: true,
        },
        Part::Other(chunk) => chunk.clone(),
    }
}
