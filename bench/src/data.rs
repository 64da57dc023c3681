//! The fixtures and the synthetic cases the benchmarks use.

use std::error::Error;

use bytes::Bytes;
use mistral_mock::Fixtures;
use serde_json::Value;

/// The repo's recorded fixtures.
pub const FIXTURES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/mistral");

/// `start_web_search` with its answer padded to about 10 KB.
pub const PLAIN: &str = "bench_plain_10k";
/// The completion, inference and platform fixtures.
pub const API_FIXTURES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/api");
/// The OCR answer (uploads phase).
pub const OCR: &str = "ocr";
/// The transcription answer (uploads phase).
pub const TRANSCRIPTION: &str = "transcription";
/// started + 20,000 `message.output.delta` + done, about 5 MB.
pub const STREAM_5MB: &str = "bench_stream_5mb";
/// started + 200,000 deltas + done, about 50 MB.
pub const STREAM_50MB: &str = "bench_stream_50mb";
/// A streamed chat completion: role chunk + 250,000 content chunks + stop/usage chunk +
/// `[DONE]`, about 50 MB, served on `POST /v1/chat/completions`.
pub const CHAT_STREAM_50MB: &str = "bench_chat_stream_50mb";
/// Where chat completions are posted.
pub const CHAT_PATH: &str = "/v1/chat/completions";
/// The recorded tool and handoff streams.
pub const FIXTURE_STREAMS: [&str; 2] = ["start_stream_tools", "start_stream_agent_handoff"];

const PLAIN_TARGET_BYTES: usize = 10 * 1024;
const DELTAS_5MB: usize = 20_000;
const DELTAS_50MB: usize = 200_000;
const CHAT_CONTENT_CHUNKS: usize = 250_000;
/// A recorded chat completion stream: its case gives the synthetic one its method, path
/// and response headers (`content-type: text/event-stream`).
const CHAT_STREAM_FIXTURE: &str = "chat_stream_split_tool_calls";

/// Everything a benchmark sends or compares against.
pub struct Data {
    pub fixtures: Fixtures,
    /// Body of a non-streaming start (`"stream": false`).
    pub plain_request: Bytes,
    /// Body of a streaming start (`"stream": true`).
    pub stream_request: Bytes,
    pub plain_response: Bytes,
    pub stream_5mb: Bytes,
    pub stream_5mb_events: usize,
    pub stream_50mb_events: usize,
    /// Body of a streamed chat completion request (`"stream": true`).
    pub chat_request: Bytes,
    /// `data:` chunks of the synthetic chat stream (`[DONE]` not counted).
    pub chat_stream_chunks: usize,
}

impl Data {
    pub fn load() -> Result<Self, Box<dyn Error>> {
        let mut fixtures = Fixtures::load(FIXTURES_DIR)?;
        // the OCR and transcription answers of the uploads phase
        let api = Fixtures::load(API_FIXTURES_DIR)?;
        for name in [OCR, TRANSCRIPTION, CHAT_STREAM_FIXTURE] {
            let case = api.case(name).ok_or("no api fixture")?;
            fixtures.push_case(
                case.clone(),
                api.request_body(case),
                api.response_body(case),
            );
        }
        let web = fixtures
            .case("start_web_search")
            .ok_or("no start_web_search fixture")?
            .clone();
        let plain_request = fixtures.request_body(&web).ok_or("no request body")?;
        let original = fixtures.response_body(&web).ok_or("no response body")?;
        let plain_response = padded_response(&original, PLAIN_TARGET_BYTES)?;

        let tools = fixtures
            .case("start_stream_tools")
            .ok_or("no start_stream_tools fixture")?
            .clone();
        let stream_request = fixtures.request_body(&tools).ok_or("no request body")?;

        let mut plain_case = web;
        plain_case.name = PLAIN.to_owned();
        fixtures.push_case(
            plain_case,
            Some(plain_request.clone()),
            Some(plain_response.clone()),
        );

        let (stream_5mb, stream_5mb_events) = delta_stream(DELTAS_5MB);
        let (stream_50mb, stream_50mb_events) = delta_stream(DELTAS_50MB);
        for (name, body) in [(STREAM_5MB, &stream_5mb), (STREAM_50MB, &stream_50mb)] {
            let mut case = tools.clone();
            case.name = name.to_owned();
            case.expected_aggregate = None;
            fixtures.push_case(case, Some(stream_request.clone()), Some(body.clone()));
        }
        let chat_request = Bytes::from_static(
            br#"{"model":"mistral-small-latest","messages":[{"role":"user","content":"Tell me about the sunset in Reykjavik on June 21st, at length."}],"stream":true}"#,
        );
        let (chat_stream, chat_stream_chunks) = chat_stream(CHAT_CONTENT_CHUNKS);
        let mut chat_case = fixtures
            .case(CHAT_STREAM_FIXTURE)
            .ok_or("no chat stream fixture")?
            .clone();
        if chat_case.path != CHAT_PATH || !chat_case.is_stream() {
            return Err(format!("{CHAT_STREAM_FIXTURE} is not a chat completion stream").into());
        }
        chat_case.name = CHAT_STREAM_50MB.to_owned();
        chat_case.expected_aggregate = None;
        fixtures.push_case(chat_case, Some(chat_request.clone()), Some(chat_stream));
        Ok(Self {
            fixtures,
            plain_request,
            stream_request,
            plain_response,
            stream_5mb,
            stream_5mb_events,
            stream_50mb_events,
            chat_request,
            chat_stream_chunks,
        })
    }

    /// The exact body bytes of a case.
    pub fn body(&self, case: &str) -> Option<Bytes> {
        self.fixtures.response_body(self.fixtures.case(case)?)
    }
}

/// The recorded answer with sentences appended to its first text chunk until the
/// pretty-printed body reaches `target` bytes.
fn padded_response(original: &[u8], target: usize) -> Result<Bytes, Box<dyn Error>> {
    let mut value: Value = serde_json::from_slice(original)?;
    let filler = " Between 2015 and 2025 the city's population grew steadily, driven by \
                  students, new housing along the Confluence and a stable birth rate.";
    loop {
        let body = serde_json::to_vec_pretty(&value)?;
        if body.len() >= target {
            return Ok(Bytes::from(body));
        }
        let Some(Value::String(text)) = value.pointer_mut("/outputs/1/content/0/text") else {
            return Err("start_web_search has no text at /outputs/1/content/0/text".into());
        };
        text.push_str(filler);
    }
}

/// A stream of `deltas` `message.output.delta` events between started and done, shaped
/// like the recorded ones (same fields, short token-sized contents).
/// Returns the body and its event count.
fn delta_stream(deltas: usize) -> (Bytes, usize) {
    const WORDS: [&str; 8] = [
        " The",
        " sunset",
        " in",
        " Reykjavik",
        " on June",
        " 21st",
        " is at",
        " 00:04,",
    ];
    let mut out = String::with_capacity(deltas * 280 + 1024);
    out.push_str(
        "event: conversation.response.started\n\
         data: {\"type\":\"conversation.response.started\",\"created_at\":\"2026-03-10T10:02:47.504311Z\",\
         \"conversation_id\":\"conv_019cd732f74f7fb7946c3f8a6a80a707\"}\n\n",
    );
    for i in 0..deltas {
        let word = WORDS.get(i % WORDS.len()).copied().unwrap_or(" ");
        out.push_str(
            "event: message.output.delta\n\
             data: {\"type\":\"message.output.delta\",\"created_at\":\"2026-03-10T10:02:49.023111Z\",\
             \"output_index\":0,\"id\":\"msg_019cd732fd317cb49f439eb4740d5659\",\"content_index\":0,\
             \"model\":\"mistral-medium-latest\",\"role\":\"assistant\",\"content\":\"",
        );
        out.push_str(word);
        out.push_str("\"}\n\n");
    }
    out.push_str(
        "event: conversation.response.done\n\
         data: {\"type\":\"conversation.response.done\",\"created_at\":\"2026-03-10T10:02:59.436811Z\",\
         \"usage\":{\"prompt_tokens\":2107,\"completion_tokens\":20000,\"total_tokens\":22107}}\n\n",
    );
    (Bytes::from(out), deltas + 2)
}

/// A streamed chat completion of `content_chunks` content chunks, shaped like the recorded
/// Mistral ones (tests/fixtures/real/braintrust-sdk-javascript/*chat_completions_stream*.sse
/// and ruby_llm): a first chunk with `delta: {"role":"assistant","content":""}`, content
/// chunks with the undocumented `"p"` padding (a prefix of `a-z0-9`, 1 to 36 characters,
/// varying from chunk to chunk), a last chunk with `finish_reason: "stop"` and `usage`,
/// then `data: [DONE]`. Returns the body and its `data:` chunk count (`[DONE]` not counted).
fn chat_stream(content_chunks: usize) -> (Bytes, usize) {
    const WORDS: [&str; 8] = [
        " The",
        " sunset",
        " in",
        " Reykjavik",
        " on June",
        " 21st",
        " is at",
        " 00:04,",
    ];
    const PADDING: &str = "abcdefghijklmnopqrstuvwxyz0123456789";
    const HEAD: &str = "data: {\"id\":\"f6f88b53f42243fdae89f1a175853856\",\"object\":\"chat.completion.chunk\",\
                        \"created\":1784620685,\"model\":\"mistral-small-latest\",\"choices\":[{\"index\":0,\"delta\":";
    let mut out = String::with_capacity(content_chunks * 220 + 1024);
    out.push_str(HEAD);
    out.push_str("{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n");
    // xorshift: padding lengths that look random and are the same on every run
    let mut x: u32 = 0x9E37_79B9;
    for i in 0..content_chunks {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let pad = 1 + (x as usize) % PADDING.len();
        out.push_str(HEAD);
        out.push_str("{\"content\":\"");
        out.push_str(WORDS.get(i % WORDS.len()).copied().unwrap_or(" "));
        out.push_str("\"},\"finish_reason\":null}],\"p\":\"");
        out.push_str(PADDING.get(..pad).unwrap_or(PADDING));
        out.push_str("\"}\n\n");
    }
    out.push_str(HEAD);
    out.push_str(&format!(
        "{{\"content\":\"\"}},\"finish_reason\":\"stop\"}}],\"usage\":{{\"prompt_tokens\":22,\
         \"total_tokens\":{},\"completion_tokens\":{content_chunks},\"prompt_tokens_details\":\
         {{\"cached_tokens\":0}},\"service_tier\":\"standard\"}},\"p\":\"abcde\"}}\n\n",
        content_chunks + 22
    ));
    out.push_str("data: [DONE]\n\n");
    (Bytes::from(out), content_chunks + 2)
}
