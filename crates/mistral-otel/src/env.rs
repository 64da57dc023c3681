//! The environment variables the middleware reads, each resolved in one place: what code
//! sets wins, then the environment, then the default.

use crate::capture::ContentCapture;

/// The environment variable that says where content is captured.
pub const CAPTURE_CONTENT_ENV: &str = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";

/// The environment variable that turns the `gen_ai.client.inference.operation.details`
/// event on or off (default: on when content goes to events).
pub const EMIT_EVENT_ENV: &str = "OTEL_INSTRUMENTATION_GENAI_EMIT_EVENT";

/// The capture mode a value of [`CAPTURE_CONTENT_ENV`] names: `NO_CONTENT`, `SPAN_ONLY`,
/// `EVENT_ONLY`, `SPAN_AND_EVENT` (any case), `true` (span only) or `false`; `None` when
/// unset, empty or unknown.
///
/// ```
/// use mistral_otel::capture::ContentCapture;
/// assert_eq!(mistral_otel::capture_from_env(Some("SPAN_ONLY")), Some(ContentCapture::SpanOnly));
/// assert_eq!(mistral_otel::capture_from_env(Some("no_content")), Some(ContentCapture::NoContent));
/// assert_eq!(mistral_otel::capture_from_env(Some(" ")), None);
/// assert_eq!(mistral_otel::capture_from_env(None), None);
/// ```
pub fn capture_from_env(value: Option<&str>) -> Option<ContentCapture> {
    value.and_then(ContentCapture::parse)
}

/// Content capture: the builder's choice, else the environment's (when set to a known
/// value), else what the decorator asks for (span content), else none.
pub(crate) fn resolve_capture(
    code: Option<ContentCapture>,
    lookup: impl Fn(&str) -> Option<String>,
    decorator_default: Option<bool>,
) -> ContentCapture {
    code.or_else(|| capture_from_env(lookup(CAPTURE_CONTENT_ENV).as_deref()))
        .or_else(|| {
            decorator_default.map(|on| {
                if on {
                    ContentCapture::SpanOnly
                } else {
                    ContentCapture::NoContent
                }
            })
        })
        .unwrap_or_default()
}

/// Whether to emit the details event: the builder's choice, else [`EMIT_EVENT_ENV`]
/// (`true` / `false`), else whether content goes to events.
pub(crate) fn resolve_emit_events(
    code: Option<bool>,
    lookup: impl Fn(&str) -> Option<String>,
    mode: ContentCapture,
) -> bool {
    code.or_else(
        || match lookup(EMIT_EVENT_ENV)?.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
    )
    .unwrap_or(mode.events())
}

/// The process environment, for the resolvers.
pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[cfg(test)]
mod tests {
    use super::{resolve_capture, resolve_emit_events};
    use crate::capture::ContentCapture::{self, *};

    fn env(v: Option<&'static str>) -> impl Fn(&str) -> Option<String> {
        move |_: &str| v.map(str::to_owned)
    }

    #[test]
    fn code_then_environment_then_decorator_then_none() {
        let r = |code: Option<ContentCapture>, e, d| resolve_capture(code, env(e), d);
        assert_eq!(r(Some(NoContent), Some("true"), Some(true)), NoContent);
        assert_eq!(r(None, Some("SPAN_AND_EVENT"), Some(false)), SpanAndEvent);
        assert_eq!(r(None, Some("event_only"), None), EventOnly);
        assert_eq!(r(None, Some("NO_CONTENT"), Some(true)), NoContent);
        assert_eq!(r(None, None, Some(true)), SpanOnly);
        assert_eq!(r(None, Some(" "), Some(true)), SpanOnly);
        assert_eq!(r(None, Some("nonsense"), None), NoContent);
        assert_eq!(r(None, None, None), NoContent);
    }

    #[test]
    fn events_follow_the_mode_unless_told() {
        assert!(resolve_emit_events(None, env(None), EventOnly));
        assert!(!resolve_emit_events(None, env(None), SpanOnly));
        assert!(resolve_emit_events(None, env(Some("TRUE")), NoContent));
        assert!(!resolve_emit_events(None, env(Some("false")), SpanAndEvent));
        assert!(resolve_emit_events(
            Some(true),
            env(Some("false")),
            NoContent
        ));
    }
}
