//! Typed stream events: the JSON `data` of one server-sent event, decoded by its name.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::WireError;
use crate::entry::{Chunk, parse_chunk};
use crate::lenient::{JsonText, Key, Scalar};
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
    let named = !(event_name.is_empty() || event_name == "message");
    // Only the fields the event keeps are read; the rest are skipped unparsed.
    let wanted = if named { wanted(event_name) } else { ALL };
    let mut de = serde_json::Deserializer::from_slice(data);
    let f = FieldsSeed {
        with_content,
        wanted,
    }
    .deserialize(&mut de)?;
    de.end()?;
    let name = if named {
        event_name
    } else {
        f.kind.as_deref().unwrap_or(event_name)
    };
    let output_index = f.output_index.unwrap_or(0);
    Ok(match name {
        "conversation.response.started" => StreamEvent::ResponseStarted {
            conversation_id: owned(f.conversation_id),
        },
        "message.output.delta" => StreamEvent::MessageOutputDelta {
            output_index,
            content_index: f.content_index.unwrap_or(0),
            id: owned(f.id),
            model: owned(f.model),
            agent_id: owned(f.agent_id),
            content: f.content.and_then(DeltaContent::from_json),
        },
        "tool.execution.started" => StreamEvent::ToolExecutionStarted {
            output_index,
            id: owned(f.id),
            name: owned(f.name),
            arguments: owned(f.arguments),
            model: owned(f.model),
            agent_id: owned(f.agent_id),
        },
        "tool.execution.delta" => StreamEvent::ToolExecutionDelta {
            output_index,
            id: owned(f.id),
            name: owned(f.name),
            arguments: owned(f.arguments),
        },
        "tool.execution.done" => StreamEvent::ToolExecutionDone {
            output_index,
            id: owned(f.id),
            name: owned(f.name),
            info: f.info,
        },
        "function.call.delta" => StreamEvent::FunctionCallDelta {
            output_index,
            id: owned(f.id),
            name: owned(f.name),
            tool_call_id: owned(f.tool_call_id),
            arguments: owned(f.arguments),
            model: owned(f.model),
            agent_id: owned(f.agent_id),
            confirmation_status: owned(f.confirmation_status),
        },
        "agent.handoff.started" => StreamEvent::HandoffStarted {
            output_index,
            id: owned(f.id),
            previous_agent_id: owned(f.previous_agent_id),
            previous_agent_name: owned(f.previous_agent_name),
        },
        "agent.handoff.done" => StreamEvent::HandoffDone {
            output_index,
            id: owned(f.id),
            next_agent_id: owned(f.next_agent_id),
            next_agent_name: owned(f.next_agent_name),
        },
        "conversation.response.done" => StreamEvent::ResponseDone {
            usage: f.usage.as_ref().map(Usage::from_json).unwrap_or_default(),
        },
        "conversation.response.error" => StreamEvent::ResponseError {
            message: owned(f.message),
            code: f.code,
        },
        other => StreamEvent::Unknown {
            event_type: other.to_owned(),
        },
    })
}

/// Every payload field of every event, read in one pass. Strings are borrowed from the
/// data (owned only when they had escapes) so that only the ones the event keeps are
/// allocated, once.
#[derive(Default)]
struct Fields<'de> {
    kind: Option<Cow<'de, str>>,
    conversation_id: Option<Cow<'de, str>>,
    output_index: Option<u32>,
    content_index: Option<u32>,
    id: Option<Cow<'de, str>>,
    model: Option<Cow<'de, str>>,
    agent_id: Option<Cow<'de, str>>,
    name: Option<Cow<'de, str>>,
    arguments: Option<Cow<'de, str>>,
    tool_call_id: Option<Cow<'de, str>>,
    confirmation_status: Option<Cow<'de, str>>,
    previous_agent_id: Option<Cow<'de, str>>,
    previous_agent_name: Option<Cow<'de, str>>,
    next_agent_id: Option<Cow<'de, str>>,
    next_agent_name: Option<Cow<'de, str>>,
    message: Option<Cow<'de, str>>,
    code: Option<String>,
    usage: Option<Value>,
    content: Option<Value>,
    info: Option<Value>,
}

fn owned(text: Option<Cow<'_, str>>) -> Option<String> {
    text.map(Cow::into_owned)
}

const KIND: u32 = 1;
const CONVERSATION_ID: u32 = 1 << 1;
const OUTPUT_INDEX: u32 = 1 << 2;
const CONTENT_INDEX: u32 = 1 << 3;
const ID: u32 = 1 << 4;
const MODEL: u32 = 1 << 5;
const AGENT_ID: u32 = 1 << 6;
const NAME: u32 = 1 << 7;
const ARGUMENTS: u32 = 1 << 8;
const TOOL_CALL_ID: u32 = 1 << 9;
const CONFIRMATION_STATUS: u32 = 1 << 10;
const PREVIOUS_AGENT: u32 = 1 << 11;
const NEXT_AGENT: u32 = 1 << 12;
const MESSAGE: u32 = 1 << 13;
const CODE: u32 = 1 << 14;
const USAGE: u32 = 1 << 15;
const CONTENT: u32 = 1 << 16;
const INFO: u32 = 1 << 17;
const ALL: u32 = u32::MAX;

/// The fields `decode_stream_event` keeps for an event name (must match its `match`).
fn wanted(name: &str) -> u32 {
    match name {
        "conversation.response.started" => CONVERSATION_ID,
        "message.output.delta" => OUTPUT_INDEX | CONTENT_INDEX | ID | MODEL | AGENT_ID | CONTENT,
        "tool.execution.started" => OUTPUT_INDEX | ID | NAME | ARGUMENTS | MODEL | AGENT_ID,
        "tool.execution.delta" => OUTPUT_INDEX | ID | NAME | ARGUMENTS,
        "tool.execution.done" => OUTPUT_INDEX | ID | NAME | INFO,
        "function.call.delta" => {
            OUTPUT_INDEX
                | ID
                | NAME
                | TOOL_CALL_ID
                | ARGUMENTS
                | MODEL
                | AGENT_ID
                | CONFIRMATION_STATUS
        }
        "agent.handoff.started" => OUTPUT_INDEX | ID | PREVIOUS_AGENT,
        "agent.handoff.done" => OUTPUT_INDEX | ID | NEXT_AGENT,
        "conversation.response.done" => USAGE,
        "conversation.response.error" => MESSAGE | CODE,
        _ => 0,
    }
}

struct FieldsSeed {
    with_content: bool,
    /// Bit set of the fields to read.
    wanted: u32,
}

impl<'de> DeserializeSeed<'de> for FieldsSeed {
    type Value = Fields<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Fields<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldsSeed {
    type Value = Fields<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event payload")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields<'de>, A::Error> {
        let mut f = Fields::default();
        let wanted = if self.with_content {
            self.wanted
        } else {
            self.wanted & !(CONTENT | INFO)
        };
        let want = |field: u32| wanted & field != 0;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let text = |map: &mut A| Ok::<_, A::Error>(map.next_value::<Scalar<'de>>()?.into_str());
            match &*key {
                "type" if want(KIND) => f.kind = text(&mut map)?,
                "conversation_id" if want(CONVERSATION_ID) => f.conversation_id = text(&mut map)?,
                "output_index" if want(OUTPUT_INDEX) => {
                    f.output_index = map.next_value::<Scalar>()?.as_u32();
                }
                "content_index" if want(CONTENT_INDEX) => {
                    f.content_index = map.next_value::<Scalar>()?.as_u32();
                }
                "id" if want(ID) => f.id = text(&mut map)?,
                "model" if want(MODEL) => f.model = text(&mut map)?,
                "agent_id" if want(AGENT_ID) => f.agent_id = text(&mut map)?,
                "name" if want(NAME) => f.name = text(&mut map)?,
                "tool_call_id" if want(TOOL_CALL_ID) => f.tool_call_id = text(&mut map)?,
                "confirmation_status" if want(CONFIRMATION_STATUS) => {
                    f.confirmation_status = text(&mut map)?;
                }
                "previous_agent_id" if want(PREVIOUS_AGENT) => {
                    f.previous_agent_id = text(&mut map)?;
                }
                "previous_agent_name" if want(PREVIOUS_AGENT) => {
                    f.previous_agent_name = text(&mut map)?;
                }
                "next_agent_id" if want(NEXT_AGENT) => f.next_agent_id = text(&mut map)?,
                "next_agent_name" if want(NEXT_AGENT) => f.next_agent_name = text(&mut map)?,
                "message" if want(MESSAGE) => f.message = text(&mut map)?,
                "code" if want(CODE) => f.code = map.next_value::<Scalar>()?.into_code(),
                // arguments are text fragments; an object form is kept as JSON text
                "arguments" if want(ARGUMENTS) => {
                    f.arguments = map.next_value::<JsonText<'de>>()?.0;
                }
                "usage" if want(USAGE) => f.usage = Some(map.next_value()?),
                "content" if want(CONTENT) => f.content = Some(map.next_value()?),
                "info" if want(INFO) => {
                    f.info = Some(map.next_value::<Value>()?).filter(|v| !v.is_null());
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(f)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Fields<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Fields::default())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Fields<'de>, E> {
        Ok(Fields::default())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Fields<'de>, E> {
        Ok(Fields::default())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Fields<'de>, E> {
        Ok(Fields::default())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Fields<'de>, E> {
        Ok(Fields::default())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Fields<'de>, E> {
        Ok(Fields::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Fields<'de>, E> {
        Ok(Fields::default())
    }
}
