//! One call of each kind, timed from just before `send` to the last body byte.

use std::error::Error;
use std::time::{Duration, Instant};

use bytes::Bytes;
use mistral_mock::CASE_HEADER;
use reqwest_middleware::ClientWithMiddleware;

/// What the caller saw.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// To the first body chunk (streams) or the whole body (plain).
    pub first: Duration,
    pub total: Duration,
    pub bytes: usize,
    pub chunks: usize,
    /// Size of the first chunk.
    pub first_bytes: usize,
}

/// Where conversation turns are posted.
const CONVERSATIONS_PATH: &str = "/v1/conversations";

fn request(
    client: &ClientWithMiddleware,
    url: String,
    case: &str,
    body: &Bytes,
    stream: bool,
) -> reqwest_middleware::RequestBuilder {
    client
        .post(url)
        .header(CASE_HEADER, case)
        .header("authorization", "Bearer bench-key")
        .header("content-type", "application/json")
        .header(
            "accept",
            if stream {
                "text/event-stream"
            } else {
                "application/json"
            },
        )
        .body(body.clone())
}

/// A non-streaming turn read to its end with `bytes()`.
pub async fn plain(
    client: &ClientWithMiddleware,
    base: &str,
    case: &str,
    body: &Bytes,
) -> Result<Timing, Box<dyn Error>> {
    let start = Instant::now();
    let url = format!("{base}{CONVERSATIONS_PATH}");
    let response = request(client, url, case, body, false).send().await?;
    if !response.status().is_success() {
        return Err(format!("{case}: status {}", response.status()).into());
    }
    let bytes = response.bytes().await?;
    let total = start.elapsed();
    Ok(Timing {
        first: total,
        total,
        bytes: bytes.len(),
        chunks: 1,
        first_bytes: bytes.len(),
    })
}

/// A streaming turn read chunk by chunk to its end.
pub async fn stream(
    client: &ClientWithMiddleware,
    base: &str,
    case: &str,
    body: &Bytes,
) -> Result<Timing, Box<dyn Error>> {
    stream_at(client, format!("{base}{CONVERSATIONS_PATH}"), case, body).await
}

/// A streamed chat completion (`POST /v1/chat/completions`) read chunk by chunk to its end.
pub async fn chat_stream(
    client: &ClientWithMiddleware,
    base: &str,
    case: &str,
    body: &Bytes,
) -> Result<Timing, Box<dyn Error>> {
    stream_at(
        client,
        format!("{base}{}", crate::data::CHAT_PATH),
        case,
        body,
    )
    .await
}

/// A streaming call to `url` read chunk by chunk to its end.
async fn stream_at(
    client: &ClientWithMiddleware,
    url: String,
    case: &str,
    body: &Bytes,
) -> Result<Timing, Box<dyn Error>> {
    let start = Instant::now();
    let mut response = request(client, url, case, body, true).send().await?;
    if !response.status().is_success() {
        return Err(format!("{case}: status {}", response.status()).into());
    }
    let mut first = None;
    let mut first_bytes = 0;
    let mut bytes = 0;
    let mut chunks = 0;
    while let Some(chunk) = response.chunk().await? {
        if first.is_none() {
            first = Some(start.elapsed());
            first_bytes = chunk.len();
        }
        bytes += chunk.len();
        chunks += 1;
    }
    let total = start.elapsed();
    Ok(Timing {
        first: first.unwrap_or(total),
        total,
        bytes,
        chunks,
        first_bytes,
    })
}

/// A streaming turn opened and read up to its first chunk; the response is handed back
/// still open.
pub async fn open_stream(
    client: &ClientWithMiddleware,
    base: &str,
    case: &str,
    body: &Bytes,
) -> Result<reqwest::Response, Box<dyn Error>> {
    let url = format!("{base}{CONVERSATIONS_PATH}");
    let mut response = request(client, url, case, body, true).send().await?;
    if !response.status().is_success() {
        return Err(format!("{case}: status {}", response.status()).into());
    }
    response.chunk().await?.ok_or("the stream ended at once")?;
    Ok(response)
}
