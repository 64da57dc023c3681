//! The GenAI conventions' message JSON (`gen_ai.input.messages`, `gen_ai.output.messages`,
//! `gen_ai.system_instructions`, `gen_ai.tool.definitions`) built from wire entries.

use mistral_otel_wire::{Chunk, Content, Entry, Inputs, ToolDefinition};
use serde_json::{Map, Value, json};

use crate::capture::json_or_string;

/// Parts of a message's content, in order.
pub(crate) fn content_parts(content: &Content) -> Vec<Value> {
    match content {
        Content::Text(text) => vec![json!({"type": "text", "content": text})],
        Content::Chunks(chunks) => chunks.iter().map(chunk_part).collect(),
    }
}

/// The text of a message's content: a string as is, chunks' text parts joined.
pub(crate) fn content_text(content: &Content) -> String {
    match content {
        Content::Text(text) => text.clone(),
        Content::Chunks(chunks) => chunks
            .iter()
            .filter_map(|c| match c {
                Chunk::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect(),
    }
}

fn chunk_part(chunk: &Chunk) -> Value {
    match chunk {
        Chunk::Text { text } => json!({"type": "text", "content": text}),
        Chunk::Thinking { thinking, .. } => {
            let text: String = thinking
                .iter()
                .filter_map(|c| match c {
                    Chunk::Text { text } => Some(text.as_str()),
                    _ => None,
                })
                .collect();
            json!({"type": "reasoning", "content": text})
        }
        Chunk::ImageUrl { url, .. } => json!({"type": "uri", "modality": "image", "uri": url}),
        Chunk::DocumentUrl { document_url, .. } => {
            json!({"type": "uri", "modality": "document", "uri": document_url})
        }
        Chunk::ToolFile {
            file_id, file_type, ..
        } => {
            let modality = match file_type.as_deref() {
                Some("png" | "jpg" | "jpeg" | "gif" | "webp") => "image",
                _ => "document",
            };
            json!({"type": "file", "modality": modality, "file_id": file_id})
        }
        // tool references and anything newer keep their wire shape as a generic part
        other => other.to_json(),
    }
}

/// Parts an output entry contributes to the assistant message.
pub(crate) fn output_entry_parts(entry: &Entry) -> Vec<Value> {
    match entry {
        Entry::MessageOutput(m) => content_parts(&m.content),
        Entry::ToolExecution(t) => {
            let id = t.id.clone().unwrap_or_default();
            let mut call = Map::new();
            call.insert("type".into(), Value::String(t.name.clone()));
            call.insert("arguments".into(), json_or_string(&t.arguments));
            let mut parts = vec![json!({
                "type": "server_tool_call", "id": id, "name": t.name, "server_tool_call": call,
            })];
            if let Some(info) = &t.info {
                let mut response = match info {
                    Value::Object(map) => map.clone(),
                    other => {
                        let mut m = Map::new();
                        m.insert("info".into(), other.clone());
                        m
                    }
                };
                response.insert("type".into(), Value::String(t.name.clone()));
                parts.push(json!({
                    "type": "server_tool_call_response", "id": id,
                    "server_tool_call_response": response,
                }));
            }
            parts
        }
        Entry::FunctionCall(f) => vec![json!({
            "type": "tool_call", "id": f.tool_call_id, "name": f.name,
            "arguments": json_or_string(&f.arguments),
        })],
        Entry::MessageInput(m) => content_parts(&m.content),
        Entry::FunctionResult(r) => vec![json!({
            "type": "tool_call_response", "id": r.tool_call_id, "response": r.result,
        })],
        Entry::AgentHandoff(_) | Entry::Unknown { .. } => Vec::new(),
    }
}

/// `gen_ai.input.messages` from a request's `inputs`.
pub(crate) fn input_messages(inputs: &Inputs) -> Value {
    match inputs {
        Inputs::Text(text) => {
            json!([{"role": "user", "parts": [{"type": "text", "content": text}]}])
        }
        Inputs::Entries(entries) => Value::Array(
            entries
                .iter()
                .filter_map(|entry| {
                    let role = match entry {
                        Entry::MessageInput(m) => m.role.clone(),
                        Entry::FunctionResult(_) => "tool".to_owned(),
                        Entry::MessageOutput(_)
                        | Entry::FunctionCall(_)
                        | Entry::ToolExecution(_) => "assistant".to_owned(),
                        Entry::AgentHandoff(_) | Entry::Unknown { .. } => return None,
                    };
                    Some(json!({"role": role, "parts": output_entry_parts(entry)}))
                })
                .collect(),
        ),
    }
}

/// `gen_ai.output.messages`: one assistant message whose parts follow output order.
pub(crate) fn output_messages<'a>(
    entries: impl IntoIterator<Item = &'a Entry>,
    finish_reason: &str,
) -> Value {
    let parts: Vec<Value> = entries.into_iter().flat_map(output_entry_parts).collect();
    json!([{"role": "assistant", "parts": parts, "finish_reason": finish_reason}])
}

/// `gen_ai.system_instructions`.
pub(crate) fn system_instructions(instructions: &str) -> Value {
    json!([{"type": "text", "content": instructions}])
}

/// `gen_ai.tool.definitions`: type and name only, or the full function schema with content.
pub(crate) fn tool_definitions(tools: &[ToolDefinition], full: bool) -> Value {
    Value::Array(
        tools
            .iter()
            .map(|tool| {
                let mut def = Map::new();
                def.insert("type".into(), Value::String(tool.kind.clone()));
                def.insert("name".into(), Value::String(tool.name().to_owned()));
                if full && let Some(function) = &tool.function {
                    if let Some(d) = &function.description {
                        def.insert("description".into(), Value::String(d.clone()));
                    }
                    if let Some(p) = &function.parameters {
                        def.insert("parameters".into(), p.clone());
                    }
                }
                Value::Object(def)
            })
            .collect(),
    )
}
