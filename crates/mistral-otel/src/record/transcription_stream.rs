//! A streamed transcription: `transcription.language`, `transcription.text.delta`,
//! `transcription.segment`, then `transcription.done` with the usage (no `[DONE]`). The
//! first text delta is the first output; `done` ends the stream.

use std::time::Instant;

use mistral_otel_wire::{
    InferenceResponse, Operation, TranscriptionEvent, decode_transcription_event,
};

use super::Outcome;
use super::chunks::{Applied, ChunkFold, Ended, Terminal};
use crate::call::CallSpan;
use crate::decorate::CallEnd;
use crate::mapping::error::ErrorFacts;
use crate::mapping::inference::inference_end;

/// The events of a streamed transcription.
pub(crate) struct TranscriptionChunks {
    /// Bytes of transcript still kept (`None`: capture off).
    budget: Option<usize>,
    truncated: bool,
    text: String,
    language: Option<String>,
    segments: u64,
    first_output: Option<Instant>,
    last_output: Option<Instant>,
    done: Option<InferenceResponse>,
    error: Option<ErrorFacts>,
}

impl TranscriptionChunks {
    pub(crate) fn new(capture_budget: Option<usize>) -> Self {
        Self {
            budget: capture_budget,
            truncated: false,
            text: String::new(),
            language: None,
            segments: 0,
            first_output: None,
            last_output: None,
            done: None,
            error: None,
        }
    }
}

impl ChunkFold for TranscriptionChunks {
    fn apply(&mut self, name: &str, data: &[u8], at: Instant) -> Applied {
        let capture = self.budget.is_some();
        let Ok(event) = decode_transcription_event(name, data, capture) else {
            return Applied::Unknown;
        };
        match event {
            TranscriptionEvent::Language(language) => self.language = language,
            TranscriptionEvent::TextDelta { carries_text, text } => {
                if carries_text {
                    self.first_output.get_or_insert(at);
                    self.last_output = Some(at);
                }
                if let (Some(text), Some(left)) = (text, self.budget.as_mut()) {
                    if text.len() <= *left {
                        *left -= text.len();
                        self.text.push_str(&text);
                    } else {
                        *left = 0;
                        self.truncated = true;
                    }
                }
            }
            TranscriptionEvent::Segment => self.segments += 1,
            TranscriptionEvent::Done(response) => self.done = Some(*response),
            TranscriptionEvent::Error(api) => {
                self.error = Some(ErrorFacts::from_api(
                    &api,
                    "stream_error",
                    "error in the transcription stream",
                ));
            }
            TranscriptionEvent::Unknown => return Applied::Unknown,
        }
        Applied::Chunk
    }

    fn first_output(&self) -> Option<Instant> {
        self.first_output
    }

    fn last_output(&self) -> Option<Instant> {
        self.last_output
    }

    fn terminal(&self) -> Option<Terminal> {
        if let Some(error) = &self.error {
            return Some(Terminal::Error(error.clone()));
        }
        self.done.as_ref().map(|_| Terminal::Done)
    }

    fn complete_at_eof(&self) -> bool {
        false
    }

    fn truncated_message(&self) -> &'static str {
        "the transcription stream ended before transcription.done"
    }

    fn finish(&mut self, call: &mut CallSpan, outcome: Outcome) -> Ended {
        if self.truncated
            && let Some(capture) = call.capture()
        {
            capture.mark_truncated();
        }
        // what `done` says, else what the deltas said
        let mut response = self.done.take().unwrap_or_default();
        if response.language.is_none() {
            response.language = self.language.take();
        }
        // a `done` whose segment list is empty after segment events
        if response.segment_count.unwrap_or(0) == 0 && self.segments > 0 {
            response.segment_count = Some(self.segments);
        }
        if call.capture().is_some() && response.text.is_none() && !self.text.is_empty() {
            response.text = Some(std::mem::take(&mut self.text));
        }
        if let Some(model) = &response.model {
            call.name_after_model(model);
        }
        call.set_attributes(inference_end(
            Operation::AudioTranscription,
            &response,
            false,
            call.capture(),
        ));
        let finish_reason = match outcome {
            Outcome::Completed => "stop",
            Outcome::Cancelled => "",
            Outcome::Error | Outcome::Truncated => "error",
        };
        call.decorate_end(&CallEnd {
            finish_reason,
            usage: response.usage.as_ref(),
            time_to_first_chunk: self.first_output.map(|t| call.elapsed_at(t)),
            response_model: response.model.as_deref(),
            inference: Some(&response),
            ..CallEnd::default()
        });
        Ended {
            response_model: response.model.clone(),
            usage: response.usage.clone(),
        }
    }
}
