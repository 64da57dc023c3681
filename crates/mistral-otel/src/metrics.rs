//! GenAI client metrics, under either version of the conventions (see
//! [`Conventions`]), and per-tool metrics.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mistral_otel_wire::Usage;
use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram, Meter};

use crate::semconv::{self as sc, Conventions};

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

/// Bucket boundaries of `gen_ai.invoke_agent.duration` (semantic-conventions-genai).
pub const AGENT_DURATION_BUCKETS: [f64; 13] = [
    0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2, 102.4, 204.8, 409.6,
];

/// Bucket boundaries of `gen_ai.invoke_agent.inference_calls` and `.tool_calls`.
pub const CALL_COUNT_BUCKETS: [f64; 8] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];

/// The instruments of one meter provider, under one version of the conventions.
#[derive(Debug, Clone)]
pub(crate) struct Instruments {
    conventions: Conventions,
    /// v1.41.1: every operation; latest: the operations that are neither inference nor
    /// agent invocations (embeddings, moderation, classification, OCR, transcription).
    operation_duration: Histogram<f64>,
    ttfc: Histogram<f64>,
    per_chunk: Histogram<f64>,
    tool_executions: Counter<u64>,
    tool_duration: Histogram<f64>,
    confirmation_wait: Histogram<f64>,
    /// v1.41.1 only.
    token_usage: Option<Histogram<u64>>,
    /// Latest only.
    latest: Option<Latest>,
    cardinality: Arc<Cardinality>,
}

/// The instruments that only `semantic-conventions-genai` v0.1.0 has.
#[derive(Debug, Clone)]
struct Latest {
    inference_duration: Histogram<f64>,
    usage_input: Counter<u64>,
    usage_output: Counter<u64>,
    usage_cache_read: Counter<u64>,
    usage_reasoning: Counter<u64>,
    operation_input: Histogram<u64>,
    operation_output: Histogram<u64>,
    agent_duration: Histogram<f64>,
    embeddings_duration: Histogram<f64>,
    embeddings_input: Histogram<u64>,
    agent_inference_calls: Histogram<u64>,
    agent_tool_calls: Histogram<u64>,
}

fn duration(meter: &Meter, name: &'static str, description: &'static str) -> Histogram<f64> {
    meter
        .f64_histogram(name)
        .with_unit("s")
        .with_description(description)
        .with_boundaries(DURATION_BUCKETS.to_vec())
        .build()
}

fn tokens(meter: &Meter, name: &'static str, description: &'static str) -> Histogram<u64> {
    meter
        .u64_histogram(name)
        .with_unit("{token}")
        .with_description(description)
        .with_boundaries(TOKEN_BUCKETS.to_vec())
        .build()
}

fn counter(meter: &Meter, name: &'static str, description: &'static str) -> Counter<u64> {
    meter
        .u64_counter(name)
        .with_unit("{token}")
        .with_description(description)
        .build()
}

impl Instruments {
    pub(crate) fn new(
        meter: &Meter,
        cardinality: Arc<Cardinality>,
        conventions: Conventions,
    ) -> Self {
        use sc::metric::latest as l;
        let latest = conventions == Conventions::GenAiLatest;
        let (ttfc, per_chunk) = if latest {
            (l::TIME_TO_FIRST_CHUNK, l::TIME_PER_OUTPUT_CHUNK)
        } else {
            (
                sc::metric::TIME_TO_FIRST_CHUNK,
                sc::metric::TIME_PER_OUTPUT_CHUNK,
            )
        };
        Self {
            conventions,
            cardinality,
            operation_duration: duration(
                meter,
                sc::metric::OPERATION_DURATION,
                "GenAI operation duration",
            ),
            ttfc: duration(
                meter,
                ttfc,
                "Time to receive the first chunk in a streaming operation",
            ),
            per_chunk: duration(
                meter,
                per_chunk,
                "Time between consecutive chunks of a streaming operation",
            ),
            tool_executions: meter
                .u64_counter(sc::metric::TOOL_EXECUTIONS)
                .with_unit("{execution}")
                .with_description("Server-side tool executions")
                .build(),
            tool_duration: duration(
                meter,
                if latest {
                    l::EXECUTE_TOOL_DURATION
                } else {
                    sc::metric::TOOL_DURATION
                },
                "Server-side tool execution duration",
            ),
            confirmation_wait: meter
                .f64_histogram(sc::metric::TOOL_CONFIRMATION_WAIT)
                .with_unit("s")
                .with_description("Time a tool call waited for the user's confirmation")
                .with_boundaries(AGENT_DURATION_BUCKETS.to_vec())
                .build(),
            token_usage: (!latest).then(|| {
                tokens(
                    meter,
                    sc::metric::TOKEN_USAGE,
                    "Number of input and output tokens used",
                )
            }),
            latest: latest.then(|| Latest {
                inference_duration: duration(
                    meter,
                    l::INFERENCE_DURATION,
                    "GenAI inference duration",
                ),
                usage_input: counter(meter, l::USAGE_INPUT_TOKENS, "Input tokens used"),
                usage_output: counter(meter, l::USAGE_OUTPUT_TOKENS, "Output tokens used"),
                usage_cache_read: counter(
                    meter,
                    l::USAGE_CACHE_READ_INPUT_TOKENS,
                    "Input tokens read from the cache",
                ),
                usage_reasoning: counter(
                    meter,
                    l::USAGE_REASONING_OUTPUT_TOKENS,
                    "Output tokens used for reasoning",
                ),
                operation_input: tokens(
                    meter,
                    l::OPERATION_INPUT_TOKENS,
                    "Input tokens per operation",
                ),
                operation_output: tokens(
                    meter,
                    l::OPERATION_OUTPUT_TOKENS,
                    "Output tokens per operation",
                ),
                agent_duration: meter
                    .f64_histogram(l::INVOKE_AGENT_DURATION)
                    .with_unit("s")
                    .with_description("Duration of an agent invocation")
                    .with_boundaries(AGENT_DURATION_BUCKETS.to_vec())
                    .build(),
                embeddings_duration: duration(
                    meter,
                    l::EMBEDDINGS_DURATION,
                    "GenAI embeddings duration",
                ),
                embeddings_input: tokens(
                    meter,
                    l::EMBEDDINGS_INPUT_TOKENS,
                    "Input tokens per embeddings operation",
                ),
                agent_inference_calls: meter
                    .u64_histogram(l::INVOKE_AGENT_INFERENCE_CALLS)
                    .with_unit("{inference_call}")
                    .with_description("Inference calls made in an agent invocation")
                    .with_boundaries(CALL_COUNT_BUCKETS.to_vec())
                    .build(),
                agent_tool_calls: meter
                    .u64_histogram(l::INVOKE_AGENT_TOOL_CALLS)
                    .with_unit("{tool_call}")
                    .with_description("Client-side tool calls asked for in an agent invocation")
                    .with_boundaries(CALL_COUNT_BUCKETS.to_vec())
                    .build(),
            }),
        }
    }
}

/// The metric facts of one GenAI call, recorded when it ends.
#[derive(Debug, Clone)]
pub(crate) struct CallMetrics {
    instruments: Arc<Instruments>,
    operation: &'static str,
    base: Vec<KeyValue>,
    pub(crate) response_model: Option<String>,
    pub(crate) usage: Option<Usage>,
    /// Model outputs (inference calls) of an agent invocation, when known.
    pub(crate) inference_calls: Option<u64>,
    /// Function calls the model asked the client to run, when known.
    pub(crate) tool_calls: Option<u64>,
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
            operation,
            base,
            response_model: None,
            usage: None,
            inference_calls: None,
            tool_calls: None,
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

    fn admitted_error(&self, error_type: Option<&str>) -> Option<KeyValue> {
        error_type.map(|e| {
            let e = self
                .instruments
                .cardinality
                .error_types
                .admit(e, MAX_METRIC_ERROR_TYPES);
            KeyValue::new(sc::ERROR_TYPE, e)
        })
    }

    /// Duration (and `error.type` on failure) and token usage, under the conventions' names.
    pub(crate) fn record(&self, duration: Duration, error_type: Option<&str>) {
        let attrs = self.attributes();
        let error = self.admitted_error(error_type);
        let mut with_error = attrs.clone();
        with_error.extend(error.clone());
        let seconds = duration.as_secs_f64();
        let i = &self.instruments;
        match &i.latest {
            None => {
                i.operation_duration.record(seconds, &with_error);
                if let (Some(usage), Some(histogram)) = (&self.usage, &i.token_usage) {
                    for (kind, value) in [
                        ("input", usage.prompt_tokens),
                        ("output", usage.completion_tokens),
                    ] {
                        if kind == "output" && self.input_only && value == 0 {
                            continue;
                        }
                        let mut with_type = attrs.clone();
                        with_type.push(KeyValue::new(sc::GEN_AI_TOKEN_TYPE, kind));
                        histogram.record(value, &with_type);
                    }
                }
            }
            Some(latest) => {
                match self.operation {
                    sc::op::CHAT | sc::op::TEXT_COMPLETION => {
                        latest.inference_duration.record(seconds, &with_error)
                    }
                    sc::op::INVOKE_AGENT => {
                        latest.agent_duration.record(seconds, &with_error);
                        if let Some(n) = self.inference_calls {
                            latest.agent_inference_calls.record(n, &attrs);
                        }
                        if let Some(n) = self.tool_calls {
                            latest.agent_tool_calls.record(n, &attrs);
                        }
                    }
                    sc::op::EMBEDDINGS => latest.embeddings_duration.record(seconds, &with_error),
                    _ => i.operation_duration.record(seconds, &with_error),
                }
                if self.operation == sc::op::EMBEDDINGS {
                    let tokens = self.usage.as_ref().map_or(0, |u| u.prompt_tokens);
                    latest.embeddings_input.record(tokens, &with_error);
                } else {
                    self.record_latest_tokens(latest, &attrs, &with_error);
                }
            }
        }
    }

    /// Token counters and histograms: for every call that uses tokens, failed ones too (the
    /// histograms with `error.type`, and 0 when no usage came back).
    fn record_latest_tokens(&self, latest: &Latest, attrs: &[KeyValue], with_error: &[KeyValue]) {
        if self.operation == sc::op::OCR {
            // OCR answers pages, not tokens
            return;
        }
        let usage = self.usage.clone().unwrap_or_default();
        // the counters say which modality the tokens were (audio in, for a transcription)
        let modality = |m: &'static str| {
            let mut with = attrs.to_vec();
            with.push(KeyValue::new(sc::GEN_AI_TOKEN_MODALITY, m));
            with
        };
        let input_modality = if self.operation == sc::op::TRANSCRIPTION {
            "audio"
        } else {
            "text"
        };
        latest
            .operation_input
            .record(usage.prompt_tokens, with_error);
        latest
            .usage_input
            .add(usage.prompt_tokens, &modality(input_modality));
        if !self.input_only || usage.completion_tokens > 0 {
            latest
                .operation_output
                .record(usage.completion_tokens, with_error);
            latest
                .usage_output
                .add(usage.completion_tokens, &modality("text"));
        }
        if let Some(cached) = usage.cached_tokens {
            latest
                .usage_cache_read
                .add(cached, &modality(input_modality));
        }
        if let Some(reasoning) = usage.reasoning_tokens {
            latest.usage_reasoning.add(reasoning, &modality("text"));
        }
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

    /// How long a tool call waited for its confirmation, by tool and outcome.
    pub(crate) fn record_confirmation_wait(&self, tool: &str, outcome: &str, wait: Duration) {
        let tool = self
            .instruments
            .cardinality
            .tool_names
            .admit(tool, MAX_METRIC_TOOL_NAMES);
        let outcome_key = match self.instruments.conventions {
            Conventions::GenAiLatest => sc::GEN_AI_TOOL_CALL_DECISION_OUTCOME,
            _ => sc::MISTRAL_TOOL_CALL_DECISION_OUTCOME,
        };
        let outcome = match outcome {
            "allow" | "deny" => outcome.to_owned(),
            _ => OTHER.to_owned(),
        };
        self.instruments.confirmation_wait.record(
            wait.as_secs_f64(),
            &[
                KeyValue::new(sc::GEN_AI_PROVIDER_NAME, sc::PROVIDER_MISTRAL),
                KeyValue::new(sc::GEN_AI_TOOL_NAME, tool),
                KeyValue::new(outcome_key, outcome),
            ],
        );
    }

    /// One server-side tool execution.
    pub(crate) fn record_tool(&self, name: &str, duration: Option<Duration>) {
        let name = self
            .instruments
            .cardinality
            .tool_names
            .admit(name, MAX_METRIC_TOOL_NAMES);
        let mut attrs = vec![
            KeyValue::new(sc::GEN_AI_PROVIDER_NAME, sc::PROVIDER_MISTRAL),
            KeyValue::new(sc::GEN_AI_TOOL_NAME, name),
        ];
        self.instruments.tool_executions.add(1, &attrs);
        if self.instruments.conventions == Conventions::GenAiLatest {
            attrs.push(KeyValue::new(
                sc::GEN_AI_OPERATION_NAME,
                sc::op::EXECUTE_TOOL,
            ));
        }
        if let Some(d) = duration {
            self.instruments
                .tool_duration
                .record(d.as_secs_f64(), &attrs);
        }
    }
}
