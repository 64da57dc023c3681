//! Part 5, cost against the size of the work: per-event cost with many outputs open at
//! once, and capture rendering against the size of what is captured. Both should stay flat
//! per unit as the size doubles (linear total cost). In memory, through the recorders'
//! fuzzing entry points (no I/O), with a tracer that records spans and exports nowhere.

use std::error::Error;
use std::sync::Arc;
use std::time::Instant;

use mistral_otel::fuzzing::{Ending, PlainKind, StreamKind, plain_call, stream_call};
use opentelemetry::global::BoxedTracer;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;

use crate::Ctx;
use crate::report::{Goal, Out};

fn tracer() -> Arc<BoxedTracer> {
    let provider = SdkTracerProvider::builder().build();
    Arc::new(BoxedTracer::new(Box::new(provider.tracer("bench"))))
}

/// `n` tool executions that start, then each get one delta (in reverse order), then the
/// stream ends: every event looks up one of `n` open outputs.
fn open_tools_stream(n: usize) -> Vec<u8> {
    let mut body = String::with_capacity(n * 260);
    for i in 0..n {
        body.push_str(&format!("event: tool.execution.started\ndata: {{\"type\":\"tool.execution.started\",\"output_index\":{i},\"id\":\"tool_exec_{i}\",\"name\":\"web_search\",\"arguments\":\"\"}}\n\n"));
    }
    for i in (0..n).rev() {
        body.push_str(&format!("event: tool.execution.delta\ndata: {{\"type\":\"tool.execution.delta\",\"output_index\":{i},\"id\":\"tool_exec_{i}\",\"name\":\"web_search\",\"arguments\":\"{{}}\"}}\n\n"));
    }
    body.push_str("event: conversation.response.done\ndata: {\"type\":\"conversation.response.done\",\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}\n\n");
    body.into_bytes()
}

/// A plain start response whose one message holds `bytes` of text.
fn big_response(bytes: usize) -> Vec<u8> {
    let text = "lorem ipsum \\\"dolor\\\" sit amet ".repeat(bytes / 30 + 1);
    format!(
        r#"{{"object":"conversation.response","conversation_id":"conv_1","outputs":[{{"object":"entry","type":"message.output","id":"msg_1","model":"m","role":"assistant","content":"{text}"}}],"usage":{{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}}}"#
    )
    .into_bytes()
}

fn best_of<F: FnMut()>(runs: usize, mut f: F) -> f64 {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

pub async fn run(ctx: &Ctx, out: &mut Out) -> Result<(), Box<dyn Error>> {
    out.line("\n## 5. Scaling: cost per unit as the work doubles (best of runs, in memory)");
    let runs = if ctx.quick { 2 } else { 5 };
    let tracer = tracer();

    out.line("open outputs: n tools open at once, one delta each (2n + 1 events)");
    let mut per_event = Vec::new();
    for n in [5_000usize, 10_000, 20_000, 40_000] {
        let body = open_tools_stream(n);
        let t = best_of(runs, || {
            drop(stream_call(
                tracer.clone(),
                StreamKind::Turn,
                &[&body],
                4 << 20,
                false,
                Ending::Eof,
            ));
        });
        let ns = t * 1e9 / (2 * n + 1) as f64;
        per_event.push(ns);
        out.line(format!(
            "  n = {n:>6}: {:>8.2} ms total, {ns:>7.1} ns/event",
            t * 1e3
        ));
    }
    let growth = per_event.last().copied().unwrap_or(0.0)
        / per_event.first().copied().unwrap_or(1.0).max(1e-9);
    out.goal(Goal::at_most(
        "scaling: ns/event with 40,000 open outputs / with 5,000",
        growth,
        2.0,
        "x",
    ));

    out.line("capture rendering: a plain response with one message of s MiB, capture on");
    let mut per_mib = Vec::new();
    for mib in [1usize, 2, 4, 8] {
        let body = big_response(mib << 20);
        let t = best_of(runs, || {
            drop(plain_call(
                tracer.clone(),
                PlainKind::Turn,
                &[&body],
                200,
                64 << 20,
                true,
                Ending::Eof,
            ));
        });
        let ms = t * 1e3 / mib as f64;
        per_mib.push(ms);
        out.line(format!(
            "  s = {mib} MiB: {:>8.2} ms total, {ms:>7.2} ms/MiB",
            t * 1e3
        ));
    }
    let growth =
        per_mib.last().copied().unwrap_or(0.0) / per_mib.first().copied().unwrap_or(1.0).max(1e-9);
    out.goal(Goal::at_most(
        "scaling: capture ms/MiB at 8 MiB / at 1 MiB",
        growth,
        2.0,
        "x",
    ));
    Ok(())
}
