//! `run` and the `replay` binary over the repository's fixtures.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;
use std::process::Command;

use mistral_mock::Fixtures;
use mistral_otel_replay::{ReplayError, ReplayOptions, render_tree, run};
use serde_json::Value;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/mistral");

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("mistral-otel-replay-{}-{name}", std::process::id()))
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[tokio::test]
async fn every_fixture_case_is_replayed_and_written_as_otlp_json() {
    let fixtures = Fixtures::load(DIR).unwrap();
    let out = temp_path("all.jsonl");
    let mut options = ReplayOptions::new(DIR);
    options.otlp_json = Some(out.clone());
    let report = run(options).await.unwrap();

    let failures: Vec<_> = report.failures().map(|c| (&c.name, &c.failure)).collect();
    assert!(failures.is_empty(), "{failures:?}");
    assert!(report.is_success());
    let names: Vec<&str> = report.cases.iter().map(|c| c.name.as_str()).collect();
    let expected: Vec<&str> = fixtures.cases().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, expected);
    for (replay, case) in report.cases.iter().zip(fixtures.cases()) {
        assert_eq!(replay.status, Some(case.status), "{}", case.name);
        assert_eq!(
            replay.body_bytes,
            fixtures.response_body(case).map_or(0, |b| b.len()),
            "{}",
            case.name
        );
        assert!(
            replay
                .spans
                .iter()
                .any(|s| s.name == format!("replay {}", case.name)),
            "{}: parent span",
            case.name
        );
    }

    let text = std::fs::read_to_string(&out).unwrap();
    std::fs::remove_file(&out).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), fixtures.cases().len(), "one line per case");
    for (line, case) in lines.iter().zip(fixtures.cases()) {
        let spans: Vec<&Value> = line["resourceSpans"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|rs| rs["scopeSpans"].as_array().unwrap())
            .flat_map(|ss| ss["spans"].as_array().unwrap())
            .collect();
        let parent = spans
            .iter()
            .find(|s| s["name"] == format!("replay {}", case.name))
            .unwrap_or_else(|| panic!("{}: no parent span in {line}", case.name));
        assert!(is_hex(parent["traceId"].as_str().unwrap(), 32), "{parent}");
        assert!(is_hex(parent["spanId"].as_str().unwrap(), 16), "{parent}");
        assert_eq!(parent["kind"], 1, "INTERNAL is 1 in OTLP");
        assert_eq!(
            parent["attributes"][0],
            serde_json::json!({
                "key": "mistral_ai.replay.case",
                "value": {"stringValue": case.name},
            })
        );
        let service = &line["resourceSpans"][0]["resource"]["attributes"];
        assert!(
            service
                .as_array()
                .unwrap()
                .iter()
                .any(|kv| kv["key"] == "service.name"),
            "{service}"
        );
    }
}

#[tokio::test]
async fn tree_names_every_case() {
    let report = run(ReplayOptions::new(DIR)).await.unwrap();
    let tree = render_tree(&report.spans());
    for case in &report.cases {
        assert!(
            tree.contains(&format!("replay {}  INTERNAL", case.name)),
            "{}:\n{tree}",
            case.name
        );
    }
    assert_eq!(
        tree.lines().filter(|l| l.starts_with("trace ")).count(),
        report.cases.len(),
        "one trace per case"
    );
}

#[tokio::test]
async fn streams_cut_into_small_pieces_arrive_whole() {
    for name in [
        "start_stream_tools",
        "start_stream_error",
        "start_stream_agent_handoff",
    ] {
        let mut options = ReplayOptions::new(DIR);
        options.only = Some(name.to_owned());
        options.chunk_bytes = Some(7);
        let report = run(options).await.unwrap();
        assert_eq!(report.cases.len(), 1);
        assert!(report.is_success(), "{name}: {:?}", report.cases[0].failure);
    }
}

#[tokio::test]
async fn unknown_only_case_is_an_error() {
    let mut options = ReplayOptions::new(DIR);
    options.only = Some("no_such_case".to_owned());
    let err = run(options).await.unwrap_err();
    assert!(
        matches!(err, ReplayError::UnknownCase(ref n) if n == "no_such_case"),
        "{err}"
    );
}

#[tokio::test]
async fn a_case_that_cannot_be_sent_is_reported_as_a_failure() {
    let dir = temp_path("broken");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("manifest.json"),
        r#"{"cases":[
            {"name":"ok","method":"GET","path":"/ok","status":204},
            {"name":"bad_header","method":"GET","path":"/bad","status":200,
             "request_headers":{"bad header":"x"}}
        ]}"#,
    )
    .unwrap();
    let report = run(ReplayOptions::new(&dir)).await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!report.is_success());
    let failed: Vec<&str> = report.failures().map(|c| c.name.as_str()).collect();
    assert_eq!(failed, ["bad_header"]);
    assert_eq!(report.cases[0].status, Some(204));
    let parent = report.cases[1]
        .spans
        .iter()
        .find(|s| s.name == "replay bad_header")
        .unwrap();
    assert!(matches!(
        parent.status,
        opentelemetry::trace::Status::Error { .. }
    ));
}

#[test]
fn binary_prints_help_and_rejects_bad_arguments() {
    let help = Command::new(env!("CARGO_BIN_EXE_replay"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("Usage: replay DIR"));

    let bad = Command::new(env!("CARGO_BIN_EXE_replay"))
        .args([DIR, "--chunk-bytes", "lots"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--chunk-bytes"));
}

#[test]
fn binary_replays_one_case_and_exits_zero() {
    let out = Command::new(env!("CARGO_BIN_EXE_replay"))
        .args([DIR, "--only", "list", "--chunk-bytes", "64"])
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("replay list  INTERNAL"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 cases, 0 failed"));
}

#[test]
fn binary_exits_non_zero_when_the_fixtures_are_missing() {
    let out = Command::new(env!("CARGO_BIN_EXE_replay"))
        .arg(temp_path("nowhere"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("manifest.json"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otlp_endpoint_in_the_environment_exports_every_span() {
    let receiver = otlp_receiver::OtlpReceiver::start().await.unwrap();
    for (protocol, endpoint) in [
        ("grpc", receiver.grpc_endpoint()),
        ("http/protobuf", receiver.http_endpoint()),
    ] {
        receiver.clear();
        let out = tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_replay"))
                .args([DIR, "--only", "start_stream_tools"])
                .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
                .env("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
                .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
                .env_remove("OTEL_SERVICE_NAME")
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{protocol}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed = stdout
            .lines()
            .filter(|l| l.starts_with("  ") && !l.trim_start().starts_with('|'))
            .count();
        let spans = receiver
            .wait_for_spans(printed, std::time::Duration::from_secs(10))
            .await;
        assert_eq!(
            spans.len(),
            printed,
            "{protocol}: every printed span is exported"
        );
        let parent = spans
            .iter()
            .find(|s| s.name == "replay start_stream_tools")
            .unwrap_or_else(|| panic!("{protocol}: {spans:?}"));
        assert_eq!(parent.kind, 1);
        assert_eq!(parent.resource["service.name"], "mistral-otel-replay");
    }
    receiver.shutdown().await;
}

/// `replay` over each folder of real recordings exits 0, replays every case and prints
/// a tree for each (the span names the contract gives completions, embeddings and
/// moderations among them).
#[test]
fn binary_replays_every_real_recording_folder_and_exits_zero() {
    let real = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/real");
    for (folder, cases, names) in [
        (
            "braintrust-sdk-javascript",
            65,
            &[
                "chat mistral-small-latest  CLIENT",
                "text_completion codestral-2508  CLIENT",
                "embeddings mistral-embed  CLIENT",
                "moderation mistral-moderation-2603  CLIENT",
                "create_agent braintrust-e2e-",
            ][..],
        ),
        (
            "issue-reports-errors",
            7,
            &["ERROR Rate limit exceeded"][..],
        ),
        (
            "mistral-docs",
            1,
            &["execute_tool web_search  INTERNAL"][..],
        ),
        ("openllmetry", 19, &["embeddings mistral-embed  CLIENT"][..]),
        ("ruby_llm", 64, &["chat mistral-small-latest  CLIENT"][..]),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_replay"))
            .arg(format!("{real}/{folder}"))
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{folder}: {stderr}");
        assert!(
            stderr.contains(&format!("{cases} cases, 0 failed")),
            "{folder}: {stderr}"
        );
        assert_eq!(stdout.matches("\ntrace ").count() + 1, cases, "{folder}");
        for name in names {
            assert!(stdout.contains(name), "{folder}: no `{name}` in\n{stdout}");
        }
    }
}

/// With events on (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=EVENT_ONLY`), each
/// turn's details event is exported as a log record next to the spans.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn genai_events_are_exported_as_log_records_when_asked_for() {
    let receiver = otlp_receiver::OtlpReceiver::start().await.unwrap();
    let endpoint = receiver.grpc_endpoint();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_replay"))
            .args([DIR, "--only", "start_web_search"])
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
            .env(
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
                "EVENT_ONLY",
            )
            .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            .env_remove("OTEL_LOGS_EXPORTER")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let logs = receiver
        .wait_for_logs(1, std::time::Duration::from_secs(10))
        .await;
    assert_eq!(logs.len(), 1);
    assert_eq!(
        logs[0].event_name,
        "gen_ai.client.inference.operation.details"
    );
    assert!(logs[0].attributes["gen_ai.input.messages"].is_array());
}
