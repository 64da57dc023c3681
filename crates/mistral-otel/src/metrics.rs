//! GenAI client metrics (conventions v1.41.1) and per-tool metrics.

use std::sync::Arc;
use std::time::Duration;

use mistral_otel_wire::Usage;
use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram, Meter};

use crate::semconv as sc;

/// Bucket boundaries of the duration-like GenAI histograms, in seconds.
pub const DURATION_BUCKETS: [f64; 14] = [
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/// Bucket boundaries of `gen_ai.client.token.usage`.
pub const TOKEN_BUCKETS: [f64; 14] = [
    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0,
    16777216.0, 67108864.0,
];

/// The instruments, created once per middleware.
#[derive(Debug, Clone)]
pub(crate) struct Instruments {
    duration: Histogram<f64>,
    tokens: Histogram<u64>,
    ttfc: Histogram<f64>,
    per_chunk: Histogram<f64>,
    tool_executions: Counter<u64>,
    tool_duration: Histogram<f64>,
}

impl Instruments {
    pub(crate) fn new(meter: &Meter) -> Self {
        Self {
            duration: meter
                .f64_histogram(sc::metric::OPERATION_DURATION)
                .with_unit("s")
                .with_description("GenAI operation duration")
                .with_boundaries(DURATION_BUCKETS.to_vec())
                .build(),
            tokens: meter
                .u64_histogram(sc::metric::TOKEN_USAGE)
                .with_unit("{token}")
                .with_description("Number of input and output tokens used")
                .with_boundaries(TOKEN_BUCKETS.to_vec())
                .build(),
            ttfc: meter
                .f64_histogram(sc::metric::TIME_TO_FIRST_CHUNK)
                .with_unit("s")
                .with_description("Time to receive the first chunk in a streaming operation")
                .with_boundaries(DURATION_BUCKETS.to_vec())
                .build(),
            per_chunk: meter
                .f64_histogram(sc::metric::TIME_PER_OUTPUT_CHUNK)
                .with_unit("s")
                .with_description("Time between consecutive chunks of a streaming operation")
                .with_boundaries(DURATION_BUCKETS.to_vec())
                .build(),
            tool_executions: meter
                .u64_counter(sc::metric::TOOL_EXECUTIONS)
                .with_unit("{execution}")
                .with_description("Server-side tool executions")
                .build(),
            tool_duration: meter
                .f64_histogram(sc::metric::TOOL_DURATION)
                .with_unit("s")
                .with_description("Server-side tool execution duration")
                .with_boundaries(DURATION_BUCKETS.to_vec())
                .build(),
        }
    }
}

/// The metric facts of one turn, recorded when it ends.
#[derive(Debug, Clone)]
pub(crate) struct TurnMetrics {
    instruments: Arc<Instruments>,
    base: Vec<KeyValue>,
    pub(crate) response_model: Option<String>,
    pub(crate) usage: Option<Usage>,
}

impl TurnMetrics {
    pub(crate) fn new(
        instruments: Arc<Instruments>,
        request_model: Option<&str>,
        host: &str,
        port: u16,
    ) -> Self {
        let mut base = vec![
            KeyValue::new(sc::GEN_AI_OPERATION_NAME, sc::op::INVOKE_AGENT),
            KeyValue::new(sc::GEN_AI_PROVIDER_NAME, sc::PROVIDER_MISTRAL),
            KeyValue::new(sc::SERVER_ADDRESS, host.to_owned()),
            KeyValue::new(sc::SERVER_PORT, i64::from(port)),
        ];
        if let Some(model) = request_model {
            base.push(KeyValue::new(sc::GEN_AI_REQUEST_MODEL, model.to_owned()));
        }
        Self {
            instruments,
            base,
            response_model: None,
            usage: None,
        }
    }

    fn attributes(&self) -> Vec<KeyValue> {
        let mut attrs = self.base.clone();
        if let Some(model) = &self.response_model {
            attrs.push(KeyValue::new(sc::GEN_AI_RESPONSE_MODEL, model.clone()));
        }
        attrs
    }

    /// Duration (and `error.type` on failure) and token usage.
    pub(crate) fn record(&self, duration: Duration, error_type: Option<&str>) {
        let mut attrs = self.attributes();
        if let Some(usage) = &self.usage {
            for (kind, value) in [
                ("input", usage.prompt_tokens),
                ("output", usage.completion_tokens),
            ] {
                let mut with_type = attrs.clone();
                with_type.push(KeyValue::new(sc::GEN_AI_TOKEN_TYPE, kind));
                self.instruments.tokens.record(value, &with_type);
            }
        }
        if let Some(e) = error_type {
            attrs.push(KeyValue::new(sc::ERROR_TYPE, e.to_owned()));
        }
        self.instruments
            .duration
            .record(duration.as_secs_f64(), &attrs);
    }

    /// Time to first chunk of a stream.
    pub(crate) fn record_ttfc(&self, ttfc: Duration) {
        self.instruments
            .ttfc
            .record(ttfc.as_secs_f64(), &self.attributes());
    }

    /// Time since the previous chunk, for every chunk after the first.
    pub(crate) fn record_chunk_gap(&self, gap: Duration) {
        self.instruments
            .per_chunk
            .record(gap.as_secs_f64(), &self.base);
    }

    /// One server-side tool execution.
    pub(crate) fn record_tool(&self, name: &str, duration: Option<Duration>) {
        let attrs = [
            KeyValue::new(sc::GEN_AI_PROVIDER_NAME, sc::PROVIDER_MISTRAL),
            KeyValue::new(sc::GEN_AI_TOOL_NAME, name.to_owned()),
        ];
        self.instruments.tool_executions.add(1, &attrs);
        if let Some(d) = duration {
            self.instruments
                .tool_duration
                .record(d.as_secs_f64(), &attrs);
        }
    }
}
