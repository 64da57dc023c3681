//! Part 2, streaming turns, sent as fast as loopback allows: a ~5 MB stream of 20,000 deltas
//! and the recorded tool and handoff streams; time to first byte and total.

use std::error::Error;
use std::time::Duration;

use crate::cpu::Mark;
use crate::report::{Goal, Out, fmt_num};
use crate::setup::Variant;
use crate::stats::{median, us};
use crate::{Ctx, calls, data};

struct Plan {
    case: &'static str,
    reps: usize,
    block: usize,
    warmup: usize,
}

pub async fn run(ctx: &Ctx, out: &mut Out) -> Result<(), Box<dyn Error>> {
    let q = ctx.quick;
    let plans = [
        Plan {
            case: data::STREAM_5MB,
            reps: if q { 6 } else { 21 },
            block: 3,
            warmup: 2,
        },
        Plan {
            case: data::FIXTURE_STREAMS[0],
            reps: if q { 60 } else { 300 },
            block: if q { 20 } else { 50 },
            warmup: 20,
        },
        Plan {
            case: data::FIXTURE_STREAMS[1],
            reps: if q { 60 } else { 300 },
            block: if q { 20 } else { 50 },
            warmup: 20,
        },
    ];
    out.line("\n## 2. Streaming turns (medians; TTFB = send to first body chunk)");
    let base = ctx.servers.fast.base_url();
    let body = &ctx.data.stream_request;
    for plan in plans {
        for variant in Variant::ABC {
            for _ in 0..plan.warmup {
                calls::stream(ctx.clients.get(variant), &base, plan.case, body).await?;
            }
        }
        ctx.pipelines.flush();
        let mut ttfb: [Vec<Duration>; 3] = Default::default();
        let mut total: [Vec<Duration>; 3] = Default::default();
        let mut cpu = [Duration::ZERO; 3];
        let mut shape = (0usize, 0usize);
        let mut first_bytes: [Vec<usize>; 3] = Default::default();
        for block in 0..plan.reps.div_ceil(plan.block) {
            for k in 0..3 {
                let slot = (block + k) % 3;
                let variant = Variant::ABC[slot];
                let mark = Mark::now();
                for _ in 0..plan.block {
                    let t = calls::stream(ctx.clients.get(variant), &base, plan.case, body).await?;
                    ttfb[slot].push(t.first);
                    first_bytes[slot].push(t.first_bytes);
                    total[slot].push(t.total);
                    if slot == 0 {
                        shape = (t.bytes, t.chunks);
                    }
                }
                ctx.pipelines.flush_variant(variant);
                cpu[slot] += mark.client_since();
                crate::setup::let_servers_settle().await;
            }
        }
        let runs = u32::try_from(ttfb[0].len()).unwrap_or(u32::MAX);
        let events = ctx
            .data
            .body(plan.case)
            .map_or(0, |b| b.windows(7).filter(|w| w == b"event: ").count());
        out.line(format!(
            "\n{}: {} bytes, {events} events, {} chunks as (a) received them (avg {} B), {runs} runs each",
            plan.case,
            shape.0,
            shape.1,
            shape.0 / shape.1.max(1)
        ));
        out.line(format!(
            "{:<22} {:>12} {:>12} {:>14} {:>14} {:>12} {:>14}",
            "variant",
            "TTFB µs",
            "total µs",
            "client CPU µs",
            "TTFB - (a) µs",
            "total/(a)",
            "1st chunk B"
        ));
        let med_ttfb: Vec<Duration> = ttfb.iter().map(|s| median(s)).collect();
        let med_total: Vec<Duration> = total.iter().map(|s| median(s)).collect();
        for (slot, variant) in Variant::ABC.iter().enumerate() {
            let mut firsts = first_bytes[slot].clone();
            firsts.sort_unstable();
            out.line(format!(
                "{:<22} {:>12.1} {:>12.1} {:>14.1} {:>14} {:>12.3} {:>14}",
                variant.label(),
                us(med_ttfb[slot]),
                us(med_total[slot]),
                us(cpu[slot] / runs),
                fmt_num(us(med_ttfb[slot]) - us(med_ttfb[0])),
                us(med_total[slot]) / us(med_total[0]).max(f64::MIN_POSITIVE),
                firsts.get(firsts.len() / 2).copied().unwrap_or(0),
            ));
        }
        // the goals are on the 5 MB stream; the recorded streams are printed for reference
        if plan.case == data::STREAM_5MB {
            out.goal(Goal::at_most(
                "5 MB loopback stream, total time (b)/(a)",
                us(med_total[1]) / us(med_total[0]).max(f64::MIN_POSITIVE),
                1.5,
                "x",
            ));
            out.goal(
                Goal::at_most(
                    "first byte of the 5 MB stream, added over (a)",
                    us(med_ttfb[1]) - us(med_ttfb[0]),
                    50.0,
                    "µs",
                )
                .target_note("(on a quiet run)"),
            );
        }
    }
    ctx.servers.receiver.clear();
    Ok(())
}
