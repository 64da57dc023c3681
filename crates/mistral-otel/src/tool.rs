//! A span for a function the application runs itself after a `function.call` output.

use opentelemetry::global::{self, BoxedSpan};
use opentelemetry::trace::{Span, SpanKind, Status, Tracer};
use opentelemetry::{Context, KeyValue};

use crate::semconv as sc;

/// An `execute_tool {name}` span (INTERNAL, `gen_ai.tool.type=function`) for the
/// application's own execution of a function the model asked for, before it appends the
/// `function.result`. It ends when dropped, or with [`FunctionExecution::end`].
///
/// ```
/// let mut run = mistral_otel::FunctionExecution::start("lookup_invoice", "OqIjrMNyX");
/// // ... run the function ...
/// run.end();
/// ```
#[derive(Debug)]
pub struct FunctionExecution {
    span: BoxedSpan,
}

impl FunctionExecution {
    /// Start the span under the current context, with the global tracer provider.
    pub fn start(name: &str, tool_call_id: &str) -> Self {
        let tracer = global::tracer("mistral-otel");
        Self::start_with(&tracer, &Context::current(), name, tool_call_id)
    }

    /// Start the span with a given tracer and parent context.
    pub fn start_with(
        tracer: &global::BoxedTracer,
        parent: &Context,
        name: &str,
        tool_call_id: &str,
    ) -> Self {
        let span = tracer
            .span_builder(format!("{} {name}", sc::op::EXECUTE_TOOL))
            .with_kind(SpanKind::Internal)
            .with_attributes([
                KeyValue::new(sc::GEN_AI_OPERATION_NAME, sc::op::EXECUTE_TOOL),
                KeyValue::new(sc::GEN_AI_PROVIDER_NAME, sc::PROVIDER_MISTRAL),
                KeyValue::new(sc::GEN_AI_TOOL_NAME, name.to_owned()),
                KeyValue::new(sc::GEN_AI_TOOL_TYPE, "function"),
                KeyValue::new(sc::GEN_AI_TOOL_CALL_ID, tool_call_id.to_owned()),
            ])
            .start_with_context(tracer, parent);
        Self { span }
    }

    /// Mark the execution as failed.
    pub fn fail(&mut self, error_type: &str, message: &str) {
        self.span
            .set_attribute(KeyValue::new(sc::ERROR_TYPE, error_type.to_owned()));
        self.span.set_status(Status::error(message.to_owned()));
    }

    /// End the span now.
    pub fn end(mut self) {
        self.span.end();
    }
}
