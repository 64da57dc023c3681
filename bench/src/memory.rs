//! Part 4, memory held by the process (counting allocator) while streams are in flight.

use std::error::Error;
use std::time::Duration;

use crate::report::{Goal, Out};
use crate::setup::Variant;
use crate::stats::kib;
use crate::{Ctx, alloc, data};

/// The middleware's capture budget for one stream: 4 × the 32 KiB attribute cap.
const CAPTURE_BUDGET: f64 = 4.0 * 32.0 * 1024.0;
/// Slack on top of the budget and the capture-off state in the in-flight goal.
const SLACK: f64 = 64.0 * 1024.0;

async fn settle(ctx: &Ctx) {
    ctx.pipelines.flush();
    ctx.servers.receiver.clear();
    tokio::time::sleep(Duration::from_millis(200)).await;
}

/// Bytes above the level before the request while one stream is read to its end.
#[derive(Debug, Clone, Copy)]
struct Held {
    /// Highest level, transients (end-of-stream rendering) included.
    peak: f64,
    /// Most held between two chunks in the first half of the body.
    first_half: f64,
    /// Most held between two chunks from the half to 95% of the body (the end, where the
    /// turn finishes and renders its output, is left to `peak`).
    second_half: f64,
}

impl Held {
    fn min(self, other: Held) -> Held {
        Held {
            peak: self.peak.min(other.peak),
            first_half: self.first_half.min(other.first_half),
            second_half: self.second_half.min(other.second_half),
        }
    }
}

/// One stream from the paced server, read chunk by chunk, each chunk dropped at once.
async fn one_stream(ctx: &Ctx, variant: Variant, case: &str) -> Result<Held, Box<dyn Error>> {
    settle(ctx).await;
    let client = ctx.clients.get(variant);
    let base = ctx.servers.paced.base_url();
    let total = ctx.data.body(case).map_or(0, |b| b.len());
    let (half, most) = (total / 2, total / 100 * 95);
    let baseline = alloc::current();
    alloc::reset_peak();
    let mut response = client
        .post(format!("{base}/v1/conversations"))
        .header(mistral_mock::CASE_HEADER, case)
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .body(ctx.data.stream_request.clone())
        .send()
        .await?;
    let (mut read, mut first_half, mut second_half) = (0usize, 0usize, 0usize);
    while let Some(chunk) = response.chunk().await? {
        read += chunk.len();
        drop(chunk);
        let held = alloc::current().saturating_sub(baseline);
        if read <= half {
            first_half = first_half.max(held);
        } else if read <= most {
            second_half = second_half.max(held);
        }
    }
    let peak = alloc::peak().saturating_sub(baseline);
    drop(response);
    Ok(Held {
        peak: peak as f64,
        first_half: first_half as f64,
        second_half: second_half as f64,
    })
}

/// Bytes per stream with `n` streams open after their first chunk.
async fn concurrent(ctx: &Ctx, variant: Variant, n: usize) -> Result<f64, Box<dyn Error>> {
    settle(ctx).await;
    let client = ctx.clients.get(variant);
    let base = ctx.servers.slow.base_url();
    let baseline = alloc::current();
    let mut open = Vec::with_capacity(n);
    for _ in 0..n {
        open.push(
            crate::calls::open_stream(client, &base, data::STREAM_5MB, &ctx.data.stream_request)
                .await?,
        );
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let live = alloc::current().saturating_sub(baseline) as f64;
    drop(open);
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(live / n as f64)
}

pub async fn run(ctx: &Ctx, out: &mut Out) -> Result<(), Box<dyn Error>> {
    out.line(
        "\n## 4. Memory (counting global allocator, bytes above the level before the request)",
    );
    let runs = if ctx.quick { 2 } else { 5 };
    out.line(format!(
        "one ~50 MB stream ({} events) read to its end, 32 KiB pieces 1 ms apart, least of \
         {runs} runs (hyper's read buffer grows in 64-400 KiB steps whenever the reader falls \
         behind, which only ever adds):",
        ctx.data.stream_50mb_events
    ));
    out.line(format!(
        "  {:<32} {:>10} {:>18} {:>18}",
        "variant", "peak KiB", "held 0-50% KiB", "held 50-95% KiB"
    ));
    let variants = [Variant::Bare, Variant::Ours, Variant::OursCapture];
    let mut least: Vec<Option<Held>> = vec![None; variants.len()];
    for _ in 0..runs {
        for (slot, variant) in variants.iter().enumerate() {
            let held = one_stream(ctx, *variant, data::STREAM_50MB).await?;
            if let Some(l) = least.get_mut(slot) {
                *l = Some(l.map_or(held, |l| l.min(held)));
            }
        }
    }
    let least: Vec<Held> = least.into_iter().flatten().collect();
    for (held, variant) in least.iter().zip(variants) {
        out.line(format!(
            "  {:<32} {:>10.1} {:>18.1} {:>18.1}",
            variant.label(),
            kib(held.peak),
            kib(held.first_half),
            kib(held.second_half),
        ));
    }
    let [bare, off, on] = least.as_slice() else {
        return Err("missing memory runs".into());
    };
    let share_off = off.second_half - bare.second_half;
    let share_on = on.second_half - bare.second_half;
    let growth = on.second_half - on.first_half;
    out.line(format!(
        "  middleware share while in flight (50-95%): capture off {:.1} KiB, capture on {:.1} KiB; \
         peak share with capture on (end-of-stream rendering) {:.1} KiB",
        kib(share_off),
        kib(share_on),
        kib(on.peak - bare.peak)
    ));
    out.goal(Goal::at_most(
        "memory: 50 MB stream in flight, capture on: share <= 128 KiB budget + capture-off share + 64 KiB",
        kib(share_on),
        kib(CAPTURE_BUDGET + share_off.max(0.0) + SLACK),
        "KiB",
    ));
    out.goal(Goal::at_most(
        "memory: 50 MB stream, capture on: growth from 0-50% to 50-95%",
        kib(growth),
        16.0,
        "KiB",
    ));

    let n = if ctx.quick { 200 } else { 1000 };
    out.line(format!(
        "{n} concurrent streams held open after their first 2 KiB chunk (capture off):"
    ));
    let mut per = Vec::new();
    for variant in [Variant::Bare, Variant::Ours, Variant::Peer] {
        let bytes = concurrent(ctx, variant, n).await?;
        per.push(bytes);
        out.line(format!(
            "  {:<32} {:>9.1} KiB per stream (whole process: client + server side)",
            variant.label(),
            kib(bytes)
        ));
    }
    let ours = per.get(1).copied().unwrap_or(0.0) - per.first().copied().unwrap_or(0.0);
    let peer = per.get(2).copied().unwrap_or(0.0) - per.first().copied().unwrap_or(0.0);
    out.line(format!(
        "  middleware share per stream: (b) {:.2} KiB, (c) {:.2} KiB",
        kib(ours),
        kib(peer)
    ));
    out.goal(Goal::at_most(
        "memory: per in-flight stream, capture off, (b) - (a)",
        kib(ours),
        16.0,
        "KiB",
    ));
    Ok(())
}
