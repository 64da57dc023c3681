//! Part 1, plain turn: a ~10 KB web_search answer, sequential calls, (a) (b) (c) interleaved.

use std::error::Error;
use std::time::Duration;

use crate::cpu::Mark;
use crate::report::{Goal, Out, fmt_num, ratio};
use crate::setup::{OURS_SERVICE, PEER_SERVICE, Variant};
use crate::stats::{median, percentile, us};
use crate::{Ctx, calls, data};

const BLOCK: usize = 100;

/// Per-call figures of one variant.
#[derive(Debug, Clone, Copy, Default)]
pub struct PerCall {
    pub wall_median: Duration,
    pub wall_p90: Duration,
    pub cpu: Duration,
}

pub async fn run(ctx: &Ctx, out: &mut Out) -> Result<[PerCall; 3], Box<dyn Error>> {
    let n: usize = if ctx.quick { 300 } else { 2000 };
    let warmup = if ctx.quick { 50 } else { 200 };
    let base = ctx.servers.fast.base_url();
    let body = &ctx.data.plain_request;
    out.line(format!(
        "\n## 1. Plain turn: start with web_search, {} B response, {n} sequential calls per variant",
        ctx.data.plain_response.len()
    ));
    for variant in Variant::ABC {
        for _ in 0..warmup {
            calls::plain(ctx.clients.get(variant), &base, data::PLAIN, body).await?;
        }
    }
    ctx.pipelines.flush();
    ctx.servers.receiver.clear();

    let mut walls: [Vec<Duration>; 3] = Default::default();
    let mut cpu = [Duration::ZERO; 3];
    for block in 0..n.div_ceil(BLOCK) {
        for k in 0..3 {
            let slot = (block + k) % 3;
            let variant = Variant::ABC[slot];
            let client = ctx.clients.get(variant);
            let mark = Mark::now();
            for _ in 0..BLOCK {
                let t = calls::plain(client, &base, data::PLAIN, body).await?;
                walls[slot].push(t.total);
            }
            // the export of this block's spans is charged to this block
            ctx.pipelines.flush_variant(variant);
            cpu[slot] += mark.client_since();
            crate::setup::let_servers_settle().await;
        }
    }
    let calls_each = walls[0].len();
    let mut result = [PerCall::default(); 3];
    for (slot, r) in result.iter_mut().enumerate() {
        *r = PerCall {
            wall_median: median(&walls[slot]),
            wall_p90: percentile(&walls[slot], 90),
            cpu: cpu[slot] / u32::try_from(calls_each).unwrap_or(u32::MAX),
        };
    }

    let added_wall: Vec<f64> = result
        .iter()
        .map(|r| us(r.wall_median) - us(result[0].wall_median))
        .collect();
    let added_cpu: Vec<f64> = result
        .iter()
        .map(|r| us(r.cpu) - us(result[0].cpu))
        .collect();
    out.line(format!(
        "{:<22} {:>12} {:>12} {:>14} {:>16} {:>14} {:>16} {:>14}",
        "variant",
        "median µs",
        "p90 µs",
        "client CPU µs",
        "added median µs",
        "÷ (c) added",
        "added CPU µs",
        "÷ (c) added"
    ));
    let dash = || "-".to_owned();
    for (slot, variant) in Variant::ABC.iter().enumerate() {
        let r = result[slot];
        out.line(format!(
            "{:<22} {:>12.1} {:>12.1} {:>14.1} {:>16} {:>14} {:>16} {:>14}",
            variant.label(),
            us(r.wall_median),
            us(r.wall_p90),
            us(r.cpu),
            if slot == 0 {
                dash()
            } else {
                fmt_num(added_wall[slot])
            },
            if slot == 0 {
                dash()
            } else {
                fmt_num(ratio(added_wall[slot], added_wall[2]))
            },
            if slot == 0 {
                dash()
            } else {
                fmt_num(added_cpu[slot])
            },
            if slot == 0 {
                dash()
            } else {
                fmt_num(ratio(added_cpu[slot], added_cpu[2]))
            },
        ));
    }
    let ours_spans = ctx.servers.spans_of(OURS_SERVICE);
    let peer_spans = ctx.servers.spans_of(PEER_SERVICE);
    out.line(format!(
        "spans received: (b) {ours_spans} ({:.2}/call), (c) {peer_spans} ({:.2}/call)",
        ours_spans as f64 / calls_each as f64,
        peer_spans as f64 / calls_each as f64
    ));
    ctx.servers.receiver.clear();

    out.goal(Goal::at_most(
        "plain turn (10 KB response): (b) added CPU / (c) added CPU",
        ratio(added_cpu[1], added_cpu[2]),
        1.5,
        "x",
    ));
    out.goal(Goal::at_most(
        "plain turn: (b) added median wall / (c) added median wall",
        ratio(added_wall[1], added_wall[2]),
        1.5,
        "x",
    ));
    Ok(result)
}
