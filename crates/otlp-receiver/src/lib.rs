//! An in-process OTLP receiver for tests and benchmarks: it listens on `127.0.0.1` for
//! OTLP/gRPC and OTLP/HTTP (protobuf or JSON) and keeps every export exactly as it
//! arrived, decoded into spans, metrics and log records.
//!
//! ```
//! use std::time::Duration;
//! use otlp_receiver::{ExportKind, OtlpReceiver, Transport};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let receiver = OtlpReceiver::start().await?;
//!
//! // Any OTLP exporter works; here a hand-written OTLP/JSON export.
//! let body = r#"{"resourceSpans":[{
//!     "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"demo"}}]},
//!     "scopeSpans":[{"scope":{"name":"mistral-otel"},"spans":[{
//!         "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
//!         "name":"invoke_agent","kind":3,
//!         "startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}"#;
//! reqwest::Client::new()
//!     .post(format!("{}/otel/v1/traces", receiver.http_endpoint()))
//!     .header("content-type", "application/json")
//!     .header("x-bt-parent", "project_name:demo")
//!     .body(body)
//!     .send()
//!     .await?
//!     .error_for_status()?;
//!
//! let spans = receiver.wait_for_spans(1, Duration::from_secs(5)).await;
//! assert_eq!(spans[0].name, "invoke_agent");
//! assert_eq!(spans[0].kind, 3); // CLIENT
//! assert_eq!(spans[0].resource["service.name"], "demo");
//!
//! let exports = receiver.exports();
//! assert_eq!(exports[0].transport, Transport::Http);
//! assert_eq!(exports[0].kind, ExportKind::Traces);
//! assert_eq!(exports[0].path, "/otel/v1/traces");
//! assert_eq!(exports[0].header("x-bt-parent"), Some("project_name:demo"));
//! receiver.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Faults are injected with [`OtlpReceiver::set_behavior`]: answer errors, answer slowly, or
//! hold requests without answering, to see what an exporter does then. They apply to every
//! signal alike.
//!
//! Log records (the Logs service over gRPC, `POST …/v1/logs` over HTTP) come back as
//! [`ReceivedLog`]s, with structured bodies and attributes as JSON:
//!
//! ```
//! use std::time::Duration;
//! use otlp_receiver::{ExportKind, OtlpReceiver};
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let receiver = OtlpReceiver::start().await?;
//! let body = r#"{"resourceLogs":[{"scopeLogs":[{"scope":{"name":"mistral-otel"},"logRecords":[{
//!     "eventName":"gen_ai.client.inference.operation.details","severityNumber":9,
//!     "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
//!     "attributes":[{"key":"gen_ai.input.messages","value":{"arrayValue":{"values":[
//!         {"kvlistValue":{"values":[{"key":"role","value":{"stringValue":"user"}}]}}]}}}]}]}]}]}"#;
//! reqwest::Client::new()
//!     .post(format!("{}/v1/logs", receiver.http_endpoint()))
//!     .header("content-type", "application/json")
//!     .body(body)
//!     .send()
//!     .await?
//!     .error_for_status()?;
//!
//! let logs = receiver.wait_for_logs(1, Duration::from_secs(5)).await;
//! assert_eq!(logs[0].event_name, "gen_ai.client.inference.operation.details");
//! assert_eq!(logs[0].severity_number, 9); // INFO
//! assert_eq!(logs[0].span_id, "eee19b7ec3c1b174");
//! assert_eq!(logs[0].attributes["gen_ai.input.messages"], json!([{"role": "user"}]));
//! assert_eq!(receiver.exports()[0].kind, ExportKind::Logs);
//! receiver.shutdown().await;
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

mod error;
mod export;
mod log;
mod otlp_grpc;
mod otlp_http;
mod span;
mod store;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use opentelemetry_proto::tonic::metrics::v1::ResourceMetrics;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub use error::ReceiverError;
pub use export::{Behavior, ExportKind, ReceivedExport, Transport};
pub use log::ReceivedLog;
pub use span::ReceivedSpan;

use store::Store;

/// Largest request body accepted, far above what any exporter batch sends.
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// How long `shutdown` lets open connections finish before cutting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// A running receiver: one gRPC and one HTTP listener on `127.0.0.1`, ephemeral ports.
///
/// Dropping it stops both servers; [`OtlpReceiver::shutdown`] also waits for them.
pub struct OtlpReceiver {
    store: Arc<Store>,
    grpc_addr: SocketAddr,
    http_addr: SocketAddr,
    servers: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for OtlpReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtlpReceiver")
            .field("grpc_addr", &self.grpc_addr)
            .field("http_addr", &self.http_addr)
            .finish_non_exhaustive()
    }
}

impl OtlpReceiver {
    /// Binds both listeners on `127.0.0.1:0` and serves them on the current Tokio runtime.
    pub async fn start() -> Result<Self, ReceiverError> {
        tokio::runtime::Handle::try_current().map_err(|_| ReceiverError::NoTokioRuntime)?;
        let store = Arc::new(Store::new());
        let (grpc_addr, grpc_server) = serve(otlp_grpc::router(Arc::clone(&store)), &store).await?;
        let (http_addr, http_server) = serve(otlp_http::router(Arc::clone(&store)), &store).await?;
        Ok(Self {
            store,
            grpc_addr,
            http_addr,
            servers: vec![grpc_server, http_server],
        })
    }

    /// The OTLP/gRPC endpoint, `http://127.0.0.1:PORT`.
    pub fn grpc_endpoint(&self) -> String {
        format!("http://{}", self.grpc_addr)
    }

    /// The OTLP/HTTP base endpoint, `http://127.0.0.1:PORT`, without a path: exporters
    /// append `/v1/traces`, `/v1/metrics` or `/v1/logs`, and any prefix (`/otel`) is
    /// accepted.
    pub fn http_endpoint(&self) -> String {
        format!("http://{}", self.http_addr)
    }

    /// Every export request received, in arrival order, whatever it was answered.
    pub fn exports(&self) -> Vec<ReceivedExport> {
        self.store.exports()
    }

    /// Every span received so far, flattened in arrival order.
    pub fn spans(&self) -> Vec<ReceivedSpan> {
        self.store.spans()
    }

    /// Every `ResourceMetrics` received so far, in arrival order.
    pub fn metrics(&self) -> Vec<ResourceMetrics> {
        self.store.metrics()
    }

    /// Every log record received so far, flattened in arrival order.
    pub fn logs(&self) -> Vec<ReceivedLog> {
        self.store.logs()
    }

    /// Waits until at least `n` log records were received or `timeout` passed, and
    /// returns the log records received by then (possibly fewer than `n`).
    pub async fn wait_for_logs(&self, n: usize, timeout: Duration) -> Vec<ReceivedLog> {
        self.wait_until(|store| store.log_count() >= n, timeout)
            .await;
        self.logs()
    }

    /// Waits until at least `n` spans were received or `timeout` passed, and returns the
    /// spans received by then (possibly fewer than `n`).
    pub async fn wait_for_spans(&self, n: usize, timeout: Duration) -> Vec<ReceivedSpan> {
        self.wait_until(|store| store.span_count() >= n, timeout)
            .await;
        self.spans()
    }

    /// Waits until `pred` holds for the metrics received so far; `false` if `timeout`
    /// passed first.
    pub async fn wait_for_metrics(
        &self,
        pred: impl Fn(&[ResourceMetrics]) -> bool,
        timeout: Duration,
    ) -> bool {
        self.wait_until(|store| pred(&store.metrics()), timeout)
            .await
    }

    async fn wait_until(&self, done: impl Fn(&Store) -> bool, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let arrival = self.store.arrival();
            tokio::pin!(arrival);
            // Registered before the check, so an export landing in between still wakes us.
            arrival.as_mut().enable();
            if done(&self.store) {
                return true;
            }
            if tokio::time::timeout_at(deadline, arrival).await.is_err() {
                return done(&self.store);
            }
        }
    }

    /// Changes how requests are answered, from the next request on (requests already
    /// held by [`Behavior::Hang`] or [`Behavior::Slow`] keep theirs).
    pub fn set_behavior(&self, behavior: Behavior) {
        self.store.set_behavior(behavior);
    }

    /// Total body bytes received over both transports.
    pub fn total_bytes(&self) -> usize {
        self.store.total_bytes()
    }

    /// Forgets everything received so far: exports, spans, metrics and log records.
    pub fn clear(&self) {
        self.store.clear();
    }

    /// Stops both servers: held requests are answered "unavailable", open connections get
    /// a short grace period to close, then are cut.
    pub async fn shutdown(mut self) {
        self.store.stop();
        for server in std::mem::take(&mut self.servers) {
            let abort = server.abort_handle();
            if tokio::time::timeout(SHUTDOWN_GRACE, server).await.is_err() {
                abort.abort();
            }
        }
    }
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        self.store.stop();
    }
}

async fn serve(
    router: axum::Router,
    store: &Arc<Store>,
) -> Result<(SocketAddr, JoinHandle<()>), ReceiverError> {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(ReceiverError::Bind)?;
    let addr = listener.local_addr().map_err(ReceiverError::Bind)?;
    let store = Arc::clone(store);
    let server = tokio::spawn(async move {
        let stopped = async move { store.stopped().await };
        // Serving ends only on shutdown or a listener failure; either way there is no
        // caller left to tell.
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(stopped)
            .await;
    });
    Ok((addr, server))
}

fn header_pairs(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}
