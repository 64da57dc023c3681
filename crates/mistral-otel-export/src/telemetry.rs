//! The built export pipelines and how they are assembled.

use std::collections::HashMap;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry_otlp::{
    MetricExporter, RetryPolicy, SpanExporter, WithExportConfig, WithHttpConfig, WithTonicConfig,
};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::metrics::periodic_reader_with_async_runtime::PeriodicReader;
use opentelemetry_sdk::runtime;
use opentelemetry_sdk::trace::BatchSpanProcessor;
use opentelemetry_sdk::trace::{BatchConfigBuilder, SdkTracerProvider, TracerProviderBuilder};
use tonic::metadata::MetadataMap;

use crate::config::{OtlpConfig, Protocol};
use crate::error::ExportError;
use crate::export_runtime::{self, OnExportThread, RuntimeBound};
use crate::http_client;

/// A tracer provider and (unless metrics are off) a meter provider exporting over OTLP.
///
/// Clones of the providers keep working after this value is dropped; the pipelines stop
/// when the last clone is gone or at [`Telemetry::shutdown`].
#[derive(Debug)]
pub struct Telemetry {
    tracer_provider: SdkTracerProvider,
    meter_provider: Option<SdkMeterProvider>,
    bound: Duration,
}

impl Telemetry {
    /// The tracer provider: `tracer_provider().tracer("name")`.
    pub fn tracer_provider(&self) -> &SdkTracerProvider {
        &self.tracer_provider
    }

    /// The meter provider, `None` when metrics are off.
    pub fn meter_provider(&self) -> Option<&SdkMeterProvider> {
        self.meter_provider.as_ref()
    }

    /// Exports every finished span and the current metrics now, waiting for the answers,
    /// at most [`OtlpConfig::flush_timeout`] (default 5 s) for both signals together. An
    /// unreachable or silent endpoint shows up here as an error
    /// ([`ExportError::Timeout`] past the bound); nothing panics.
    pub fn force_flush(&self) -> Result<(), ExportError> {
        let (traces, metrics) = (self.tracer_provider.clone(), self.meter_provider.clone());
        bounded("flush", self.bound, move || {
            flush(&traces, metrics.as_ref())
        })
    }

    /// Exports what is left, then stops both pipelines (global providers set by `install`
    /// stop too: they are clones). Returns within [`OtlpConfig::flush_timeout`] (default
    /// 5 s) on the calling thread, whatever the collector does; from async code use
    /// [`Telemetry::shutdown_async`], which blocks no runtime worker.
    pub fn shutdown(self) -> Result<(), ExportError> {
        let bound = self.bound;
        bounded("shutdown", bound, move || self.shutdown_now())
    }

    /// [`Telemetry::shutdown`] for async code: the work and the wait happen on a thread of
    /// their own, so no runtime worker blocks. Works on any executor.
    ///
    /// ```no_run
    /// # async fn stop(telemetry: mistral_otel_export::Telemetry) {
    /// if let Err(err) = telemetry.shutdown_async().await {
    ///     eprintln!("telemetry: {err}");
    /// }
    /// # }
    /// ```
    pub async fn shutdown_async(self) -> Result<(), ExportError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let bound = self.bound;
        let spawned = std::thread::Builder::new()
            .name("mistral-otel-shutdown".into())
            .spawn(move || {
                let _ = tx.send(bounded("shutdown", bound, move || self.shutdown_now()));
            });
        match spawned {
            Ok(_) => rx.await.unwrap_or(Err(ExportError::Timeout {
                operation: "shutdown",
                after: bound,
            })),
            Err(e) => Err(ExportError::Runtime(e)),
        }
    }

    fn shutdown_now(self) -> Result<(), ExportError> {
        let traces = self
            .tracer_provider
            .shutdown_with_timeout(self.bound)
            .map_err(|source| ExportError::Shutdown {
                signal: "traces",
                source,
            });
        let metrics = match &self.meter_provider {
            Some(m) => {
                m.shutdown_with_timeout(self.bound)
                    .map_err(|source| ExportError::Shutdown {
                        signal: "metrics",
                        source,
                    })
            }
            None => Ok(()),
        };
        traces.and(metrics)
    }

    pub(crate) fn set_global(&self) {
        use opentelemetry::propagation::TextMapCompositePropagator;
        use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};

        opentelemetry::global::set_tracer_provider(self.tracer_provider.clone());
        if let Some(m) = &self.meter_provider {
            opentelemetry::global::set_meter_provider(m.clone());
        }
        opentelemetry::global::set_text_map_propagator(TextMapCompositePropagator::new(vec![
            Box::new(TraceContextPropagator::new()),
            Box::new(BaggagePropagator::new()),
        ]));
    }
}

fn flush(
    traces: &SdkTracerProvider,
    metrics: Option<&SdkMeterProvider>,
) -> Result<(), ExportError> {
    let traces = traces.force_flush().map_err(|source| ExportError::Flush {
        signal: "traces",
        source,
    });
    let metrics = match metrics {
        Some(m) => m.force_flush().map_err(|source| ExportError::Flush {
            signal: "metrics",
            source,
        }),
        None => Ok(()),
    };
    traces.and(metrics)
}

/// Run `work` on a thread of its own and wait for it at most `bound`: the SDK's flush and
/// shutdown wait for the exporter, whose own timeout and retries can take far longer.
fn bounded(
    operation: &'static str,
    bound: Duration,
    work: impl FnOnce() -> Result<(), ExportError> + Send + 'static,
) -> Result<(), ExportError> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name(format!("mistral-otel-{operation}"))
        .spawn(move || {
            let _ = tx.send(work());
        })
        .map_err(ExportError::Runtime)?;
    match rx.recv_timeout(bound) {
        Ok(result) => result,
        Err(_) => Err(ExportError::Timeout {
            operation,
            after: bound,
        }),
    }
}

pub(crate) fn build(
    config: &OtlpConfig,
    customize: impl FnOnce(TracerProviderBuilder) -> TracerProviderBuilder,
) -> Result<Telemetry, ExportError> {
    let headers = header_map(&config.headers)?;
    let traces_endpoint = config.signal_endpoint(
        config.traces_endpoint.as_ref(),
        config.traces_protocol,
        "/v1/traces",
    );
    let metrics_endpoint = config.signal_endpoint(
        config.metrics_endpoint.as_ref(),
        config.metrics_protocol,
        "/v1/metrics",
    );
    check_endpoint(traces_endpoint.as_deref())?;
    if config.metrics {
        check_endpoint(metrics_endpoint.as_deref())?;
    }
    let resource = match &config.service_name {
        Some(name) => Resource::builder().with_service_name(name.clone()).build(),
        None => Resource::builder().build(),
    };

    let (handle, lease) = export_runtime::start().map_err(ExportError::Runtime)?;
    // Exporters and processors spawn their tasks (tonic's channel worker, the batch loop,
    // the metric ticker) on the current runtime: make that the export thread's.
    let _on_export_runtime = handle.enter();

    let span_exporter = match config.traces_protocol {
        Protocol::Grpc => tonic_settings(
            SpanExporter::builder().with_tonic(),
            config,
            traces_endpoint,
            &headers,
            opentelemetry_otlp::OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
        )
        .build()?,
        Protocol::HttpProtobuf => http_settings(
            SpanExporter::builder().with_http(),
            config,
            traces_endpoint,
            &headers,
            opentelemetry_otlp::OTEL_EXPORTER_OTLP_TRACES_TIMEOUT,
        )?
        .build()?,
    };
    let mut batch = BatchConfigBuilder::default();
    if let Some(delay) = config.batch_delay {
        batch = batch.with_scheduled_delay(delay);
    }
    // the thread-based processor wakes its worker once per batch; the async one would
    // wake the export task for every span (a context switch per span on the hot path)
    let processor = BatchSpanProcessor::builder(OnExportThread::new(
        span_exporter,
        handle.clone(),
        lease.clone(),
    ))
    .with_batch_config(batch.build())
    .build();

    let meter_provider = if config.metrics {
        let metric_exporter = match config.metrics_protocol {
            Protocol::Grpc => tonic_settings(
                MetricExporter::builder().with_tonic(),
                config,
                metrics_endpoint,
                &headers,
                opentelemetry_otlp::OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
            )
            .build()?,
            Protocol::HttpProtobuf => http_settings(
                MetricExporter::builder().with_http(),
                config,
                metrics_endpoint,
                &headers,
                opentelemetry_otlp::OTEL_EXPORTER_OTLP_METRICS_TIMEOUT,
            )?
            .build()?,
        };
        let mut reader =
            PeriodicReader::builder(RuntimeBound::new(metric_exporter, lease), runtime::Tokio);
        if let Some(interval) = config.metrics_interval {
            reader = reader.with_interval(interval);
        }
        Some(
            SdkMeterProvider::builder()
                .with_resource(resource.clone())
                .with_reader(reader.build())
                .build(),
        )
    } else {
        None
    };

    let tracer_provider = customize(
        SdkTracerProvider::builder()
            .with_resource(resource)
            .with_span_processor(processor),
    )
    .build();

    Ok(Telemetry {
        tracer_provider,
        meter_provider,
        bound: config.flush_timeout,
    })
}

fn header_map(headers: &[(String, String)]) -> Result<HeaderMap, ExportError> {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let invalid = || ExportError::InvalidHeader { name: name.clone() };
        let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
        let header_value = HeaderValue::from_str(value).map_err(|_| invalid())?;
        map.insert(header_name, header_value);
    }
    Ok(map)
}

/// An endpoint needs a scheme (`localhost:4317` would reach tonic as an unparsable URI and
/// the HTTP client as a relative path); without the `tls` feature the HTTP client has no
/// TLS and would fail every export at run time: say so at build instead.
fn check_endpoint(endpoint: Option<&str>) -> Result<(), ExportError> {
    let Some(url) = endpoint else {
        return Ok(());
    };
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    if !matches!(scheme.as_deref(), Some("http" | "https")) {
        return Err(ExportError::InvalidEndpoint {
            endpoint: url.to_owned(),
            reason: "it needs a scheme: write http://host:port or https://host:port",
        });
    }
    if !cfg!(feature = "tls") && is_https(url) {
        return Err(ExportError::TlsNotEnabled {
            endpoint: url.to_owned(),
        });
    }
    Ok(())
}

pub(crate) fn is_https(url: &str) -> bool {
    url.get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

fn retry_policy(retries: usize) -> RetryPolicy {
    if retries == 0 {
        RetryPolicy::disabled()
    } else {
        RetryPolicy::recommended().with_max_retries(retries)
    }
}

/// Applies the settings to a span or metric gRPC exporter builder.
fn tonic_settings<B: WithExportConfig + WithTonicConfig>(
    builder: B,
    config: &OtlpConfig,
    endpoint: Option<String>,
    headers: &HeaderMap,
    signal_endpoint_var: &str,
) -> B {
    #[cfg(feature = "tls")]
    let builder =
        crate::tls::with_roots_for_https(builder, endpoint.as_deref(), signal_endpoint_var);
    #[cfg(not(feature = "tls"))]
    let _ = signal_endpoint_var;
    let mut builder =
        common(builder, config, endpoint).with_metadata(MetadataMap::from_headers(headers.clone()));
    if let Some(retries) = config.retries {
        builder = WithTonicConfig::with_retry_policy(builder, retry_policy(retries));
    }
    builder
}

/// Applies the settings to a span or metric HTTP exporter builder.
fn http_settings<B: WithExportConfig + WithHttpConfig>(
    builder: B,
    config: &OtlpConfig,
    endpoint: Option<String>,
    headers: &HeaderMap,
    signal_timeout_var: &str,
) -> Result<B, ExportError> {
    let client = http_client::client(http_client::timeout(config, signal_timeout_var))?;
    // `header_map` only admits visible-ASCII values, so `to_str` keeps them all.
    let headers: HashMap<String, String> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let mut builder = common(builder, config, endpoint)
        // Set explicitly so a `grpc` value in OTEL_EXPORTER_OTLP_PROTOCOL cannot make the
        // HTTP builder refuse to build.
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_headers(headers)
        .with_http_client(client);
    if let Some(retries) = config.retries {
        builder = WithHttpConfig::with_retry_policy(builder, retry_policy(retries));
    }
    Ok(builder)
}

fn common<B: WithExportConfig>(mut builder: B, config: &OtlpConfig, endpoint: Option<String>) -> B {
    if let Some(endpoint) = endpoint {
        builder = builder.with_endpoint(endpoint);
    }
    if let Some(timeout) = config.timeout {
        builder = builder.with_timeout(timeout);
    }
    builder
}
