//! Streaming turns: the span tree built live from SSE events as the bytes pass.
//!
//! Each frame is handed to the push parser when it arrives, before the caller gets it;
//! each complete event goes through the wire crate's [`StreamFold`], and the tree events
//! it answers with become spans: a `chat` span per message output, an `execute_tool` span
//! per tool execution, function calls as events, handoffs as nested `invoke_agent` spans.
//! Outputs are told apart by `output_index`, so parallel outputs whose deltas interleave
//! keep their own spans. Time to first chunk is taken at the first output-bearing event
//! (not `conversation.response.started`), measured from just before the request was sent.
//! The frame that carries the terminal event ends the turn and its children before the
//! caller sees it.

use std::collections::BTreeMap;
use std::time::Instant;

use bytes::Bytes;
use mistral_otel_wire::{
    Entry, OutputKind, SseParser, StreamFold, Terminal, TextDeltaReader, TreeEvent,
    decode_stream_event, peek_output_index,
};
use opentelemetry::trace::TraceContextExt;
use opentelemetry::{Context, KeyValue};

use super::Outcome;
use crate::call::CallSpan;
use crate::capture::ContentField;
use crate::decorate::{CallEnd, Child, ChildKind};
use crate::mapping::confirmation::{PENDING, decision_event};
use crate::mapping::error::ErrorFacts;
use crate::mapping::response::{
    chat_attributes, chat_content, child_name, function_call_attributes, handoff_attributes,
    handoff_name, handoff_next_agent, receiving_agent_attributes, tool_attributes, tool_content,
    transfer_attributes, transfer_name, transfer_target, usage_attributes,
};
use crate::mapping::{kv_strings, kv_u64, messages};
use crate::metrics::CallMetrics;
use crate::semconv::{self as sc, Conventions};
use crate::tap::Observer;

/// Records a streamed turn: parser, fold and the spans of the outputs it opened.
pub(crate) struct StreamRecorder {
    parser: SseParser,
    state: State,
}

/// Everything but the parser, so that the parser's callback can borrow it.
struct State {
    call: CallSpan,
    fold: StreamFold<Instant>,
    /// Text deltas read through a template of the last one (capture on).
    deltas: TextDeltaReader,
    tree: Tree,
}

/// What the recorder keeps besides the fold.
struct Tree {
    capture: bool,
    event_count: u64,
    unknown_count: u64,
    overflow: bool,
    /// Spans of the open message and tool outputs, by `output_index`.
    spans: BTreeMap<u32, Context>,
    /// The open handoff's `output_index` and span.
    handoff: Option<(u32, Context)>,
    /// The open handoff's transfer span (latest conventions), until `agent.handoff.done`.
    transfer: Option<Context>,
    conversation_id: Option<String>,
    /// Closed outputs kept for `gen_ai.output.messages` (capture only), by `output_index`.
    finished: BTreeMap<u32, Entry>,
    /// The last frame that carried output, for the per-chunk histogram.
    last_output_frame: Option<Instant>,
    /// Message outputs (the agent's inference calls) and function calls closed so far.
    messages: u64,
    function_calls: u64,
    metrics: Option<CallMetrics>,
}

impl StreamRecorder {
    pub(crate) fn new(
        call: CallSpan,
        max_event_bytes: usize,
        metrics: Option<CallMetrics>,
    ) -> Self {
        let budget = call
            .capture()
            .map(|c| c.max_attribute_bytes().saturating_mul(4));
        Self {
            parser: SseParser::with_max_event_bytes(max_event_bytes),
            state: State {
                fold: StreamFold::new(budget),
                deltas: TextDeltaReader::default(),
                tree: Tree {
                    capture: call.capture().is_some(),
                    event_count: 0,
                    unknown_count: 0,
                    overflow: false,
                    spans: BTreeMap::new(),
                    handoff: None,
                    transfer: None,
                    conversation_id: None,
                    finished: BTreeMap::new(),
                    last_output_frame: None,
                    messages: 0,
                    function_calls: 0,
                    metrics,
                },
                call,
            },
        }
    }
}

impl State {
    fn finish(&mut self, outcome: Outcome, at: Instant, error: Option<ErrorFacts>) {
        if self.call.is_ended() {
            return;
        }
        let Self {
            call, fold, tree, ..
        } = self;
        fold.finish(at, outcome == Outcome::Completed, &mut |e| {
            tree.on_tree_event(call, e)
        });
        if fold.content_truncated()
            && let Some(capture) = call.capture()
        {
            capture.mark_truncated();
        }
        let mut attrs = vec![
            KeyValue::new(sc::MISTRAL_STREAM_OUTCOME, outcome.as_str()),
            kv_u64(sc::MISTRAL_STREAM_EVENT_COUNT, tree.event_count),
        ];
        if tree.unknown_count > 0 {
            attrs.push(kv_u64(
                sc::MISTRAL_STREAM_UNKNOWN_EVENT_COUNT,
                tree.unknown_count,
            ));
        }
        if tree.overflow {
            attrs.push(KeyValue::new(sc::MISTRAL_STREAM_OVERFLOW, true));
        }
        if fold.outputs_dropped() > 0 {
            attrs.push(kv_u64(
                sc::MISTRAL_STREAM_OUTPUTS_DROPPED,
                fold.outputs_dropped(),
            ));
        }
        let response_model = fold.response_model().map(str::to_owned);
        if let Some(model) = &response_model {
            attrs.push(KeyValue::new(sc::GEN_AI_RESPONSE_MODEL, model.clone()));
        }
        let finish = match outcome {
            Outcome::Completed => {
                if fold.last_output_kind() == Some(OutputKind::Function) {
                    "tool_call"
                } else {
                    "stop"
                }
            }
            Outcome::Error | Outcome::Truncated => "error",
            Outcome::Cancelled => "",
        };
        if !finish.is_empty() {
            attrs.push(kv_strings(
                sc::GEN_AI_RESPONSE_FINISH_REASONS,
                [finish.to_owned()],
            ));
        }
        let outputs: Vec<Entry> = std::mem::take(&mut tree.finished).into_values().collect();
        if let Some(capture) = call.capture() {
            let reason = if finish.is_empty() { "stop" } else { finish };
            attrs.extend(capture.top(
                sc::GEN_AI_OUTPUT_MESSAGES,
                ContentField::OutputMessages,
                messages::output_messages(&outputs, reason),
            ));
        }
        let usage = match fold.terminal() {
            Some(Terminal::Done(usage)) => Some(usage),
            _ => None,
        };
        call.set_attributes(attrs);
        let conversation_id = call.conversation_id.clone();
        call.decorate_end(&CallEnd {
            outputs: &outputs,
            finish_reason: finish,
            usage,
            time_to_first_chunk: fold.first_output().map(|t| call.elapsed_at(t)),
            conversation_id: conversation_id.as_deref(),
            response_model: response_model.as_deref(),
            ..CallEnd::default()
        });
        let error_type = error.as_ref().map(|e| e.error_type.clone());
        if let Some(facts) = &error {
            call.fail(facts);
        }
        if let Some(metrics) = &mut tree.metrics {
            metrics.response_model = response_model;
            metrics.usage = usage.cloned();
            metrics.inference_calls = Some(tree.messages);
            metrics.tool_calls = Some(tree.function_calls);
            metrics.record(call.elapsed_at(at), error_type.as_deref());
        }
        let end = call.time_at(at);
        call.end(end);
    }

    /// One dispatched SSE event.
    fn on_event(&mut self, name: &str, data: &[u8], at: Instant) {
        if self.fold.terminal().is_some() {
            return;
        }
        self.tree.event_count += 1;
        // the hot path with capture off: a delta of an output that is already open only
        // moves its last-event time, so its JSON is not parsed beyond `output_index`
        // (function.call.delta is decoded: a later delta may carry the confirmation status)
        if !self.tree.capture
            && matches!(name, "message.output.delta" | "tool.execution.delta")
            && let (Some(kind), Some(index)) = (OutputKind::of_event(name), peek_output_index(data))
            && self.fold.continue_output(kind, index, at)
        {
            return;
        }
        // the hot path with capture on: a text delta of an open message, read in one scan
        // (anything unusual reads `None` and is decoded in full below)
        if self.tree.capture
            && name == "message.output.delta"
            && let Some(delta) = self.deltas.read(data)
            && self.fold.continue_text(
                delta.output_index,
                delta.content_index,
                delta.text.into_owned(),
                at,
            )
        {
            return;
        }
        // content that fails to decode must not cost the tree: retry without it
        let capture = self.tree.capture;
        let decoded = decode_stream_event(name, data, capture).or_else(|e| {
            if capture {
                decode_stream_event(name, data, false)
            } else {
                Err(e)
            }
        });
        let event = match decoded {
            Ok(mistral_otel_wire::StreamEvent::Unknown { .. }) | Err(_) => {
                self.tree.unknown_count += 1;
                return;
            }
            Ok(event) => event,
        };
        let Self {
            call, fold, tree, ..
        } = self;
        fold.apply(event, at, &mut |e| tree.on_tree_event(call, e));
    }
}

impl Tree {
    /// Turn what the fold says into spans, attributes and events.
    fn on_tree_event(&mut self, call: &mut CallSpan, event: TreeEvent<'_, Instant>) {
        match event {
            TreeEvent::ConversationStarted(id) => {
                call.set_conversation_id(id);
                self.conversation_id = Some(id.to_owned());
            }
            TreeEvent::FirstOutput(at) => {
                let ttfc = call.elapsed_at(at);
                call.set_attribute(KeyValue::new(
                    sc::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
                    ttfc.as_secs_f64(),
                ));
                if let Some(m) = &self.metrics {
                    m.record_ttfc(ttfc);
                }
            }
            TreeEvent::Opened(out) => {
                let parent = self.owner(call, out.owner);
                let start = call.time_at(out.first);
                let (kind, attributes) = match &out.entry {
                    Entry::MessageOutput(m) => (
                        ChildKind::Chat,
                        chat_attributes(
                            m.id.as_deref(),
                            m.model.as_deref(),
                            m.agent_id.as_deref(),
                            self.conversation_id.as_deref(),
                        ),
                    ),
                    Entry::ToolExecution(t) => {
                        (ChildKind::Tool, tool_attributes(&t.name, t.id.as_deref()))
                    }
                    Entry::AgentHandoff(h) => (
                        ChildKind::Handoff,
                        handoff_attributes(
                            h.previous_agent_id.as_deref(),
                            h.previous_agent_name.as_deref(),
                            h.next_agent_id.as_deref(),
                            h.next_agent_name.as_deref(),
                        ),
                    ),
                    // function calls are events, written when they close
                    _ => return,
                };
                let name = child_name(&out.entry);
                let view = Child {
                    kind,
                    name: &name,
                    entry: &out.entry,
                    output_index: out.index,
                };
                match (&out.entry, call.conventions) {
                    // handed back to the client: recorded on the turn at agent.handoff.done
                    (Entry::AgentHandoff(_), _) if call.client_handoffs.is_some() => {}
                    (Entry::AgentHandoff(h), Conventions::GenAiLatest) => {
                        // the transfer, then the receiving agent's span linked to it
                        let (prev_id, prev_name, next_name) = (
                            h.previous_agent_id.as_deref(),
                            h.previous_agent_name.as_deref(),
                            h.next_agent_name.as_deref(),
                        );
                        let transfer = call.internal(
                            &parent,
                            transfer_name(next_name),
                            transfer_attributes(prev_id, prev_name, next_name),
                            start,
                            Vec::new(),
                        );
                        let attributes = receiving_agent_attributes(prev_id, prev_name, next_name);
                        let cx = call.handoff_child(
                            &parent,
                            name.clone(),
                            attributes,
                            start,
                            &view,
                            Some(&transfer),
                        );
                        self.transfer = Some(transfer);
                        self.handoff = Some((out.index, cx));
                    }
                    _ => {
                        let cx = call.child(&parent, name.clone(), attributes, start, &view);
                        if kind == ChildKind::Handoff {
                            self.handoff = Some((out.index, cx));
                        } else {
                            self.spans.insert(out.index, cx);
                        }
                    }
                }
            }
            TreeEvent::HandoffDone(out) => {
                if let (Entry::AgentHandoff(h), true) = (&out.entry, call.client_handoffs.is_some())
                {
                    call.hand_off(
                        h.previous_agent_name.as_deref(),
                        h.next_agent_id.as_deref(),
                        h.next_agent_name.as_deref(),
                        call.time_at(out.last),
                    );
                }
                if let (Some((_, cx)), Entry::AgentHandoff(h)) = (&self.handoff, &out.entry) {
                    let span = cx.span();
                    let next_name = h.next_agent_name.as_deref();
                    span.update_name(handoff_name(next_name));
                    if call.conventions == Conventions::GenAiLatest {
                        span.set_attributes(
                            next_name.map(|n| KeyValue::new(sc::GEN_AI_AGENT_NAME, n.to_owned())),
                        );
                        if let Some(transfer) = self.transfer.take() {
                            let t = transfer.span();
                            t.update_name(transfer_name(next_name));
                            t.set_attributes(transfer_target(next_name));
                            t.end_with_timestamp(call.time_at(out.last));
                        }
                    } else {
                        span.set_attributes(handoff_next_agent(
                            h.next_agent_id.as_deref(),
                            next_name,
                        ));
                    }
                }
            }
            TreeEvent::Closed(out) => self.close(call, *out),
            TreeEvent::Terminal(Terminal::Done(usage)) => {
                call.set_attributes(usage_attributes(usage));
            }
            TreeEvent::Terminal(Terminal::Error { .. }) => {}
        }
    }

    /// The span that owns an output: its handoff's, else the call's.
    fn owner(&self, call: &CallSpan, owner: Option<u32>) -> Context {
        match (&self.handoff, owner) {
            (Some((index, cx)), Some(owner)) if *index == owner => cx.clone(),
            _ => call.cx.clone(),
        }
    }

    /// End one output's span (or write its function-call event) at its last event.
    fn close(&mut self, call: &mut CallSpan, out: mistral_otel_wire::Output<Instant>) {
        let end = call.time_at(out.last);
        let (kind, cx) = match &out.entry {
            Entry::MessageOutput(_) => {
                self.messages += 1;
                let cx = self.spans.remove(&out.index);
                if let (Some(cx), Some(capture)) = (&cx, call.capture()) {
                    cx.span().set_attributes(chat_content(&out.entry, capture));
                }
                (ChildKind::Chat, cx)
            }
            Entry::ToolExecution(tool) => {
                let cx = self.spans.remove(&out.index);
                if let Some(cx) = &cx {
                    let span = cx.span();
                    if !out.complete {
                        span.set_attribute(KeyValue::new(sc::MISTRAL_TOOL_INCOMPLETE, true));
                    }
                    if let Some(capture) = call.capture() {
                        span.set_attributes(tool_content(
                            &tool.arguments,
                            tool.info.as_ref(),
                            capture,
                        ));
                    }
                }
                if let Some(m) = &self.metrics {
                    m.record_tool(
                        &tool.name,
                        Some(out.last.saturating_duration_since(out.first)),
                    );
                }
                (ChildKind::Tool, cx)
            }
            Entry::FunctionCall(f) => {
                self.function_calls += 1;
                let attrs = function_call_attributes(
                    &f.tool_call_id,
                    &f.name,
                    &f.arguments,
                    f.confirmation_status.as_deref(),
                    call.capture(),
                );
                let owner = self.owner(call, out.owner);
                owner.span().add_event_with_timestamp(
                    sc::MISTRAL_FUNCTION_CALL_EVENT,
                    call.time_at(out.first),
                    attrs,
                );
                if f.confirmation_status.as_deref() == Some(PENDING) {
                    let (decision, attrs) = decision_event(
                        call.conventions,
                        &f.tool_call_id,
                        Some(&f.name),
                        "require_approval",
                        None,
                    );
                    owner
                        .span()
                        .add_event_with_timestamp(decision, call.time_at(out.last), attrs);
                    call.ask_confirmation(&f.tool_call_id, &f.name);
                }
                if self.capture {
                    self.finished.insert(out.index, out.entry);
                }
                return;
            }
            Entry::AgentHandoff(_) => {
                // a transfer whose `agent.handoff.done` never came ends with its handoff
                if let Some(transfer) = self.transfer.take() {
                    transfer.span().end_with_timestamp(end);
                }
                let cx = match self.handoff.take() {
                    Some((index, cx)) if index == out.index => Some(cx),
                    other => {
                        self.handoff = other;
                        None
                    }
                };
                (ChildKind::Handoff, cx)
            }
            _ => return,
        };
        if let Some(cx) = cx {
            let name = child_name(&out.entry);
            let view = Child {
                kind,
                name: &name,
                entry: &out.entry,
                output_index: out.index,
            };
            call.end_child(&cx, &view, end);
        }
        if self.capture && kind != ChildKind::Handoff {
            self.finished.insert(out.index, out.entry);
        }
    }
}

impl Observer for StreamRecorder {
    fn on_data(&mut self, data: &Bytes, at: Instant) {
        let state = &mut self.state;
        if state.call.is_ended() || state.tree.overflow {
            return;
        }
        let result = self
            .parser
            .push(data, |event| state.on_event(event.event, event.data, at));
        if result.is_err() {
            state.tree.overflow = true;
        }
        state.output_frame(at);
        state.settle(at);
    }

    fn on_end(&mut self) {
        let at = Instant::now();
        let state = &mut self.state;
        if state.fold.terminal().is_none() && !state.tree.overflow {
            let _ = self
                .parser
                .finish(|event| state.on_event(event.event, event.data, at));
            state.output_frame(at);
            state.settle(at);
        }
        state.end_without_terminal(at);
    }

    fn on_error(&mut self, err: &(dyn std::error::Error + 'static)) {
        let facts = ErrorFacts::transport(err);
        self.state
            .finish(Outcome::Error, Instant::now(), Some(facts));
    }

    fn on_drop(&mut self) {
        self.state.finish(Outcome::Cancelled, Instant::now(), None);
    }
}

impl State {
    /// The body ended before the server said it was done: truncated (status left unset
    /// after an overflow, whose stream itself was fine).
    fn end_without_terminal(&mut self, at: Instant) {
        if self.call.is_ended() {
            return;
        }
        let error = (!self.tree.overflow).then(|| ErrorFacts {
            error_type: "truncated_stream".to_owned(),
            code: None,
            message: "the event stream ended without conversation.response.done".to_owned(),
            guardrails: Vec::new(),
        });
        self.finish(Outcome::Truncated, at, error);
    }

    /// The time since the previous frame that carried output, once per such frame (the
    /// events of one frame share its arrival time).
    fn output_frame(&mut self, at: Instant) {
        if self.fold.last_output() != Some(at) {
            return;
        }
        if let (Some(prev), Some(m)) = (self.tree.last_output_frame, &self.tree.metrics)
            && at > prev
        {
            m.record_chunk_gap(at.saturating_duration_since(prev));
        }
        self.tree.last_output_frame = Some(at);
    }

    /// End the turn as soon as a terminal event was seen (not at EOF: the span's end
    /// is the terminal event; the connection close that follows adds nothing).
    fn settle(&mut self, at: Instant) {
        match self.fold.terminal() {
            Some(Terminal::Done(_)) => self.finish(Outcome::Completed, at, None),
            Some(Terminal::Error { message, code }) => {
                let error = ErrorFacts {
                    error_type: code.clone().unwrap_or_else(|| "stream_error".to_owned()),
                    code: code.clone(),
                    message: message
                        .clone()
                        .unwrap_or_else(|| "conversation.response.error".to_owned()),
                    guardrails: Vec::new(),
                };
                self.finish(Outcome::Error, at, Some(error));
            }
            None => {}
        }
    }
}
