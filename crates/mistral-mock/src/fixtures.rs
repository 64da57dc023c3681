//! The fixture manifest and its files, loaded in memory.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::MockError;

/// The file name of the manifest inside a fixtures directory.
pub const MANIFEST_FILE: &str = "manifest.json";

/// `manifest.json`: the list of recorded exchanges. Unknown keys are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Where the exchanges were (or would be) recorded, e.g. `https://api.mistral.ai`.
    #[serde(default)]
    pub base_url: Option<String>,
    /// The exchanges, in manifest order (which is also the matching preference order).
    #[serde(default)]
    pub cases: Vec<Case>,
}

/// One recorded exchange. File fields name files relative to the fixtures directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// Unique name, also the value of the [`CASE_HEADER`](crate::CASE_HEADER) that selects it.
    pub name: String,
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Path on the wire, without query.
    pub path: String,
    /// Query parameters (only used to tell apart cases that share method and path).
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// What a client sends (the API key is the placeholder `<MISTRAL_API_KEY>`).
    #[serde(default)]
    pub request_headers: BTreeMap<String, String>,
    /// File holding the request body.
    #[serde(default)]
    pub request_body: Option<String>,
    /// Response status code.
    pub status: u16,
    /// Response headers, sent as written.
    #[serde(default)]
    pub response_headers: BTreeMap<String, String>,
    /// File holding the exact response body bytes.
    #[serde(default)]
    pub response_body: Option<String>,
    /// For streams: file with what a consumer should rebuild from the events.
    #[serde(default)]
    pub expected_aggregate: Option<String>,
    /// Free text.
    #[serde(default)]
    pub notes: Option<String>,
}

impl Default for Case {
    /// An empty `GET /` answered with `200` and no body: a base for synthetic cases.
    fn default() -> Self {
        Self {
            name: String::new(),
            method: "GET".to_owned(),
            path: "/".to_owned(),
            query: BTreeMap::new(),
            request_headers: BTreeMap::new(),
            request_body: None,
            status: 200,
            response_headers: BTreeMap::new(),
            response_body: None,
            expected_aggregate: None,
            notes: None,
        }
    }
}

impl Case {
    /// Whether the response is a server-sent event stream (`content-type: text/event-stream`).
    pub fn is_stream(&self) -> bool {
        self.response_header("content-type").is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("text/event-stream")
        })
    }

    /// A response header by case-insensitive name.
    pub fn response_header(&self, name: &str) -> Option<&str> {
        self.response_headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The bodies of one case, read once.
#[derive(Debug, Clone, Default)]
struct CaseFiles {
    request: Option<Bytes>,
    response: Option<Bytes>,
    expected: Option<serde_json::Value>,
}

/// A manifest with its files loaded in memory.
#[derive(Debug, Clone)]
pub struct Fixtures {
    /// The directory the fixtures were loaded from.
    pub dir: PathBuf,
    /// The parsed manifest (including cases added with [`Fixtures::push_case`]).
    pub manifest: Manifest,
    files: HashMap<String, CaseFiles>,
}

impl Fixtures {
    /// Reads `DIR/manifest.json` and every file its cases refer to.
    ///
    /// A missing or unreadable file gives [`MockError::Read`] naming the case and the file.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, MockError> {
        let dir = dir.as_ref().to_path_buf();
        let manifest_path = dir.join(MANIFEST_FILE);
        let raw = std::fs::read(&manifest_path).map_err(|source| MockError::Read {
            case: None,
            path: manifest_path.clone(),
            source,
        })?;
        let manifest: Manifest =
            serde_json::from_slice(&raw).map_err(|source| MockError::Json {
                path: manifest_path,
                source,
            })?;

        // Several cases may share a file (error_429 reuses a request body): read it once.
        let mut cache: HashMap<String, Bytes> = HashMap::new();
        let mut files = HashMap::with_capacity(manifest.cases.len());
        for case in &manifest.cases {
            let mut read = |name: &Option<String>| -> Result<Option<Bytes>, MockError> {
                let Some(name) = name else { return Ok(None) };
                if let Some(bytes) = cache.get(name) {
                    return Ok(Some(bytes.clone()));
                }
                let path = dir.join(name);
                let bytes =
                    Bytes::from(std::fs::read(&path).map_err(|source| MockError::Read {
                        case: Some(case.name.clone()),
                        path,
                        source,
                    })?);
                cache.insert(name.clone(), bytes.clone());
                Ok(Some(bytes))
            };
            let request = read(&case.request_body)?;
            let response = read(&case.response_body)?;
            let expected = match (read(&case.expected_aggregate)?, &case.expected_aggregate) {
                (Some(bytes), Some(name)) => Some(serde_json::from_slice(&bytes).map_err(
                    |source| MockError::Json {
                        path: dir.join(name),
                        source,
                    },
                )?),
                _ => None,
            };
            files.insert(
                case.name.clone(),
                CaseFiles {
                    request,
                    response,
                    expected,
                },
            );
        }
        Ok(Self {
            dir,
            manifest,
            files,
        })
    }

    /// Fixtures with no cases, to fill with [`Fixtures::push_case`].
    pub fn empty() -> Self {
        Self {
            dir: PathBuf::new(),
            manifest: Manifest::default(),
            files: HashMap::new(),
        }
    }

    /// The request body bytes of a case (by name), if it has one.
    pub fn request_body(&self, case: &Case) -> Option<Bytes> {
        self.files.get(&case.name)?.request.clone()
    }

    /// The exact response body bytes of a case (by name), if it has one.
    pub fn response_body(&self, case: &Case) -> Option<Bytes> {
        self.files.get(&case.name)?.response.clone()
    }

    /// The parsed `*.expected.json` of a stream case (by name), if it has one.
    pub fn expected_aggregate(&self, case: &Case) -> Option<serde_json::Value> {
        self.files.get(&case.name)?.expected.clone()
    }

    /// The request a client sends for `case` to a server at `base` (e.g. the mock's
    /// [`base_url`](crate::MockServer::base_url)): its method, path and query, its headers
    /// with `<MISTRAL_API_KEY>` replaced by `api_key`, the [`CASE_HEADER`](crate::CASE_HEADER)
    /// that selects the case, and its body. The one way tests, the replay command and the
    /// benchmarks turn a case into a request.
    ///
    /// ```
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/mistral");
    /// let fixtures = mistral_mock::Fixtures::load(dir).unwrap();
    /// let case = fixtures.case("list").unwrap();
    /// let request = fixtures.http_request(case, "http://127.0.0.1:9", "sk-test").unwrap();
    /// assert_eq!(request.method(), "GET");
    /// assert_eq!(request.uri(), "http://127.0.0.1:9/v1/conversations?page=0&page_size=20");
    /// assert_eq!(request.headers()["x-mock-case"], "list");
    /// ```
    pub fn http_request(
        &self,
        case: &Case,
        base: &str,
        api_key: &str,
    ) -> Result<http::Request<Bytes>, http::Error> {
        let mut uri = format!("{}{}", base.trim_end_matches('/'), case.path);
        if !case.query.is_empty() {
            let query = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(case.query.iter())
                .finish();
            uri.push('?');
            uri.push_str(&query);
        }
        let mut builder = http::Request::builder()
            .method(case.method.as_str())
            .uri(uri)
            .header(crate::CASE_HEADER, case.name.as_str());
        for (name, value) in &case.request_headers {
            builder = builder.header(name.as_str(), value.replace("<MISTRAL_API_KEY>", api_key));
        }
        builder.body(self.request_body(case).unwrap_or_default())
    }

    /// The case with this name.
    pub fn case(&self, name: &str) -> Option<&Case> {
        self.manifest.cases.iter().find(|c| c.name == name)
    }

    /// All cases, in manifest order.
    pub fn cases(&self) -> &[Case] {
        &self.manifest.cases
    }

    /// Adds a synthetic case with its bodies (tests: huge bodies, custom streams).
    ///
    /// A case with the same name is replaced in place; otherwise the case goes last.
    /// The file-name fields of `case` are not read: the bodies given here are used.
    pub fn push_case(
        &mut self,
        case: Case,
        request_body: Option<Bytes>,
        response_body: Option<Bytes>,
    ) {
        self.files.insert(
            case.name.clone(),
            CaseFiles {
                request: request_body,
                response: response_body,
                expected: None,
            },
        );
        match self.manifest.cases.iter_mut().find(|c| c.name == case.name) {
            Some(existing) => *existing = case,
            None => self.manifest.cases.push(case),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/mistral");

    #[test]
    fn load_reads_every_referenced_file() {
        let fixtures = Fixtures::load(DIR).unwrap();
        assert!(fixtures.cases().len() >= 18);
        for case in fixtures.cases() {
            assert_eq!(
                fixtures.response_body(case).is_some(),
                case.response_body.is_some(),
                "{}",
                case.name
            );
            assert_eq!(
                fixtures.request_body(case).is_some(),
                case.request_body.is_some(),
                "{}",
                case.name
            );
            assert_eq!(
                fixtures.expected_aggregate(case).is_some(),
                case.expected_aggregate.is_some(),
                "{}",
                case.name
            );
        }
        let stream = fixtures.case("start_stream_tools").unwrap();
        assert!(stream.is_stream());
        assert!(!fixtures.case("start_web_search").unwrap().is_stream());
        let list = fixtures.case("list").unwrap();
        assert_eq!(list.query.get("page_size").map(String::as_str), Some("20"));
    }

    #[test]
    fn missing_file_error_names_case_and_file() {
        let dir = std::env::temp_dir().join(format!("mistral-mock-missing-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(MANIFEST_FILE),
            r#"{"cases":[{"name":"ghost","method":"GET","path":"/x","status":200,
                "response_body":"ghost.response.json","extra_key":1}],"other":true}"#,
        )
        .unwrap();
        let err = Fixtures::load(&dir).unwrap_err();
        let text = err.to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(err, MockError::Read { .. }));
        assert!(text.contains("ghost.response.json"), "{text}");
        assert!(text.contains("`ghost`"), "{text}");
    }

    #[test]
    fn push_case_replaces_a_case_of_the_same_name() {
        let mut fixtures = Fixtures::load(DIR).unwrap();
        let count = fixtures.cases().len();
        let mut case = fixtures.case("get").unwrap().clone();
        case.status = 503;
        fixtures.push_case(case, None, Some(Bytes::from_static(b"{}")));
        assert_eq!(fixtures.cases().len(), count);
        let get = fixtures.case("get").unwrap();
        assert_eq!(get.status, 503);
        assert_eq!(fixtures.response_body(get).unwrap(), &b"{}"[..]);
    }
}
