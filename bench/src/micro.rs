//! Part 3, per-event and per-response costs.
//!
//! The tap and the span-tree state machine are private to mistral-otel, so their cost is
//! taken end to end: a ~50 MB stream of 200,002 events read over loopback, client CPU
//! divided by events, against the same stream read by the bare client (the floor: a body
//! that only forwards frames). The wire layer alone (`SseParser` + `decode_stream_event`)
//! is timed in memory on the ~5 MB stream, fed in 16 KiB pieces. A ~50 MB streamed chat
//! completion is read end to end the same way, and the plain response's parse is set
//! against `serde_json` into `IgnoredAny` of the same bytes.

use std::error::Error;
use std::hint::black_box;
use std::time::{Duration, Instant};

use mistral_otel_wire::{
    SseParser, decode_stream_event, parse_conversation_response, parse_conversation_response_with,
};

use crate::cpu::Mark;
use crate::report::{Goal, Out};
use crate::setup::Variant;
use crate::stats::{median, median_f64, ns};
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
        out.line(format!("  {label:<48} {v:>8.1} ns/event ({events} events)"));
    }

    // end to end over loopback, client CPU per event
    let reps = if ctx.quick { 2 } else { 5 };
    let conversation = end_to_end(
        ctx,
        out,
        Served::Conversation,
        &format!(
            "\nend to end over loopback, a conversation stream of {} events (~50 MB), median of {reps} runs:",
            ctx.data.stream_50mb_events
        ),
        ctx.data.stream_50mb_events as f64,
        "ns/ev",
        reps,
    )
    .await?;
    out.goal(Goal::at_most(
        "SSE event, capture off: (b) x floor (CPU)",
        conversation[1],
        1.6,
        "x",
    ));
    out.goal(Goal::at_most(
        "SSE event, capture on: (b+) x floor (CPU)",
        conversation[2],
        8.0,
        "x",
    ));

    let chat_bytes = ctx.data.body(data::CHAT_STREAM_50MB).map_or(0, |b| b.len());
    let chat = end_to_end(
        ctx,
        out,
        Served::Chat,
        &format!(
            "\nstreamed chat completion end to end over loopback (POST {}): {} chunks in {:.1} MB \
             (role chunk, content chunks with \"p\" padding, stop + usage chunk, then [DONE]), \
             median of {reps} runs:",
            data::CHAT_PATH,
            ctx.data.chat_stream_chunks,
            chat_bytes as f64 / 1e6
        ),
        ctx.data.chat_stream_chunks as f64,
        "ns/chunk",
        reps,
    )
    .await?;
    out.goal(Goal::at_most(
        "streamed chat completion: (b) x floor (CPU), capture off",
        chat[1],
        1.6,
        "x",
    ));

    plain_parse(ctx, out);
    ctx.servers.receiver.clear();
    Ok(())
}

/// Which of the big streams an end-to-end run reads.
#[derive(Clone, Copy)]
enum Served {
    /// The ~50 MB conversation stream on `/v1/conversations`.
    Conversation,
    /// The ~50 MB chat completion stream on `/v1/chat/completions`.
    Chat,
}

/// One big stream read to its end by (a), (b), (b+) and (c), in rotating order, `reps`
/// times each: prints client CPU per event and returns each variant's "x floor (CPU)"
/// (client CPU of the variant / client CPU of (a)).
async fn end_to_end(
    ctx: &Ctx,
    out: &mut Out,
    served: Served,
    title: &str,
    events: f64,
    per: &str,
    reps: usize,
) -> Result<[f64; 4], Box<dyn Error>> {
    let base = ctx.servers.fast.base_url();
    let variants = [
        Variant::Bare,
        Variant::Ours,
        Variant::OursCapture,
        Variant::Peer,
    ];
    let call = |variant: Variant| {
        let client = ctx.clients.get(variant);
        let base = base.as_str();
        async move {
            match served {
                Served::Conversation => {
                    calls::stream(client, base, data::STREAM_50MB, &ctx.data.stream_request).await
                }
                Served::Chat => {
                    calls::chat_stream(client, base, data::CHAT_STREAM_50MB, &ctx.data.chat_request)
                        .await
                }
            }
        }
    };
    for v in variants {
        call(v).await?;
    }
    ctx.pipelines.flush();
    let mut cpu: [Vec<f64>; 4] = Default::default();
    let mut wall: [Vec<Duration>; 4] = Default::default();
    for rep in 0..reps {
        for k in 0..variants.len() {
            let slot = (rep + k) % variants.len();
            let variant = variants[slot];
            let mark = Mark::now();
            let t = call(variant).await?;
            ctx.pipelines.flush_variant(variant);
            cpu[slot].push(ns(mark.client_since()) / events);
            crate::setup::let_servers_settle().await;
            wall[slot].push(t.total);
        }
    }
    out.line(title);
    out.line(format!(
        "  {:<32} {:>18} {:>18} {:>16} {:>14}",
        "variant",
        format!("client CPU {per}"),
        format!("added {per}"),
        "x floor (CPU)",
        format!("wall {per}")
    ));
    let floor = median_f64(&cpu[0]);
    let mut times = [0.0f64; 4];
    for (slot, variant) in variants.iter().enumerate() {
        let c = median_f64(&cpu[slot]);
        times[slot] = c / floor.max(f64::MIN_POSITIVE);
        out.line(format!(
            "  {:<32} {:>18.1} {:>18.1} {:>16.2} {:>14.1}",
            if slot == 0 {
                "(a) bare = forward-only floor"
            } else {
                variant.label()
            },
            c,
            c - floor,
            times[slot],
            ns(median(&wall[slot])) / events,
        ));
    }
    Ok(times)
}

/// The plain response's wire parse against the least a JSON parser must do with the same
/// bytes (`serde_json` into `IgnoredAny`: tokenise and validate, build nothing), timed in
/// interleaved rounds.
fn plain_parse(ctx: &Ctx, out: &mut Out) {
    let response = &ctx.data.plain_response;
    let (rounds, batch) = if ctx.quick { (100, 20) } else { (500, 20) };
    type Parse = fn(&[u8]) -> bool;
    let parsers: [(&str, Parse); 3] = [
        ("serde_json::from_slice::<IgnoredAny> (floor)", |b| {
            serde_json::from_slice::<serde::de::IgnoredAny>(b).is_ok()
        }),
        ("parse_conversation_response_with(.., false)", |b| {
            parse_conversation_response_with(b, false).is_ok()
        }),
        ("parse_conversation_response", |b| {
            parse_conversation_response(b).is_ok()
        }),
    ];
    let mut times: [Vec<f64>; 3] = Default::default();
    for (slot, (_, parse)) in parsers.iter().enumerate() {
        for _ in 0..batch {
            black_box(parse(black_box(response)));
        }
        if let Some(t) = times.get_mut(slot) {
            t.reserve(rounds);
        }
    }
    for round in 0..rounds {
        for k in 0..parsers.len() {
            let slot = (round + k) % parsers.len();
            let (_, parse) = parsers[slot];
            let start = Instant::now();
            for _ in 0..batch {
                black_box(parse(black_box(response)));
            }
            times[slot].push(ns(start.elapsed()) / batch as f64);
        }
    }
    let medians: Vec<f64> = times.iter().map(|t| median_f64(t)).collect();
    let floor = medians[0].max(f64::MIN_POSITIVE);
    out.line(format!(
        "\nplain response of {} B in memory, median of {rounds} interleaved rounds of {batch} parses:",
        response.len()
    ));
    out.line(format!(
        "  {:<48} {:>10} {:>12}",
        "parser", "µs", "x IgnoredAny"
    ));
    for ((label, _), m) in parsers.iter().zip(&medians) {
        out.line(format!(
            "  {label:<48} {:>10.2} {:>12.2}",
            m / 1e3,
            m / floor
        ));
    }
    out.line(
        "  the middleware parses with parse_conversation_response_with(.., capture) \
         (crates/mistral-otel/src/record/plain.rs): capture off, the default, skips the \
         outputs' content, so the goal takes that path; parse_conversation_response is the \
         capture-on path",
    );
    out.goal(
        Goal::at_most(
            "parse_conversation_response, 10 KB, vs IgnoredAny of the same bytes",
            medians[1] / floor,
            2.0,
            "x",
        )
        .target_note("(capture-off path: parse_conversation_response_with(.., false))"),
    );
}
