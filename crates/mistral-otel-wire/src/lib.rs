//! Wire-format parsing for Mistral's beta Conversations, Agents and Libraries APIs.
//!
//! Pure functions over bytes: no I/O, no async, no OpenTelemetry. Everything is lenient,
//! because the format drifts between API versions: unknown fields, entry types, chunk
//! types and event names are tolerated, absent and `null` read the same, and fields of
//! the wrong type read as absent. Errors are reserved for bodies that are not JSON (or
//! not a JSON object where one is required).
//!
//! ```
//! use mistral_otel_wire::{
//!     decode_stream_event, match_route, parse_turn_request, Operation, SseParser,
//!     StreamAggregate,
//! };
//!
//! // 1. Which endpoint? The SDKs' `#stream` fragment is ignored.
//! let route = match_route("POST", "/v1/conversations#stream").unwrap();
//! assert_eq!(route.operation, Operation::ConversationStart);
//! assert_eq!(route.operation.turn_kind(), Some("start"));
//!
//! // 2. What was asked?
//! let request = parse_turn_request(br#"{"inputs":"Hi","stream":true,"model":"mistral-small-latest"}"#).unwrap();
//! assert_eq!(request.model.as_deref(), Some("mistral-small-latest"));
//!
//! // 3. Follow the stream as its bytes pass, in whatever pieces they arrive.
//! let body = concat!(
//!     "event: conversation.response.started\n",
//!     "data: {\"type\":\"conversation.response.started\",\"conversation_id\":\"conv_1\"}\n\n",
//!     "event: message.output.delta\n",
//!     "data: {\"type\":\"message.output.delta\",\"output_index\":0,\"id\":\"msg_1\",\"content_index\":0,\"content\":\"Hello\"}\n\n",
//!     "event: conversation.response.done\n",
//!     "data: {\"type\":\"conversation.response.done\",\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}\n\n",
//! );
//! let mut parser = SseParser::new();
//! let mut aggregate = StreamAggregate::new();
//! for piece in body.as_bytes().chunks(5) {
//!     parser.push(piece, |event| {
//!         if let Ok(event) = decode_stream_event(event.event, event.data, true) {
//!             aggregate.apply(&event);
//!         }
//!     }).unwrap();
//! }
//! parser.finish(|_| {}).unwrap();
//! assert_eq!(aggregate.conversation_id(), Some("conv_1"));
//! assert_eq!(aggregate.terminal(), "done");
//! assert_eq!(aggregate.usage().unwrap().total_tokens, 4);
//! ```
//!
//! The pieces, one module each: endpoint matching ([`match_route`]), request bodies
//! ([`parse_turn_request`], [`parse_agent_request`]), entries and chunks ([`parse_entry`]),
//! responses ([`parse_conversation_response`], [`parse_result_facts`]), error envelopes
//! ([`parse_error_body`]), the SSE push parser ([`SseParser`]), stream events
//! ([`decode_stream_event`], [`peek_output_index`]), the stream fold ([`StreamFold`]: events in,
//! span-tree events out) and the aggregate built on it ([`StreamAggregate`]), and timestamps
//! ([`parse_timestamp`]).

#![deny(missing_docs)]

mod aggregate;
mod budget;
mod completion;
mod completion_fold;
mod delta;
mod entry;
mod error;
mod event;
mod fold;
mod guardrail;
mod inference;
mod lenient;
mod peek;
mod pruned;
mod request;
mod response;
mod route;
mod sse;
mod time;

use std::fmt;

pub use aggregate::StreamAggregate;
pub use completion::{
    ChatMessage, Choice, ChunkChoice, CompletionChunk, CompletionRequest, CompletionResponse,
    ToolCall, decode_completion_chunk, is_done_sentinel, parse_completion_request_with,
    parse_completion_response_with,
};
pub use completion_fold::{CompletionFold, StreamedToolCall};
pub use delta::{
    ChunkReader, ChunkText, TextDelta, TextDeltaReader, peek_chunk_text, peek_text_delta,
};
pub use entry::{
    AgentHandoff, Chunk, Content, Entry, FunctionCall, FunctionResult, MessageInput, MessageOutput,
    ToolExecution, parse_chunk, parse_entry,
};
pub use error::{ApiError, parse_error_body};
pub use event::{DeltaContent, StreamEvent, decode_stream_event};
pub use fold::{MAX_OPEN_OUTPUTS, Output, OutputKind, StreamFold, Terminal, TreeEvent};
pub use guardrail::{GuardrailConfig, GuardrailResult, guardrail_config, guardrail_results};
pub use inference::{
    InferenceRequest, InferenceResponse, TranscriptionEvent, decode_transcription_event,
    parse_inference_request, parse_inference_response,
};
pub use peek::{peek_output_index, peek_top_level_string};
pub use request::{
    AgentRequest, AgentVersion, CompletionArgs, FunctionDefinition, Inputs, ToolConfirmation,
    ToolDefinition, TurnRequest, parse_agent_request, parse_turn_request, parse_turn_request_with,
};
pub use response::{
    ConversationResponse, ResultFacts, Usage, parse_conversation_response,
    parse_conversation_response_with, parse_result_facts,
};
pub use route::{CallKind, Operation, Route, match_route};
pub use sse::{DEFAULT_MAX_EVENT_BYTES, SseError, SseEvent, SseParser};
pub use time::parse_timestamp;

/// Why a body could not be parsed.
#[derive(Debug)]
#[non_exhaustive]
pub enum WireError {
    /// The bytes are not JSON.
    Json(serde_json::Error),
    /// The body is JSON but not an object.
    NotAnObject,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Json(err) => write!(f, "body is not valid JSON: {err}"),
            WireError::NotAnObject => f.write_str("body is JSON but not an object"),
        }
    }
}

impl std::error::Error for WireError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WireError::Json(err) => Some(err),
            WireError::NotAnObject => None,
        }
    }
}

impl From<serde_json::Error> for WireError {
    fn from(err: serde_json::Error) -> Self {
        WireError::Json(err)
    }
}
