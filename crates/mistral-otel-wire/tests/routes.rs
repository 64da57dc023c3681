#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mistral_otel_wire::{Operation, Route, match_route};

const CONV: &str = "conv_019cd7065406745882f38266558e95ad";
const AGENT: &str = "ag_019cad8fbf88776b883159fcb56e5352";
const LIB: &str = "019cb3dc-fb8a-711a-921b-88806715f57f";
const DOC: &str = "019cb3df-7180-7318-a740-0e022a0debc0";
const MODEL: &str = "ft:open-mistral-7b:587a6b29:20240514:7e773925";
const FILE: &str = "497f6eca-6276-4993-bfeb-53cbbbba6f08";
const JOB: &str = "7ad642c1-fc6f-4c07-a0dd-f4d2c0d2a4b0";

fn route(op: Operation) -> Route<'static> {
    Route {
        operation: op,
        conversation_id: None,
        agent_id: None,
        library_id: None,
        document_id: None,
        agent_version: None,
        model_id: None,
        file_id: None,
        job_id: None,
    }
}

fn model(op: Operation) -> Route<'static> {
    Route {
        model_id: Some(MODEL),
        ..route(op)
    }
}

fn file(op: Operation) -> Route<'static> {
    Route {
        file_id: Some(FILE),
        ..route(op)
    }
}

fn job(op: Operation) -> Route<'static> {
    Route {
        job_id: Some(JOB),
        ..route(op)
    }
}

fn conv(op: Operation) -> Route<'static> {
    Route {
        conversation_id: Some(CONV),
        ..route(op)
    }
}

fn agent(op: Operation) -> Route<'static> {
    Route {
        agent_id: Some(AGENT),
        ..route(op)
    }
}

fn lib(op: Operation) -> Route<'static> {
    Route {
        library_id: Some(LIB),
        ..route(op)
    }
}

fn doc(op: Operation) -> Route<'static> {
    Route {
        document_id: Some(DOC),
        ..lib(op)
    }
}

type Case = (
    &'static str,
    String,
    Route<'static>,
    &'static str,
    &'static str,
);

/// Every endpoint of mistral-wire.md sections 2, 6 and 7 and of the rest of the API
/// (completions, inference, models, files, batch, fine-tuning), with its name and template.
#[rustfmt::skip]
fn endpoints() -> Vec<Case> {
    use Operation::*;
    let c = format!("/v1/conversations/{CONV}");
    let a = format!("/v1/agents/{AGENT}");
    let l = format!("/v1/libraries/{LIB}");
    let d = format!("{l}/documents/{DOC}");
    vec![
        ("POST", "/v1/conversations".into(), route(ConversationStart), "conversations.start", "/v1/conversations"),
        ("GET", "/v1/conversations".into(), route(ConversationList), "conversations.list", "/v1/conversations"),
        ("POST", c.clone(), conv(ConversationAppend), "conversations.append", "/v1/conversations/{conversation_id}"),
        ("GET", c.clone(), conv(ConversationGet), "conversations.get", "/v1/conversations/{conversation_id}"),
        ("DELETE", c.clone(), conv(ConversationDelete), "conversations.delete", "/v1/conversations/{conversation_id}"),
        ("POST", format!("{c}/restart"), conv(ConversationRestart), "conversations.restart", "/v1/conversations/{conversation_id}/restart"),
        ("GET", format!("{c}/history"), conv(ConversationHistory), "conversations.get_history", "/v1/conversations/{conversation_id}/history"),
        ("GET", format!("{c}/messages"), conv(ConversationMessages), "conversations.get_messages", "/v1/conversations/{conversation_id}/messages"),
        ("POST", "/v1/agents".into(), route(AgentCreate), "agents.create", "/v1/agents"),
        ("GET", "/v1/agents".into(), route(AgentList), "agents.list", "/v1/agents"),
        ("GET", "/v1/agents/pages".into(), route(AgentListPages), "agents.list_pages", "/v1/agents/pages"),
        ("GET", a.clone(), agent(AgentGet), "agents.get", "/v1/agents/{agent_id}"),
        ("PATCH", a.clone(), agent(AgentUpdate), "agents.update", "/v1/agents/{agent_id}"),
        ("PUT", a.clone(), agent(AgentUpdate), "agents.update", "/v1/agents/{agent_id}"),
        ("DELETE", a.clone(), agent(AgentDelete), "agents.delete", "/v1/agents/{agent_id}"),
        ("PATCH", format!("{a}/version"), agent(AgentUpdateVersion), "agents.update_version", "/v1/agents/{agent_id}/version"),
        ("GET", format!("{a}/versions"), agent(AgentListVersions), "agents.list_versions", "/v1/agents/{agent_id}/versions"),
        ("GET", format!("{a}/versions/3"), Route { agent_version: Some("3"), ..agent(AgentGetVersion) }, "agents.get_version", "/v1/agents/{agent_id}/versions/{version}"),
        ("PUT", format!("{a}/aliases"), agent(AgentCreateAlias), "agents.create_version_alias", "/v1/agents/{agent_id}/aliases"),
        ("GET", format!("{a}/aliases"), agent(AgentListAliases), "agents.list_version_aliases", "/v1/agents/{agent_id}/aliases"),
        ("DELETE", format!("{a}/aliases"), agent(AgentDeleteAlias), "agents.delete_version_alias", "/v1/agents/{agent_id}/aliases"),
        ("GET", "/v1/libraries".into(), route(LibraryList), "libraries.list", "/v1/libraries"),
        ("POST", "/v1/libraries".into(), route(LibraryCreate), "libraries.create", "/v1/libraries"),
        ("GET", l.clone(), lib(LibraryGet), "libraries.get", "/v1/libraries/{library_id}"),
        ("PATCH", l.clone(), lib(LibraryUpdate), "libraries.update", "/v1/libraries/{library_id}"),
        ("PUT", l.clone(), lib(LibraryUpdate), "libraries.update", "/v1/libraries/{library_id}"),
        ("DELETE", l.clone(), lib(LibraryDelete), "libraries.delete", "/v1/libraries/{library_id}"),
        ("GET", format!("{l}/documents"), lib(DocumentList), "libraries.documents.list", "/v1/libraries/{library_id}/documents"),
        ("POST", format!("{l}/documents"), lib(DocumentUpload), "libraries.documents.upload", "/v1/libraries/{library_id}/documents"),
        ("GET", d.clone(), doc(DocumentGet), "libraries.documents.get", "/v1/libraries/{library_id}/documents/{document_id}"),
        ("PATCH", d.clone(), doc(DocumentUpdate), "libraries.documents.update", "/v1/libraries/{library_id}/documents/{document_id}"),
        ("PUT", d.clone(), doc(DocumentUpdate), "libraries.documents.update", "/v1/libraries/{library_id}/documents/{document_id}"),
        ("DELETE", d.clone(), doc(DocumentDelete), "libraries.documents.delete", "/v1/libraries/{library_id}/documents/{document_id}"),
        ("GET", format!("{d}/text_content"), doc(DocumentTextContent), "libraries.documents.text_content", "/v1/libraries/{library_id}/documents/{document_id}/text_content"),
        ("GET", format!("{d}/status"), doc(DocumentStatus), "libraries.documents.status", "/v1/libraries/{library_id}/documents/{document_id}/status"),
        ("GET", format!("{d}/signed-url"), doc(DocumentSignedUrl), "libraries.documents.get_signed_url", "/v1/libraries/{library_id}/documents/{document_id}/signed-url"),
        ("GET", format!("{d}/extracted-text-signed-url"), doc(DocumentExtractedTextSignedUrl), "libraries.documents.extracted_text_signed_url", "/v1/libraries/{library_id}/documents/{document_id}/extracted-text-signed-url"),
        ("POST", format!("{d}/reprocess"), doc(DocumentReprocess), "libraries.documents.reprocess", "/v1/libraries/{library_id}/documents/{document_id}/reprocess"),
        ("GET", format!("{l}/documents/signed-upload-url"), lib(DocumentSignedUploadUrl), "libraries.documents.get_signed_upload_url", "/v1/libraries/{library_id}/documents/signed-upload-url"),
        ("POST", format!("{l}/documents/ingest-from-blob-storage"), lib(DocumentIngestFromBlobStorage), "libraries.documents.ingest_from_blob_storage", "/v1/libraries/{library_id}/documents/ingest-from-blob-storage"),
        ("GET", format!("{l}/share"), lib(AccessList), "libraries.accesses.list", "/v1/libraries/{library_id}/share"),
        ("PUT", format!("{l}/share"), lib(AccessUpdateOrCreate), "libraries.accesses.update_or_create", "/v1/libraries/{library_id}/share"),
        ("DELETE", format!("{l}/share"), lib(AccessDelete), "libraries.accesses.delete", "/v1/libraries/{library_id}/share"),
        ("POST", "/v1/chat/completions".into(), route(ChatCompletion), "chat.complete", "/v1/chat/completions"),
        ("POST", "/v1/fim/completions".into(), route(FimCompletion), "fim.complete", "/v1/fim/completions"),
        ("POST", "/v1/agents/completions".into(), route(AgentsCompletion), "agents.complete", "/v1/agents/completions"),
        ("POST", "/v1/embeddings".into(), route(Embeddings), "embeddings.create", "/v1/embeddings"),
        ("POST", "/v1/moderations".into(), route(Moderation), "classifiers.moderate", "/v1/moderations"),
        ("POST", "/v1/chat/moderations".into(), route(ChatModeration), "classifiers.moderate_chat", "/v1/chat/moderations"),
        ("POST", "/v1/classifications".into(), route(Classification), "classifiers.classify", "/v1/classifications"),
        ("POST", "/v1/chat/classifications".into(), route(ChatClassification), "classifiers.classify_chat", "/v1/chat/classifications"),
        ("POST", "/v1/ocr".into(), route(Ocr), "ocr.process", "/v1/ocr"),
        ("POST", "/v1/audio/transcriptions".into(), route(AudioTranscription), "audio.transcriptions.complete", "/v1/audio/transcriptions"),
        ("GET", "/v1/models".into(), route(ModelList), "models.list", "/v1/models"),
        ("GET", format!("/v1/models/{MODEL}"), model(ModelGet), "models.retrieve", "/v1/models/{model_id}"),
        ("DELETE", format!("/v1/models/{MODEL}"), model(ModelDelete), "models.delete", "/v1/models/{model_id}"),
        ("PATCH", format!("/v1/fine_tuning/models/{MODEL}"), model(FineTunedModelUpdate), "models.update", "/v1/fine_tuning/models/{model_id}"),
        ("POST", format!("/v1/fine_tuning/models/{MODEL}/archive"), model(FineTunedModelArchive), "models.archive", "/v1/fine_tuning/models/{model_id}/archive"),
        ("DELETE", format!("/v1/fine_tuning/models/{MODEL}/archive"), model(FineTunedModelUnarchive), "models.unarchive", "/v1/fine_tuning/models/{model_id}/archive"),
        ("POST", "/v1/files".into(), route(FileUpload), "files.upload", "/v1/files"),
        ("GET", "/v1/files".into(), route(FileList), "files.list", "/v1/files"),
        ("GET", format!("/v1/files/{FILE}"), file(FileGet), "files.retrieve", "/v1/files/{file_id}"),
        ("DELETE", format!("/v1/files/{FILE}"), file(FileDelete), "files.delete", "/v1/files/{file_id}"),
        ("GET", format!("/v1/files/{FILE}/content"), file(FileContent), "files.download", "/v1/files/{file_id}/content"),
        ("GET", format!("/v1/files/{FILE}/url"), file(FileUrl), "files.get_signed_url", "/v1/files/{file_id}/url"),
        ("GET", "/v1/batch/jobs".into(), route(BatchJobList), "batch.jobs.list", "/v1/batch/jobs"),
        ("POST", "/v1/batch/jobs".into(), route(BatchJobCreate), "batch.jobs.create", "/v1/batch/jobs"),
        ("GET", format!("/v1/batch/jobs/{JOB}"), job(BatchJobGet), "batch.jobs.get", "/v1/batch/jobs/{job_id}"),
        ("DELETE", format!("/v1/batch/jobs/{JOB}"), job(BatchJobDelete), "batch.jobs.delete", "/v1/batch/jobs/{job_id}"),
        ("POST", format!("/v1/batch/jobs/{JOB}/cancel"), job(BatchJobCancel), "batch.jobs.cancel", "/v1/batch/jobs/{job_id}/cancel"),
        ("GET", "/v1/fine_tuning/jobs".into(), route(FineTuningJobList), "fine_tuning.jobs.list", "/v1/fine_tuning/jobs"),
        ("POST", "/v1/fine_tuning/jobs".into(), route(FineTuningJobCreate), "fine_tuning.jobs.create", "/v1/fine_tuning/jobs"),
        ("GET", format!("/v1/fine_tuning/jobs/{JOB}"), job(FineTuningJobGet), "fine_tuning.jobs.get", "/v1/fine_tuning/jobs/{job_id}"),
        ("POST", format!("/v1/fine_tuning/jobs/{JOB}/cancel"), job(FineTuningJobCancel), "fine_tuning.jobs.cancel", "/v1/fine_tuning/jobs/{job_id}/cancel"),
        ("POST", format!("/v1/fine_tuning/jobs/{JOB}/start"), job(FineTuningJobStart), "fine_tuning.jobs.start", "/v1/fine_tuning/jobs/{job_id}/start"),
    ]
}

#[test]
fn every_operation_has_an_endpoint_in_this_table() {
    let listed: Vec<Operation> = endpoints()
        .into_iter()
        .map(|(_, _, r, _, _)| r.operation)
        .collect();
    for op in Operation::ALL {
        assert!(listed.contains(&op), "{op:?} has no entry");
    }
}

#[test]
fn every_documented_endpoint_matches_with_its_ids_name_and_template() {
    for (method, path, expected, name, template) in endpoints() {
        let got = match_route(method, &path);
        assert_eq!(got.as_ref(), Some(&expected), "{method} {path}");
        assert_eq!(expected.operation.name(), name, "{method} {path}");
        assert_eq!(
            expected.operation.url_template(),
            template,
            "{method} {path}"
        );
    }
}

#[test]
fn method_case_does_not_matter() {
    for (method, path, expected, _, _) in endpoints() {
        assert_eq!(match_route(&method.to_lowercase(), &path), Some(expected));
    }
}

#[test]
fn fragment_query_and_trailing_slash_do_not_change_the_match() {
    for (method, path, expected, _, _) in endpoints() {
        for variant in [
            format!("{path}#stream"),
            format!("{path}?page=0&page_size=20"),
            format!("{path}?metadata=%7B%22a%22%3A1%7D#stream"),
            format!("{path}/"),
            format!("{path}/?page=0"),
        ] {
            assert_eq!(
                match_route(method, &variant).as_ref(),
                Some(&expected),
                "{method} {variant}"
            );
        }
    }
}

#[test]
fn sdk_stream_fragments_match_the_turn_operations() {
    let start = match_route("POST", "/v1/conversations#stream").unwrap();
    assert_eq!(start.operation, Operation::ConversationStart);
    let append_path = format!("/v1/conversations/{CONV}#stream");
    let append = match_route("POST", &append_path).unwrap();
    assert_eq!(
        (append.operation, append.conversation_id),
        (Operation::ConversationAppend, Some(CONV))
    );
    let restart_path = format!("/v1/conversations/{CONV}/restart#stream");
    let restart = match_route("POST", &restart_path).unwrap();
    assert_eq!(restart.operation, Operation::ConversationRestart);
}

#[test]
fn turns_are_exactly_start_append_and_restart() {
    for (_, _, route, _, _) in endpoints() {
        let kind = route.operation.turn_kind();
        assert_eq!(route.operation.is_turn(), kind.is_some());
        let expected = match route.operation {
            Operation::ConversationStart => Some("start"),
            Operation::ConversationAppend => Some("append"),
            Operation::ConversationRestart => Some("restart"),
            _ => None,
        };
        assert_eq!(kind, expected);
    }
}

#[test]
fn unknown_and_foreign_paths_do_not_match() {
    for (method, path) in [
        ("GET", "/v1/agents/completions"),
        ("POST", "/v1/agents/completions/x"),
        ("POST", "/v1/chat"),
        ("POST", "/v1/chat/completions/extra"),
        ("POST", "/v1/audio/speech"),
        ("POST", "/v1/models"),
        ("GET", "/v1/batch"),
        ("POST", "/v1/fine_tuning/models/m"),
        ("POST", "/v2/conversations"),
        ("POST", "/conversations"),
        ("POST", "/v1/conversations_extra"),
        ("POST", "v1/conversations"),
        ("POST", "/v1"),
        ("POST", "/v1/"),
        ("POST", ""),
        ("POST", "/v1//conversations"),
        ("POST", "/v1/conversations//restart"),
        ("GET", "/v1/conversations/conv_1/history/extra"),
        ("GET", "/v1/libraries/lib/documents/doc/status/extra"),
        ("POST", "/api/v1/conversations"),
    ] {
        assert_eq!(match_route(method, path), None, "{method} {path}");
    }
}

#[test]
fn methods_that_do_not_apply_do_not_match() {
    for (method, path) in [
        ("PUT", "/v1/conversations"),
        ("DELETE", "/v1/conversations"),
        ("PATCH", "/v1/conversations/conv_1"),
        ("GET", "/v1/conversations/conv_1/restart"),
        ("POST", "/v1/conversations/conv_1/history"),
        ("DELETE", "/v1/conversations/conv_1/messages"),
        ("POST", "/v1/agents/pages"),
        ("POST", "/v1/agents/ag_1"),
        ("GET", "/v1/agents/ag_1/version"),
        ("POST", "/v1/agents/ag_1/versions"),
        ("DELETE", "/v1/agents/ag_1/versions/2"),
        ("POST", "/v1/agents/ag_1/aliases"),
        ("DELETE", "/v1/libraries"),
        ("POST", "/v1/libraries/lib"),
        ("POST", "/v1/libraries/lib/share"),
        ("DELETE", "/v1/libraries/lib/documents"),
        ("POST", "/v1/libraries/lib/documents/doc"),
        ("GET", "/v1/libraries/lib/documents/doc/reprocess"),
        ("POST", "/v1/libraries/lib/documents/doc/status"),
        ("PATCH", "/v1/libraries/lib/documents/signed-upload-url"),
        (
            "GET",
            "/v1/libraries/lib/documents/ingest-from-blob-storage",
        ),
        ("HEAD", "/v1/conversations"),
        ("OPTIONS", "/v1/conversations"),
        ("", "/v1/conversations"),
    ] {
        assert_eq!(match_route(method, path), None, "{method} {path}");
    }
}
