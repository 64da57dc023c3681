#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::fixture;
use mistral_otel_wire::{Chunk, Content, Entry, SseParser, StreamAggregate, decode_stream_event};
use serde_json::Value;

const STREAMS: [&str; 4] = [
    "start_stream_tools",
    "start_stream_agent_handoff",
    "append_stream_function_result",
    "start_stream_error",
];

/// Tiny xorshift64 so the random splits are reproducible without a `rand` dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Parse `pieces` as one stream, decode each event and aggregate.
fn aggregate<'a>(
    pieces: impl IntoIterator<Item = &'a [u8]>,
    with_content: bool,
) -> StreamAggregate {
    let mut parser = SseParser::new();
    let mut aggregate = StreamAggregate::new();
    let mut on_event = |e: mistral_otel_wire::SseEvent<'_>| {
        let event = decode_stream_event(e.event, e.data, with_content)
            .unwrap_or_else(|err| panic!("{}: {err}", e.event));
        aggregate.apply(&event);
    };
    for piece in pieces {
        parser.push(piece, &mut on_event).unwrap();
    }
    parser.finish(&mut on_event).unwrap();
    aggregate
}

fn expected(name: &str) -> Value {
    serde_json::from_slice(&fixture(&format!("{name}.expected.json"))).unwrap()
}

#[test]
fn every_stream_fixture_fed_whole_rebuilds_its_expected_aggregate() {
    for name in STREAMS {
        let body = fixture(&format!("{name}.sse"));
        assert_eq!(
            aggregate([body.as_slice()], true).to_expected_json(),
            expected(name),
            "{name}"
        );
    }
}

#[test]
fn every_stream_fixture_fed_in_1_7_and_13_byte_chunks_rebuilds_its_expected_aggregate() {
    for name in STREAMS {
        let body = fixture(&format!("{name}.sse"));
        for size in [1, 7, 13] {
            let got = aggregate(body.chunks(size), true).to_expected_json();
            assert_eq!(got, expected(name), "{name} in {size}-byte chunks");
        }
    }
}

#[test]
fn every_stream_fixture_fed_in_seeded_random_chunks_rebuilds_its_expected_aggregate() {
    for name in STREAMS {
        let body = fixture(&format!("{name}.sse"));
        for seed in 1..=25u64 {
            let mut rng = XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let mut pieces = Vec::new();
            let mut rest = body.as_slice();
            while !rest.is_empty() {
                let size = (rng.next() % 64) as usize;
                let (piece, tail) = rest.split_at(size.min(rest.len()));
                pieces.push(piece);
                rest = tail;
            }
            let got = aggregate(pieces, true).to_expected_json();
            assert_eq!(got, expected(name), "{name} with seed {seed}");
        }
    }
}

#[test]
fn stream_fixtures_with_crlf_line_endings_rebuild_the_same_aggregate() {
    for name in STREAMS {
        let body = String::from_utf8(fixture(&format!("{name}.sse"))).unwrap();
        for ending in ["\r\n", "\r"] {
            let converted = body.replace('\n', ending);
            let got = aggregate(converted.as_bytes().chunks(7), true).to_expected_json();
            assert_eq!(got, expected(name), "{name} with {ending:?}");
        }
    }
}

#[test]
fn truncated_stream_is_marked_truncated_and_keeps_partial_outputs() {
    let body = fixture("start_stream_tools.sse");
    let text = std::str::from_utf8(&body).unwrap();
    let cut = text.find("event: conversation.response.done").unwrap();
    let agg = aggregate([&body[..cut]], true);
    let json = agg.to_expected_json();
    assert_eq!(json["terminal"], "truncated");
    assert_eq!(json["usage"], Value::Null);
    assert_eq!(json["outputs"], expected("start_stream_tools")["outputs"]);
    assert_eq!(agg.terminal(), "truncated");
}

#[test]
fn without_content_the_span_facts_survive_and_text_is_not_materialised() {
    let body = fixture("start_stream_tools.sse");
    let agg = aggregate([body.as_slice()], false);
    let json = agg.to_expected_json();
    let full = expected("start_stream_tools");
    for key in [
        "conversation_id",
        "usage",
        "terminal",
        "event_count",
        "event_type_counts",
    ] {
        assert_eq!(json[key], full[key], "{key}");
    }
    assert_eq!(
        json["outputs"][0]["arguments"],
        full["outputs"][0]["arguments"]
    );
    assert_eq!(json["outputs"][0]["info"], Value::Null);
    assert_eq!(json["outputs"][1]["id"], full["outputs"][1]["id"]);
    assert_eq!(json["outputs"][1]["content"], serde_json::json!([]));
}

#[test]
fn aggregate_outputs_are_entries_like_a_non_streaming_response() {
    let body = fixture("start_stream_tools.sse");
    let agg = aggregate([body.as_slice()], true);
    assert_eq!(
        agg.conversation_id(),
        Some("conv_019cd732f74f7fb7946c3f8a6a80a707")
    );
    assert_eq!(agg.event_count(), 36);
    assert_eq!(
        agg.usage().unwrap().connectors,
        vec![("web_search".to_owned(), 1)]
    );
    let outputs = agg.outputs();
    let [Entry::ToolExecution(tool), Entry::MessageOutput(message)] = outputs.as_slice() else {
        panic!("{outputs:?}")
    };
    assert_eq!(
        tool.arguments,
        r#"{"query": "Reykjavik sunset sunrise June 21"}"#
    );
    let Content::Chunks(chunks) = &message.content else {
        panic!()
    };
    assert!(matches!(
        chunks.as_slice(),
        [
            Chunk::Text { .. },
            Chunk::ToolReference { .. },
            Chunk::Text { .. }
        ]
    ));
}

#[test]
fn handoff_stream_rebuilds_the_function_call_from_fragments() {
    let body = fixture("start_stream_agent_handoff.sse");
    let outputs = aggregate(body.chunks(13), true).outputs();
    let Entry::FunctionCall(call) = &outputs[2] else {
        panic!("{outputs:?}")
    };
    assert_eq!(call.name, "lookup_invoice");
    assert_eq!(call.tool_call_id, "OqIjrMNyX");
    assert_eq!(
        call.arguments,
        r#"{"invoice_id": "INV-20391", "include_payments": true}"#
    );
    let Entry::AgentHandoff(handoff) = &outputs[0] else {
        panic!()
    };
    assert_eq!(handoff.next_agent_name.as_deref(), Some("billing-agent"));
}

#[test]
fn decoding_by_event_name_reads_the_same_fields_as_decoding_by_json_type() {
    for name in [
        "start_stream_tools",
        "start_stream_agent_handoff",
        "append_stream_function_result",
        "start_stream_error",
    ] {
        let mut parser = SseParser::new();
        parser
            .push(&fixture(&format!("{name}.sse")), |event| {
                for with_content in [false, true] {
                    let by_name = decode_stream_event(event.event, event.data, with_content);
                    let by_type = decode_stream_event("", event.data, with_content);
                    assert_eq!(by_name.unwrap(), by_type.unwrap(), "{}", event.event);
                }
            })
            .unwrap();
        parser.finish(|_| {}).unwrap();
    }
}
