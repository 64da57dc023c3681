//! Assembling the export pipelines from an [`OtlpConfig`]: exporters, the batch span
//! processor and the periodic metric reader, all exporting on the export thread.

use std::collections::HashMap;

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
use crate::endpoint::check_endpoint;
use crate::error::ExportError;
use crate::export_runtime::{self, OnExportThread, RuntimeBound};
use crate::http_client;
use crate::telemetry::Telemetry;

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
