//! Servers, export pipelines and the clients under test.

use std::error::Error;
use std::time::Duration;

use mistral_mock::MockServer;
use mistral_otel::MistralTracing;
use mistral_otel_export::{OtlpConfig, Protocol, Telemetry};
use otel32::trace::TracerProvider as _;
use otlp_receiver::OtlpReceiver;
use otlp32::WithExportConfig as _;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use tokio::runtime::Runtime;
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt as _;

use crate::cpu::SERVER_THREAD;
use crate::data::Data;

/// `service.name` of each instrumented variant, to count their spans at the receiver.
pub const OURS_SERVICE: &str = "bench-ours";
pub const PEER_SERVICE: &str = "bench-peer";

/// The mock servers and the OTLP receiver, on their own runtime (threads `bench-server`).
pub struct Servers {
    pub runtime: Runtime,
    pub receiver: OtlpReceiver,
    /// Sends every body as fast as loopback allows.
    pub fast: MockServer,
    /// Sends bodies in 32 KiB pieces, 1 ms apart (~30 MB/s at most): the client reads
    /// each piece as it comes, so hyper's read buffer stays small and steady.
    pub paced: MockServer,
    /// Sends bodies in 2 KiB pieces, 120 s apart: streams stay open after their first piece.
    pub slow: MockServer,
}

impl Servers {
    pub fn start(data: &Data) -> Result<Self, Box<dyn Error>> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(SERVER_THREAD)
            .on_thread_start(crate::alloc::mark_server_thread)
            .enable_all()
            .build()?;
        let (receiver, fast, paced, slow) = runtime.block_on(async {
            let receiver = OtlpReceiver::start().await?;
            let fast = MockServer::builder(data.fixtures.clone()).start().await?;
            let paced = MockServer::builder(data.fixtures.clone())
                .chunk_bytes(32 * 1024)
                .chunk_delay(Duration::from_millis(1))
                .start()
                .await?;
            let slow = MockServer::builder(data.fixtures.clone())
                .chunk_bytes(2048)
                .chunk_delay(Duration::from_secs(120))
                .start()
                .await?;
            Ok::<_, Box<dyn Error>>((receiver, fast, paced, slow))
        })?;
        Ok(Self {
            runtime,
            receiver,
            fast,
            paced,
            slow,
        })
    }

    /// Spans received so far for one `service.name`.
    pub fn spans_of(&self, service: &str) -> usize {
        self.receiver
            .spans()
            .iter()
            .filter(|s| s.resource.get("service.name").and_then(|v| v.as_str()) == Some(service))
            .count()
    }
}

/// A current-thread Tokio runtime on a thread of its own, for the peer's tonic channel:
/// the otel 0.32 batch processor blocks its own thread on exports, so the channel's
/// tasks must not live on the (blocked while flushing) bench thread.
struct PeerExportThread {
    handle: tokio::runtime::Handle,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl PeerExportThread {
    fn start() -> Result<Self, Box<dyn Error>> {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("peer-export".to_owned())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => {
                        if tx.send(Ok(rt.handle().clone())).is_ok() {
                            let _ = rt.block_on(stopped);
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            })?;
        let handle = rx.recv()??;
        Ok(Self {
            handle,
            _stop: stop,
        })
    }
}

/// Both export pipelines, to the same receiver over OTLP/gRPC.
pub struct Pipelines {
    /// Ours: `mistral-otel-export` (otel 0.33 SDK, batch span processor, periodic metrics,
    /// no logs).
    pub ours: Telemetry,
    /// The peer's: otel 0.32 SDK with its batch span processor and the otlp 0.32 tonic exporter.
    pub peer: otel32_sdk::trace::SdkTracerProvider,
    _peer_thread: PeerExportThread,
}

impl Pipelines {
    /// Builds both and installs, for both opentelemetry versions, the W3C trace-context
    /// propagator (so both inject `traceparent`), and the global `tracing` subscriber
    /// that feeds reqwest-tracing's spans to the peer pipeline. The subscriber passes INFO
    /// and above (reqwest-tracing's spans are INFO), as a production filter would; it is
    /// global, so every variant runs under it.
    pub fn start(servers: &Servers) -> Result<Self, Box<dyn Error>> {
        let ours = OtlpConfig::new()
            .protocol(Protocol::Grpc)
            .endpoint(servers.receiver.grpc_endpoint())
            .service_name(OURS_SERVICE)
            .metrics(true)
            // nothing in the bench emits GenAI events: no logger provider, no log exports
            .logs(false)
            .build()?;
        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );

        let peer_thread = PeerExportThread::start()?;
        let exporter = {
            let _entered = peer_thread.handle.enter();
            otlp32::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(servers.receiver.grpc_endpoint())
                .build()?
        };
        let peer = otel32_sdk::trace::SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(
                otel32_sdk::Resource::builder()
                    .with_service_name(PEER_SERVICE)
                    .build(),
            )
            .build();
        otel32::global::set_text_map_propagator(
            otel32_sdk::propagation::TraceContextPropagator::new(),
        );
        let layer = tracing_opentelemetry::layer()
            .with_tracer(peer.tracer("reqwest-tracing"))
            .with_filter(tracing_subscriber::filter::LevelFilter::INFO);
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))?;
        Ok(Self {
            ours,
            peer,
            _peer_thread: peer_thread,
        })
    }

    /// Exports everything both pipelines hold.
    pub fn flush(&self) {
        let _ = self.ours.force_flush();
        let _ = self.peer.force_flush();
    }

    pub fn flush_variant(&self, variant: Variant) {
        match variant {
            Variant::Bare => {}
            // traces only: the metrics keep their own (60 s) export interval
            Variant::Ours | Variant::OursCapture => {
                let _ = self.ours.tracer_provider().force_flush();
            }
            Variant::Peer => {
                let _ = self.peer.force_flush();
            }
        }
    }
}

/// A pause after a flush, so the receiver's work on that export does not spill into the
/// next variant's calls.
pub async fn let_servers_settle() {
    tokio::time::sleep(Duration::from_millis(2)).await;
}

/// What is between the caller and reqwest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variant {
    /// (a) a bare reqwest_middleware client.
    Bare,
    /// (b) MistralTracing, content capture off.
    Ours,
    /// (b) with content capture on.
    OursCapture,
    /// (c) reqwest-tracing's TracingMiddleware + tracing-opentelemetry.
    Peer,
}

impl Variant {
    pub const ABC: [Variant; 3] = [Variant::Bare, Variant::Ours, Variant::Peer];

    pub fn label(self) -> &'static str {
        match self {
            Variant::Bare => "(a) bare",
            Variant::Ours => "(b) mistral-otel",
            Variant::OursCapture => "(b+) mistral-otel, capture on",
            Variant::Peer => "(c) reqwest-tracing",
        }
    }
}

/// One client per variant, each with its own connection pool.
pub struct Clients {
    pub bare: ClientWithMiddleware,
    pub ours: ClientWithMiddleware,
    pub ours_capture: ClientWithMiddleware,
    pub peer: ClientWithMiddleware,
}

impl Clients {
    pub fn new(pipelines: &Pipelines) -> Result<Self, Box<dyn Error>> {
        let meter = pipelines
            .ours
            .meter_provider()
            .ok_or("metrics are on, so there is a meter provider")?;
        let ours = |capture: bool| -> Result<ClientWithMiddleware, Box<dyn Error>> {
            Ok(ClientBuilder::new(http_client()?)
                .with(
                    MistralTracing::builder()
                        .host("127.0.0.1")
                        .tracer_provider(pipelines.ours.tracer_provider())
                        .meter_provider(meter)
                        .capture_content(capture)
                        .build(),
                )
                .build())
        };
        Ok(Self {
            bare: ClientBuilder::new(http_client()?).build(),
            ours: ours(false)?,
            ours_capture: ours(true)?,
            peer: ClientBuilder::new(http_client()?)
                .with(reqwest_tracing::TracingMiddleware::default())
                .build(),
        })
    }

    pub fn get(&self, variant: Variant) -> &ClientWithMiddleware {
        match variant {
            Variant::Bare => &self.bare,
            Variant::Ours => &self.ours,
            Variant::OursCapture => &self.ours_capture,
            Variant::Peer => &self.peer,
        }
    }
}

fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(usize::MAX)
        .build()
}
