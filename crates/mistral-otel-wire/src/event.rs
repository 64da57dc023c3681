//! Typed stream events: the JSON `data` of one server-sent event, decoded by its name.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::WireError;
use crate::entry::{Chunk, parse_chunk};
use crate::lenient::{Key, Scalar};
use crate::response::Usage;

/// One event of a conversation stream (`mistral-wire.md` section 4.2).
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// `conversation.response.started`
    ResponseStarted {
        /// The conversation id (new on restart).
        conversation_id: Option<String>,
    },
    /// `message.output.delta`
    MessageOutputDelta {
        /// Position of the entry in the response's outputs.
        output_index: u32,
        /// Position of the chunk in the entry's content.
        content_index: u32,
        /// Entry id (`msg_…`).
        id: Option<String>,
        /// Model.
        model: Option<String>,
        /// Agent (agent conversations only).
        agent_id: Option<String>,
        /// The delta; `None` when decoded without content.
        content: Option<DeltaContent>,
    },
    /// `tool.execution.started`
    ToolExecutionStarted {
        /// Position of the entry in the response's outputs.
        output_index: u32,
        /// Entry id (`tool_exec_…`).
        id: Option<String>,
        /// Tool name.
        name: Option<String>,
        /// Initial arguments text (usually empty).
        arguments: Option<String>,
        /// Model.
        model: Option<String>,
        /// Agent.
        agent_id: Option<String>,
    },
    /// `tool.execution.delta`
    ToolExecutionDelta {
        /// Position of the entry in the response's outputs.
        output_index: u32,
        /// Entry id.
        id: Option<String>,
        /// Tool name.
        name: Option<String>,
        /// A fragment of the arguments text.
        arguments: Option<String>,
    },
    /// `tool.execution.done`
    ToolExecutionDone {
        /// Position of the entry in the response's outputs.
        output_index: u32,
        /// Entry id.
        id: Option<String>,
        /// Tool name.
        name: Option<String>,
        /// The tool's result object; `None` when decoded without content.
        info: Option<Value>,
    },
    /// `function.call.delta`
    FunctionCallDelta {
        /// Position of the entry in the response's outputs.
        output_index: u32,
        /// Entry id (`fc_…`).
        id: Option<String>,
        /// Function name.
        name: Option<String>,
        /// The id the client answers with.
        tool_call_id: Option<String>,
        /// A fragment of the arguments text.
        arguments: Option<String>,
        /// Model.
        model: Option<String>,
        /// Agent.
        agent_id: Option<String>,
        /// `pending`, `allowed` or `denied`.
        confirmation_status: Option<String>,
    },
    /// `agent.handoff.started`
    HandoffStarted {
        /// Position of the entry in the response's outputs.
        output_index: u32,
        /// Entry id (`handoff_…`).
        id: Option<String>,
        /// The agent handing off.
        previous_agent_id: Option<String>,
        /// Its name.
        previous_agent_name: Option<String>,
    },
    /// `agent.handoff.done`
    HandoffDone {
        /// Position of the entry in the response's outputs.
        output_index: u32,
        /// Entry id.
        id: Option<String>,
        /// The agent taking over.
        next_agent_id: Option<String>,
        /// Its name.
        next_agent_name: Option<String>,
    },
    /// `conversation.response.done`
    ResponseDone {
        /// Usage of the whole turn (zeros when absent).
        usage: Usage,
    },
    /// `conversation.response.error`
    ResponseError {
        /// Error message.
        message: Option<String>,
        /// Error code; an integer becomes its decimal text.
        code: Option<String>,
    },
    /// Any other event name.
    Unknown {
        /// The event name (or JSON `type`).
        event_type: String,
    },
}

impl StreamEvent {
    /// The wire event name, e.g. `"message.output.delta"`.
    pub fn event_type(&self) -> &str {
        match self {
            StreamEvent::ResponseStarted { .. } => "conversation.response.started",
            StreamEvent::MessageOutputDelta { .. } => "message.output.delta",
            StreamEvent::ToolExecutionStarted { .. } => "tool.execution.started",
            StreamEvent::ToolExecutionDelta { .. } => "tool.execution.delta",
            StreamEvent::ToolExecutionDone { .. } => "tool.execution.done",
            StreamEvent::FunctionCallDelta { .. } => "function.call.delta",
            StreamEvent::HandoffStarted { .. } => "agent.handoff.started",
            StreamEvent::HandoffDone { .. } => "agent.handoff.done",
            StreamEvent::ResponseDone { .. } => "conversation.response.done",
            StreamEvent::ResponseError { .. } => "conversation.response.error",
            StreamEvent::Unknown { event_type } => event_type,
        }
    }

    /// The `output_index` of output-bearing events (message, tool, function call,
    /// handoff); `None` for the started / done / error / unknown events.
    pub fn output_index(&self) -> Option<u32> {
        match self {
            StreamEvent::MessageOutputDelta { output_index, .. }
            | StreamEvent::ToolExecutionStarted { output_index, .. }
            | StreamEvent::ToolExecutionDelta { output_index, .. }
            | StreamEvent::ToolExecutionDone { output_index, .. }
            | StreamEvent::FunctionCallDelta { output_index, .. }
            | StreamEvent::HandoffStarted { output_index, .. }
            | StreamEvent::HandoffDone { output_index, .. } => Some(*output_index),
            _ => None,
        }
    }
}

/// The `content` of a `message.output.delta`.
#[derive(Debug, Clone, PartialEq)]
pub enum DeltaContent {
    /// A text fragment.
    Text(String),
    /// A whole chunk object (e.g. a `tool_reference`), at its own `content_index`.
    Chunk(Chunk),
}

impl DeltaContent {
    fn from_json(value: Value) -> Option<DeltaContent> {
        match value {
            Value::Null => None,
            Value::String(text) => Some(DeltaContent::Text(text)),
            other => Some(DeltaContent::Chunk(parse_chunk(&other))),
        }
    }
}

/// Decode the `data` of one event.
///
/// `event_name` is the `event:` field; when it is empty or `"message"` the JSON `type`
/// names the event instead. With `with_content == false`, message text, chunk objects and
/// tool `info` are skipped without being built (`content` and `info` are `None`); tool
/// and function call arguments are still returned. Fields of the wrong type read as
/// absent. Errors only when `data` is not JSON; unknown names give `Ok(Unknown)`.
///
/// ```
/// use mistral_otel_wire::{decode_stream_event, DeltaContent, StreamEvent};
/// let data = br#"{"type":"message.output.delta","output_index":1,"id":"msg_1","content_index":0,"content":"Hi"}"#;
/// let event = decode_stream_event("message.output.delta", data, true).unwrap();
/// assert!(matches!(
///     event,
///     StreamEvent::MessageOutputDelta { output_index: 1, content: Some(DeltaContent::Text(ref t)), .. } if t == "Hi"
/// ));
/// ```
pub fn decode_stream_event(
    event_name: &str,
    data: &[u8],
    with_content: bool,
) -> Result<StreamEvent, WireError> {
    let mut de = serde_json::Deserializer::from_slice(data);
    let f = FieldsSeed { with_content }.deserialize(&mut de)?;
    de.end()?;
    let name = if event_name.is_empty() || event_name == "message" {
        f.kind.as_deref().unwrap_or(event_name)
    } else {
        event_name
    };
    let output_index = f.output_index.unwrap_or(0);
    Ok(match name {
        "conversation.response.started" => StreamEvent::ResponseStarted {
            conversation_id: f.conversation_id,
        },
        "message.output.delta" => StreamEvent::MessageOutputDelta {
            output_index,
            content_index: f.content_index.unwrap_or(0),
            id: f.id,
            model: f.model,
            agent_id: f.agent_id,
            content: f.content.and_then(DeltaContent::from_json),
        },
        "tool.execution.started" => StreamEvent::ToolExecutionStarted {
            output_index,
            id: f.id,
            name: f.name,
            arguments: f.arguments,
            model: f.model,
            agent_id: f.agent_id,
        },
        "tool.execution.delta" => StreamEvent::ToolExecutionDelta {
            output_index,
            id: f.id,
            name: f.name,
            arguments: f.arguments,
        },
        "tool.execution.done" => StreamEvent::ToolExecutionDone {
            output_index,
            id: f.id,
            name: f.name,
            info: f.info,
        },
        "function.call.delta" => StreamEvent::FunctionCallDelta {
            output_index,
            id: f.id,
            name: f.name,
            tool_call_id: f.tool_call_id,
            arguments: f.arguments,
            model: f.model,
            agent_id: f.agent_id,
            confirmation_status: f.confirmation_status,
        },
        "agent.handoff.started" => StreamEvent::HandoffStarted {
            output_index,
            id: f.id,
            previous_agent_id: f.previous_agent_id,
            previous_agent_name: f.previous_agent_name,
        },
        "agent.handoff.done" => StreamEvent::HandoffDone {
            output_index,
            id: f.id,
            next_agent_id: f.next_agent_id,
            next_agent_name: f.next_agent_name,
        },
        "conversation.response.done" => StreamEvent::ResponseDone {
            usage: f.usage.as_ref().map(Usage::from_json).unwrap_or_default(),
        },
        "conversation.response.error" => StreamEvent::ResponseError {
            message: f.message,
            code: f.code,
        },
        other => StreamEvent::Unknown {
            event_type: other.to_owned(),
        },
    })
}

/// Every payload field of every event, read in one pass.
#[derive(Default)]
struct Fields {
    kind: Option<String>,
    conversation_id: Option<String>,
    output_index: Option<u32>,
    content_index: Option<u32>,
    id: Option<String>,
    model: Option<String>,
    agent_id: Option<String>,
    name: Option<String>,
    arguments: Option<String>,
    tool_call_id: Option<String>,
    confirmation_status: Option<String>,
    previous_agent_id: Option<String>,
    previous_agent_name: Option<String>,
    next_agent_id: Option<String>,
    next_agent_name: Option<String>,
    message: Option<String>,
    code: Option<String>,
    usage: Option<Value>,
    content: Option<Value>,
    info: Option<Value>,
}

struct FieldsSeed {
    with_content: bool,
}

impl<'de> DeserializeSeed<'de> for FieldsSeed {
    type Value = Fields;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Fields, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldsSeed {
    type Value = Fields;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event payload")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
        let mut f = Fields::default();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let text = |map: &mut A| Ok::<_, A::Error>(map.next_value::<Scalar>()?.into_string());
            match &*key {
                "type" => f.kind = text(&mut map)?,
                "conversation_id" => f.conversation_id = text(&mut map)?,
                "output_index" => f.output_index = map.next_value::<Scalar>()?.as_u32(),
                "content_index" => f.content_index = map.next_value::<Scalar>()?.as_u32(),
                "id" => f.id = text(&mut map)?,
                "model" => f.model = text(&mut map)?,
                "agent_id" => f.agent_id = text(&mut map)?,
                "name" => f.name = text(&mut map)?,
                "tool_call_id" => f.tool_call_id = text(&mut map)?,
                "confirmation_status" => f.confirmation_status = text(&mut map)?,
                "previous_agent_id" => f.previous_agent_id = text(&mut map)?,
                "previous_agent_name" => f.previous_agent_name = text(&mut map)?,
                "next_agent_id" => f.next_agent_id = text(&mut map)?,
                "next_agent_name" => f.next_agent_name = text(&mut map)?,
                "message" => f.message = text(&mut map)?,
                "code" => f.code = map.next_value::<Scalar>()?.into_code(),
                // arguments are text fragments; an object form is kept as JSON text
                "arguments" => {
                    f.arguments = match map.next_value::<Value>()? {
                        Value::Null => None,
                        Value::String(s) => Some(s),
                        other => Some(other.to_string()),
                    };
                }
                "usage" => f.usage = Some(map.next_value()?),
                "content" if self.with_content => f.content = Some(map.next_value()?),
                "info" if self.with_content => {
                    f.info = Some(map.next_value::<Value>()?).filter(|v| !v.is_null());
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(f)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Fields, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Fields::default())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Fields, E> {
        Ok(Fields::default())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Fields, E> {
        Ok(Fields::default())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Fields, E> {
        Ok(Fields::default())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Fields, E> {
        Ok(Fields::default())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Fields, E> {
        Ok(Fields::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Fields, E> {
        Ok(Fields::default())
    }
}
