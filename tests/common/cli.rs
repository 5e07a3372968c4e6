//! Runs the real `issuesync` binary against a temporary data dir.
//!
//! Invariant: every invocation gets `--data-dir <tempdir>` and an environment without
//! `ISSUESYNC_*` variables from the caller, so no test touches the user's data or tokens.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tempfile::TempDir;

/// A data dir plus a way to run the CLI on it.
pub struct Cli {
    pub dir: TempDir,
    /// A directory inside `dir` used as the data dir instead of `dir` itself, so that
    /// the CLI creates it (see [`Cli::in_new_dir`]).
    sub: Option<&'static str>,
    env: Vec<(String, String)>,
}

/// What one run printed and how it exited.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts success and parses stdout as JSON.
    pub fn json(&self) -> Value {
        assert_eq!(self.code, 0, "expected success; stderr: {}", self.stderr);
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }

    /// Asserts failure with exactly one line on stderr, and returns that line.
    pub fn failure_line(&self) -> String {
        assert_ne!(self.code, 0, "expected failure; stdout: {}", self.stdout);
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "expected one clear error line, got: {}",
            self.stderr
        );
        lines[0].to_string()
    }
}

impl Cli {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
            sub: None,
            env: Vec::new(),
        }
    }

    /// A CLI whose data dir does not exist yet (`<tempdir>/data`): the first run creates
    /// it, as it would create `~/.local/share/issuesync`.
    pub fn in_new_dir() -> Self {
        Self {
            sub: Some("data"),
            ..Self::new()
        }
    }

    /// The data dir every run gets.
    pub fn data_dir(&self) -> std::path::PathBuf {
        match self.sub {
            Some(sub) => self.dir.path().join(sub),
            None => self.dir.path().to_path_buf(),
        }
    }

    /// A CLI whose connection `t` (token `token` in `ISSUESYNC_TOKEN_T`, verified with
    /// `--token-env`) mirrors `repo` of the fake `t`, synced once.
    pub fn mirroring(t: &dyn super::tracker::FakeTracker, repo: &str, token: &str) -> Self {
        let cli = Self::connected(t, repo, token);
        let run = cli.run(&["sync"]);
        assert_eq!(run.code, 0, "{} sync: {}", t.kind(), run.stderr);
        cli
    }

    /// [`Cli::mirroring`] before its first sync: the connection and the repository added.
    pub fn connected(t: &dyn super::tracker::FakeTracker, repo: &str, token: &str) -> Self {
        let mut cli = Self::new();
        cli.env("ISSUESYNC_TOKEN_T", token);
        let kind = t.kind().to_string();
        let url = t.web_url();
        let repo = format!("t:{repo}");
        for args in [
            vec![
                "connection",
                "add",
                "--name",
                "t",
                "--provider",
                &kind,
                "--url",
                &url,
                "--token-env",
            ],
            vec!["repo", "add", &repo],
        ] {
            let run = cli.run(&args);
            assert_eq!(run.code, 0, "{kind} {args:?}: {}", run.stderr);
        }
        cli
    }

    /// Sets an environment variable for every later run.
    pub fn env(&mut self, key: &str, value: &str) {
        self.env.push((key.to_string(), value.to_string()));
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, None)
    }

    /// The command line `issuesync --data-dir <dir> ARGS` with this CLI's environment,
    /// for tests that drive a long-running process themselves (`serve`, `mcp`).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_issuesync"));
        cmd.arg("--data-dir").arg(self.data_dir()).args(args);
        for (key, _) in std::env::vars() {
            if key.starts_with("ISSUESYNC_") {
                cmd.env_remove(key);
            }
        }
        for (key, value) in &self.env {
            cmd.env(key, value);
        }
        cmd
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut cmd = self.command(args);
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn issuesync");
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        let Output {
            status,
            stdout,
            stderr,
        } = child.wait_with_output().expect("wait for issuesync");
        Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    /// Every byte of every file in the data dir (database, WAL, anything else).
    pub fn data_dir_bytes(&self) -> Vec<u8> {
        let mut all = Vec::new();
        for entry in std::fs::read_dir(self.data_dir()).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                all.extend(std::fs::read(&path).unwrap());
            }
        }
        all
    }
}

/// Whether `needle` occurs in `haystack`.
pub fn contains_bytes(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}
