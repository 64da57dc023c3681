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
    Entry, OutputKind, SseParser, StreamFold, Terminal, TreeEvent, decode_stream_event,
    peek_output_index,
};
use opentelemetry::trace::TraceContextExt;
use opentelemetry::{Context, KeyValue};

use super::Turn;
use crate::capture::{ContentField, json_or_string};
use crate::mapping::error::ErrorFacts;
use crate::mapping::response::{
    ChildKind, chat_attributes, chat_name, function_call_attributes, handoff_attributes,
    handoff_name, handoff_next_agent, tool_attributes, usage_attributes,
};
use crate::mapping::{kv_strings, kv_u64, messages};
use crate::metrics::TurnMetrics;
use crate::semconv as sc;
use crate::tap::Observer;

/// How a stream ended (`mistral_ai.stream.outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Completed,
    Error,
    Truncated,
    Cancelled,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Error => "error",
            Outcome::Truncated => "truncated",
            Outcome::Cancelled => "cancelled",
        }
    }
}

/// The streaming turn: parser, fold and the spans of the outputs it opened.
pub(crate) struct StreamBody {
    parser: SseParser,
    state: State,
}

/// Everything but the parser, so that the parser's callback can borrow it.
struct State {
    turn: Turn,
    fold: StreamFold<Instant>,
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
    conversation_id: Option<String>,
    /// Closed outputs kept for `gen_ai.output.messages` (capture only), by `output_index`.
    finished: BTreeMap<u32, Entry>,
    /// The last frame that carried output, for the per-chunk histogram.
    last_output_frame: Option<Instant>,
    metrics: Option<TurnMetrics>,
}

impl StreamBody {
    pub(crate) fn new(turn: Turn, max_event_bytes: usize, metrics: Option<TurnMetrics>) -> Self {
        let budget = turn
            .content
            .as_ref()
            .map(|c| c.max_attribute_bytes.saturating_mul(4));
        Self {
            parser: SseParser::with_max_event_bytes(max_event_bytes),
            state: State {
                fold: StreamFold::new(budget),
                tree: Tree {
                    capture: turn.content.is_some(),
                    event_count: 0,
                    unknown_count: 0,
                    overflow: false,
                    spans: BTreeMap::new(),
                    handoff: None,
                    conversation_id: None,
                    finished: BTreeMap::new(),
                    last_output_frame: None,
                    metrics,
                },
                turn,
            },
        }
    }
}

impl State {
    fn finish(&mut self, outcome: Outcome, at: Instant, error: Option<ErrorFacts>) {
        if self.turn.is_ended() {
            return;
        }
        let Self {
            turn, fold, tree, ..
        } = self;
        fold.finish(at, outcome == Outcome::Completed, &mut |e| {
            tree.on_tree_event(turn, e)
        });
        turn.content_truncated |= fold.content_truncated();
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
        if let Some(policy) = &turn.content {
            let reason = if finish.is_empty() { "stop" } else { finish };
            let rendered = policy.render(
                ContentField::OutputMessages,
                messages::output_messages(tree.finished.values(), reason),
            );
            turn.content_truncated |= rendered.truncated;
            attrs.push(KeyValue::new(sc::GEN_AI_OUTPUT_MESSAGES, rendered.json));
            if turn.braintrust {
                let (kv, t) = crate::mapping::braintrust::render(
                    policy,
                    sc::braintrust::OUTPUT_JSON,
                    ContentField::BraintrustOutput,
                    crate::mapping::braintrust::output_json(tree.finished.values(), reason),
                );
                turn.content_truncated |= t;
                attrs.push(kv);
            }
        }
        let usage = match fold.terminal() {
            Some(Terminal::Done(usage)) => Some(usage),
            _ => None,
        };
        if turn.braintrust {
            let ttft = fold.first_output().map(|t| turn.elapsed_at(t));
            attrs.push(crate::mapping::braintrust::metrics(usage, ttft));
        }
        turn.set_attributes(attrs);
        let error_type = error.as_ref().map(|e| e.error_type.clone());
        if let Some(facts) = &error {
            turn.fail(facts);
        }
        if let Some(metrics) = &mut tree.metrics {
            metrics.response_model = response_model;
            metrics.usage = usage.cloned();
            metrics.record(turn.elapsed_at(at), error_type.as_deref());
        }
        let end = turn.time_at(at);
        turn.end(end);
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
            turn, fold, tree, ..
        } = self;
        fold.apply(event, at, &mut |e| tree.on_tree_event(turn, e));
    }
}

impl Tree {
    /// Turn what the fold says into spans, attributes and events.
    fn on_tree_event(&mut self, turn: &mut Turn, event: TreeEvent<'_, Instant>) {
        match event {
            TreeEvent::ConversationStarted(id) => {
                turn.set_conversation_id(id);
                self.conversation_id = Some(id.to_owned());
            }
            TreeEvent::FirstOutput(at) => {
                let ttfc = turn.elapsed_at(at);
                turn.set_attribute(KeyValue::new(
                    sc::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
                    ttfc.as_secs_f64(),
                ));
                if let Some(m) = &self.metrics {
                    m.record_ttfc(ttfc);
                }
            }
            TreeEvent::Opened(out) => {
                let parent = self.owner(turn, out.owner);
                let cx = match &out.entry {
                    Entry::MessageOutput(m) => turn.child(
                        &parent,
                        chat_name(m.model.as_deref()),
                        chat_attributes(
                            m.id.as_deref(),
                            m.model.as_deref(),
                            m.agent_id.as_deref(),
                            self.conversation_id.as_deref(),
                        ),
                        turn.time_at(out.first),
                        ChildKind::Chat,
                    ),
                    Entry::ToolExecution(t) => turn.child(
                        &parent,
                        format!("{} {}", sc::op::EXECUTE_TOOL, t.name),
                        tool_attributes(&t.name, t.id.as_deref()),
                        turn.time_at(out.first),
                        ChildKind::Tool,
                    ),
                    Entry::AgentHandoff(h) => {
                        let cx = turn.child(
                            &turn.cx.clone(),
                            handoff_name(h.next_agent_name.as_deref()),
                            handoff_attributes(
                                h.previous_agent_id.as_deref(),
                                h.previous_agent_name.as_deref(),
                                h.next_agent_id.as_deref(),
                                h.next_agent_name.as_deref(),
                            ),
                            turn.time_at(out.first),
                            ChildKind::Handoff,
                        );
                        self.handoff = Some((out.index, cx));
                        return;
                    }
                    // function calls are events, written when they close
                    _ => return,
                };
                self.spans.insert(out.index, cx);
            }
            TreeEvent::HandoffDone(out) => {
                if let (Some((_, cx)), Entry::AgentHandoff(h)) = (&self.handoff, &out.entry) {
                    let span = cx.span();
                    span.update_name(handoff_name(h.next_agent_name.as_deref()));
                    span.set_attributes(handoff_next_agent(
                        h.next_agent_id.as_deref(),
                        h.next_agent_name.as_deref(),
                    ));
                }
            }
            TreeEvent::Closed(out) => self.close(turn, *out),
            TreeEvent::Terminal(Terminal::Done(usage)) => {
                turn.set_attributes(usage_attributes(usage));
            }
            TreeEvent::Terminal(Terminal::Error { .. }) => {}
        }
    }

    /// The span that owns an output: its handoff's, else the turn's.
    fn owner(&self, turn: &Turn, owner: Option<u32>) -> Context {
        match (&self.handoff, owner) {
            (Some((index, cx)), Some(owner)) if *index == owner => cx.clone(),
            _ => turn.cx.clone(),
        }
    }

    /// End one output's span (or write its function-call event) at its last event.
    fn close(&mut self, turn: &mut Turn, out: mistral_otel_wire::Output<Instant>) {
        let end = turn.time_at(out.last);
        match &out.entry {
            Entry::MessageOutput(_) => {
                if let (Some(cx), Some(policy)) = (self.spans.get(&out.index), &turn.content) {
                    let rendered = policy.render(
                        ContentField::OutputMessages,
                        messages::output_messages([&out.entry], "stop"),
                    );
                    turn.content_truncated |= rendered.truncated;
                    cx.span()
                        .set_attribute(KeyValue::new(sc::GEN_AI_OUTPUT_MESSAGES, rendered.json));
                    if turn.braintrust {
                        let (kv, t) = crate::mapping::braintrust::render(
                            policy,
                            sc::braintrust::OUTPUT_JSON,
                            ContentField::BraintrustOutput,
                            crate::mapping::braintrust::output_json([&out.entry], "stop"),
                        );
                        turn.content_truncated |= t;
                        cx.span().set_attribute(kv);
                    }
                }
            }
            Entry::ToolExecution(tool) => {
                if let Some(cx) = self.spans.get(&out.index) {
                    let span = cx.span();
                    if !out.complete {
                        span.set_attribute(KeyValue::new(sc::MISTRAL_TOOL_INCOMPLETE, true));
                    }
                    if let Some(policy) = &turn.content {
                        let args = policy
                            .render(ContentField::ToolArguments, json_or_string(&tool.arguments));
                        turn.content_truncated |= args.truncated;
                        span.set_attribute(KeyValue::new(
                            sc::GEN_AI_TOOL_CALL_ARGUMENTS,
                            args.json,
                        ));
                        if let Some(info) = &tool.info {
                            let result = policy.render(ContentField::ToolResult, info.clone());
                            turn.content_truncated |= result.truncated;
                            span.set_attribute(KeyValue::new(
                                sc::GEN_AI_TOOL_CALL_RESULT,
                                result.json,
                            ));
                        }
                        if turn.braintrust {
                            let (kvs, t) = crate::mapping::braintrust::tool_io(
                                policy,
                                &tool.arguments,
                                tool.info.as_ref(),
                            );
                            turn.content_truncated |= t;
                            span.set_attributes(kvs);
                        }
                    }
                }
                if let Some(m) = &self.metrics {
                    m.record_tool(
                        &tool.name,
                        Some(out.last.saturating_duration_since(out.first)),
                    );
                }
            }
            Entry::FunctionCall(call) => {
                let (attrs, truncated) = function_call_attributes(
                    &call.tool_call_id,
                    &call.name,
                    &call.arguments,
                    call.confirmation_status.as_deref(),
                    turn.content.as_ref(),
                );
                turn.content_truncated |= truncated;
                let owner = self.owner(turn, out.owner);
                owner.span().add_event_with_timestamp(
                    sc::MISTRAL_FUNCTION_CALL_EVENT,
                    turn.time_at(out.first),
                    attrs,
                );
            }
            Entry::AgentHandoff(_) => {
                if let Some((index, cx)) = self.handoff.take() {
                    if index == out.index {
                        cx.span().end_with_timestamp(end);
                    } else {
                        self.handoff = Some((index, cx));
                    }
                }
                return;
            }
            _ => {}
        }
        if let Some(cx) = self.spans.remove(&out.index) {
            cx.span().end_with_timestamp(end);
        }
        if self.capture {
            self.finished.insert(out.index, out.entry);
        }
    }
}

impl Observer for StreamBody {
    fn on_data(&mut self, data: &Bytes, at: Instant) {
        let state = &mut self.state;
        if state.turn.is_ended() || state.tree.overflow {
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
        if self.turn.is_ended() {
            return;
        }
        let error = (!self.tree.overflow).then(|| ErrorFacts {
            error_type: "truncated_stream".to_owned(),
            code: None,
            message: "the event stream ended without conversation.response.done".to_owned(),
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
                };
                self.finish(Outcome::Error, at, Some(error));
            }
            None => {}
        }
    }
}
