//! Plain JSON responses: keep (up to a cap) the frames that pass to the caller, and map
//! the body once it has been read to the end.

use std::time::{Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use std::sync::Arc;

use mistral_otel_wire::{
    CompletionResponse, ConversationResponse, Entry, InferenceResponse, Operation,
    parse_completion_response_with, parse_conversation_response_with, parse_inference_response,
    parse_result_facts,
};
use opentelemetry::trace::TraceContextExt;
use opentelemetry::{Context, KeyValue};

use super::timeline::Timeline;
use crate::call::CallSpan;
use crate::decorate::{CallEnd, Child, ChildKind};
use crate::links::AgentNames;
use crate::mapping::completion::{completion_end, tool_call_event};
use crate::mapping::confirmation::decision_event;
use crate::mapping::error::{ErrorFacts, http_error};
use crate::mapping::inference::inference_end;
use crate::mapping::kv_strings;
use crate::mapping::resource::{self, PathIds};
use crate::mapping::response::{
    ResponsePlan, plan_response, receiving_agent_attributes, transfer_attributes, transfer_name,
};
use crate::metrics::CallMetrics;
use crate::semconv as sc;
use crate::semconv::Conventions;
use crate::tap::Observer;

/// What the body is mapped to at its end.
pub(crate) enum BodyKind {
    /// start / append / restart: children from outputs, usage.
    Turn(Option<CallMetrics>),
    /// Chat, FIM and agents completions: choices, usage, function calls.
    Completion(Option<CallMetrics>),
    /// Embeddings, moderation, classification, OCR, transcription.
    Inference {
        op: Operation,
        /// The request named the embeddings' dimension.
        dimension_asked: bool,
        metrics: Option<CallMetrics>,
    },
    /// Resource calls (read, agent and library endpoints): cheap result facts.
    Resource {
        op: Operation,
        known: PathIds,
        /// Where an agent's name is remembered (agent create, read, update).
        agent_names: Option<Arc<AgentNames>>,
    },
}

impl BodyKind {
    fn metrics(&self) -> Option<&CallMetrics> {
        match self {
            BodyKind::Turn(m)
            | BodyKind::Completion(m)
            | BodyKind::Inference { metrics: m, .. } => m.as_ref(),
            BodyKind::Resource { .. } => None,
        }
    }

    fn metrics_mut(&mut self) -> Option<&mut CallMetrics> {
        match self {
            BodyKind::Turn(m)
            | BodyKind::Completion(m)
            | BodyKind::Inference { metrics: m, .. } => m.as_mut(),
            BodyKind::Resource { .. } => None,
        }
    }
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
    /// The body is a download (file content): passed on, never kept or parsed.
    opaque: bool,
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
        let opaque = matches!(
            &kind,
            BodyKind::Resource {
                op: Operation::FileContent,
                ..
            }
        );
        Self {
            call,
            kind,
            status,
            frames: Vec::new(),
            held: 0,
            cap,
            over_cap: false,
            opaque,
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
            let capturing = self.call.capture().is_some();
            let parsed = match &self.kind {
                BodyKind::Turn(_) => parse_conversation_response_with(&body, capturing)
                    .map(|response| self.record_turn(&response, end)),
                BodyKind::Completion(_) => parse_completion_response_with(&body, capturing)
                    .map(|response| self.record_completion(&response, end)),
                &BodyKind::Inference {
                    op,
                    dimension_asked,
                    ..
                } => parse_inference_response(op, &body, capturing)
                    .map(|response| self.record_inference(op, dimension_asked, response)),
                BodyKind::Resource {
                    op,
                    known,
                    agent_names,
                } => parse_result_facts(*op, &body).map(|facts| {
                    if let (Some(names), Some(id), Some(name)) =
                        (agent_names, &facts.agent_id, &facts.agent_name)
                    {
                        names.put(id, name.clone());
                    }
                    self.call
                        .set_attributes(resource::result_attributes(&facts, *known));
                }),
            };
            // an empty body (a 204) is no parse error
            if parsed.is_err() && !body.is_empty() {
                self.call
                    .set_attribute(KeyValue::new(sc::MISTRAL_PARSE_ERROR, true));
            }
        }
        if let Some(metrics) = self.kind.metrics() {
            metrics.record(self.call.elapsed_at(Instant::now()), error_type.as_deref());
        }
        self.call.end(end);
    }

    fn record_completion(&mut self, response: &CompletionResponse, end: SystemTime) {
        crate::mapping::guardrail::record_results(&self.call.cx.span(), &response.guardrails);
        self.call
            .set_attributes(completion_end(response, self.call.capture()));
        // the calls were asked for by the time the answer came
        let at = self.call.response_time.unwrap_or(end);
        for call in response.choices.iter().flat_map(|c| &c.message.tool_calls) {
            let attrs = tool_call_event(call, self.call.capture());
            self.call.cx.span().add_event_with_timestamp(
                sc::MISTRAL_FUNCTION_CALL_EVENT,
                at,
                attrs,
            );
        }
        let conversation_id = self.call.conversation_id.clone();
        self.call.decorate_end(&CallEnd {
            finish_reason: response
                .choices
                .first()
                .and_then(|c| c.finish_reason.as_deref())
                .unwrap_or("stop"),
            usage: response.usage.as_ref(),
            conversation_id: conversation_id.as_deref(),
            response_model: response.model.as_deref(),
            completion: Some(response),
            ..CallEnd::default()
        });
        if let Some(metrics) = self.kind.metrics_mut() {
            metrics.response_model = response.model.clone();
            metrics.usage = response.usage.clone();
        }
    }

    fn record_inference(
        &mut self,
        op: Operation,
        dimension_asked: bool,
        response: InferenceResponse,
    ) {
        if let Some(model) = &response.model {
            self.call.name_after_model(model);
        }
        self.call.set_attributes(inference_end(
            op,
            &response,
            dimension_asked,
            self.call.capture(),
        ));
        self.call.decorate_end(&CallEnd {
            finish_reason: "stop",
            usage: response.usage.as_ref(),
            response_model: response.model.as_deref(),
            inference: Some(&response),
            ..CallEnd::default()
        });
        if let Some(metrics) = self.kind.metrics_mut() {
            metrics.response_model = response.model;
            metrics.usage = response.usage;
        }
    }

    fn record_turn(&mut self, response: &ConversationResponse, end: SystemTime) {
        let plan = plan_response(response, self.call.capture());
        crate::mapping::guardrail::record_results(&self.call.cx.span(), &response.guardrails);
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
            ..CallEnd::default()
        });
        if let BodyKind::Turn(Some(metrics)) = &mut self.kind {
            metrics.response_model = plan.response_model.clone();
            metrics.usage = plan.usage.clone();
            let count = |kind: fn(&Entry) -> bool| {
                response.outputs.iter().filter(|e| kind(e)).count() as u64
            };
            metrics.inference_calls = Some(count(|e| matches!(e, Entry::MessageOutput(_))));
            metrics.tool_calls = Some(count(|e| matches!(e, Entry::FunctionCall(_))));
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
        // handoffs handed back to the client: on the turn, no span of their own
        let mut on_turn: Vec<bool> = Vec::with_capacity(plan.children.len());
        for (child, (start, _)) in plan.children.iter().zip(&times) {
            let parent = child
                .parent
                .and_then(|i| contexts.get(i))
                .unwrap_or(&self.call.cx)
                .clone();
            let Some(entry) = outputs.get(child.output_index) else {
                continue;
            };
            if let (Entry::AgentHandoff(h), true) = (entry, self.call.client_handoffs.is_some()) {
                self.call.hand_off(
                    h.previous_agent_name.as_deref(),
                    h.next_agent_id.as_deref(),
                    h.next_agent_name.as_deref(),
                    *start,
                );
                contexts.push(self.call.cx.clone());
                on_turn.push(true);
                continue;
            }
            on_turn.push(false);
            let view = Child {
                kind: child.kind,
                name: &child.name,
                entry,
                output_index: u32::try_from(child.output_index).unwrap_or(u32::MAX),
            };
            let cx = match (entry, self.call.conventions) {
                (Entry::AgentHandoff(h), Conventions::GenAiLatest) => {
                    // the transfer (timed by the handoff entry itself), then the receiving
                    // agent's span linked to it
                    let (prev_id, prev_name, next_name) = (
                        h.previous_agent_id.as_deref(),
                        h.previous_agent_name.as_deref(),
                        h.next_agent_name.as_deref(),
                    );
                    let transfer = self.call.internal(
                        &parent,
                        transfer_name(next_name),
                        transfer_attributes(prev_id, prev_name, next_name),
                        *start,
                        Vec::new(),
                    );
                    let transfer_end = child
                        .server_end
                        .map(|t| timeline.map(t))
                        .unwrap_or(*start)
                        .clamp(*start, window_end);
                    transfer.span().end_with_timestamp(transfer_end);
                    self.call.handoff_child(
                        &parent,
                        child.name.clone(),
                        receiving_agent_attributes(prev_id, prev_name, next_name),
                        *start,
                        &view,
                        Some(&transfer),
                    )
                }
                _ => self.call.child(
                    &parent,
                    child.name.clone(),
                    child.attributes.clone(),
                    *start,
                    &view,
                ),
            };
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
            if let Some((id, name)) = &event.pending {
                let (decision, attrs) = decision_event(
                    self.call.conventions,
                    id,
                    Some(name),
                    "require_approval",
                    None,
                );
                owner.span().add_event_with_timestamp(decision, at, attrs);
                self.call.ask_confirmation(id, name);
            }
        }
        // outputs end in order, handoffs (which own later outputs) after them
        let (handoffs, outputs_first): (Vec<usize>, Vec<usize>) =
            (0..contexts.len()).partition(|i| {
                plan.children
                    .get(*i)
                    .is_some_and(|c| c.kind == ChildKind::Handoff)
            });
        for i in outputs_first.into_iter().chain(handoffs) {
            if on_turn.get(i) == Some(&true) {
                continue;
            }
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
        if self.over_cap || (self.opaque && self.status < 400) {
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
        if let Some(metrics) = self.kind.metrics() {
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
