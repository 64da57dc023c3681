//! Recorders: what turns a response body, as it passes, into the call's spans. Each is a
//! [`crate::tap::Observer`] of the body it records.

pub(crate) mod chunks;
pub(crate) mod completion_stream;
pub(crate) mod plain;
pub(crate) mod stream;
mod timeline;
pub(crate) mod transcription_stream;

/// How a stream ended (`mistral_ai.stream.outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Completed,
    Error,
    Truncated,
    Cancelled,
}

impl Outcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Error => "error",
            Outcome::Truncated => "truncated",
            Outcome::Cancelled => "cancelled",
        }
    }
}
