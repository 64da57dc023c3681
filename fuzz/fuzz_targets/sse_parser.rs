//! Arbitrary bytes, cut at arbitrary places, through the SSE push parser, stream event
//! decoding and stream aggregation.
//!
//! Input layout: `[flags, n, size_1 .. size_n, body ..]`. `flags & 3` picks the event
//! limit, `flags & 4` content decoding; the `n % 8` size bytes are cycled to cut the body
//! (`size + 1` bytes per push, so every cut position is reachable); no size bytes means
//! one push. Proves: no panic; the bytes held never exceed the limit; overflow is
//! reported at most once and then sticks; the events dispatched do not depend on how the
//! body was cut; the aggregate counts every decoded event.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mistral_otel_wire::{SseParser, StreamAggregate, decode_stream_event};

/// Small limits reach the overflow paths with inputs of a few hundred bytes; the last
/// one lets whole fixture events through.
const LIMITS: [usize; 4] = [16, 256, 4096, 1 << 20];

/// What one parse saw: the events, and whether it overflowed.
#[derive(Debug, PartialEq, Eq)]
struct Parsed {
    events: Vec<(String, Vec<u8>)>,
    overflowed: bool,
}

fn parse(body: &[u8], sizes: &[u8], limit: usize) -> Parsed {
    let mut parser = SseParser::with_max_event_bytes(limit);
    let mut events = Vec::new();
    let mut on_event = |e: mistral_otel_wire::SseEvent<'_>| {
        events.push((e.event.to_owned(), e.data.to_vec()));
    };
    let mut errors = 0usize;
    let mut rest = body;
    let mut cut = sizes.iter().cycle();
    while !rest.is_empty() {
        let take = cut
            .next()
            .map_or(rest.len(), |&s| usize::from(s) + 1)
            .min(rest.len());
        let (piece, tail) = rest.split_at(take);
        if parser.push(piece, &mut on_event).is_err() {
            errors += 1;
        }
        assert!(
            parser.buffered_bytes() <= limit,
            "holds {} bytes over the limit {limit}",
            parser.buffered_bytes()
        );
        assert_eq!(
            parser.is_overflowed(),
            errors > 0,
            "overflow flag and error disagree"
        );
        rest = tail;
    }
    assert!(errors <= 1, "overflow reported {errors} times");
    assert!(
        parser.finish(&mut on_event).is_ok(),
        "finish after push cannot overflow"
    );
    assert!(parser.buffered_bytes() <= limit);
    Parsed {
        events,
        overflowed: errors > 0,
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&flags, rest)) = input.split_first() else {
        return;
    };
    let Some((&n, rest)) = rest.split_first() else {
        return;
    };
    let (sizes, body) = rest.split_at(usize::from(n % 8).min(rest.len()));
    let limit = LIMITS[usize::from(flags & 3)];
    let with_content = flags & 4 != 0;

    let cut = parse(body, sizes, limit);
    let whole = parse(body, &[], limit);
    assert_eq!(cut, whole, "the events depend on the chunking");

    let mut aggregate = StreamAggregate::new();
    let mut decoded = 0u64;
    for (name, data) in &cut.events {
        if let Ok(event) = decode_stream_event(name, data, with_content) {
            decoded += 1;
            aggregate.apply(&event);
        }
    }
    assert_eq!(aggregate.event_count(), decoded);
    assert!(matches!(
        aggregate.terminal(),
        "done" | "error" | "truncated"
    ));
    let json = aggregate.to_expected_json();
    assert_eq!(json["event_count"], decoded);
    let _ = aggregate.outputs();
});
