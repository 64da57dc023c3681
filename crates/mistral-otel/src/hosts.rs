//! Which requests are Mistral's: Mistral's hosts by default, plus the hosts and base URLs
//! the application adds (gateways, self-hosted and cloud deployments). Anything else is
//! left alone: no span, no parsing, no header.

use reqwest::Url;

/// The hosts traced by default.
pub const DEFAULT_MISTRAL_HOSTS: [&str; 2] = ["api.mistral.ai", "codestral.mistral.ai"];

/// Hosts and base URLs whose requests are Mistral API calls.
#[derive(Debug, Clone)]
pub(crate) struct Targets {
    /// Host (lower case) and, when given, port.
    hosts: Vec<(String, Option<u16>)>,
    bases: Vec<Base>,
}

/// A base URL: scheme, host and port must match, and the path must start with `prefix`
/// (stripped before the route is matched).
#[derive(Debug, Clone)]
struct Base {
    scheme: String,
    host: String,
    port: Option<u16>,
    prefix: String,
}

impl Default for Targets {
    fn default() -> Self {
        Self {
            hosts: DEFAULT_MISTRAL_HOSTS
                .iter()
                .map(|h| ((*h).to_owned(), None))
                .collect(),
            bases: Vec::new(),
        }
    }
}

impl Targets {
    /// Trace requests to `host` (any scheme and path; `host:port` pins the port too).
    pub(crate) fn add_host(&mut self, host: &str) {
        let entry = host.trim().trim_end_matches('/').to_ascii_lowercase();
        let (host, port) = split_host_port(&entry);
        let parsed = (host.to_owned(), port);
        if !host.is_empty() && !self.hosts.contains(&parsed) {
            self.hosts.push(parsed);
        }
    }

    /// Trace requests under `base` (scheme, host, port and path prefix; its query and
    /// fragment are ignored). A URL without a host matches nothing.
    pub(crate) fn add_base_url(&mut self, base: &Url) {
        let Some(host) = base.host_str() else {
            return;
        };
        self.bases.push(Base {
            scheme: base.scheme().to_owned(),
            host: host.to_ascii_lowercase(),
            port: base.port_or_known_default(),
            prefix: base.path().trim_end_matches('/').to_owned(),
        });
    }

    /// The API path of `url` (a base URL's prefix removed) when it is a Mistral request.
    pub(crate) fn api_path<'a>(&self, url: &'a Url) -> Option<&'a str> {
        let host = url.host_str()?;
        let path = url.path();
        for base in &self.bases {
            if base.host.eq_ignore_ascii_case(host)
                && base.scheme == url.scheme()
                && base.port == url.port_or_known_default()
                && let Some(rest) = path.strip_prefix(base.prefix.as_str())
                && (rest.is_empty() || rest.starts_with('/'))
            {
                return Some(rest);
            }
        }
        let known = self.hosts.iter().any(|(h, port)| {
            h.eq_ignore_ascii_case(host)
                && port.is_none_or(|p| Some(p) == url.port_or_known_default())
        });
        known.then_some(path)
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port` (a bare IPv6 literal has no port).
fn split_host_port(entry: &str) -> (&str, Option<u16>) {
    if entry.starts_with('[')
        && let Some(close) = entry.find(']')
    {
        let port = entry.get(close + 1..).and_then(|r| r.strip_prefix(':'));
        return (
            entry.get(..=close).unwrap_or(entry),
            port.and_then(|p| p.parse().ok()),
        );
    }
    match entry.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host, port.parse().ok()),
        _ => (entry, None),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn path(targets: &Targets, url: &str) -> Option<String> {
        let url = Url::parse(url).unwrap();
        targets.api_path(&url).map(str::to_owned)
    }

    #[test]
    fn mistral_hosts_are_traced_by_default_and_nothing_else() {
        let t = Targets::default();
        assert_eq!(
            path(&t, "https://api.mistral.ai/v1/conversations").as_deref(),
            Some("/v1/conversations")
        );
        assert_eq!(
            path(&t, "https://CODESTRAL.mistral.ai/v1/fim/completions").as_deref(),
            Some("/v1/fim/completions")
        );
        assert_eq!(path(&t, "https://api.openai.com/v1/conversations"), None);
        assert_eq!(
            path(&t, "https://api.mistral.ai.evil.com/v1/conversations"),
            None
        );
        assert_eq!(path(&t, "http://127.0.0.1:8080/v1/conversations"), None);
    }

    #[test]
    fn added_hosts_match_with_or_without_a_port() {
        let mut t = Targets::default();
        t.add_host("Gateway.Internal");
        t.add_host("127.0.0.1:8080");
        assert!(path(&t, "https://gateway.internal/v1/embeddings").is_some());
        assert!(path(&t, "http://127.0.0.1:8080/v1/embeddings").is_some());
        assert_eq!(path(&t, "http://127.0.0.1:9090/v1/embeddings"), None);
        t.add_host("[::1]:7000");
        assert!(path(&t, "http://[::1]:7000/v1/models").is_some());
        assert_eq!(path(&t, "http://[::1]:7001/v1/models"), None);
    }

    #[test]
    fn a_base_url_strips_its_prefix_and_checks_scheme_host_and_port() {
        let mut t = Targets::default();
        t.add_base_url(&Url::parse("https://gw.example.com/mistral/").unwrap());
        assert_eq!(
            path(&t, "https://gw.example.com/mistral/v1/chat/completions").as_deref(),
            Some("/v1/chat/completions")
        );
        assert_eq!(
            path(&t, "https://gw.example.com/other/v1/chat/completions"),
            None
        );
        assert_eq!(path(&t, "https://gw.example.com/mistralx/v1/chat"), None);
        assert_eq!(
            path(&t, "http://gw.example.com/mistral/v1/chat/completions"),
            None
        );
        assert_eq!(
            path(
                &t,
                "https://gw.example.com:8443/mistral/v1/chat/completions"
            ),
            None
        );
        t.add_base_url(&Url::parse("http://127.0.0.1:9000").unwrap());
        assert_eq!(
            path(&t, "http://127.0.0.1:9000/v1/models").as_deref(),
            Some("/v1/models")
        );
    }
}
