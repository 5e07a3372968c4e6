//! Webhook deliveries end to end: recorded sample payloads, signed like each tracker
//! signs them, POSTed to the real receiver on 127.0.0.1:0 (in process, or `issuesync
//! serve` as a process), and what the mirror and the fake tracker's request log show.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use issuesync::model::{ProviderKind, RepoFilter};
use issuesync::secrets::Secret;
use issuesync::serve::{ServeEvent, ServeOptions};
use issuesync::webhook::rate::RateCap;
use issuesync::webhook::verify::{hub_signature_of, standard_signature_of};
use issuesync::Workspace;
use serde_json::Value;
use tempfile::TempDir;

use crate::common::fake_gitea::FakeGitea;
use crate::common::fake_github::FakeGitHub;
use crate::common::fake_gitlab::FakeGitLab;
use crate::common::tracker::{FakeTracker, NewIssue, RemoteEdit};
use crate::two_way_sync::mirror_with;

pub(crate) const TOKEN: &str = "webhook-token-alice-3";
pub(crate) const SECRET: &str = "hook-secret-5f1c0e";

/// A recorded delivery of one tracker: its repository, file and event header.
pub(crate) struct Sample {
    pub repo: &'static str,
    pub issue_file: &'static str,
    pub issue_event: &'static str,
    pub comment_file: &'static str,
    pub comment_event: &'static str,
}

pub(crate) fn sample_of(kind: ProviderKind) -> Sample {
    match kind {
        ProviderKind::Github => Sample {
            repo: "Codertocat/Hello-World",
            issue_file: "github/webhook-issues-edited.json",
            issue_event: "issues",
            comment_file: "github/webhook-issue_comment-created.json",
            comment_event: "issue_comment",
        },
        ProviderKind::Gitea => Sample {
            repo: "gogits/hello-world",
            issue_file: "gitea/webhook-issues_closed.json",
            issue_event: "issues",
            comment_file: "gitea/webhook-issue_comment_created.json",
            comment_event: "issue_comment",
        },
        ProviderKind::Gitlab => Sample {
            repo: "gitlab-org/hello-world",
            issue_file: "gitlab/webhook-issue_edited.json",
            issue_event: "Issue Hook",
            comment_file: "gitlab/webhook-issue_comment_create.json",
            comment_event: "Note Hook",
        },
    }
}

pub(crate) fn read_sample(file: &str) -> Vec<u8> {
    let path = format!(
        "{}/../shared/contracts/samples/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The headers the tracker of `kind` sends with `body`, signed with `secret`.
pub(crate) fn signed(
    kind: ProviderKind,
    secret: &str,
    body: &[u8],
    event: &str,
    delivery: &str,
) -> Vec<(String, String)> {
    let s = Secret::new(secret);
    let pairs: Vec<(&str, String)> = match kind {
        ProviderKind::Github => vec![
            ("X-GitHub-Event", event.into()),
            ("X-GitHub-Delivery", delivery.into()),
            ("X-Hub-Signature-256", hub_signature_of(&s, body)),
        ],
        ProviderKind::Gitea => vec![
            ("X-Gitea-Event", event.into()),
            ("X-Gitea-Delivery", delivery.into()),
            ("X-GitHub-Delivery", delivery.into()),
            ("X-Hub-Signature-256", hub_signature_of(&s, body)),
            (
                "X-Gitea-Signature",
                hub_signature_of(&s, body)
                    .trim_start_matches("sha256=")
                    .into(),
            ),
        ],
        ProviderKind::Gitlab => vec![
            ("X-Gitlab-Event", event.into()),
            ("Idempotency-Key", delivery.into()),
            ("X-Gitlab-Token", secret.into()),
        ],
    };
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// A receiver running in this process on 127.0.0.1:0, and its log.
pub(crate) struct Running {
    pub addr: SocketAddr,
    pub log: Arc<Mutex<Vec<Value>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<issuesync::Result<()>>>,
}

impl Running {
    pub async fn start(ws: Arc<Workspace>, options: ServeOptions) -> Running {
        let log: Arc<Mutex<Vec<Value>>> = Arc::default();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (bound, bound_rx) = std::sync::mpsc::channel::<String>();
        let sink = Arc::clone(&log);
        let task = tokio::spawn(ws.serve(
            options,
            async move {
                let _ = stopped.await;
            },
            Arc::new(move |event: ServeEvent| {
                if let ServeEvent::Listening { addr } = &event {
                    let _ = bound.send(addr.clone());
                }
                sink.lock()
                    .unwrap()
                    .push(serde_json::to_value(&event).unwrap());
            }),
        ));
        let addr = tokio::task::spawn_blocking(move || {
            bound_rx
                .recv_timeout(Duration::from_secs(10))
                .expect("the receiver says where it listens")
        })
        .await
        .unwrap();
        Running {
            addr: addr.parse().unwrap(),
            log,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub async fn post(
        &self,
        name: &str,
        headers: &[(String, String)],
        body: Vec<u8>,
    ) -> (u16, Value) {
        let client = reqwest::Client::new();
        let mut request = client
            .post(format!("http://{}/webhooks/{name}", self.addr))
            .header("Content-Type", "application/json");
        for (k, v) in headers {
            request = request.header(k.as_str(), v.as_str());
        }
        let response = request
            .body(body)
            .send()
            .await
            .expect("the receiver answers");
        let status = response.status().as_u16();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().expect("serve ends cleanly");
        }
    }
}

pub(crate) fn options() -> ServeOptions {
    ServeOptions {
        bind: "127.0.0.1:0".parse().unwrap(),
        poll: false,
        debounce: Duration::from_millis(30),
        ..ServeOptions::default()
    }
}

/// The fake `t` with alice and the sample's repository holding issue #1, and a
/// workspace mirroring it (synced once), whose webhook secret is [`SECRET`].
pub(crate) async fn mirrored(t: &dyn FakeTracker) -> (TempDir, Arc<Workspace>, &'static str) {
    let repo = sample_of(t.kind()).repo;
    t.add_user("alice", Some(TOKEN));
    t.add_repo(repo, false);
    let n = t.create_issue(
        repo,
        NewIssue {
            title: "Problem",
            body: "Found a bug",
            ..NewIssue::default()
        },
    );
    assert_eq!(n, 1, "the samples name issue #1");
    let (dir, ws) = mirror_with(t, TOKEN, repo, RepoFilter::default()).await;
    let summary = ws
        .sync(None, &Default::default(), &|_| {})
        .await
        .expect("sync");
    assert!(summary.succeeded(), "{:?}", summary.repos);
    ws.set_webhook_secret("t", Some(Secret::new(SECRET)))
        .unwrap();
    t.advance_clock(60);
    (dir, Arc::new(ws), repo)
}

fn title_edit(title: &str) -> RemoteEdit {
    RemoteEdit {
        title: Some(title.into()),
        ..RemoteEdit::default()
    }
}

/// Waits up to 5 s for `check` to hold.
pub(crate) async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "timed out waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn trackers() -> Vec<Box<dyn FakeTracker>> {
    vec![
        Box::new(FakeGitea::start()),
        Box::new(FakeGitHub::start()),
        Box::new(FakeGitLab::start()),
    ]
}

fn issue_fetches(t: &dyn FakeTracker) -> usize {
    t.requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.contains("/issues"))
        .count()
}

/// The recorded issue and comment deliveries of every tracker, signed with the secret,
/// make the mirror take what the tracker now has (the delivery only names the issue).
#[tokio::test(flavor = "multi_thread")]
async fn signed_sample_deliveries_update_the_mirror() {
    for t in trackers() {
        let t = t.as_ref();
        let kind = t.kind();
        let (_dir, ws, repo) = mirrored(t).await;
        let sample = sample_of(kind);
        let reference = format!("t:{repo}#1");
        let running = Running::start(Arc::clone(&ws), options()).await;

        t.edit_issue(repo, 1, title_edit("Renamed on the tracker"));
        let body = read_sample(sample.issue_file);
        let headers = signed(kind, SECRET, &body, sample.issue_event, "delivery-1");
        let (status, answer) = running.post("t", &headers, body).await;
        assert_eq!(status, 202, "{kind}: {answer}");
        eventually(&format!("{kind}: the mirror takes the new title"), || {
            ws.issue(&reference).unwrap().issue.title == "Renamed on the tracker"
        })
        .await;
        let payload: Value = serde_json::from_slice(&read_sample(sample.issue_file)).unwrap();
        let payload_title = payload["issue"]["title"]
            .as_str()
            .or(payload["object_attributes"]["title"].as_str())
            .expect("the sample carries a title");
        assert_ne!(
            payload_title, "Renamed on the tracker",
            "the sample's own title differs, so the mirror can only have read the tracker"
        );

        t.add_comment(repo, 1, "alice", "Seen it too");
        let body = read_sample(sample.comment_file);
        let headers = signed(kind, SECRET, &body, sample.comment_event, "delivery-2");
        let (status, answer) = running.post("t", &headers, body).await;
        assert_eq!(status, 202, "{kind}: {answer}");
        eventually(&format!("{kind}: the new comment arrives"), || {
            ws.issue(&reference)
                .unwrap()
                .comments
                .iter()
                .any(|c| c.body == "Seen it too")
        })
        .await;
        let log = ws.sync_log(50, Some(&reference)).unwrap();
        assert!(
            log.iter().any(|r| r.operation == "webhook"),
            "{kind}: the sync log says a delivery led to it: {log:?}"
        );
        running.stop().await;
    }
}

/// Unsigned, forged, truncated, oversized and malformed deliveries are refused; a
/// replay (also after a restart) is answered without effect; none of them makes the
/// receiver ask the tracker for anything, and the mirror stays as it was.
#[tokio::test(flavor = "multi_thread")]
async fn bad_and_replayed_deliveries_fetch_nothing_and_change_nothing() {
    for t in trackers() {
        let t = t.as_ref();
        let kind = t.kind();
        let (_dir, ws, repo) = mirrored(t).await;
        let sample = sample_of(kind);
        let reference = format!("t:{repo}#1");
        let running = Running::start(Arc::clone(&ws), options()).await;
        t.edit_issue(repo, 1, title_edit("Changed, but nobody said so"));
        t.clear_requests();

        let body = read_sample(sample.issue_file);
        let event = sample.issue_event;
        let mut unsigned = signed(kind, SECRET, &body, event, "u-1");
        unsigned.retain(|(k, _)| !k.contains("Signature") && !k.contains("Token"));
        let forged = signed(kind, "guessed-secret", &body, event, "f-1");
        let truncated_body = body[..body.len() / 2].to_vec();
        let truncated = signed(kind, SECRET, &body, event, "t-1");
        let mut huge = body.clone();
        huge.extend(std::iter::repeat_n(b' ', 1024 * 1024));
        let oversized = signed(kind, SECRET, &huge, event, "o-1");
        let garbage = b"{\"issue\": {\"number\": ".to_vec();
        let malformed = signed(kind, SECRET, &garbage, event, "m-1");
        for (what, headers, body, expected) in [
            ("unsigned", unsigned, body.clone(), 401),
            ("forged", forged, body.clone(), 401),
            // GitLab's token does not sign the body: a cut one is read, and is malformed.
            (
                "truncated",
                truncated,
                truncated_body,
                if kind == ProviderKind::Gitlab {
                    400
                } else {
                    401
                },
            ),
            ("oversized", oversized, huge, 413),
            ("malformed", malformed, garbage, 400),
        ] {
            let (status, answer) = running.post("t", &headers, body).await;
            assert_eq!(status, expected, "{kind}: {what}: {answer}");
        }
        let (status, _) = running.post("nobody", &[], b"{}".to_vec()).await;
        assert_eq!(status, 404, "{kind}: an unknown connection");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            issue_fetches(t),
            0,
            "{kind}: nothing was fetched: {:?}",
            t.requests()
        );
        assert_eq!(
            ws.issue(&reference).unwrap().issue.title,
            "Problem",
            "{kind}"
        );
        let logged = running.log.lock().unwrap().clone();
        let rejected = logged
            .iter()
            .filter(|e| e["event"] == "delivery" && e["status"] == 401)
            .count();
        let expected = if kind == ProviderKind::Gitlab { 2 } else { 3 };
        assert_eq!(
            rejected, expected,
            "{kind}: each refusal is logged: {logged:?}"
        );
        let text = serde_json::to_string(&logged).unwrap();
        assert!(!text.contains(SECRET), "{kind}: the secret is not logged");
        assert!(
            !text.contains("Found a bug"),
            "{kind}: bodies are not logged"
        );

        // A good delivery, then its replay.
        let good = signed(kind, SECRET, &body, event, "once-1");
        let (status, _) = running.post("t", &good, body.clone()).await;
        assert_eq!(status, 202, "{kind}");
        eventually(&format!("{kind}: the good one lands"), || {
            ws.issue(&reference).unwrap().issue.title == "Changed, but nobody said so"
        })
        .await;
        t.edit_issue(repo, 1, title_edit("Changed again"));
        t.clear_requests();
        let (status, answer) = running.post("t", &good, body.clone()).await;
        assert_eq!(
            (status, answer["status"].as_str()),
            (200, Some("duplicate")),
            "{kind}"
        );
        running.stop().await;

        let restarted = Running::start(Arc::clone(&ws), options()).await;
        let (status, answer) = restarted.post("t", &good, body.clone()).await;
        assert_eq!(
            (status, answer["status"].as_str()),
            (200, Some("duplicate")),
            "{kind}: the delivery id outlives a restart"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(issue_fetches(t), 0, "{kind}: a replay fetches nothing");
        assert_eq!(
            ws.issue(&reference).unwrap().issue.title,
            "Changed, but nobody said so",
            "{kind}"
        );
        restarted.stop().await;
    }
}

/// GitLab's signing token (Standard Webhooks): a signature within the tolerance is
/// accepted, one signed too long ago is refused.
#[tokio::test(flavor = "multi_thread")]
async fn gitlab_signed_deliveries_are_accepted_and_stale_ones_refused() {
    let fake = FakeGitLab::start();
    let t: &dyn FakeTracker = &fake;
    let (_dir, ws, repo) = mirrored(t).await;
    let token = Secret::new(format!("whsec_{}", base64_of(&[9u8; 32])));
    ws.set_webhook_secret("t", Some(token.clone())).unwrap();
    let running = Running::start(Arc::clone(&ws), options()).await;
    t.edit_issue(repo, 1, title_edit("Signed change"));
    t.clear_requests();
    let body = read_sample("gitlab/webhook-issue_edited.json");
    let now = chrono::Utc::now().timestamp();
    let headers = |id: &str, ts: i64| -> Vec<(String, String)> {
        vec![
            ("X-Gitlab-Event".into(), "Issue Hook".into()),
            ("Idempotency-Key".into(), id.into()),
            ("webhook-id".into(), id.into()),
            ("webhook-timestamp".into(), ts.to_string()),
            (
                "webhook-signature".into(),
                standard_signature_of(&token, id, ts, &body),
            ),
        ]
    };
    let (status, _) = running
        .post("t", &headers("old", now - 3600), body.clone())
        .await;
    assert_eq!(status, 401, "signed an hour ago");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(issue_fetches(t), 0);
    let (status, _) = running
        .post("t", &headers("fresh", now), body.clone())
        .await;
    assert_eq!(status, 202);
    eventually("the signed delivery lands", || {
        ws.issue(&format!("t:{repo}#1")).unwrap().issue.title == "Signed change"
    })
    .await;
    running.stop().await;
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A flood to one connection's URL is capped (429) and coalesced: a burst about one
/// issue costs one fetch.
#[tokio::test(flavor = "multi_thread")]
async fn a_burst_is_capped_and_coalesced_into_one_fetch() {
    let fake = FakeGitea::start();
    let t: &dyn FakeTracker = &fake;
    let (_dir, ws, repo) = mirrored(t).await;
    let running = Running::start(
        Arc::clone(&ws),
        ServeOptions {
            rate: RateCap {
                burst: 5,
                per_second: 0.0,
            },
            debounce: Duration::from_millis(300),
            ..options()
        },
    )
    .await;
    t.edit_issue(repo, 1, title_edit("Burst"));
    t.clear_requests();
    let body = read_sample("gitea/webhook-issues_closed.json");
    let mut statuses = Vec::new();
    for i in 0..7 {
        let headers = signed(
            ProviderKind::Gitea,
            SECRET,
            &body,
            "issues",
            &format!("b-{i}"),
        );
        statuses.push(running.post("t", &headers, body.clone()).await.0);
    }
    assert_eq!(statuses, [202, 202, 202, 202, 202, 429, 429]);
    eventually("the burst lands", || {
        ws.issue(&format!("t:{repo}#1")).unwrap().issue.title == "Burst"
    })
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let fetches = t
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/issues/1"))
        .count();
    assert_eq!(fetches, 1, "five deliveries about one issue, one fetch");
    running.stop().await;
}

/// A secret made by `set_webhook_secret` verifies deliveries, and is nowhere in the
/// data dir.
#[tokio::test(flavor = "multi_thread")]
async fn a_generated_secret_verifies_deliveries_and_stays_out_of_the_database() {
    let fake = FakeGitHub::start();
    let t: &dyn FakeTracker = &fake;
    let (dir, ws, repo) = mirrored(t).await;
    let set = ws.set_webhook_secret("t", None).unwrap();
    let secret = set
        .generated
        .expect("a generated secret")
        .expose()
        .to_string();
    assert_eq!(secret.len(), 64);
    let running = Running::start(Arc::clone(&ws), options()).await;
    t.edit_issue(repo, 1, title_edit("With the new secret"));
    let body = read_sample("github/webhook-issues-edited.json");
    let (status, _) = running
        .post(
            "t",
            &signed(ProviderKind::Github, SECRET, &body, "issues", "x1"),
            body.clone(),
        )
        .await;
    assert_eq!(status, 401, "the old secret no longer verifies");
    let (status, _) = running
        .post(
            "t",
            &signed(ProviderKind::Github, &secret, &body, "issues", "x2"),
            body.clone(),
        )
        .await;
    assert_eq!(status, 202);
    eventually("the delivery lands", || {
        ws.issue(&format!("t:{repo}#1")).unwrap().issue.title == "With the new secret"
    })
    .await;
    running.stop().await;
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            bytes.extend(std::fs::read(path).unwrap());
        }
    }
    assert!(
        !crate::common::cli::contains_bytes(&bytes, &secret),
        "the webhook secret never reaches the data dir"
    );
}

/// `issuesync webhook secret` on a machine without a keychain: it says which variable to
/// set instead, and with that variable set it accepts a given secret without storing it.
#[test]
fn the_webhook_secret_command_names_the_variable_when_there_is_no_keychain() {
    let fake = FakeGitea::start();
    let t: &dyn FakeTracker = &fake;
    t.add_user("alice", Some(TOKEN));
    t.add_repo("team/app", false);
    let mut cli = crate::common::cli::Cli::mirroring(t, "team/app", TOKEN);
    cli.env(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/issuesync-test-no-bus",
    );
    let line = cli.run(&["webhook", "secret", "t"]).failure_line();
    assert!(line.contains("ISSUESYNC_WEBHOOK_SECRET_T"), "{line}");
    assert!(line.contains("keychain"), "{line}");

    cli.env("ISSUESYNC_WEBHOOK_SECRET_T", "from-the-environment");
    let run = cli.run_with_stdin(
        &["webhook", "secret", "t", "--stdin"],
        Some("given-secret\n"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.is_empty(),
        "a given secret is not printed: {}",
        run.stdout
    );
    assert!(run.stderr.contains("not stored"), "{}", run.stderr);
    assert!(
        run.stderr.contains("ISSUESYNC_WEBHOOK_SECRET_T"),
        "{}",
        run.stderr
    );
    let bytes = cli.data_dir_bytes();
    for secret in ["given-secret", "from-the-environment"] {
        assert!(
            !crate::common::cli::contains_bytes(&bytes, secret),
            "{secret} in the data dir"
        );
    }
}
