//! The thread exports run on.
//!
//! The HTTP exporter's async client needs a Tokio reactor, and the SDK's async batch
//! processor and periodic reader block the caller of `force_flush`/`shutdown` until their
//! task answers. On the application's runtime that deadlocks a current-thread runtime
//! (including `#[tokio::test]`), even on a plain drop of the provider. So each
//! [`Telemetry`](crate::Telemetry) gets a small current-thread runtime on a thread of its
//! own, which lives exactly as long as the exporters: they hold [`RuntimeBound`] tokens,
//! and when the last one drops (after the SDK shut the pipelines down) the thread ends.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use opentelemetry::InstrumentationScope;
use opentelemetry::logs::Severity;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{LogBatch, LogExporter, SdkLogRecord};
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// Keeps the export thread running while held; the thread ends when the last clone drops.
#[derive(Clone)]
pub(crate) struct Lease {
    _stop: Arc<oneshot::Sender<()>>,
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Lease")
    }
}

/// Starts the export thread and returns a handle to spawn on it and its first lease.
pub(crate) fn start() -> std::io::Result<(Handle, Lease)> {
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let (handle_tx, handle_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("mistral-otel-export".to_owned())
        .spawn(move || {
            // Built and dropped on this thread: dropping a runtime inside another
            // runtime's async context panics.
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => {
                    if handle_tx.send(Ok(runtime.handle().clone())).is_ok() {
                        // Every sender is gone once the leases drop: that is the stop signal.
                        let _ = runtime.block_on(stop_rx);
                    }
                }
                Err(e) => {
                    let _ = handle_tx.send(Err(e));
                }
            }
        })?;
    let handle = handle_rx
        .recv()
        .map_err(|_| std::io::Error::other("the export thread exited before starting"))??;
    Ok((
        handle,
        Lease {
            _stop: Arc::new(stop_tx),
        },
    ))
}

/// A span exporter whose exports run on the export thread, so the SDK's thread-based
/// batch processor (which wakes its worker once per batch, not once per span) can drive
/// an exporter that needs a Tokio reactor.
#[derive(Debug)]
pub(crate) struct OnExportThread<E> {
    inner: Arc<E>,
    handle: Handle,
    _lease: Lease,
}

impl<E> OnExportThread<E> {
    pub(crate) fn new(inner: E, handle: Handle, lease: Lease) -> Self {
        Self {
            inner: Arc::new(inner),
            handle,
            _lease: lease,
        }
    }
}

impl<E: SpanExporter + 'static> SpanExporter for OnExportThread<E> {
    fn export(&self, batch: Vec<SpanData>) -> impl Future<Output = OTelSdkResult> + Send {
        let inner = Arc::clone(&self.inner);
        let task = self.handle.spawn(async move { inner.export(batch).await });
        async move {
            task.await.unwrap_or_else(|e| {
                Err(opentelemetry_sdk::error::OTelSdkError::InternalFailure(
                    format!("the export task failed: {e}"),
                ))
            })
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn shutdown(&self) -> OTelSdkResult {
        self.inner.shutdown()
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        // called while the pipeline is built, before any export shares the exporter
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.set_resource(resource);
        }
    }
}

/// A log exporter whose exports run on the export thread, for the SDK's thread-based
/// batch log processor (the same reasons as for spans: the OTLP exporters need a Tokio
/// reactor, and the processor's worker thread has none).
///
/// A [`LogBatch`] borrows the processor's records, so they are cloned into the export
/// task (one copy per record per export, next to a network round trip).
impl<E: LogExporter + 'static> LogExporter for OnExportThread<E> {
    fn export(&self, batch: LogBatch<'_>) -> impl Future<Output = OTelSdkResult> + Send {
        let owned: Vec<(SdkLogRecord, InstrumentationScope)> = batch
            .iter()
            .map(|(record, scope)| (record.clone(), scope.clone()))
            .collect();
        let inner = Arc::clone(&self.inner);
        let task = self.handle.spawn(async move {
            let borrowed: Vec<(&SdkLogRecord, &InstrumentationScope)> = owned
                .iter()
                .map(|(record, scope)| (record, scope))
                .collect();
            inner.export(LogBatch::new(&borrowed)).await
        });
        async move {
            task.await.unwrap_or_else(|e| {
                Err(opentelemetry_sdk::error::OTelSdkError::InternalFailure(
                    format!("the export task failed: {e}"),
                ))
            })
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn shutdown(&self) -> OTelSdkResult {
        self.inner.shutdown()
    }

    fn event_enabled(&self, level: Severity, target: &str, name: Option<&str>) -> bool {
        self.inner.event_enabled(level, target, name)
    }

    fn set_resource(&mut self, resource: &Resource) {
        // called while the pipeline is built, before any export shares the exporter
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.set_resource(resource);
        }
    }
}

/// An exporter that keeps the export thread alive for as long as it exists.
#[derive(Debug)]
pub(crate) struct RuntimeBound<E> {
    inner: E,
    _lease: Lease,
}

impl<E> RuntimeBound<E> {
    pub(crate) fn new(inner: E, lease: Lease) -> Self {
        Self {
            inner,
            _lease: lease,
        }
    }
}

impl<E: SpanExporter> SpanExporter for RuntimeBound<E> {
    fn export(&self, batch: Vec<SpanData>) -> impl Future<Output = OTelSdkResult> + Send {
        self.inner.export(batch)
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn shutdown(&self) -> OTelSdkResult {
        self.inner.shutdown()
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

impl<E: PushMetricExporter> PushMetricExporter for RuntimeBound<E> {
    fn export(&self, metrics: &ResourceMetrics) -> impl Future<Output = OTelSdkResult> + Send {
        self.inner.export(metrics)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn shutdown(&self) -> OTelSdkResult {
        self.inner.shutdown()
    }

    fn temporality(&self) -> Temporality {
        self.inner.temporality()
    }
}
