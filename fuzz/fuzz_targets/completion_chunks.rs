//! Arbitrary completion chunk and transcription event payloads straight into decoding and
//! the completion fold, so the fuzzer mutates the JSON of chunks rather than the SSE
//! framing around it.
//!
//! Input: lines (split on `\n`), each the `data` of one event. Seeds are the `data` lines
//! of the recorded completion streams. Proves: decoding never panics and errs only for
//! what is not a JSON object; a strictly valid chunk decodes with content capture on
//! exactly when it does off, with the same choices, finish reasons and tool calls; the
//! fold accepts any sequence of chunks (choices and tool-call indexes in any order,
//! repeated, huge), and its response never has more choices than indexes seen; whenever
//! `peek_chunk_text` (the recorder's hot path) answers, the decoder reads the same one
//! choice with that text and nothing else, and a `ChunkReader` fed the lines in order
//! answers exactly what `peek_chunk_text` answers.
#![no_main]

use std::collections::BTreeSet;

use libfuzzer_sys::fuzz_target;
use mistral_otel_wire::{
    ChunkReader, CompletionFold, Content, decode_completion_chunk, decode_transcription_event,
    parse_error_body, peek_chunk_text,
};

fuzz_target!(|input: &[u8]| {
    let mut with_content = CompletionFold::<usize>::new(Some(4096));
    let mut without_content = CompletionFold::<usize>::new(None);
    let mut indexes = BTreeSet::new();
    let mut reader = ChunkReader::default();
    for (at, data) in input.split(|&b| b == b'\n').enumerate() {
        let full = decode_completion_chunk(data, true);
        let bare = decode_completion_chunk(data, false);
        let _ = decode_transcription_event("", data, true);
        let _ = decode_transcription_event("transcription.done", data, false);
        if parse_error_body(data).is_some() {
            assert!(full.is_ok() && bare.is_ok(), "a JSON object did not decode");
        }
        if let (Ok(full), Ok(bare)) = (&full, &bare) {
            assert_eq!(full.choices.len(), bare.choices.len());
            for (f, b) in full.choices.iter().zip(&bare.choices) {
                assert_eq!(
                    (f.index, &f.finish_reason, f.carries_output, &f.tool_calls),
                    (b.index, &b.finish_reason, b.carries_output, &b.tool_calls)
                );
            }
        }
        // the one-scan reader (the recorder's hot path) answers only what the decoder reads
        let peeked = peek_chunk_text(data);
        // resuming after the previous chunk's first members changes no answer
        assert_eq!(reader.read(data), peeked);
        if let Some(peeked) = peeked {
            let Ok(chunk) = &full else {
                panic!("peek_chunk_text answered, the decoder failed");
            };
            assert!(chunk.usage.is_none() && chunk.error.is_none());
            assert_eq!(chunk.choices.len(), 1);
            let choice = &chunk.choices[0];
            assert_eq!(choice.index, peeked.index);
            assert!(choice.finish_reason.is_none() && choice.tool_calls.is_empty());
            assert_eq!(choice.carries_output, !peeked.text.is_empty());
            let text = (!peeked.text.is_empty()).then(|| Content::Text(peeked.text.into_owned()));
            assert_eq!(choice.content, text);
        }
        if let Ok(chunk) = full {
            if !with_content.ended() {
                indexes.extend(chunk.choices.iter().map(|c| c.index));
            }
            with_content.apply(chunk, at);
        }
        if let Ok(chunk) = bare {
            without_content.apply(chunk, at);
        }
    }
    let response = with_content.response();
    assert!(response.choices.len() <= indexes.len());
    let _ = without_content.response();
});
