//! Plain JSON responses: keep (up to a cap) the frames that pass to the caller, and map
//! the body once it has been read to the end.

use std::time::{Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use mistral_otel_wire::{
    ConversationResponse, Entry, Operation, parse_conversation_response_with, parse_result_facts,
};
use opentelemetry::trace::TraceContextExt;
use opentelemetry::{Context, KeyValue};

use super::timeline::Timeline;
use crate::call::CallSpan;
use crate::decorate::{CallEnd, Child, ChildKind};
use crate::mapping::error::{ErrorFacts, http_error};
use crate::mapping::kv_strings;
use crate::mapping::resource::{self, PathIds};
use crate::mapping::response::{ResponsePlan, plan_response};
use crate::metrics::CallMetrics;
use crate::semconv as sc;
use crate::tap::Observer;

/// What the body is mapped to at its end.
pub(crate) enum BodyKind {
    /// start / append / restart: children from outputs, usage.
    Turn(Option<CallMetrics>),
    /// Resource calls (read, agent and library endpoints): cheap result facts.
    Resource(Operation, PathIds),
}

/// Records a call whose answer is a JSON (or empty, or error) body.
pub(crate) struct PlainRecorder {
    call: CallSpan,
    kind: BodyKind,
    status: u16,
    frames: Vec<Bytes>,
    held: usize,
    cap: usize,
    over_cap: bool,
    seen: u64,
    expected: Option<u64>,
}

impl PlainRecorder {
    pub(crate) fn new(
        call: CallSpan,
        kind: BodyKind,
        status: u16,
        cap: usize,
        expected: Option<u64>,
    ) -> Self {
        Self {
            call,
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
        if self.call.is_ended() {
            return;
        }
        let body = if complete {
            self.body()
        } else {
            self.frames = Vec::new();
            self.call
                .set_attribute(KeyValue::new(sc::MISTRAL_BODY_INCOMPLETE, true));
            None
        };
        if self.over_cap {
            self.call
                .set_attribute(KeyValue::new(sc::MISTRAL_BODY_OVER_CAP, true));
        }
        let mut error_type: Option<String> = None;
        if self.status >= 400 {
            let facts = http_error(self.status, body.as_deref());
            error_type = Some(facts.error_type.clone());
            self.call.fail(&facts);
            if matches!(self.kind, BodyKind::Turn(_)) {
                self.call.set_attribute(kv_strings(
                    sc::GEN_AI_RESPONSE_FINISH_REASONS,
                    ["error".to_owned()],
                ));
            }
        } else if let Some(body) = body {
            match &self.kind {
                BodyKind::Turn(_) => {
                    let capturing = self.call.capture().is_some();
                    match parse_conversation_response_with(&body, capturing) {
                        Ok(response) => self.record_turn(&response, end),
                        Err(_) => self
                            .call
                            .set_attribute(KeyValue::new(sc::MISTRAL_PARSE_ERROR, true)),
                    }
                }
                BodyKind::Resource(op, known) => match parse_result_facts(*op, &body) {
                    Ok(facts) => self
                        .call
                        .set_attributes(resource::result_attributes(&facts, *known)),
                    Err(_) if body.is_empty() => {}
                    Err(_) => self
                        .call
                        .set_attribute(KeyValue::new(sc::MISTRAL_PARSE_ERROR, true)),
                },
            }
        }
        if let BodyKind::Turn(Some(metrics)) = &self.kind {
            metrics.record(self.call.elapsed_at(Instant::now()), error_type.as_deref());
        }
        self.call.end(end);
    }

    fn record_turn(&mut self, response: &ConversationResponse, end: SystemTime) {
        let plan = plan_response(response, self.call.capture());
        self.record_plan(&plan, &response.outputs, end);
        let outputs: &[Entry] = if self.call.capture().is_some() {
            &response.outputs
        } else {
            &[]
        };
        self.call.decorate_end(&CallEnd {
            outputs,
            finish_reason: plan.finish_reason,
            usage: plan.usage.as_ref(),
            time_to_first_chunk: None,
            conversation_id: plan.conversation_id.as_deref(),
            response_model: plan.response_model.as_deref(),
        });
        if let BodyKind::Turn(Some(metrics)) = &mut self.kind {
            metrics.response_model = plan.response_model.clone();
            metrics.usage = plan.usage.clone();
            for child in plan.children.iter().filter(|c| c.kind == ChildKind::Tool) {
                let duration = match (child.server_start, child.server_end) {
                    (Some(s), Some(e)) => e.duration_since(s).ok(),
                    _ => None,
                };
                if let Some(Entry::ToolExecution(tool)) = response.outputs.get(child.output_index) {
                    metrics.record_tool(&tool.name, duration);
                }
            }
        }
    }

    fn record_plan(&mut self, plan: &ResponsePlan, outputs: &[Entry], end: SystemTime) {
        if let Some(conv) = &plan.conversation_id {
            self.call.set_conversation_id(conv);
        }
        self.call
            .set_attributes(plan.end_attributes.iter().cloned());
        let window_start = self.call.start_time;
        let window_end = self.call.response_time.unwrap_or(end).max(window_start);
        let timeline = Timeline::fit(&plan.children, window_start, window_end);
        let times = timeline.place(&plan.children, window_start, window_end);
        let mut contexts: Vec<Context> = Vec::with_capacity(plan.children.len());
        for (child, (start, _)) in plan.children.iter().zip(&times) {
            let parent = child
                .parent
                .and_then(|i| contexts.get(i))
                .unwrap_or(&self.call.cx)
                .clone();
            let Some(entry) = outputs.get(child.output_index) else {
                continue;
            };
            let view = Child {
                kind: child.kind,
                name: &child.name,
                entry,
                output_index: u32::try_from(child.output_index).unwrap_or(u32::MAX),
            };
            let cx = self.call.child(
                &parent,
                child.name.clone(),
                child.attributes.clone(),
                *start,
                &view,
            );
            contexts.push(cx);
        }
        for event in &plan.function_calls {
            let owner = event
                .owner
                .and_then(|i| contexts.get(i))
                .unwrap_or(&self.call.cx);
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
        // outputs end in order, handoffs (which own later outputs) after them
        let (handoffs, outputs_first): (Vec<usize>, Vec<usize>) =
            (0..contexts.len()).partition(|i| {
                plan.children
                    .get(*i)
                    .is_some_and(|c| c.kind == ChildKind::Handoff)
            });
        for i in outputs_first.into_iter().chain(handoffs) {
            let (Some(cx), Some(child), Some((_, end))) =
                (contexts.get(i), plan.children.get(i), times.get(i))
            else {
                continue;
            };
            let Some(entry) = outputs.get(child.output_index) else {
                continue;
            };
            let view = Child {
                kind: child.kind,
                name: &child.name,
                entry,
                output_index: u32::try_from(child.output_index).unwrap_or(u32::MAX),
            };
            self.call.end_child(cx, &view, *end);
        }
    }
}

impl Observer for PlainRecorder {
    fn on_data(&mut self, data: &Bytes, _arrived: Instant) {
        self.seen += data.len() as u64;
        if self.over_cap {
            return;
        }
        if self.held + data.len() > self.cap {
            self.over_cap = true;
            self.frames = Vec::new();
            self.held = 0;
        } else {
            self.held += data.len();
            self.frames.push(data.clone());
        }
    }

    fn on_end(&mut self) {
        let end = self.call.now();
        self.finish(end, true);
    }

    fn on_error(&mut self, err: &(dyn std::error::Error + 'static)) {
        if self.call.is_ended() {
            return;
        }
        let facts = ErrorFacts::transport(err);
        self.call.fail(&facts);
        if let BodyKind::Turn(Some(metrics)) = &self.kind {
            metrics.record(
                self.call.elapsed_at(Instant::now()),
                Some(&facts.error_type),
            );
        }
        let end = self.call.now();
        self.call.end(end);
    }

    fn on_drop(&mut self) {
        let end = self.call.now();
        // a reader that stopped exactly at the content length has read everything
        let complete = self.expected == Some(self.seen);
        self.finish(end, complete);
    }
}
