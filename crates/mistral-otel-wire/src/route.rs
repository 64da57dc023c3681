//! Which Conversations / Agents / Libraries endpoint a request goes to, from its method
//! and path alone.

/// One endpoint of the beta Conversations, Agents or Libraries API.
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
}

impl Operation {
    /// Every endpoint, in declaration order.
    pub const ALL: [Operation; 40] = {
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
        }
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

/// Match an HTTP method and URL path to a Conversations / Agents / Libraries endpoint.
///
/// `method` is an HTTP method (`"POST"`, any case). `path` is the URL path; it may carry a
/// `?query` and a `#fragment` (the SDKs' `"/v1/conversations#stream"`): the fragment is
/// ignored, the query is not part of matching. One trailing slash is tolerated. Returns
/// `None` for anything that is not one of these endpoints (e.g. `"/v1/chat/completions"`,
/// `"/v1/agents/completions"`). `PUT` and `PATCH` both map to the update operations.
///
/// ```
/// use mistral_otel_wire::{match_route, Operation};
/// let route = match_route("post", "/v1/conversations/conv_1/restart#stream").unwrap();
/// assert_eq!(route.operation, Operation::ConversationRestart);
/// assert_eq!(route.conversation_id, Some("conv_1"));
/// assert!(match_route("POST", "/v1/chat/completions").is_none());
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
        _ => None,
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
    if segments.first() == Some(&"completions") {
        return None;
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
