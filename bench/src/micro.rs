//! Part 3, per-event and per-response costs.
//!
//! The tap and the span-tree state machine are private to mistral-otel, so their cost is
//! taken end to end: a ~50 MB stream of 200,002 events read over loopback, client CPU
//! divided by events, against the same stream read by the bare client (the floor: a body
//! that only forwards frames). The wire layer alone (`SseParser` + `decode_stream_event`)
//! is timed in memory on the ~5 MB stream, fed in 16 KiB pieces.

use std::error::Error;
use std::hint::black_box;
use std::time::{Duration, Instant};

use mistral_otel_wire::{SseParser, decode_stream_event, parse_conversation_response};

use crate::cpu::Mark;
use crate::report::{Goal, Out};
use crate::setup::Variant;
use crate::stats::{median, median_f64, ns, us};
use crate::{Ctx, calls, data};

const PIECE: usize = 16 * 1024;

/// Time to push `body` through a parser, decoding each event when `decode` is set.
fn wire_pass(body: &[u8], decode: Option<bool>) -> (Duration, usize) {
    let start = Instant::now();
    let mut parser = SseParser::new();
    let mut events = 0usize;
    let mut on_event = |event: mistral_otel_wire::SseEvent<'_>| {
        events += 1;
        match decode {
            Some(capture) => {
                let _ = black_box(decode_stream_event(event.event, event.data, capture));
            }
            None => {
                black_box(event.data.len());
            }
        }
    };
    for piece in body.chunks(PIECE) {
        let _ = parser.push(piece, &mut on_event);
    }
    let _ = parser.finish(&mut on_event);
    (start.elapsed(), events)
}

pub async fn run(ctx: &Ctx, out: &mut Out) -> Result<(), Box<dyn Error>> {
    out.line("\n## 3. Micro: per SSE event and per plain response");

    // wire layer alone
    let runs = if ctx.quick { 3 } else { 9 };
    let body = &ctx.data.stream_5mb;
    out.line(format!(
        "wire layer in memory, {} events in {} KiB pieces, median of {runs} passes:",
        ctx.data.stream_5mb_events,
        PIECE / 1024
    ));
    let mut wire = Vec::new();
    for (label, decode) in [
        ("SseParser only", None),
        ("SseParser + decode_stream_event, capture off", Some(false)),
        ("SseParser + decode_stream_event, capture on", Some(true)),
    ] {
        let _ = wire_pass(body, decode);
        let mut per = Vec::new();
        let mut events = 0;
        for _ in 0..runs {
            let (d, n) = wire_pass(body, decode);
            events = n;
            per.push(ns(d) / n.max(1) as f64);
        }
        let v = median_f64(&per);
        wire.push(v);
        out.line(format!("  {label:<48} {v:>8.1} ns/event ({events} events)"));
    }

    // end to end over loopback, client CPU per event
    let reps = if ctx.quick { 2 } else { 5 };
    let events = ctx.data.stream_50mb_events as f64;
    let base = ctx.servers.fast.base_url();
    let request = &ctx.data.stream_request;
    let variants = [
        Variant::Bare,
        Variant::Ours,
        Variant::OursCapture,
        Variant::Peer,
    ];
    for v in variants {
        calls::stream(ctx.clients.get(v), &base, data::STREAM_50MB, request).await?;
    }
    ctx.pipelines.flush();
    let mut cpu: [Vec<f64>; 4] = Default::default();
    let mut wall: [Vec<Duration>; 4] = Default::default();
    for rep in 0..reps {
        for k in 0..variants.len() {
            let slot = (rep + k) % variants.len();
            let variant = variants[slot];
            let mark = Mark::now();
            let t =
                calls::stream(ctx.clients.get(variant), &base, data::STREAM_50MB, request).await?;
            ctx.pipelines.flush_variant(variant);
            cpu[slot].push(ns(mark.client_since()) / events);
            crate::setup::let_servers_settle().await;
            wall[slot].push(t.total);
        }
    }
    out.line(format!(
        "\nend to end over loopback, {} events (~50 MB), median of {reps} runs:",
        ctx.data.stream_50mb_events
    ));
    out.line(format!(
        "  {:<32} {:>16} {:>16} {:>16} {:>12}",
        "variant", "client CPU ns/ev", "added ns/ev", "x floor (CPU)", "wall ns/ev"
    ));
    let floor = median_f64(&cpu[0]);
    let mut added = [0.0f64; 4];
    for (slot, variant) in variants.iter().enumerate() {
        let c = median_f64(&cpu[slot]);
        added[slot] = c - floor;
        out.line(format!(
            "  {:<32} {:>16.1} {:>16.1} {:>16.2} {:>12.1}",
            if slot == 0 {
                "(a) bare = forward-only floor"
            } else {
                variant.label()
            },
            c,
            added[slot],
            c / floor.max(f64::MIN_POSITIVE),
            ns(median(&wall[slot])) / events,
        ));
    }
    out.goal(Goal::at_most(
        "micro: added CPU per SSE event, capture off",
        added[1],
        150.0,
        "ns",
    ));
    out.goal(Goal::at_most(
        "micro: added CPU per SSE event, capture on",
        added[2],
        1000.0,
        "ns",
    ));
    out.goal(Goal::at_most(
        "micro: wire parse+decode per event, capture off",
        wire[1],
        150.0,
        "ns",
    ));
    out.goal(Goal::at_most(
        "micro: wire parse+decode per event, capture on",
        wire[2],
        1000.0,
        "ns",
    ));

    // plain response: the wire parse alone (the rest is in part 1's added CPU)
    let response = &ctx.data.plain_response;
    let iterations = if ctx.quick { 500 } else { 5000 };
    let start = Instant::now();
    for _ in 0..iterations {
        let _ = black_box(parse_conversation_response(black_box(response)));
    }
    let per = start.elapsed() / iterations;
    out.line(format!(
        "\nplain response: parse_conversation_response of {} B: {:.1} µs",
        response.len(),
        us(per)
    ));
    ctx.servers.receiver.clear();
    Ok(())
}
