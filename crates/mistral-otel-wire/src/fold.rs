//! The fold of a conversation stream: decoded events and their arrival instants in, tree
//! events out. A pure state machine (no clock, no I/O), generic over the instant type so
//! that the middleware feeds it `std::time::Instant`s and tests feed it integers.
//!
//! # Rules
//!
//! * An output is identified by its `output_index`. It opens at the first event that
//!   carries the index and keeps the kind of that event (`message.output.delta` → a
//!   message, `tool.execution.*` → a tool, `function.call.delta` → a function call,
//!   `agent.handoff.*` → a handoff); events of another kind at an open index are counted
//!   by the caller and otherwise ignored.
//! * An output stays open until its own end, whatever arrives in between: a tool at its
//!   `tool.execution.done`; every output at the next `agent.handoff.started`; everything at
//!   [`StreamFold::finish`]. So interleaved deltas of parallel outputs (indices 4, 5, 4, 5)
//!   give two outputs with their own text and arguments, and the tree does not depend on
//!   the order in which outputs interleave.
//! * A handoff owns the outputs opened after it, until the next handoff: the receiving
//!   agent's messages, tools and function calls. Ownership follows arrival, so a handoff is
//!   an ordering barrier: the server sends it before the new agent's outputs.
//! * Content (message text and chunks, tool and function arguments, tool `info`) is kept
//!   only when the fold was made with a capture budget, and only while the budget lasts;
//!   every kept byte is charged, identities included. Past it the fold keeps structure and
//!   timing and reports [`StreamFold::content_truncated`].
//! * At most [`MAX_OPEN_OUTPUTS`] outputs are open at once; outputs past that are counted
//!   ([`StreamFold::outputs_dropped`]) and not tracked.
//!
//! ```
//! use mistral_otel_wire::{StreamFold, TreeEvent, decode_stream_event};
//!
//! let mut fold = StreamFold::<u32>::new(None);
//! let mut log = Vec::new();
//! let events = [
//!     ("function.call.delta", r#"{"output_index":4,"id":"fc_a","name":"a","tool_call_id":"A","arguments":"{\"x\""}"#),
//!     ("function.call.delta", r#"{"output_index":5,"id":"fc_b","name":"b","tool_call_id":"B","arguments":"{"}"#),
//!     ("function.call.delta", r#"{"output_index":4,"arguments":":1}"}"#),
//!     ("conversation.response.done", r#"{"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"#),
//! ];
//! for (at, (name, data)) in events.iter().enumerate() {
//!     let event = decode_stream_event(name, data.as_bytes(), false).unwrap();
//!     fold.apply(event, at as u32, &mut |e| log.push(format!("{e:?}")));
//! }
//! let mut closed = Vec::new();
//! fold.finish(9, true, &mut |e| if let TreeEvent::Closed(out) = e {
//!     closed.push((out.index, out.first, out.last));
//! });
//! assert_eq!(closed, vec![(4, 0, 2), (5, 1, 1)]);
//! ```

use std::collections::BTreeMap;

use serde_json::Value;

use crate::budget::Budget;
use crate::entry::{
    AgentHandoff, Chunk, Content, Entry, FunctionCall, MessageOutput, ToolExecution,
};
use crate::event::{DeltaContent, StreamEvent};
use crate::response::Usage;

/// Outputs open at once, past which new outputs are counted and not tracked.
pub const MAX_OPEN_OUTPUTS: usize = 65_536;

/// What an output is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputKind {
    /// `message.output`
    Message,
    /// `tool.execution` (a server-side tool)
    Tool,
    /// `function.call` (a function the client runs)
    Function,
    /// `agent.handoff`
    Handoff,
}

impl OutputKind {
    /// The kind an event of this name opens or continues; `None` for events that carry no
    /// output (`conversation.response.*`, unknown names).
    pub fn of_event(event_name: &str) -> Option<OutputKind> {
        match event_name {
            "message.output.delta" => Some(OutputKind::Message),
            "tool.execution.started" | "tool.execution.delta" | "tool.execution.done" => {
                Some(OutputKind::Tool)
            }
            "function.call.delta" => Some(OutputKind::Function),
            "agent.handoff.started" | "agent.handoff.done" => Some(OutputKind::Handoff),
            _ => None,
        }
    }
}

/// One output of the stream, as far as it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct Output<T> {
    /// Its `output_index`.
    pub index: u32,
    /// The `output_index` of the handoff that owns it; `None` when the turn's first agent
    /// produced it (and always for handoffs, which are siblings).
    pub owner: Option<u32>,
    /// Arrival of its first event.
    pub first: T,
    /// Arrival of its last event (for a handoff: of its own last event or of the last event
    /// of an output it owns).
    pub last: T,
    /// A tool saw its `tool.execution.done`; other kinds are complete when they close
    /// normally. `false` when the stream ended first.
    pub complete: bool,
    /// The entry rebuilt from its events: ids, names, models and agent ids always; message
    /// content, arguments and `info` only while capturing.
    pub entry: Entry,
    last_content_index: Option<u32>,
}

impl<T> Output<T> {
    /// The output's kind.
    pub fn kind(&self) -> OutputKind {
        entry_kind(&self.entry)
    }
}

/// How the stream ended, as the server said.
#[derive(Debug, Clone, PartialEq)]
pub enum Terminal {
    /// `conversation.response.done` with the turn's usage.
    Done(Usage),
    /// `conversation.response.error`.
    Error {
        /// The message.
        message: Option<String>,
        /// The code, as text.
        code: Option<String>,
    },
}

/// What the fold tells its caller.
#[derive(Debug)]
pub enum TreeEvent<'a, T> {
    /// `conversation.response.started` gave the conversation id.
    ConversationStarted(&'a str),
    /// The first output-bearing event arrived (time to first chunk).
    FirstOutput(T),
    /// An output opened (a handoff: its `agent.handoff.started` or first event).
    Opened(&'a Output<T>),
    /// A handoff learnt its next agent (`agent.handoff.done`).
    HandoffDone(&'a Output<T>),
    /// An output closed; the caller owns it now. Outputs a handoff owns close before it.
    Closed(Box<Output<T>>),
    /// The server ended the stream.
    Terminal(&'a Terminal),
}

/// The stream fold. See the module docs.
#[derive(Debug, Clone)]
pub struct StreamFold<T> {
    open: BTreeMap<u32, Output<T>>,
    handoff: Option<Output<T>>,
    conversation_id: Option<String>,
    first_output: Option<T>,
    last_output: Option<T>,
    last_event: Option<T>,
    terminal: Option<Terminal>,
    capture: Budget,
    response_model: Option<(u32, String)>,
    highest: Option<(u32, OutputKind)>,
    outputs_dropped: u64,
}

impl<T: Copy + Ord> StreamFold<T> {
    /// A fold for one stream. `capture_budget`: `None` keeps no content; `Some(n)` keeps
    /// content up to about `n` bytes.
    pub fn new(capture_budget: Option<usize>) -> Self {
        StreamFold {
            open: BTreeMap::new(),
            handoff: None,
            conversation_id: None,
            first_output: None,
            last_output: None,
            last_event: None,
            terminal: None,
            capture: Budget {
                left: capture_budget,
                truncated: false,
            },
            response_model: None,
            highest: None,
            outputs_dropped: 0,
        }
    }

    /// Account for one event that arrived at `at`. Events after the terminal one are
    /// ignored.
    pub fn apply(&mut self, event: StreamEvent, at: T, sink: &mut impl FnMut(TreeEvent<'_, T>)) {
        if self.terminal.is_some() {
            return;
        }
        self.last_event = Some(at);
        if event.output_index().is_some() {
            self.output_arrived(at, sink);
        }
        match event {
            StreamEvent::ResponseStarted { conversation_id } => {
                if let Some(id) = conversation_id
                    && self.conversation_id.is_none()
                {
                    sink(TreeEvent::ConversationStarted(&id));
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
                if !self.open.contains_key(&output_index) {
                    if let Some(m) = &model
                        && self
                            .response_model
                            .as_ref()
                            .is_none_or(|(i, _)| output_index < *i)
                    {
                        self.response_model = Some((output_index, m.clone()));
                    }
                    let entry = Entry::MessageOutput(MessageOutput {
                        id,
                        agent_id,
                        model,
                        role: "assistant".to_owned(),
                        content: Content::Chunks(Vec::new()),
                        ..MessageOutput::default()
                    });
                    self.open_output(output_index, entry, at, sink);
                }
                let Some(out) = touch(&mut self.open, output_index, OutputKind::Message, at) else {
                    return;
                };
                if let Some(content) = content {
                    let cost = content_cost(&content);
                    if self.capture.charge(cost) {
                        add_content(out, content_index, content);
                    }
                }
            }
            StreamEvent::ToolExecutionStarted {
                output_index,
                id,
                name,
                arguments,
                model,
                agent_id,
            } => {
                self.open_tool(output_index, id, name, model, agent_id, at, sink);
                self.tool_arguments(output_index, arguments, at);
            }
            StreamEvent::ToolExecutionDelta {
                output_index,
                id,
                name,
                arguments,
            } => {
                self.open_tool(output_index, id, name, None, None, at, sink);
                self.tool_arguments(output_index, arguments, at);
            }
            StreamEvent::ToolExecutionDone {
                output_index,
                id,
                name,
                info,
            } => {
                self.open_tool(output_index, id, name, None, None, at, sink);
                let Some(out) = touch(&mut self.open, output_index, OutputKind::Tool, at) else {
                    return;
                };
                if let (Entry::ToolExecution(tool), Some(info)) = (&mut out.entry, info)
                    && self.capture.charge(json_size(&info))
                {
                    tool.info = Some(info);
                }
                if let Some(mut out) = self.open.remove(&output_index) {
                    out.complete = true;
                    self.close(out, sink);
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
                if !self.open.contains_key(&output_index) {
                    let entry = Entry::FunctionCall(FunctionCall {
                        id,
                        agent_id,
                        model,
                        tool_call_id: tool_call_id.unwrap_or_default(),
                        name: name.unwrap_or_default(),
                        ..FunctionCall::default()
                    });
                    self.open_output(output_index, entry, at, sink);
                }
                let Some(out) = touch(&mut self.open, output_index, OutputKind::Function, at)
                else {
                    return;
                };
                if let Entry::FunctionCall(call) = &mut out.entry {
                    // the latest status is the one that holds
                    if confirmation_status.is_some() {
                        call.confirmation_status = confirmation_status;
                    }
                    if let Some(delta) = arguments
                        && self.capture.charge(delta.len())
                    {
                        call.arguments.push_str(&delta);
                    }
                }
            }
            StreamEvent::HandoffStarted {
                output_index,
                id,
                previous_agent_id,
                previous_agent_name,
            } => {
                let seed = AgentHandoff {
                    id,
                    previous_agent_id,
                    previous_agent_name,
                    ..AgentHandoff::default()
                };
                self.start_handoff(output_index, seed, at, sink);
            }
            StreamEvent::HandoffDone {
                output_index,
                id,
                next_agent_id,
                next_agent_name,
            } => match &mut self.handoff {
                Some(h) if h.index == output_index => {
                    h.last = h.last.max(at);
                    if let Entry::AgentHandoff(entry) = &mut h.entry {
                        fill(&mut entry.id, id);
                        fill(&mut entry.next_agent_id, next_agent_id);
                        fill(&mut entry.next_agent_name, next_agent_name);
                    }
                    sink(TreeEvent::HandoffDone(h));
                }
                // a done without its started opens the handoff with the next agent known
                _ => {
                    let seed = AgentHandoff {
                        id,
                        next_agent_id,
                        next_agent_name,
                        ..AgentHandoff::default()
                    };
                    self.start_handoff(output_index, seed, at, sink);
                }
            },
            StreamEvent::ResponseDone { usage } => {
                let terminal = self.terminal.insert(Terminal::Done(usage));
                sink(TreeEvent::Terminal(terminal));
            }
            StreamEvent::ResponseError { message, code } => {
                let terminal = self.terminal.insert(Terminal::Error { message, code });
                sink(TreeEvent::Terminal(terminal));
            }
            StreamEvent::Unknown { .. } => {}
        }
    }

    /// The hot path for a caller that did not decode the event: a delta of `kind` for an
    /// output that is already open with that kind only moves its last-event time. Returns
    /// `false` (and changes nothing) when the event needs a full [`apply`](Self::apply):
    /// the output is not open, has another kind, the event would carry content the fold
    /// keeps, or the stream already ended.
    pub fn continue_output(&mut self, kind: OutputKind, output_index: u32, at: T) -> bool {
        if self.terminal.is_some() || self.capture.left.is_some() {
            return false;
        }
        match self.open.get_mut(&output_index) {
            // an open output means an output event came before: first_output is set
            Some(out) if out.kind() == kind => {
                out.last = out.last.max(at);
                self.last_event = Some(at);
                self.last_output = Some(at);
                true
            }
            _ => false,
        }
    }

    /// The hot path for a `message.output.delta` read by
    /// [`peek_text_delta`](crate::peek_text_delta): its text joins an open message output
    /// as [`apply`](Self::apply) would join it, and it returns `true`; `false` (and nothing
    /// changed) when the output is not open as a message or the stream already ended.
    pub fn continue_text(
        &mut self,
        output_index: u32,
        content_index: u32,
        text: String,
        at: T,
    ) -> bool {
        if self.terminal.is_some() {
            return false;
        }
        let Some(out) = self
            .open
            .get_mut(&output_index)
            .filter(|o| o.kind() == OutputKind::Message)
        else {
            return false;
        };
        out.last = out.last.max(at);
        self.last_event = Some(at);
        self.last_output = Some(at);
        if self.capture.charge(text.len()) {
            add_content(out, content_index, DeltaContent::Text(text));
        }
        true
    }

    /// End the stream at `at`: every open output closes (tools that saw no `done` as
    /// incomplete, with `last = at`), then the current handoff. `clean` is `true` when the
    /// server ended the stream itself; otherwise a handoff's end stretches to the last
    /// event seen.
    pub fn finish(&mut self, at: T, clean: bool, sink: &mut impl FnMut(TreeEvent<'_, T>)) {
        for (_, mut out) in std::mem::take(&mut self.open) {
            if out.kind() == OutputKind::Tool {
                out.last = at;
            } else {
                out.complete = true;
            }
            self.close(out, sink);
        }
        if !clean && let (Some(h), Some(last)) = (&mut self.handoff, self.last_event) {
            h.last = h.last.max(last);
        }
        if let Some(mut h) = self.handoff.take() {
            h.complete = true;
            sink(TreeEvent::Closed(Box::new(h)));
        }
    }

    /// The conversation id from `conversation.response.started`.
    pub fn conversation_id(&self) -> Option<&str> {
        self.conversation_id.as_deref()
    }

    /// The terminal event, once it arrived.
    pub fn terminal(&self) -> Option<&Terminal> {
        self.terminal.as_ref()
    }

    /// Arrival of the first output-bearing event.
    pub fn first_output(&self) -> Option<T> {
        self.first_output
    }

    /// Arrival of the latest output-bearing event.
    pub fn last_output(&self) -> Option<T> {
        self.last_output
    }

    /// The model of the message with the lowest `output_index` that named one.
    pub fn response_model(&self) -> Option<&str> {
        self.response_model.as_ref().map(|(_, m)| m.as_str())
    }

    /// The kind of the output with the highest `output_index` seen: a turn whose last
    /// output is a function call waits for the client (`tool_call`).
    pub fn last_output_kind(&self) -> Option<OutputKind> {
        self.highest.map(|(_, kind)| kind)
    }

    /// Whether content was left out because the capture budget ran out.
    pub fn content_truncated(&self) -> bool {
        self.capture.truncated
    }

    /// Whether the capture budget has room left (always `false` when not capturing).
    pub fn capturing(&self) -> bool {
        self.capture.left.is_some_and(|b| b > 0)
    }

    /// Outputs not tracked because [`MAX_OPEN_OUTPUTS`] were open.
    pub fn outputs_dropped(&self) -> u64 {
        self.outputs_dropped
    }

    /// The outputs still open (by `output_index`), then the current handoff.
    pub fn open_outputs(&self) -> impl Iterator<Item = &Output<T>> {
        self.open.values().chain(self.handoff.iter())
    }

    fn output_arrived(&mut self, at: T, sink: &mut impl FnMut(TreeEvent<'_, T>)) {
        if self.first_output.is_none() {
            self.first_output = Some(at);
            sink(TreeEvent::FirstOutput(at));
        }
        self.last_output = Some(at);
    }

    fn note_highest(&mut self, index: u32, kind: OutputKind) {
        if self.highest.is_none_or(|(i, _)| index >= i) {
            self.highest = Some((index, kind));
        }
    }

    fn open_output(
        &mut self,
        index: u32,
        entry: Entry,
        at: T,
        sink: &mut impl FnMut(TreeEvent<'_, T>),
    ) {
        if self.open.len() >= MAX_OPEN_OUTPUTS {
            self.outputs_dropped += 1;
            return;
        }
        if self.capture.left.is_some() {
            let identity = entry_identity_size(&entry);
            self.capture.charge(identity);
        }
        self.note_highest(index, entry_kind(&entry));
        let out = Output {
            index,
            owner: self.handoff.as_ref().map(|h| h.index),
            first: at,
            last: at,
            complete: false,
            entry,
            last_content_index: None,
        };
        let out = self.open.entry(index).or_insert(out);
        sink(TreeEvent::Opened(out));
    }

    #[allow(clippy::too_many_arguments)]
    fn open_tool(
        &mut self,
        index: u32,
        id: Option<String>,
        name: Option<String>,
        model: Option<String>,
        agent_id: Option<String>,
        at: T,
        sink: &mut impl FnMut(TreeEvent<'_, T>),
    ) {
        match self.open.get_mut(&index) {
            Some(out) => {
                if let Entry::ToolExecution(tool) = &mut out.entry {
                    fill(&mut tool.id, id);
                    if tool.name.is_empty()
                        && let Some(name) = name
                    {
                        tool.name = name;
                    }
                }
            }
            None => {
                let entry = Entry::ToolExecution(ToolExecution {
                    id,
                    agent_id,
                    model,
                    name: name.unwrap_or_default(),
                    ..ToolExecution::default()
                });
                self.open_output(index, entry, at, sink);
            }
        }
    }

    fn tool_arguments(&mut self, index: u32, arguments: Option<String>, at: T) {
        let Some(out) = touch(&mut self.open, index, OutputKind::Tool, at) else {
            return;
        };
        if let (Entry::ToolExecution(tool), Some(delta)) = (&mut out.entry, arguments)
            && !delta.is_empty()
            && self.capture.charge(delta.len())
        {
            tool.arguments.push_str(&delta);
        }
    }

    /// A handoff closes every open output and the previous handoff, then opens the new one
    /// (a repeated `agent.handoff.started` for the open handoff only fills what it lacked).
    fn start_handoff(
        &mut self,
        index: u32,
        seed: AgentHandoff,
        at: T,
        sink: &mut impl FnMut(TreeEvent<'_, T>),
    ) {
        if let Some(h) = &mut self.handoff
            && h.index == index
        {
            h.last = h.last.max(at);
            if let Entry::AgentHandoff(entry) = &mut h.entry {
                fill(&mut entry.id, seed.id);
                fill(&mut entry.previous_agent_id, seed.previous_agent_id);
                fill(&mut entry.previous_agent_name, seed.previous_agent_name);
            }
            return;
        }
        for (_, mut out) in std::mem::take(&mut self.open) {
            if out.kind() != OutputKind::Tool {
                out.complete = true;
            }
            self.close(out, sink);
        }
        if let Some(mut previous) = self.handoff.take() {
            previous.complete = true;
            sink(TreeEvent::Closed(Box::new(previous)));
        }
        self.note_highest(index, OutputKind::Handoff);
        let handoff = self.handoff.insert(Output {
            index,
            owner: None,
            first: at,
            last: at,
            complete: false,
            entry: Entry::AgentHandoff(seed),
            last_content_index: None,
        });
        sink(TreeEvent::Opened(handoff));
    }

    fn close(&mut self, out: Output<T>, sink: &mut impl FnMut(TreeEvent<'_, T>)) {
        if let Some(h) = &mut self.handoff
            && out.owner == Some(h.index)
        {
            h.last = h.last.max(out.last);
        }
        sink(TreeEvent::Closed(Box::new(out)));
    }
}

/// The open output at `index` if it has `kind`, with its last-event time moved to `at`.
fn touch<T: Copy + Ord>(
    open: &mut BTreeMap<u32, Output<T>>,
    index: u32,
    kind: OutputKind,
    at: T,
) -> Option<&mut Output<T>> {
    let out = open.get_mut(&index).filter(|o| o.kind() == kind)?;
    out.last = out.last.max(at);
    Some(out)
}

fn entry_kind(entry: &Entry) -> OutputKind {
    match entry {
        Entry::ToolExecution(_) => OutputKind::Tool,
        Entry::FunctionCall(_) => OutputKind::Function,
        Entry::AgentHandoff(_) => OutputKind::Handoff,
        _ => OutputKind::Message,
    }
}

fn fill(slot: &mut Option<String>, value: Option<String>) {
    if slot.is_none() {
        *slot = value;
    }
}

fn content_cost(content: &DeltaContent) -> usize {
    match content {
        DeltaContent::Text(text) => text.len(),
        DeltaContent::Chunk(chunk) => json_size(&chunk.to_json()),
    }
}

fn entry_identity_size(entry: &Entry) -> usize {
    let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    match entry {
        Entry::MessageOutput(m) => opt(&m.id) + opt(&m.model) + opt(&m.agent_id),
        Entry::ToolExecution(t) => opt(&t.id) + t.name.len() + opt(&t.model),
        Entry::FunctionCall(f) => opt(&f.id) + f.name.len() + f.tool_call_id.len(),
        _ => 0,
    }
}

/// About the size of a JSON value once serialised, without serialising it.
pub(crate) fn json_size(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => 8,
        Value::String(s) => s.len() + 2,
        Value::Array(items) => 2 + items.iter().map(|v| json_size(v) + 1).sum::<usize>(),
        Value::Object(map) => {
            2 + map
                .iter()
                .map(|(k, v)| k.len() + 4 + json_size(v))
                .sum::<usize>()
        }
    }
}

/// Append a delta to a message: text of one `content_index` joins the text before it; a
/// chunk object takes its own place.
fn add_content<T>(out: &mut Output<T>, content_index: u32, content: DeltaContent) {
    let Entry::MessageOutput(message) = &mut out.entry else {
        return;
    };
    let Content::Chunks(chunks) = &mut message.content else {
        return;
    };
    let text = match content {
        DeltaContent::Text(text) | DeltaContent::Chunk(Chunk::Text { text }) => text,
        DeltaContent::Chunk(chunk) => {
            chunks.push(chunk);
            out.last_content_index = Some(content_index);
            return;
        }
    };
    if out.last_content_index == Some(content_index)
        && let Some(Chunk::Text { text: joined }) = chunks.last_mut()
    {
        joined.push_str(&text);
        return;
    }
    chunks.push(Chunk::Text { text });
    out.last_content_index = Some(content_index);
}
