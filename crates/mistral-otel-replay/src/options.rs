//! The command line: `replay DIR [options]`.

use std::path::PathBuf;
use std::time::Duration;

use crate::ReplayError;

/// What `replay --help` prints.
pub const USAGE: &str = "\
Replay recorded Mistral exchanges through the instrumented client and print the traces.

Usage: replay DIR [OPTIONS]

Arguments:
  DIR                    fixtures directory holding manifest.json

Options:
  --otlp-json FILE       also write the spans as OTLP JSON, one ExportTraceServiceRequest per case and line
  --chunk-bytes N        the mock sends every body in pieces of N bytes
  --chunk-delay-ms MS    the mock waits MS milliseconds between pieces
  --capture-content      record message content (off by default)
  --only NAME            replay only the case NAME
  -h, --help             print this help

Environment:
  OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
                         when set, spans are also exported over OTLP (see mistral-otel-export)

Exits 0 when every case got its recorded status and a complete body, 1 otherwise, 2 on a usage error.
";

/// Settings of one replay run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayOptions {
    /// Fixtures directory (with `manifest.json`).
    pub dir: PathBuf,
    /// Where to write OTLP JSON lines, one per case.
    pub otlp_json: Option<PathBuf>,
    /// Piece size of every response body, `None` for whole bodies.
    pub chunk_bytes: Option<usize>,
    /// Pause between two pieces of a body.
    pub chunk_delay: Duration,
    /// Whether the middleware records message content.
    pub capture_content: bool,
    /// Replay only this case.
    pub only: Option<String>,
}

impl ReplayOptions {
    /// Every case of `dir`, whole bodies, no delay, no content, no file.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            otlp_json: None,
            chunk_bytes: None,
            chunk_delay: Duration::ZERO,
            capture_content: false,
            only: None,
        }
    }
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Run a replay.
    Replay(ReplayOptions),
    /// Print [`USAGE`].
    Help,
}

/// Parses the arguments after the program name (`--flag VALUE` or `--flag=VALUE`).
pub fn parse_args<I>(args: I) -> Result<Command, ReplayError>
where
    I: IntoIterator,
    I::Item: Into<String>,
{
    let args: Vec<String> = args.into_iter().map(Into::into).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        return Ok(Command::Help);
    }
    let mut args = args.into_iter();
    let mut dir = None;
    let mut options = ReplayOptions::new(PathBuf::new());
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| ReplayError::Usage(format!("{name} needs a value")))
        };
        match flag.as_str() {
            "--otlp-json" => options.otlp_json = Some(PathBuf::from(value("--otlp-json")?)),
            "--chunk-bytes" => {
                let n = number("--chunk-bytes", &value("--chunk-bytes")?)?;
                if n == 0 {
                    return Err(ReplayError::Usage(
                        "--chunk-bytes must be at least 1".into(),
                    ));
                }
                options.chunk_bytes = Some(n);
            }
            "--chunk-delay-ms" => {
                let ms = number("--chunk-delay-ms", &value("--chunk-delay-ms")?)?;
                options.chunk_delay = Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX));
            }
            "--capture-content" => {
                if inline.is_some() {
                    return Err(ReplayError::Usage(
                        "--capture-content takes no value".into(),
                    ));
                }
                options.capture_content = true;
            }
            "--only" => options.only = Some(value("--only")?),
            _ if flag.starts_with('-') => {
                return Err(ReplayError::Usage(format!("unknown option {arg}")));
            }
            _ if dir.is_none() => dir = Some(PathBuf::from(arg)),
            _ => return Err(ReplayError::Usage(format!("unexpected argument {arg}"))),
        }
    }
    options.dir = dir.ok_or_else(|| ReplayError::Usage("missing DIR".into()))?;
    Ok(Command::Replay(options))
}

fn number(flag: &str, value: &str) -> Result<usize, ReplayError> {
    value
        .parse()
        .map_err(|_| ReplayError::Usage(format!("{flag} takes a whole number, not {value:?}")))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;

    fn options(args: &[&str]) -> ReplayOptions {
        match parse_args(args.iter().copied()).unwrap() {
            Command::Replay(options) => options,
            Command::Help => panic!("help"),
        }
    }

    #[test]
    fn every_option_is_parsed_in_both_spellings() {
        let parsed = options(&[
            "--otlp-json",
            "out.jsonl",
            "fixtures",
            "--chunk-bytes=7",
            "--chunk-delay-ms",
            "15",
            "--capture-content",
            "--only=append",
        ]);
        assert_eq!(
            parsed,
            ReplayOptions {
                dir: "fixtures".into(),
                otlp_json: Some("out.jsonl".into()),
                chunk_bytes: Some(7),
                chunk_delay: Duration::from_millis(15),
                capture_content: true,
                only: Some("append".into()),
            }
        );
        assert_eq!(options(&["d"]), ReplayOptions::new("d"));
    }

    #[test]
    fn help_wins_over_everything_else() {
        assert_eq!(parse_args(["d", "--bogus", "-h"]).unwrap(), Command::Help);
        assert_eq!(parse_args(["--help", "--bogus"]).unwrap(), Command::Help);
    }

    #[test]
    fn bad_command_lines_are_usage_errors() {
        for args in [
            &[][..],
            &["d", "e"],
            &["d", "--chunk-bytes"],
            &["d", "--chunk-bytes", "many"],
            &["d", "--chunk-bytes", "0"],
            &["d", "--verbose"],
            &["d", "--capture-content=yes"],
        ] {
            let result = parse_args(args.iter().copied());
            assert!(
                matches!(result, Err(ReplayError::Usage(_))),
                "{args:?}: {result:?}"
            );
        }
    }
}
