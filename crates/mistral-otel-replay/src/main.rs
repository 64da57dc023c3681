//! `replay DIR [OPTIONS]`: see the crate docs or `replay --help`.

use std::io::Write as _;
use std::process::ExitCode;

use mistral_otel_replay::{Command, USAGE, parse_args, render_tree, run};

#[tokio::main]
async fn main() -> ExitCode {
    // Writes ignore errors: a closed pipe (`replay DIR | head`) must not panic.
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr();
    let args = std::env::args_os()
        .skip(1)
        .map(|arg| arg.to_string_lossy().into_owned());
    let options = match parse_args(args) {
        Ok(Command::Help) => {
            let _ = write!(stdout, "{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Replay(options)) => options,
        Err(err) => {
            let _ = write!(stderr, "replay: {err}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let report = match run(options).await {
        Ok(report) => report,
        Err(err) => {
            let _ = writeln!(stderr, "replay: {err}");
            return ExitCode::FAILURE;
        }
    };
    let _ = write!(stdout, "{}", render_tree(&report.spans()));
    let _ = stdout.flush();
    for case in report.failures() {
        if let Some(failure) = &case.failure {
            let _ = writeln!(stderr, "replay: case `{}` failed: {failure}", case.name);
        }
    }
    if let Some(err) = &report.shutdown_error {
        let _ = writeln!(stderr, "replay: shutting down the tracer provider: {err}");
    }
    let failed = report.failures().count();
    let _ = writeln!(
        stderr,
        "replay: {} cases, {} failed",
        report.cases.len(),
        failed
    );
    if report.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
