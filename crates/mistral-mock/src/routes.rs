//! Cases prepared for serving, and the rules that pick one for a request.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde_json::Value;

use crate::{Fixtures, MockError};

/// A case ready to answer: parsed status and headers, bodies in memory.
#[derive(Debug)]
pub(crate) struct Route {
    pub(crate) name: String,
    method: Method,
    path: String,
    query: BTreeMap<String, String>,
    stream: bool,
    request_json: Option<Value>,
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Bytes>,
    pub(crate) is_event_stream: bool,
}

impl Route {
    /// Every case of `fixtures`, in manifest order; fails on a status or header that HTTP rejects.
    pub(crate) fn all(fixtures: &Fixtures) -> Result<Vec<Route>, MockError> {
        fixtures
            .cases()
            .iter()
            .map(|case| {
                let invalid = |reason: String| MockError::InvalidCase {
                    case: case.name.clone(),
                    reason,
                };
                let method = Method::from_bytes(case.method.as_bytes())
                    .map_err(|_| invalid(format!("invalid method {:?}", case.method)))?;
                let status = StatusCode::from_u16(case.status)
                    .map_err(|_| invalid(format!("invalid status {}", case.status)))?;
                let mut headers = HeaderMap::new();
                for (name, value) in &case.response_headers {
                    let name = HeaderName::from_bytes(name.as_bytes())
                        .map_err(|_| invalid(format!("invalid header name {name:?}")))?;
                    // The mock frames the body itself (length or chunked).
                    if name == http::header::CONTENT_LENGTH
                        || name == http::header::TRANSFER_ENCODING
                    {
                        continue;
                    }
                    let value = HeaderValue::from_str(value)
                        .map_err(|_| invalid(format!("invalid value for header {name}")))?;
                    headers.append(name, value);
                }
                let request_json = fixtures
                    .request_body(case)
                    .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
                let stream = match &request_json {
                    Some(json) => stream_flag(Some(json)),
                    None => case.is_stream(),
                };
                Ok(Route {
                    name: case.name.clone(),
                    method,
                    path: case.path.clone(),
                    query: case.query.clone(),
                    stream,
                    request_json,
                    status,
                    headers,
                    body: fixtures.response_body(case),
                    is_event_stream: case.is_stream(),
                })
            })
            .collect()
    }
}

/// What the matcher needs to know about a received request.
pub(crate) struct Incoming<'a> {
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) json: Option<&'a Value>,
}

/// `"stream": true` in a JSON body; absent or anything else means false.
fn stream_flag(json: Option<&Value>) -> bool {
    json.and_then(|v| v.get("stream"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// Picks the case for a request without an explicit case header.
///
/// Method + path + `stream` flag select the candidates. The query only decides when the
/// candidates differ by query. Among what is left, a case whose request body equals the
/// received JSON wins, else the first in manifest order.
pub(crate) fn select<'r>(routes: &'r [Route], req: &Incoming<'_>) -> Option<&'r Route> {
    let stream = stream_flag(req.json);
    let mut candidates: Vec<&Route> = routes
        .iter()
        .filter(|r| r.method == *req.method && r.path == req.path && r.stream == stream)
        .collect();
    let first_query = candidates.first().map(|r| &r.query);
    if candidates.iter().any(|r| Some(&r.query) != first_query) {
        let received: BTreeMap<String, String> =
            form_urlencoded::parse(req.query.unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let same_query: Vec<&Route> = candidates
            .iter()
            .copied()
            .filter(|r| r.query == received)
            .collect();
        if !same_query.is_empty() {
            candidates = same_query;
        }
    }
    candidates
        .iter()
        .copied()
        .find(|r| req.json.is_some() && r.request_json.as_ref() == req.json)
        .or_else(|| candidates.first().copied())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::Case;

    /// (name, path, query pairs, request body) of a synthetic POST case.
    type Spec<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], Option<&'a str>);

    fn routes(cases: &[Spec<'_>]) -> Vec<Route> {
        let mut fixtures = Fixtures::empty();
        for (name, path, query, body) in cases {
            let case = Case {
                name: (*name).to_owned(),
                method: "POST".to_owned(),
                path: (*path).to_owned(),
                query: query
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
                ..Case::default()
            };
            fixtures.push_case(case, body.map(|b| Bytes::from(b.to_owned())), None);
        }
        Route::all(&fixtures).unwrap()
    }

    fn pick<'r>(
        routes: &'r [Route],
        path: &str,
        query: Option<&str>,
        body: &str,
    ) -> Option<&'r str> {
        let json: Option<Value> = serde_json::from_str(body).ok();
        select(
            routes,
            &Incoming {
                method: &Method::POST,
                path,
                query,
                json: json.as_ref(),
            },
        )
        .map(|r| r.name.as_str())
    }

    #[test]
    fn stream_flag_separates_cases_on_the_same_path() {
        let routes = routes(&[
            ("plain", "/c", &[], Some(r#"{"a":1,"stream":false}"#)),
            ("streamed", "/c", &[], Some(r#"{"a":1,"stream":true}"#)),
        ]);
        assert_eq!(
            pick(&routes, "/c", None, r#"{"stream":true}"#),
            Some("streamed")
        );
        assert_eq!(pick(&routes, "/c", None, r#"{"b":2}"#), Some("plain"));
        assert_eq!(pick(&routes, "/c", None, "not json"), Some("plain"));
    }

    #[test]
    fn equal_body_is_preferred_over_manifest_order() {
        let routes = routes(&[
            ("first", "/c", &[], Some(r#"{"x":1}"#)),
            ("second", "/c", &[], Some(r#"{"x":2}"#)),
        ]);
        assert_eq!(pick(&routes, "/c", None, r#"{ "x" : 2 }"#), Some("second"));
        assert_eq!(pick(&routes, "/c", None, r#"{"x":3}"#), Some("first"));
    }

    #[test]
    fn query_decides_only_between_cases_that_differ_by_query() {
        let routes = routes(&[
            ("page0", "/l", &[("page", "0")], None),
            ("page1", "/l", &[("page", "1")], None),
            ("only", "/o", &[("page", "0")], None),
        ]);
        assert_eq!(pick(&routes, "/l", Some("page=1"), ""), Some("page1"));
        assert_eq!(pick(&routes, "/l", Some("page=9"), ""), Some("page0"));
        assert_eq!(pick(&routes, "/o", Some("page=5"), ""), Some("only"));
        assert_eq!(pick(&routes, "/nothing", None, ""), None);
    }
}
