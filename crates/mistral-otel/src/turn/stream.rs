//! Streaming turns: the span tree built live from SSE events as the bytes pass.
//!
//! Each frame is handed to the push parser and each complete event drives the tree:
//! `chat` spans per `output_index`, `execute_tool` spans from `tool.execution.started`
//! to `.done`, function calls as events, handoffs as nested `invoke_agent` spans.
//! Time to first chunk is taken at the first output-bearing event (not
//! `conversation.response.started`), measured from just before the request was sent.

use std::time::Instant;

use bytes::Bytes;
use mistral_otel_wire::{
    Chunk, Content, DeltaContent, Entry, FunctionCall, MessageOutput, SseParser, StreamEvent,
    ToolExecution, decode_stream_event, peek_output_index,
};
use opentelemetry::trace::TraceContextExt;
use opentelemetry::{Context, KeyValue};
use serde_json::Value;

use super::Turn;
use crate::capture::{ContentField, json_or_string};
use crate::mapping::error::{ErrorFacts, transport_error_type};
use crate::mapping::response::{
    ChildKind, chat_attributes, chat_name, function_call_attributes, handoff_attributes,
    handoff_name, tool_attributes, usage_attributes,
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

/// One output being streamed.
struct OpenOutput {
    index: u32,
    /// The span's context (`None` for function calls, which are events).
    cx: Option<Context>,
    first: Instant,
    last: Instant,
    kind: OutputKind,
}

enum OutputKind {
    Chat {
        id: Option<String>,
        model: Option<String>,
        agent_id: Option<String>,
        /// (content_index, part) when capturing
        parts: Vec<(u32, Part)>,
    },
    Tool {
        id: Option<String>,
        name: String,
        arguments: String,
        info: Option<Value>,
    },
    Function {
        id: Option<String>,
        tool_call_id: String,
        name: String,
        arguments: String,
        confirmation: Option<String>,
        agent_id: Option<String>,
        model: Option<String>,
    },
}

enum Part {
    Text(String),
    Chunk(Chunk),
}

/// The streaming turn: parser + live span tree.
pub(crate) struct StreamBody {
    turn: Turn,
    parser: SseParser,
    state: TreeState,
}

struct TreeState {
    capture: bool,
    max_capture_bytes: usize,
    captured_bytes: usize,
    event_count: u64,
    unknown_count: u64,
    first_chunk: Option<Instant>,
    last_chunk: Option<Instant>,
    last_event: Option<Instant>,
    conversation_id: Option<String>,
    response_model: Option<String>,
    open: Vec<OpenOutput>,
    handoff: Option<(Context, Instant)>,
    /// finished outputs kept for `gen_ai.output.messages` (capture only)
    finished: Vec<Entry>,
    last_kind_function: bool,
    terminal: Option<Outcome>,
    overflow: bool,
    pending_error: Option<ErrorFacts>,
    usage: Option<mistral_otel_wire::Usage>,
    metrics: Option<TurnMetrics>,
}

impl StreamBody {
    pub(crate) fn new(turn: Turn, max_event_bytes: usize, metrics: Option<TurnMetrics>) -> Self {
        let capture = turn.content.is_some();
        let max_capture_bytes = turn
            .content
            .as_ref()
            .map_or(0, |c| c.max_attribute_bytes.saturating_mul(4));
        Self {
            turn,
            parser: SseParser::with_max_event_bytes(max_event_bytes),
            state: TreeState {
                capture,
                max_capture_bytes,
                captured_bytes: 0,
                event_count: 0,
                unknown_count: 0,
                first_chunk: None,
                last_chunk: None,
                last_event: None,
                conversation_id: None,
                response_model: None,
                open: Vec::new(),
                handoff: None,
                finished: Vec::new(),
                last_kind_function: false,
                terminal: None,
                overflow: false,
                pending_error: None,
                usage: None,
                metrics,
            },
        }
    }

    fn finish(&mut self, outcome: Outcome, at: Instant, error: Option<ErrorFacts>) {
        if self.turn.is_ended() {
            return;
        }
        let turn = &mut self.turn;
        let state = &mut self.state;
        state.close_all(turn, at, outcome);
        let mut attrs = vec![
            KeyValue::new(sc::MISTRAL_STREAM_OUTCOME, outcome.as_str()),
            kv_u64(sc::MISTRAL_STREAM_EVENT_COUNT, state.event_count),
        ];
        if state.unknown_count > 0 {
            attrs.push(kv_u64(
                sc::MISTRAL_STREAM_UNKNOWN_EVENT_COUNT,
                state.unknown_count,
            ));
        }
        if state.overflow {
            attrs.push(KeyValue::new(sc::MISTRAL_STREAM_OVERFLOW, true));
        }
        if let Some(model) = &state.response_model {
            attrs.push(KeyValue::new(sc::GEN_AI_RESPONSE_MODEL, model.clone()));
        }
        let finish = match outcome {
            Outcome::Completed => {
                if state.last_kind_function {
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
                messages::output_messages(&state.finished, reason),
            );
            turn.content_truncated |= rendered.truncated;
            attrs.push(KeyValue::new(sc::GEN_AI_OUTPUT_MESSAGES, rendered.json));
            if turn.braintrust {
                let (kv, t) = crate::mapping::braintrust::render(
                    policy,
                    sc::braintrust::OUTPUT_JSON,
                    ContentField::BraintrustOutput,
                    crate::mapping::braintrust::output_json(&state.finished, reason),
                );
                turn.content_truncated |= t;
                attrs.push(kv);
            }
        }
        if turn.braintrust {
            let ttft = state.first_chunk.map(|t| turn.elapsed_at(t));
            attrs.push(crate::mapping::braintrust::metrics(
                state.usage.as_ref(),
                ttft,
            ));
        }
        turn.set_attributes(attrs);
        let error_type = error.as_ref().map(|e| e.error_type.clone());
        if let Some(facts) = &error {
            turn.fail(facts);
        }
        if let Some(metrics) = &mut state.metrics {
            metrics.response_model = state.response_model.clone();
            metrics.record(turn.elapsed_at(at), error_type.as_deref());
        }
        let end = turn.time_at(at);
        turn.end(end);
    }
}

impl TreeState {
    fn on_event(&mut self, turn: &mut Turn, name: &str, data: &[u8], at: Instant) {
        if self.terminal.is_some() {
            return;
        }
        self.event_count += 1;
        self.last_event = Some(at);
        if !self.capture && self.continues_open_output(turn, name, data, at) {
            return;
        }
        // content that fails to decode must not cost the tree: retry without it
        let decoded = decode_stream_event(name, data, self.capture).or_else(|e| {
            if self.capture {
                decode_stream_event(name, data, false)
            } else {
                Err(e)
            }
        });
        let event = match decoded {
            Ok(event) => event,
            Err(_) => {
                self.unknown_count += 1;
                return;
            }
        };
        if event_bears_output(&event) {
            self.output_arrived(turn, at);
        }
        match event {
            StreamEvent::ResponseStarted { conversation_id } => {
                if let Some(id) = conversation_id {
                    turn.set_conversation_id(&id);
                    self.conversation_id = Some(id);
                }
            }
            StreamEvent::MessageOutputDelta {
                output_index,
                content_index,
                id,
                model,
                agent_id,
                content,
            } => {
                self.close_before(turn, output_index);
                if self.response_model.is_none() {
                    self.response_model = model.clone();
                }
                let pos = match self.position(output_index) {
                    Some(p) => p,
                    None => {
                        let parent = self.owner(turn);
                        let attrs = chat_attributes(
                            id.as_deref(),
                            model.as_deref(),
                            agent_id.as_deref(),
                            self.conversation_id.as_deref(),
                        );
                        let cx = turn.child(
                            &parent,
                            chat_name(model.as_deref()),
                            attrs,
                            turn.time_at(at),
                            ChildKind::Chat,
                        );
                        self.open.push(OpenOutput {
                            index: output_index,
                            cx: Some(cx),
                            first: at,
                            last: at,
                            kind: OutputKind::Chat {
                                id,
                                model,
                                agent_id,
                                parts: Vec::new(),
                            },
                        });
                        self.open.len() - 1
                    }
                };
                let capture_room = self.capture && self.captured_bytes < self.max_capture_bytes;
                if let Some(out) = self.open.get_mut(pos) {
                    out.last = at;
                    if let (OutputKind::Chat { parts, .. }, Some(content), true) =
                        (&mut out.kind, content, capture_room)
                    {
                        self.captured_bytes += push_part(parts, content_index, content);
                    } else if self.capture && !capture_room {
                        turn.content_truncated = true;
                    }
                }
                self.last_kind_function = false;
            }
            StreamEvent::ToolExecutionStarted {
                output_index,
                id,
                name,
                arguments,
                ..
            } => {
                self.close_before(turn, output_index);
                let name = name.unwrap_or_default();
                let parent = self.owner(turn);
                let cx = turn.child(
                    &parent,
                    format!("{} {name}", sc::op::EXECUTE_TOOL),
                    tool_attributes(&name, id.as_deref()),
                    turn.time_at(at),
                    ChildKind::Tool,
                );
                let arguments = if self.capture {
                    arguments.unwrap_or_default()
                } else {
                    String::new()
                };
                self.open.push(OpenOutput {
                    index: output_index,
                    cx: Some(cx),
                    first: at,
                    last: at,
                    kind: OutputKind::Tool {
                        id,
                        name,
                        arguments,
                        info: None,
                    },
                });
                self.last_kind_function = false;
            }
            StreamEvent::ToolExecutionDelta {
                output_index,
                arguments,
                ..
            } => {
                let room = self.captured_bytes < self.max_capture_bytes;
                if let Some(out) = self.open.iter_mut().find(|o| o.index == output_index) {
                    out.last = at;
                    if let (OutputKind::Tool { arguments: acc, .. }, Some(delta), true) =
                        (&mut out.kind, arguments, room)
                    {
                        acc.push_str(&delta);
                        self.captured_bytes += delta.len();
                    }
                }
            }
            StreamEvent::ToolExecutionDone {
                output_index, info, ..
            } => {
                if let Some(pos) = self.position(output_index) {
                    let mut out = self.open.remove(pos);
                    out.last = at;
                    if let OutputKind::Tool { info: slot, .. } = &mut out.kind {
                        *slot = info;
                    }
                    self.close(turn, out, false);
                }
            }
            StreamEvent::FunctionCallDelta {
                output_index,
                id,
                name,
                tool_call_id,
                arguments,
                model,
                agent_id,
                confirmation_status,
            } => {
                self.close_before(turn, output_index);
                let capture = self.capture && self.captured_bytes < self.max_capture_bytes;
                match self.open.iter_mut().find(|o| o.index == output_index) {
                    Some(out) => {
                        out.last = at;
                        if let OutputKind::Function {
                            arguments: acc,
                            confirmation,
                            ..
                        } = &mut out.kind
                        {
                            if let (Some(delta), true) = (arguments, capture) {
                                acc.push_str(&delta);
                                self.captured_bytes += delta.len();
                            }
                            if confirmation_status.is_some() {
                                *confirmation = confirmation_status;
                            }
                        }
                    }
                    None => {
                        let arguments = if capture {
                            arguments.unwrap_or_default()
                        } else {
                            String::new()
                        };
                        self.open.push(OpenOutput {
                            index: output_index,
                            cx: None,
                            first: at,
                            last: at,
                            kind: OutputKind::Function {
                                id,
                                tool_call_id: tool_call_id.unwrap_or_default(),
                                name: name.unwrap_or_default(),
                                arguments,
                                confirmation: confirmation_status,
                                agent_id,
                                model,
                            },
                        });
                    }
                }
                self.last_kind_function = true;
            }
            StreamEvent::HandoffStarted {
                output_index,
                previous_agent_id,
                previous_agent_name,
                ..
            } => {
                self.close_before(turn, output_index);
                self.close_handoff(turn);
                let cx = turn.child(
                    &turn.cx.clone(),
                    handoff_name(None),
                    handoff_attributes(
                        previous_agent_id.as_deref(),
                        previous_agent_name.as_deref(),
                        None,
                        None,
                    ),
                    turn.time_at(at),
                    ChildKind::Handoff,
                );
                self.handoff = Some((cx, at));
                self.last_kind_function = false;
            }
            StreamEvent::HandoffDone {
                next_agent_id,
                next_agent_name,
                ..
            } => {
                if let Some((cx, last)) = &mut self.handoff {
                    *last = at;
                    let span = cx.span();
                    span.update_name(handoff_name(next_agent_name.as_deref()));
                    span.set_attributes(handoff_attributes(
                        None,
                        None,
                        next_agent_id.as_deref(),
                        next_agent_name.as_deref(),
                    ));
                }
            }
            StreamEvent::ResponseDone { usage } => {
                turn.set_attributes(usage_attributes(&usage));
                if let Some(m) = &mut self.metrics {
                    m.usage = Some(usage.clone());
                }
                self.usage = Some(usage);
                self.terminal = Some(Outcome::Completed);
            }
            StreamEvent::ResponseError { message, code } => {
                self.terminal = Some(Outcome::Error);
                self.pending_error = Some(ErrorFacts {
                    error_type: code.clone().unwrap_or_else(|| "stream_error".to_owned()),
                    code,
                    message: message.unwrap_or_else(|| "conversation.response.error".to_owned()),
                });
            }
            StreamEvent::Unknown { .. } => self.unknown_count += 1,
        }
    }

    /// Time to first chunk, and the gap since the previous frame that carried output.
    fn output_arrived(&mut self, turn: &Turn, at: Instant) {
        match self.last_chunk {
            None => {
                self.first_chunk = Some(at);
                let ttfc = turn.elapsed_at(at);
                turn.set_attribute(KeyValue::new(
                    sc::GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
                    ttfc.as_secs_f64(),
                ));
                if let Some(m) = &self.metrics {
                    m.record_ttfc(ttfc);
                }
            }
            // events of one network frame share its arrival time: the gap is
            // recorded once per frame that carries output
            Some(prev) if at > prev => {
                if let Some(m) = &self.metrics {
                    m.record_chunk_gap(at.saturating_duration_since(prev));
                }
            }
            Some(_) => {}
        }
        self.last_chunk = Some(at);
    }

    /// The hot path with capture off: a delta for an output that is already open only
    /// moves that output's last-event time, so its JSON is not parsed beyond
    /// `output_index`. Returns false when the full decode is needed.
    fn continues_open_output(&mut self, turn: &Turn, name: &str, data: &[u8], at: Instant) -> bool {
        // function.call.delta is left to the full decode: a later delta may carry the
        // confirmation status, and they are few
        if !matches!(name, "message.output.delta" | "tool.execution.delta") {
            return false;
        }
        let Some(index) = peek_output_index(data) else {
            return false;
        };
        let Some(out) = self.open.iter_mut().find(|o| o.index == index) else {
            return false;
        };
        let same_kind = matches!(
            (&out.kind, name),
            (OutputKind::Chat { .. }, "message.output.delta")
                | (OutputKind::Tool { .. }, "tool.execution.delta")
        );
        if !same_kind {
            return false;
        }
        out.last = at;
        self.last_kind_function = false;
        self.output_arrived(turn, at);
        true
    }

    fn position(&self, index: u32) -> Option<usize> {
        self.open.iter().position(|o| o.index == index)
    }

    /// The span that owns new outputs: the current handoff, else the turn.
    fn owner(&self, turn: &Turn) -> Context {
        match &self.handoff {
            Some((cx, _)) => cx.clone(),
            None => turn.cx.clone(),
        }
    }

    /// Outputs arrive in order: a new index ends the chats and function calls before it.
    fn close_before(&mut self, turn: &mut Turn, index: u32) {
        let mut i = 0;
        while i < self.open.len() {
            let close = self
                .open
                .get(i)
                .is_some_and(|o| o.index < index && !matches!(o.kind, OutputKind::Tool { .. }));
            if close {
                let out = self.open.remove(i);
                self.close(turn, out, false);
            } else {
                i += 1;
            }
        }
    }

    fn close_handoff(&mut self, turn: &Turn) {
        if let Some((cx, last)) = self.handoff.take() {
            cx.span().end_with_timestamp(turn.time_at(last));
        }
    }

    fn close_all(&mut self, turn: &mut Turn, at: Instant, outcome: Outcome) {
        for out in std::mem::take(&mut self.open) {
            let incomplete = matches!(out.kind, OutputKind::Tool { .. });
            let mut out = out;
            if incomplete {
                out.last = at;
            }
            self.close(turn, out, incomplete);
        }
        if let Some((_, last)) = &mut self.handoff
            && outcome != Outcome::Completed
        {
            *last = (*last).max(self.last_event.unwrap_or(*last));
        }
        self.close_handoff(turn);
    }

    /// End one output's span (or emit its function-call event) at its last event.
    fn close(&mut self, turn: &mut Turn, out: OpenOutput, incomplete: bool) {
        let end = turn.time_at(out.last);
        if let Some((_, last)) = &mut self.handoff {
            *last = (*last).max(out.last);
        }
        match out.kind {
            OutputKind::Chat {
                id,
                model,
                agent_id,
                parts,
            } => {
                let entry = Entry::MessageOutput(MessageOutput {
                    id,
                    created_at: None,
                    completed_at: None,
                    agent_id,
                    model,
                    role: "assistant".to_owned(),
                    content: Content::Chunks(parts.into_iter().map(part_chunk).collect()),
                });
                if let (Some(cx), Some(policy)) = (&out.cx, &turn.content) {
                    let rendered = policy.render(
                        ContentField::OutputMessages,
                        messages::output_messages([&entry], "stop"),
                    );
                    turn.content_truncated |= rendered.truncated;
                    cx.span()
                        .set_attribute(KeyValue::new(sc::GEN_AI_OUTPUT_MESSAGES, rendered.json));
                    if turn.braintrust {
                        let (kv, t) = crate::mapping::braintrust::render(
                            policy,
                            sc::braintrust::OUTPUT_JSON,
                            ContentField::BraintrustOutput,
                            crate::mapping::braintrust::output_json([&entry], "stop"),
                        );
                        turn.content_truncated |= t;
                        cx.span().set_attribute(kv);
                    }
                }
                if self.capture {
                    self.finished.push(entry);
                }
            }
            OutputKind::Tool {
                id,
                name,
                arguments,
                info,
            } => {
                if let Some(cx) = &out.cx {
                    let span = cx.span();
                    if incomplete {
                        span.set_attribute(KeyValue::new(sc::MISTRAL_TOOL_INCOMPLETE, true));
                    }
                    if let Some(policy) = &turn.content {
                        let args =
                            policy.render(ContentField::ToolArguments, json_or_string(&arguments));
                        turn.content_truncated |= args.truncated;
                        span.set_attribute(KeyValue::new(
                            sc::GEN_AI_TOOL_CALL_ARGUMENTS,
                            args.json,
                        ));
                        if let Some(info) = &info {
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
                                &arguments,
                                info.as_ref(),
                            );
                            turn.content_truncated |= t;
                            span.set_attributes(kvs);
                        }
                    }
                }
                if let Some(m) = &self.metrics {
                    m.record_tool(&name, Some(out.last.saturating_duration_since(out.first)));
                }
                if self.capture {
                    self.finished.push(Entry::ToolExecution(ToolExecution {
                        id,
                        created_at: None,
                        completed_at: None,
                        agent_id: None,
                        model: None,
                        name,
                        arguments,
                        info,
                    }));
                }
            }
            OutputKind::Function {
                id,
                tool_call_id,
                name,
                arguments,
                confirmation,
                agent_id,
                model,
            } => {
                let (attrs, truncated) = function_call_attributes(
                    &tool_call_id,
                    &name,
                    &arguments,
                    confirmation.as_deref(),
                    turn.content.as_ref(),
                );
                turn.content_truncated |= truncated;
                let owner = self.owner(turn);
                owner.span().add_event_with_timestamp(
                    sc::MISTRAL_FUNCTION_CALL_EVENT,
                    turn.time_at(out.first),
                    attrs,
                );
                if self.capture {
                    self.finished.push(Entry::FunctionCall(FunctionCall {
                        id,
                        created_at: None,
                        completed_at: None,
                        agent_id,
                        model,
                        tool_call_id,
                        name,
                        arguments,
                        confirmation_status: confirmation,
                    }));
                }
            }
        }
        if let Some(cx) = out.cx {
            cx.span().end_with_timestamp(end);
        }
    }
}

fn part_chunk(part: (u32, Part)) -> Chunk {
    match part.1 {
        Part::Text(text) => Chunk::Text { text },
        Part::Chunk(chunk) => chunk,
    }
}

/// Append a delta to a message's parts; returns the bytes added.
fn push_part(parts: &mut Vec<(u32, Part)>, index: u32, content: DeltaContent) -> usize {
    match content {
        DeltaContent::Text(text) => {
            let added = text.len();
            match parts.last_mut() {
                Some((i, Part::Text(acc))) if *i == index => acc.push_str(&text),
                _ => parts.push((index, Part::Text(text))),
            }
            added
        }
        DeltaContent::Chunk(chunk) => {
            let added = 64;
            parts.push((index, Part::Chunk(chunk)));
            added
        }
    }
}

fn event_bears_output(event: &StreamEvent) -> bool {
    matches!(
        event,
        StreamEvent::MessageOutputDelta { .. }
            | StreamEvent::ToolExecutionStarted { .. }
            | StreamEvent::ToolExecutionDelta { .. }
            | StreamEvent::ToolExecutionDone { .. }
            | StreamEvent::FunctionCallDelta { .. }
            | StreamEvent::HandoffStarted { .. }
            | StreamEvent::HandoffDone { .. }
    )
}

impl Observer for StreamBody {
    fn on_data(&mut self, data: &Bytes, at: Instant) {
        if self.turn.is_ended() || self.state.overflow || self.state.terminal.is_some() {
            return;
        }
        let turn = &mut self.turn;
        let state = &mut self.state;
        let result = self.parser.push(data, |event| {
            state.on_event(turn, event.event, event.data, at)
        });
        if result.is_err() {
            self.state.overflow = true;
        }
        self.settle(at);
    }

    fn on_end(&mut self) {
        let at = Instant::now();
        if self.state.terminal.is_none() && !self.state.overflow {
            let turn = &mut self.turn;
            let state = &mut self.state;
            let _ = self
                .parser
                .finish(|event| state.on_event(turn, event.event, event.data, at));
            self.settle(at);
        }
        if self.turn.is_ended() {
            return;
        }
        let error = (!self.state.overflow).then(|| ErrorFacts {
            error_type: "truncated_stream".to_owned(),
            code: None,
            message: "the event stream ended without conversation.response.done".to_owned(),
        });
        self.finish(Outcome::Truncated, at, error);
    }

    fn on_error(&mut self, err: &(dyn std::error::Error + 'static)) {
        let facts = ErrorFacts {
            error_type: transport_error_type(err).to_owned(),
            code: None,
            message: err.to_string(),
        };
        self.finish(Outcome::Error, Instant::now(), Some(facts));
    }

    fn on_drop(&mut self) {
        self.finish(Outcome::Cancelled, Instant::now(), None);
    }
}

impl StreamBody {
    /// End the turn as soon as a terminal event was seen (not at EOF: the span's end
    /// is the terminal event; the connection close that follows adds nothing).
    fn settle(&mut self, at: Instant) {
        match self.state.terminal {
            Some(Outcome::Completed) => self.finish(Outcome::Completed, at, None),
            Some(Outcome::Error) => {
                let error = self.state.pending_error.take();
                self.finish(Outcome::Error, at, error);
            }
            _ => {}
        }
    }
}
