//! The extension point: a [`Decorator`] adds attributes of its own to the spans of a call,
//! at the moments the middleware knows something new. A vendor rendering (Braintrust's,
//! in [`crate::braintrust`]) is one; an application's own attributes are another.
//!
//! For each call the middleware asks the decorator to [`start`](Decorator::start) (with
//! what the request says) and keeps the [`Decoration`] it returns until the call ends; the
//! decoration then hears of every child span as it opens and as it ends, and of the call's
//! end (outputs, usage, time to first chunk). Each hook writes through a
//! [`SpanAttributes`], which also renders captured content under the application's
//! redactor and size cap (and writes nothing when capture is off).
//!
//! `()` decorates nothing (the default). A closure over the start of a call is a decorator:
//!
//! ```
//! use mistral_otel::decorate::{CallStart, SpanAttributes};
//! use opentelemetry::KeyValue;
//!
//! let tracing = mistral_otel::MistralTracing::builder()
//!     .decorator(|call: &CallStart<'_>, span: &mut SpanAttributes<'_>| {
//!         if call.stream {
//!             span.push(KeyValue::new("app.streamed", true));
//!         }
//!     })
//!     .build();
//! # let _ = tracing;
//! ```

use std::time::Duration;

use mistral_otel_wire::{
    CompletionRequest, CompletionResponse, Entry, InferenceRequest, InferenceResponse, Operation,
    TurnRequest, Usage,
};
use opentelemetry::{Key, KeyValue};
use serde_json::Value;

use crate::capture::{Capture, ContentField};

/// Adds attributes to the spans of each call it is told about.
pub trait Decorator: Send + Sync + 'static {
    /// A call starts: write the top span's own attributes and return what follows the
    /// call to its end.
    fn start(&self, call: &CallStart<'_>, span: &mut SpanAttributes<'_>) -> Box<dyn Decoration>;

    /// Whether content capture should be on when neither the application's builder nor the
    /// environment chose (`None`: no opinion, capture stays off).
    fn wants_content(&self) -> Option<bool> {
        None
    }
}

/// Follows one call from its start to its end.
pub trait Decoration: Send + Sync {
    /// A child span opens (a `chat`, `execute_tool` or handoff `invoke_agent` span).
    fn on_child(&mut self, _child: &Child<'_>, _span: &mut SpanAttributes<'_>) {}

    /// A child span is about to end; its entry now holds all that arrived (content only
    /// when capturing).
    fn on_child_end(&mut self, _child: &Child<'_>, _span: &mut SpanAttributes<'_>) {}

    /// The call is about to end; called once on every path (after an error or a cancel
    /// with what is known: no outputs, no usage).
    fn on_end(&mut self, _call: &CallEnd<'_>, _span: &mut SpanAttributes<'_>) {}
}

impl Decorator for () {
    fn start(&self, _: &CallStart<'_>, _: &mut SpanAttributes<'_>) -> Box<dyn Decoration> {
        Box::new(())
    }
}

impl Decoration for () {}

impl<F> Decorator for F
where
    F: Fn(&CallStart<'_>, &mut SpanAttributes<'_>) + Send + Sync + 'static,
{
    fn start(&self, call: &CallStart<'_>, span: &mut SpanAttributes<'_>) -> Box<dyn Decoration> {
        self(call, span);
        Box::new(())
    }
}

/// What is known when a call starts.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct CallStart<'a> {
    /// The endpoint.
    pub operation: Operation,
    /// The request of a conversation turn, as parsed (content only when capturing).
    pub turn: Option<&'a TurnRequest>,
    /// The request of a chat, FIM or agents completion, as parsed (messages, prompt and
    /// suffix only when capturing).
    pub completion: Option<&'a CompletionRequest>,
    /// The request of an embeddings, moderation, classification or OCR call, as parsed
    /// (inputs only when capturing; a document or audio payload never).
    pub inference: Option<&'a InferenceRequest>,
    /// The conversation id in the path (append, restart and the read calls).
    pub path_conversation_id: Option<&'a str>,
    /// Whether a stream was asked for.
    pub stream: bool,
}

/// What a child span stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChildKind {
    /// `chat {model}`: one `message.output`.
    Chat,
    /// `execute_tool {name}`: one server-side `tool.execution`.
    Tool,
    /// `invoke_agent {next agent}`: an `agent.handoff` and what follows it.
    Handoff,
}

/// A child span.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Child<'a> {
    /// What it stands for.
    pub kind: ChildKind,
    /// The span's name (in `on_child_end`: its final name, e.g. a handoff's receiving agent).
    pub name: &'a str,
    /// Its entry (in `on_child`: as far as it arrived; in `on_child_end`: whole).
    pub entry: &'a Entry,
    /// Its position among the call's outputs.
    pub output_index: u32,
}

/// What is known when a call ends.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct CallEnd<'a> {
    /// The outputs, in order (only when capturing content; empty otherwise).
    pub outputs: &'a [Entry],
    /// `stop`, `tool_call`, `error`, or empty when the caller stopped reading.
    pub finish_reason: &'a str,
    /// The usage the server reported.
    pub usage: Option<&'a Usage>,
    /// Time to the first output-bearing event of a stream.
    pub time_to_first_chunk: Option<Duration>,
    /// The conversation the call belongs to (a restart's new one).
    pub conversation_id: Option<&'a str>,
    /// The model that answered.
    pub response_model: Option<&'a str>,
    /// A completion's response (for a stream: what its chunks amount to), its messages'
    /// content only when capturing.
    pub completion: Option<&'a CompletionResponse>,
    /// An inference call's response (for a streamed transcription: its `done` event).
    pub inference: Option<&'a InferenceResponse>,
}

/// Where a hook writes: attributes for one span, and captured content rendered under the
/// application's redactor and cap.
pub struct SpanAttributes<'a> {
    attributes: Vec<KeyValue>,
    capture: Option<&'a Capture>,
}

impl std::fmt::Debug for SpanAttributes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpanAttributes")
            .field("attributes", &self.attributes)
            .field("capturing", &self.capture.is_some())
            .finish()
    }
}

impl<'a> SpanAttributes<'a> {
    pub(crate) fn new(capture: Option<&'a Capture>) -> Self {
        Self {
            attributes: Vec::new(),
            capture,
        }
    }

    /// Set an attribute.
    pub fn push(&mut self, attribute: KeyValue) {
        self.attributes.push(attribute);
    }

    /// Whether content capture is on for this call.
    pub fn capturing(&self) -> bool {
        self.capture.is_some()
    }

    /// Set `key` to `value` as JSON text, as captured content: redacted (`field` tells the
    /// redactor what it is) and cut to the attribute cap. Nothing is written when content
    /// capture is off.
    pub fn push_content(&mut self, key: impl Into<Key>, field: ContentField, value: Value) {
        if let Some(capture) = self.capture {
            let json = capture.render(field, value);
            self.attributes.push(KeyValue::new(key, json));
        }
    }

    pub(crate) fn into_attributes(self) -> Vec<KeyValue> {
        self.attributes
    }
}
