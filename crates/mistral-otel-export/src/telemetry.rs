//! The handle on built export pipelines: flush, shut down (bounded), install globally.

use std::time::Duration;

use opentelemetry_sdk::error::OTelSdkError;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;

use crate::error::ExportError;

/// A tracer provider and (unless turned off) a meter provider and a logger provider,
/// exporting over OTLP or to the console as configured.
///
/// Clones of the providers keep working after this value is dropped; the pipelines stop
/// when the last clone is gone or at [`Telemetry::shutdown`].
#[derive(Debug)]
pub struct Telemetry {
    pub(crate) tracer_provider: SdkTracerProvider,
    pub(crate) meter_provider: Option<SdkMeterProvider>,
    pub(crate) logger_provider: Option<SdkLoggerProvider>,
    pub(crate) bound: Duration,
    /// `OTEL_SDK_DISABLED=true`: nothing exported, no global set.
    pub(crate) disabled: bool,
}

impl Telemetry {
    /// The tracer provider: `tracer_provider().tracer("name")`.
    pub fn tracer_provider(&self) -> &SdkTracerProvider {
        &self.tracer_provider
    }

    /// The meter provider, `None` when metrics are off (switch off, metrics exporter
    /// `none`, or the SDK disabled).
    pub fn meter_provider(&self) -> Option<&SdkMeterProvider> {
        self.meter_provider.as_ref()
    }

    /// The logger provider for log records (the middleware's GenAI events, such as
    /// `gen_ai.client.inference.operation.details`), `None` when logs are off (switch
    /// off, logs exporter `none`, a traces-only preset, or the SDK disabled).
    ///
    /// The OpenTelemetry API (0.33) has no global logger provider, so
    /// [`OtlpConfig::install`](crate::OtlpConfig::install) cannot install this one: hand it
    /// to the middleware yourself.
    ///
    /// ```ignore
    /// let telemetry = mistral_otel_export::OtlpConfig::from_env().install()?;
    /// let mut tracing = mistral_otel::MistralTracing::builder();
    /// if let Some(logger_provider) = telemetry.logger_provider() {
    ///     tracing = tracing.logger_provider(logger_provider);
    /// }
    /// let middleware = tracing.build();
    /// ```
    ///
    /// Records emitted inside a span carry its trace and span ids. They are batched (see
    /// [`OtlpConfig::batch_delay`](crate::OtlpConfig::batch_delay)) and sent on
    /// [`Telemetry::force_flush`] and [`Telemetry::shutdown`] too.
    pub fn logger_provider(&self) -> Option<&SdkLoggerProvider> {
        self.logger_provider.as_ref()
    }

    /// Whether `OTEL_SDK_DISABLED=true` turned everything off: the tracer provider
    /// records and exports nothing, there is no meter or logger provider, and
    /// [`OtlpConfig::install`](crate::OtlpConfig::install) set no global.
    ///
    /// ```
    /// use mistral_otel_export::OtlpConfig;
    ///
    /// # fn main() -> Result<(), mistral_otel_export::ExportError> {
    /// let telemetry = OtlpConfig::from_env_with(|name| {
    ///     (name == "OTEL_SDK_DISABLED").then(|| "TRUE".to_owned())
    /// })
    /// .install()?;
    /// assert!(telemetry.is_disabled());
    /// assert!(telemetry.meter_provider().is_none());
    /// assert!(telemetry.logger_provider().is_none());
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_disabled(&self) -> bool {
        self.disabled
    }

    /// Exports every finished span, the current metrics and every emitted log record now,
    /// waiting for the answers, at most
    /// [`OtlpConfig::flush_timeout`](crate::OtlpConfig::flush_timeout) (default 5 s) for
    /// all signals together. An unreachable or silent endpoint shows up here as an error
    /// ([`ExportError::Timeout`] past the bound); nothing panics.
    pub fn force_flush(&self) -> Result<(), ExportError> {
        let (traces, metrics, logs) = (
            self.tracer_provider.clone(),
            self.meter_provider.clone(),
            self.logger_provider.clone(),
        );
        bounded("flush", self.bound, move || {
            flush(&traces, metrics.as_ref(), logs.as_ref())
        })
    }

    /// Exports what is left, then stops every pipeline (global providers set by `install`
    /// stop too: they are clones, and so are logger providers handed to the middleware). Returns within
    /// [`OtlpConfig::flush_timeout`](crate::OtlpConfig::flush_timeout) (default 5 s) on
    /// the calling thread, whatever the collector does; from async code use
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
        let logs = match &self.logger_provider {
            Some(l) => {
                l.shutdown_with_timeout(self.bound)
                    .map_err(|source| ExportError::Shutdown {
                        signal: "logs",
                        source,
                    })
            }
            None => Ok(()),
        };
        traces.and(metrics).and(logs)
    }

    /// Sets the global providers and propagator; nothing when the SDK is disabled. The
    /// API has no global logger provider: the logger provider is only handed out by
    /// [`Telemetry::logger_provider`].
    pub(crate) fn set_global(&self) {
        use opentelemetry::propagation::TextMapCompositePropagator;
        use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};

        if self.disabled {
            return;
        }

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
    logs: Option<&SdkLoggerProvider>,
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
    let logs = match logs {
        Some(l) => l.force_flush().map_err(|source| ExportError::Flush {
            signal: "logs",
            source,
        }),
        None => Ok(()),
    };
    traces.and(metrics).and(logs)
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
    let timeout = ExportError::Timeout {
        operation,
        after: bound,
    };
    match rx.recv_timeout(bound) {
        // the SDK's own wait, with the same bound, may give up a moment before ours: the
        // same timeout, reported the same way
        Ok(Err(
            ExportError::Flush {
                source: OTelSdkError::Timeout(_),
                ..
            }
            | ExportError::Shutdown {
                source: OTelSdkError::Timeout(_),
                ..
            },
        )) => Err(timeout),
        Ok(result) => result,
        Err(_) => Err(timeout),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_sdk_timeout_inside_the_bound_is_the_same_timeout() {
        let bound = Duration::from_secs(5);
        let result = bounded("shutdown", bound, || {
            Err(ExportError::Shutdown {
                signal: "traces",
                source: OTelSdkError::Timeout(Duration::from_secs(5)),
            })
        });
        assert!(
            matches!(
                result,
                Err(ExportError::Timeout {
                    operation: "shutdown",
                    after
                }) if after == bound
            ),
            "{result:?}"
        );
        // other failures are passed on as they are
        let result = bounded("flush", bound, || {
            Err(ExportError::Flush {
                signal: "metrics",
                source: OTelSdkError::InternalFailure("refused".into()),
            })
        });
        assert!(
            matches!(result, Err(ExportError::Flush { .. })),
            "{result:?}"
        );
    }
}
