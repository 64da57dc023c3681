//! GenAI client metrics (conventions v1.41.1) and per-tool metrics.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
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

/// Distinct `error.type` values (some come from server bodies) kept as metric attributes;
/// past it they become `_OTHER`.
pub const MAX_METRIC_ERROR_TYPES: usize = 32;
/// Distinct tool names (connectors name their own tools) kept as metric attributes; past it
/// they become `_OTHER`.
pub const MAX_METRIC_TOOL_NAMES: usize = 64;

const OTHER: &str = "_OTHER";

/// Bounds the metric attribute values that the server or the application's connectors
/// choose, so that their time series cannot grow without limit.
#[derive(Debug, Default)]
pub(crate) struct Cardinality {
    error_types: Bounded,
    tool_names: Bounded,
}

#[derive(Debug, Default)]
struct Bounded(Mutex<HashSet<String>>);

impl Bounded {
    /// `value` when it is known or there is room for it, else `_OTHER`.
    fn admit(&self, value: &str, cap: usize) -> String {
        let Ok(mut seen) = self.0.lock() else {
            return OTHER.to_owned();
        };
        if seen.contains(value) {
            return value.to_owned();
        }
        if seen.len() < cap {
            seen.insert(value.to_owned());
            return value.to_owned();
        }
        OTHER.to_owned()
    }
}

/// The instruments of one meter provider.
#[derive(Debug, Clone)]
pub(crate) struct Instruments {
    duration: Histogram<f64>,
    tokens: Histogram<u64>,
    ttfc: Histogram<f64>,
    per_chunk: Histogram<f64>,
    tool_executions: Counter<u64>,
    tool_duration: Histogram<f64>,
    cardinality: Arc<Cardinality>,
}

impl Instruments {
    pub(crate) fn new(meter: &Meter, cardinality: Arc<Cardinality>) -> Self {
        Self {
            cardinality,
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

/// The metric facts of one GenAI call, recorded when it ends.
#[derive(Debug, Clone)]
pub(crate) struct CallMetrics {
    instruments: Arc<Instruments>,
    base: Vec<KeyValue>,
    pub(crate) response_model: Option<String>,
    pub(crate) usage: Option<Usage>,
    /// Embeddings, moderation, classification and OCR count input tokens only.
    input_only: bool,
}

impl CallMetrics {
    pub(crate) fn new(
        instruments: Arc<Instruments>,
        operation: &'static str,
        request_model: Option<&str>,
        host: &str,
        port: u16,
    ) -> Self {
        let mut base = vec![
            KeyValue::new(sc::GEN_AI_OPERATION_NAME, operation),
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
            input_only: matches!(
                operation,
                sc::op::EMBEDDINGS | sc::op::MODERATION | sc::op::CLASSIFICATION | sc::op::OCR
            ),
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
                if kind == "output" && self.input_only && value == 0 {
                    continue;
                }
                let mut with_type = attrs.clone();
                with_type.push(KeyValue::new(sc::GEN_AI_TOKEN_TYPE, kind));
                self.instruments.tokens.record(value, &with_type);
            }
        }
        if let Some(e) = error_type {
            let e = self
                .instruments
                .cardinality
                .error_types
                .admit(e, MAX_METRIC_ERROR_TYPES);
            attrs.push(KeyValue::new(sc::ERROR_TYPE, e));
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
        let name = self
            .instruments
            .cardinality
            .tool_names
            .admit(name, MAX_METRIC_TOOL_NAMES);
        let attrs = [
            KeyValue::new(sc::GEN_AI_PROVIDER_NAME, sc::PROVIDER_MISTRAL),
            KeyValue::new(sc::GEN_AI_TOOL_NAME, name),
        ];
        self.instruments.tool_executions.add(1, &attrs);
        if let Some(d) = duration {
            self.instruments
                .tool_duration
                .record(d.as_secs_f64(), &attrs);
        }
    }
}
