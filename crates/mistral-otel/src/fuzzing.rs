//! Entry points for the fuzzers: the stream and plain-body recorders driven directly,
//! with no I/O. Not part of the public API.

use std::borrow::Cow;
use std::sync::Arc;

use bytes::Bytes;
use opentelemetry::Context;
use opentelemetry::global::BoxedTracer;

use crate::call::{CallSpan, CallStart};
use crate::capture::{Capture, ContentPolicy};
use crate::record::chunks::ChunkRecorder;
use crate::record::completion_stream::CompletionChunks;
use crate::record::plain::{BodyKind, PlainRecorder};
use crate::record::stream::StreamRecorder;
use crate::record::transcription_stream::TranscriptionChunks;
use crate::tap::Observer;

/// How a fuzzed body ends.
#[derive(Debug, Clone, Copy)]
pub enum Ending {
    /// The body ends normally.
    Eof,
    /// The body fails mid-way.
    Error,
    /// The caller drops the body.
    Drop,
}

fn call(tracer: Arc<BoxedTracer>, capture: bool) -> CallSpan {
    let capture = capture.then(|| {
        Capture::new(
            ContentPolicy {
                max_attribute_bytes: 512,
                redactor: None,
            },
            crate::capture::ContentCapture::SpanAndEvent,
        )
    });
    CallSpan::start(
        tracer,
        &Context::new(),
        CallStart {
            name: Cow::Borrowed("invoke_agent"),
            attributes: Vec::new(),
            links: Vec::new(),
        },
        capture,
        Box::new(()),
        None,
    )
}

/// A recorder after its body ended, still alive: whatever spans it did not end itself are
/// still open (the SDK would end them when this is dropped). Check before dropping it.
pub struct Driven {
    _observer: Box<dyn Observer>,
}

fn drive(observer: &mut dyn Observer, chunks: &[&[u8]], ending: Ending) {
    for chunk in chunks {
        observer.on_data(&Bytes::copy_from_slice(chunk), std::time::Instant::now());
    }
    match ending {
        Ending::Eof => observer.on_end(),
        Ending::Error => observer.on_error(&std::io::Error::other("fuzzed transport error")),
        Ending::Drop => observer.on_drop(),
    }
}

/// Which recorder a fuzzed SSE body goes to.
#[derive(Debug, Clone, Copy)]
pub enum StreamKind {
    /// A conversation turn (named events).
    Turn,
    /// A chat, FIM or agents completion (data-only chunks, `[DONE]`).
    Completion,
    /// A streamed transcription.
    Transcription,
}

/// Which mapping a fuzzed plain body goes to.
#[derive(Debug, Clone, Copy)]
pub enum PlainKind {
    /// A conversation turn.
    Turn,
    /// A chat, FIM or agents completion.
    Completion,
    /// An inference call (embeddings, moderation, classification, OCR, transcription).
    Inference(mistral_otel_wire::Operation),
    /// Any other endpoint.
    Resource(mistral_otel_wire::Operation),
}

/// Feed `chunks` as an SSE body to the recorder of `kind`, then end it.
pub fn stream_call(
    tracer: Arc<BoxedTracer>,
    kind: StreamKind,
    chunks: &[&[u8]],
    max_event_bytes: usize,
    capture: bool,
    ending: Ending,
) -> Driven {
    let call = call(tracer, capture);
    let budget = capture.then_some(2048);
    let mut observer: Box<dyn Observer> = match kind {
        StreamKind::Turn => Box::new(StreamRecorder::new(call, max_event_bytes, None)),
        StreamKind::Completion => Box::new(ChunkRecorder::new(
            call,
            CompletionChunks::new(budget),
            max_event_bytes,
            None,
        )),
        StreamKind::Transcription => Box::new(ChunkRecorder::new(
            call,
            TranscriptionChunks::new(budget),
            max_event_bytes,
            None,
        )),
    };
    drive(observer.as_mut(), chunks, ending);
    Driven {
        _observer: observer,
    }
}

/// Feed `chunks` as a plain body of `kind` with `status`, then end it.
pub fn plain_call(
    tracer: Arc<BoxedTracer>,
    kind: PlainKind,
    chunks: &[&[u8]],
    status: u16,
    max_body_bytes: usize,
    capture: bool,
    ending: Ending,
) -> Driven {
    let kind = match kind {
        PlainKind::Turn => BodyKind::Turn(None),
        PlainKind::Completion => BodyKind::Completion(None),
        PlainKind::Inference(op) => BodyKind::Inference {
            op,
            dimension_asked: false,
            metrics: None,
        },
        PlainKind::Resource(op) => BodyKind::Resource {
            op,
            known: crate::mapping::resource::PathIds::default(),
            agent_names: None,
        },
    };
    let mut body = PlainRecorder::new(call(tracer, capture), kind, status, max_body_bytes, None);
    drive(&mut body, chunks, ending);
    Driven {
        _observer: Box::new(body),
    }
}
