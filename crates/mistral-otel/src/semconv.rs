//! Every attribute, event and metric name this crate emits, in one place.
//!
//! Names follow the OpenTelemetry GenAI semantic conventions v1.41.1 by default, or the
//! `open-telemetry/semantic-conventions-genai` v0.1.0 names on opt-in ([`Conventions`]);
//! crate-specific extras live under `mistral_ai.*`. A later rename is a one-line change
//! here.

/// Which version of the GenAI semantic conventions the spans and metrics follow.
///
/// The default is core v1.41.1, the last core release that defines the GenAI conventions.
/// `OTEL_SEMCONV_STABILITY_OPT_IN` containing `gen_ai_latest_experimental` (a
/// comma-separated list), or [`MistralTracingBuilder::conventions`](crate::MistralTracingBuilder::conventions)
/// (which wins), selects `semantic-conventions-genai` v0.1.0 instead:
///
/// | | v1.41.1 | v0.1.0 (`GenAiLatest`) |
/// | --- | --- | --- |
/// | chat / FIM completion metrics | `gen_ai.client.operation.duration`, `gen_ai.client.token.usage` | `gen_ai.client.inference.duration`, usage counters `gen_ai.client.inference.usage.*` (with `gen_ai.token.modality`), histograms `gen_ai.client.inference.operation.{input,output}_tokens` (failed calls too, with `error.type`) |
/// | embeddings metrics | `gen_ai.client.operation.duration`, `gen_ai.client.token.usage` | `gen_ai.client.embeddings.duration`, `gen_ai.client.embeddings.operation.input_tokens` |
/// | streaming metrics | `gen_ai.client.operation.time_to_first_chunk`, `.time_per_output_chunk` | `gen_ai.client.inference.time_to_first_chunk`, `.time_per_output_chunk` |
/// | turns and agents completions | `gen_ai.client.operation.duration` | `gen_ai.invoke_agent.duration`, `.inference_calls`, `.tool_calls`; `gen_ai.execute_tool.duration` per server-side tool; `gen_ai.request.stream` on a streamed turn |
/// | handoffs | `invoke_agent {next agent}` owning what follows | the transfer `execute_tool handoff {target}` (`gen_ai.transfer.mode`, `gen_ai.transfer.target.name`), then the receiving agent's `invoke_agent {next agent}` linked to it |
/// | tool confirmations | span event `mistral_ai.tool.call.decision` (`mistral_ai.tool.call.decision.outcome`) | span event `gen_ai.tool.call.decision` (`gen_ai.tool.call.decision.outcome`) |
///
/// The v0.1.0 names were checked against the texts of the v0.1.0 tag that could be read
/// and, for the rest, the model files nearest to it (the tests' name lists say which);
/// the transfer and decision names are those of their pending changes (#447, #535).
///
/// ```
/// use mistral_otel::semconv::Conventions;
/// assert_eq!(Conventions::from_opt_in(Some("http,gen_ai_latest_experimental")), Conventions::GenAiLatest);
/// assert_eq!(Conventions::from_opt_in(Some("http")), Conventions::V1_41);
/// assert_eq!(Conventions::from_opt_in(None), Conventions::V1_41);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Conventions {
    /// Core semantic conventions v1.41.1 (the default).
    #[default]
    V1_41,
    /// `semantic-conventions-genai` v0.1.0 (`gen_ai_latest_experimental`).
    GenAiLatest,
}

/// The variable that opts in to the latest GenAI conventions.
pub const STABILITY_OPT_IN_ENV: &str = "OTEL_SEMCONV_STABILITY_OPT_IN";

impl Conventions {
    /// The conventions `OTEL_SEMCONV_STABILITY_OPT_IN` asks for: `GenAiLatest` when its
    /// comma-separated list holds `gen_ai_latest_experimental`.
    pub fn from_opt_in(value: Option<&str>) -> Self {
        let latest = value.is_some_and(|v| {
            v.split(',').any(|item| {
                item.trim()
                    .eq_ignore_ascii_case("gen_ai_latest_experimental")
            })
        });
        if latest {
            Conventions::GenAiLatest
        } else {
            Conventions::V1_41
        }
    }

    /// The schema URL of the instrumentation scope.
    pub fn schema_url(self) -> &'static str {
        match self {
            Conventions::V1_41 => "https://opentelemetry.io/schemas/1.41.1",
            // semantic-conventions-genai v0.1.0 depends on core v1.45.0; its own schema URL
            // could not be read here, so the core one it builds on is named
            Conventions::GenAiLatest => "https://opentelemetry.io/schemas/1.45.0",
        }
    }
}

/// `gen_ai.operation.name`
pub const GEN_AI_OPERATION_NAME: &str = "gen_ai.operation.name";
/// `gen_ai.provider.name`
pub const GEN_AI_PROVIDER_NAME: &str = "gen_ai.provider.name";
/// The provider value for Mistral.
pub const PROVIDER_MISTRAL: &str = "mistral_ai";
/// `gen_ai.request.model`
pub const GEN_AI_REQUEST_MODEL: &str = "gen_ai.request.model";
/// `gen_ai.response.model`
pub const GEN_AI_RESPONSE_MODEL: &str = "gen_ai.response.model";
/// `gen_ai.response.id`
pub const GEN_AI_RESPONSE_ID: &str = "gen_ai.response.id";
/// `gen_ai.response.finish_reasons`
pub const GEN_AI_RESPONSE_FINISH_REASONS: &str = "gen_ai.response.finish_reasons";
/// `gen_ai.response.time_to_first_chunk` (seconds)
pub const GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: &str = "gen_ai.response.time_to_first_chunk";
/// `gen_ai.agent.id`
pub const GEN_AI_AGENT_ID: &str = "gen_ai.agent.id";
/// `gen_ai.agent.name`
pub const GEN_AI_AGENT_NAME: &str = "gen_ai.agent.name";
/// `gen_ai.agent.description`
pub const GEN_AI_AGENT_DESCRIPTION: &str = "gen_ai.agent.description";
/// `gen_ai.agent.version`
pub const GEN_AI_AGENT_VERSION: &str = "gen_ai.agent.version";
/// `gen_ai.transfer.mode` (latest conventions): `pass_control` for Mistral's handoffs,
/// where the next agent answers and control does not come back.
pub const GEN_AI_TRANSFER_MODE: &str = "gen_ai.transfer.mode";
/// `gen_ai.transfer.target.name` (latest conventions)
pub const GEN_AI_TRANSFER_TARGET_NAME: &str = "gen_ai.transfer.target.name";
/// `gen_ai.tool.name` of a handoff's transfer span (Mistral exposes no tool of its own).
pub const HANDOFF_TOOL: &str = "handoff";
/// The span event of a handoff the server handed back to the client
/// (`handoff_execution: client`): `mistral_ai.handoff`.
pub const MISTRAL_HANDOFF_EVENT: &str = "mistral_ai.handoff";
/// `mistral_ai.handoff.next_agent_id`: the agent a client-side handoff goes to.
pub const MISTRAL_HANDOFF_NEXT_AGENT_ID: &str = "mistral_ai.handoff.next_agent_id";
/// `mistral_ai.handoff.next_agent_name`
pub const MISTRAL_HANDOFF_NEXT_AGENT_NAME: &str = "mistral_ai.handoff.next_agent_name";
/// `mistral_ai.agent.version_alias`: the alias a request names as the agent's version.
pub const MISTRAL_AGENT_VERSION_ALIAS: &str = "mistral_ai.agent.version_alias";
/// `gen_ai.conversation.id`
pub const GEN_AI_CONVERSATION_ID: &str = "gen_ai.conversation.id";
/// `gen_ai.request.stream`
pub const GEN_AI_REQUEST_STREAM: &str = "gen_ai.request.stream";
/// `gen_ai.request.temperature`
pub const GEN_AI_REQUEST_TEMPERATURE: &str = "gen_ai.request.temperature";
/// `gen_ai.request.top_p`
pub const GEN_AI_REQUEST_TOP_P: &str = "gen_ai.request.top_p";
/// `gen_ai.request.max_tokens`
pub const GEN_AI_REQUEST_MAX_TOKENS: &str = "gen_ai.request.max_tokens";
/// `gen_ai.request.seed`
pub const GEN_AI_REQUEST_SEED: &str = "gen_ai.request.seed";
/// `gen_ai.request.stop_sequences`
pub const GEN_AI_REQUEST_STOP_SEQUENCES: &str = "gen_ai.request.stop_sequences";
/// `gen_ai.request.frequency_penalty`
pub const GEN_AI_REQUEST_FREQUENCY_PENALTY: &str = "gen_ai.request.frequency_penalty";
/// `gen_ai.request.presence_penalty`
pub const GEN_AI_REQUEST_PRESENCE_PENALTY: &str = "gen_ai.request.presence_penalty";
/// `gen_ai.output.type`
pub const GEN_AI_OUTPUT_TYPE: &str = "gen_ai.output.type";
/// `gen_ai.tool.definitions`
pub const GEN_AI_TOOL_DEFINITIONS: &str = "gen_ai.tool.definitions";
/// `gen_ai.tool.name`
pub const GEN_AI_TOOL_NAME: &str = "gen_ai.tool.name";
/// `gen_ai.tool.type`
pub const GEN_AI_TOOL_TYPE: &str = "gen_ai.tool.type";
/// `gen_ai.tool.call.id`
pub const GEN_AI_TOOL_CALL_ID: &str = "gen_ai.tool.call.id";
/// `gen_ai.tool.call.arguments` (content)
pub const GEN_AI_TOOL_CALL_ARGUMENTS: &str = "gen_ai.tool.call.arguments";
/// `gen_ai.tool.call.result` (content)
pub const GEN_AI_TOOL_CALL_RESULT: &str = "gen_ai.tool.call.result";
/// `gen_ai.usage.input_tokens`
pub const GEN_AI_USAGE_INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
/// `gen_ai.usage.output_tokens`
pub const GEN_AI_USAGE_OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";
/// `gen_ai.system_instructions` (content)
pub const GEN_AI_SYSTEM_INSTRUCTIONS: &str = "gen_ai.system_instructions";
/// `gen_ai.input.messages` (content)
pub const GEN_AI_INPUT_MESSAGES: &str = "gen_ai.input.messages";
/// `gen_ai.output.messages` (content)
pub const GEN_AI_OUTPUT_MESSAGES: &str = "gen_ai.output.messages";
/// `gen_ai.request.choice.count` (`n`, when not 1)
pub const GEN_AI_REQUEST_CHOICE_COUNT: &str = "gen_ai.request.choice.count";
/// `gen_ai.request.encoding_formats`
pub const GEN_AI_REQUEST_ENCODING_FORMATS: &str = "gen_ai.request.encoding_formats";
/// `gen_ai.embeddings.dimension.count`
pub const GEN_AI_EMBEDDINGS_DIMENSION_COUNT: &str = "gen_ai.embeddings.dimension.count";
/// `gen_ai.usage.cache_read.input_tokens`
pub const GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: &str = "gen_ai.usage.cache_read.input_tokens";
/// `gen_ai.usage.reasoning.output_tokens`
pub const GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: &str = "gen_ai.usage.reasoning.output_tokens";
/// `gen_ai.token.modality` (latest conventions: on the usage counters)
pub const GEN_AI_TOKEN_MODALITY: &str = "gen_ai.token.modality";
/// `gen_ai.token.type` (metric attribute)
pub const GEN_AI_TOKEN_TYPE: &str = "gen_ai.token.type";

/// `server.address`
pub const SERVER_ADDRESS: &str = "server.address";
/// `server.port`
pub const SERVER_PORT: &str = "server.port";
/// `http.request.method`
pub const HTTP_REQUEST_METHOD: &str = "http.request.method";
/// `http.response.status_code`
pub const HTTP_RESPONSE_STATUS_CODE: &str = "http.response.status_code";
/// `url.template`
pub const URL_TEMPLATE: &str = "url.template";
/// `error.type`
pub const ERROR_TYPE: &str = "error.type";
/// `exception` event name
pub const EXCEPTION_EVENT: &str = "exception";
/// `exception.type`
pub const EXCEPTION_TYPE: &str = "exception.type";
/// `exception.message`
pub const EXCEPTION_MESSAGE: &str = "exception.message";

/// Operation names.
pub mod op {
    /// `invoke_agent`
    pub const INVOKE_AGENT: &str = "invoke_agent";
    /// `chat`
    pub const CHAT: &str = "chat";
    /// `execute_tool`
    pub const EXECUTE_TOOL: &str = "execute_tool";
    /// `create_agent`
    pub const CREATE_AGENT: &str = "create_agent";
    /// `text_completion` (FIM)
    pub const TEXT_COMPLETION: &str = "text_completion";
    /// `embeddings`
    pub const EMBEDDINGS: &str = "embeddings";
    /// `moderation`: not in the GenAI registry (Mistral's moderation endpoints).
    pub const MODERATION: &str = "moderation";
    /// `classification`: not in the GenAI registry (Mistral's classifier endpoints).
    pub const CLASSIFICATION: &str = "classification";
    /// `ocr`: not in the GenAI registry.
    pub const OCR: &str = "ocr";
    /// `transcription`: not in the GenAI registry.
    pub const TRANSCRIPTION: &str = "transcription";
}

/// `mistral_ai.conversation.operation` (`start` | `append` | `restart`)
pub const MISTRAL_CONVERSATION_OPERATION: &str = "mistral_ai.conversation.operation";
/// `mistral_ai.conversation.source_id`: the conversation a restart started from (its path id).
pub const MISTRAL_SOURCE_CONVERSATION_ID: &str = "mistral_ai.conversation.source_id";
/// `mistral_ai.conversation.from_entry_id`
pub const MISTRAL_FROM_ENTRY_ID: &str = "mistral_ai.conversation.from_entry_id";
/// `mistral_ai.conversation.store`
pub const MISTRAL_STORE: &str = "mistral_ai.conversation.store";
/// `mistral_ai.conversation.handoff_execution`
pub const MISTRAL_HANDOFF_EXECUTION: &str = "mistral_ai.conversation.handoff_execution";
/// `mistral_ai.guardrails`
pub const MISTRAL_GUARDRAILS: &str = "mistral_ai.guardrails";
/// `mistral_ai.guardrail.names`: the guardrails a request configures.
pub const MISTRAL_GUARDRAIL_NAMES: &str = "mistral_ai.guardrail.names";
/// `mistral_ai.guardrail.actions`: their actions (`block` / `none`), in the same order.
pub const MISTRAL_GUARDRAIL_ACTIONS: &str = "mistral_ai.guardrail.actions";
/// `mistral_ai.guardrail.block_on_error`: a failed evaluation blocks the request.
pub const MISTRAL_GUARDRAIL_BLOCK_ON_ERROR: &str = "mistral_ai.guardrail.block_on_error";
/// The span event of one guardrail's result: `mistral_ai.guardrail.result`.
pub const MISTRAL_GUARDRAIL_RESULT_EVENT: &str = "mistral_ai.guardrail.result";
/// `mistral_ai.guardrail.name` (on the result event)
pub const MISTRAL_GUARDRAIL_NAME: &str = "mistral_ai.guardrail.name";
/// `mistral_ai.guardrail.action` (on the result event): what it did.
pub const MISTRAL_GUARDRAIL_ACTION: &str = "mistral_ai.guardrail.action";
/// `mistral_ai.guardrail.violated`: whether the input violated a guardrail.
pub const MISTRAL_GUARDRAIL_VIOLATED: &str = "mistral_ai.guardrail.violated";
/// `mistral_ai.guardrail.categories`: the categories found violated.
pub const MISTRAL_GUARDRAIL_CATEGORIES: &str = "mistral_ai.guardrail.categories";
/// `mistral_ai.guardrail.error`: why an evaluation failed.
pub const MISTRAL_GUARDRAIL_ERROR: &str = "mistral_ai.guardrail.error";
/// `mistral_ai.usage.total_tokens`
pub const MISTRAL_USAGE_TOTAL_TOKENS: &str = "mistral_ai.usage.total_tokens";
/// `mistral_ai.usage.connector_tokens`
pub const MISTRAL_USAGE_CONNECTOR_TOKENS: &str = "mistral_ai.usage.connector_tokens";
/// Prefix of `mistral_ai.usage.connectors.{tool}`
pub const MISTRAL_USAGE_CONNECTORS_PREFIX: &str = "mistral_ai.usage.connectors.";
/// `mistral_ai.correlation_id`
pub const MISTRAL_CORRELATION_ID: &str = "mistral_ai.correlation_id";
/// Prefix of `mistral_ai.ratelimit.{name}`
pub const MISTRAL_RATELIMIT_PREFIX: &str = "mistral_ai.ratelimit.";
/// `mistral_ai.error.code`
pub const MISTRAL_ERROR_CODE: &str = "mistral_ai.error.code";
/// `mistral_ai.stream.outcome`
pub const MISTRAL_STREAM_OUTCOME: &str = "mistral_ai.stream.outcome";
/// `mistral_ai.stream.event_count`
pub const MISTRAL_STREAM_EVENT_COUNT: &str = "mistral_ai.stream.event_count";
/// `mistral_ai.stream.unknown_event_count`
pub const MISTRAL_STREAM_UNKNOWN_EVENT_COUNT: &str = "mistral_ai.stream.unknown_event_count";
/// `mistral_ai.stream.overflow`: an SSE line or event exceeded the cap; collection stopped.
pub const MISTRAL_STREAM_OVERFLOW: &str = "mistral_ai.stream.overflow";
/// `mistral_ai.stream.outputs_dropped`: outputs not tracked because too many were open at once.
pub const MISTRAL_STREAM_OUTPUTS_DROPPED: &str = "mistral_ai.stream.outputs_dropped";
/// `mistral_ai.response.body_over_cap`: the body exceeded the parse cap; outputs not mapped.
pub const MISTRAL_BODY_OVER_CAP: &str = "mistral_ai.response.body_over_cap";
/// `mistral_ai.response.parse_error`: the body could not be parsed; outputs not mapped.
pub const MISTRAL_PARSE_ERROR: &str = "mistral_ai.response.parse_error";
/// `mistral_ai.response.incomplete`: the caller dropped a plain body before its end.
pub const MISTRAL_BODY_INCOMPLETE: &str = "mistral_ai.response.incomplete";
/// `mistral_ai.content.truncated`: a captured value was cut to the attribute cap.
pub const MISTRAL_CONTENT_TRUNCATED: &str = "mistral_ai.content.truncated";
/// `mistral_ai.tool.incomplete`: the tool span ended without `tool.execution.done`.
pub const MISTRAL_TOOL_INCOMPLETE: &str = "mistral_ai.tool.incomplete";
/// `mistral_ai.handoff.previous_agent_id`
pub const MISTRAL_HANDOFF_PREVIOUS_AGENT_ID: &str = "mistral_ai.handoff.previous_agent_id";
/// `mistral_ai.handoff.previous_agent_name`
pub const MISTRAL_HANDOFF_PREVIOUS_AGENT_NAME: &str = "mistral_ai.handoff.previous_agent_name";
/// `mistral_ai.function_call` event name
pub const MISTRAL_FUNCTION_CALL_EVENT: &str = "mistral_ai.function_call";
/// `mistral_ai.function_call.confirmation_status`
pub const MISTRAL_FUNCTION_CALL_CONFIRMATION: &str = "mistral_ai.function_call.confirmation_status";
/// The span event of a tool-call decision under v1.41.1 (which has none):
/// `mistral_ai.tool.call.decision`.
pub const MISTRAL_TOOL_CALL_DECISION_EVENT: &str = "mistral_ai.tool.call.decision";
/// `mistral_ai.tool.call.decision.outcome`: `require_approval`, `allow` or `deny`.
pub const MISTRAL_TOOL_CALL_DECISION_OUTCOME: &str = "mistral_ai.tool.call.decision.outcome";
/// The span event of a tool-call decision under the latest conventions (defined on their
/// tool-approval change, #535): `gen_ai.tool.call.decision`.
pub const GEN_AI_TOOL_CALL_DECISION_EVENT: &str = "gen_ai.tool.call.decision";
/// `gen_ai.tool.call.decision.outcome`
pub const GEN_AI_TOOL_CALL_DECISION_OUTCOME: &str = "gen_ai.tool.call.decision.outcome";
/// `mistral_ai.tool.call.wait` (s) on an answer's decision event: from the end of the turn
/// that asked to the start of the append that answered.
pub const MISTRAL_TOOL_CALL_WAIT: &str = "mistral_ai.tool.call.wait";
/// `mistral_ai.tool.confirmation.wait` (s) on an answering append: the longest wait of its
/// confirmations.
pub const MISTRAL_TOOL_CONFIRMATION_WAIT: &str = "mistral_ai.tool.confirmation.wait";
/// `mistral_ai.operation` (read / agent / library calls, e.g. `conversations.get_history`)
pub const MISTRAL_OPERATION: &str = "mistral_ai.operation";
/// `mistral_ai.request.safe_prompt`
pub const MISTRAL_REQUEST_SAFE_PROMPT: &str = "mistral_ai.request.safe_prompt";
/// `mistral_ai.request.prompt_mode`
pub const MISTRAL_REQUEST_PROMPT_MODE: &str = "mistral_ai.request.prompt_mode";
/// `mistral_ai.request.parallel_tool_calls`
pub const MISTRAL_REQUEST_PARALLEL_TOOL_CALLS: &str = "mistral_ai.request.parallel_tool_calls";
/// `mistral_ai.request.tool_choice`
pub const MISTRAL_REQUEST_TOOL_CHOICE: &str = "mistral_ai.request.tool_choice";
/// `mistral_ai.request.reasoning_effort`
pub const MISTRAL_REQUEST_REASONING_EFFORT: &str = "mistral_ai.request.reasoning_effort";
/// `mistral_ai.request.min_tokens` (FIM)
pub const MISTRAL_REQUEST_MIN_TOKENS: &str = "mistral_ai.request.min_tokens";
/// `mistral_ai.stream.chunk_count`: data events of a completion stream.
pub const MISTRAL_STREAM_CHUNK_COUNT: &str = "mistral_ai.stream.chunk_count";
/// `mistral_ai.embeddings.input_count`
pub const MISTRAL_EMBEDDINGS_INPUT_COUNT: &str = "mistral_ai.embeddings.input_count";
/// `mistral_ai.embeddings.output_count`: embeddings returned.
pub const MISTRAL_EMBEDDINGS_OUTPUT_COUNT: &str = "mistral_ai.embeddings.output_count";
/// `mistral_ai.classification.input_count`: inputs of a moderation or classification.
pub const MISTRAL_CLASSIFICATION_INPUT_COUNT: &str = "mistral_ai.classification.input_count";
/// `mistral_ai.classification.result_count`
pub const MISTRAL_CLASSIFICATION_RESULT_COUNT: &str = "mistral_ai.classification.result_count";
/// `mistral_ai.moderation.flagged_count`: inputs with a category flagged.
pub const MISTRAL_MODERATION_FLAGGED_COUNT: &str = "mistral_ai.moderation.flagged_count";
/// `mistral_ai.classification.results` (content): the results as sent.
pub const MISTRAL_CLASSIFICATION_RESULTS: &str = "mistral_ai.classification.results";
/// `mistral_ai.ocr.document_type`
pub const MISTRAL_OCR_DOCUMENT_TYPE: &str = "mistral_ai.ocr.document_type";
/// `mistral_ai.ocr.page_count`: pages in the response.
pub const MISTRAL_OCR_PAGE_COUNT: &str = "mistral_ai.ocr.page_count";
/// `mistral_ai.ocr.pages_processed`
pub const MISTRAL_OCR_PAGES_PROCESSED: &str = "mistral_ai.ocr.pages_processed";
/// `mistral_ai.ocr.doc_size_bytes`
pub const MISTRAL_OCR_DOC_SIZE_BYTES: &str = "mistral_ai.ocr.doc_size_bytes";
/// `mistral_ai.transcription.language`
pub const MISTRAL_TRANSCRIPTION_LANGUAGE: &str = "mistral_ai.transcription.language";
/// `mistral_ai.transcription.segment_count`
pub const MISTRAL_TRANSCRIPTION_SEGMENT_COUNT: &str = "mistral_ai.transcription.segment_count";
/// `mistral_ai.usage.prompt_audio_seconds`
pub const MISTRAL_USAGE_PROMPT_AUDIO_SECONDS: &str = "mistral_ai.usage.prompt_audio_seconds";
/// `mistral_ai.request.body_over_cap`: the request body was larger than the parse cap and
/// was not read.
pub const MISTRAL_REQUEST_BODY_OVER_CAP: &str = "mistral_ai.request.body_over_cap";
/// `mistral_ai.request.input`: the `input` of an embeddings, moderation or classification
/// request, as sent (content).
pub const MISTRAL_REQUEST_INPUT: &str = "mistral_ai.request.input";
/// `mistral_ai.model.id`
pub const MISTRAL_MODEL_ID: &str = "mistral_ai.model.id";
/// `mistral_ai.file.id`
pub const MISTRAL_FILE_ID: &str = "mistral_ai.file.id";
/// `mistral_ai.job.id`: a batch or fine-tuning job.
pub const MISTRAL_JOB_ID: &str = "mistral_ai.job.id";
/// `mistral_ai.job.status`
pub const MISTRAL_JOB_STATUS: &str = "mistral_ai.job.status";
/// `mistral_ai.library.id`
pub const MISTRAL_LIBRARY_ID: &str = "mistral_ai.library.id";
/// `mistral_ai.document.id`
pub const MISTRAL_DOCUMENT_ID: &str = "mistral_ai.document.id";
/// `mistral_ai.document.process_status`
pub const MISTRAL_PROCESS_STATUS: &str = "mistral_ai.document.process_status";
/// `mistral_ai.result.item_count`
pub const MISTRAL_ITEM_COUNT: &str = "mistral_ai.result.item_count";
/// `mistral_ai.result.entry_count`
pub const MISTRAL_ENTRY_COUNT: &str = "mistral_ai.result.entry_count";
/// `mistral_ai.result.message_count`
pub const MISTRAL_MESSAGE_COUNT: &str = "mistral_ai.result.message_count";

/// Braintrust rendering attributes.
pub mod braintrust {
    /// `braintrust.span_attributes`
    pub const SPAN_ATTRIBUTES: &str = "braintrust.span_attributes";
    /// `braintrust.metadata`
    pub const METADATA: &str = "braintrust.metadata";
    /// `braintrust.metrics`
    pub const METRICS: &str = "braintrust.metrics";
    /// `braintrust.input_json`
    pub const INPUT_JSON: &str = "braintrust.input_json";
    /// `braintrust.output_json`
    pub const OUTPUT_JSON: &str = "braintrust.output_json";
}

/// Metric names (GenAI client metrics, v1.41.1) and this crate's tool metrics.
pub mod metric {
    /// `gen_ai.client.operation.duration` (s)
    pub const OPERATION_DURATION: &str = "gen_ai.client.operation.duration";
    /// `gen_ai.client.token.usage` ({token})
    pub const TOKEN_USAGE: &str = "gen_ai.client.token.usage";
    /// `gen_ai.client.operation.time_to_first_chunk` (s)
    pub const TIME_TO_FIRST_CHUNK: &str = "gen_ai.client.operation.time_to_first_chunk";
    /// `gen_ai.client.operation.time_per_output_chunk` (s)
    pub const TIME_PER_OUTPUT_CHUNK: &str = "gen_ai.client.operation.time_per_output_chunk";
    /// `mistral_ai.tool.executions` ({execution})
    pub const TOOL_EXECUTIONS: &str = "mistral_ai.tool.executions";
    /// `mistral_ai.tool.duration` (s)
    pub const TOOL_DURATION: &str = "mistral_ai.tool.duration";
    /// `mistral_ai.tool.confirmation.wait` (s): how long a tool call waited for the user.
    pub const TOOL_CONFIRMATION_WAIT: &str = "mistral_ai.tool.confirmation.wait";

    /// Names of `semantic-conventions-genai` v0.1.0 ([`Conventions::GenAiLatest`](super::Conventions::GenAiLatest)).
    pub mod latest {
        /// `gen_ai.client.inference.duration` (s): chat and text completion calls.
        pub const INFERENCE_DURATION: &str = "gen_ai.client.inference.duration";
        /// `gen_ai.client.inference.time_to_first_chunk` (s)
        pub const TIME_TO_FIRST_CHUNK: &str = "gen_ai.client.inference.time_to_first_chunk";
        /// `gen_ai.client.inference.time_per_output_chunk` (s)
        pub const TIME_PER_OUTPUT_CHUNK: &str = "gen_ai.client.inference.time_per_output_chunk";
        /// `gen_ai.client.inference.usage.input_tokens` (counter)
        pub const USAGE_INPUT_TOKENS: &str = "gen_ai.client.inference.usage.input_tokens";
        /// `gen_ai.client.inference.usage.output_tokens` (counter)
        pub const USAGE_OUTPUT_TOKENS: &str = "gen_ai.client.inference.usage.output_tokens";
        /// `gen_ai.client.inference.usage.cache_read.input_tokens` (counter)
        pub const USAGE_CACHE_READ_INPUT_TOKENS: &str =
            "gen_ai.client.inference.usage.cache_read.input_tokens";
        /// `gen_ai.client.inference.usage.cache_write.input_tokens` (counter; Mistral reports
        /// no cache writes, so it is never recorded)
        pub const USAGE_CACHE_WRITE_INPUT_TOKENS: &str =
            "gen_ai.client.inference.usage.cache_write.input_tokens";
        /// `gen_ai.client.inference.usage.reasoning.output_tokens` (counter)
        pub const USAGE_REASONING_OUTPUT_TOKENS: &str =
            "gen_ai.client.inference.usage.reasoning.output_tokens";
        /// `gen_ai.client.inference.operation.input_tokens` (histogram)
        pub const OPERATION_INPUT_TOKENS: &str = "gen_ai.client.inference.operation.input_tokens";
        /// `gen_ai.client.inference.operation.output_tokens` (histogram)
        pub const OPERATION_OUTPUT_TOKENS: &str = "gen_ai.client.inference.operation.output_tokens";
        /// `gen_ai.client.embeddings.duration` (s)
        pub const EMBEDDINGS_DURATION: &str = "gen_ai.client.embeddings.duration";
        /// `gen_ai.client.embeddings.operation.input_tokens` (histogram)
        pub const EMBEDDINGS_INPUT_TOKENS: &str = "gen_ai.client.embeddings.operation.input_tokens";
        /// `gen_ai.invoke_agent.duration` (s)
        pub const INVOKE_AGENT_DURATION: &str = "gen_ai.invoke_agent.duration";
        /// `gen_ai.invoke_agent.inference_calls` ({inference_call})
        pub const INVOKE_AGENT_INFERENCE_CALLS: &str = "gen_ai.invoke_agent.inference_calls";
        /// `gen_ai.invoke_agent.tool_calls` ({tool_call})
        pub const INVOKE_AGENT_TOOL_CALLS: &str = "gen_ai.invoke_agent.tool_calls";
        /// `gen_ai.execute_tool.duration` (s)
        pub const EXECUTE_TOOL_DURATION: &str = "gen_ai.execute_tool.duration";
    }
}
