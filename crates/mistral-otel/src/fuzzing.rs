//! Entry points for the fuzzers: the stream and plain-body recorders driven directly,
//! with no I/O. Not part of the public API.

use std::borrow::Cow;
use std::sync::Arc;

use bytes::Bytes;
use opentelemetry::Context;
use opentelemetry::global::BoxedTracer;

use crate::call::{CallSpan, CallStart};
use crate::capture::{Capture, ContentPolicy};
use crate::record::plain::{BodyKind, PlainRecorder};
use crate::record::stream::StreamRecorder;
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
        Capture::new(ContentPolicy {
            max_attribute_bytes: 512,
            redactor: None,
        })
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

/// Feed `chunks` as an SSE body to a streaming turn, then end it.
pub fn stream_turn(
    tracer: Arc<BoxedTracer>,
    chunks: &[&[u8]],
    max_event_bytes: usize,
    capture: bool,
    ending: Ending,
) -> Driven {
    let mut body = StreamRecorder::new(call(tracer, capture), max_event_bytes, None);
    drive(&mut body, chunks, ending);
    Driven {
        _observer: Box::new(body),
    }
}

/// Feed `chunks` as a plain turn body with `status`, then end it.
pub fn plain_turn(
    tracer: Arc<BoxedTracer>,
    chunks: &[&[u8]],
    status: u16,
    max_body_bytes: usize,
    capture: bool,
    ending: Ending,
) -> Driven {
    let mut body = PlainRecorder::new(
        call(tracer, capture),
        BodyKind::Turn(None),
        status,
        max_body_bytes,
        None,
    );
    drive(&mut body, chunks, ending);
    Driven {
        _observer: Box::new(body),
    }
}
