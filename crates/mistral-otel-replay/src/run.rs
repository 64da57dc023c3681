//! Replaying every case through the instrumented client.

use std::collections::HashMap;
use std::io::Write as _;

use futures_util::StreamExt;
use mistral_mock::{Case, Fixtures, MockServer};
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{
    Span as _, SpanKind, Status, TraceContextExt as _, TraceId, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SpanData;
use reqwest_middleware::ClientWithMiddleware;

use crate::pipeline::{Pipeline, Recorder};
use crate::{ReplayError, ReplayOptions, otlp_json_line};

/// The placeholder the fixtures use for the API key.
/// What replaces it: obviously fake, so a leak in exported data is easy to spot.
pub const FAKE_API_KEY: &str = "sk-replay-not-a-real-key";
/// Instrumentation scope of the `replay {case}` parent spans.
const SCOPE: &str = "mistral-otel-replay";

/// How one case went.
#[derive(Debug, Clone)]
pub struct CaseReplay {
    /// The case name.
    pub name: String,
    /// The status the fixture records.
    pub expected_status: u16,
    /// The status received, `None` when no response came.
    pub status: Option<u16>,
    /// Body bytes received.
    pub body_bytes: usize,
    /// Why the case failed: transport or body error, or a status or body that differs
    /// from the fixture. An error status that the fixture records is not a failure.
    pub failure: Option<String>,
    /// The trace of this case (rooted at its `replay {name}` span).
    pub trace_id: TraceId,
    /// Every span of that trace, in end order.
    pub spans: Vec<SpanData>,
}

/// The outcome of [`run`].
#[derive(Debug, Clone)]
pub struct ReplayReport {
    /// One entry per replayed case, in manifest order.
    pub cases: Vec<CaseReplay>,
    /// The resource the spans were produced under.
    pub resource: Resource,
    /// Shutting down the tracer provider (and its OTLP export) failed with this message.
    pub shutdown_error: Option<String>,
}

impl ReplayReport {
    /// All spans of all cases, case by case.
    pub fn spans(&self) -> Vec<SpanData> {
        self.cases
            .iter()
            .flat_map(|c| c.spans.iter().cloned())
            .collect()
    }

    /// The cases that failed.
    pub fn failures(&self) -> impl Iterator<Item = &CaseReplay> {
        self.cases.iter().filter(|c| c.failure.is_some())
    }

    /// Whether every case succeeded and export shut down cleanly.
    pub fn is_success(&self) -> bool {
        self.failures().next().is_none() && self.shutdown_error.is_none()
    }
}

/// Replays the fixtures of `opts.dir` through a `reqwest_middleware` client carrying
/// [`mistral_otel::MistralTracing`], against a [`MockServer`], one `replay {case}`
/// parent span per case.
///
/// Errors are for setup (fixtures, server, export, output file); a case that fails is
/// reported in [`ReplayReport::cases`].
pub async fn run(opts: ReplayOptions) -> Result<ReplayReport, ReplayError> {
    let fixtures = Fixtures::load(&opts.dir)?;
    let cases: Vec<Case> = match &opts.only {
        Some(name) => vec![
            fixtures
                .case(name)
                .cloned()
                .ok_or_else(|| ReplayError::UnknownCase(name.clone()))?,
        ],
        None => fixtures.cases().to_vec(),
    };
    let mut server = MockServer::builder(fixtures.clone()).chunk_delay(opts.chunk_delay);
    if let Some(n) = opts.chunk_bytes {
        server = server.chunk_bytes(n);
    }
    let server = server.start().await?;

    let recorder = Recorder::default();
    let pipeline = Pipeline::new(&recorder)?;
    let provider = pipeline.provider();
    // the mock stands in for Mistral: its address is a Mistral base URL
    let mut tracing = mistral_otel::MistralTracing::builder()
        .host(&server.addr().to_string())
        .tracer_provider(provider);
    // --capture-content, else OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT
    if opts.capture_content {
        tracing = tracing.capture_content(true);
    }
    // GenAI events go where the spans go when exporting
    if let Some(logs) = pipeline.logger_provider() {
        tracing = tracing.logger_provider(logs);
    }
    tracing = match pipeline.meter_provider() {
        Some(meters) => tracing.meter_provider(meters),
        // printing and --otlp-json show spans only
        None => tracing.metrics(false),
    };
    let tracing = tracing.build();
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(tracing)
        .build();
    let tracer = provider.tracer(SCOPE);

    let mut replays = Vec::with_capacity(cases.len());
    for case in &cases {
        let parent = tracer
            .span_builder(format!("replay {}", case.name))
            .with_kind(SpanKind::Internal)
            .with_attributes([KeyValue::new("mistral_ai.replay.case", case.name.clone())])
            .start(&tracer);
        let trace_id = parent.span_context().trace_id();
        let cx = Context::current_with_span(parent);
        let exchange = send(&client, &server.base_url(), &fixtures, case)
            .with_context(cx.clone())
            .await;
        let failure = exchange.failure(
            case,
            fixtures.response_body(case).unwrap_or_default().as_ref(),
        );
        if let Some(failure) = &failure {
            cx.span().set_status(Status::error(failure.clone()));
        }
        cx.span().end();
        replays.push(CaseReplay {
            name: case.name.clone(),
            expected_status: case.status,
            status: exchange.status,
            body_bytes: exchange.body.len(),
            failure,
            trace_id,
            spans: Vec::new(),
        });
    }

    // The recorder exports synchronously: every ended span is already there.
    let mut by_trace: HashMap<TraceId, Vec<SpanData>> = HashMap::new();
    for span in recorder.spans() {
        by_trace
            .entry(span.span_context.trace_id())
            .or_default()
            .push(span);
    }
    for replay in &mut replays {
        replay.spans = by_trace.remove(&replay.trace_id).unwrap_or_default();
    }
    let resource = recorder.resource();
    let shutdown_error = pipeline.shutdown().err();
    server.shutdown().await;

    let report = ReplayReport {
        cases: replays,
        resource,
        shutdown_error,
    };
    if let Some(path) = &opts.otlp_json {
        write_otlp_json(path, &report)?;
    }
    Ok(report)
}

/// What came back for one request.
struct Exchange {
    status: Option<u16>,
    body: Vec<u8>,
    error: Option<String>,
}

impl Exchange {
    fn failure(&self, case: &Case, expected_body: &[u8]) -> Option<String> {
        if let Some(error) = &self.error {
            return Some(error.clone());
        }
        if self.status != Some(case.status) {
            return Some(format!(
                "got status {}, the fixture records {}",
                self.status
                    .map_or_else(|| "none".to_owned(), |s| s.to_string()),
                case.status
            ));
        }
        (self.body != expected_body).then(|| {
            format!(
                "body differs from the fixture ({} bytes received, {} recorded)",
                self.body.len(),
                expected_body.len()
            )
        })
    }
}

/// Sends `case` as a client would and reads the whole body, whatever its type.
async fn send(
    client: &ClientWithMiddleware,
    base_url: &str,
    fixtures: &Fixtures,
    case: &Case,
) -> Exchange {
    let request = fixtures
        .http_request(case, base_url, FAKE_API_KEY)
        .map_err(|e| e.to_string())
        .and_then(|r| reqwest::Request::try_from(r).map_err(|e| e.to_string()));
    let request = match request {
        Ok(request) => request,
        Err(err) => {
            return Exchange {
                status: None,
                body: Vec::new(),
                error: Some(format!("invalid request: {err}")),
            };
        }
    };
    let response = match client.execute(request).await {
        Ok(response) => response,
        Err(err) => {
            return Exchange {
                status: None,
                body: Vec::new(),
                error: Some(format!("request failed: {err}")),
            };
        }
    };
    let status = Some(response.status().as_u16());
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => body.extend_from_slice(&bytes),
            Err(err) => {
                let error = Some(format!("body failed after {} bytes: {err}", body.len()));
                return Exchange {
                    status,
                    body,
                    error,
                };
            }
        }
    }
    Exchange {
        status,
        body,
        error: None,
    }
}

fn write_otlp_json(path: &std::path::Path, report: &ReplayReport) -> Result<(), ReplayError> {
    let io_error = |source| ReplayError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut out = String::new();
    for case in &report.cases {
        out.push_str(&otlp_json_line(&case.spans, &report.resource)?);
        out.push('\n');
    }
    let mut file = std::fs::File::create(path).map_err(io_error)?;
    file.write_all(out.as_bytes()).map_err(io_error)
}
