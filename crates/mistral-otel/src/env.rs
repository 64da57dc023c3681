//! The environment variables the middleware reads, each resolved in one place: what code
//! sets wins, then the environment, then the default.

/// The environment variable that switches content capture on.
pub const CAPTURE_CONTENT_ENV: &str = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";

/// `true` / `SPAN_ONLY` / `SPAN_AND_EVENT` (any case) turn capture on; anything else is off.
///
/// ```
/// assert!(mistral_otel::capture_from_env(Some("SPAN_ONLY")));
/// assert!(!mistral_otel::capture_from_env(Some("NO_CONTENT")));
/// assert!(!mistral_otel::capture_from_env(None));
/// ```
pub fn capture_from_env(value: Option<&str>) -> bool {
    matches!(
        value.map(|v| v.trim().to_ascii_lowercase()).as_deref(),
        Some("true" | "1" | "span_only" | "span_and_event" | "event_only")
    )
}

/// Content capture: the builder's choice, else the environment's (when set), else what the
/// decorator asks for, else off.
pub(crate) fn resolve_capture(
    code: Option<bool>,
    lookup: impl Fn(&str) -> Option<String>,
    decorator_default: Option<bool>,
) -> bool {
    code.or_else(|| {
        lookup(CAPTURE_CONTENT_ENV)
            .filter(|v| !v.trim().is_empty())
            .map(|v| capture_from_env(Some(&v)))
    })
    .or(decorator_default)
    .unwrap_or(false)
}

/// The process environment, for [`resolve_capture`].
pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[cfg(test)]
mod tests {
    use super::resolve_capture;

    #[test]
    fn code_then_environment_then_decorator_then_off() {
        let env = |v: Option<&'static str>| move |_: &str| v.map(str::to_owned);
        assert!(!resolve_capture(Some(false), env(Some("true")), Some(true)));
        assert!(resolve_capture(
            None,
            env(Some("SPAN_AND_EVENT")),
            Some(false)
        ));
        assert!(!resolve_capture(None, env(Some("NO_CONTENT")), Some(true)));
        assert!(resolve_capture(None, env(None), Some(true)));
        assert!(resolve_capture(None, env(Some(" ")), Some(true)));
        assert!(!resolve_capture(None, env(None), None));
    }
}
