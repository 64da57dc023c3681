//! Finished spans to trace trees on a console.
//!
//! Spans end child first, so a tree can only be drawn once its top span has ended: the
//! exporter keeps ended spans per trace and prints a tree as soon as a span ends whose
//! parent will never reach it — no parent (the trace's root), a remote parent (the local
//! root of a request that came from another process), or a parent printed already (a
//! span that outlived its tree). That span and the buffered spans under it are printed
//! together; anything else of the trace stays for its own top span.
//!
//! Memory is bounded: past [`ConsoleExporter::max_buffered_spans`] (default
//! [`DEFAULT_MAX_BUFFERED_SPANS`]) the oldest buffered trace is printed as it is and
//! dropped, so spans whose parent never ends (never sampled, leaked, still running) cannot
//! grow the buffer without limit. Flushing and shutting down print whatever is buffered.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::io::Write;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use opentelemetry::Context;
use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};

use super::output::Output;
use super::tree::render_tree;

/// How many ended spans a [`ConsoleExporter`] keeps, by default, waiting for their trees'
/// top spans.
pub const DEFAULT_MAX_BUFFERED_SPANS: usize = 10_000;

/// How many printed spans are remembered, so that a span ending after its parent was
/// printed is printed at once instead of waiting for a top span that already came.
const REMEMBERED_PRINTED_SPANS: usize = 4_096;

/// A development span exporter: each finished trace as an indented tree (the
/// [`render_tree`] format) on standard error or any writer, so traces can be seen without
/// a backend.
///
/// Give it to a tracer provider through [`ConsoleExporter::into_processor`], which prints
/// a tree the moment its top span ends and prints partial trees on `force_flush`. The
/// SDK's processors work too: `with_simple_exporter` prints as promptly but its
/// `force_flush` does not reach the exporter (shutdown does); the batch processor holds
/// spans for its batch delay first.
///
/// ```
/// use std::io::Write;
/// use std::sync::{Arc, Mutex};
///
/// use mistral_otel_export::console::ConsoleExporter;
/// use opentelemetry::trace::{Tracer, TracerProvider};
/// use opentelemetry_sdk::trace::SdkTracerProvider;
///
/// #[derive(Clone, Default)]
/// struct Shared(Arc<Mutex<Vec<u8>>>);
/// impl Write for Shared {
///     fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
///         self.0.lock().unwrap().write(bytes)
///     }
///     fn flush(&mut self) -> std::io::Result<()> {
///         Ok(())
///     }
/// }
///
/// let printed = Shared::default();
/// let provider = SdkTracerProvider::builder()
///     .with_span_processor(ConsoleExporter::new(printed.clone()).into_processor())
///     .build();
/// let tracer = provider.tracer("demo");
/// tracer.in_span("invoke_agent support", |_| {
///     tracer.in_span("chat mistral-medium-latest", |_| {});
/// });
///
/// let text = String::from_utf8(printed.0.lock().unwrap().clone()).unwrap();
/// let lines: Vec<&str> = text.lines().collect();
/// assert!(lines[0].starts_with("trace "));
/// assert!(lines[1].starts_with("  invoke_agent support  INTERNAL  "));
/// assert!(lines[2].starts_with("    chat mistral-medium-latest  INTERNAL  "));
/// ```
pub struct ConsoleExporter {
    output: Output,
    state: Mutex<Buffer>,
}

impl fmt::Debug for ConsoleExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("ConsoleExporter")
            .field("buffered_spans", &state.buffered)
            .field("max_buffered_spans", &state.max_buffered)
            .finish_non_exhaustive()
    }
}

impl ConsoleExporter {
    /// Prints to standard error.
    pub fn stderr() -> Self {
        Self::with_output(Output::stderr())
    }

    /// Prints to `writer`: a file, standard output, a buffer in a test. Each tree is
    /// written with one `write_all`, then the writer is flushed.
    pub fn new(writer: impl Write + Send + 'static) -> Self {
        Self::with_output(Output::new(writer))
    }

    pub(crate) fn with_output(output: Output) -> Self {
        Self {
            output,
            state: Mutex::new(Buffer::new(DEFAULT_MAX_BUFFERED_SPANS)),
        }
    }

    /// How many ended spans are kept waiting for their top span at most (default
    /// [`DEFAULT_MAX_BUFFERED_SPANS`]); past it the oldest trace is printed as it is.
    /// 0 prints every span as it ends.
    pub fn max_buffered_spans(self, max: usize) -> Self {
        self.lock().max_buffered = max;
        self
    }

    /// The span processor to give a tracer provider: it hands each sampled span to the
    /// exporter as the span ends, on the thread that ends it, so a tree appears as soon as
    /// its top span ends; `force_flush` prints what is buffered.
    pub fn into_processor(self) -> ConsoleSpanProcessor {
        ConsoleSpanProcessor { exporter: self }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Buffer> {
        // The buffer is consistent between statements; a panicking writer cannot break it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes ended spans in and prints the trees they complete. Printing happens under the
    /// buffer's lock, so trees come out in the order their top spans ended.
    fn consume(&self, spans: Vec<SpanData>) -> OTelSdkResult {
        let mut state = self.lock();
        if state.shut_down {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        let mut ready = Vec::new();
        for span in spans {
            ready.extend(state.end(span));
        }
        self.print(&ready)
    }

    /// Prints every buffered span, trace by trace, oldest first.
    fn print_buffered(&self) -> OTelSdkResult {
        let mut state = self.lock();
        let ready = state.take_all();
        self.print(&ready)
    }

    fn shut_down(&self) -> OTelSdkResult {
        let mut state = self.lock();
        if state.shut_down {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        state.shut_down = true;
        let ready = state.take_all();
        self.print(&ready)
    }

    fn print(&self, spans: &[SpanData]) -> OTelSdkResult {
        if spans.is_empty() {
            return Ok(());
        }
        self.output
            .write(&render_tree(spans))
            .map_err(|e| OTelSdkError::InternalFailure(format!("console exporter: {e}")))
    }
}

impl SpanExporter for ConsoleExporter {
    fn export(&self, batch: Vec<SpanData>) -> impl Future<Output = OTelSdkResult> + Send {
        std::future::ready(self.consume(batch))
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.print_buffered()
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        self.shut_down()
    }
}

/// The synchronous span processor of a [`ConsoleExporter`] (see
/// [`ConsoleExporter::into_processor`]): like the SDK's simple processor, but its
/// `force_flush` prints the spans still buffered.
///
/// It needs no runtime and no background thread, and never waits for anything but the
/// writer, so it cannot deadlock a single-threaded runtime; the thread ending a span pays
/// for rendering the tree, which is fine for a development tool.
#[derive(Debug)]
pub struct ConsoleSpanProcessor {
    exporter: ConsoleExporter,
}

impl SpanProcessor for ConsoleSpanProcessor {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        if span.span_context.is_sampled() {
            // after shutdown the span is dropped; a failing writer loses the tree
            let _ = self.exporter.consume(vec![span]);
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.exporter.print_buffered()
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        self.exporter.shut_down()
    }
}

/// Ended spans waiting for the top span of their tree.
#[derive(Debug)]
struct Buffer {
    max_buffered: usize,
    traces: HashMap<TraceId, Vec<SpanData>>,
    /// Buffered traces, oldest first: the first printed when the buffer is full.
    arrival: VecDeque<TraceId>,
    buffered: usize,
    /// Recently printed spans, oldest first, and the same as a set.
    printed: VecDeque<(TraceId, SpanId)>,
    printed_set: HashSet<(TraceId, SpanId)>,
    shut_down: bool,
}

impl Buffer {
    fn new(max_buffered: usize) -> Self {
        Self {
            max_buffered,
            traces: HashMap::new(),
            arrival: VecDeque::new(),
            buffered: 0,
            printed: VecDeque::new(),
            printed_set: HashSet::new(),
            shut_down: false,
        }
    }

    /// Takes an ended span in; returns the spans to print now.
    fn end(&mut self, span: SpanData) -> Vec<SpanData> {
        let trace_id = span.span_context.trace_id();
        let span_id = span.span_context.span_id();
        let top = span.parent_span_id == SpanId::INVALID
            || span.parent_span_is_remote
            || self.printed_set.contains(&(trace_id, span.parent_span_id));
        let members = match self.traces.entry(trace_id) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                self.arrival.push_back(trace_id);
                entry.insert(Vec::new())
            }
        };
        members.push(span);
        self.buffered += 1;

        let mut ready = if top {
            self.take_tree(trace_id, span_id)
        } else {
            Vec::new()
        };
        while self.buffered > self.max_buffered {
            let Some(oldest) = self.arrival.front().copied() else {
                break;
            };
            ready.extend(self.take_trace(oldest));
        }
        ready
    }

    /// Removes `top` and every buffered span under it.
    fn take_tree(&mut self, trace_id: TraceId, top: SpanId) -> Vec<SpanData> {
        let Some(members) = self.traces.get_mut(&trace_id) else {
            return Vec::new();
        };
        let mut children: HashMap<SpanId, Vec<SpanId>> = HashMap::new();
        for span in members.iter() {
            children
                .entry(span.parent_span_id)
                .or_default()
                .push(span.span_context.span_id());
        }
        let mut in_tree = HashSet::new();
        let mut stack = vec![top];
        while let Some(id) = stack.pop() {
            // `insert` is false for a span seen before: a parent cycle cannot loop
            if in_tree.insert(id)
                && let Some(kids) = children.get(&id)
            {
                stack.extend(kids);
            }
        }
        let (taken, kept): (Vec<SpanData>, Vec<SpanData>) = std::mem::take(members)
            .into_iter()
            .partition(|span| in_tree.contains(&span.span_context.span_id()));
        if kept.is_empty() {
            self.traces.remove(&trace_id);
            self.arrival.retain(|id| *id != trace_id);
        } else {
            *members = kept;
        }
        self.taken(taken)
    }

    /// Removes a whole trace.
    fn take_trace(&mut self, trace_id: TraceId) -> Vec<SpanData> {
        self.arrival.retain(|id| *id != trace_id);
        let spans = self.traces.remove(&trace_id).unwrap_or_default();
        self.taken(spans)
    }

    /// Removes everything, oldest trace first.
    fn take_all(&mut self) -> Vec<SpanData> {
        let mut all = Vec::new();
        while let Some(oldest) = self.arrival.front().copied() {
            all.extend(self.take_trace(oldest));
        }
        all
    }

    /// Accounts for spans leaving the buffer to be printed.
    fn taken(&mut self, spans: Vec<SpanData>) -> Vec<SpanData> {
        self.buffered = self.buffered.saturating_sub(spans.len());
        for span in &spans {
            let key = (span.span_context.trace_id(), span.span_context.span_id());
            if self.printed_set.insert(key) {
                self.printed.push_back(key);
            }
        }
        while self.printed.len() > REMEMBERED_PRINTED_SPANS {
            if let Some(old) = self.printed.pop_front() {
                self.printed_set.remove(&old);
            }
        }
        spans
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use std::sync::Arc;
    use std::time::SystemTime;

    use opentelemetry::InstrumentationScope;
    use opentelemetry::trace::{SpanContext, SpanKind, Status, TraceFlags, TraceState};
    use opentelemetry_sdk::trace::{SpanEvents, SpanLinks};

    use super::*;

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl Write for Buf {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().write(bytes)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Buf {
        /// What was printed since the last call.
        fn take(&self) -> String {
            String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
        }
    }

    /// A span of trace `trace`, id `id`, child of `parent` (0: none), started `start` ms in.
    fn span(trace: u128, id: u64, parent: u64, start: u64) -> SpanData {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_millis(start);
        SpanData {
            span_context: SpanContext::new(
                TraceId::from(trace),
                SpanId::from(id),
                TraceFlags::SAMPLED,
                false,
                TraceState::default(),
            ),
            parent_span_id: SpanId::from(parent),
            parent_span_is_remote: false,
            span_kind: SpanKind::Internal,
            name: format!("s{id}").into(),
            start_time: t0,
            end_time: t0 + Duration::from_millis(1),
            attributes: Vec::new(),
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status: Status::Unset,
            instrumentation_scope: InstrumentationScope::builder("test").build(),
        }
    }

    fn names(printed: &str) -> Vec<String> {
        printed
            .lines()
            .filter(|l| !l.starts_with("trace "))
            .map(|l| l.split("  INTERNAL").next().unwrap().to_owned())
            .collect()
    }

    fn exporter(buf: &Buf) -> ConsoleExporter {
        ConsoleExporter::new(buf.clone())
    }

    #[test]
    fn a_remote_parent_makes_a_local_root_whose_tree_prints_when_it_ends() {
        let buf = Buf::default();
        let exporter = exporter(&buf);
        let mut server = span(1, 2, 1, 0);
        server.parent_span_is_remote = true;
        exporter.consume(vec![span(1, 3, 2, 1)]).unwrap();
        assert_eq!(buf.take(), "");
        exporter.consume(vec![server]).unwrap();
        assert_eq!(names(&buf.take()), ["  s2", "    s3"]);
    }

    #[test]
    fn a_span_ending_after_its_tree_was_printed_prints_at_once_with_its_own_children() {
        let buf = Buf::default();
        let exporter = exporter(&buf);
        exporter.consume(vec![span(1, 1, 0, 0)]).unwrap();
        assert_eq!(names(&buf.take()), ["  s1"]);
        exporter.consume(vec![span(1, 3, 2, 2)]).unwrap();
        assert_eq!(buf.take(), "");
        exporter.consume(vec![span(1, 2, 1, 1)]).unwrap();
        assert_eq!(names(&buf.take()), ["  s2", "    s3"]);
    }

    #[test]
    fn past_the_cap_the_oldest_trace_is_printed_and_dropped() {
        let buf = Buf::default();
        let exporter = exporter(&buf).max_buffered_spans(2);
        exporter.consume(vec![span(1, 11, 10, 0)]).unwrap();
        exporter.consume(vec![span(2, 21, 20, 0)]).unwrap();
        assert_eq!(buf.take(), "");
        exporter.consume(vec![span(3, 31, 30, 0)]).unwrap();
        assert_eq!(names(&buf.take()), ["  s11"]);
        assert_eq!(exporter.lock().buffered, 2);
        exporter.consume(vec![span(2, 20, 0, 0)]).unwrap();
        assert_eq!(names(&buf.take()), ["  s20", "    s21"]);
        assert_eq!(exporter.lock().buffered, 1);
        assert_eq!(exporter.lock().traces.len(), 1);
        assert_eq!(exporter.lock().arrival.len(), 1);
    }

    #[test]
    fn zero_cap_prints_every_span_as_it_ends() {
        let buf = Buf::default();
        let exporter = exporter(&buf).max_buffered_spans(0);
        exporter.consume(vec![span(1, 2, 1, 0)]).unwrap();
        assert_eq!(names(&buf.take()), ["  s2"]);
    }

    #[test]
    fn flush_prints_what_is_buffered_and_shutdown_the_rest_then_refuses_spans() {
        let buf = Buf::default();
        let exporter = exporter(&buf);
        exporter.consume(vec![span(1, 2, 1, 0)]).unwrap();
        exporter.force_flush().unwrap();
        assert_eq!(names(&buf.take()), ["  s2"]);
        exporter.force_flush().unwrap();
        assert_eq!(buf.take(), "");
        exporter.consume(vec![span(2, 3, 1, 0)]).unwrap();
        exporter.shutdown().unwrap();
        assert_eq!(names(&buf.take()), ["  s3"]);
        assert!(matches!(
            exporter.consume(vec![span(2, 4, 0, 0)]),
            Err(OTelSdkError::AlreadyShutdown)
        ));
        assert_eq!(buf.take(), "");
    }

    #[test]
    fn spans_caught_in_a_parent_cycle_are_printed_on_flush() {
        let buf = Buf::default();
        let exporter = exporter(&buf);
        exporter
            .consume(vec![span(1, 1, 2, 0), span(1, 2, 1, 1)])
            .unwrap();
        assert_eq!(buf.take(), "");
        exporter.force_flush().unwrap();
        assert_eq!(names(&buf.take()).len(), 2);
    }

    #[test]
    fn the_processor_skips_unsampled_spans() {
        let buf = Buf::default();
        let processor = exporter(&buf).into_processor();
        let mut unsampled = span(1, 1, 0, 0);
        unsampled.span_context = SpanContext::new(
            TraceId::from(1),
            SpanId::from(1),
            TraceFlags::default(),
            false,
            TraceState::default(),
        );
        processor.on_end(unsampled);
        assert_eq!(buf.take(), "");
        processor.on_end(span(1, 2, 0, 0));
        assert_eq!(names(&buf.take()), ["  s2"]);
    }
}
