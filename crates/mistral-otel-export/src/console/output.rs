//! Where console output goes. One writer, behind one lock, shared by the span and metric
//! exporters of a pipeline: a trace tree and a metrics report are each written in one
//! piece and never interleave, whichever threads end the spans and collect the metrics.

use std::fmt;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};

/// A shared writer: standard error by default, any `Write + Send` on request.
#[derive(Clone)]
pub(crate) struct Output(Arc<Mutex<Box<dyn Write + Send>>>);

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Output")
    }
}

impl Output {
    pub(crate) fn stderr() -> Self {
        Self::new(io::stderr())
    }

    pub(crate) fn new(writer: impl Write + Send + 'static) -> Self {
        Self(Arc::new(Mutex::new(Box::new(writer))))
    }

    /// Writes `text` in one piece, then flushes; nothing at all when it is empty.
    pub(crate) fn write(&self, text: &str) -> io::Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        // A writer that panicked mid-write left at worst a partial line: keep writing.
        let mut writer = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        writer.write_all(text.as_bytes())?;
        writer.flush()
    }
}
