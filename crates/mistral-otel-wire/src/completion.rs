//! Chat, FIM and agents completions: the request, the response, and one chunk of a
//! streamed response (data-only server-sent events that end with `data: [DONE]`).
//!
//! Read as leniently as the rest of this crate: unknown keys (the `p` padding of every
//! streamed chunk, `service_tier`, ...) are skipped, absent and `null` read the same, a
//! tool call's `arguments` may come as text or as a JSON object, and its `type` or
//! `index` may be missing (2024 recordings).

use serde_json::Value;

use crate::WireError;
use crate::entry::{Content, parse_chunk};
use crate::error::{ApiError, parse_error_body};
use crate::guardrail::{GuardrailResult, guardrail_results};
use crate::lenient::{self, Object};
use crate::pruned::{Pruned, parse_object_pruned};
use crate::request::{ToolDefinition, parse_object, tools};
use crate::response::Usage;

/// The JSON body of a chat, FIM or agents completion request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompletionRequest {
    /// `model` (chat, FIM).
    pub model: Option<String>,
    /// `agent_id` (agents completions).
    pub agent_id: Option<String>,
    /// `messages` (chat, agents), only when read with content.
    pub messages: Vec<ChatMessage>,
    /// `prompt` (FIM), only when read with content.
    pub prompt: Option<String>,
    /// `suffix` (FIM), only when read with content.
    pub suffix: Option<String>,
    /// `stream`
    pub stream: Option<bool>,
    /// `temperature`
    pub temperature: Option<f64>,
    /// `top_p`
    pub top_p: Option<f64>,
    /// `max_tokens`
    pub max_tokens: Option<i64>,
    /// `min_tokens` (FIM)
    pub min_tokens: Option<i64>,
    /// `random_seed`
    pub random_seed: Option<i64>,
    /// `n`: choices asked for.
    pub n: Option<i64>,
    /// `stop`: a string becomes one element.
    pub stop: Vec<String>,
    /// `presence_penalty`
    pub presence_penalty: Option<f64>,
    /// `frequency_penalty`
    pub frequency_penalty: Option<f64>,
    /// `response_format.type`: `text`, `json_object` or `json_schema`.
    pub response_format: Option<String>,
    /// `tools` (function schemas only when read with content).
    pub tools: Vec<ToolDefinition>,
    /// `tool_choice`: `auto`, `none`, `any`, `required`, or the function name a
    /// `{"type":"function","function":{"name":...}}` choice names.
    pub tool_choice: Option<String>,
    /// `parallel_tool_calls`
    pub parallel_tool_calls: Option<bool>,
    /// `safe_prompt`
    pub safe_prompt: Option<bool>,
    /// `prompt_mode` (`reasoning`)
    pub prompt_mode: Option<String>,
    /// `reasoning_effort`
    pub reasoning_effort: Option<String>,
    /// `guardrails` as sent.
    pub guardrails: Option<Value>,
    /// `metadata` as sent.
    pub metadata: Option<Value>,
}

/// One message of a chat: its role, content, and the tool calls of an assistant message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatMessage {
    /// `system`, `user`, `assistant` or `tool`.
    pub role: String,
    /// The content: a string, or chunks (text, thinking, image, document, ...).
    pub content: Content,
    /// `tool_calls` of an assistant message.
    pub tool_calls: Vec<ToolCall>,
    /// `tool_call_id` of a tool message.
    pub tool_call_id: Option<String>,
    /// `name` of a tool message.
    pub name: Option<String>,
}

/// A function call the model asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolCall {
    /// `id` (the `tool_call_id` the answer refers to).
    pub id: Option<String>,
    /// `function.name`
    pub name: String,
    /// `function.arguments` as JSON text (an object form is kept as compact JSON).
    pub arguments: String,
    /// `index` among the calls of the message.
    pub index: Option<u32>,
}

/// A non-streamed completion response (`chat.completion`; FIM answers the same shape).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompletionResponse {
    /// `id`
    pub id: Option<String>,
    /// `model`
    pub model: Option<String>,
    /// `object`
    pub object: Option<String>,
    /// `created` (Unix seconds).
    pub created: Option<i64>,
    /// `usage`
    pub usage: Option<Usage>,
    /// `choices`, in order.
    pub choices: Vec<Choice>,
    /// What the configured guardrails found (shown in Mistral's docs, not in its models).
    pub guardrails: Vec<GuardrailResult>,
}

/// One choice of a completion.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Choice {
    /// `index`
    pub index: u32,
    /// `finish_reason`: `stop`, `length`, `model_length`, `error`, `tool_calls`.
    pub finish_reason: Option<String>,
    /// The answer (its content only when read with content).
    pub message: ChatMessage,
}

/// One chunk of a streamed completion.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompletionChunk {
    /// `id`
    pub id: Option<String>,
    /// `model`
    pub model: Option<String>,
    /// `object` (`chat.completion.chunk`).
    pub object: Option<String>,
    /// `created`
    pub created: Option<i64>,
    /// `usage` (on the last chunk).
    pub usage: Option<Usage>,
    /// `choices`
    pub choices: Vec<ChunkChoice>,
    /// An error object sent inside the stream.
    pub error: Option<ApiError>,
}

/// What one chunk says about one choice.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChunkChoice {
    /// `index`
    pub index: u32,
    /// `finish_reason` when the choice ends in this chunk.
    pub finish_reason: Option<String>,
    /// Whether the delta carries output: text that is not empty, a chunk (a thinking
    /// part), or tool calls. The first chunk's bare `role: assistant` does not.
    pub carries_output: bool,
    /// The delta's content, only when decoded with content.
    pub content: Option<Content>,
    /// Tool calls, whole or in pieces.
    pub tool_calls: Vec<ToolCall>,
}

fn role_and_content(obj: &Object, with_content: bool) -> (String, Content) {
    let content = if with_content {
        Content::from_json(obj.get("content"))
    } else {
        Content::default()
    };
    (lenient::string_or_empty(obj, "role"), content)
}

fn tool_calls(value: Option<&Value>) -> Vec<ToolCall> {
    let Some(Value::Array(calls)) = value else {
        return Vec::new();
    };
    calls
        .iter()
        .filter_map(Value::as_object)
        .map(|call| {
            let function = call.get("function").and_then(Value::as_object);
            ToolCall {
                id: lenient::string(call, "id").filter(|id| id != "null"),
                name: function
                    .and_then(|f| lenient::string(f, "name"))
                    .unwrap_or_default(),
                arguments: function.map_or_else(String::new, |f| match f.get("arguments") {
                    Some(Value::String(s)) => s.clone(),
                    None | Some(Value::Null) => String::new(),
                    Some(other) => other.to_string(),
                }),
                index: lenient::count(call, "index").and_then(|i| u32::try_from(i).ok()),
            }
        })
        .collect()
}

fn message_from(obj: &Object, with_content: bool) -> ChatMessage {
    let (role, content) = role_and_content(obj, with_content);
    ChatMessage {
        role,
        content,
        tool_calls: tool_calls(obj.get("tool_calls")),
        tool_call_id: lenient::string(obj, "tool_call_id"),
        name: lenient::string(obj, "name"),
    }
}

const FUNCTION_SCHEMA: Pruned = Pruned {
    skip: &["parameters"],
    nested: &[],
};

const TOOL_SCHEMA: Pruned = Pruned {
    skip: &[],
    nested: &[("function", FUNCTION_SCHEMA)],
};

const REQUEST_WITHOUT_CONTENT: Pruned = Pruned {
    skip: &["messages", "prompt", "suffix", "prediction"],
    nested: &[("tools", TOOL_SCHEMA)],
};

/// Parse a chat, FIM or agents completion request body. With `with_content == false` the
/// messages, the FIM prompt and suffix, the prediction and function parameter schemas are
/// skipped unbuilt. Errors only when the body is not a JSON object.
///
/// ```
/// let req = mistral_otel_wire::parse_completion_request_with(
///     br#"{"model":"mistral-small-latest","messages":[{"role":"user","content":"hi"}],"stream":true,"n":2}"#,
///     true,
/// ).unwrap();
/// assert_eq!(req.model.as_deref(), Some("mistral-small-latest"));
/// assert_eq!((req.stream, req.n, req.messages.len()), (Some(true), Some(2), 1));
/// ```
pub fn parse_completion_request_with(
    body: &[u8],
    with_content: bool,
) -> Result<CompletionRequest, WireError> {
    let obj = if with_content {
        parse_object(body)?
    } else {
        parse_object_pruned(body, REQUEST_WITHOUT_CONTENT)?
    };
    let type_of = |key: &str| match obj.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(inner)) => lenient::string(inner, "type").and_then(|kind| {
            // a forced function names the function
            match inner.get("function").and_then(Value::as_object) {
                Some(f) if kind == "function" => lenient::string(f, "name"),
                _ => Some(kind),
            }
        }),
        _ => None,
    };
    let messages = match obj.get("messages") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_object)
            .map(|m| message_from(m, true))
            .collect(),
        _ => Vec::new(),
    };
    Ok(CompletionRequest {
        model: lenient::string(&obj, "model"),
        agent_id: lenient::string(&obj, "agent_id"),
        messages,
        prompt: lenient::string(&obj, "prompt"),
        suffix: lenient::string(&obj, "suffix"),
        stream: lenient::boolean(&obj, "stream"),
        temperature: lenient::float(&obj, "temperature"),
        top_p: lenient::float(&obj, "top_p"),
        max_tokens: lenient::integer(&obj, "max_tokens"),
        min_tokens: lenient::integer(&obj, "min_tokens"),
        random_seed: lenient::integer(&obj, "random_seed"),
        n: lenient::integer(&obj, "n"),
        stop: lenient::strings(obj.get("stop")),
        presence_penalty: lenient::float(&obj, "presence_penalty"),
        frequency_penalty: lenient::float(&obj, "frequency_penalty"),
        response_format: type_of("response_format"),
        tools: tools(obj.get("tools")),
        tool_choice: type_of("tool_choice"),
        parallel_tool_calls: lenient::boolean(&obj, "parallel_tool_calls"),
        safe_prompt: lenient::boolean(&obj, "safe_prompt"),
        prompt_mode: lenient::string(&obj, "prompt_mode"),
        reasoning_effort: lenient::string(&obj, "reasoning_effort"),
        guardrails: lenient::present(&obj, "guardrails"),
        metadata: lenient::present(&obj, "metadata"),
    })
}

const MESSAGE_WITHOUT_CONTENT: Pruned = Pruned {
    skip: &["content"],
    nested: &[],
};

const CHOICE_WITHOUT_CONTENT: Pruned = Pruned {
    skip: &[],
    nested: &[("message", MESSAGE_WITHOUT_CONTENT)],
};

const RESPONSE_WITHOUT_CONTENT: Pruned = Pruned {
    skip: &[],
    nested: &[("choices", CHOICE_WITHOUT_CONTENT)],
};

/// Parse a non-streamed completion response body. With `with_content == false` the
/// messages' content is skipped unbuilt; ids, models, finish reasons, usage and tool calls
/// are read either way. Errors only when the body is not a JSON object.
///
/// ```
/// let resp = mistral_otel_wire::parse_completion_response_with(
///     br#"{"id":"a1","model":"m","usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11,"prompt_tokens_details":{"cached_tokens":4}},"object":"chat.completion","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hi"}}]}"#,
///     false,
/// ).unwrap();
/// assert_eq!(resp.choices[0].finish_reason.as_deref(), Some("stop"));
/// assert_eq!(resp.usage.unwrap().cached_tokens, Some(4));
/// ```
pub fn parse_completion_response_with(
    body: &[u8],
    with_content: bool,
) -> Result<CompletionResponse, WireError> {
    let obj = if with_content {
        parse_object(body)?
    } else {
        parse_object_pruned(body, RESPONSE_WITHOUT_CONTENT)?
    };
    let choices = match obj.get("choices") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_object)
            .enumerate()
            .map(|(position, choice)| Choice {
                index: lenient::count(choice, "index")
                    .and_then(|i| u32::try_from(i).ok())
                    .unwrap_or(u32::try_from(position).unwrap_or(u32::MAX)),
                finish_reason: lenient::string(choice, "finish_reason"),
                message: choice
                    .get("message")
                    .and_then(Value::as_object)
                    .map(|m| message_from(m, with_content))
                    .unwrap_or_default(),
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(CompletionResponse {
        id: lenient::string(&obj, "id"),
        model: lenient::string(&obj, "model"),
        object: lenient::string(&obj, "object"),
        created: lenient::integer(&obj, "created"),
        usage: obj
            .get("usage")
            .filter(|u| u.is_object())
            .map(Usage::from_json),
        choices,
        guardrails: obj
            .get("guardrails")
            .map(guardrail_results)
            .unwrap_or_default(),
    })
}

/// Whether `data` is the `[DONE]` sentinel that ends a completion stream.
pub fn is_done_sentinel(data: &[u8]) -> bool {
    data.trim_ascii() == b"[DONE]"
}

/// Decode the `data` of one completion stream event (not the `[DONE]` sentinel: see
/// [`is_done_sentinel`]). With `with_content == false` the delta's content is not kept
/// (whether it carries output still is). An error object in the stream
/// (`{"object":"error",...}` or `{"error":{...}}`) reads as [`CompletionChunk::error`].
/// Errors only when `data` is not a JSON object.
///
/// ```
/// let chunk = mistral_otel_wire::decode_completion_chunk(
///     br#"{"id":"x","model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"p":"abc"}"#,
///     false,
/// ).unwrap();
/// assert!(chunk.choices[0].carries_output);
/// assert_eq!(chunk.choices[0].content, None);
/// ```
pub fn decode_completion_chunk(
    data: &[u8],
    with_content: bool,
) -> Result<CompletionChunk, WireError> {
    let obj = parse_object(data)?;
    let error = match obj.get("error") {
        Some(inner @ Value::Object(_)) => parse_error_body(inner.to_string().as_bytes()),
        _ if lenient::string(&obj, "object").is_some_and(|o| o.eq_ignore_ascii_case("error")) => {
            parse_error_body(data)
        }
        _ => None,
    };
    let choices = match obj.get("choices") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_object)
            .enumerate()
            .map(|(position, choice)| {
                let delta = choice.get("delta").and_then(Value::as_object);
                let content = delta.and_then(|d| d.get("content"));
                let calls = tool_calls(delta.and_then(|d| d.get("tool_calls")));
                let carries_text = match content {
                    Some(Value::String(s)) => !s.is_empty(),
                    Some(Value::Array(items)) => !items.is_empty(),
                    Some(Value::Object(_)) => true,
                    _ => false,
                };
                ChunkChoice {
                    index: lenient::count(choice, "index")
                        .and_then(|i| u32::try_from(i).ok())
                        .unwrap_or(u32::try_from(position).unwrap_or(u32::MAX)),
                    finish_reason: lenient::string(choice, "finish_reason"),
                    carries_output: carries_text || !calls.is_empty(),
                    content: (with_content && carries_text).then(|| match content {
                        Some(Value::Object(chunk)) => {
                            Content::Chunks(vec![parse_chunk(&Value::Object(chunk.clone()))])
                        }
                        other => Content::from_json(other),
                    }),
                    tool_calls: calls,
                }
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(CompletionChunk {
        id: lenient::string(&obj, "id"),
        model: lenient::string(&obj, "model"),
        object: lenient::string(&obj, "object"),
        created: lenient::integer(&obj, "created"),
        usage: obj
            .get("usage")
            .filter(|u| u.is_object())
            .map(Usage::from_json),
        choices,
        error,
    })
}
