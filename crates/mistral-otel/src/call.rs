//! The span of one Mistral call (a conversation turn, or any other endpoint), with the
//! clock, content capture and decoration of that call. Every span it starts is ended
//! exactly once, on every path (its `Drop` is the last resort for a future cancelled
//! mid-request).

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use opentelemetry::global::BoxedTracer;
use opentelemetry::logs::Severity;
use opentelemetry::trace::{Link, SpanBuilder, SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{Context, Key, KeyValue};

use crate::capture::Capture;
use crate::decorate::{CallEnd, Child, Decoration, SpanAttributes};
use crate::events::{
    DETAILS_EVENT, EventSink, GenAiEvent, event_attributes, is_event_key, json_value,
};
use crate::links::{ClientHandoffs, HandedOff, Pending, PendingCalls};
use crate::mapping::error::ErrorFacts;
use crate::semconv::{self as sc, Conventions};

/// Called with the call's conversation id when it ends (turn links).
pub(crate) type FinishHook = Box<dyn FnOnce(Option<&str>) + Send + Sync>;

/// A call's top span (CLIENT) and what it needs until it ends.
pub(crate) struct CallSpan {
    tracer: Arc<BoxedTracer>,
    /// Holds the call's span; children are created under it.
    pub(crate) cx: Context,
    pub(crate) start_time: SystemTime,
    start_instant: Instant,
    /// When the response headers arrived.
    pub(crate) response_time: Option<SystemTime>,
    /// `Some` when content capture is on for this call.
    capture: Option<Capture>,
    decoration: Box<dyn Decoration>,
    decorated_end: bool,
    /// The `gen_ai.conversation.id` on the span, so it is set once.
    pub(crate) conversation_id: Option<String>,
    /// Runs once when the call ends, on every path.
    pub(crate) on_end: Option<FinishHook>,
    /// Which names the call's spans carry.
    pub(crate) conventions: Conventions,
    /// Where the call's details event goes (turns and completions, when events are on).
    events: Option<Arc<dyn EventSink>>,
    /// The attributes the event repeats, as they were set on the span.
    event_attributes: Vec<KeyValue>,
    /// Where calls left waiting for a confirmation are remembered (turns).
    pub(crate) pending_calls: Option<Arc<PendingCalls>>,
    /// `(tool_call_id, name)` of the calls this turn left waiting.
    pending: Vec<(String, String)>,
    /// The request asked for client-side handoffs (`handoff_execution: client`): a handoff
    /// is recorded on the turn, not as the receiving agent's span (it did not run).
    pub(crate) client_handoffs: Option<Arc<ClientHandoffs>>,
    /// `(next agent id, handoff)` this turn handed back to the client.
    handed_off: Option<(Option<String>, HandedOff)>,
    /// The operation of a span named without a model (a multipart upload is not read),
    /// to be named `{operation} {model}` after the model that answered.
    pub(crate) unnamed_model: Option<&'static str>,
    ended: bool,
}

/// What a call span starts with.
pub(crate) struct CallStart {
    pub(crate) name: Cow<'static, str>,
    pub(crate) attributes: Vec<KeyValue>,
    pub(crate) links: Vec<Link>,
}

impl CallSpan {
    /// Start the span under `parent`, timed from now.
    pub(crate) fn start(
        tracer: Arc<BoxedTracer>,
        parent: &Context,
        start: CallStart,
        capture: Option<Capture>,
        decoration: Box<dyn Decoration>,
        events: Option<Arc<dyn EventSink>>,
    ) -> Self {
        let start_instant = Instant::now();
        let start_time = SystemTime::now();
        // the attributes the details event repeats: only gathered when it will be emitted
        let event_attributes: Vec<KeyValue> = if events.is_some() {
            start
                .attributes
                .iter()
                .filter(|kv| is_event_key(kv.key.as_str()))
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        let builder = SpanBuilder::from_name(start.name)
            .with_kind(SpanKind::Client)
            .with_start_time(start_time)
            .with_attributes(start.attributes)
            .with_links(start.links);
        let span = tracer.build_with_context(builder, parent);
        Self {
            cx: parent.with_span(span),
            tracer,
            start_time,
            start_instant,
            response_time: None,
            capture,
            decoration,
            decorated_end: false,
            conversation_id: None,
            on_end: None,
            conventions: Conventions::default(),
            events,
            event_attributes,
            pending_calls: None,
            pending: Vec::new(),
            client_handoffs: None,
            handed_off: None,
            unnamed_model: None,
            ended: false,
        }
    }

    /// Content capture for this call, when content is read (for spans, events or both).
    pub(crate) fn capture(&self) -> Option<&Capture> {
        self.capture.as_ref()
    }

    /// Wall-clock time of an instant, on the call's timeline.
    pub(crate) fn time_at(&self, at: Instant) -> SystemTime {
        self.start_time + at.saturating_duration_since(self.start_instant)
    }

    pub(crate) fn now(&self) -> SystemTime {
        self.time_at(Instant::now())
    }

    pub(crate) fn elapsed_at(&self, at: Instant) -> Duration {
        at.saturating_duration_since(self.start_instant)
    }

    pub(crate) fn set_attributes(&mut self, attributes: impl IntoIterator<Item = KeyValue>) {
        let attributes: Vec<KeyValue> = attributes.into_iter().collect();
        if self.events.is_some() {
            self.event_attributes.extend(
                attributes
                    .iter()
                    .filter(|kv| is_event_key(kv.key.as_str()))
                    .cloned(),
            );
        }
        self.cx.span().set_attributes(attributes);
    }

    pub(crate) fn set_attribute(&mut self, attribute: KeyValue) {
        self.set_attributes([attribute]);
    }

    /// Set `gen_ai.conversation.id` unless it is already set.
    pub(crate) fn set_conversation_id(&mut self, id: &str) {
        if self.conversation_id.is_none() {
            self.conversation_id = Some(id.to_owned());
            self.set_attribute(KeyValue::new(sc::GEN_AI_CONVERSATION_ID, id.to_owned()));
        }
    }

    /// Name the span `{operation} {model}` after the model that answered, when the
    /// request did not say (once).
    pub(crate) fn name_after_model(&mut self, model: &str) {
        if let Some(operation) = self.unnamed_model.take() {
            self.cx.span().update_name(format!("{operation} {model}"));
        }
    }

    /// A function call this turn leaves waiting for the user's confirmation: remembered,
    /// when the turn ends, for the append that answers it.
    pub(crate) fn ask_confirmation(&mut self, tool_call_id: &str, name: &str) {
        self.pending
            .push((tool_call_id.to_owned(), name.to_owned()));
    }

    /// A handoff the server hands back to the client: an event and the receiving agent on
    /// the turn, remembered (by conversation and by the receiving agent's id) when the turn
    /// ends, for the client's next call for that agent. The later event of the same handoff
    /// (a stream's `agent.handoff.done`) completes it.
    pub(crate) fn hand_off(
        &mut self,
        previous_name: Option<&str>,
        next_id: Option<&str>,
        next_name: Option<&str>,
        at: SystemTime,
    ) {
        let mut attrs = Vec::new();
        if let Some(v) = next_id {
            attrs.push(KeyValue::new(
                sc::MISTRAL_HANDOFF_NEXT_AGENT_ID,
                v.to_owned(),
            ));
        }
        if let Some(v) = next_name {
            attrs.push(KeyValue::new(
                sc::MISTRAL_HANDOFF_NEXT_AGENT_NAME,
                v.to_owned(),
            ));
        }
        if let Some(v) = previous_name {
            attrs.push(KeyValue::new(
                sc::MISTRAL_HANDOFF_PREVIOUS_AGENT_NAME,
                v.to_owned(),
            ));
        }
        self.cx
            .span()
            .add_event_with_timestamp(sc::MISTRAL_HANDOFF_EVENT, at, attrs.clone());
        self.set_attributes(
            attrs
                .into_iter()
                .filter(|kv| kv.key.as_str() != sc::MISTRAL_HANDOFF_PREVIOUS_AGENT_NAME),
        );
        self.handed_off = Some((
            next_id.map(str::to_owned),
            HandedOff {
                span: self.cx.span().span_context().clone(),
                previous_agent_name: previous_name.map(str::to_owned),
                next_agent_name: next_name.map(str::to_owned),
            },
        ));
    }

    /// Status ERROR, `error.type`, `mistral_ai.error.code` and an `exception` event.
    pub(crate) fn fail(&mut self, facts: &ErrorFacts) {
        fail_span(&self.cx, facts);
        crate::mapping::guardrail::record_results(&self.cx.span(), &facts.guardrails);
        if self.events.is_some() {
            self.event_attributes
                .push(KeyValue::new(sc::ERROR_TYPE, facts.error_type.clone()));
        }
    }

    /// Start an INTERNAL child of `parent` (the call or one of its children), decorated.
    pub(crate) fn child(
        &mut self,
        parent: &Context,
        name: String,
        mut attributes: Vec<KeyValue>,
        start: SystemTime,
        view: &Child<'_>,
    ) -> Context {
        let mut extra = SpanAttributes::new(self.capture.as_ref().filter(|c| c.spans()));
        self.decoration.on_child(view, &mut extra);
        attributes.extend(extra.into_attributes());
        self.internal(parent, name, attributes, start, Vec::new())
    }

    /// Start an INTERNAL span under `parent` that no decorator hears of (a handoff's
    /// transfer span).
    pub(crate) fn internal(
        &self,
        parent: &Context,
        name: String,
        attributes: Vec<KeyValue>,
        start: SystemTime,
        links: Vec<Link>,
    ) -> Context {
        let builder = SpanBuilder::from_name(name)
            .with_kind(SpanKind::Internal)
            .with_start_time(start)
            .with_attributes(attributes)
            .with_links(links);
        let span = self.tracer.build_with_context(builder, parent);
        parent.with_span(span)
    }

    /// The receiving agent's span of a handoff, linked to its transfer span when there is one.
    pub(crate) fn handoff_child(
        &mut self,
        parent: &Context,
        name: String,
        mut attributes: Vec<KeyValue>,
        start: SystemTime,
        view: &Child<'_>,
        transfer: Option<&Context>,
    ) -> Context {
        let mut extra = SpanAttributes::new(self.capture.as_ref().filter(|c| c.spans()));
        self.decoration.on_child(view, &mut extra);
        attributes.extend(extra.into_attributes());
        let links = transfer
            .map(|cx| vec![Link::with_context(cx.span().span_context().clone())])
            .unwrap_or_default();
        self.internal(parent, name, attributes, start, links)
    }

    /// End a child at `at`, after the decoration has seen its whole entry.
    pub(crate) fn end_child(&mut self, cx: &Context, view: &Child<'_>, at: SystemTime) {
        let mut extra = SpanAttributes::new(self.capture.as_ref().filter(|c| c.spans()));
        self.decoration.on_child_end(view, &mut extra);
        let span = cx.span();
        span.set_attributes(extra.into_attributes());
        span.end_with_timestamp(at);
    }

    /// Let the decoration see how the call ended (once; [`CallSpan::end`] does it with what
    /// is known when the recorder did not).
    pub(crate) fn decorate_end(&mut self, view: &CallEnd<'_>) {
        if self.decorated_end {
            return;
        }
        self.decorated_end = true;
        let mut extra = SpanAttributes::new(self.capture.as_ref().filter(|c| c.spans()));
        self.decoration.on_end(view, &mut extra);
        self.set_attributes(extra.into_attributes());
    }

    pub(crate) fn is_ended(&self) -> bool {
        self.ended
    }

    /// End the call's span (once).
    pub(crate) fn end(&mut self, at: SystemTime) {
        if self.ended {
            return;
        }
        self.ended = true;
        if !self.decorated_end {
            let conversation_id = self.conversation_id.clone();
            self.decorate_end(&CallEnd {
                conversation_id: conversation_id.as_deref(),
                ..CallEnd::default()
            });
        }
        if let Some(hook) = self.on_end.take() {
            hook(self.conversation_id.as_deref());
        }
        if self.capture.as_ref().is_some_and(Capture::truncated) {
            self.set_attribute(KeyValue::new(sc::MISTRAL_CONTENT_TRUNCATED, true));
        }
        self.emit_event(at);
        if let (Some(memory), Some((next_id, handoff))) =
            (self.client_handoffs.take(), self.handed_off.take())
        {
            if let Some(conv) = &self.conversation_id {
                memory.put(conv, handoff.clone());
            }
            if let Some(id) = next_id {
                memory.put(&id, handoff);
            }
        }
        if let Some(memory) = self.pending_calls.take() {
            let span = self.cx.span().span_context().clone();
            for (id, tool_name) in std::mem::take(&mut self.pending) {
                memory.put(
                    &id,
                    Pending {
                        span: span.clone(),
                        tool_name,
                        asked_at: at,
                    },
                );
            }
        }
        self.cx.span().end_with_timestamp(at);
    }

    /// The call's `gen_ai.client.inference.operation.details` event, when events are on:
    /// the attributes it repeats (the latest value of each) and the content kept for it.
    fn emit_event(&mut self, at: SystemTime) {
        let Some(sink) = self.events.take() else {
            return;
        };
        let mut latest: Vec<KeyValue> = Vec::new();
        for kv in std::mem::take(&mut self.event_attributes) {
            latest.retain(|k| k.key != kv.key);
            latest.push(kv);
        }
        let mut attributes = event_attributes(&latest);
        if let Some(capture) = &self.capture {
            attributes.extend(
                capture
                    .event_content()
                    .into_iter()
                    .map(|(key, value)| (Key::from_static_str(key), json_value(value))),
            );
        }
        sink.emit(GenAiEvent {
            name: DETAILS_EVENT,
            // the conventions ask for DEBUG (5)
            severity: Severity::Debug,
            timestamp: at,
            span: self.cx.span().span_context().clone(),
            attributes,
        });
    }
}

impl Drop for CallSpan {
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
