//! Embeddings, moderation, classification, OCR and transcription: one `llm` row each, as
//! Braintrust's SDK logs `embeddings.create`, `ocr.process` and
//! `audio.transcriptions.*` (moderations and classifications, which its SDK does not wrap,
//! are named after the Python SDK's `classifiers` methods).

use mistral_otel_wire::{InferenceRequest, InferenceResponse, Operation};
use opentelemetry::KeyValue;
use serde_json::{Map, Value, json};

use super::{insert_some, metrics, span_attributes};
use crate::capture::ContentField;
use crate::decorate::{CallEnd, CallStart, Decoration, SpanAttributes};
use crate::semconv::braintrust as bt;

pub(super) fn start(call: &CallStart<'_>, span: &mut SpanAttributes<'_>) -> Box<dyn Decoration> {
    let op = call.operation;
    let name = match op {
        Operation::Embeddings => "mistral.embeddings.create",
        Operation::Moderation => "mistral.classifiers.moderate",
        Operation::ChatModeration => "mistral.classifiers.moderate_chat",
        Operation::Classification => "mistral.classifiers.classify",
        Operation::ChatClassification => "mistral.classifiers.classify_chat",
        Operation::Ocr => "mistral.ocr.process",
        // a multipart request is not read: whether it streams shows in the answer
        _ => "",
    };
    if !name.is_empty() {
        span.push(span_attributes("llm", name));
    }
    if let Some(input) = input(op, call.inference) {
        span.push_content(bt::INPUT_JSON, ContentField::InputMessages, input);
    }
    Box::new(InferenceRow {
        op,
        metadata: request_metadata(call.inference),
    })
}

struct InferenceRow {
    op: Operation,
    metadata: Map<String, Value>,
}

impl Decoration for InferenceRow {
    fn on_end(&mut self, call: &CallEnd<'_>, span: &mut SpanAttributes<'_>) {
        let mut metadata = std::mem::take(&mut self.metadata);
        if self.op == Operation::AudioTranscription {
            let streamed = call.time_to_first_chunk.is_some();
            let method = if streamed { "stream" } else { "complete" };
            span.push(span_attributes(
                "llm",
                &format!("mistral.audio.transcriptions.{method}"),
            ));
        }
        let mut extra = Vec::new();
        if let Some(response) = call.inference {
            insert_some(&mut metadata, "id", response.id.as_deref());
            insert_some(&mut metadata, "model", response.model.as_deref());
            insert_some(&mut metadata, "language", response.language.as_deref());
            for (key, value) in [
                ("page_count", response.page_count),
                ("segments_count", response.segment_count),
            ] {
                if let Some(v) = value {
                    metadata.insert(key.into(), json!(v));
                }
            }
            for (key, value) in [
                ("pages_processed", response.pages_processed),
                ("doc_size_bytes", response.doc_size_bytes),
            ] {
                if let Some(v) = value {
                    extra.push((key, v));
                }
            }
        }
        span.push(KeyValue::new(
            bt::METADATA,
            Value::Object(metadata).to_string(),
        ));
        if let Some(m) = metrics(
            call.usage,
            call.time_to_first_chunk.map(|d| d.as_secs_f64()),
            &extra,
        ) {
            span.push(m);
        }
        if let Some(response) = call.inference
            && let Some(output) = output(self.op, response, span.capturing())
        {
            // counts are no content; texts and results are
            if self.op == Operation::Embeddings {
                span.push(KeyValue::new(bt::OUTPUT_JSON, output.to_string()));
            } else {
                span.push_content(bt::OUTPUT_JSON, ContentField::OutputMessages, output);
            }
        }
    }
}

fn request_metadata(request: Option<&InferenceRequest>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("provider".into(), json!("mistral"));
    let Some(req) = request else {
        return m;
    };
    insert_some(&mut m, "model", req.model.as_deref());
    if let Some(d) = req.output_dimension {
        m.insert("output_dimension".into(), json!(d));
    }
    insert_some(&mut m, "output_dtype", req.output_dtype.as_deref());
    insert_some(&mut m, "encoding_format", req.encoding_format.as_deref());
    insert_some(&mut m, "document_type", req.document_type.as_deref());
    if let Some(pages) = &req.pages {
        m.insert("pages".into(), pages.clone());
    }
    m
}

/// The inputs as sent; an OCR document only by URL (never an inline document); a
/// transcription's audio never (`"[audio]"`, as Braintrust's SDK without the file).
fn input(op: Operation, request: Option<&InferenceRequest>) -> Option<Value> {
    match op {
        Operation::AudioTranscription => Some(json!({"file": "[audio]"})),
        Operation::Ocr => {
            let req = request?;
            let url = req.document_url.as_ref()?;
            let kind = req.document_type.as_deref().unwrap_or("document_url");
            Some(json!({"document": {"type": kind, kind: url}}))
        }
        _ => request?.input.clone(),
    }
}

fn output(op: Operation, response: &InferenceResponse, capturing: bool) -> Option<Value> {
    match op {
        Operation::Embeddings => Some(json!({
            "embeddings_count": response.embedding_count,
            "embedding_length": response.embedding_dimension,
        })),
        Operation::Ocr => capturing.then(|| json!({"pages_markdown": response.text})),
        Operation::AudioTranscription => response.text.as_ref().map(|t| json!(t)),
        _ => response.results.clone(),
    }
}
