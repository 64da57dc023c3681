//! Read, delete, agent, library, model, file, batch and fine-tuning calls: every resource
//! endpoint of mistral-wire.md sections 2, 6 and 7 and of the platform API replayed from
//! fixtures, with its span asserted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use mistral_mock::MockServer;
use mistral_otel::MistralTracing;
use mistral_otel_test_support::mock::*;
use mistral_otel_test_support::*;
use opentelemetry::trace::{SpanKind, Status};

const AGENT: &str = "ag_019cad8fbf88776b883159fcb56e5352";
const LIBRARY: &str = "019cb3dc-fb8a-711a-921b-88806715f57f";
const DOCUMENT: &str = "019cb3df-7180-7318-a740-0e022a0debc0";
const CONV: &str = "conv_019cd7065406745882f38266558e95ad";
const FT_MODEL: &str = "ft:mistral-small-latest:a1b2c3d4:20260801:9f8e7d6c";
const FILE: &str = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
const BATCH: &str = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a";
const FT_JOB: &str = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9";

/// (case, span name, operation, expected attributes)
type Expectation = (
    &'static str,
    &'static str,
    &'static str,
    Vec<(&'static str, String)>,
);

fn expectations() -> Vec<Expectation> {
    let s = |v: &str| v.to_owned();
    vec![
        (
            "list",
            "GET /v1/conversations",
            "conversations.list",
            vec![("mistral_ai.result.item_count", s("4"))],
        ),
        (
            "conversations_list_metadata",
            "GET /v1/conversations",
            "conversations.list",
            vec![("mistral_ai.result.item_count", s("0"))],
        ),
        (
            "get",
            "GET /v1/conversations/{conversation_id}",
            "conversations.get",
            vec![("gen_ai.conversation.id", s(CONV))],
        ),
        (
            "history",
            "GET /v1/conversations/{conversation_id}/history",
            "conversations.get_history",
            vec![
                ("gen_ai.conversation.id", s(CONV)),
                ("mistral_ai.result.entry_count", s("5")),
            ],
        ),
        (
            "messages",
            "GET /v1/conversations/{conversation_id}/messages",
            "conversations.get_messages",
            vec![
                ("gen_ai.conversation.id", s(CONV)),
                ("mistral_ai.result.message_count", s("4")),
            ],
        ),
        (
            "delete",
            "DELETE /v1/conversations/{conversation_id}",
            "conversations.delete",
            vec![
                (
                    "gen_ai.conversation.id",
                    s("conv_019cd7087f407574921fbfa66adef493"),
                ),
                ("http.response.status_code", s("204")),
            ],
        ),
        (
            "agent_create",
            "create_agent triage-agent",
            "agents.create",
            vec![
                ("gen_ai.operation.name", s("create_agent")),
                ("gen_ai.agent.name", s("triage-agent")),
                ("gen_ai.request.model", s("mistral-medium-latest")),
                ("gen_ai.agent.id", s(AGENT)),
                ("gen_ai.agent.version", s("0")),
            ],
        ),
        (
            "agents_list",
            "GET /v1/agents",
            "agents.list",
            vec![("mistral_ai.result.item_count", s("1"))],
        ),
        (
            "agents_list_pages",
            "GET /v1/agents/pages",
            "agents.list_pages",
            vec![("mistral_ai.result.item_count", s("1"))],
        ),
        (
            "agent_get",
            "GET /v1/agents/{agent_id}",
            "agents.get",
            vec![
                ("gen_ai.agent.id", s(AGENT)),
                ("gen_ai.agent.version", s("0")),
            ],
        ),
        (
            "agent_update",
            "PATCH /v1/agents/{agent_id}",
            "agents.update",
            vec![
                ("gen_ai.agent.id", s(AGENT)),
                ("gen_ai.agent.version", s("1")),
            ],
        ),
        (
            "agent_update_version",
            "PATCH /v1/agents/{agent_id}/version",
            "agents.update_version",
            vec![
                ("gen_ai.agent.id", s(AGENT)),
                ("gen_ai.agent.version", s("0")),
            ],
        ),
        (
            "agent_list_versions",
            "GET /v1/agents/{agent_id}/versions",
            "agents.list_versions",
            vec![
                ("gen_ai.agent.id", s(AGENT)),
                ("mistral_ai.result.item_count", s("2")),
            ],
        ),
        (
            "agent_get_version",
            "GET /v1/agents/{agent_id}/versions/{version}",
            "agents.get_version",
            vec![
                ("gen_ai.agent.id", s(AGENT)),
                ("gen_ai.agent.version", s("1")),
            ],
        ),
        (
            "agent_create_alias",
            "PUT /v1/agents/{agent_id}/aliases",
            "agents.create_version_alias",
            vec![("gen_ai.agent.id", s(AGENT))],
        ),
        (
            "agent_list_aliases",
            "GET /v1/agents/{agent_id}/aliases",
            "agents.list_version_aliases",
            vec![("gen_ai.agent.id", s(AGENT))],
        ),
        (
            "agent_delete_alias",
            "DELETE /v1/agents/{agent_id}/aliases",
            "agents.delete_version_alias",
            vec![("http.response.status_code", s("204"))],
        ),
        (
            "agent_delete",
            "DELETE /v1/agents/{agent_id}",
            "agents.delete",
            vec![
                ("gen_ai.agent.id", s(AGENT)),
                ("http.response.status_code", s("204")),
            ],
        ),
        (
            "library_create",
            "POST /v1/libraries",
            "libraries.create",
            vec![
                ("mistral_ai.library.id", s(LIBRARY)),
                ("http.response.status_code", s("201")),
            ],
        ),
        (
            "libraries_list",
            "GET /v1/libraries",
            "libraries.list",
            vec![("mistral_ai.result.item_count", s("1"))],
        ),
        (
            "library_get",
            "GET /v1/libraries/{library_id}",
            "libraries.get",
            vec![("mistral_ai.library.id", s(LIBRARY))],
        ),
        (
            "library_update",
            "PATCH /v1/libraries/{library_id}",
            "libraries.update",
            vec![("mistral_ai.library.id", s(LIBRARY))],
        ),
        (
            "library_delete",
            "DELETE /v1/libraries/{library_id}",
            "libraries.delete",
            vec![("mistral_ai.library.id", s(LIBRARY))],
        ),
        (
            "documents_list",
            "GET /v1/libraries/{library_id}/documents",
            "libraries.documents.list",
            vec![
                ("mistral_ai.library.id", s(LIBRARY)),
                ("mistral_ai.result.item_count", s("1")),
            ],
        ),
        (
            "library_document_upload",
            "POST /v1/libraries/{library_id}/documents",
            "libraries.documents.upload",
            vec![
                ("mistral_ai.library.id", s(LIBRARY)),
                ("mistral_ai.document.id", s(DOCUMENT)),
                ("mistral_ai.document.process_status", s("todo")),
            ],
        ),
        (
            "document_signed_upload_url",
            "GET /v1/libraries/{library_id}/documents/signed-upload-url",
            "libraries.documents.get_signed_upload_url",
            vec![("mistral_ai.library.id", s(LIBRARY))],
        ),
        (
            "document_ingest_from_blob_storage",
            "POST /v1/libraries/{library_id}/documents/ingest-from-blob-storage",
            "libraries.documents.ingest_from_blob_storage",
            vec![
                ("mistral_ai.library.id", s(LIBRARY)),
                (
                    "mistral_ai.document.id",
                    s("019cb3f0-2b44-7a51-9c1e-5d2f8e6a7b10"),
                ),
                ("mistral_ai.document.process_status", s("todo")),
            ],
        ),
        (
            "document_get",
            "GET /v1/libraries/{library_id}/documents/{document_id}",
            "libraries.documents.get",
            vec![
                ("mistral_ai.document.id", s(DOCUMENT)),
                ("mistral_ai.document.process_status", s("done")),
            ],
        ),
        (
            "document_update",
            "PATCH /v1/libraries/{library_id}/documents/{document_id}",
            "libraries.documents.update",
            vec![("mistral_ai.document.id", s(DOCUMENT))],
        ),
        (
            "document_delete",
            "DELETE /v1/libraries/{library_id}/documents/{document_id}",
            "libraries.documents.delete",
            vec![("mistral_ai.document.id", s(DOCUMENT))],
        ),
        (
            "document_text_content",
            "GET /v1/libraries/{library_id}/documents/{document_id}/text_content",
            "libraries.documents.text_content",
            vec![("mistral_ai.document.id", s(DOCUMENT))],
        ),
        (
            "library_document_status",
            "GET /v1/libraries/{library_id}/documents/{document_id}/status",
            "libraries.documents.status",
            vec![
                ("mistral_ai.document.id", s(DOCUMENT)),
                ("mistral_ai.library.id", s(LIBRARY)),
                ("mistral_ai.document.process_status", s("done")),
            ],
        ),
        (
            "document_signed_url",
            "GET /v1/libraries/{library_id}/documents/{document_id}/signed-url",
            "libraries.documents.get_signed_url",
            vec![],
        ),
        (
            "document_extracted_text_signed_url",
            "GET /v1/libraries/{library_id}/documents/{document_id}/extracted-text-signed-url",
            "libraries.documents.extracted_text_signed_url",
            vec![],
        ),
        (
            "document_reprocess",
            "POST /v1/libraries/{library_id}/documents/{document_id}/reprocess",
            "libraries.documents.reprocess",
            vec![("http.response.status_code", s("204"))],
        ),
        (
            "access_list",
            "GET /v1/libraries/{library_id}/share",
            "libraries.accesses.list",
            vec![("mistral_ai.result.item_count", s("1"))],
        ),
        (
            "access_update_or_create",
            "PUT /v1/libraries/{library_id}/share",
            "libraries.accesses.update_or_create",
            vec![("mistral_ai.library.id", s(LIBRARY))],
        ),
        (
            "access_delete",
            "DELETE /v1/libraries/{library_id}/share",
            "libraries.accesses.delete",
            vec![("mistral_ai.library.id", s(LIBRARY))],
        ),
        (
            "models_list",
            "GET /v1/models",
            "models.list",
            vec![("mistral_ai.result.item_count", s("2"))],
        ),
        (
            "model_get",
            "GET /v1/models/{model_id}",
            "models.retrieve",
            vec![("mistral_ai.model.id", s("mistral-small-latest"))],
        ),
        (
            "model_delete",
            "DELETE /v1/models/{model_id}",
            "models.delete",
            vec![("mistral_ai.model.id", s(FT_MODEL))],
        ),
        (
            "ft_model_update",
            "PATCH /v1/fine_tuning/models/{model_id}",
            "models.update",
            vec![("mistral_ai.model.id", s(FT_MODEL))],
        ),
        (
            "ft_model_archive",
            "POST /v1/fine_tuning/models/{model_id}/archive",
            "models.archive",
            vec![("mistral_ai.model.id", s(FT_MODEL))],
        ),
        (
            "ft_model_unarchive",
            "DELETE /v1/fine_tuning/models/{model_id}/archive",
            "models.unarchive",
            vec![("mistral_ai.model.id", s(FT_MODEL))],
        ),
        (
            "file_upload",
            "POST /v1/files",
            "files.upload",
            vec![("mistral_ai.file.id", s(FILE))],
        ),
        (
            "files_list",
            "GET /v1/files",
            "files.list",
            vec![("mistral_ai.result.item_count", s("1"))],
        ),
        (
            "file_get",
            "GET /v1/files/{file_id}",
            "files.retrieve",
            vec![("mistral_ai.file.id", s(FILE))],
        ),
        (
            "file_delete",
            "DELETE /v1/files/{file_id}",
            "files.delete",
            vec![("mistral_ai.file.id", s(FILE))],
        ),
        (
            "file_content",
            "GET /v1/files/{file_id}/content",
            "files.download",
            vec![("mistral_ai.file.id", s(FILE))],
        ),
        (
            "file_url",
            "GET /v1/files/{file_id}/url",
            "files.get_signed_url",
            vec![("mistral_ai.file.id", s(FILE))],
        ),
        (
            "batch_jobs_list",
            "GET /v1/batch/jobs",
            "batch.jobs.list",
            vec![("mistral_ai.result.item_count", s("1"))],
        ),
        (
            "batch_job_create",
            "POST /v1/batch/jobs",
            "batch.jobs.create",
            vec![
                ("mistral_ai.job.id", s(BATCH)),
                ("mistral_ai.job.status", s("QUEUED")),
            ],
        ),
        (
            "batch_job_get",
            "GET /v1/batch/jobs/{job_id}",
            "batch.jobs.get",
            vec![
                ("mistral_ai.job.id", s(BATCH)),
                ("mistral_ai.job.status", s("RUNNING")),
            ],
        ),
        (
            "batch_job_delete",
            "DELETE /v1/batch/jobs/{job_id}",
            "batch.jobs.delete",
            vec![
                ("mistral_ai.job.id", s(BATCH)),
                ("http.response.status_code", s("204")),
            ],
        ),
        (
            "batch_job_cancel",
            "POST /v1/batch/jobs/{job_id}/cancel",
            "batch.jobs.cancel",
            vec![("mistral_ai.job.status", s("CANCELLATION_REQUESTED"))],
        ),
        (
            "ft_jobs_list",
            "GET /v1/fine_tuning/jobs",
            "fine_tuning.jobs.list",
            vec![("mistral_ai.result.item_count", s("1"))],
        ),
        (
            "ft_job_create",
            "POST /v1/fine_tuning/jobs",
            "fine_tuning.jobs.create",
            vec![
                ("mistral_ai.job.id", s(FT_JOB)),
                ("mistral_ai.job.status", s("VALIDATED")),
            ],
        ),
        (
            "ft_job_get",
            "GET /v1/fine_tuning/jobs/{job_id}",
            "fine_tuning.jobs.get",
            vec![("mistral_ai.job.status", s("RUNNING"))],
        ),
        (
            "ft_job_cancel",
            "POST /v1/fine_tuning/jobs/{job_id}/cancel",
            "fine_tuning.jobs.cancel",
            vec![("mistral_ai.job.status", s("CANCELLATION_REQUESTED"))],
        ),
        (
            "ft_job_start",
            "POST /v1/fine_tuning/jobs/{job_id}/start",
            "fine_tuning.jobs.start",
            vec![("mistral_ai.job.status", s("QUEUED"))],
        ),
    ]
}

#[tokio::test]
async fn every_read_agent_and_library_endpoint_gets_its_span() {
    let recorder = Recorder::new();
    let mut sets = Vec::new();
    for set in ["mistral", "beta_surface", "api"] {
        let fixtures = fixtures(set);
        let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
        sets.push((fixtures, server));
    }
    // both mocks are Mistral here
    let client = client(
        MistralTracing::builder()
            .host("127.0.0.1")
            .tracer_provider(&recorder.provider)
            .build(),
    );
    let mut operations_seen = std::collections::BTreeSet::new();
    for (case, name, operation, attrs) in expectations() {
        recorder.reset();
        let (fixtures, server) = sets
            .iter()
            .find(|(f, _)| f.case(case).is_some())
            .unwrap_or_else(|| panic!("no fixture {case}"));
        let seen = send_case(&client, fixtures, server, case).await;
        let expected_body = fixtures
            .response_body(fixtures.case(case).unwrap())
            .unwrap_or_default();
        assert_eq!(seen.body, expected_body, "{case}: body changed");
        let spans = recorder.assert_all_exported(case);
        drop(seen);
        assert_eq!(spans.len(), 1, "{case}: {:?}", names(&spans));
        let span = &spans[0];
        assert_eq!(span.name, name, "{case}");
        assert_eq!(span.span_kind, SpanKind::Client, "{case}");
        assert_eq!(span.status, Status::Unset, "{case}");
        // a download or an empty answer is not a parse error
        assert!(
            attr(span, "mistral_ai.response.parse_error").is_none(),
            "{case}"
        );
        assert_eq!(
            attr_str(span, "mistral_ai.operation").as_deref(),
            Some(operation),
            "{case}"
        );
        assert_eq!(
            attr_str(span, "gen_ai.provider.name").as_deref(),
            Some("mistral_ai"),
            "{case}"
        );
        let method = name.split(' ').next().unwrap();
        if method != "create_agent" {
            assert_eq!(
                attr_str(span, "http.request.method").as_deref(),
                Some(method),
                "{case}"
            );
            assert_eq!(
                attr_str(span, "url.template").as_deref(),
                name.split_once(' ').map(|x| x.1),
                "{case}"
            );
        }
        assert!(attr_i64(span, "server.port").is_some());
        for (key, value) in attrs {
            assert_eq!(
                attr_str(span, key).as_deref(),
                Some(value.as_str()),
                "{case}: {key}"
            );
        }
        assert_unique_keys(&spans);
        operations_seen.insert(attr_str(span, "mistral_ai.operation").unwrap());
    }
    // every resource endpoint the wire crate knows was replayed and recognised
    let missing: Vec<&str> = mistral_otel_wire::Operation::ALL
        .iter()
        .filter(|op| op.kind() == mistral_otel_wire::CallKind::Resource)
        .map(|op| op.name())
        .filter(|name| !operations_seen.contains(*name))
        .collect();
    assert!(
        missing.is_empty(),
        "endpoints without a replayed fixture: {missing:?}"
    );
}

#[tokio::test]
async fn agent_instructions_are_captured_only_with_content_on() {
    let fixtures = fixtures("mistral");
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    for capture in [false, true] {
        let recorder = Recorder::new();
        let client = traced_client(&recorder, &server, capture);
        send_case(&client, &fixtures, &server, "agent_create").await;
        let spans = recorder.spans();
        let span = one(&spans, "create_agent triage-agent");
        assert_eq!(attr(span, "gen_ai.system_instructions").is_some(), capture);
    }
}

#[tokio::test]
async fn multipart_upload_streams_through_without_being_read() {
    let recorder = Recorder::new();
    let fixtures = fixtures("mistral");
    let server = MockServer::builder(fixtures.clone()).start().await.unwrap();
    let client = traced_client(&recorder, &server, true);
    let size = 6 * 1024 * 1024;
    // a streamed body: the middleware cannot see its bytes, only pass them on
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = (0..size / 65536)
        .map(|i| Ok(bytes::Bytes::from(vec![(i % 251) as u8; 65536])))
        .collect();
    let part = reqwest::multipart::Part::stream_with_length(
        reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)),
        size as u64,
    )
    .file_name("refund-policy-2026.pdf")
    .mime_str("application/pdf")
    .unwrap();
    let form = reqwest::multipart::Form::new().part("file", part);
    let resp = client
        .post(format!(
            "{}/v1/libraries/{LIBRARY}/documents",
            server.base_url()
        ))
        .bearer_auth(TEST_KEY)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    resp.bytes().await.unwrap();
    let received = server.requests().last().unwrap().body_len;
    assert!(
        received > size,
        "the whole upload arrived ({received} bytes)"
    );
    let spans = recorder.spans();
    let span = one(&spans, "POST /v1/libraries/{library_id}/documents");
    assert_eq!(
        attr_str(span, "mistral_ai.library.id").as_deref(),
        Some(LIBRARY)
    );
    assert_eq!(
        attr_str(span, "mistral_ai.document.id").as_deref(),
        Some(DOCUMENT)
    );
    assert_eq!(
        attr_str(span, "mistral_ai.document.process_status").as_deref(),
        Some("todo")
    );
}
