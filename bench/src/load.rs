//! Part 7, throughput under load: 64 tasks on a 2-worker multi-thread runtime send calls
//! back to back to the fast mock for a fixed time, per variant (a), (b), (c): plain turns
//! (the ~10 KB answer), then short streams (the recorded `start_stream_tools`, read to the
//! end). Calls per second, the spans (b) started, exported and dropped, and the process
//! memory through the (b) runs.
//!
//! The runtime is built here, and the clients with it (hyper's pool spawns its connection
//! tasks on the runtime that opens them), on the export pipelines every phase uses.

use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest_middleware::ClientWithMiddleware;
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

use crate::cpu::Mark;
use crate::report::{Goal, Out};
use crate::setup::{Clients, OURS_SERVICE, PEER_SERVICE, Variant};
use crate::stats::us;
use crate::{Ctx, alloc, calls, data};

/// Concurrent callers.
const TASKS: usize = 64;
/// Worker threads of the load runtime.
const WORKERS: usize = 2;
/// Sequential calls that tell how many spans a call makes.
const TRIAL_CALLS: usize = 20;
/// How far the last third of the memory samples may stray from the first third and still
/// read as flat.
const FLAT_SLACK: f64 = 4.0 * 1024.0 * 1024.0;

/// What each caller sends.
#[derive(Clone, Copy)]
enum Work {
    /// `bench_plain_10k`: a start answered with ~10 KB of JSON.
    Plain,
    /// `start_stream_tools`: a short recorded stream, read to its end.
    Stream,
}

impl Work {
    fn title(self) -> &'static str {
        match self {
            Work::Plain => "plain turns (bench_plain_10k, ~10 KB answer)",
            Work::Stream => "short streams (start_stream_tools, read to the end)",
        }
    }

    fn goal(self) -> &'static str {
        match self {
            Work::Plain => "throughput under load, plain turns: (b) calls/s / (a)",
            Work::Stream => "throughput under load, short streams: (b) calls/s / (a)",
        }
    }

    fn body(self, ctx: &Ctx) -> Bytes {
        match self {
            Work::Plain => ctx.data.plain_request.clone(),
            Work::Stream => ctx.data.stream_request.clone(),
        }
    }

    async fn call(
        self,
        client: &ClientWithMiddleware,
        base: &str,
        body: &Bytes,
    ) -> Result<(), String> {
        let done = match self {
            Work::Plain => calls::plain(client, base, data::PLAIN, body).await,
            Work::Stream => calls::stream(client, base, data::FIXTURE_STREAMS[0], body).await,
        };
        done.map(|_| ()).map_err(|e| e.to_string())
    }
}

/// One caller: calls until the deadline, counting them.
async fn caller(
    work: Work,
    client: ClientWithMiddleware,
    base: Arc<str>,
    body: Bytes,
    deadline: Instant,
    done: Arc<AtomicU64>,
) -> (u64, Option<String>) {
    let mut errors = 0;
    let mut first_error = None;
    while Instant::now() < deadline {
        match work.call(&client, &base, &body).await {
            Ok(()) => {
                done.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                errors += 1;
                first_error.get_or_insert(e);
            }
        }
    }
    (errors, first_error)
}

/// Memory at one point of a run.
#[derive(Clone, Copy)]
struct Sample {
    /// Seconds since the start of the run.
    at: f64,
    /// `alloc::current()`: the whole process.
    process: f64,
    /// `alloc::client_current()`: without what the server threads hold.
    client: f64,
}

struct Run {
    calls: u64,
    errors: u64,
    first_error: Option<String>,
    elapsed: Duration,
    /// Client CPU over the run (process minus server threads).
    cpu: Duration,
    /// CPU of the server threads (mock and OTLP receiver) over the run.
    servers: Duration,
    samples: Vec<Sample>,
}

impl Run {
    fn per_second(&self) -> f64 {
        self.calls as f64 / self.elapsed.as_secs_f64().max(f64::MIN_POSITIVE)
    }
}

fn sample(start: Instant) -> Sample {
    Sample {
        at: start.elapsed().as_secs_f64(),
        process: alloc::current() as f64,
        client: alloc::client_current() as f64,
    }
}

/// `TASKS` callers for `length`; memory sampled at the start, every second and at the end.
fn run_for(
    runtime: &Runtime,
    work: Work,
    client: &ClientWithMiddleware,
    base: &Arc<str>,
    body: &Bytes,
    length: Duration,
) -> Run {
    runtime.block_on(async {
        let done = Arc::new(AtomicU64::new(0));
        let mark = Mark::now();
        let servers = crate::cpu::servers();
        let start = Instant::now();
        let deadline = start + length;
        let mut samples = vec![sample(start)];
        let mut callers = JoinSet::new();
        for _ in 0..TASKS {
            callers.spawn(caller(
                work,
                client.clone(),
                Arc::clone(base),
                body.clone(),
                deadline,
                Arc::clone(&done),
            ));
        }
        let second = Duration::from_secs(1);
        let mut tick = tokio::time::interval_at((start + second).into(), second);
        let (mut errors, mut first_error) = (0, None);
        loop {
            tokio::select! {
                joined = callers.join_next() => match joined {
                    Some(Ok((e, first))) => {
                        errors += e;
                        if first_error.is_none() {
                            first_error = first;
                        }
                    }
                    Some(Err(join)) => {
                        errors += 1;
                        first_error.get_or_insert(join.to_string());
                    }
                    None => break,
                },
                _ = tick.tick() => samples.push(sample(start)),
            }
        }
        let elapsed = start.elapsed();
        let cpu = mark.client_since();
        let servers = crate::cpu::servers().saturating_sub(servers);
        samples.push(sample(start));
        Run {
            calls: done.load(Ordering::Relaxed),
            errors,
            first_error,
            elapsed,
            cpu,
            servers,
            samples,
        }
    })
}

/// Flushes everything, forgets what the receiver holds and lets the servers go quiet.
fn settle(ctx: &Ctx) {
    ctx.pipelines.flush();
    ctx.servers.receiver.clear();
    std::thread::sleep(Duration::from_millis(300));
}

/// Flushes `variant`'s pipeline and waits until the receiver has taken no export for a
/// while: a flush of a long queue may outlast the SDK's 5 s flush timeout, its worker
/// exporting on after the flush call has returned.
fn flush_and_wait(ctx: &Ctx, variant: Variant) {
    ctx.pipelines.flush_variant(variant);
    let until = Instant::now() + Duration::from_secs(60);
    let mut last = ctx.servers.receiver.total_bytes();
    let mut quiet = 0;
    while quiet < 3 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(200));
        let now = ctx.servers.receiver.total_bytes();
        quiet = if now == last { quiet + 1 } else { 0 };
        last = now;
    }
}

/// Spans one call of `work` makes in `variant`, from `TRIAL_CALLS` sequential calls.
fn spans_per_call(
    ctx: &Ctx,
    runtime: &Runtime,
    work: Work,
    client: &ClientWithMiddleware,
    variant: Variant,
    service: &str,
) -> Result<f64, Box<dyn Error>> {
    settle(ctx);
    let base = ctx.servers.fast.base_url();
    let body = work.body(ctx);
    runtime.block_on(async {
        for _ in 0..TRIAL_CALLS {
            work.call(client, &base, &body).await?;
        }
        Ok::<_, String>(())
    })?;
    ctx.pipelines.flush_variant(variant);
    Ok(ctx.servers.spans_of(service) as f64 / TRIAL_CALLS as f64)
}

/// The batch span processor's settings in effect: both SDKs read the same variables,
/// and `mistral-otel-export` sets only the delay (`OtlpConfig::batch_delay`, unused here).
fn bsp_settings() -> String {
    let setting = |var: &str, default: &str| {
        std::env::var(var).map_or_else(
            |_| format!("{default} (default)"),
            |v| format!("{v} (from {var})"),
        )
    };
    format!(
        "max queue {}, export batch {}, delay {} ms, one export at a time",
        setting("OTEL_BSP_MAX_QUEUE_SIZE", "2048"),
        setting("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "512"),
        setting("OTEL_BSP_SCHEDULE_DELAY", "5000"),
    )
}

fn mib(bytes: f64) -> f64 {
    bytes / (1024.0 * 1024.0)
}

/// "flat" when every sample of the last third lies within `FLAT_SLACK` of the range of
/// the first third; else how far it went.
fn flatness(values: &[f64]) -> String {
    let third = (values.len() / 3).max(1);
    let first = values.get(..third).unwrap_or_default();
    let last = values
        .get(values.len().saturating_sub(third)..)
        .unwrap_or_default();
    let lo = first.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = first.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let last_lo = last.iter().copied().fold(f64::INFINITY, f64::min);
    let last_hi = last.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let over = (last_hi - hi).max(lo - last_lo);
    if over <= FLAT_SLACK {
        format!(
            "flat (last third within {:.1} MiB of the first third's range)",
            mib(over.max(0.0))
        )
    } else if last_hi > hi {
        format!(
            "GROWING: last third up to {:.1} MiB above the first third",
            mib(last_hi - hi)
        )
    } else {
        format!(
            "shrinking: last third down to {:.1} MiB below the first third",
            mib(lo - last_lo)
        )
    }
}

pub fn run(ctx: &Ctx, out: &mut Out) -> Result<(), Box<dyn Error>> {
    let length = Duration::from_secs(if ctx.quick { 3 } else { 10 });
    out.line(format!(
        "\n## 7. Throughput under load: {TASKS} tasks calling back to back for {} s per \
         variant, on a multi-thread runtime with {WORKERS} worker threads, against the fast mock",
        length.as_secs()
    ));
    out.line(format!(
        "batch span processor of both pipelines: {}",
        bsp_settings()
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .thread_name("bench-load")
        .enable_all()
        .build()?;
    let clients = {
        let _entered = runtime.enter();
        Clients::new(&ctx.pipelines)?
    };
    let base: Arc<str> = Arc::from(ctx.servers.fast.base_url());
    for work in [Work::Plain, Work::Stream] {
        let body = work.body(ctx);
        out.line(format!("\n{}:", work.title()));
        // one connection per caller in each pool, and the code paths warm
        for variant in Variant::ABC {
            run_for(
                &runtime,
                work,
                clients.get(variant),
                &base,
                &body,
                Duration::from_millis(500),
            );
        }
        let per_call_b = spans_per_call(
            ctx,
            &runtime,
            work,
            clients.get(Variant::Ours),
            Variant::Ours,
            OURS_SERVICE,
        )?;
        let per_call_c = spans_per_call(
            ctx,
            &runtime,
            work,
            clients.get(Variant::Peer),
            Variant::Peer,
            PEER_SERVICE,
        )?;

        let mut runs = Vec::new();
        let mut spans = Vec::new();
        for variant in Variant::ABC {
            settle(ctx);
            let run = run_for(&runtime, work, clients.get(variant), &base, &body, length);
            // what the processor still holds goes out now; what it dropped never will
            flush_and_wait(ctx, variant);
            let (per_call, service) = match variant {
                Variant::Ours | Variant::OursCapture => (per_call_b, OURS_SERVICE),
                Variant::Peer => (per_call_c, PEER_SERVICE),
                Variant::Bare => (0.0, ""),
            };
            let started = (run.calls as f64 * per_call).round();
            let received = if service.is_empty() {
                0.0
            } else {
                ctx.servers.spans_of(service) as f64
            };
            spans.push((started, received));
            runs.push(run);
        }
        ctx.servers.receiver.clear();

        out.line(format!(
            "  {:<22} {:>9} {:>10} {:>8} {:>14} {:>12} {:>13} {:>14} {:>13}",
            "variant",
            "calls",
            "calls/s",
            "÷ (a)",
            "client CPU µs",
            "servers CPU",
            "spans started",
            "spans exported",
            "spans dropped"
        ));
        let floor = runs.first().map_or(0.0, Run::per_second);
        for ((variant, run), (started, received)) in Variant::ABC.iter().zip(&runs).zip(&spans) {
            let instrumented = *variant != Variant::Bare;
            let dash = || "-".to_owned();
            out.line(format!(
                "  {:<22} {:>9} {:>10.0} {:>8.3} {:>14.1} {:>11.0}% {:>13} {:>14} {:>13}",
                variant.label(),
                run.calls,
                run.per_second(),
                run.per_second() / floor.max(f64::MIN_POSITIVE),
                us(run.cpu) / run.calls.max(1) as f64,
                100.0 * run.servers.as_secs_f64()
                    / run.elapsed.as_secs_f64().max(f64::MIN_POSITIVE),
                if instrumented {
                    format!("{started:.0}")
                } else {
                    dash()
                },
                if instrumented {
                    format!("{received:.0}")
                } else {
                    dash()
                },
                if instrumented {
                    format!("{:.0}", started - received)
                } else {
                    dash()
                },
            ));
            if run.errors > 0 {
                out.line(format!(
                    "    {} calls failed, first: {}",
                    run.errors,
                    run.first_error.as_deref().unwrap_or("?")
                ));
            }
        }
        out.line(format!(
            "  spans per call (from {TRIAL_CALLS} sequential calls): (b) {per_call_b:.2}, (c) {per_call_c:.2}; \
             started = calls × spans per call, exported = received by the OTLP receiver after \
             a flush, dropped = started − exported; client CPU per call includes the exporters; servers \
             CPU = the mock's and the OTLP receiver's threads, in % of one vCPU over the run"
        ));
        if let Some(ours) = runs.get(1) {
            memory_lines(out, ours);
        }
        let dropped = |slot: usize| spans.get(slot).map_or(0.0, |(s, r)| s - r);
        if dropped(1) > 0.0 || dropped(2) > 0.0 {
            drop_lines(out, &runs, &spans);
        }
        let ratio = runs.get(1).map_or(0.0, Run::per_second) / floor.max(f64::MIN_POSITIVE);
        out.goal(Goal::at_least(work.goal(), ratio, 0.9, "x"));
    }
    drop(clients);
    runtime.shutdown_timeout(Duration::from_secs(5));
    Ok(())
}

fn memory_lines(out: &mut Out, run: &Run) {
    let list = |f: fn(&Sample) -> f64| {
        run.samples
            .iter()
            .map(|s| format!("{:.1}", mib(f(s))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let at = run
        .samples
        .iter()
        .map(|s| format!("{:.1}", s.at))
        .collect::<Vec<_>>()
        .join(" ");
    out.line(format!(
        "  (b) memory at the start, every second and at the end (s: {at}):"
    ));
    let process: Vec<f64> = run.samples.iter().map(|s| s.process).collect();
    let client: Vec<f64> = run.samples.iter().map(|s| s.client).collect();
    out.line(format!(
        "    process (alloc::current(); it includes the mock's request log and the OTLP \
         receiver's store, which keep every request and every span received), MiB: {}: {}",
        list(|s| s.process),
        flatness(&process)
    ));
    let first = client.first().copied().unwrap_or(0.0);
    out.line(format!(
        "    client side (alloc::client_current(): without what the server threads hold), \
         MiB above the start: {}: {}",
        run.samples
            .iter()
            .map(|s| format!("{:.1}", mib(s.client - first)))
            .collect::<Vec<_>>()
            .join(" "),
        flatness(&client)
    ));
}

fn drop_lines(out: &mut Out, runs: &[Run], spans: &[(f64, f64)]) {
    let rate = |slot: usize| {
        let secs = runs
            .get(slot)
            .map_or(f64::MAX, |r| r.elapsed.as_secs_f64().max(f64::MIN_POSITIVE));
        spans
            .get(slot)
            .map_or((0.0, 0.0), |(s, r)| (s / secs, r / secs))
    };
    let (started_b, exported_b) = rate(1);
    let (started_c, exported_c) = rate(2);
    out.line(format!(
        "  spans dropped: (b) ended {started_b:.0} spans/s and exported {exported_b:.0}/s \
         (~{:.0} exports of 512 a second); (c) ended {started_c:.0}/s and exported {exported_c:.0}/s.",
        exported_b / 512.0
    ));
    out.line(
        "  Both pipelines end spans into the SDK's thread-based BatchSpanProcessor \
         (crates/mistral-otel-export/src/pipeline.rs, the SDK's defaults unless set): a queue of max_queue_size spans (OTEL_BSP_MAX_QUEUE_SIZE, 2048) \
         drained by one worker in exports of max_export_batch_size spans \
         (OTEL_BSP_MAX_EXPORT_BATCH_SIZE, 512), one export at a time, each waited for; a span \
         that ends while the queue is full is dropped. With the callers keeping both vCPUs \
         busy, each export's round trip (worker -> export thread -> receiver and back) waits \
         for CPU, so exports/s, not spans/s, is the limit: the export batch size is the \
         setting that holds them. Re-running this phase with the variables set (10 s runs on \
         this machine): OTEL_BSP_MAX_EXPORT_BATCH_SIZE=2048 cut the drops of (b) from ~55-63% \
         to ~1-3% with memory flat; OTEL_BSP_MAX_QUEUE_SIZE=1000000 dropped nothing but the \
         backlog grew by ~13-16 MiB/s of client memory (a bigger queue only postpones the \
         drops); OTEL_BSP_SCHEDULE_DELAY=100 changed nothing; a queue of 8192 with batches of \
         2048 (OTEL_BSP_* or OtlpConfig::max_queue_size / max_export_batch_size) dropped \
         nothing, memory flat.",
    );
}
