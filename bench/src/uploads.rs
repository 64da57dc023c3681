//! Part 6, uploads: a 64 MiB transcription upload (multipart, streamed from a generator)
//! and a 64 MiB OCR request (a JSON body in memory, the document inlined as base64) through
//! each client, with the memory held above the level before the request.
//!
//! The middleware never reads a streamed upload and never parses a JSON body past its body
//! cap (8 MiB by default): its share must stay flat, whatever the size of the upload.

use std::error::Error;
use std::time::Duration;

use bytes::Bytes;

use crate::report::{Goal, Out};
use crate::setup::Variant;
use crate::stats::kib;
use crate::{Ctx, alloc, data};

const SIZE: usize = 64 * 1024 * 1024;
const PIECE: usize = 64 * 1024;

async fn settle(ctx: &Ctx) {
    ctx.pipelines.flush();
    ctx.servers.receiver.clear();
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Peak bytes above the level before the request while a 64 MiB multipart upload is sent
/// and its answer read.
async fn transcription(ctx: &Ctx, variant: Variant) -> Result<f64, Box<dyn Error>> {
    settle(ctx).await;
    let client = ctx.clients.get(variant);
    let base = ctx.servers.fast.base_url();
    let baseline = alloc::current();
    alloc::reset_peak();
    // pieces made as they are sent: the upload itself never sits in memory
    let pieces = futures_util::stream::iter(
        (0..SIZE / PIECE)
            .map(|i| Ok::<_, std::io::Error>(Bytes::from(vec![(i % 251) as u8; PIECE]))),
    );
    let part = reqwest::multipart::Part::stream_with_length(
        reqwest::Body::wrap_stream(pieces),
        SIZE as u64,
    )
    .file_name("meeting.mp3")
    .mime_str("audio/mpeg")?;
    let form = reqwest::multipart::Form::new()
        .text("model", "voxtral-mini-latest")
        .part("file", part);
    let response = client
        .post(format!("{base}/v1/audio/transcriptions"))
        .header(mistral_mock::CASE_HEADER, data::TRANSCRIPTION)
        .multipart(form)
        .send()
        .await?;
    response.bytes().await?;
    Ok(alloc::peak().saturating_sub(baseline) as f64)
}

/// Peak bytes above the level before the request (the 64 MiB body already built) while an
/// OCR request with the document inlined is sent and its answer read.
async fn ocr(ctx: &Ctx, variant: Variant, body: &Bytes) -> Result<f64, Box<dyn Error>> {
    settle(ctx).await;
    let client = ctx.clients.get(variant);
    let base = ctx.servers.fast.base_url();
    let baseline = alloc::current();
    alloc::reset_peak();
    let response = client
        .post(format!("{base}/v1/ocr"))
        .header(mistral_mock::CASE_HEADER, data::OCR)
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await?;
    response.bytes().await?;
    Ok(alloc::peak().saturating_sub(baseline) as f64)
}

pub async fn run(ctx: &Ctx, out: &mut Out) -> Result<(), Box<dyn Error>> {
    out.line("\n## 6. Uploads (counting global allocator, peak bytes above the level before the request)");
    let runs = if ctx.quick { 2 } else { 5 };
    let document = "JVBERi0xLjcKJcfs".repeat(SIZE / 16);
    let ocr_body = Bytes::from(format!(
        r#"{{"model":"mistral-ocr-latest","document":{{"type":"document_url","document_url":"data:application/pdf;base64,{document}"}}}}"#
    ));
    drop(document);
    out.line(format!(
        "a 64 MiB multipart transcription upload (streamed) and a 64 MiB OCR JSON request \
         (in memory before the baseline), least of {runs} runs; the in-process mock reads \
         the same bytes (hyper's buffers on the server side make the OCR column move by a \
         few MiB from run to run, alike for every variant):"
    ));
    out.line(format!(
        "  {:<32} {:>16} {:>16}",
        "variant", "upload KiB", "OCR KiB"
    ));
    let variants = [Variant::Bare, Variant::Ours, Variant::OursCapture];
    let mut least = vec![(f64::MAX, f64::MAX); variants.len()];
    for _ in 0..runs {
        for (slot, variant) in variants.iter().enumerate() {
            let up = transcription(ctx, *variant).await?;
            let o = ocr(ctx, *variant, &ocr_body).await?;
            if let Some(l) = least.get_mut(slot) {
                *l = (l.0.min(up), l.1.min(o));
            }
        }
    }
    for ((up, o), variant) in least.iter().zip(variants) {
        out.line(format!(
            "  {:<32} {:>16.1} {:>16.1}",
            variant.label(),
            kib(*up),
            kib(*o)
        ));
    }
    let bare = least.first().copied().unwrap_or_default();
    for (slot, label) in [(1, "capture off"), (2, "capture on")] {
        let (up, o) = least.get(slot).copied().unwrap_or_default();
        out.goal(Goal::at_most(
            &format!("uploads: 64 MiB multipart transcription, {label}: (b) - (a) peak"),
            kib(up - bare.0),
            256.0,
            "KiB",
        ));
        out.goal(Goal::at_most(
            &format!("uploads: 64 MiB OCR JSON body, {label}: (b) - (a) peak"),
            kib(o - bare.1),
            256.0,
            "KiB",
        ));
    }
    Ok(())
}
