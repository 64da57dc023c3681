//! The other GenAI endpoints: embeddings, moderation, classification, OCR and
//! transcription. Requests and responses are read for their facts (models, counts, usage,
//! sizes); what they carry (inputs, vectors, pages, transcripts) only when asked for, and
//! never a document or audio payload.

use serde_json::Value;

use crate::WireError;
use crate::error::{ApiError, parse_error_body};
use crate::lenient::{self, Object};
use crate::pruned::{Pruned, parse_object_pruned};
use crate::request::parse_object;
use crate::response::Usage;
use crate::route::Operation;

/// What an inference request says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InferenceRequest {
    /// `model`
    pub model: Option<String>,
    /// How many inputs: texts for embeddings and moderations, conversations for chat
    /// moderations and classifications.
    pub input_count: Option<u64>,
    /// `input` as sent (only when read with content).
    pub input: Option<Value>,
    /// `output_dimension` (embeddings).
    pub output_dimension: Option<i64>,
    /// `output_dtype` (embeddings).
    pub output_dtype: Option<String>,
    /// `encoding_format` (embeddings).
    pub encoding_format: Option<String>,
    /// `document.type` (OCR): `document_url`, `image_url` or `file`.
    pub document_type: Option<String>,
    /// The document's URL (OCR), unless it is a `data:` URL (only when read with content).
    pub document_url: Option<String>,
    /// `pages` as sent (OCR).
    pub pages: Option<Value>,
    /// `stream`
    pub stream: Option<bool>,
}

/// What an inference response says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InferenceResponse {
    /// `id`
    pub id: Option<String>,
    /// `model`
    pub model: Option<String>,
    /// `usage`, or OCR's `usage_info` tokens (none).
    pub usage: Option<Usage>,
    /// Embeddings returned (`data`).
    pub embedding_count: Option<u64>,
    /// Length of the first embedding.
    pub embedding_dimension: Option<u64>,
    /// Results of a moderation or classification.
    pub result_count: Option<u64>,
    /// Moderation results with at least one category flagged.
    pub flagged_count: Option<u64>,
    /// `results` as sent (only when read with content).
    pub results: Option<Value>,
    /// Pages of an OCR response.
    pub page_count: Option<u64>,
    /// `usage_info.pages_processed` (OCR).
    pub pages_processed: Option<u64>,
    /// `usage_info.doc_size_bytes` (OCR).
    pub doc_size_bytes: Option<u64>,
    /// `language` of a transcription.
    pub language: Option<String>,
    /// Segments of a transcription.
    pub segment_count: Option<u64>,
    /// The transcript, or the OCR pages' markdown joined (only when read with content).
    pub text: Option<String>,
}

const OCR_WITHOUT_CONTENT: Pruned = Pruned {
    skip: &["document_annotation_prompt"],
    nested: &[("document", DOCUMENT_WITHOUT_PAYLOAD)],
};

/// A document is kept for its type; its payload (a URL that may be a `data:` URL with the
/// whole file, or a file id) is skipped unbuilt.
const DOCUMENT_WITHOUT_PAYLOAD: Pruned = Pruned {
    skip: &["document_url", "image_url", "file_id"],
    nested: &[],
};

const INPUT_SKIPPED: Pruned = Pruned {
    skip: &["input", "inputs"],
    nested: &[],
};

/// Read an embeddings, moderation, classification or OCR request body. Without content,
/// inputs and the OCR document payload are skipped unbuilt (they are counted, not kept).
/// Errors only when the body is not a JSON object.
///
/// ```
/// use mistral_otel_wire::{Operation, parse_inference_request};
/// let req = parse_inference_request(
///     Operation::Embeddings,
///     br#"{"model":"mistral-embed","input":["a","b"],"output_dimension":512}"#,
///     false,
/// ).unwrap();
/// assert_eq!((req.input_count, req.output_dimension, req.input), (Some(2), Some(512), None));
/// ```
pub fn parse_inference_request(
    op: Operation,
    body: &[u8],
    with_content: bool,
) -> Result<InferenceRequest, WireError> {
    let chat = matches!(
        op,
        Operation::ChatModeration | Operation::ChatClassification
    );
    // texts are counted from the raw bytes; chat inputs are read to count conversations
    let input_count = if with_content || chat {
        None
    } else {
        count_inputs(body)
    };
    let obj = match (op, with_content || chat) {
        (_, true) => parse_object(body)?,
        (Operation::Ocr, false) => parse_object_pruned(body, OCR_WITHOUT_CONTENT)?,
        (_, false) => parse_object_pruned(body, INPUT_SKIPPED)?,
    };
    let input = obj.get("input").or_else(|| obj.get("inputs"));
    let document = obj.get("document").and_then(Value::as_object);
    Ok(InferenceRequest {
        model: lenient::string(&obj, "model"),
        input_count: input_count.or_else(|| input.map(|v| count_of(v, chat))),
        input: input.filter(|_| with_content).cloned(),
        output_dimension: lenient::integer(&obj, "output_dimension"),
        output_dtype: lenient::string(&obj, "output_dtype"),
        encoding_format: lenient::string(&obj, "encoding_format"),
        document_type: document.and_then(|d| lenient::string(d, "type")),
        document_url: document
            .and_then(document_url)
            .filter(|url| !url.starts_with("data:")),
        pages: lenient::present(&obj, "pages"),
        stream: lenient::boolean(&obj, "stream"),
    })
}

fn document_url(document: &Object) -> Option<String> {
    match document
        .get("document_url")
        .or_else(|| document.get("image_url"))
    {
        Some(Value::String(url)) => Some(url.clone()),
        Some(Value::Object(inner)) => lenient::string(inner, "url"),
        _ => None,
    }
}

/// How many inputs: a string is one, a list of strings its length; for the chat
/// endpoints a list of lists (or of `{messages}`) is a list of conversations.
fn count_of(input: &Value, chat: bool) -> u64 {
    match input {
        Value::Array(items) if chat => match items.first() {
            Some(Value::Array(_)) => items.len() as u64,
            Some(Value::Object(first)) if first.contains_key("messages") => items.len() as u64,
            _ => 1,
        },
        Value::Array(items) => items.len() as u64,
        Value::Null => 0,
        _ => 1,
    }
}

/// The input count read without building the inputs: a list's length, one for anything
/// else but `null`.
fn count_inputs(body: &[u8]) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Counted {
        #[serde(default, alias = "inputs")]
        input: Option<Len>,
    }
    let counted: Counted = serde_json::from_slice(body).ok()?;
    counted.input.map(|Len(n)| n)
}

struct Len(u64);

impl<'de> serde::Deserialize<'de> for Len {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct LenVisitor;
        impl<'de> serde::de::Visitor<'de> for LenVisitor {
            type Value = Len;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Len, A::Error> {
                let mut n = 0;
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                    n += 1;
                }
                Ok(Len(n))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Len, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Len(1))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Len, E> {
                Ok(Len(0))
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Len, E> {
                Ok(Len(1))
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Len, E> {
                Ok(Len(1))
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Len, E> {
                Ok(Len(1))
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Len, E> {
                Ok(Len(1))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Len, E> {
                Ok(Len(1))
            }
        }
        d.deserialize_any(LenVisitor)
    }
}

/// Read an inference response body for its facts. Errors only when the body is not a
/// JSON object. Vectors, pages and transcripts are read only with content (then the text
/// is the transcript, or the pages' markdown joined).
///
/// ```
/// use mistral_otel_wire::{Operation, parse_inference_response};
/// let resp = parse_inference_response(
///     Operation::Embeddings,
///     br#"{"id":"e1","model":"mistral-embed","data":[{"embedding":[0.1,0.2,0.3],"index":0}],"usage":{"prompt_tokens":4,"total_tokens":4}}"#,
///     false,
/// ).unwrap();
/// assert_eq!((resp.embedding_count, resp.embedding_dimension), (Some(1), Some(3)));
/// assert_eq!(resp.usage.unwrap().prompt_tokens, 4);
/// ```
pub fn parse_inference_response(
    op: Operation,
    body: &[u8],
    with_content: bool,
) -> Result<InferenceResponse, WireError> {
    let obj = parse_object(body)?;
    Ok(inference_response_from(op, &obj, with_content))
}

pub(crate) fn inference_response_from(
    op: Operation,
    obj: &Object,
    with_content: bool,
) -> InferenceResponse {
    let mut resp = InferenceResponse {
        id: lenient::string(obj, "id"),
        model: lenient::string(obj, "model"),
        usage: obj
            .get("usage")
            .filter(|u| u.is_object())
            .map(Usage::from_json),
        ..InferenceResponse::default()
    };
    match op {
        Operation::Embeddings => {
            if let Some(Value::Array(data)) = obj.get("data") {
                resp.embedding_count = Some(data.len() as u64);
                resp.embedding_dimension = data
                    .first()
                    .and_then(|d| d.get("embedding"))
                    .and_then(Value::as_array)
                    .map(|v| v.len() as u64);
            }
        }
        Operation::Moderation
        | Operation::ChatModeration
        | Operation::Classification
        | Operation::ChatClassification => {
            if let Some(Value::Array(results)) = obj.get("results") {
                resp.result_count = Some(results.len() as u64);
                if matches!(op, Operation::Moderation | Operation::ChatModeration) {
                    let flagged = results
                        .iter()
                        .filter(|r| {
                            r.get("categories")
                                .and_then(Value::as_object)
                                .is_some_and(|c| c.values().any(|v| v == &Value::Bool(true)))
                        })
                        .count();
                    resp.flagged_count = Some(flagged as u64);
                }
                if with_content {
                    resp.results = Some(Value::Array(results.clone()));
                }
            }
        }
        Operation::Ocr => {
            if let Some(Value::Array(pages)) = obj.get("pages") {
                resp.page_count = Some(pages.len() as u64);
                if with_content {
                    let text: Vec<&str> = pages
                        .iter()
                        .filter_map(|p| p.get("markdown").and_then(Value::as_str))
                        .collect();
                    resp.text = Some(text.join("\n\n"));
                }
            }
            if let Some(Value::Object(info)) = obj.get("usage_info") {
                resp.pages_processed = lenient::count(info, "pages_processed");
                resp.doc_size_bytes = lenient::count(info, "doc_size_bytes");
            }
        }
        Operation::AudioTranscription => {
            resp.language = lenient::string(obj, "language");
            resp.segment_count = match obj.get("segments") {
                Some(Value::Array(s)) => Some(s.len() as u64),
                _ => None,
            };
            if with_content {
                resp.text = lenient::string(obj, "text");
            }
        }
        _ => {}
    }
    resp
}

/// One event of a streamed transcription.
#[derive(Debug, Clone, PartialEq)]
pub enum TranscriptionEvent {
    /// `transcription.language`
    Language(Option<String>),
    /// `transcription.text.delta`: whether it carried text, and the text when decoded
    /// with content.
    TextDelta {
        /// The delta was not empty.
        carries_text: bool,
        /// The text (with content).
        text: Option<String>,
    },
    /// `transcription.segment`
    Segment,
    /// `transcription.done`, with the whole response.
    Done(Box<InferenceResponse>),
    /// An `error` event (or any `*.error`), or an error object in place of an event.
    Error(ApiError),
    /// Any other event.
    Unknown,
}

/// Decode one event of a streamed transcription (`event:` name and JSON `data`). Errors
/// only when `data` is not a JSON object.
pub fn decode_transcription_event(
    name: &str,
    data: &[u8],
    with_content: bool,
) -> Result<TranscriptionEvent, WireError> {
    let obj = parse_object(data)?;
    let kind = match name {
        "" | "message" => lenient::string(&obj, "type").unwrap_or_default(),
        other => other.to_owned(),
    };
    Ok(match kind.as_str() {
        "transcription.language" => {
            TranscriptionEvent::Language(lenient::string(&obj, "audio_language"))
        }
        "transcription.text.delta" => {
            let text = lenient::string(&obj, "text");
            TranscriptionEvent::TextDelta {
                carries_text: text.as_ref().is_some_and(|t| !t.is_empty()),
                text: text.filter(|_| with_content),
            }
        }
        "transcription.segment" => TranscriptionEvent::Segment,
        kind if kind == "error"
            || kind.ends_with(".error")
            || obj.get("error").is_some_and(Value::is_object)
            || lenient::string(&obj, "object").is_some_and(|o| o.eq_ignore_ascii_case("error")) =>
        {
            let inner = match obj.get("error") {
                Some(inner @ Value::Object(_)) => parse_error_body(inner.to_string().as_bytes()),
                _ => parse_error_body(data),
            };
            TranscriptionEvent::Error(inner.unwrap_or_default())
        }
        "transcription.done" => TranscriptionEvent::Done(Box::new(inference_response_from(
            Operation::AudioTranscription,
            &obj,
            with_content,
        ))),
        _ => TranscriptionEvent::Unknown,
    })
}
