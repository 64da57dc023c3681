//! Arbitrary event payloads straight into stream event decoding and aggregation, so the
//! fuzzer mutates the JSON of events rather than the SSE framing around it.
//!
//! Input: lines (split on `\n`), each the `data` of one event whose name comes from its
//! JSON `type`, as when the server sends no `event:` line. Seeds are the `data` lines of
//! the stream fixtures. Proves: decoding never panics; a payload that is strictly valid
//! JSON decodes the same with content capture on or off (not so for invalid UTF-8 or an
//! out-of-range number inside `content`, which only capture reads); aggregation accepts
//! any sequence of decoded events (terminal events first, repeated indexes, kinds
//! changing at an index); whenever `peek_text_delta` (the recorder's hot path) answers,
//! the decoder reads the same payload as a text delta with the same indexes and text, and
//! a `TextDeltaReader` fed the lines in order answers what `peek_text_delta` answers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mistral_otel_wire::{
    DeltaContent, StreamAggregate, StreamEvent, TextDeltaReader, decode_stream_event,
    parse_error_body, peek_text_delta,
};

fuzz_target!(|input: &[u8]| {
    let mut with_content = StreamAggregate::new();
    let mut without_content = StreamAggregate::new();
    let mut reader = TextDeltaReader::default();
    for data in input.split(|&b| b == b'\n') {
        let full = decode_stream_event("message", data, true);
        let bare = decode_stream_event("message", data, false);
        // parse_error_body reads the payload as a serde_json value: Some for a strictly
        // valid JSON object
        if parse_error_body(data).is_some() {
            assert_eq!(
                full.is_ok(),
                bare.is_ok(),
                "content capture changes whether a valid event decodes"
            );
        }
        if let (Ok(full), Ok(bare)) = (&full, &bare) {
            assert_eq!(full.event_type(), bare.event_type());
            assert_eq!(full.output_index(), bare.output_index());
        }
        // the one-scan reader of text deltas (the recorder's hot path, for events named
        // `message.output.delta`) answers only what the decoder reads
        let peeked = peek_text_delta(data);
        // reading through the template of an earlier line changes no answer
        assert_eq!(reader.read(data), peeked);
        if let Some(delta) = peeked {
            match decode_stream_event("message.output.delta", data, true) {
                Ok(StreamEvent::MessageOutputDelta {
                    output_index,
                    content_index,
                    content,
                    ..
                }) => {
                    assert_eq!(output_index, delta.output_index);
                    assert_eq!(content_index, delta.content_index);
                    assert_eq!(content, Some(DeltaContent::Text(delta.text.into_owned())));
                }
                other => panic!("peek_text_delta answered, the decoder gave {other:?}"),
            }
        }
        if let Ok(event) = full {
            with_content.apply(&event);
        }
        if let Ok(event) = bare {
            without_content.apply(&event);
        }
    }
    let _ = with_content.to_expected_json();
    let _ = with_content.outputs();
    let _ = without_content.to_expected_json();
});
