//! Log records (GenAI events) as one line each on a console: event name, severity, the
//! trace and span they were emitted in, body and attributes.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use opentelemetry::logs::AnyValue;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::logs::{LogBatch, LogExporter, SdkLogRecord, SimpleLogProcessor};

use super::output::Output;

/// A development log exporter printing one line per log record to standard error or any
/// writer:
///
/// ```text
/// gen_ai.client.inference.operation.details  INFO  trace=4bf92f3577b34da6a3ce929d0e0e4736 span=00f067aa0ba902b7  gen_ai.operation.name=chat gen_ai.input.messages=[{"parts":[{"content":"Hi","type":"text"}],"role":"user"}]
/// ```
///
/// The event name (else the record's target, else `-`), the severity text (else the
/// severity number's name, else `-`), the trace and span ids when the record was emitted
/// inside a span, `body=...` when there is a body, then the attributes in the order they
/// were added. Strings are printed as they are, with control characters escaped so that a
/// record never spans two lines; lists and maps are printed as JSON (map keys sorted).
///
/// Give it to a logger provider through [`ConsoleLogExporter::into_processor`] (the SDK's
/// simple processor: each record is printed as it is emitted, on the emitting thread,
/// with no background thread or runtime).
///
/// ```
/// use mistral_otel_export::console::ConsoleLogExporter;
/// use opentelemetry::logs::{AnyValue, LogRecord, Logger, LoggerProvider, Severity};
/// use opentelemetry_sdk::logs::SdkLoggerProvider;
///
/// let provider = SdkLoggerProvider::builder()
///     .with_log_processor(ConsoleLogExporter::stderr().into_processor())
///     .build();
/// let logger = provider.logger("demo");
/// let mut record = logger.create_log_record();
/// record.set_event_name("gen_ai.client.inference.operation.details");
/// record.set_severity_number(Severity::Info);
/// record.add_attribute("gen_ai.operation.name", "chat");
/// // prints "gen_ai.client.inference.operation.details  INFO  gen_ai.operation.name=chat"
/// logger.emit(record);
/// ```
#[derive(Debug)]
pub struct ConsoleLogExporter {
    output: Output,
    shut_down: AtomicBool,
}

impl ConsoleLogExporter {
    /// Prints to standard error.
    pub fn stderr() -> Self {
        Self::with_output(Output::stderr())
    }

    /// Prints to `writer`; each export (one record with the simple processor) is written
    /// with one `write_all`, then flushed.
    pub fn new(writer: impl Write + Send + 'static) -> Self {
        Self::with_output(Output::new(writer))
    }

    pub(crate) fn with_output(output: Output) -> Self {
        Self {
            output,
            shut_down: AtomicBool::new(false),
        }
    }

    /// The SDK's simple log processor around this exporter: each record is printed the
    /// moment it is emitted.
    pub fn into_processor(self) -> SimpleLogProcessor<Self> {
        SimpleLogProcessor::new(self)
    }

    fn print(&self, batch: &LogBatch<'_>) -> OTelSdkResult {
        if self.shut_down.load(Ordering::SeqCst) {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        let mut text = String::new();
        for (record, _scope) in batch.iter() {
            render_record(&mut text, record);
        }
        self.output
            .write(&text)
            .map_err(|e| OTelSdkError::InternalFailure(format!("console log exporter: {e}")))
    }
}

impl LogExporter for ConsoleLogExporter {
    fn export(&self, batch: LogBatch<'_>) -> impl Future<Output = OTelSdkResult> + Send {
        std::future::ready(self.print(&batch))
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        self.shut_down.store(true, Ordering::SeqCst);
        Ok(())
    }
}

/// One record as one line, newline included.
fn render_record(out: &mut String, record: &SdkLogRecord) {
    let name = record
        .event_name()
        .or_else(|| record.target().map(|t| t.as_ref()))
        .filter(|n| !n.is_empty())
        .unwrap_or("-");
    let severity = record
        .severity_text()
        .or_else(|| record.severity_number().map(|s| s.name()))
        .unwrap_or("-");
    push_plain(out, name);
    out.push_str("  ");
    push_plain(out, severity);
    if let Some(cx) = record.trace_context() {
        let _ = write!(out, "  trace={} span={}", cx.trace_id, cx.span_id);
    }
    let mut fields = Vec::new();
    if let Some(body) = record.body() {
        fields.push(("body", body));
    }
    fields.extend(record.attributes_iter().map(|(k, v)| (k.as_str(), v)));
    for (i, (key, value)) in fields.into_iter().enumerate() {
        out.push_str(if i == 0 { "  " } else { " " });
        push_plain(out, key);
        out.push('=');
        match value {
            AnyValue::String(s) => push_plain(out, s.as_str()),
            other => push_json(out, other),
        }
    }
    out.push('\n');
}

/// Text as it is, control characters escaped (`\n`, `\t`, `\u{1b}`), so a line stays one.
fn push_plain(out: &mut String, text: &str) {
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
}

/// A value as JSON: strings quoted and escaped, bytes as a hex string, non-finite doubles
/// as `null`, map keys sorted.
fn push_json(out: &mut String, value: &AnyValue) {
    match value {
        AnyValue::Int(i) => {
            let _ = write!(out, "{i}");
        }
        AnyValue::Double(d) if d.is_finite() => {
            let _ = write!(out, "{d}");
        }
        AnyValue::Double(_) => out.push_str("null"),
        AnyValue::Boolean(b) => {
            let _ = write!(out, "{b}");
        }
        AnyValue::String(s) => push_json_string(out, s.as_str()),
        AnyValue::Bytes(bytes) => {
            out.push('"');
            for b in bytes.iter() {
                let _ = write!(out, "{b:02x}");
            }
            out.push('"');
        }
        AnyValue::ListAny(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json(out, item);
            }
            out.push(']');
        }
        AnyValue::Map(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_string(out, key.as_str());
                out.push(':');
                push_json(out, item);
            }
            out.push('}');
        }
        // a value kind added by a later API version
        other => push_json_string(out, &format!("{other:?}")),
    }
}

fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use std::collections::HashMap;

    use opentelemetry::logs::{LogRecord as _, Severity};
    use opentelemetry::trace::{SpanId, TraceFlags, TraceId};
    use opentelemetry::{InstrumentationScope, Key};

    use super::*;

    fn record() -> SdkLogRecord {
        // the SDK builds records only through a logger
        use opentelemetry::logs::{Logger, LoggerProvider};
        let provider = opentelemetry_sdk::logs::SdkLoggerProvider::builder().build();
        provider.logger("t").create_log_record()
    }

    fn line(record: &SdkLogRecord) -> String {
        let mut out = String::new();
        render_record(&mut out, record);
        out
    }

    #[test]
    fn a_full_record_is_one_line_with_ids_body_and_attributes_in_order() {
        let mut r = record();
        r.set_event_name("gen_ai.client.inference.operation.details");
        r.set_severity_number(Severity::Info);
        r.set_trace_context(
            TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
            SpanId::from_hex("00f067aa0ba902b7").unwrap(),
            Some(TraceFlags::SAMPLED),
        );
        r.set_body(AnyValue::from("multi\nline"));
        r.add_attribute("z.first", "chat");
        let mut message = HashMap::new();
        message.insert(Key::new("role"), AnyValue::from("user"));
        message.insert(Key::new("content"), AnyValue::from("say \"hi\"\nthen stop"));
        r.add_attribute(
            "gen_ai.input.messages",
            AnyValue::ListAny(Box::new(vec![AnyValue::Map(Box::new(message))])),
        );
        r.add_attribute("n", 3_i64);
        r.add_attribute("x", f64::NAN);
        r.add_attribute("raw", AnyValue::Bytes(Box::new(vec![0xde, 0xad])));
        assert_eq!(
            line(&r),
            "gen_ai.client.inference.operation.details  INFO  \
             trace=4bf92f3577b34da6a3ce929d0e0e4736 span=00f067aa0ba902b7  \
             body=multi\\nline z.first=chat \
             gen_ai.input.messages=[{\"content\":\"say \\\"hi\\\"\\nthen stop\",\"role\":\"user\"}] \
             n=3 x=null raw=\"dead\"\n"
        );
    }

    #[test]
    fn missing_name_and_severity_print_placeholders_and_severity_text_wins() {
        let r = record();
        assert_eq!(line(&r), "-  -\n");
        let mut r = record();
        r.set_target("mistral_otel");
        r.set_severity_number(Severity::Warn);
        r.set_severity_text("warning");
        assert_eq!(line(&r), "mistral_otel  warning\n");
    }

    #[test]
    fn every_record_of_an_export_is_written_and_nothing_after_shutdown() {
        #[derive(Clone, Default)]
        struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().write(bytes)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let printed = Shared::default();
        let exporter = ConsoleLogExporter::new(printed.clone());
        let (mut a, mut b) = (record(), record());
        a.set_event_name("a");
        b.set_event_name("b");
        let scope = InstrumentationScope::builder("t").build();
        let data = [(&a, &scope), (&b, &scope)];
        futures_executor_block_on(exporter.export(LogBatch::new(&data))).unwrap();
        assert_eq!(
            String::from_utf8(printed.0.lock().unwrap().clone()).unwrap(),
            "a  -\nb  -\n"
        );
        exporter.shutdown().unwrap();
        let data = [(&a, &scope)];
        assert!(futures_executor_block_on(exporter.export(LogBatch::new(&data))).is_err());
    }

    /// The console export future is ready at once.
    fn futures_executor_block_on<F: Future>(future: F) -> F::Output {
        use std::task::{Context, Poll, Waker};
        let mut future = std::pin::pin!(future);
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(out) => out,
            Poll::Pending => panic!("the console export future was not ready"),
        }
    }
}
