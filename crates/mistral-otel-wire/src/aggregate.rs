//! Rebuilding a streamed response from its events, as the non-streaming call would have
//! returned it (used by tests and content capture).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::entry::{
    AgentHandoff, Chunk, Content, Entry, FunctionCall, MessageOutput, ToolExecution,
};
use crate::event::{DeltaContent, StreamEvent};
use crate::response::Usage;

/// The response so far, rebuilt from stream events. Entries keep the kind of the first
/// event seen at their `output_index`; ids, names and models are taken from the first
/// event that carries them; text and argument fragments are concatenated in order.
#[derive(Debug, Clone, Default)]
pub struct StreamAggregate {
    conversation_id: Option<String>,
    outputs: BTreeMap<u32, Output>,
    usage: Option<Usage>,
    terminal: Option<Terminal>,
    error: Option<(Option<String>, Option<String>)>,
    event_count: u64,
    event_type_counts: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Terminal {
    Done,
    Error,
}

#[derive(Debug, Clone)]
enum Output {
    Message {
        entry: MessageOutput,
        chunks: Vec<Chunk>,
        /// `content_index` of the last chunk: text deltas join it only at the same index.
        last_content_index: Option<u32>,
    },
    Tool {
        entry: ToolExecution,
        completed: bool,
    },
    Function(FunctionCall),
    Handoff(AgentHandoff),
}

fn fill(slot: &mut Option<String>, value: &Option<String>) {
    if slot.is_none() {
        slot.clone_from(value);
    }
}

fn fill_text(slot: &mut String, value: &Option<String>) {
    if let (true, Some(value)) = (slot.is_empty(), value) {
        slot.clone_from(value);
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
        match event {
            StreamEvent::ResponseStarted { conversation_id } => {
                fill(&mut self.conversation_id, conversation_id);
            }
            StreamEvent::MessageOutputDelta {
                output_index,
                content_index,
                id,
                model,
                agent_id,
                content,
            } => {
                let output = self
                    .outputs
                    .entry(*output_index)
                    .or_insert_with(|| Output::Message {
                        entry: MessageOutput {
                            role: "assistant".to_owned(),
                            ..MessageOutput::default()
                        },
                        chunks: Vec::new(),
                        last_content_index: None,
                    });
                if let Output::Message {
                    entry,
                    chunks,
                    last_content_index,
                } = output
                {
                    fill(&mut entry.id, id);
                    fill(&mut entry.model, model);
                    fill(&mut entry.agent_id, agent_id);
                    if let Some(content) = content {
                        add_content(chunks, last_content_index, *content_index, content);
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
                if let Some((entry, _)) = self.tool(*output_index) {
                    fill(&mut entry.id, id);
                    fill_text(&mut entry.name, name);
                    fill(&mut entry.model, model);
                    fill(&mut entry.agent_id, agent_id);
                    entry
                        .arguments
                        .push_str(arguments.as_deref().unwrap_or_default());
                }
            }
            StreamEvent::ToolExecutionDelta {
                output_index,
                id,
                name,
                arguments,
            } => {
                if let Some((entry, _)) = self.tool(*output_index) {
                    fill(&mut entry.id, id);
                    fill_text(&mut entry.name, name);
                    entry
                        .arguments
                        .push_str(arguments.as_deref().unwrap_or_default());
                }
            }
            StreamEvent::ToolExecutionDone {
                output_index,
                id,
                name,
                info,
            } => {
                if let Some((entry, completed)) = self.tool(*output_index) {
                    fill(&mut entry.id, id);
                    fill_text(&mut entry.name, name);
                    if info.is_some() {
                        entry.info.clone_from(info);
                    }
                    *completed = true;
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
                let output = self
                    .outputs
                    .entry(*output_index)
                    .or_insert_with(|| Output::Function(FunctionCall::default()));
                if let Output::Function(entry) = output {
                    fill(&mut entry.id, id);
                    fill_text(&mut entry.name, name);
                    fill_text(&mut entry.tool_call_id, tool_call_id);
                    fill(&mut entry.model, model);
                    fill(&mut entry.agent_id, agent_id);
                    // the latest status is the one that holds
                    if confirmation_status.is_some() {
                        entry.confirmation_status.clone_from(confirmation_status);
                    }
                    entry
                        .arguments
                        .push_str(arguments.as_deref().unwrap_or_default());
                }
            }
            StreamEvent::HandoffStarted {
                output_index,
                id,
                previous_agent_id,
                previous_agent_name,
            } => {
                if let Some(entry) = self.handoff(*output_index) {
                    fill(&mut entry.id, id);
                    fill(&mut entry.previous_agent_id, previous_agent_id);
                    fill(&mut entry.previous_agent_name, previous_agent_name);
                }
            }
            StreamEvent::HandoffDone {
                output_index,
                id,
                next_agent_id,
                next_agent_name,
            } => {
                if let Some(entry) = self.handoff(*output_index) {
                    fill(&mut entry.id, id);
                    fill(&mut entry.next_agent_id, next_agent_id);
                    fill(&mut entry.next_agent_name, next_agent_name);
                }
            }
            StreamEvent::ResponseDone { usage } => {
                self.usage = Some(usage.clone());
                self.terminal.get_or_insert(Terminal::Done);
            }
            StreamEvent::ResponseError { message, code } => {
                if self.error.is_none() {
                    self.error = Some((message.clone(), code.clone()));
                }
                self.terminal.get_or_insert(Terminal::Error);
            }
            StreamEvent::Unknown { .. } => {}
        }
    }

    fn tool(&mut self, output_index: u32) -> Option<(&mut ToolExecution, &mut bool)> {
        let output = self
            .outputs
            .entry(output_index)
            .or_insert_with(|| Output::Tool {
                entry: ToolExecution::default(),
                completed: false,
            });
        match output {
            Output::Tool { entry, completed } => Some((entry, completed)),
            _ => None,
        }
    }

    fn handoff(&mut self, output_index: u32) -> Option<&mut AgentHandoff> {
        let output = self
            .outputs
            .entry(output_index)
            .or_insert_with(|| Output::Handoff(AgentHandoff::default()));
        match output {
            Output::Handoff(entry) => Some(entry),
            _ => None,
        }
    }

    /// The conversation id from `conversation.response.started`.
    pub fn conversation_id(&self) -> Option<&str> {
        self.conversation_id.as_deref()
    }

    /// Usage from `conversation.response.done`.
    pub fn usage(&self) -> Option<&Usage> {
        self.usage.as_ref()
    }

    /// `"done"`, `"error"`, or `"truncated"` when neither a done nor an error event was
    /// applied.
    pub fn terminal(&self) -> &'static str {
        match self.terminal {
            Some(Terminal::Done) => "done",
            Some(Terminal::Error) => "error",
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
        self.outputs
            .values()
            .map(|output| match output {
                Output::Message { entry, chunks, .. } => Entry::MessageOutput(MessageOutput {
                    content: Content::Chunks(chunks.clone()),
                    ..entry.clone()
                }),
                Output::Tool { entry, .. } => Entry::ToolExecution(entry.clone()),
                Output::Function(entry) => Entry::FunctionCall(entry.clone()),
                Output::Handoff(entry) => Entry::AgentHandoff(entry.clone()),
            })
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
        let outputs: Vec<Value> = self
            .outputs
            .iter()
            .map(|(index, output)| output_json(*index, output))
            .collect();
        let error = match &self.error {
            Some((message, code)) => json!({
                "message": message,
                "code": code.as_deref().map(|c| match c.parse::<i64>() {
                    Ok(n) => Value::from(n),
                    Err(_) => Value::from(c),
                }),
            }),
            None => Value::Null,
        };
        json!({
            "conversation_id": self.conversation_id,
            "outputs": outputs,
            "usage": self.usage.as_ref().map(usage_json),
            "terminal": self.terminal(),
            "error": error,
            "event_count": self.event_count,
            "event_type_counts": self.event_type_counts,
        })
    }
}

fn add_content(
    chunks: &mut Vec<Chunk>,
    last_content_index: &mut Option<u32>,
    content_index: u32,
    content: &DeltaContent,
) {
    let text = match content {
        DeltaContent::Text(text) | DeltaContent::Chunk(Chunk::Text { text }) => text,
        DeltaContent::Chunk(chunk) => {
            chunks.push(chunk.clone());
            *last_content_index = Some(content_index);
            return;
        }
    };
    if *last_content_index == Some(content_index)
        && let Some(Chunk::Text { text: joined }) = chunks.last_mut()
    {
        joined.push_str(text);
        return;
    }
    chunks.push(Chunk::Text { text: text.clone() });
    *last_content_index = Some(content_index);
}

fn insert_present(obj: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    if let Some(value) = value {
        obj.insert(key.to_owned(), Value::String(value.clone()));
    }
}

fn output_json(index: u32, output: &Output) -> Value {
    let mut obj = Map::new();
    obj.insert("output_index".into(), Value::from(index));
    match output {
        Output::Message { entry, chunks, .. } => {
            obj.insert("type".into(), json!("message.output"));
            obj.insert("id".into(), json!(entry.id));
            insert_present(&mut obj, "model", &entry.model);
            insert_present(&mut obj, "agent_id", &entry.agent_id);
            obj.insert(
                "content".into(),
                Value::Array(chunks.iter().map(Chunk::to_json).collect()),
            );
        }
        Output::Tool { entry, completed } => {
            obj.insert("type".into(), json!("tool.execution"));
            obj.insert("id".into(), json!(entry.id));
            obj.insert("name".into(), json!(entry.name));
            insert_present(&mut obj, "agent_id", &entry.agent_id);
            obj.insert("arguments".into(), json!(entry.arguments));
            obj.insert("info".into(), entry.info.clone().unwrap_or(Value::Null));
            obj.insert("completed".into(), json!(completed));
        }
        Output::Function(entry) => {
            obj.insert("type".into(), json!("function.call"));
            obj.insert("id".into(), json!(entry.id));
            obj.insert("name".into(), json!(entry.name));
            obj.insert("tool_call_id".into(), json!(entry.tool_call_id));
            insert_present(&mut obj, "agent_id", &entry.agent_id);
            insert_present(&mut obj, "confirmation_status", &entry.confirmation_status);
            obj.insert("arguments".into(), json!(entry.arguments));
        }
        Output::Handoff(entry) => {
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
