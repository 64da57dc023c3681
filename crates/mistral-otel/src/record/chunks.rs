//! Streams of chunks: a completion's data-only SSE (ending with `data: [DONE]`) and a
//! streamed transcription. One recorder for both; what a chunk means is its
//! [`ChunkFold`]'s business (completions in [`super::completion_stream`], transcriptions in
//! [`super::transcription_stream`]).
//!
//! As for conversation streams, each frame is parsed when it arrives, before the caller
//! gets it: time to first chunk is taken at the first chunk that carries output, the time
//! per output chunk between frames that carry output, and the frame that ends the stream
//! (`[DONE]`, an error object) ends the span before the caller holds it.

use std::time::Instant;

use bytes::Bytes;
use mistral_otel_wire::SseParser;
use opentelemetry::KeyValue;

use super::Outcome;
use crate::call::CallSpan;
use crate::mapping::error::ErrorFacts;
use crate::mapping::kv_u64;
use crate::metrics::CallMetrics;
use crate::semconv as sc;
use crate::tap::Observer;

/// What one event was to a fold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Applied {
    /// A chunk of the stream (counted).
    Chunk,
    /// The end marker (`[DONE]`): not a chunk.
    Marker,
    /// Not understood (counted apart).
    Unknown,
}

/// How the stream ended by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Terminal {
    Done,
    Error(ErrorFacts),
}

/// What the end of a stream leaves for the metrics.
#[derive(Debug, Default)]
pub(crate) struct Ended {
    pub(crate) response_model: Option<String>,
    pub(crate) usage: Option<mistral_otel_wire::Usage>,
}

/// The meaning of a stream's chunks.
pub(crate) trait ChunkFold: Send + Sync + 'static {
    /// One event, arrived at `at`. Events after a terminal one are not passed.
    fn apply(&mut self, name: &str, data: &[u8], at: Instant) -> Applied;
    /// Arrival of the first chunk that carried output.
    fn first_output(&self) -> Option<Instant>;
    /// Arrival of the latest chunk that carried output.
    fn last_output(&self) -> Option<Instant>;
    /// Set once the stream said it is over.
    fn terminal(&self) -> Option<Terminal>;
    /// Whether a body that ends without the end marker is complete anyway (every choice
    /// has a finish reason).
    fn complete_at_eof(&self) -> bool;
    /// The message a stream cut short gets.
    fn truncated_message(&self) -> &'static str;
    /// Write what the stream amounts to on the call (end attributes, events, decoration).
    fn finish(&mut self, call: &mut CallSpan, outcome: Outcome) -> Ended;
}

/// Records a stream of chunks.
pub(crate) struct ChunkRecorder<F: ChunkFold> {
    parser: SseParser,
    state: State<F>,
}

struct State<F> {
    call: CallSpan,
    fold: F,
    chunk_count: u64,
    unknown_count: u64,
    overflow: bool,
    first_output_seen: bool,
    last_output_frame: Option<Instant>,
    metrics: Option<CallMetrics>,
}

impl<F: ChunkFold> ChunkRecorder<F> {
    pub(crate) fn new(
        call: CallSpan,
        fold: F,
        max_event_bytes: usize,
        metrics: Option<CallMetrics>,
    ) -> Self {
        Self {
            parser: SseParser::with_max_event_bytes(max_event_bytes),
            state: State {
                call,
                fold,
                chunk_count: 0,
                unknown_count: 0,
                overflow: false,
                first_output_seen: false,
                last_output_frame: None,
                metrics,
            },
        }
    }
}

impl<F: ChunkFold> State<F> {
    fn on_event(&mut self, name: &str, data: &[u8], at: Instant) {
        if self.fold.terminal().is_some() {
            return;
        }
        match self.fold.apply(name, data, at) {
            Applied::Chunk => self.chunk_count += 1,
            Applied::Marker => {}
            Applied::Unknown => self.unknown_count += 1,
        }
    }

    /// After each frame: time to first chunk, the gap since the previous output frame, and
    /// the end when the stream said so.
    fn after_frame(&mut self, at: Instant) {
        if !self.first_output_seen
            && let Some(first) = self.fold.first_output()
        {
            self.first_output_seen = true;
            let ttfc = self.call.elapsed_at(first);
            self.call.set_attribute(KeyValue::new(
                sc::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
                ttfc.as_secs_f64(),
            ));
            if let Some(m) = &self.metrics {
                m.record_ttfc(ttfc);
            }
        }
        if self.fold.last_output() == Some(at) {
            if let (Some(prev), Some(m)) = (self.last_output_frame, &self.metrics)
                && at > prev
            {
                m.record_chunk_gap(at.saturating_duration_since(prev));
            }
            self.last_output_frame = Some(at);
        }
        match self.fold.terminal() {
            Some(Terminal::Done) => self.finish(Outcome::Completed, at, None),
            Some(Terminal::Error(facts)) => self.finish(Outcome::Error, at, Some(facts)),
            None => {}
        }
    }

    fn finish(&mut self, outcome: Outcome, at: Instant, error: Option<ErrorFacts>) {
        if self.call.is_ended() {
            return;
        }
        let mut attrs = vec![
            KeyValue::new(sc::MISTRAL_STREAM_OUTCOME, outcome.as_str()),
            kv_u64(sc::MISTRAL_STREAM_CHUNK_COUNT, self.chunk_count),
        ];
        if self.unknown_count > 0 {
            attrs.push(kv_u64(
                sc::MISTRAL_STREAM_UNKNOWN_EVENT_COUNT,
                self.unknown_count,
            ));
        }
        if self.overflow {
            attrs.push(KeyValue::new(sc::MISTRAL_STREAM_OVERFLOW, true));
        }
        self.call.set_attributes(attrs);
        let ended = self.fold.finish(&mut self.call, outcome);
        if let Some(facts) = &error {
            self.call.fail(facts);
        }
        if let Some(metrics) = &mut self.metrics {
            metrics.response_model = ended.response_model;
            metrics.usage = ended.usage;
            metrics.record(
                self.call.elapsed_at(at),
                error.as_ref().map(|e| e.error_type.as_str()),
            );
        }
        let end = self.call.time_at(at);
        self.call.end(end);
    }
}

impl<F: ChunkFold> Observer for ChunkRecorder<F> {
    fn on_data(&mut self, data: &Bytes, at: Instant) {
        let state = &mut self.state;
        if state.call.is_ended() || state.overflow {
            return;
        }
        let result = self
            .parser
            .push(data, |event| state.on_event(event.event, event.data, at));
        if result.is_err() {
            state.overflow = true;
        }
        state.after_frame(at);
    }

    fn on_end(&mut self) {
        let at = Instant::now();
        let state = &mut self.state;
        if state.call.is_ended() {
            return;
        }
        if !state.overflow {
            let _ = self
                .parser
                .finish(|event| state.on_event(event.event, event.data, at));
            state.after_frame(at);
        }
        if state.fold.complete_at_eof() {
            state.finish(Outcome::Completed, at, None);
        } else {
            // status left unset after an overflow, whose stream itself was fine
            let error = (!state.overflow).then(|| ErrorFacts {
                error_type: "truncated_stream".to_owned(),
                code: None,
                message: state.fold.truncated_message().to_owned(),
                guardrails: Vec::new(),
            });
            state.finish(Outcome::Truncated, at, error);
        }
    }

    fn on_error(&mut self, err: &(dyn std::error::Error + 'static)) {
        let facts = ErrorFacts::transport(err);
        self.state
            .finish(Outcome::Error, Instant::now(), Some(facts));
    }

    fn on_drop(&mut self) {
        self.state.finish(Outcome::Cancelled, Instant::now(), None);
    }
}
