//! Braintrust's rendering, as a [`Decorator`]: `braintrust.*` JSON attributes so that
//! Braintrust shows each call as the rows its own Python SDK records for Mistral.
//!
//! ```
//! use mistral_otel::{MistralTracing, braintrust::Braintrust};
//!
//! let tracing = MistralTracing::builder().decorator(Braintrust::new()).build();
//! # let _ = tracing;
//! ```
//!
//! A conversation turn is a `task` row named `mistral.beta.conversations.{start,append,
//! restart}[_stream]` whose metadata holds `provider`, `model` (of the first output, else
//! the one asked for), `conversation_id` (the response's: a restart's new one), `stream`,
//! `object`, the request's settings (`agent_id`, `agent_version`, `store`,
//! `handoff_execution`, `from_entry_id`, `tools`, `completion_args`, ...) and whose metrics
//! are `prompt_tokens`, `completion_tokens`, `tokens`, `connector_tokens` and, for streams,
//! `time_to_first_token`. Under it:
//!
//! * each server-side tool execution is a `tool` row named `tool: {name}` with
//!   `tool_call_id`, `tool_type` (`tool.execution`), `tool_index`, `model` and `agent_id` in
//!   its metadata, the parsed arguments as input and the tool's `info` as output;
//! * each message the model wrote is an `llm` row (model and provider in metadata, the
//!   messages it answered as input, its answer as output; usage stays on the task row, so
//!   nothing is counted twice);
//! * each handoff is a `task` row named after the receiving agent.
//!
//! A chat, FIM or agents completion is one `llm` row named after the SDK method Braintrust's
//! SDK wraps (`mistral.chat.complete`, `mistral.chat.stream`, `mistral.fim.complete`,
//! `mistral.agents.stream`, ...): the request's settings and the response's `id`, `model`,
//! `object` and `created` in its metadata, `prompt_tokens`, `completion_tokens`, `tokens`,
//! `prompt_cached_tokens` and (streams) `time_to_first_token` in its metrics, the request's
//! messages (FIM: `{prompt, suffix}`) as input and the choices as output. The function
//! calls the model asked for stay events of that span (Braintrust's SDK adds a zero-length
//! `tool` row for each; a decorator adds attributes, never spans). Embeddings
//! (`mistral.embeddings.create`), OCR (`mistral.ocr.process`), transcriptions
//! (`mistral.audio.transcriptions.complete` / `.stream`) and moderations and
//! classifications (`mistral.classifiers.*`) are `llm` rows too.
//!
//! Content (inputs, outputs, arguments, results) needs content capture, which this
//! decorator turns on unless the application says otherwise (the builder, or
//! `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`): Braintrust users come for it. It
//! then leaves the process, after the application's redactor. Inputs and outputs are in the
//! OpenAI chat shape (instructions as a leading system message, `function.result` as a
//! `tool` message, tool executions as assistant `tool_calls` followed by their `tool`
//! result): a task row's output is that list of messages, an `llm` row's output the
//! chat-completion choice, so that "Try prompt" works. Braintrust's own SDK logs the raw
//! `inputs` and Mistral entries instead.

mod completion;
mod inference;
mod turn;

use mistral_otel_wire::{CallKind, Usage};
use opentelemetry::KeyValue;
use serde_json::{Map, Value, json};

use crate::decorate::{CallStart, Decoration, Decorator, SpanAttributes};
use crate::semconv::braintrust as bt;

/// The Braintrust decorator.
#[derive(Debug, Clone, Copy, Default)]
pub struct Braintrust {
    _private: (),
}

impl Braintrust {
    /// The decorator.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Decorator for Braintrust {
    fn start(&self, call: &CallStart<'_>, span: &mut SpanAttributes<'_>) -> Box<dyn Decoration> {
        if let Some(kind) = call.operation.turn_kind() {
            return turn::start(kind, call, span);
        }
        match call.operation.kind() {
            CallKind::Completion => completion::start(call, span),
            CallKind::Inference => inference::start(call, span),
            _ => Box::new(()),
        }
    }

    fn wants_content(&self) -> Option<bool> {
        Some(true)
    }
}

pub(super) fn span_attributes(kind: &str, name: &str) -> KeyValue {
    KeyValue::new(
        bt::SPAN_ATTRIBUTES,
        json!({"type": kind, "name": name}).to_string(),
    )
}

pub(super) fn insert_some(map: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        map.insert(key.to_owned(), Value::String(v.to_owned()));
    }
}

/// `braintrust.metrics`: token counts (`prompt_cached_tokens` and `prompt_audio_seconds`
/// when the usage has them), for streams the time to first token (seconds), and `extra`;
/// `None` when there is nothing.
pub(super) fn metrics(
    usage: Option<&Usage>,
    ttft: Option<f64>,
    extra: &[(&str, u64)],
) -> Option<KeyValue> {
    let mut m = Map::new();
    if let Some(u) = usage {
        m.insert("prompt_tokens".into(), json!(u.prompt_tokens));
        m.insert("completion_tokens".into(), json!(u.completion_tokens));
        m.insert("tokens".into(), json!(u.total_tokens));
        if let Some(c) = u.cached_tokens {
            m.insert("prompt_cached_tokens".into(), json!(c));
        }
        if let Some(c) = u.connector_tokens {
            m.insert("connector_tokens".into(), json!(c));
        }
        if let Some(s) = u.prompt_audio_seconds {
            m.insert("prompt_audio_seconds".into(), json!(s));
        }
    }
    for (key, value) in extra {
        m.insert((*key).to_owned(), json!(value));
    }
    if let Some(t) = ttft {
        m.insert("time_to_first_token".into(), json!(t));
    }
    (!m.is_empty()).then(|| KeyValue::new(bt::METRICS, Value::Object(m).to_string()))
}
