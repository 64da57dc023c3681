//! Recorders: what turns a response body, as it passes, into the call's spans. Each is a
//! [`crate::tap::Observer`] of the body it records.

pub(crate) mod plain;
pub(crate) mod stream;
mod timeline;
