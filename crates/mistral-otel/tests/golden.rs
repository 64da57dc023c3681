//! Golden trees: every fixture case replayed through the middleware and its trace rendered
//! as text (ids and times normalised, see `mistral_otel_test_support::golden`), once with
//! content capture off, once on, once on with the Braintrust rendering, and compared with
//! `tests/golden/{set}/{case}.txt`. A change of any trace shows here as a diff.
//!
//! Rewrite after an intended change, then review the diff:
//! `UPDATE_GOLDEN=1 cargo test -p mistral-otel --test golden`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use mistral_mock::{Fixtures, MockServer};
use mistral_otel_test_support::golden::{assert_golden, render};
use mistral_otel_test_support::mock::{builder, client, send_case};
use mistral_otel_test_support::{Recorder, assert_unique_keys, fixtures_dir};

/// The three renderings of one case.
async fn trace_of(fixtures: &Fixtures, server: &MockServer, case: &str) -> String {
    let mut out = String::new();
    for (label, capture, braintrust) in [
        ("capture off", false, false),
        ("capture on", true, false),
        ("capture on, Braintrust rendering", true, true),
    ] {
        let recorder = Recorder::new();
        let mut tracing = builder(&recorder, server)
            .capture_content(capture)
            .metrics(false);
        if braintrust {
            tracing = tracing.decorator(mistral_otel::braintrust::Braintrust::new());
        }
        let tracing = tracing.build();
        let held = send_case(&client(tracing), fixtures, server, case).await;
        let spans = recorder.assert_all_exported(case);
        drop(held);
        assert_unique_keys(&spans);
        out.push_str(&format!("## {label}\n"));
        out.push_str(&render(&spans));
    }
    out
}

async fn check_set(set: &str) {
    let fixtures = Fixtures::load(fixtures_dir(set)).unwrap();
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(set);
    for case in fixtures.cases() {
        let text = trace_of(&fixtures, &server, &case.name).await;
        assert_golden(&dir.join(format!("{}.txt", case.name)), &text);
    }
}

#[tokio::test]
async fn conversations_fixtures_match_their_golden_trees() {
    check_set("mistral").await;
}

#[tokio::test]
async fn beta_surface_fixtures_match_their_golden_trees() {
    check_set("beta_surface").await;
}

#[tokio::test]
async fn completion_inference_and_platform_fixtures_match_their_golden_trees() {
    check_set("api").await;
}

#[tokio::test]
async fn features_of_2026_match_their_golden_trees() {
    check_set("features").await;
}

/// Real traffic recorded from the live API (`tests/fixtures/real/`).
#[tokio::test]
async fn real_recordings_match_their_golden_trees() {
    for folder in [
        "braintrust-sdk-javascript",
        "issue-reports-errors",
        "mistral-docs",
        "openllmetry",
        "ruby_llm",
    ] {
        check_set(&format!("real/{folder}")).await;
    }
}
