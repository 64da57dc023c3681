//! A streamed chat, FIM or agents completion: each chunk through the wire crate's
//! [`CompletionFold`]; at the end, the response the chunks amount to goes on the span as a
//! plain response's would, and each tool call the model asked for is a
//! `mistral_ai.function_call` event at the arrival of its first piece.

use std::time::Instant;

use mistral_otel_wire::{ChunkReader, CompletionFold, decode_completion_chunk, is_done_sentinel};

use super::Outcome;
use super::chunks::{Applied, ChunkFold, Ended, Terminal};
use crate::call::CallSpan;
use crate::decorate::CallEnd;
use crate::mapping::completion::{completion_end, tool_call_event};
use crate::mapping::error::ErrorFacts;
use crate::semconv as sc;
use opentelemetry::trace::TraceContextExt;

/// The chunks of a completion stream.
pub(crate) struct CompletionChunks {
    fold: CompletionFold<Instant>,
    reader: ChunkReader,
    capture: bool,
}

impl CompletionChunks {
    /// For a call with content capture on (`capture_budget`: bytes of content kept) or off.
    pub(crate) fn new(capture_budget: Option<usize>) -> Self {
        Self {
            capture: capture_budget.is_some(),
            fold: CompletionFold::new(capture_budget),
            reader: ChunkReader::default(),
        }
    }
}

impl ChunkFold for CompletionChunks {
    fn apply(&mut self, _name: &str, data: &[u8], at: Instant) -> Applied {
        if is_done_sentinel(data) {
            self.fold.done();
            return Applied::Marker;
        }
        // the hot path: one choice's text, read in one scan (anything else reads `None`
        // and is decoded in full below)
        if let Some(chunk) = self.reader.read(data)
            && self.fold.continue_text(chunk.index, &chunk.text, at)
        {
            return Applied::Chunk;
        }
        // content that fails to decode must not cost the rest: retry without it
        let decoded = decode_completion_chunk(data, self.capture).or_else(|e| {
            if self.capture {
                decode_completion_chunk(data, false)
            } else {
                Err(e)
            }
        });
        match decoded {
            Ok(chunk) => {
                self.fold.apply(chunk, at);
                Applied::Chunk
            }
            Err(_) => Applied::Unknown,
        }
    }

    fn first_output(&self) -> Option<Instant> {
        self.fold.first_output()
    }

    fn last_output(&self) -> Option<Instant> {
        self.fold.last_output()
    }

    fn terminal(&self) -> Option<Terminal> {
        if let Some(api) = self.fold.error() {
            return Some(Terminal::Error(ErrorFacts::from_api(
                api,
                "stream_error",
                "error in the completion stream",
            )));
        }
        self.fold.saw_done().then_some(Terminal::Done)
    }

    fn complete_at_eof(&self) -> bool {
        self.fold.all_finished()
    }

    fn truncated_message(&self) -> &'static str {
        "the completion stream ended before data: [DONE]"
    }

    fn finish(&mut self, call: &mut CallSpan, outcome: Outcome) -> Ended {
        if self.fold.content_truncated()
            && let Some(capture) = call.capture()
        {
            capture.mark_truncated();
        }
        let response = self.fold.response();
        call.set_attributes(completion_end(&response, call.capture()));
        for streamed in self.fold.tool_calls() {
            let attrs = tool_call_event(&streamed.call, call.capture());
            call.cx.span().add_event_with_timestamp(
                sc::MISTRAL_FUNCTION_CALL_EVENT,
                call.time_at(streamed.first),
                attrs,
            );
        }
        let finish_reason = match outcome {
            Outcome::Cancelled => "",
            Outcome::Error | Outcome::Truncated => "error",
            Outcome::Completed => response
                .choices
                .first()
                .and_then(|c| c.finish_reason.as_deref())
                .unwrap_or("stop"),
        };
        let conversation_id = call.conversation_id.clone();
        call.decorate_end(&CallEnd {
            finish_reason,
            usage: response.usage.as_ref(),
            time_to_first_chunk: self.fold.first_output().map(|t| call.elapsed_at(t)),
            conversation_id: conversation_id.as_deref(),
            response_model: response.model.as_deref(),
            completion: Some(&response),
            ..CallEnd::default()
        });
        Ended {
            response_model: response.model.clone(),
            usage: response.usage.clone(),
        }
    }
}
