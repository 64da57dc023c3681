//! Assembling the export pipelines from an [`OtlpConfig`]: per signal the OTLP exporter
//! (batch span processor, periodic metric reader, batch log processor, exporting on the
//! export thread), the console exporter, or nothing.

use std::collections::HashMap;

use http::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry_otlp::{
    LogExporter, MetricExporter, RetryPolicy, SpanExporter, WithExportConfig, WithHttpConfig,
    WithTonicConfig,
};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::{BatchLogProcessor, SdkLoggerProvider};
use opentelemetry_sdk::metrics::periodic_reader_with_async_runtime::PeriodicReader;
use opentelemetry_sdk::metrics::{MeterProviderBuilder, SdkMeterProvider};
use opentelemetry_sdk::runtime;
use opentelemetry_sdk::trace::{BatchConfigBuilder, SdkTracerProvider, TracerProviderBuilder};
use opentelemetry_sdk::trace::{BatchSpanProcessor, Sampler};
use tokio::runtime::Handle;
use tonic::metadata::MetadataMap;

use crate::config::{OtlpConfig, Protocol, SignalExporter};
use crate::console::{ConsoleExporter, ConsoleLogExporter, ConsoleMetricExporter, Output};
use crate::endpoint::check_endpoint;
use crate::error::ExportError;
use crate::export_runtime::{self, Lease, OnExportThread, RuntimeBound};
use crate::http_client;
use crate::telemetry::Telemetry;

pub(crate) fn build(
    config: &OtlpConfig,
    customize: impl FnOnce(TracerProviderBuilder) -> TracerProviderBuilder,
) -> Result<Telemetry, ExportError> {
    let traces = config.traces_exporter;
    let metrics = config.metrics_exporter_in_use();
    let logs = config.logs_exporter_in_use();
    let otlp_traces = traces == SignalExporter::Otlp;
    let otlp_metrics = metrics == SignalExporter::Otlp;
    let otlp_logs = logs == SignalExporter::Otlp;
    let any_otlp = otlp_traces || otlp_metrics || otlp_logs;
    let headers = if any_otlp {
        header_map(&config.headers)?
    } else {
        HeaderMap::new()
    };
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
    let logs_endpoint = config.signal_endpoint(
        config.logs_endpoint.as_ref(),
        config.logs_protocol,
        "/v1/logs",
    );
    if otlp_traces {
        check_endpoint(traces_endpoint.as_deref())?;
    }
    if otlp_metrics {
        check_endpoint(metrics_endpoint.as_deref())?;
    }
    if otlp_logs {
        check_endpoint(logs_endpoint.as_deref())?;
    }
    let resource = match &config.service_name {
        Some(name) => Resource::builder().with_service_name(name.clone()).build(),
        None => Resource::builder().build(),
    };
    let console = || config.console_output.clone().unwrap_or_else(Output::stderr);

    // The export thread only when OTLP needs it: the console exporters just write.
    let export_thread = if any_otlp {
        Some(export_runtime::start().map_err(ExportError::Runtime)?)
    } else {
        None
    };
    // Exporters and processors spawn their tasks (tonic's channel worker, the batch loop,
    // the metric ticker) on the current runtime: make that the export thread's.
    let _on_export_runtime = export_thread.as_ref().map(|(handle, _)| handle.enter());

    let mut tracer_builder = SdkTracerProvider::builder().with_resource(resource.clone());
    match (traces, &export_thread) {
        (SignalExporter::Otlp, Some((handle, lease))) => {
            let processor = otlp_span_processor(config, traces_endpoint, &headers, handle, lease)?;
            tracer_builder = tracer_builder.with_span_processor(processor);
        }
        (SignalExporter::Console, _) => {
            let exporter = ConsoleExporter::with_output(console());
            tracer_builder = tracer_builder.with_span_processor(exporter.into_processor());
        }
        _ => {}
    }

    let meter_provider = match (metrics, &export_thread) {
        (SignalExporter::Otlp, Some((_, lease))) => {
            let exporter = otlp_metric_exporter(config, metrics_endpoint, &headers)?;
            let mut reader =
                PeriodicReader::builder(RuntimeBound::new(exporter, lease.clone()), runtime::Tokio);
            if let Some(interval) = config.metrics_interval {
                reader = reader.with_interval(interval);
            }
            Some(meters(resource.clone()).with_reader(reader.build()).build())
        }
        (SignalExporter::Console, _) => {
            // the SDK's thread-based reader: the console export is a plain write
            let mut reader = opentelemetry_sdk::metrics::PeriodicReader::builder(
                ConsoleMetricExporter::with_output(console()),
            );
            if let Some(interval) = config.metrics_interval {
                reader = reader.with_interval(interval);
            }
            Some(meters(resource.clone()).with_reader(reader.build()).build())
        }
        _ => None,
    };

    let logger_provider = match (logs, &export_thread) {
        (SignalExporter::Otlp, Some((handle, lease))) => {
            let processor = otlp_log_processor(config, logs_endpoint, &headers, handle, lease)?;
            Some(loggers(resource).with_log_processor(processor).build())
        }
        (SignalExporter::Console, _) => {
            let exporter = ConsoleLogExporter::with_output(console());
            Some(
                loggers(resource)
                    .with_log_processor(exporter.into_processor())
                    .build(),
            )
        }
        _ => None,
    };

    Ok(Telemetry {
        tracer_provider: customize(tracer_builder).build(),
        meter_provider,
        logger_provider,
        bound: config.flush_timeout,
        disabled: false,
    })
}

/// `OTEL_SDK_DISABLED=true`: a tracer provider that samples nothing and has no processor,
/// no meter or logger provider, no export thread.
pub(crate) fn disabled(config: &OtlpConfig) -> Telemetry {
    Telemetry {
        tracer_provider: SdkTracerProvider::builder()
            .with_sampler(Sampler::AlwaysOff)
            .build(),
        meter_provider: None,
        logger_provider: None,
        bound: config.flush_timeout,
        disabled: true,
    }
}

fn meters(resource: Resource) -> MeterProviderBuilder {
    SdkMeterProvider::builder().with_resource(resource)
}

fn loggers(resource: Resource) -> opentelemetry_sdk::logs::LoggerProviderBuilder {
    SdkLoggerProvider::builder().with_resource(resource)
}

fn otlp_span_processor(
    config: &OtlpConfig,
    endpoint: Option<String>,
    headers: &HeaderMap,
    handle: &Handle,
    lease: &Lease,
) -> Result<BatchSpanProcessor, ExportError> {
    let exporter = match config.traces_protocol {
        Protocol::Grpc => tonic_settings(
            SpanExporter::builder().with_tonic(),
            config,
            endpoint,
            headers,
            opentelemetry_otlp::OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
        )
        .build()?,
        Protocol::HttpProtobuf => http_settings(
            SpanExporter::builder().with_http(),
            config,
            endpoint,
            headers,
            opentelemetry_otlp::OTEL_EXPORTER_OTLP_TRACES_TIMEOUT,
        )?
        .build()?,
    };
    let mut batch = BatchConfigBuilder::default();
    if let Some(delay) = config.batch_delay {
        batch = batch.with_scheduled_delay(delay);
    }
    if let Some(spans) = config.span_queue {
        batch = batch.with_max_queue_size(spans);
    }
    if let Some(spans) = config.span_batch {
        batch = batch.with_max_export_batch_size(spans);
    }
    // the thread-based processor wakes its worker once per batch; the async one would
    // wake the export task for every span (a context switch per span on the hot path)
    Ok(
        BatchSpanProcessor::builder(OnExportThread::new(exporter, handle.clone(), lease.clone()))
            .with_batch_config(batch.build())
            .build(),
    )
}

/// The SDK's thread-based batch log processor (its own worker thread, no runtime needed,
/// woken once per batch), with the exports themselves run on the export thread, as for
/// spans. The `experimental_logs_batch_log_processor_with_async_runtime` processor would
/// have the same drawbacks as the async span processor (a task wake-up per record, and
/// flush/shutdown blocking on a task of the application's runtime).
fn otlp_log_processor(
    config: &OtlpConfig,
    endpoint: Option<String>,
    headers: &HeaderMap,
    handle: &Handle,
    lease: &Lease,
) -> Result<BatchLogProcessor, ExportError> {
    let exporter = match config.logs_protocol {
        Protocol::Grpc => tonic_settings(
            LogExporter::builder().with_tonic(),
            config,
            endpoint,
            headers,
            opentelemetry_otlp::OTEL_EXPORTER_OTLP_LOGS_ENDPOINT,
        )
        .build()?,
        Protocol::HttpProtobuf => http_settings(
            LogExporter::builder().with_http(),
            config,
            endpoint,
            headers,
            opentelemetry_otlp::OTEL_EXPORTER_OTLP_LOGS_TIMEOUT,
        )?
        .build()?,
    };
    let mut batch = opentelemetry_sdk::logs::BatchConfigBuilder::default();
    if let Some(delay) = config.batch_delay {
        batch = batch.with_scheduled_delay(delay);
    }
    Ok(
        BatchLogProcessor::builder(OnExportThread::new(exporter, handle.clone(), lease.clone()))
            .with_batch_config(batch.build())
            .build(),
    )
}

fn otlp_metric_exporter(
    config: &OtlpConfig,
    endpoint: Option<String>,
    headers: &HeaderMap,
) -> Result<MetricExporter, ExportError> {
    Ok(match config.metrics_protocol {
        Protocol::Grpc => tonic_settings(
            MetricExporter::builder().with_tonic(),
            config,
            endpoint,
            headers,
            opentelemetry_otlp::OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
        )
        .build()?,
        Protocol::HttpProtobuf => http_settings(
            MetricExporter::builder().with_http(),
            config,
            endpoint,
            headers,
            opentelemetry_otlp::OTEL_EXPORTER_OTLP_METRICS_TIMEOUT,
        )?
        .build()?,
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

fn retry_policy(retries: usize) -> RetryPolicy {
    if retries == 0 {
        RetryPolicy::disabled()
    } else {
        RetryPolicy::recommended().with_max_retries(retries)
    }
}

/// Applies the settings to a span, metric or log gRPC exporter builder.
fn tonic_settings<B: WithExportConfig + WithTonicConfig>(
    builder: B,
    config: &OtlpConfig,
    endpoint: Option<String>,
    headers: &HeaderMap,
    signal_endpoint_var: &str,
) -> B {
    #[cfg(feature = "tls")]
    let builder = crate::tls::with_roots_for_https(
        builder,
        endpoint.as_deref(),
        signal_endpoint_var,
        &config.env,
    );
    #[cfg(not(feature = "tls"))]
    let _ = signal_endpoint_var;
    let mut builder =
        common(builder, config, endpoint).with_metadata(MetadataMap::from_headers(headers.clone()));
    if let Some(retries) = config.retries {
        builder = WithTonicConfig::with_retry_policy(builder, retry_policy(retries));
    }
    builder
}

/// Applies the settings to a span, metric or log HTTP exporter builder.
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
