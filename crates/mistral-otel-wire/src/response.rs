//! Response bodies: the turn response (`conversation.response`) and cheap facts about
//! read calls (lists, history, messages, agents, libraries, documents).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::WireError;
use crate::entry::{Entry, parse_entry};
use crate::guardrail::{GuardrailResult, guardrail_results};
use crate::lenient::{self, ArrayLen, Key, Object, Scalar};
use crate::pruned::{Pruned, parse_object_pruned};
use crate::request::parse_object;
use crate::route::Operation;

/// A non-streaming start / append / restart response.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConversationResponse {
    /// `conversation_id` (a new one on restart).
    pub conversation_id: Option<String>,
    /// `outputs`, in order.
    pub outputs: Vec<Entry>,
    /// `usage`
    pub usage: Option<Usage>,
    /// What the configured guardrails found (`guardrails`); empty when none ran.
    pub guardrails: Vec<GuardrailResult>,
}

/// Token usage of a call: a turn's `ConversationUsageInfo`, or the `UsageInfo` of a
/// completion, an embedding, an OCR or a transcription call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    /// `prompt_tokens` (0 when absent).
    pub prompt_tokens: u64,
    /// `completion_tokens` (0 when absent).
    pub completion_tokens: u64,
    /// `total_tokens`: prompt + completion + connector tokens (0 when absent).
    pub total_tokens: u64,
    /// `connector_tokens`: tokens of built-in tool results.
    pub connector_tokens: Option<u64>,
    /// `connectors`: calls per tool name, sorted by name; empty when absent or `null`. A
    /// count sent as a string (seen in 2025) is read as a number.
    pub connectors: Vec<(String, u64)>,
    /// Prompt tokens served from the cache: `prompt_tokens_details.cached_tokens` (or the
    /// misspelled `prompt_token_details`, or `num_cached_tokens`).
    pub cached_tokens: Option<u64>,
    /// `prompt_audio_seconds` of audio calls.
    pub prompt_audio_seconds: Option<f64>,
    /// Output tokens spent reasoning: `completion_tokens_details.reasoning_tokens` (or a
    /// top-level `reasoning_tokens`), when the usage reports them.
    pub reasoning_tokens: Option<u64>,
}

impl Usage {
    /// Read a usage object; missing or mistyped counts are 0 / absent.
    pub fn from_json(value: &Value) -> Usage {
        let Some(obj) = value.as_object() else {
            return Usage::default();
        };
        let mut connectors: Vec<(String, u64)> = match obj.get("connectors") {
            Some(Value::Object(map)) => map
                .iter()
                .filter_map(|(name, calls)| {
                    let calls = match calls {
                        Value::String(s) => s.trim().parse().ok(),
                        other => other.as_u64(),
                    };
                    Some((name.clone(), calls?))
                })
                .collect(),
            _ => Vec::new(),
        };
        connectors.sort_by(|a, b| a.0.cmp(&b.0));
        Usage {
            prompt_tokens: lenient::count(obj, "prompt_tokens").unwrap_or(0),
            completion_tokens: lenient::count(obj, "completion_tokens").unwrap_or(0),
            total_tokens: lenient::count(obj, "total_tokens").unwrap_or(0),
            connector_tokens: lenient::count(obj, "connector_tokens"),
            connectors,
            cached_tokens: ["prompt_tokens_details", "prompt_token_details"]
                .iter()
                .find_map(|key| match obj.get(*key) {
                    Some(Value::Object(details)) => lenient::count(details, "cached_tokens"),
                    _ => None,
                })
                .or_else(|| lenient::count(obj, "num_cached_tokens")),
            prompt_audio_seconds: lenient::float(obj, "prompt_audio_seconds"),
            reasoning_tokens: match obj.get("completion_tokens_details") {
                Some(Value::Object(details)) => lenient::count(details, "reasoning_tokens"),
                _ => None,
            }
            .or_else(|| lenient::count(obj, "reasoning_tokens")),
        }
    }
}

/// Parse a start / append / restart response body. Errors only when the body is not a
/// JSON object. The same as [`parse_conversation_response_with`]`(body, true)`.
pub fn parse_conversation_response(body: &[u8]) -> Result<ConversationResponse, WireError> {
    Ok(response_from(&parse_object(body)?))
}

/// What of an output entry a span tree without content capture does not need.
const ENTRY_CONTENT: Pruned = Pruned {
    skip: &["content", "info", "arguments", "result"],
    nested: &[],
};

const RESPONSE_WITHOUT_CONTENT: Pruned = Pruned {
    skip: &[],
    nested: &[("outputs", ENTRY_CONTENT)],
};

/// Parse a start / append / restart response body, with or without content.
///
/// With `with_content == false` the content of the outputs is skipped without being
/// built: message `content` reads as empty text (`Content::Text(String::new())`, as for
/// absent content), tool `info` as `None`, tool and function call `arguments` and
/// function `result` as empty strings. Everything else (ids, timestamps, roles, names,
/// model, agent ids, tool call ids, confirmation status, handoff fields,
/// `conversation_id` and `usage`) reads exactly as with content. Errors only when the
/// body is not a JSON object.
///
/// ```
/// use mistral_otel_wire::{parse_conversation_response_with, Content, Entry};
/// let body = br#"{"conversation_id":"conv_1","outputs":[{"type":"message.output","id":"msg_1","content":"secret"}]}"#;
/// let response = parse_conversation_response_with(body, false).unwrap();
/// let Entry::MessageOutput(message) = &response.outputs[0] else { unreachable!() };
/// assert_eq!(message.id.as_deref(), Some("msg_1"));
/// assert_eq!(message.content, Content::Text(String::new()));
/// ```
pub fn parse_conversation_response_with(
    body: &[u8],
    with_content: bool,
) -> Result<ConversationResponse, WireError> {
    if with_content {
        return parse_conversation_response(body);
    }
    Ok(response_from(&parse_object_pruned(
        body,
        RESPONSE_WITHOUT_CONTENT,
    )?))
}

fn response_from(obj: &Object) -> ConversationResponse {
    ConversationResponse {
        conversation_id: lenient::string(obj, "conversation_id"),
        outputs: match obj.get("outputs") {
            Some(Value::Array(items)) => items.iter().map(parse_entry).collect(),
            _ => Vec::new(),
        },
        usage: obj
            .get("usage")
            .filter(|u| u.is_object())
            .map(Usage::from_json),
        guardrails: obj
            .get("guardrails")
            .map(guardrail_results)
            .unwrap_or_default(),
    }
}

/// Cheap facts about the response of a read (or non-turn) call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResultFacts {
    /// Items of a list call: a bare array, or the `data` array of paged lists.
    pub item_count: Option<u64>,
    /// `entries` of a history.
    pub entry_count: Option<u64>,
    /// `messages` of a messages call.
    pub message_count: Option<u64>,
    /// `conversation_id`, or the `id` of a conversation.
    pub conversation_id: Option<String>,
    /// `agent_id`, or the `id` of an agent.
    pub agent_id: Option<String>,
    /// `version` of an agent (or alias), or `agent_version` of a conversation when numeric.
    pub agent_version: Option<i64>,
    /// `name` of an agent.
    pub agent_name: Option<String>,
    /// `library_id`, or the `id` of a library.
    pub library_id: Option<String>,
    /// `document_id`, or the `id` of a document.
    pub document_id: Option<String>,
    /// `process_status` of a document.
    pub process_status: Option<String>,
    /// The `id` of a model (or fine-tuned model).
    pub model_id: Option<String>,
    /// The `id` of a file.
    pub file_id: Option<String>,
    /// The `id` of a batch or fine-tuning job.
    pub job_id: Option<String>,
    /// The `status` of a batch or fine-tuning job.
    pub job_status: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Conversation,
    Agent,
    Library,
    Document,
    Access,
    Model,
    File,
    Job,
    Other,
}

fn family(op: Operation) -> Family {
    use Operation::*;
    match op {
        ConversationStart | ConversationAppend | ConversationRestart | ConversationList
        | ConversationGet | ConversationDelete | ConversationHistory | ConversationMessages => {
            Family::Conversation
        }
        AgentCreate | AgentList | AgentListPages | AgentGet | AgentUpdate | AgentDelete
        | AgentUpdateVersion | AgentListVersions | AgentGetVersion | AgentCreateAlias
        | AgentListAliases | AgentDeleteAlias => Family::Agent,
        LibraryList | LibraryCreate | LibraryGet | LibraryUpdate | LibraryDelete => Family::Library,
        AccessList | AccessUpdateOrCreate | AccessDelete => Family::Access,
        DocumentList
        | DocumentUpload
        | DocumentGet
        | DocumentUpdate
        | DocumentDelete
        | DocumentTextContent
        | DocumentStatus
        | DocumentSignedUrl
        | DocumentExtractedTextSignedUrl
        | DocumentReprocess
        | DocumentSignedUploadUrl
        | DocumentIngestFromBlobStorage => Family::Document,
        ModelList
        | ModelGet
        | ModelDelete
        | FineTunedModelUpdate
        | FineTunedModelArchive
        | FineTunedModelUnarchive => Family::Model,
        FileUpload | FileList | FileGet | FileDelete | FileContent | FileUrl => Family::File,
        BatchJobList | BatchJobCreate | BatchJobGet | BatchJobDelete | BatchJobCancel
        | FineTuningJobList | FineTuningJobCreate | FineTuningJobGet | FineTuningJobCancel
        | FineTuningJobStart => Family::Job,
        ChatCompletion | FimCompletion | AgentsCompletion | Embeddings | Moderation
        | ChatModeration | Classification | ChatClassification | Ocr | AudioTranscription => {
            Family::Other
        }
    }
}

fn is_list(op: Operation) -> bool {
    use Operation::*;
    matches!(
        op,
        ConversationList
            | AgentList
            | AgentListPages
            | AgentListVersions
            | AgentListAliases
            | LibraryList
            | DocumentList
            | AccessList
            | ModelList
            | FileList
            | BatchJobList
            | FineTuningJobList
    )
}

/// Read cheap facts from a response body: item count of lists (a bare array, or the `data`
/// array of paged lists), entry count of a history, message count of messages, and ids /
/// status found at the top level. Arrays are counted without building their items.
///
/// An empty body (e.g. a 204) gives empty facts; a JSON body that is neither an object
/// nor an array (e.g. a signed URL string) too. Errors only when the body is not JSON.
pub fn parse_result_facts(op: Operation, body: &[u8]) -> Result<ResultFacts, WireError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(ResultFacts::default());
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let facts = FactsSeed(op).deserialize(&mut de)?;
    de.end()?;
    Ok(facts)
}

struct FactsSeed(Operation);

impl<'de> DeserializeSeed<'de> for FactsSeed {
    type Value = ResultFacts;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<ResultFacts, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FactsSeed {
    type Value = ResultFacts;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON response body")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ResultFacts, A::Error> {
        let mut n = 0u64;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            n += 1;
        }
        Ok(ResultFacts {
            item_count: is_list(self.0).then_some(n),
            ..ResultFacts::default()
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ResultFacts, A::Error> {
        let family = family(self.0);
        let mut facts = ResultFacts::default();
        let mut id = None;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match &*key {
                "data" => {
                    let ArrayLen(n) = map.next_value()?;
                    if is_list(self.0) {
                        facts.item_count = n;
                    }
                }
                "entries" => facts.entry_count = map.next_value::<ArrayLen>()?.0,
                "messages" => facts.message_count = map.next_value::<ArrayLen>()?.0,
                "id" => id = map.next_value::<Scalar>()?.into_string(),
                "conversation_id" => {
                    facts.conversation_id = map.next_value::<Scalar>()?.into_string();
                }
                "agent_id" => facts.agent_id = map.next_value::<Scalar>()?.into_string(),
                "library_id" => facts.library_id = map.next_value::<Scalar>()?.into_string(),
                "document_id" => facts.document_id = map.next_value::<Scalar>()?.into_string(),
                "process_status" => {
                    facts.process_status = map.next_value::<Scalar>()?.into_string();
                }
                "version" | "agent_version" => {
                    let version = map.next_value::<Scalar>()?.as_i64();
                    if version.is_some() {
                        facts.agent_version = version;
                    }
                }
                "name" if family == Family::Agent => {
                    facts.agent_name = map.next_value::<Scalar>()?.into_string();
                }
                "status" if family == Family::Job => {
                    facts.job_status = map.next_value::<Scalar>()?.into_string();
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        // a bare `id` names the resource the call is about
        let slot = match family {
            Family::Conversation => Some(&mut facts.conversation_id),
            Family::Agent => Some(&mut facts.agent_id),
            Family::Library => Some(&mut facts.library_id),
            Family::Document => Some(&mut facts.document_id),
            Family::Model => Some(&mut facts.model_id),
            Family::File => Some(&mut facts.file_id),
            Family::Job => Some(&mut facts.job_id),
            // sharing objects have no id of their own
            Family::Access | Family::Other => None,
        };
        if let (Some(slot), Some(id)) = (slot, id) {
            slot.get_or_insert(id);
        }
        Ok(facts)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<ResultFacts, E> {
        Ok(ResultFacts::default())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<ResultFacts, E> {
        Ok(ResultFacts::default())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<ResultFacts, E> {
        Ok(ResultFacts::default())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<ResultFacts, E> {
        Ok(ResultFacts::default())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<ResultFacts, E> {
        Ok(ResultFacts::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<ResultFacts, E> {
        Ok(ResultFacts::default())
    }
}
