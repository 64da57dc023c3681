//! Loopback benchmarks of mistral-otel: a bare reqwest_middleware client (a), mistral-otel
//! exporting OTLP/gRPC (b), and reqwest-tracing + tracing-opentelemetry exporting OTLP/gRPC
//! (c), against the mock Mistral server and an in-process OTLP receiver.
//!
//! `cargo run --release -- [--quick] [--only plain|stream|micro|canned|memory|scaling|uploads|load]`:
//! 1 plain turns, 2 streaming turns, 3 per-event and per-response costs (conversation and
//! chat completion streams, the plain response's parse), 4 memory, 5 scaling, 6 uploads,
//! 7 throughput under load. Prints figures and a goal table; never asserts on timings. A
//! full run (without `--quick` or `--only`) also writes `RESULTS.md` next to this crate.

mod alloc;
mod calls;
mod canned;
mod cpu;
mod data;
mod load;
mod memory;
mod micro;
mod plain;
mod report;
mod scaling;
mod setup;
mod stats;
mod stream;
mod uploads;

use std::error::Error;

use report::Out;
use setup::{Clients, Pipelines, Servers};

#[global_allocator]
static GLOBAL: alloc::Counting = alloc::Counting;

/// What every phase uses.
pub struct Ctx {
    pub quick: bool,
    pub data: data::Data,
    pub servers: Servers,
    pub pipelines: Pipelines,
    pub clients: Clients,
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    // `--only plain|stream|micro|canned|memory|scaling|uploads|load`: one phase, for profiling (no RESULTS.md)
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1).cloned());
    let runs = |phase: &str| only.as_deref().is_none_or(|o| o == phase);
    // `--profile plain|stream|chat a|b|b+|c`: 5 s of one call kind on one variant, under `perf record`
    let profile = args
        .iter()
        .position(|a| a == "--profile")
        .and_then(|i| Some((args.get(i + 1)?.clone(), args.get(i + 2)?.clone())));
    let mut out = Out::default();
    let machine = machine();
    out.line(format!(
        "# mistral-otel benchmarks{}",
        if quick { " (--quick)" } else { "" }
    ));
    out.line(&machine);
    out.line(
        "CPU = client-side CPU per call: getrusage(RUSAGE_SELF) minus the run time of the \
         mock server / OTLP receiver threads (/proc/self/task/*/schedstat); it includes the \
         exporters' threads, and each block's spans are flushed inside its window.",
    );

    let data = data::Data::load()?;
    let servers = Servers::start(&data)?;
    // The bench thread: a current-thread runtime, so a call's work (request future and
    // hyper's connection task) stays on one thread, as in a single-worker service.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let ctx = {
        let _entered = runtime.enter();
        let pipelines = Pipelines::start(&servers)?;
        let clients = Clients::new(&pipelines)?;
        Ctx {
            quick,
            data,
            servers,
            pipelines,
            clients,
        }
    };

    if let Some((kind, variant)) = profile {
        return runtime.block_on(profile_loop(&ctx, &kind, &variant));
    }

    runtime.block_on(async {
        if runs("plain") {
            plain::run(&ctx, &mut out).await?;
        }
        if runs("stream") {
            stream::run(&ctx, &mut out).await?;
        }
        if runs("micro") {
            micro::run(&ctx, &mut out).await?;
        }
        if runs("canned") {
            canned::run(&ctx, &mut out).await?;
        }
        if runs("memory") {
            memory::run(&ctx, &mut out).await?;
        }
        if runs("scaling") {
            scaling::run(&ctx, &mut out).await?;
        }
        if runs("uploads") {
            uploads::run(&ctx, &mut out).await?;
        }
        Ok::<_, Box<dyn Error>>(())
    })?;
    // on a runtime of its own (two workers), built inside: not from within the bench thread's
    if runs("load") {
        load::run(&ctx, &mut out)?;
    }

    out.line(format!("\n## Summary (at the end: {})", load_average()));
    out.line(HOW_TO_READ);
    let table = out.goal_table();
    out.line(table.trim_end());
    if !quick && only.is_none() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/RESULTS.md");
        std::fs::write(path, results_md(&machine, &out, &table))?;
        println!("\nwrote {path}");
    }

    let Ctx {
        servers, pipelines, ..
    } = ctx;
    drop(runtime);
    let _ = pipelines.ours.shutdown();
    let _ = pipelines.peer.shutdown();
    // the servers' runtime must be dropped outside any async context
    drop(servers);
    Ok(())
}

async fn profile_loop(ctx: &Ctx, kind: &str, variant: &str) -> Result<(), Box<dyn Error>> {
    let variant = match variant {
        "a" => setup::Variant::Bare,
        "b" => setup::Variant::Ours,
        "b+" => setup::Variant::OursCapture,
        "c" => setup::Variant::Peer,
        other => return Err(format!("unknown variant {other} (a, b, b+, c)").into()),
    };
    let client = ctx.clients.get(variant);
    let base = ctx.servers.fast.base_url();
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut n = 0u64;
    while std::time::Instant::now() < until {
        match kind {
            "plain" => calls::plain(client, &base, data::PLAIN, &ctx.data.plain_request).await?,
            "stream" => {
                calls::stream(client, &base, data::STREAM_5MB, &ctx.data.stream_request).await?
            }
            "chat" => {
                calls::chat_stream(
                    client,
                    &base,
                    data::CHAT_STREAM_50MB,
                    &ctx.data.chat_request,
                )
                .await?
            }
            other => {
                return Err(format!("unknown call kind {other} (plain, stream, chat)").into());
            }
        };
        n += 1;
    }
    ctx.pipelines.flush();
    println!("{n} {kind} calls with {}", variant.label());
    Ok(())
}

/// The line above the goal table.
const HOW_TO_READ: &str = "How to read: every goal is a ratio (or a difference) of figures \
     taken within this one run, variants interleaved, because absolute times move with the \
     machine's load; compare ratios across runs, not microseconds.";

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    format!(
        "machine: {cores} cores (nproc), CPU {model}, {rustc}, release build; at the start: {}",
        load_average()
    )
}

/// The 1-minute load average: the machine may be shared with other work.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .map_or_else(
            || "load unknown".to_owned(),
            |l| format!("load average {l}"),
        )
}

fn results_md(machine: &str, out: &Out, table: &str) -> String {
    format!(
        "# Benchmark results\n\n\
         Written by `cd bench && cargo run --release` ({machine}).\n\n\
         All traffic is on loopback against the mock server, in one process: \
         (a) a bare `reqwest_middleware` client; (b) `MistralTracing` (metrics on, logs off, capture \
         off unless said) exporting OTLP/gRPC through `mistral-otel-export`; (c) `reqwest-tracing` \
         0.7 with `tracing-opentelemetry` 0.33 and the otel 0.32 SDK batch processor + OTLP/gRPC \
         exporter. (b) and (c) export to the same in-process receiver and both inject \
         `traceparent`.\n\n\
         How to read it:\n\n\
         * Wall times are medians of single calls, variants interleaved in rotating blocks. \
         Client CPU is per call: process CPU (`getrusage`) minus the mock server and receiver \
         threads (`/proc/self/task/*/schedstat`), so it includes hyper, the instrumentation \
         and the exporter threads; each block's spans are flushed inside its window.\n\
         * \"Added\" is (b) or (c) minus (a). The machine is a 2-vCPU VM where absolute times move \
         with the load (waking an idle vCPU is slow); the added figures are the stable part.\n\
         * The 5 MB stream arrives in frames of 100-400 KiB: TTFB includes whatever the \
         middleware does with the first frame before handing it over.\n\
         * Memory is the counting allocator's live bytes for the whole process (client and \
         server side); the middleware's share is the difference to (a). Under load (part 7) \
         the mock's request log and the receiver's store grow with every call, so the \
         verdict there is on the client side (allocations on threads other than the \
         servers').\n\
         * \"x floor (CPU)\" is the client CPU of a variant over the client CPU of (a) reading \
         the same stream end to end; the throughput goals are calls per second of (b) over \
         (a) with 64 callers on 2 worker threads.\n\n\
         ## Goals\n\n{HOW_TO_READ}\n\n{table}\n## Full output\n\n```text\n{}```\n",
        out.text
    )
}
