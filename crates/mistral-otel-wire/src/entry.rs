//! Conversation entries (`message.input`, `message.output`, `tool.execution`,
//! `function.call`, `function.result`, `agent.handoff`) and their content chunks.

use serde_json::{Map, Value, json};

use crate::lenient::{self, Object};

/// One conversation entry, discriminated by its wire `type`.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// `message.input`
    MessageInput(MessageInput),
    /// `message.output`
    MessageOutput(MessageOutput),
    /// `tool.execution`: a built-in tool or connector the server ran.
    ToolExecution(ToolExecution),
    /// `function.call`: a function the client must run.
    FunctionCall(FunctionCall),
    /// `function.result`: the client's answer to a function call.
    FunctionResult(FunctionResult),
    /// `agent.handoff`
    AgentHandoff(AgentHandoff),
    /// Any other `type` (kept for counting); `kind` is empty when the entry had none.
    Unknown {
        /// The wire `type`.
        kind: String,
    },
}

/// A `message.input` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageInput {
    /// Entry id (`msg_…`).
    pub id: Option<String>,
    /// RFC 3339 creation time.
    pub created_at: Option<String>,
    /// RFC 3339 completion time.
    pub completed_at: Option<String>,
    /// `user` or `assistant`.
    pub role: String,
    /// The message content.
    pub content: Content,
    /// Whether this is a prefix for the model's answer.
    pub prefix: bool,
}

/// A `message.output` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageOutput {
    /// Entry id (`msg_…`).
    pub id: Option<String>,
    /// RFC 3339 creation time.
    pub created_at: Option<String>,
    /// RFC 3339 completion time.
    pub completed_at: Option<String>,
    /// The agent that produced it (agent conversations only).
    pub agent_id: Option<String>,
    /// The model that produced it.
    pub model: Option<String>,
    /// Always `assistant` in practice.
    pub role: String,
    /// The message content.
    pub content: Content,
}

/// A `tool.execution` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolExecution {
    /// Entry id (`tool_exec_…`).
    pub id: Option<String>,
    /// RFC 3339 creation time.
    pub created_at: Option<String>,
    /// RFC 3339 completion time.
    pub completed_at: Option<String>,
    /// The agent that ran it.
    pub agent_id: Option<String>,
    /// The model that asked for it.
    pub model: Option<String>,
    /// Tool name (`web_search`, `code_interpreter`, a connector name, …).
    pub name: String,
    /// The arguments as JSON text (empty when absent).
    pub arguments: String,
    /// The tool's opaque result object.
    pub info: Option<Value>,
}

/// A `function.call` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FunctionCall {
    /// Entry id (`fc_…`).
    pub id: Option<String>,
    /// RFC 3339 creation time.
    pub created_at: Option<String>,
    /// RFC 3339 completion time.
    pub completed_at: Option<String>,
    /// The agent that asked for it.
    pub agent_id: Option<String>,
    /// The model that asked for it.
    pub model: Option<String>,
    /// The id the client answers with in `function.result`.
    pub tool_call_id: String,
    /// Function name.
    pub name: String,
    /// The arguments as JSON text (an object on the wire becomes compact JSON text).
    pub arguments: String,
    /// `pending`, `allowed` or `denied`.
    pub confirmation_status: Option<String>,
}

/// A `function.result` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FunctionResult {
    /// Entry id.
    pub id: Option<String>,
    /// RFC 3339 creation time.
    pub created_at: Option<String>,
    /// RFC 3339 completion time.
    pub completed_at: Option<String>,
    /// The `function.call`'s `tool_call_id`.
    pub tool_call_id: String,
    /// The function's result (text).
    pub result: String,
}

/// An `agent.handoff` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgentHandoff {
    /// Entry id (`handoff_…`).
    pub id: Option<String>,
    /// RFC 3339 creation time.
    pub created_at: Option<String>,
    /// RFC 3339 completion time.
    pub completed_at: Option<String>,
    /// The agent handing off.
    pub previous_agent_id: Option<String>,
    /// Its name.
    pub previous_agent_name: Option<String>,
    /// The agent taking over.
    pub next_agent_id: Option<String>,
    /// Its name.
    pub next_agent_name: Option<String>,
}

impl Entry {
    /// The entry id.
    pub fn id(&self) -> Option<&str> {
        match self {
            Entry::MessageInput(e) => e.id.as_deref(),
            Entry::MessageOutput(e) => e.id.as_deref(),
            Entry::ToolExecution(e) => e.id.as_deref(),
            Entry::FunctionCall(e) => e.id.as_deref(),
            Entry::FunctionResult(e) => e.id.as_deref(),
            Entry::AgentHandoff(e) => e.id.as_deref(),
            Entry::Unknown { .. } => None,
        }
    }

    /// The RFC 3339 creation time.
    pub fn created_at(&self) -> Option<&str> {
        match self {
            Entry::MessageInput(e) => e.created_at.as_deref(),
            Entry::MessageOutput(e) => e.created_at.as_deref(),
            Entry::ToolExecution(e) => e.created_at.as_deref(),
            Entry::FunctionCall(e) => e.created_at.as_deref(),
            Entry::FunctionResult(e) => e.created_at.as_deref(),
            Entry::AgentHandoff(e) => e.created_at.as_deref(),
            Entry::Unknown { .. } => None,
        }
    }

    /// The RFC 3339 completion time.
    pub fn completed_at(&self) -> Option<&str> {
        match self {
            Entry::MessageInput(e) => e.completed_at.as_deref(),
            Entry::MessageOutput(e) => e.completed_at.as_deref(),
            Entry::ToolExecution(e) => e.completed_at.as_deref(),
            Entry::FunctionCall(e) => e.completed_at.as_deref(),
            Entry::FunctionResult(e) => e.completed_at.as_deref(),
            Entry::AgentHandoff(e) => e.completed_at.as_deref(),
            Entry::Unknown { .. } => None,
        }
    }

    /// The wire `type` name, e.g. `"message.output"`.
    pub fn kind(&self) -> &str {
        match self {
            Entry::MessageInput(_) => "message.input",
            Entry::MessageOutput(_) => "message.output",
            Entry::ToolExecution(_) => "tool.execution",
            Entry::FunctionCall(_) => "function.call",
            Entry::FunctionResult(_) => "function.result",
            Entry::AgentHandoff(_) => "agent.handoff",
            Entry::Unknown { kind } => kind,
        }
    }
}

/// Message content: plain text or a list of chunks.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// A plain string.
    Text(String),
    /// A list of chunks (a single chunk object on the wire becomes a one-element list).
    Chunks(Vec<Chunk>),
}

impl Default for Content {
    fn default() -> Self {
        Content::Text(String::new())
    }
}

impl Content {
    /// Parse `content`: a string, a list of chunks or a single chunk object. Absent or
    /// `null` content is empty text.
    pub fn from_json(value: Option<&Value>) -> Content {
        match value {
            None | Some(Value::Null) => Content::default(),
            Some(Value::String(s)) => Content::Text(s.clone()),
            Some(Value::Array(items)) => Content::Chunks(items.iter().map(parse_chunk).collect()),
            Some(other) => Content::Chunks(vec![parse_chunk(other)]),
        }
    }
}

/// One content chunk, discriminated by its wire `type`.
#[derive(Debug, Clone, PartialEq)]
pub enum Chunk {
    /// `text`
    Text {
        /// The text.
        text: String,
    },
    /// `tool_reference`: a source a tool found.
    ToolReference {
        /// The tool that found it.
        tool: String,
        /// Title of the source.
        title: String,
        /// Its URL.
        url: Option<String>,
        /// Its favicon URL.
        favicon: Option<String>,
        /// A short description.
        description: Option<String>,
    },
    /// `tool_file`: a file a tool produced.
    ToolFile {
        /// The tool that produced it.
        tool: String,
        /// File id.
        file_id: String,
        /// File name.
        file_name: Option<String>,
        /// File type (e.g. `png`).
        file_type: Option<String>,
    },
    /// `image_url` (the string form and the `{url, detail}` form).
    ImageUrl {
        /// URL or `data:` URI.
        url: String,
        /// `low`, `auto` or `high`.
        detail: Option<String>,
    },
    /// `document_url`
    DocumentUrl {
        /// The document URL.
        document_url: String,
        /// Its name.
        document_name: Option<String>,
    },
    /// `thinking`: reasoning content.
    Thinking {
        /// Nested text / reference chunks.
        thinking: Vec<Chunk>,
        /// Signature of the reasoning.
        signature: Option<String>,
        /// Whether the reasoning block is finished (defaults to true).
        closed: bool,
    },
    /// `reference` (inside `thinking`).
    Reference {
        /// Referenced ids (integers or strings).
        reference_ids: Vec<Value>,
    },
    /// Any other chunk, or one missing its required field, kept as sent.
    Unknown(Value),
}

impl Chunk {
    /// The wire JSON object again (what a client would see), used for content capture and
    /// aggregates. Optional fields are written as `null` when absent, as the server does.
    pub fn to_json(&self) -> Value {
        match self {
            Chunk::Text { text } => json!({"type": "text", "text": text}),
            Chunk::ToolReference {
                tool,
                title,
                url,
                favicon,
                description,
            } => json!({
                "type": "tool_reference", "tool": tool, "title": title,
                "url": url, "favicon": favicon, "description": description,
            }),
            Chunk::ToolFile {
                tool,
                file_id,
                file_name,
                file_type,
            } => json!({
                "type": "tool_file", "tool": tool, "file_id": file_id,
                "file_name": file_name, "file_type": file_type,
            }),
            Chunk::ImageUrl { url, detail } => {
                let mut image = Map::new();
                image.insert("url".into(), Value::String(url.clone()));
                if let Some(detail) = detail {
                    image.insert("detail".into(), Value::String(detail.clone()));
                }
                json!({"type": "image_url", "image_url": image})
            }
            Chunk::DocumentUrl {
                document_url,
                document_name,
            } => json!({
                "type": "document_url", "document_url": document_url,
                "document_name": document_name,
            }),
            Chunk::Thinking {
                thinking,
                signature,
                closed,
            } => json!({
                "type": "thinking",
                "thinking": thinking.iter().map(Chunk::to_json).collect::<Vec<_>>(),
                "signature": signature, "closed": closed,
            }),
            Chunk::Reference { reference_ids } => {
                json!({"type": "reference", "reference_ids": reference_ids})
            }
            Chunk::Unknown(value) => value.clone(),
        }
    }
}

/// Parse one content chunk. A bare string is a text chunk; anything that is not a known
/// chunk with its required field becomes [`Chunk::Unknown`].
pub fn parse_chunk(value: &Value) -> Chunk {
    let obj = match value {
        Value::String(text) => return Chunk::Text { text: text.clone() },
        Value::Object(obj) => obj,
        other => return Chunk::Unknown(other.clone()),
    };
    let s = |key| lenient::string(obj, key);
    let parsed = match obj.get("type").and_then(Value::as_str) {
        Some("text") => s("text").map(|text| Chunk::Text { text }),
        Some("tool_reference") => s("title").map(|title| Chunk::ToolReference {
            tool: lenient::string_or_empty(obj, "tool"),
            title,
            url: s("url"),
            favicon: s("favicon"),
            description: s("description"),
        }),
        Some("tool_file") => s("file_id").map(|file_id| Chunk::ToolFile {
            tool: lenient::string_or_empty(obj, "tool"),
            file_id,
            file_name: s("file_name"),
            file_type: s("file_type"),
        }),
        Some("image_url") => match obj.get("image_url") {
            Some(Value::String(url)) => Some(Chunk::ImageUrl {
                url: url.clone(),
                detail: None,
            }),
            Some(Value::Object(image)) => {
                lenient::string(image, "url").map(|url| Chunk::ImageUrl {
                    url,
                    detail: lenient::string(image, "detail"),
                })
            }
            _ => None,
        },
        Some("document_url") => s("document_url").map(|document_url| Chunk::DocumentUrl {
            document_url,
            document_name: s("document_name"),
        }),
        Some("thinking") => Some(Chunk::Thinking {
            thinking: match Content::from_json(obj.get("thinking")) {
                Content::Text(text) if text.is_empty() => Vec::new(),
                Content::Text(text) => vec![Chunk::Text { text }],
                Content::Chunks(chunks) => chunks,
            },
            signature: s("signature"),
            closed: lenient::boolean(obj, "closed").unwrap_or(true),
        }),
        Some("reference") => Some(Chunk::Reference {
            reference_ids: match obj.get("reference_ids") {
                Some(Value::Array(ids)) => ids.clone(),
                _ => Vec::new(),
            },
        }),
        _ => None,
    };
    parsed.unwrap_or_else(|| Chunk::Unknown(value.clone()))
}

/// Parse one entry. Never fails: anything odd becomes [`Entry::Unknown`]. An object with a
/// `role` but no `type` is a `message.input` (the server accepts that short form).
/// Missing required strings read as empty.
pub fn parse_entry(value: &Value) -> Entry {
    let Value::Object(obj) = value else {
        return Entry::Unknown {
            kind: String::new(),
        };
    };
    let kind = match obj.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        None | Some(Value::Null) if obj.contains_key("role") => "message.input",
        _ => "",
    };
    match kind {
        "message.input" => Entry::MessageInput(MessageInput {
            id: lenient::string(obj, "id"),
            created_at: lenient::string(obj, "created_at"),
            completed_at: lenient::string(obj, "completed_at"),
            role: lenient::string(obj, "role").unwrap_or_else(|| "user".to_owned()),
            content: Content::from_json(obj.get("content")),
            prefix: lenient::boolean(obj, "prefix").unwrap_or(false),
        }),
        "message.output" => Entry::MessageOutput(MessageOutput {
            id: lenient::string(obj, "id"),
            created_at: lenient::string(obj, "created_at"),
            completed_at: lenient::string(obj, "completed_at"),
            agent_id: lenient::string(obj, "agent_id"),
            model: lenient::string(obj, "model"),
            role: lenient::string(obj, "role").unwrap_or_else(|| "assistant".to_owned()),
            content: Content::from_json(obj.get("content")),
        }),
        "tool.execution" => Entry::ToolExecution(tool_execution(obj)),
        "function.call" => Entry::FunctionCall(FunctionCall {
            id: lenient::string(obj, "id"),
            created_at: lenient::string(obj, "created_at"),
            completed_at: lenient::string(obj, "completed_at"),
            agent_id: lenient::string(obj, "agent_id"),
            model: lenient::string(obj, "model"),
            tool_call_id: lenient::string_or_empty(obj, "tool_call_id"),
            name: lenient::string_or_empty(obj, "name"),
            arguments: lenient::json_text(obj.get("arguments")),
            confirmation_status: lenient::string(obj, "confirmation_status"),
        }),
        "function.result" => Entry::FunctionResult(FunctionResult {
            id: lenient::string(obj, "id"),
            created_at: lenient::string(obj, "created_at"),
            completed_at: lenient::string(obj, "completed_at"),
            tool_call_id: lenient::string_or_empty(obj, "tool_call_id"),
            result: lenient::json_text(obj.get("result")),
        }),
        "agent.handoff" => Entry::AgentHandoff(AgentHandoff {
            id: lenient::string(obj, "id"),
            created_at: lenient::string(obj, "created_at"),
            completed_at: lenient::string(obj, "completed_at"),
            previous_agent_id: lenient::string(obj, "previous_agent_id"),
            previous_agent_name: lenient::string(obj, "previous_agent_name"),
            next_agent_id: lenient::string(obj, "next_agent_id"),
            next_agent_name: lenient::string(obj, "next_agent_name"),
        }),
        other => Entry::Unknown {
            kind: other.to_owned(),
        },
    }
}

fn tool_execution(obj: &Object) -> ToolExecution {
    ToolExecution {
        id: lenient::string(obj, "id"),
        created_at: lenient::string(obj, "created_at"),
        completed_at: lenient::string(obj, "completed_at"),
        agent_id: lenient::string(obj, "agent_id"),
        model: lenient::string(obj, "model"),
        name: lenient::string_or_empty(obj, "name"),
        arguments: lenient::json_text(obj.get("arguments")),
        info: lenient::present(obj, "info"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn function_call_arguments_object_becomes_compact_json_text() {
        let entry = parse_entry(&json!({
            "type": "function.call", "tool_call_id": "abc", "name": "f",
            "arguments": {"a": 1, "b": [true]}
        }));
        let Entry::FunctionCall(call) = entry else {
            panic!("not a function call: {entry:?}")
        };
        assert_eq!(call.arguments, r#"{"a":1,"b":[true]}"#);
    }

    #[test]
    fn single_chunk_object_content_is_a_one_chunk_list() {
        let content = Content::from_json(Some(&json!({"type": "text", "text": "hi"})));
        assert_eq!(
            content,
            Content::Chunks(vec![Chunk::Text { text: "hi".into() }])
        );
    }

    #[test]
    fn role_without_type_is_a_message_input() {
        let entry = parse_entry(&json!({"role": "user", "content": "hi"}));
        assert_eq!(entry.kind(), "message.input");
    }

    #[test]
    fn odd_entries_are_unknown_not_errors() {
        assert_eq!(parse_entry(&json!(42)).kind(), "");
        assert_eq!(parse_entry(&json!({"type": 7})).kind(), "");
        assert_eq!(
            parse_entry(&json!({"type": "message.mystery"})),
            Entry::Unknown {
                kind: "message.mystery".into()
            }
        );
    }

    #[test]
    fn chunks_round_trip_through_to_json() {
        let chunks = [
            json!({"type": "text", "text": "a"}),
            json!({"type": "tool_reference", "tool": "web_search", "title": "t",
                   "url": "https://x.example", "favicon": null, "description": "d"}),
            json!({"type": "tool_file", "tool": "image_generation", "file_id": "f1",
                   "file_name": "image_generated_0", "file_type": "png"}),
            json!({"type": "image_url", "image_url": {"url": "https://i.example/a.png", "detail": "low"}}),
            json!({"type": "document_url", "document_url": "https://d.example/a.pdf", "document_name": null}),
            json!({"type": "thinking", "thinking": [{"type": "text", "text": "hmm"},
                   {"type": "reference", "reference_ids": [1, "x"]}], "signature": null, "closed": false}),
            json!({"type": "audio", "input_audio": "…"}),
        ];
        for chunk in chunks {
            assert_eq!(parse_chunk(&chunk).to_json(), chunk);
        }
    }

    #[test]
    fn image_url_string_form_is_accepted() {
        assert_eq!(
            parse_chunk(&json!({"type": "image_url", "image_url": "data:image/png;base64,AA"})),
            Chunk::ImageUrl {
                url: "data:image/png;base64,AA".into(),
                detail: None
            }
        );
    }

    #[test]
    fn chunk_missing_its_required_field_is_kept_as_unknown() {
        let raw = json!({"type": "tool_reference", "tool": "web_search"});
        assert_eq!(parse_chunk(&raw), Chunk::Unknown(raw.clone()));
    }
}
