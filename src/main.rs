//! The `issuesync` binary: parses the command line, runs it on a Tokio runtime, and
//! prints any error as one line (message and root cause) on stderr, exiting 1.

mod cli;
mod mcp;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("issuesync: error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            // Error messages can quote a tracker's answer: no escapes reach the terminal.
            let line: String = error_line(&err)
                .chars()
                .filter(|c| !c.is_control() || *c == '\t')
                .collect();
            eprintln!("issuesync: error: {line}");
            ExitCode::FAILURE
        }
    }
}

/// The error's message followed by its root cause, unless the message already quotes it
/// (libraries such as reqwest add several layers in between that repeat the URL).
fn error_line(err: &anyhow::Error) -> String {
    let mut line = err.to_string();
    if let Some(root) = err.chain().last() {
        let root = root.to_string();
        if !line.contains(&root) {
            line.push_str(": ");
            line.push_str(&root);
        }
    }
    line
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
