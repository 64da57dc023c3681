//! Arbitrary bytes, cut at arbitrary places, as the body of a streaming or plain call,
//! through the middleware's recorders (the SSE state machines of turns, completions and
//! transcriptions, and the plain-body mappings), ending normally, with a transport error,
//! or dropped by the caller.
//!
//! Input layout: `[flags, n, size_1 .. size_n, body ..]`. `flags & 1`: plain instead of
//! SSE; `flags & 2`: content capture; `(flags >> 2) & 3`: ending (EOF, error, drop, EOF);
//! `(flags >> 4) & 3`: the event / body cap; `flags & 0x40`: a 429 (plain). `n % 8`: how
//! many cut sizes; `n >> 3`: the kind of call (stream: turn, completion, transcription;
//! plain: turn, completion, embeddings, OCR, transcription, agent read, file download). Proves: no panic, and every span the
//! recorder started was ended by the recorder itself, before it is dropped (the SDK ends a
//! span whose last reference goes, so a check after the drop would prove nothing).
#![no_main]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use mistral_otel::fuzzing::{Ending, PlainKind, StreamKind, plain_call, stream_call};
use mistral_otel_wire::Operation;
use opentelemetry::Context;
use opentelemetry::global::BoxedTracer;
use opentelemetry::trace::TracerProvider;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, Span, SpanData, SpanProcessor};

const CAPS: [usize; 4] = [32, 512, 8192, 1 << 20];

#[derive(Debug, Default)]
struct Counts {
    started: AtomicUsize,
    ended: AtomicUsize,
}

#[derive(Debug)]
struct Counter(Arc<Counts>);

impl SpanProcessor for Counter {
    fn on_start(&self, _: &mut Span, _: &Context) {
        self.0.started.fetch_add(1, Ordering::SeqCst);
    }
    fn on_end(&self, _: SpanData) {
        self.0.ended.fetch_add(1, Ordering::SeqCst);
    }
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _: Duration) -> OTelSdkResult {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Some((&n_byte, rest)) = rest.split_first() else {
        return;
    };
    let n = usize::from(n_byte % 8).min(rest.len());
    let (sizes, body) = rest.split_at(n);
    let mut chunks = Vec::new();
    let mut tail = body;
    let mut cut = sizes.iter().cycle();
    while !tail.is_empty() {
        let take = cut
            .next()
            .map_or(tail.len(), |&s| usize::from(s) + 1)
            .min(tail.len());
        let (piece, next) = tail.split_at(take);
        chunks.push(piece);
        tail = next;
    }
    let counts = Arc::new(Counts::default());
    let provider = SdkTracerProvider::builder()
        .with_span_processor(Counter(counts.clone()))
        .build();
    let tracer = Arc::new(BoxedTracer::new(Box::new(provider.tracer("fuzz"))));
    let capture = flags & 2 != 0;
    let ending = match (flags >> 2) & 3 {
        1 => Ending::Error,
        2 => Ending::Drop,
        _ => Ending::Eof,
    };
    let cap = CAPS[usize::from((flags >> 4) & 3)];
    let kind = usize::from(n_byte >> 3);
    let driven = if flags & 1 == 0 {
        let kind = [
            StreamKind::Turn,
            StreamKind::Completion,
            StreamKind::Transcription,
        ][kind % 3];
        stream_call(tracer, kind, &chunks, cap, capture, ending)
    } else {
        let status = if flags & 0x40 != 0 { 429 } else { 200 };
        let kind = [
            PlainKind::Turn,
            PlainKind::Completion,
            PlainKind::Inference(Operation::Embeddings),
            PlainKind::Inference(Operation::Ocr),
            PlainKind::Inference(Operation::AudioTranscription),
            PlainKind::Resource(Operation::AgentGet),
            PlainKind::Resource(Operation::FileContent),
        ][kind % 7];
        plain_call(tracer, kind, &chunks, status, cap, capture, ending)
    };
    assert_eq!(
        counts.started.load(Ordering::SeqCst),
        counts.ended.load(Ordering::SeqCst),
        "a span was left open by the recorder"
    );
    drop(driven);
});
