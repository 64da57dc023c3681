//! Plain JSON responses: keep (up to a cap) the frames that pass to the caller, and map
//! the body once it has been read to the end.

use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use mistral_otel_wire::{Operation, parse_conversation_response_with, parse_result_facts};
use opentelemetry::KeyValue;
use opentelemetry::trace::TraceContextExt;

use super::{Turn, fail_span};
use crate::mapping::error::{ErrorFacts, http_error};
use crate::mapping::other;
use crate::mapping::response::{ChildKind, ChildPlan, ResponsePlan, plan_response};
use crate::metrics::TurnMetrics;
use crate::semconv as sc;
use crate::tap::Observer;

/// What the body is mapped to at its end.
pub(crate) enum PlainKind {
    /// start / append / restart: children from outputs, usage.
    Turn(Option<TurnMetrics>),
    /// Read, agent and library calls: cheap result facts.
    Other(Operation, other::PathIds),
}

/// Observes a JSON (or empty, or error) body.
pub(crate) struct PlainBody {
    turn: Turn,
    kind: PlainKind,
    status: u16,
    frames: Vec<Bytes>,
    held: usize,
    cap: usize,
    over_cap: bool,
    seen: u64,
    expected: Option<u64>,
}

impl PlainBody {
    pub(crate) fn new(
        turn: Turn,
        kind: PlainKind,
        status: u16,
        cap: usize,
        expected: Option<u64>,
    ) -> Self {
        Self {
            turn,
            kind,
            status,
            frames: Vec::new(),
            held: 0,
            cap,
            over_cap: false,
            seen: 0,
            expected,
        }
    }

    fn body(&mut self) -> Option<Bytes> {
        if self.over_cap {
            return None;
        }
        let frames = std::mem::take(&mut self.frames);
        self.held = 0;
        match frames.len() {
            0 => Some(Bytes::new()),
            1 => frames.into_iter().next(),
            _ => {
                let mut all = BytesMut::with_capacity(frames.iter().map(Bytes::len).sum());
                for f in frames {
                    all.extend_from_slice(&f);
                }
                Some(all.freeze())
            }
        }
    }

    /// Map what was read and end the span. `complete`: the whole body was read; an
    /// incomplete body is never parsed (an error status still makes the span an error,
    /// with the status code as `error.type`).
    fn finish(&mut self, end: SystemTime, complete: bool) {
        if self.turn.is_ended() {
            return;
        }
        let body = if complete {
            self.body()
        } else {
            self.frames = Vec::new();
            self.turn
                .set_attribute(KeyValue::new(sc::MISTRAL_BODY_INCOMPLETE, true));
            None
        };
        if self.over_cap {
            self.turn
                .set_attribute(KeyValue::new(sc::MISTRAL_BODY_OVER_CAP, true));
        }
        let mut error_type: Option<String> = None;
        if self.status >= 400 {
            let facts = http_error(self.status, body.as_deref());
            error_type = Some(facts.error_type.clone());
            self.turn.fail(&facts);
            if matches!(self.kind, PlainKind::Turn(_)) {
                self.turn.set_attribute(crate::mapping::kv_strings(
                    sc::GEN_AI_RESPONSE_FINISH_REASONS,
                    ["error".to_owned()],
                ));
            }
        } else if let Some(body) = body {
            match &self.kind {
                PlainKind::Turn(_) => {
                    match parse_conversation_response_with(&body, self.turn.content.is_some()) {
                        Ok(response) => {
                            let plan = plan_response(
                                &response,
                                self.turn.content.as_ref(),
                                self.turn.braintrust,
                            );
                            self.record_plan(&plan, end);
                            if self.turn.braintrust {
                                self.turn.set_attribute(crate::mapping::braintrust::metrics(
                                    plan.usage.as_ref(),
                                    None,
                                ));
                            }
                            if let PlainKind::Turn(Some(metrics)) = &mut self.kind {
                                metrics.response_model = plan.response_model.clone();
                                metrics.usage = plan.usage.clone();
                                for child in &plan.children {
                                    if child.kind == ChildKind::Tool {
                                        let duration = match (child.server_start, child.server_end)
                                        {
                                            (Some(s), Some(e)) => e.duration_since(s).ok(),
                                            _ => None,
                                        };
                                        metrics.record_tool(child.tool_name(), duration);
                                    }
                                }
                            }
                        }
                        Err(_) => self
                            .turn
                            .set_attribute(KeyValue::new(sc::MISTRAL_PARSE_ERROR, true)),
                    }
                }
                PlainKind::Other(op, known) => match parse_result_facts(*op, &body) {
                    Ok(facts) => self
                        .turn
                        .set_attributes(other::result_attributes(&facts, *known)),
                    Err(_) if body.is_empty() => {}
                    Err(_) => self
                        .turn
                        .set_attribute(KeyValue::new(sc::MISTRAL_PARSE_ERROR, true)),
                },
            }
        }
        if let PlainKind::Turn(Some(metrics)) = &self.kind {
            metrics.record(
                self.turn.elapsed_at(std::time::Instant::now()),
                error_type.as_deref(),
            );
        }
        self.turn.end(end);
    }

    fn record_plan(&mut self, plan: &ResponsePlan, end: SystemTime) {
        if let Some(conv) = &plan.conversation_id {
            self.turn.set_conversation_id(conv);
        }
        self.turn
            .set_attributes(plan.end_attributes.iter().cloned());
        self.turn.content_truncated |= plan.content_truncated;
        let window_start = self.turn.start_time;
        let window_end = self.turn.response_time.unwrap_or(end).max(window_start);
        let timeline = Timeline::fit(&plan.children, window_start, window_end);
        let times = timeline.place(&plan.children, window_start, window_end);
        let mut contexts: Vec<opentelemetry::Context> = Vec::with_capacity(plan.children.len());
        for (child, (start, _)) in plan.children.iter().zip(&times) {
            let parent = child
                .parent
                .and_then(|i| contexts.get(i))
                .unwrap_or(&self.turn.cx)
                .clone();
            contexts.push(self.turn.child(
                &parent,
                child.name.clone(),
                child.attributes.clone(),
                *start,
                child.kind,
            ));
        }
        for event in &plan.function_calls {
            let owner = event
                .owner
                .and_then(|i| contexts.get(i))
                .unwrap_or(&self.turn.cx);
            let at = event
                .server_time
                .map(|t| timeline.map(t))
                .unwrap_or(window_end)
                .clamp(window_start, window_end);
            owner.span().add_event_with_timestamp(
                sc::MISTRAL_FUNCTION_CALL_EVENT,
                at,
                event.attributes.clone(),
            );
        }
        // end children before their owners: handoffs own later entries
        for (i, cx) in contexts.iter().enumerate().rev() {
            if let Some((_, end)) = times.get(i) {
                cx.span().end_with_timestamp(*end);
            }
        }
    }
}

/// Maps server timestamps onto the turn's local timeline. The server's clock is not
/// ours: shift its timeline so it ends when the response headers arrived, and compress
/// it when it is longer than the turn, so that a child never leaves its parent.
#[derive(Debug, Clone, Copy)]
struct Timeline {
    server_start: Option<SystemTime>,
    server_span: Duration,
    window_start: SystemTime,
    window: Duration,
}

impl Timeline {
    fn fit(children: &[ChildPlan], window_start: SystemTime, window_end: SystemTime) -> Self {
        let times = children
            .iter()
            .flat_map(|c| [c.server_start, c.server_end])
            .flatten();
        let (mut lo, mut hi): (Option<SystemTime>, Option<SystemTime>) = (None, None);
        for t in times {
            lo = Some(lo.map_or(t, |l| l.min(t)));
            hi = Some(hi.map_or(t, |h| h.max(t)));
        }
        let server_span = match (lo, hi) {
            (Some(l), Some(h)) => h.duration_since(l).unwrap_or_default(),
            _ => Duration::ZERO,
        };
        Self {
            server_start: lo,
            server_span,
            window_start,
            window: window_end.duration_since(window_start).unwrap_or_default(),
        }
    }

    fn map(&self, t: SystemTime) -> SystemTime {
        let Some(s0) = self.server_start else {
            return self.window_start;
        };
        let offset = t.duration_since(s0).unwrap_or_default();
        if self.server_span <= self.window {
            // right-align: the server finished just before the headers came back
            self.window_start + (self.window - self.server_span) + offset
        } else {
            let ratio = self.window.as_secs_f64() / self.server_span.as_secs_f64().max(1e-12);
            self.window_start + offset.mul_f64(ratio)
        }
    }

    /// (start, end) for every child, each inside its parent and the window.
    fn place(
        &self,
        children: &[ChildPlan],
        window_start: SystemTime,
        window_end: SystemTime,
    ) -> Vec<(SystemTime, SystemTime)> {
        let mut placed: Vec<(SystemTime, SystemTime)> = Vec::with_capacity(children.len());
        let mut cursor = window_start;
        for (i, child) in children.iter().enumerate() {
            let start = child.server_start.map(|t| self.map(t)).unwrap_or(cursor);
            let next_start = children
                .get(i + 1..)
                .unwrap_or_default()
                .iter()
                .find_map(|c| c.server_start)
                .map(|t| self.map(t));
            let end = child
                .server_end
                .map(|t| self.map(t))
                .or(next_start)
                .unwrap_or(window_end);
            let start = start.clamp(window_start, window_end);
            let end = end.clamp(start, window_end);
            cursor = end;
            placed.push((start, end));
        }
        // an owner (handoff) spans everything it owns; owned children stay inside it
        for (i, child) in children.iter().enumerate() {
            if let Some(owner) = child.parent
                && let (Some(&(cs, ce)), Some(&(os, oe))) = (placed.get(i), placed.get(owner))
            {
                let new_owner = (os.min(cs), oe.max(ce));
                if let Some(slot) = placed.get_mut(owner) {
                    *slot = new_owner;
                }
            }
        }
        placed
    }
}

impl Observer for PlainBody {
    fn on_data(&mut self, data: &Bytes, _arrived: std::time::Instant) {
        self.seen += data.len() as u64;
        if !self.over_cap {
            if self.held + data.len() > self.cap {
                self.over_cap = true;
                self.frames = Vec::new();
                self.held = 0;
            } else {
                self.held += data.len();
                self.frames.push(data.clone());
            }
        }
    }

    fn on_end(&mut self) {
        let end = self.turn.now();
        self.finish(end, true);
    }

    fn on_error(&mut self, err: &(dyn std::error::Error + 'static)) {
        if self.turn.is_ended() {
            return;
        }
        let facts = ErrorFacts::transport(err);
        fail_span(&self.turn.cx, &facts);
        if let PlainKind::Turn(Some(metrics)) = &self.kind {
            metrics.record(
                self.turn.elapsed_at(std::time::Instant::now()),
                Some(&facts.error_type),
            );
        }
        let end = self.turn.now();
        self.turn.end(end);
    }

    fn on_drop(&mut self) {
        let end = self.turn.now();
        // a reader that stopped exactly at the content length has read everything
        let complete = self.expected == Some(self.seen);
        self.finish(end, complete);
    }
}
