//! The rows Braintrust shows for conversation turns, checked field by field against what
//! Braintrust's own Python SDK records for the same calls (its
//! `integrations/mistral/tracing.py` and the assertions of `test_mistral.py`): the task row's
//! name, metadata (`provider`, `model`, `conversation_id`, `stream`, `object`,
//! `from_entry_id`), metrics (`prompt_tokens`, `completion_tokens`, `tokens`,
//! `connector_tokens`, `time_to_first_token`), input and output; the `tool: {name}` row with
//! `tool_call_id`, `tool_type`, `tool_index` and `model`; and the `llm` row's model, input
//! and output, with no usage counted twice.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use mistral_otel::braintrust::Braintrust;
use mistral_otel_test_support::mock::{builder, client, fixtures, send_case, server};
use mistral_otel_test_support::{Recorder, attr_str, client_span};
use opentelemetry_sdk::trace::SpanData;
use serde_json::{Value, json};

const MODEL: &str = "mistral-medium-latest";

fn json_attr(span: &SpanData, key: &str) -> Value {
    let text = attr_str(span, key).unwrap_or_else(|| panic!("{}: no {key}", span.name));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {key} is not JSON: {e}", span.name))
}

/// Replay `case` with the Braintrust decorator and nothing else chosen.
async fn rows(case: &str) -> Vec<SpanData> {
    let fixtures = fixtures("mistral");
    let server = server("mistral").await;
    let recorder = Recorder::new();
    let tracing = builder(&recorder, &server)
        .decorator(Braintrust::new())
        .build();
    let held = send_case(&client(tracing), &fixtures, &server, case).await;
    let spans = recorder.assert_all_exported(case);
    drop(held);
    spans
}

fn task_checks(spans: &[SpanData], name: &str, stream: bool, conversation_id: &str) -> Value {
    let task = client_span(spans);
    assert_eq!(
        json_attr(task, "braintrust.span_attributes"),
        json!({"type": "task", "name": name})
    );
    let metadata = json_attr(task, "braintrust.metadata");
    assert_eq!(metadata["provider"], "mistral", "{name}");
    assert_eq!(metadata["model"], MODEL, "{name}");
    assert_eq!(metadata["conversation_id"], conversation_id, "{name}");
    assert_eq!(metadata["stream"], stream, "{name}");
    assert_eq!(metadata["object"], "conversation.response", "{name}");
    let metrics = json_attr(task, "braintrust.metrics");
    assert_eq!(
        metrics["time_to_first_token"].is_f64(),
        stream,
        "{name}: {metrics}"
    );
    // the Braintrust decorator turns content on: input and output are there
    assert!(
        json_attr(task, "braintrust.input_json").is_array(),
        "{name}"
    );
    let output = json_attr(task, "braintrust.output_json");
    assert_eq!(
        output.as_array().unwrap().last().unwrap()["role"],
        "assistant"
    );
    metrics
}

fn llm_row(spans: &[SpanData]) -> &SpanData {
    spans
        .iter()
        .find(|s| json_attr(s, "braintrust.span_attributes")["type"] == "llm")
        .expect("an llm row")
}

fn llm_checks(llm: &SpanData, answer_starts: &str) -> Value {
    assert_eq!(
        json_attr(llm, "braintrust.metadata"),
        json!({"provider": "mistral", "model": MODEL})
    );
    assert!(
        attr_str(llm, "braintrust.metrics").is_none(),
        "usage stays on the task row"
    );
    let output = json_attr(llm, "braintrust.output_json");
    assert_eq!(output[0]["message"]["role"], "assistant");
    assert!(
        output[0]["message"]["content"]
            .as_str()
            .unwrap()
            .starts_with(answer_starts),
        "{output}"
    );
    json_attr(llm, "braintrust.input_json")
}

fn tool_checks(spans: &[SpanData], call_id: &str, query: &str) {
    let tool = spans
        .iter()
        .find(|s| s.name.starts_with("execute_tool"))
        .expect("a tool span");
    assert_eq!(
        tool.name, "execute_tool web_search",
        "the OpenTelemetry name is kept"
    );
    assert_eq!(
        json_attr(tool, "braintrust.span_attributes"),
        json!({"type": "tool", "name": "tool: web_search"})
    );
    assert_eq!(
        json_attr(tool, "braintrust.metadata"),
        json!({"tool_call_id": call_id, "tool_type": "tool.execution", "tool_index": 0, "model": MODEL})
    );
    assert_eq!(
        json_attr(tool, "braintrust.input_json"),
        json!({"query": query})
    );
    assert!(json_attr(tool, "braintrust.output_json").is_object());
}

#[tokio::test]
async fn start_with_a_built_in_tool_gives_a_task_row_a_tool_row_and_an_llm_row() {
    let spans = rows("start_web_search").await;
    let metrics = task_checks(
        &spans,
        "mistral.beta.conversations.start",
        false,
        "conv_019cd7065406745882f38266558e95ad",
    );
    assert_eq!(
        metrics,
        json!({"prompt_tokens": 231, "completion_tokens": 97, "tokens": 6542, "connector_tokens": 6214})
    );
    tool_checks(
        &spans,
        "tool_exec_019cd70654d972fdbfd29c1b0a67c60e",
        "Lyon population estimate 2025 ten year change",
    );
    // the llm row answered the instructions, the question and the search it ran
    let input = llm_checks(llm_row(&spans), "Lyon's city proper");
    let roles: Vec<&str> = input
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["system", "user", "assistant", "tool"]);
    assert_eq!(input[2]["tool_calls"][0]["function"]["name"], "web_search");
    // the task row's output keeps the tool execution
    let output = json_attr(client_span(&spans), "braintrust.output_json");
    assert_eq!(
        output[0]["tool_calls"][0]["id"],
        "tool_exec_019cd70654d972fdbfd29c1b0a67c60e"
    );
    assert_eq!(output[1]["role"], "tool");
}

#[tokio::test]
async fn start_stream_with_a_built_in_tool_has_the_conversation_id_of_the_started_event() {
    let spans = rows("start_stream_tools").await;
    let metrics = task_checks(
        &spans,
        "mistral.beta.conversations.start_stream",
        true,
        "conv_019cd732f74f7fb7946c3f8a6a80a707",
    );
    assert_eq!(metrics["tokens"], 7528);
    assert_eq!(metrics["connector_tokens"], 5380);
    tool_checks(
        &spans,
        "tool_exec_019cd732f7537dc9be744b9d625a749d",
        "Reykjavik sunset sunrise June 21",
    );
    llm_checks(llm_row(&spans), "On June 21");
}

#[tokio::test]
async fn append_takes_its_model_from_the_response() {
    let spans = rows("append").await;
    let metrics = task_checks(
        &spans,
        "mistral.beta.conversations.append",
        false,
        "conv_019cd7065406745882f38266558e95ad",
    );
    assert_eq!(
        metrics,
        json!({"prompt_tokens": 412, "completion_tokens": 48, "tokens": 460})
    );
}

#[tokio::test]
async fn restart_has_the_new_conversation_id_and_the_entry_it_restarted_from() {
    let spans = rows("restart").await;
    task_checks(
        &spans,
        "mistral.beta.conversations.restart",
        false,
        "conv_019cd7087f407574921fbfa66adef493",
    );
    let metadata = json_attr(client_span(&spans), "braintrust.metadata");
    assert_eq!(
        metadata["from_entry_id"],
        "msg_019cd7065b2e7c118c86ac0f047f5060"
    );
    assert_eq!(metadata["request_metadata"]["branch"], "marseille");
}

#[tokio::test]
async fn the_application_can_still_turn_content_off() {
    let fixtures = fixtures("mistral");
    let server = server("mistral").await;
    let recorder = Recorder::new();
    let tracing = builder(&recorder, &server)
        .decorator(Braintrust::new())
        .capture_content(false)
        .build();
    let held = send_case(&client(tracing), &fixtures, &server, "start_web_search").await;
    let spans = recorder.assert_all_exported("start_web_search");
    drop(held);
    for span in &spans {
        for key in ["braintrust.input_json", "braintrust.output_json"] {
            assert!(attr_str(span, key).is_none(), "{}: {key}", span.name);
        }
    }
    // structure and metadata stay
    let metadata = json_attr(client_span(&spans), "braintrust.metadata");
    assert_eq!(
        metadata["conversation_id"],
        "conv_019cd7065406745882f38266558e95ad"
    );
}

/// Replay `case` of fixture set `set` with the Braintrust decorator.
async fn rows_of(set: &str, case: &str) -> Vec<SpanData> {
    let fixtures = fixtures(set);
    let server = mistral_mock::MockServer::builder(fixtures.clone())
        .start()
        .await
        .unwrap();
    let recorder = Recorder::new();
    let tracing = builder(&recorder, &server)
        .decorator(Braintrust::new())
        .build();
    let held = send_case(&client(tracing), &fixtures, &server, case).await;
    let spans = recorder.assert_all_exported(case);
    drop(held);
    spans
}

#[tokio::test]
async fn a_chat_completion_is_one_llm_row_with_the_sdks_name_metadata_metrics_input_and_output() {
    let spans = rows_of(
        "real/braintrust-sdk-javascript",
        "v1-latest__05_post_v1_chat_completions_tools",
    )
    .await;
    assert_eq!(spans.len(), 1);
    let row = client_span(&spans);
    assert_eq!(
        json_attr(row, "braintrust.span_attributes"),
        json!({"type": "llm", "name": "mistral.chat.complete"})
    );
    let metadata = json_attr(row, "braintrust.metadata");
    assert_eq!(metadata["provider"], "mistral");
    assert_eq!(metadata["stream"], false);
    assert_eq!(metadata["object"], "chat.completion");
    assert!(metadata["id"].is_string() && metadata["created"].is_i64());
    assert_eq!(metadata["tools"][0]["type"], "function");
    let metrics = json_attr(row, "braintrust.metrics");
    for key in [
        "prompt_tokens",
        "completion_tokens",
        "tokens",
        "prompt_cached_tokens",
    ] {
        assert!(metrics[key].is_u64(), "{key}: {metrics}");
    }
    assert!(metrics.get("time_to_first_token").is_none());
    let input = json_attr(row, "braintrust.input_json");
    assert_eq!(input[0]["role"], "user");
    let output = json_attr(row, "braintrust.output_json");
    assert_eq!(output[0]["finish_reason"], "tool_calls");
    let call = &output[0]["message"]["tool_calls"][0];
    assert_eq!(call["type"], "function");
    assert!(call["function"]["arguments"].is_string(), "{call}");
}

#[tokio::test]
async fn streams_fim_and_agents_rows_follow_the_sdk_method_names() {
    for (set, case, name) in [
        (
            "real/braintrust-sdk-javascript",
            "v1-latest__02_post_v1_chat_completions_stream",
            "mistral.chat.stream",
        ),
        (
            "real/braintrust-sdk-javascript",
            "v1-latest__08_post_v1_fim_completions",
            "mistral.fim.complete",
        ),
        (
            "real/braintrust-sdk-javascript",
            "v1-latest__09_post_v1_fim_completions_stream",
            "mistral.fim.stream",
        ),
        (
            "real/braintrust-sdk-javascript",
            "v1-latest__12_post_v1_agents_completions_stream",
            "mistral.agents.stream",
        ),
        (
            "real/braintrust-sdk-javascript",
            "v1-latest__13_post_v1_embeddings",
            "mistral.embeddings.create",
        ),
        ("api", "ocr", "mistral.ocr.process"),
        ("api", "classification", "mistral.classifiers.classify"),
        (
            "api",
            "transcription_stream",
            "mistral.audio.transcriptions.stream",
        ),
    ] {
        let spans = rows_of(set, case).await;
        let row = client_span(&spans);
        assert_eq!(
            json_attr(row, "braintrust.span_attributes"),
            json!({"type": "llm", "name": name}),
            "{case}"
        );
        // a classification answers no usage: no metrics at all
        let metrics = attr_str(row, "braintrust.metrics")
            .map_or(json!({}), |m| serde_json::from_str(&m).unwrap());
        let streamed = name.ends_with(".stream");
        assert_eq!(
            metrics["time_to_first_token"].is_f64(),
            streamed,
            "{case}: {metrics}"
        );
        if name == "mistral.fim.complete" {
            assert_eq!(
                json_attr(row, "braintrust.input_json"),
                json!({"prompt": "function add(a, b) {", "suffix": "}"})
            );
        }
        if name == "mistral.agents.stream" {
            let metadata = json_attr(row, "braintrust.metadata");
            assert!(metadata["agent_id"].is_string(), "{metadata}");
            assert_eq!(metadata["object"], "chat.completion.chunk");
        }
        if name == "mistral.embeddings.create" {
            assert_eq!(
                json_attr(row, "braintrust.output_json"),
                json!({"embeddings_count": 1, "embedding_length": 1024})
            );
        }
        if name == "mistral.ocr.process" {
            assert_eq!(
                metrics,
                json!({"pages_processed": 2, "doc_size_bytes": 3_002_783})
            );
        }
    }
}

#[tokio::test]
async fn a_failed_completion_row_has_no_output_and_no_metrics() {
    let spans = rows_of(
        "real/issue-reports-errors",
        "chat_completions_429_rate_limited_code_string",
    )
    .await;
    let row = client_span(&spans);
    assert_eq!(json_attr(row, "braintrust.span_attributes")["type"], "llm");
    assert!(attr_str(row, "braintrust.output_json").is_none());
    assert!(attr_str(row, "braintrust.metrics").is_none());
    assert_eq!(json_attr(row, "braintrust.metadata")["provider"], "mistral");
}
