//! Which Mistral API endpoint a request goes to, from its method and path alone.

/// One endpoint of the Mistral API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `POST /v1/conversations`
    ConversationStart,
    /// `POST /v1/conversations/{conversation_id}`
    ConversationAppend,
    /// `POST /v1/conversations/{conversation_id}/restart`
    ConversationRestart,
    /// `GET /v1/conversations`
    ConversationList,
    /// `GET /v1/conversations/{conversation_id}`
    ConversationGet,
    /// `DELETE /v1/conversations/{conversation_id}`
    ConversationDelete,
    /// `GET /v1/conversations/{conversation_id}/history`
    ConversationHistory,
    /// `GET /v1/conversations/{conversation_id}/messages`
    ConversationMessages,
    /// `POST /v1/agents`
    AgentCreate,
    /// `GET /v1/agents`
    AgentList,
    /// `GET /v1/agents/pages`
    AgentListPages,
    /// `GET /v1/agents/{agent_id}`
    AgentGet,
    /// `PATCH` (or `PUT`) `/v1/agents/{agent_id}`
    AgentUpdate,
    /// `DELETE /v1/agents/{agent_id}`
    AgentDelete,
    /// `PATCH` (or `PUT`) `/v1/agents/{agent_id}/version`
    AgentUpdateVersion,
    /// `GET /v1/agents/{agent_id}/versions`
    AgentListVersions,
    /// `GET /v1/agents/{agent_id}/versions/{version}`
    AgentGetVersion,
    /// `PUT /v1/agents/{agent_id}/aliases`
    AgentCreateAlias,
    /// `GET /v1/agents/{agent_id}/aliases`
    AgentListAliases,
    /// `DELETE /v1/agents/{agent_id}/aliases`
    AgentDeleteAlias,
    /// `GET /v1/libraries`
    LibraryList,
    /// `POST /v1/libraries`
    LibraryCreate,
    /// `GET /v1/libraries/{library_id}`
    LibraryGet,
    /// `PATCH` (or `PUT`) `/v1/libraries/{library_id}`
    LibraryUpdate,
    /// `DELETE /v1/libraries/{library_id}`
    LibraryDelete,
    /// `GET /v1/libraries/{library_id}/documents`
    DocumentList,
    /// `POST /v1/libraries/{library_id}/documents` (multipart)
    DocumentUpload,
    /// `GET /v1/libraries/{library_id}/documents/{document_id}`
    DocumentGet,
    /// `PATCH` (or `PUT`) `/v1/libraries/{library_id}/documents/{document_id}`
    DocumentUpdate,
    /// `DELETE /v1/libraries/{library_id}/documents/{document_id}`
    DocumentDelete,
    /// `GET …/documents/{document_id}/text_content`
    DocumentTextContent,
    /// `GET …/documents/{document_id}/status`
    DocumentStatus,
    /// `GET …/documents/{document_id}/signed-url`
    DocumentSignedUrl,
    /// `GET …/documents/{document_id}/extracted-text-signed-url`
    DocumentExtractedTextSignedUrl,
    /// `POST …/documents/{document_id}/reprocess`
    DocumentReprocess,
    /// `GET /v1/libraries/{library_id}/documents/signed-upload-url`
    DocumentSignedUploadUrl,
    /// `POST /v1/libraries/{library_id}/documents/ingest-from-blob-storage`
    DocumentIngestFromBlobStorage,
    /// `GET /v1/libraries/{library_id}/share`
    AccessList,
    /// `PUT /v1/libraries/{library_id}/share`
    AccessUpdateOrCreate,
    /// `DELETE /v1/libraries/{library_id}/share`
    AccessDelete,
    /// `POST /v1/chat/completions` (plain and streamed)
    ChatCompletion,
    /// `POST /v1/fim/completions` (plain and streamed)
    FimCompletion,
    /// `POST /v1/agents/completions` (plain and streamed)
    AgentsCompletion,
    /// `POST /v1/embeddings`
    Embeddings,
    /// `POST /v1/moderations`
    Moderation,
    /// `POST /v1/chat/moderations`
    ChatModeration,
    /// `POST /v1/classifications`
    Classification,
    /// `POST /v1/chat/classifications`
    ChatClassification,
    /// `POST /v1/ocr`
    Ocr,
    /// `POST /v1/audio/transcriptions` (multipart; plain and streamed)
    AudioTranscription,
    /// `GET /v1/models`
    ModelList,
    /// `GET /v1/models/{model_id}`
    ModelGet,
    /// `DELETE /v1/models/{model_id}`
    ModelDelete,
    /// `PATCH /v1/fine_tuning/models/{model_id}`
    FineTunedModelUpdate,
    /// `POST /v1/fine_tuning/models/{model_id}/archive`
    FineTunedModelArchive,
    /// `DELETE /v1/fine_tuning/models/{model_id}/archive`
    FineTunedModelUnarchive,
    /// `POST /v1/files` (multipart)
    FileUpload,
    /// `GET /v1/files`
    FileList,
    /// `GET /v1/files/{file_id}`
    FileGet,
    /// `DELETE /v1/files/{file_id}`
    FileDelete,
    /// `GET /v1/files/{file_id}/content`
    FileContent,
    /// `GET /v1/files/{file_id}/url`
    FileUrl,
    /// `GET /v1/batch/jobs`
    BatchJobList,
    /// `POST /v1/batch/jobs`
    BatchJobCreate,
    /// `GET /v1/batch/jobs/{job_id}`
    BatchJobGet,
    /// `DELETE /v1/batch/jobs/{job_id}`
    BatchJobDelete,
    /// `POST /v1/batch/jobs/{job_id}/cancel`
    BatchJobCancel,
    /// `GET /v1/fine_tuning/jobs`
    FineTuningJobList,
    /// `POST /v1/fine_tuning/jobs`
    FineTuningJobCreate,
    /// `GET /v1/fine_tuning/jobs/{job_id}`
    FineTuningJobGet,
    /// `POST /v1/fine_tuning/jobs/{job_id}/cancel`
    FineTuningJobCancel,
    /// `POST /v1/fine_tuning/jobs/{job_id}/start`
    FineTuningJobStart,
}

/// What kind of call an endpoint is, for the span and the recorder it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CallKind {
    /// A conversation turn: start, append, restart.
    Turn,
    /// A chat, FIM or agents completion.
    Completion,
    /// Another GenAI operation: embeddings, moderation, classification, OCR, transcription.
    Inference,
    /// Anything else: a read, a write, an agent or library call (`create_agent` included).
    Resource,
}

impl Operation {
    /// Every endpoint, in declaration order.
    pub const ALL: [Operation; 72] = {
        use Operation::*;
        [
            ConversationStart,
            ConversationAppend,
            ConversationRestart,
            ConversationList,
            ConversationGet,
            ConversationDelete,
            ConversationHistory,
            ConversationMessages,
            AgentCreate,
            AgentList,
            AgentListPages,
            AgentGet,
            AgentUpdate,
            AgentDelete,
            AgentUpdateVersion,
            AgentListVersions,
            AgentGetVersion,
            AgentCreateAlias,
            AgentListAliases,
            AgentDeleteAlias,
            LibraryList,
            LibraryCreate,
            LibraryGet,
            LibraryUpdate,
            LibraryDelete,
            DocumentList,
            DocumentUpload,
            DocumentGet,
            DocumentUpdate,
            DocumentDelete,
            DocumentTextContent,
            DocumentStatus,
            DocumentSignedUrl,
            DocumentExtractedTextSignedUrl,
            DocumentReprocess,
            DocumentSignedUploadUrl,
            DocumentIngestFromBlobStorage,
            AccessList,
            AccessUpdateOrCreate,
            AccessDelete,
            ChatCompletion,
            FimCompletion,
            AgentsCompletion,
            Embeddings,
            Moderation,
            ChatModeration,
            Classification,
            ChatClassification,
            Ocr,
            AudioTranscription,
            ModelList,
            ModelGet,
            ModelDelete,
            FineTunedModelUpdate,
            FineTunedModelArchive,
            FineTunedModelUnarchive,
            FileUpload,
            FileList,
            FileGet,
            FileDelete,
            FileContent,
            FileUrl,
            BatchJobList,
            BatchJobCreate,
            BatchJobGet,
            BatchJobDelete,
            BatchJobCancel,
            FineTuningJobList,
            FineTuningJobCreate,
            FineTuningJobGet,
            FineTuningJobCancel,
            FineTuningJobStart,
        ]
    };

    /// The SDK-style operation name, e.g. `"conversations.start"`,
    /// `"conversations.get_history"`, `"libraries.documents.upload"`.
    pub fn name(self) -> &'static str {
        use Operation::*;
        match self {
            ConversationStart => "conversations.start",
            ConversationAppend => "conversations.append",
            ConversationRestart => "conversations.restart",
            ConversationList => "conversations.list",
            ConversationGet => "conversations.get",
            ConversationDelete => "conversations.delete",
            ConversationHistory => "conversations.get_history",
            ConversationMessages => "conversations.get_messages",
            AgentCreate => "agents.create",
            AgentList => "agents.list",
            AgentListPages => "agents.list_pages",
            AgentGet => "agents.get",
            AgentUpdate => "agents.update",
            AgentDelete => "agents.delete",
            AgentUpdateVersion => "agents.update_version",
            AgentListVersions => "agents.list_versions",
            AgentGetVersion => "agents.get_version",
            AgentCreateAlias => "agents.create_version_alias",
            AgentListAliases => "agents.list_version_aliases",
            AgentDeleteAlias => "agents.delete_version_alias",
            LibraryList => "libraries.list",
            LibraryCreate => "libraries.create",
            LibraryGet => "libraries.get",
            LibraryUpdate => "libraries.update",
            LibraryDelete => "libraries.delete",
            DocumentList => "libraries.documents.list",
            DocumentUpload => "libraries.documents.upload",
            DocumentGet => "libraries.documents.get",
            DocumentUpdate => "libraries.documents.update",
            DocumentDelete => "libraries.documents.delete",
            DocumentTextContent => "libraries.documents.text_content",
            DocumentStatus => "libraries.documents.status",
            DocumentSignedUrl => "libraries.documents.get_signed_url",
            DocumentExtractedTextSignedUrl => "libraries.documents.extracted_text_signed_url",
            DocumentReprocess => "libraries.documents.reprocess",
            DocumentSignedUploadUrl => "libraries.documents.get_signed_upload_url",
            DocumentIngestFromBlobStorage => "libraries.documents.ingest_from_blob_storage",
            AccessList => "libraries.accesses.list",
            AccessUpdateOrCreate => "libraries.accesses.update_or_create",
            AccessDelete => "libraries.accesses.delete",
            ChatCompletion => "chat.complete",
            FimCompletion => "fim.complete",
            AgentsCompletion => "agents.complete",
            Embeddings => "embeddings.create",
            Moderation => "classifiers.moderate",
            ChatModeration => "classifiers.moderate_chat",
            Classification => "classifiers.classify",
            ChatClassification => "classifiers.classify_chat",
            Ocr => "ocr.process",
            AudioTranscription => "audio.transcriptions.complete",
            ModelList => "models.list",
            ModelGet => "models.retrieve",
            ModelDelete => "models.delete",
            FineTunedModelUpdate => "models.update",
            FineTunedModelArchive => "models.archive",
            FineTunedModelUnarchive => "models.unarchive",
            FileUpload => "files.upload",
            FileList => "files.list",
            FileGet => "files.retrieve",
            FileDelete => "files.delete",
            FileContent => "files.download",
            FileUrl => "files.get_signed_url",
            BatchJobList => "batch.jobs.list",
            BatchJobCreate => "batch.jobs.create",
            BatchJobGet => "batch.jobs.get",
            BatchJobDelete => "batch.jobs.delete",
            BatchJobCancel => "batch.jobs.cancel",
            FineTuningJobList => "fine_tuning.jobs.list",
            FineTuningJobCreate => "fine_tuning.jobs.create",
            FineTuningJobGet => "fine_tuning.jobs.get",
            FineTuningJobCancel => "fine_tuning.jobs.cancel",
            FineTuningJobStart => "fine_tuning.jobs.start",
        }
    }

    /// The path with its ids replaced by `{placeholders}`, e.g.
    /// `"/v1/conversations/{conversation_id}/history"`.
    pub fn url_template(self) -> &'static str {
        use Operation::*;
        match self {
            ConversationStart | ConversationList => "/v1/conversations",
            ConversationAppend | ConversationGet | ConversationDelete => {
                "/v1/conversations/{conversation_id}"
            }
            ConversationRestart => "/v1/conversations/{conversation_id}/restart",
            ConversationHistory => "/v1/conversations/{conversation_id}/history",
            ConversationMessages => "/v1/conversations/{conversation_id}/messages",
            AgentCreate | AgentList => "/v1/agents",
            AgentListPages => "/v1/agents/pages",
            AgentGet | AgentUpdate | AgentDelete => "/v1/agents/{agent_id}",
            AgentUpdateVersion => "/v1/agents/{agent_id}/version",
            AgentListVersions => "/v1/agents/{agent_id}/versions",
            AgentGetVersion => "/v1/agents/{agent_id}/versions/{version}",
            AgentCreateAlias | AgentListAliases | AgentDeleteAlias => {
                "/v1/agents/{agent_id}/aliases"
            }
            LibraryList | LibraryCreate => "/v1/libraries",
            LibraryGet | LibraryUpdate | LibraryDelete => "/v1/libraries/{library_id}",
            DocumentList | DocumentUpload => "/v1/libraries/{library_id}/documents",
            DocumentGet | DocumentUpdate | DocumentDelete => {
                "/v1/libraries/{library_id}/documents/{document_id}"
            }
            DocumentTextContent => {
                "/v1/libraries/{library_id}/documents/{document_id}/text_content"
            }
            DocumentStatus => "/v1/libraries/{library_id}/documents/{document_id}/status",
            DocumentSignedUrl => "/v1/libraries/{library_id}/documents/{document_id}/signed-url",
            DocumentExtractedTextSignedUrl => {
                "/v1/libraries/{library_id}/documents/{document_id}/extracted-text-signed-url"
            }
            DocumentReprocess => "/v1/libraries/{library_id}/documents/{document_id}/reprocess",
            DocumentSignedUploadUrl => "/v1/libraries/{library_id}/documents/signed-upload-url",
            DocumentIngestFromBlobStorage => {
                "/v1/libraries/{library_id}/documents/ingest-from-blob-storage"
            }
            AccessList | AccessUpdateOrCreate | AccessDelete => "/v1/libraries/{library_id}/share",
            ChatCompletion => "/v1/chat/completions",
            FimCompletion => "/v1/fim/completions",
            AgentsCompletion => "/v1/agents/completions",
            Embeddings => "/v1/embeddings",
            Moderation => "/v1/moderations",
            ChatModeration => "/v1/chat/moderations",
            Classification => "/v1/classifications",
            ChatClassification => "/v1/chat/classifications",
            Ocr => "/v1/ocr",
            AudioTranscription => "/v1/audio/transcriptions",
            ModelList => "/v1/models",
            ModelGet | ModelDelete => "/v1/models/{model_id}",
            FineTunedModelUpdate => "/v1/fine_tuning/models/{model_id}",
            FineTunedModelArchive | FineTunedModelUnarchive => {
                "/v1/fine_tuning/models/{model_id}/archive"
            }
            FileUpload | FileList => "/v1/files",
            FileGet | FileDelete => "/v1/files/{file_id}",
            FileContent => "/v1/files/{file_id}/content",
            FileUrl => "/v1/files/{file_id}/url",
            BatchJobList | BatchJobCreate => "/v1/batch/jobs",
            BatchJobGet | BatchJobDelete => "/v1/batch/jobs/{job_id}",
            BatchJobCancel => "/v1/batch/jobs/{job_id}/cancel",
            FineTuningJobList | FineTuningJobCreate => "/v1/fine_tuning/jobs",
            FineTuningJobGet => "/v1/fine_tuning/jobs/{job_id}",
            FineTuningJobCancel => "/v1/fine_tuning/jobs/{job_id}/cancel",
            FineTuningJobStart => "/v1/fine_tuning/jobs/{job_id}/start",
        }
    }

    /// What kind of call this is.
    pub fn kind(self) -> CallKind {
        use Operation::*;
        match self {
            ConversationStart | ConversationAppend | ConversationRestart => CallKind::Turn,
            ChatCompletion | FimCompletion | AgentsCompletion => CallKind::Completion,
            Embeddings | Moderation | ChatModeration | Classification | ChatClassification
            | Ocr | AudioTranscription => CallKind::Inference,
            _ => CallKind::Resource,
        }
    }

    /// The GenAI operation name (`gen_ai.operation.name`) of endpoints that are GenAI
    /// operations: `invoke_agent` (turns, agents completions), `chat`, `text_completion`,
    /// `embeddings`, `moderation`, `classification`, `ocr`, `transcription`,
    /// `create_agent`; `None` for the other endpoints.
    pub fn gen_ai_operation(self) -> Option<&'static str> {
        use Operation::*;
        Some(match self {
            ConversationStart | ConversationAppend | ConversationRestart | AgentsCompletion => {
                "invoke_agent"
            }
            ChatCompletion => "chat",
            FimCompletion => "text_completion",
            Embeddings => "embeddings",
            Moderation | ChatModeration => "moderation",
            Classification | ChatClassification => "classification",
            Ocr => "ocr",
            AudioTranscription => "transcription",
            AgentCreate => "create_agent",
            _ => return None,
        })
    }

    /// Whether this is a conversation turn (start, append or restart).
    pub fn is_turn(self) -> bool {
        self.turn_kind().is_some()
    }

    /// `"start"`, `"append"` or `"restart"` for turns, `None` otherwise.
    pub fn turn_kind(self) -> Option<&'static str> {
        match self {
            Operation::ConversationStart => Some("start"),
            Operation::ConversationAppend => Some("append"),
            Operation::ConversationRestart => Some("restart"),
            _ => None,
        }
    }
}

/// A matched endpoint and the ids its path carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route<'a> {
    /// The endpoint.
    pub operation: Operation,
    /// `{conversation_id}` from the path.
    pub conversation_id: Option<&'a str>,
    /// `{agent_id}` from the path.
    pub agent_id: Option<&'a str>,
    /// `{library_id}` from the path.
    pub library_id: Option<&'a str>,
    /// `{document_id}` from the path.
    pub document_id: Option<&'a str>,
    /// `{version}` from `/v1/agents/{agent_id}/versions/{version}`.
    pub agent_version: Option<&'a str>,
    /// `{model_id}` from the models and fine-tuned models paths.
    pub model_id: Option<&'a str>,
    /// `{file_id}` from the files paths.
    pub file_id: Option<&'a str>,
    /// `{job_id}` from the batch and fine-tuning job paths.
    pub job_id: Option<&'a str>,
}

impl<'a> Route<'a> {
    fn new(operation: Operation) -> Self {
        Route {
            operation,
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
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
    Update,
    Delete,
}

impl Method {
    fn parse(method: &str) -> Option<Method> {
        let m = method.trim();
        if m.eq_ignore_ascii_case("GET") {
            Some(Method::Get)
        } else if m.eq_ignore_ascii_case("POST") {
            Some(Method::Post)
        } else if m.eq_ignore_ascii_case("PUT") || m.eq_ignore_ascii_case("PATCH") {
            // the SDKs use PATCH for updates, the API also accepts PUT
            Some(Method::Update)
        } else if m.eq_ignore_ascii_case("DELETE") {
            Some(Method::Delete)
        } else {
            None
        }
    }
}

/// Match an HTTP method and URL path to a Mistral API endpoint.
///
/// `method` is an HTTP method (`"POST"`, any case). `path` is the URL path; it may carry a
/// `?query` and a `#fragment` (the SDKs' `"/v1/conversations#stream"`): the fragment is
/// ignored, the query is not part of matching. One trailing slash is tolerated. Returns
/// `None` for anything that is not one of these endpoints. `PUT` and `PATCH` both map to
/// the update operations.
///
/// ```
/// use mistral_otel_wire::{CallKind, match_route, Operation};
/// let route = match_route("post", "/v1/conversations/conv_1/restart#stream").unwrap();
/// assert_eq!(route.operation, Operation::ConversationRestart);
/// assert_eq!(route.conversation_id, Some("conv_1"));
/// let chat = match_route("POST", "/v1/chat/completions#stream").unwrap();
/// assert_eq!(chat.operation.kind(), CallKind::Completion);
/// assert!(match_route("GET", "/v1/chat/completions").is_none());
/// ```
pub fn match_route<'a>(method: &str, path: &'a str) -> Option<Route<'a>> {
    let method = Method::parse(method)?;
    let path = path.split(['#', '?']).next().unwrap_or_default();
    let path = path.strip_suffix('/').unwrap_or(path);
    let rest = path.strip_prefix("/v1/")?;
    let mut segments = rest.split('/');
    let root = segments.next()?;
    // the deepest path has four segments after the root; no allocation per request
    let mut buf = [""; 4];
    let mut len = 0;
    for segment in segments {
        if segment.is_empty() {
            return None;
        }
        *buf.get_mut(len)? = segment;
        len += 1;
    }
    let ids = buf.get(..len)?;
    match root {
        "conversations" => conversation_route(method, ids),
        "agents" => agent_route(method, ids),
        "libraries" => library_route(method, ids),
        "models" => model_route(method, ids),
        "files" => file_route(method, ids),
        "batch" => batch_route(method, ids),
        "fine_tuning" => fine_tuning_route(method, ids),
        _ => inference_route(method, root, ids),
    }
}

fn conversation_route<'a>(method: Method, segments: &[&'a str]) -> Option<Route<'a>> {
    use Method::*;
    use Operation::*;
    let (operation, id) = match (method, segments) {
        (Post, []) => (ConversationStart, None),
        (Get, []) => (ConversationList, None),
        (Post, [id]) => (ConversationAppend, Some(*id)),
        (Get, [id]) => (ConversationGet, Some(*id)),
        (Delete, [id]) => (ConversationDelete, Some(*id)),
        (Post, [id, "restart"]) => (ConversationRestart, Some(*id)),
        (Get, [id, "history"]) => (ConversationHistory, Some(*id)),
        (Get, [id, "messages"]) => (ConversationMessages, Some(*id)),
        _ => return None,
    };
    Some(Route {
        conversation_id: id,
        ..Route::new(operation)
    })
}

fn agent_route<'a>(method: Method, segments: &[&'a str]) -> Option<Route<'a>> {
    use Method::*;
    use Operation::*;
    // `/v1/agents/completions` is the chat-style agents endpoint, not an agent id
    match (method, segments) {
        (Post, ["completions"]) => return Some(Route::new(AgentsCompletion)),
        (_, ["completions", ..]) => return None,
        _ => {}
    }
    let (operation, id, version) = match (method, segments) {
        (Post, []) => (AgentCreate, None, None),
        (Get, []) => (AgentList, None, None),
        (Get, ["pages"]) => (AgentListPages, None, None),
        (_, ["pages", ..]) => return None,
        (Get, [id]) => (AgentGet, Some(*id), None),
        (Update, [id]) => (AgentUpdate, Some(*id), None),
        (Delete, [id]) => (AgentDelete, Some(*id), None),
        (Update, [id, "version"]) => (AgentUpdateVersion, Some(*id), None),
        (Get, [id, "versions"]) => (AgentListVersions, Some(*id), None),
        (Get, [id, "versions", v]) => (AgentGetVersion, Some(*id), Some(*v)),
        (Update, [id, "aliases"]) => (AgentCreateAlias, Some(*id), None),
        (Get, [id, "aliases"]) => (AgentListAliases, Some(*id), None),
        (Delete, [id, "aliases"]) => (AgentDeleteAlias, Some(*id), None),
        _ => return None,
    };
    Some(Route {
        agent_id: id,
        agent_version: version,
        ..Route::new(operation)
    })
}

/// The completions and the other inference endpoints (one or two path segments).
fn inference_route<'a>(method: Method, root: &str, segments: &[&'a str]) -> Option<Route<'a>> {
    use Operation::*;
    if method != Method::Post {
        return None;
    }
    let operation = match (root, segments) {
        ("chat", ["completions"]) => ChatCompletion,
        ("chat", ["moderations"]) => ChatModeration,
        ("chat", ["classifications"]) => ChatClassification,
        ("fim", ["completions"]) => FimCompletion,
        ("embeddings", []) => Embeddings,
        ("moderations", []) => Moderation,
        ("classifications", []) => Classification,
        ("ocr", []) => Ocr,
        ("audio", ["transcriptions"]) => AudioTranscription,
        _ => return None,
    };
    Some(Route::new(operation))
}

fn model_route<'a>(method: Method, segments: &[&'a str]) -> Option<Route<'a>> {
    use Method::*;
    use Operation::*;
    let (operation, id) = match (method, segments) {
        (Get, []) => (ModelList, None),
        (Get, [id]) => (ModelGet, Some(*id)),
        (Delete, [id]) => (ModelDelete, Some(*id)),
        _ => return None,
    };
    Some(Route {
        model_id: id,
        ..Route::new(operation)
    })
}

fn file_route<'a>(method: Method, segments: &[&'a str]) -> Option<Route<'a>> {
    use Method::*;
    use Operation::*;
    let (operation, id) = match (method, segments) {
        (Post, []) => (FileUpload, None),
        (Get, []) => (FileList, None),
        (Get, [id]) => (FileGet, Some(*id)),
        (Delete, [id]) => (FileDelete, Some(*id)),
        (Get, [id, "content"]) => (FileContent, Some(*id)),
        (Get, [id, "url"]) => (FileUrl, Some(*id)),
        _ => return None,
    };
    Some(Route {
        file_id: id,
        ..Route::new(operation)
    })
}

fn batch_route<'a>(method: Method, segments: &[&'a str]) -> Option<Route<'a>> {
    use Method::*;
    use Operation::*;
    let (operation, id) = match (method, segments) {
        (Get, ["jobs"]) => (BatchJobList, None),
        (Post, ["jobs"]) => (BatchJobCreate, None),
        (Get, ["jobs", id]) => (BatchJobGet, Some(*id)),
        (Delete, ["jobs", id]) => (BatchJobDelete, Some(*id)),
        (Post, ["jobs", id, "cancel"]) => (BatchJobCancel, Some(*id)),
        _ => return None,
    };
    Some(Route {
        job_id: id,
        ..Route::new(operation)
    })
}

fn fine_tuning_route<'a>(method: Method, segments: &[&'a str]) -> Option<Route<'a>> {
    use Method::*;
    use Operation::*;
    let route = |operation, job: Option<&'a str>, model: Option<&'a str>| Route {
        job_id: job,
        model_id: model,
        ..Route::new(operation)
    };
    Some(match (method, segments) {
        (Get, ["jobs"]) => route(FineTuningJobList, None, None),
        (Post, ["jobs"]) => route(FineTuningJobCreate, None, None),
        (Get, ["jobs", id]) => route(FineTuningJobGet, Some(*id), None),
        (Post, ["jobs", id, "cancel"]) => route(FineTuningJobCancel, Some(*id), None),
        (Post, ["jobs", id, "start"]) => route(FineTuningJobStart, Some(*id), None),
        (Update, ["models", id]) => route(FineTunedModelUpdate, None, Some(*id)),
        (Post, ["models", id, "archive"]) => route(FineTunedModelArchive, None, Some(*id)),
        (Delete, ["models", id, "archive"]) => route(FineTunedModelUnarchive, None, Some(*id)),
        _ => return None,
    })
}

fn library_route<'a>(method: Method, segments: &[&'a str]) -> Option<Route<'a>> {
    use Method::*;
    use Operation::*;
    let (operation, library, document) = match (method, segments) {
        (Get, []) => (LibraryList, None, None),
        (Post, []) => (LibraryCreate, None, None),
        (Get, [lib]) => (LibraryGet, Some(*lib), None),
        (Update, [lib]) => (LibraryUpdate, Some(*lib), None),
        (Delete, [lib]) => (LibraryDelete, Some(*lib), None),
        (Get, [lib, "share"]) => (AccessList, Some(*lib), None),
        (Update, [lib, "share"]) => (AccessUpdateOrCreate, Some(*lib), None),
        (Delete, [lib, "share"]) => (AccessDelete, Some(*lib), None),
        (Get, [lib, "documents"]) => (DocumentList, Some(*lib), None),
        (Post, [lib, "documents"]) => (DocumentUpload, Some(*lib), None),
        (Get, [lib, "documents", "signed-upload-url"]) => {
            (DocumentSignedUploadUrl, Some(*lib), None)
        }
        (Post, [lib, "documents", "ingest-from-blob-storage"]) => {
            (DocumentIngestFromBlobStorage, Some(*lib), None)
        }
        // these two words are sub-resources of `documents`, never document ids
        (
            _,
            [
                _,
                "documents",
                "signed-upload-url" | "ingest-from-blob-storage",
                ..,
            ],
        ) => {
            return None;
        }
        (Get, [lib, "documents", doc]) => (DocumentGet, Some(*lib), Some(*doc)),
        (Update, [lib, "documents", doc]) => (DocumentUpdate, Some(*lib), Some(*doc)),
        (Delete, [lib, "documents", doc]) => (DocumentDelete, Some(*lib), Some(*doc)),
        (Get, [lib, "documents", doc, "text_content"]) => {
            (DocumentTextContent, Some(*lib), Some(*doc))
        }
        (Get, [lib, "documents", doc, "status"]) => (DocumentStatus, Some(*lib), Some(*doc)),
        (Get, [lib, "documents", doc, "signed-url"]) => (DocumentSignedUrl, Some(*lib), Some(*doc)),
        (Get, [lib, "documents", doc, "extracted-text-signed-url"]) => {
            (DocumentExtractedTextSignedUrl, Some(*lib), Some(*doc))
        }
        (Post, [lib, "documents", doc, "reprocess"]) => (DocumentReprocess, Some(*lib), Some(*doc)),
        _ => return None,
    };
    Some(Route {
        library_id: library,
        document_id: document,
        ..Route::new(operation)
    })
}
