//! The turn recorder: owns the turn span, the clock and the children it creates.
//! Every span it starts is ended exactly once, on every path (the `Drop` impl is the
//! last resort for a future that was cancelled mid-request).

pub(crate) mod plain;
pub(crate) mod stream;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use opentelemetry::global::BoxedTracer;
use opentelemetry::trace::{Link, SpanBuilder, SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue};

use crate::capture::ContentPolicy;
use crate::mapping::error::ErrorFacts;
use crate::mapping::response::ChildKind;
use crate::semconv as sc;

/// Called with the turn's conversation id when it ends (turn links).
pub(crate) type FinishHook = Box<dyn FnOnce(Option<&str>) + Send + Sync>;

/// A span under construction, with the settings of its request.
pub(crate) struct Turn {
    pub(crate) tracer: Arc<BoxedTracer>,
    /// Holds the turn span; children are created under it.
    pub(crate) cx: Context,
    pub(crate) start_time: SystemTime,
    pub(crate) start_instant: Instant,
    /// When the response headers arrived.
    pub(crate) response_time: Option<SystemTime>,
    /// `Some` when content capture is on for this request.
    pub(crate) content: Option<ContentPolicy>,
    pub(crate) content_truncated: bool,
    /// Add `braintrust.*` rendering attributes.
    pub(crate) braintrust: bool,
    /// The `gen_ai.conversation.id` on the span, so it is set once.
    pub(crate) conversation_id: Option<String>,
    /// Runs once when the turn ends, on every path.
    pub(crate) on_end: Option<FinishHook>,
    ended: bool,
}

impl Turn {
    /// Start a span (CLIENT) under `parent`, timed from now.
    pub(crate) fn start(
        tracer: Arc<BoxedTracer>,
        parent: &Context,
        name: Cow<'static, str>,
        attributes: Vec<KeyValue>,
        links: Vec<Link>,
        content: Option<ContentPolicy>,
    ) -> Self {
        let start_instant = Instant::now();
        let start_time = SystemTime::now();
        let builder = SpanBuilder::from_name(name)
            .with_kind(SpanKind::Client)
            .with_start_time(start_time)
            .with_attributes(attributes)
            .with_links(links);
        let span = tracer.build_with_context(builder, parent);
        Self {
            cx: parent.with_span(span),
            tracer,
            start_time,
            start_instant,
            response_time: None,
            content,
            content_truncated: false,
            braintrust: false,
            conversation_id: None,
            on_end: None,
            ended: false,
        }
    }

    /// Wall-clock time of an instant, on the turn's timeline.
    pub(crate) fn time_at(&self, at: Instant) -> SystemTime {
        self.start_time + at.saturating_duration_since(self.start_instant)
    }

    pub(crate) fn now(&self) -> SystemTime {
        self.time_at(Instant::now())
    }

    pub(crate) fn elapsed_at(&self, at: Instant) -> Duration {
        at.saturating_duration_since(self.start_instant)
    }

    pub(crate) fn set_attributes(&self, attributes: impl IntoIterator<Item = KeyValue>) {
        self.cx.span().set_attributes(attributes);
    }

    /// Set `gen_ai.conversation.id` unless it is already set.
    pub(crate) fn set_conversation_id(&mut self, id: &str) {
        if self.conversation_id.is_none() {
            self.conversation_id = Some(id.to_owned());
            self.set_attribute(KeyValue::new(sc::GEN_AI_CONVERSATION_ID, id.to_owned()));
        }
    }

    pub(crate) fn set_attribute(&self, attribute: KeyValue) {
        self.cx.span().set_attribute(attribute);
    }

    /// Status ERROR, `error.type`, `mistral_ai.error.code` and an `exception` event.
    pub(crate) fn fail(&self, facts: &ErrorFacts) {
        fail_span(&self.cx, facts);
    }

    /// Start an INTERNAL child of `parent` (the turn or one of its children).
    pub(crate) fn child(
        &self,
        parent: &Context,
        name: String,
        mut attributes: Vec<KeyValue>,
        start: SystemTime,
        kind: ChildKind,
    ) -> Context {
        if self.braintrust {
            attributes.push(crate::mapping::braintrust::child_type(kind));
        }
        let builder = SpanBuilder::from_name(name)
            .with_kind(SpanKind::Internal)
            .with_start_time(start)
            .with_attributes(attributes);
        let span = self.tracer.build_with_context(builder, parent);
        parent.with_span(span)
    }

    pub(crate) fn is_ended(&self) -> bool {
        self.ended
    }

    /// End the turn span (once).
    pub(crate) fn end(&mut self, at: SystemTime) {
        if self.ended {
            return;
        }
        self.ended = true;
        if let Some(hook) = self.on_end.take() {
            hook(self.conversation_id.as_deref());
        }
        if self.content_truncated {
            self.cx
                .span()
                .set_attribute(KeyValue::new(sc::MISTRAL_CONTENT_TRUNCATED, true));
        }
        self.cx.span().end_with_timestamp(at);
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        if !self.ended {
            let now = self.now();
            self.end(now);
        }
    }
}

/// Mark a span as failed.
pub(crate) fn fail_span(cx: &Context, facts: &ErrorFacts) {
    let span = cx.span();
    span.set_status(Status::error(facts.message.clone()));
    span.set_attribute(KeyValue::new(sc::ERROR_TYPE, facts.error_type.clone()));
    if let Some(code) = &facts.code {
        span.set_attribute(KeyValue::new(sc::MISTRAL_ERROR_CODE, code.clone()));
    }
    span.add_event(
        sc::EXCEPTION_EVENT,
        vec![
            KeyValue::new(sc::EXCEPTION_TYPE, facts.error_type.clone()),
            KeyValue::new(sc::EXCEPTION_MESSAGE, facts.message.clone()),
        ],
    );
}
