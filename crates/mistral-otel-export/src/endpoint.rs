//! What an endpoint URL is: its scheme, whether it is loopback, whether it can be used.

use crate::error::ExportError;

/// An endpoint needs a scheme (`localhost:4317` would reach tonic as an unparsable URI and
/// the HTTP client as a relative path); without the `tls` feature the HTTP client has no
/// TLS and would fail every export at run time: say so at build instead.
pub(crate) fn check_endpoint(endpoint: Option<&str>) -> Result<(), ExportError> {
    let Some(url) = endpoint else {
        return Ok(());
    };
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    if !matches!(scheme.as_deref(), Some("http" | "https")) {
        return Err(ExportError::InvalidEndpoint {
            endpoint: url.to_owned(),
            reason: "it needs a scheme: write http://host:port or https://host:port",
        });
    }
    if !cfg!(feature = "tls") && is_https(url) {
        return Err(ExportError::TlsNotEnabled {
            endpoint: url.to_owned(),
        });
    }
    Ok(())
}

pub(crate) fn is_https(url: &str) -> bool {
    url.get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

/// `localhost…`, `127.x.y.z…` or `[::1]…` after the scheme.
pub(crate) fn is_loopback(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
