//! Embeddings, moderation, classification, OCR and transcription: the request to the
//! span's name and start attributes, the response to its end attributes. What these calls
//! carry (inputs, documents, transcripts, category results) is content: on the span only
//! with capture, and a document or audio payload never.

use mistral_otel_wire::{InferenceRequest, InferenceResponse, Operation};
use opentelemetry::KeyValue;
use serde_json::{Value, json};

use super::kv_u64;
use super::request::Target;
use super::response::usage_attributes;
use crate::capture::{Capture, ContentField};
use crate::semconv as sc;

/// The operation name of an inference endpoint.
pub(crate) fn operation_name(op: Operation) -> &'static str {
    op.gen_ai_operation().unwrap_or(sc::op::EMBEDDINGS)
}

/// `{operation} {model}`, or the operation alone when the model is unknown.
pub(crate) fn span_name(op: Operation, model: Option<&str>) -> String {
    match model {
        Some(m) => format!("{} {m}", operation_name(op)),
        None => operation_name(op).to_owned(),
    }
}

/// Name and start attributes of an inference call.
pub(crate) fn inference_start(
    op: Operation,
    request: Option<&InferenceRequest>,
    target: Target<'_>,
    capture: Option<&Capture>,
) -> (String, Vec<KeyValue>) {
    let mut attrs = vec![
        KeyValue::new(sc::GEN_AI_OPERATION_NAME, operation_name(op)),
        KeyValue::new(sc::GEN_AI_PROVIDER_NAME, sc::PROVIDER_MISTRAL),
        KeyValue::new(sc::SERVER_ADDRESS, target.host.to_owned()),
        KeyValue::new(sc::SERVER_PORT, i64::from(target.port)),
    ];
    let model = request.and_then(|r| r.model.as_deref());
    let name = span_name(op, model);
    let Some(req) = request else {
        return (name, attrs);
    };
    if let Some(model) = model {
        attrs.push(KeyValue::new(sc::GEN_AI_REQUEST_MODEL, model.to_owned()));
    }
    if req.stream == Some(true) {
        attrs.push(KeyValue::new(sc::GEN_AI_REQUEST_STREAM, true));
    }
    match op {
        Operation::Embeddings => {
            if let Some(n) = req.input_count {
                attrs.push(kv_u64(sc::MISTRAL_EMBEDDINGS_INPUT_COUNT, n));
            }
            if let Some(d) = req.output_dimension {
                attrs.push(KeyValue::new(sc::GEN_AI_EMBEDDINGS_DIMENSION_COUNT, d));
            }
            let formats: Vec<String> = [&req.encoding_format, &req.output_dtype]
                .into_iter()
                .flatten()
                .cloned()
                .collect();
            if !formats.is_empty() {
                attrs.push(super::kv_strings(
                    sc::GEN_AI_REQUEST_ENCODING_FORMATS,
                    formats,
                ));
            }
        }
        Operation::Moderation
        | Operation::ChatModeration
        | Operation::Classification
        | Operation::ChatClassification => {
            if let Some(n) = req.input_count {
                attrs.push(kv_u64(sc::MISTRAL_CLASSIFICATION_INPUT_COUNT, n));
            }
        }
        Operation::Ocr => {
            if let Some(kind) = &req.document_type {
                attrs.push(KeyValue::new(sc::MISTRAL_OCR_DOCUMENT_TYPE, kind.clone()));
            }
        }
        _ => {}
    }
    if let Some(capture) = capture {
        if let Some(input) = &req.input {
            attrs.extend(capture.top(
                sc::MISTRAL_REQUEST_INPUT,
                ContentField::InputMessages,
                input.clone(),
            ));
        }
        // a document named by URL (never a `data:` URL: that is the document itself)
        if let Some(url) = &req.document_url {
            let modality = if req.document_type.as_deref() == Some("image_url") {
                "image"
            } else {
                "document"
            };
            attrs.extend(capture.top(
                sc::GEN_AI_INPUT_MESSAGES,
                ContentField::InputMessages,
                json!([{"role": "user", "parts": [
                    {"type": "uri", "modality": modality, "uri": url}
                ]}]),
            ));
        }
    }
    (name, attrs)
}

/// What an inference response contributes to its span.
pub(crate) fn inference_end(
    op: Operation,
    response: &InferenceResponse,
    dimension_asked: bool,
    capture: Option<&Capture>,
) -> Vec<KeyValue> {
    let mut attrs = Vec::new();
    if let Some(id) = &response.id {
        attrs.push(KeyValue::new(sc::GEN_AI_RESPONSE_ID, id.clone()));
    }
    if let Some(model) = &response.model {
        attrs.push(KeyValue::new(sc::GEN_AI_RESPONSE_MODEL, model.clone()));
    }
    if let Some(usage) = &response.usage {
        // embeddings, moderation, classification and OCR answer no tokens: their
        // `completion_tokens` is 0 or absent, and not an output token count
        let answers_tokens = op == Operation::AudioTranscription || usage.completion_tokens > 0;
        attrs.extend(
            usage_attributes(usage)
                .into_iter()
                .filter(|kv| answers_tokens || kv.key.as_str() != sc::GEN_AI_USAGE_OUTPUT_TOKENS),
        );
    }
    let counts = [
        (
            sc::MISTRAL_EMBEDDINGS_OUTPUT_COUNT,
            response.embedding_count,
        ),
        (
            sc::MISTRAL_CLASSIFICATION_RESULT_COUNT,
            response.result_count,
        ),
        (sc::MISTRAL_MODERATION_FLAGGED_COUNT, response.flagged_count),
        (sc::MISTRAL_OCR_PAGE_COUNT, response.page_count),
        (sc::MISTRAL_OCR_PAGES_PROCESSED, response.pages_processed),
        (sc::MISTRAL_OCR_DOC_SIZE_BYTES, response.doc_size_bytes),
        (
            sc::MISTRAL_TRANSCRIPTION_SEGMENT_COUNT,
            response.segment_count,
        ),
    ];
    for (key, value) in counts {
        if let Some(v) = value {
            attrs.push(kv_u64(key, v));
        }
    }
    // the dimension asked for is on the span already; the one answered when none was
    if op == Operation::Embeddings
        && !dimension_asked
        && let Some(d) = response.embedding_dimension
    {
        attrs.push(kv_u64(sc::GEN_AI_EMBEDDINGS_DIMENSION_COUNT, d));
    }
    if let Some(language) = &response.language {
        attrs.push(KeyValue::new(
            sc::MISTRAL_TRANSCRIPTION_LANGUAGE,
            language.clone(),
        ));
    }
    if let Some(capture) = capture {
        if let Some(results) = &response.results {
            attrs.extend(capture.top(
                sc::MISTRAL_CLASSIFICATION_RESULTS,
                ContentField::OutputMessages,
                results.clone(),
            ));
        }
        if let Some(text) = &response.text {
            attrs.extend(capture.top(
                sc::GEN_AI_OUTPUT_MESSAGES,
                ContentField::OutputMessages,
                text_output(text),
            ));
        }
    }
    attrs
}

/// `gen_ai.output.messages` of a transcript or an OCR result: one assistant text.
pub(crate) fn text_output(text: &str) -> Value {
    json!([{"role": "assistant", "parts": [{"type": "text", "content": text}],
            "finish_reason": "stop"}])
}
