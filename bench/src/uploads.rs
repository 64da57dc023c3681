//! Part 6, uploads: a 64 MiB transcription upload (multipart, streamed from a generator)
//! and a 64 MiB OCR request (a JSON body in memory, the document inlined as base64) through
//! each client, with the memory held above the level before the request.
//!
//! The transcription goes to the mock. The OCR request goes to a bare HTTP/1.1 sink in
//! this module that reads the body through one fixed 64 KiB buffer: the mock (hyper) would
//! buffer a varying part of the 64 MiB on the server side, which made that column move by
//! a few MiB from run to run.
//!
//! The middleware never reads a streamed upload and never parses a JSON body past its body
//! cap (8 MiB by default): its share must stay flat, whatever the size of the upload.

use std::error::Error;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use crate::report::{Goal, Out};
use crate::setup::Variant;
use crate::stats::kib;
use crate::{Ctx, alloc, data};

const SIZE: usize = 64 * 1024 * 1024;
const PIECE: usize = 64 * 1024;
/// The OCR sink's one buffer per connection: request head and body pieces.
const SINK_BUFFER: usize = 64 * 1024;

/// A bare HTTP/1.1 server answering every request with the OCR fixture's answer, after
/// reading the request head and discarding `content-length` bytes of body through one
/// fixed buffer. Keep-alive; runs on the servers' runtime (threads `bench-server`).
struct OcrSink {
    addr: SocketAddr,
    /// The accept loop; it owns the connections' tasks, so aborting it ends them all.
    task: JoinHandle<()>,
}

impl OcrSink {
    fn start(ctx: &Ctx) -> Result<Self, Box<dyn Error>> {
        let case = ctx.data.fixtures.case(data::OCR).ok_or("no OCR case")?;
        let body = ctx.data.body(data::OCR).ok_or("no OCR answer")?;
        let mut head = String::from("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n");
        for (name, value) in &case.response_headers {
            let framing = ["content-type", "content-length", "transfer-encoding"]
                .iter()
                .any(|h| name.eq_ignore_ascii_case(h));
            if !framing {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
        let answer = Bytes::from([head.as_bytes(), &body].concat());

        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let listener = {
            let _entered = ctx.servers.runtime.enter();
            TcpListener::from_std(listener)?
        };
        let task = ctx.servers.runtime.spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                match listener.accept().await {
                    Ok((socket, _)) => {
                        let _ = socket.set_nodelay(true);
                        connections.spawn(sink_connection(socket, answer.clone()));
                    }
                    // out of file descriptors or the like: wait, as hyper's accept loop does
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
                while connections.try_join_next().is_some() {}
            }
        });
        Ok(Self { addr, task })
    }
}

impl Drop for OcrSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One keep-alive connection of the OCR sink.
async fn sink_connection(mut socket: TcpStream, answer: Bytes) -> std::io::Result<()> {
    let mut buf = vec![0u8; SINK_BUFFER];
    let mut filled = 0;
    loop {
        let head_end = loop {
            if let Some(i) = buf
                .get(..filled)
                .and_then(|b| b.windows(4).position(|w| w == b"\r\n\r\n"))
            {
                break i + 4;
            }
            let Some(free) = buf.get_mut(filled..).filter(|f| !f.is_empty()) else {
                return Err(std::io::Error::other("request head over 64 KiB"));
            };
            let n = socket.read(free).await?;
            if n == 0 {
                return Ok(());
            }
            filled += n;
        };
        let length = buf.get(..head_end).map_or(0, content_length);
        // body bytes that came with the head; anything after the body stays for the next request
        let here = (filled - head_end).min(length);
        buf.copy_within(head_end + here..filled, 0);
        filled -= head_end + here;
        let mut left = length - here;
        while left > 0 {
            // `filled` is 0 here: the whole buffer was body
            let n = socket.read(&mut buf[..left.min(SINK_BUFFER)]).await?;
            if n == 0 {
                return Ok(());
            }
            left -= n;
        }
        socket.write_all(&answer).await?;
    }
}

/// The `content-length` of a request head (0 without one).
fn content_length(head: &[u8]) -> usize {
    String::from_utf8_lossy(head)
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0)
}

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
/// OCR request with the document inlined is sent to the sink and its answer read.
async fn ocr(
    ctx: &Ctx,
    variant: Variant,
    sink: &OcrSink,
    body: &Bytes,
) -> Result<f64, Box<dyn Error>> {
    settle(ctx).await;
    let client = ctx.clients.get(variant);
    let baseline = alloc::current();
    alloc::reset_peak();
    // a loopback address: the clients take 127.0.0.1 as a Mistral host, whatever the port
    let response = client
        .post(format!("http://{}/v1/ocr", sink.addr))
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
    let sink = OcrSink::start(ctx)?;
    out.line(format!(
        "a 64 MiB multipart transcription upload (streamed, to the mock) and a 64 MiB OCR \
         JSON request (in memory before the baseline; to a bare HTTP/1.1 sink that discards \
         the body through one 64 KiB buffer), least of {runs} runs; both servers are in this \
         process, so their buffers count alike for every variant:"
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
            let o = ocr(ctx, *variant, &sink, &ocr_body).await?;
            if let Some(l) = least.get_mut(slot) {
                *l = (l.0.min(up), l.1.min(o));
            }
        }
    }
    drop(sink);
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
