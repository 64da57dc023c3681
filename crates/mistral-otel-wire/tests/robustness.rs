//! Seeded mutations of the fixtures through every parser: nothing panics, memory stays
//! bounded, and what decodes is what gets aggregated.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::fixture;
use mistral_otel_wire::{
    Operation, SseParser, StreamAggregate, WireError, decode_stream_event, match_route,
    parse_agent_request, parse_conversation_response, parse_error_body, parse_result_facts,
    parse_timestamp, parse_turn_request,
};

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Overwrite, insert and delete a few bytes, favouring the bytes parsers care about.
fn mutate(rng: &mut XorShift, input: &[u8]) -> Vec<u8> {
    const SPECIAL: &[u8] = b"\r\n:{}[]\",\\u0 \xff\xc3";
    let mut out = input.to_vec();
    for _ in 0..=rng.below(8) {
        let at = rng.below(out.len() + 1);
        let byte = if rng.next().is_multiple_of(2) {
            SPECIAL[rng.below(SPECIAL.len())]
        } else {
            rng.next() as u8
        };
        match rng.below(3) {
            0 if at < out.len() => out[at] = byte,
            1 => out.insert(at, byte),
            _ if at < out.len() => {
                out.remove(at);
            }
            _ => {}
        }
    }
    if rng.below(4) == 0 {
        out.truncate(rng.below(out.len() + 1));
    }
    out
}

#[test]
fn mutated_streams_stay_within_the_limit_and_aggregate_every_decoded_event() {
    let limit = 512;
    for name in [
        "start_stream_tools",
        "start_stream_agent_handoff",
        "append_stream_function_result",
        "start_stream_error",
    ] {
        let body = fixture(&format!("{name}.sse"));
        for seed in 1..=200u64 {
            let mut rng = XorShift(seed.wrapping_mul(0x2545_F491_4F6C_DD1D));
            let input = mutate(&mut rng, &body);
            let mut parser = SseParser::with_max_event_bytes(limit);
            let mut aggregate = StreamAggregate::new();
            let mut decoded = 0u64;
            let mut errors = 0;
            let mut on_event = |e: mistral_otel_wire::SseEvent<'_>| {
                if let Ok(event) = decode_stream_event(e.event, e.data, seed % 2 == 0) {
                    decoded += 1;
                    aggregate.apply(&event);
                }
            };
            let mut rest = input.as_slice();
            while !rest.is_empty() {
                let (piece, tail) = rest.split_at((1 + rng.below(40)).min(rest.len()));
                if parser.push(piece, &mut on_event).is_err() {
                    errors += 1;
                }
                assert!(parser.buffered_bytes() <= limit);
                rest = tail;
            }
            parser.finish(&mut on_event).unwrap();
            assert!(
                errors <= 1,
                "{name} seed {seed}: overflow reported {errors} times"
            );
            assert_eq!(aggregate.event_count(), decoded);
            let json = aggregate.to_expected_json();
            assert_eq!(json["event_count"], decoded);
        }
    }
}

/// Mutated fixture bodies, checked against serde_json as an independent oracle: a JSON
/// object is accepted by every lenient object parser, valid JSON that is not an object is
/// refused as such, and invalid JSON is refused as JSON.
#[test]
fn mutated_json_bodies_parse_exactly_when_they_are_json_objects() {
    let bodies = [
        "start_web_search.request.json",
        "start_web_search.response.json",
        "append.response.json",
        "history.response.json",
        "list.response.json",
        "agent_create.request.json",
        "agent_create.response.json",
        "error_422.response.json",
        "error_429.response.json",
        "library_document_upload.response.json",
    ];
    let (mut objects, mut invalid) = (0, 0);
    for name in bodies {
        let body = fixture(name);
        for seed in 1..=100u64 {
            let mut rng = XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let input = mutate(&mut rng, &body);
            let oracle = serde_json::from_slice::<serde_json::Value>(&input);
            let what = format!("{name} seed {seed}");
            match &oracle {
                Ok(serde_json::Value::Object(_)) => {
                    objects += 1;
                    assert!(parse_turn_request(&input).is_ok(), "{what}");
                    assert!(parse_agent_request(&input).is_ok(), "{what}");
                    assert!(parse_conversation_response(&input).is_ok(), "{what}");
                    assert!(parse_error_body(&input).is_some(), "{what}");
                }
                Ok(_) => {
                    assert!(
                        matches!(parse_turn_request(&input), Err(WireError::NotAnObject)),
                        "{what}"
                    );
                    assert!(parse_error_body(&input).is_none(), "{what}");
                }
                Err(_) => {
                    invalid += 1;
                    assert!(
                        matches!(parse_turn_request(&input), Err(WireError::Json(_))),
                        "{what}"
                    );
                    assert!(
                        matches!(parse_conversation_response(&input), Err(WireError::Json(_))),
                        "{what}"
                    );
                    assert!(parse_error_body(&input).is_none(), "{what}");
                }
            }
            // result facts read lists and objects alike, never panic
            let _ = parse_result_facts(Operation::ConversationHistory, &input);
            let _ = parse_result_facts(Operation::ConversationList, &input);
        }
    }
    assert!(
        objects > 0 && invalid > 0,
        "both kinds were exercised: {objects} objects, {invalid} invalid"
    );
}

#[test]
fn arbitrary_paths_methods_and_timestamps_never_panic() {
    let mut rng = XorShift(0x1234_5678);
    let base = "/v1/libraries/lib/documents/doc/status?x=1#stream".as_bytes();
    let stamp = "2026-03-10T09:14:02.329804+02:00".as_bytes();
    let mut matched = 0;
    for _ in 0..2000 {
        let path = String::from_utf8_lossy(&mutate(&mut rng, base)).into_owned();
        for method in ["GET", "post", "PATCH", "put", "DELETE", "TRACE"] {
            matched += usize::from(match_route(method, &path).is_some());
        }
        let stamp = String::from_utf8_lossy(&mutate(&mut rng, stamp)).into_owned();
        if let Some(time) = parse_timestamp(&stamp) {
            assert!(time > std::time::UNIX_EPOCH - std::time::Duration::from_secs(62_200_000_000));
        }
    }
    assert!(matched > 0);
}
