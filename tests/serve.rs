//! `issuesync serve` as a process: it syncs on its schedule, answers `/healthz`, acts on
//! a signed delivery, and exits cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use issuesync::model::ProviderKind;
use serde_json::Value;

use crate::common::cli::Cli;
use crate::common::fake_gitea::FakeGitea;
use crate::common::tracker::{FakeTracker, NewIssue, RemoteEdit};
use crate::webhooks::{read_sample, signed, SECRET, TOKEN};

/// Waits for the next log line satisfying `want`, up to `within`.
fn next_line(
    lines: &mpsc::Receiver<String>,
    within: Duration,
    want: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no such log line within {within:?}"));
        let value: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("a log line that is not JSON ({e}): {line}"));
        if want(&value) {
            return value;
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn serve_syncs_answers_health_checks_acts_on_deliveries_and_stops_on_sigterm() {
    let fake = FakeGitea::start();
    let t: &dyn FakeTracker = &fake;
    t.add_user("alice", Some(TOKEN));
    let repo = "gogits/hello-world";
    t.add_repo(repo, false);
    t.create_issue(
        repo,
        NewIssue {
            title: "Problem",
            ..NewIssue::default()
        },
    );
    let mut cli = Cli::mirroring(t, repo, TOKEN);
    cli.env("ISSUESYNC_WEBHOOK_SECRET_T", SECRET);
    // Created after the first sync: only serve's own scheduled sync brings it in.
    t.create_issue(
        repo,
        NewIssue {
            title: "Second",
            ..NewIssue::default()
        },
    );

    let mut child = cli
        .command(&["serve", "--bind", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn issuesync serve");
    let stderr = child.stderr.take().unwrap();
    let (tx, lines) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            all.push(line.clone());
            let _ = tx.send(line);
        }
        all
    });

    let listening = next_line(&lines, Duration::from_secs(10), |v| {
        v["event"] == "listening"
    });
    let addr = listening["addr"].as_str().unwrap().to_string();
    next_line(&lines, Duration::from_secs(10), |v| {
        v["event"] == "sync_finished" && v["failed"] == 0
    });
    let show = |reference: &str| -> Value { cli.run(&["show", reference, "--json"]).json() };
    assert_eq!(
        show("t:gogits/hello-world#2")["title"],
        "Second",
        "the scheduler synced on start"
    );

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let health = runtime.block_on(async {
        reqwest::get(format!("http://{addr}/healthz"))
            .await
            .unwrap()
    });
    assert_eq!(health.status().as_u16(), 200);

    t.edit_issue(
        repo,
        1,
        RemoteEdit {
            title: Some("Renamed while serving".into()),
            ..RemoteEdit::default()
        },
    );
    let body = read_sample("gitea/webhook-issues_closed.json");
    let headers = signed(ProviderKind::Gitea, SECRET, &body, "issues", "serve-1");
    let status = runtime.block_on(async {
        let mut request = reqwest::Client::new().post(format!("http://{addr}/webhooks/t"));
        for (k, v) in &headers {
            request = request.header(k.as_str(), v.as_str());
        }
        request.body(body).send().await.unwrap().status().as_u16()
    });
    assert_eq!(status, 202);
    let start = Instant::now();
    while show("t:gogits/hello-world#1")["title"] != "Renamed while serving" {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the delivery never reached the mirror"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "serve exits 0 on SIGTERM: {status:?}");
    let all = reader.join().unwrap();
    assert!(
        all.last().is_some_and(|l| l.contains("\"stopped\"")),
        "the last log line says it stopped: {all:?}"
    );
    let text = all.join("\n");
    assert!(
        !text.contains(SECRET) && !text.contains(TOKEN),
        "no secret in the log"
    );
}
