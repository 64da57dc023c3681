//! Rebuilding a streamed response from its events, as the non-streaming call would have
//! returned it (used by tests and tools; built on [`StreamFold`]).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::entry::{Chunk, Content, Entry};
use crate::event::StreamEvent;
use crate::fold::{Output, StreamFold, Terminal, TreeEvent};
use crate::response::Usage;

/// The response so far, rebuilt from stream events by the same [`StreamFold`] the
/// middleware builds its span tree with (capturing everything): entries keep the kind of
/// the first event seen at their `output_index`; ids, names and models come from the event
/// that opened them; text and argument fragments are concatenated in order, per output,
/// however the outputs interleave.
#[derive(Debug, Clone)]
pub struct StreamAggregate {
    fold: StreamFold<()>,
    closed: BTreeMap<u32, Output<()>>,
    event_count: u64,
    event_type_counts: BTreeMap<String, u64>,
}

impl Default for StreamAggregate {
    fn default() -> Self {
        StreamAggregate {
            fold: StreamFold::new(Some(usize::MAX)),
            closed: BTreeMap::new(),
            event_count: 0,
            event_type_counts: BTreeMap::new(),
        }
    }
}

impl StreamAggregate {
    /// An empty aggregate.
    pub fn new() -> Self {
        StreamAggregate::default()
    }

    /// Account for one event, in stream order.
    pub fn apply(&mut self, event: &StreamEvent) {
        self.event_count += 1;
        let event_type = event.event_type();
        match self.event_type_counts.get_mut(event_type) {
            Some(n) => *n += 1,
            None => {
                self.event_type_counts.insert(event_type.to_owned(), 1);
            }
        }
        let closed = &mut self.closed;
        self.fold.apply(event.clone(), (), &mut |tree_event| {
            if let TreeEvent::Closed(output) = tree_event {
                closed.insert(output.index, *output);
            }
        });
    }

    /// Every output so far, closed or still open, by `output_index`.
    fn all_outputs(&self) -> BTreeMap<u32, &Output<()>> {
        let mut all: BTreeMap<u32, &Output<()>> =
            self.closed.iter().map(|(i, o)| (*i, o)).collect();
        for open in self.fold.open_outputs() {
            all.insert(open.index, open);
        }
        all
    }

    /// The conversation id from `conversation.response.started`.
    pub fn conversation_id(&self) -> Option<&str> {
        self.fold.conversation_id()
    }

    /// Usage from `conversation.response.done`.
    pub fn usage(&self) -> Option<&Usage> {
        match self.fold.terminal() {
            Some(Terminal::Done(usage)) => Some(usage),
            _ => None,
        }
    }

    /// `"done"`, `"error"`, or `"truncated"` when neither a done nor an error event was
    /// applied.
    pub fn terminal(&self) -> &'static str {
        match self.fold.terminal() {
            Some(Terminal::Done(_)) => "done",
            Some(Terminal::Error { .. }) => "error",
            None => "truncated",
        }
    }

    /// Events applied so far.
    pub fn event_count(&self) -> u64 {
        self.event_count
    }

    /// The outputs rebuilt as entries, in `output_index` order (message content as a
    /// chunk list).
    pub fn outputs(&self) -> Vec<Entry> {
        self.all_outputs()
            .into_values()
            .map(|o| o.entry.clone())
            .collect()
    }

    /// The aggregate in the shape of the fixtures' `*.expected.json`: `conversation_id`,
    /// `outputs` (per `output_index`: `type`, `id`; messages with `model` / `agent_id` when
    /// present and `content` as a chunk list, consecutive text of one `content_index`
    /// joined; tool executions with `name`, `arguments`, `info`, `completed` and `agent_id`
    /// when present; function calls with `name`, `tool_call_id`, `arguments` and
    /// `agent_id` / `confirmation_status` when present; handoffs with previous / next
    /// agent ids and names), `usage` (`connector_tokens` / `connectors` only when present),
    /// `terminal`, `error` (`{message, code}`, an integer-looking code as a number),
    /// `event_count` and `event_type_counts`.
    pub fn to_expected_json(&self) -> Value {
        let outputs: Vec<Value> = self.all_outputs().into_values().map(output_json).collect();
        let error = match self.fold.terminal() {
            Some(Terminal::Error { message, code }) => json!({
                "message": message,
                "code": code.as_deref().map(|c| match c.parse::<i64>() {
                    Ok(n) => Value::from(n),
                    Err(_) => Value::from(c),
                }),
            }),
            _ => Value::Null,
        };
        json!({
            "conversation_id": self.conversation_id(),
            "outputs": outputs,
            "usage": self.usage().map(usage_json),
            "terminal": self.terminal(),
            "error": error,
            "event_count": self.event_count,
            "event_type_counts": self.event_type_counts,
        })
    }
}

fn insert_present(obj: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    if let Some(value) = value {
        obj.insert(key.to_owned(), Value::String(value.clone()));
    }
}

fn output_json(output: &Output<()>) -> Value {
    let mut obj = Map::new();
    obj.insert("output_index".into(), Value::from(output.index));
    match &output.entry {
        Entry::ToolExecution(entry) => {
            obj.insert("type".into(), json!("tool.execution"));
            obj.insert("id".into(), json!(entry.id));
            obj.insert("name".into(), json!(entry.name));
            insert_present(&mut obj, "agent_id", &entry.agent_id);
            obj.insert("arguments".into(), json!(entry.arguments));
            obj.insert("info".into(), entry.info.clone().unwrap_or(Value::Null));
            obj.insert("completed".into(), json!(output.complete));
        }
        Entry::FunctionCall(entry) => {
            obj.insert("type".into(), json!("function.call"));
            obj.insert("id".into(), json!(entry.id));
            obj.insert("name".into(), json!(entry.name));
            obj.insert("tool_call_id".into(), json!(entry.tool_call_id));
            insert_present(&mut obj, "agent_id", &entry.agent_id);
            insert_present(&mut obj, "confirmation_status", &entry.confirmation_status);
            obj.insert("arguments".into(), json!(entry.arguments));
        }
        Entry::AgentHandoff(entry) => {
            obj.insert("type".into(), json!("agent.handoff"));
            obj.insert("id".into(), json!(entry.id));
            obj.insert("previous_agent_id".into(), json!(entry.previous_agent_id));
            obj.insert(
                "previous_agent_name".into(),
                json!(entry.previous_agent_name),
            );
            obj.insert("next_agent_id".into(), json!(entry.next_agent_id));
            obj.insert("next_agent_name".into(), json!(entry.next_agent_name));
        }
        Entry::MessageOutput(entry) => {
            obj.insert("type".into(), json!("message.output"));
            obj.insert("id".into(), json!(entry.id));
            insert_present(&mut obj, "model", &entry.model);
            insert_present(&mut obj, "agent_id", &entry.agent_id);
            let chunks = match &entry.content {
                Content::Chunks(chunks) => chunks.iter().map(Chunk::to_json).collect(),
                Content::Text(text) => vec![json!({"type": "text", "text": text})],
            };
            obj.insert("content".into(), Value::Array(chunks));
        }
        _ => {}
    }
    Value::Object(obj)
}

fn usage_json(usage: &Usage) -> Value {
    let mut obj = Map::new();
    obj.insert("prompt_tokens".into(), json!(usage.prompt_tokens));
    obj.insert("completion_tokens".into(), json!(usage.completion_tokens));
    obj.insert("total_tokens".into(), json!(usage.total_tokens));
    if let Some(tokens) = usage.connector_tokens {
        obj.insert("connector_tokens".into(), json!(tokens));
    }
    if !usage.connectors.is_empty() {
        let connectors: Map<String, Value> = usage
            .connectors
            .iter()
            .map(|(name, calls)| (name.clone(), json!(calls)))
            .collect();
        obj.insert("connectors".into(), Value::Object(connectors));
    }
    Value::Object(obj)
}
