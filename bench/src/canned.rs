//! The plain turn again, without the network: a last middleware answers every call with
//! the same 10 KB response, so what remains is each variant's own work on the caller's
//! path (request side, span start, the body's tap and parse, span ends into the batch
//! processor). The exports of (b) and (c) still run on their threads, off that path.
//! A diagnostic for the plain-turn goals: it shows how much of (b)'s added time is its
//! own code and how much comes with the network round trip.

use std::error::Error;
use std::time::Instant;

use bytes::Bytes;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, Middleware, Next};

use crate::Ctx;
use crate::report::Out;
use crate::setup::Pipelines;
use crate::stats::{median_f64, ns};

/// Answers every request with `200` and the body, without sending anything.
struct Canned(Bytes);

#[async_trait::async_trait]
impl Middleware for Canned {
    async fn handle(
        &self,
        req: reqwest::Request,
        _: &mut http::Extensions,
        _: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        drop(req);
        let response = http::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(reqwest::Body::from(self.0.clone()))
            .map_err(|e| reqwest_middleware::Error::Middleware(e.into()))?;
        Ok(reqwest::Response::from(response))
    }
}

fn clients(
    pipelines: &Pipelines,
    body: &Bytes,
) -> Result<[ClientWithMiddleware; 3], Box<dyn Error>> {
    let http = || reqwest::Client::builder().no_proxy().build();
    let meter = pipelines
        .ours
        .meter_provider()
        .ok_or("metrics are on, so there is a meter provider")?;
    Ok([
        ClientBuilder::new(http()?)
            .with(Canned(body.clone()))
            .build(),
        ClientBuilder::new(http()?)
            .with(
                mistral_otel::MistralTracing::builder()
                    .host("127.0.0.1")
                    .tracer_provider(pipelines.ours.tracer_provider())
                    .meter_provider(meter)
                    .build(),
            )
            .with(Canned(body.clone()))
            .build(),
        ClientBuilder::new(http()?)
            .with(reqwest_tracing::TracingMiddleware::default())
            .with(Canned(body.clone()))
            .build(),
    ])
}

pub async fn run(ctx: &Ctx, out: &mut Out) -> Result<(), Box<dyn Error>> {
    const LABELS: [&str; 3] = ["(a) bare", "(b) mistral-otel", "(c) reqwest-tracing"];
    let (rounds, batch) = if ctx.quick { (60, 50) } else { (300, 50) };
    let clients = clients(&ctx.pipelines, &ctx.data.plain_response)?;
    let url = "http://127.0.0.1:9/v1/conversations".to_owned();
    let request = &ctx.data.plain_request;
    let call = |client: &ClientWithMiddleware| {
        let url = url.clone();
        let client = client.clone();
        async move {
            let response = client
                .post(url)
                .header("authorization", "Bearer bench-key")
                .header("content-type", "application/json")
                .body(request.clone())
                .send()
                .await?;
            Ok::<_, Box<dyn Error>>(response.bytes().await?.len())
        }
    };
    for client in &clients {
        for _ in 0..batch {
            call(client).await?;
        }
    }
    let mut per_call: [Vec<f64>; 3] = Default::default();
    for round in 0..rounds {
        for k in 0..3 {
            let slot = (round + k) % 3;
            let start = Instant::now();
            for _ in 0..batch {
                call(&clients[slot]).await?;
            }
            per_call[slot].push(ns(start.elapsed()) / batch as f64 / 1e3);
        }
        // keep the export queues short, as the main phase's blocks do
        if round % 10 == 9 {
            ctx.pipelines.flush();
        }
    }
    ctx.pipelines.flush();
    let medians: Vec<f64> = per_call.iter().map(|t| median_f64(t)).collect();
    out.line(format!(
        "\nplain turn without the network ({} B canned response, {} calls per variant in \
         interleaved blocks of {batch}), median µs per call on the caller's path:",
        ctx.data.plain_response.len(),
        rounds * batch
    ));
    out.line(format!(
        "  {:<24} {:>10} {:>10} {:>12}",
        "variant", "µs", "added µs", "÷ (c) added"
    ));
    let c_added = medians[2] - medians[0];
    for (label, m) in LABELS.iter().zip(&medians) {
        let added = m - medians[0];
        out.line(format!(
            "  {label:<24} {m:>10.2} {added:>10.2} {:>12}",
            if c_added > 0.0 {
                format!("{:.2}", added / c_added)
            } else {
                "-".to_owned()
            }
        ));
    }
    Ok(())
}
