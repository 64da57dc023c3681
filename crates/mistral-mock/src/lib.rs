//! A local mock of Mistral's API that replays recorded fixtures.
//!
//! [`Fixtures::load`] reads a `manifest.json` and the files it names;
//! [`MockServer`] serves them on `127.0.0.1:PORT` and sends back each case's status,
//! headers and body bytes unchanged.
//!
//! ```
//! use mistral_mock::{Fixtures, MockServer};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/mistral");
//! let fixtures = Fixtures::load(dir)?;
//! let expected = fixtures.response_body(fixtures.case("list").ok_or("no list case")?);
//!
//! let server = MockServer::builder(fixtures).chunk_bytes(64).start().await?;
//! let response = reqwest::Client::new()
//!     .get(format!("{}/v1/conversations?page=0&page_size=20", server.base_url()))
//!     .send()
//!     .await?;
//! assert_eq!(response.status(), 200);
//! assert_eq!(Some(response.bytes().await?), expected);
//! assert_eq!(server.requests()[0].case.as_deref(), Some("list"));
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Matching
//!
//! A request carrying [`CASE_HEADER`] (`x-mock-case: NAME`) gets that case. Otherwise
//! method and path select the candidates, narrowed by `"stream"` in the JSON body
//! (absent means `false`); the query decides only between candidates that differ by
//! query; then a case whose request body equals the received JSON wins, else the first
//! in manifest order. No match gives a `404` with Mistral's error envelope and
//! `"type": "mock_not_found"`.
//!
//! # Framing
//!
//! Event streams, and every body when [`MockServerBuilder::chunk_bytes`] or
//! [`MockServerBuilder::random_chunks`] is set, are sent chunked without
//! `content-length`, one HTTP chunk per piece; other bodies get a `content-length`.
//! Request bodies of any size are accepted and counted, never stored.
#![deny(missing_docs)]

mod error;
mod fixtures;
mod pieces;
mod routes;
mod server;

pub use error::MockError;
pub use fixtures::{Case, Fixtures, MANIFEST_FILE, Manifest};
pub use server::{CASE_HEADER, MockServer, MockServerBuilder, RecordedRequest};
