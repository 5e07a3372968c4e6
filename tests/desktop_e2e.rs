//! The real desktop window, end to end: the built app (`target/debug/issuesync-desktop`,
//! UI embedded with `--features custom-protocol`) in a headless X server, driven through
//! `tauri-driver` and `WebKitWebDriver`, against the in-process fake GitLab: connect with a
//! token, import a repository of a nested group, search, open an issue, edit its title,
//! meet a remote edit of the same title, resolve it side by side, see it on the tracker.
//!
//! Needs a display (Xvfb), a D-Bus session with an unlocked Secret Service (the app keeps
//! the token in the keychain, and runs once per D-Bus session), `tauri-driver`,
//! `WebKitWebDriver` and the app built with the UI, so it is `#[ignore]`d in a plain
//! `cargo test`; `scripts/test.sh` (and CI) builds all of it and runs it under
//! `dbus-run-session` + gnome-keyring + `xvfb-run`. The README says how to run it by hand.
//!
//! Invariants:
//! - The app gets a fresh `ISSUESYNC_DATA_DIR` and XDG dirs inside a temp dir, so it reads
//!   and writes nothing of the person's; the only keychain entry touched is the one its
//!   connection creates, and it is removed at the end, also when the test fails.
//! - tauri-driver, WebKitWebDriver and the app (with its WebKit helpers) are stopped by a
//!   Drop guard whatever happens; the smoke test checks that none survives.
//! - Waits poll (every 100 ms, up to 20 s per step); there is no fixed sleep. A step that
//!   times out names the `data-testid` and what it saw; a screenshot and the page source of
//!   the failure go to the system temp dir, and the error shows the driver's log.
//! - The tests take the window one at a time (one app instance per D-Bus session), and
//!   each gets at most five minutes in all (a WebDriver command has no deadline of its
//!   own), so a stuck window fails the test, naming its last step, instead of holding CI.
//! - The smoke test runs the renderer the app picks for the machine (under Xvfb: no
//!   compositing, `src-tauri/src/renderer.rs`); the story runs WebKitGTK's default one,
//!   what a machine with a GPU gets, since WebKit takes screenshots only when it composites.
//!
//! Overrides: `ISSUESYNC_E2E_APP` (the app binary), `ISSUESYNC_TAURI_DRIVER`,
//! `ISSUESYNC_WEBKIT_DRIVER` (default `/usr/bin/WebKitWebDriver`). With
//! `ISSUESYNC_SCREENSHOTS=1` the story writes its screenshots to `docs/screenshots/`.
//!
//! The desktop benchmark (`benches/desktop.rs`) drives the window with this harness
//! ([`Desktop::launch_with`] fills the data dir first); timings live there, not here.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context, Result};
use fantoccini::elements::Element;
use fantoccini::error::{CmdError, ErrorStatus};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use issuesync::secrets::{KeychainStore, SecretStore};
use issuesync::Workspace;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::common::cli::contains_bytes;
use crate::common::fake_gitlab::FakeGitLab;
use crate::common::tracker::{FakeTracker, NewIssue, RemoteEdit};

/// How long one step may take: an element to appear, a text to change, a sync to land.
const WAIT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(100);
/// tauri-driver up, then WebKitWebDriver starting the app and its web process.
const LAUNCH: Duration = Duration::from_secs(60);
/// How long the processes get to end on SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// How long one test may drive the window in all. A WebDriver command has no deadline of
/// its own (WebKitWebDriver's screenshot never answers when WebKit paints no frame for
/// it), so without this a stuck step would hold the run until CI's own limit.
const STORY_LIMIT: Duration = Duration::from_secs(300);
/// How long a screenshot may take before the step fails.
const SCREENSHOT_LIMIT: Duration = Duration::from_secs(30);

/// One app window at a time: a second instance in the same D-Bus session would hand over
/// to the first and exit (single-instance plugin).
static WINDOW: Mutex<()> = Mutex::new(());

// ----- the tests ------------------------------------------------------------------------

#[test]
#[ignore = "needs Xvfb, a Secret Service, tauri-driver and the built app: run scripts/test.sh"]
fn smoke_the_window_shows_the_core_version() {
    in_window(
        "smoke",
        Renderer::AsShipped,
        async |desktop: &mut Desktop| {
            let app_pids = desktop.app_pids();
            ensure!(
                !app_pids.is_empty(),
                "no process of {} runs under tauri-driver",
                desktop.app.display()
            );
            ensure!(
            desktop.client()?.title().await? == "IssueSync",
            "the window's page is not IssueSync's UI: is the app built with --features custom-protocol?"
        );
            // The core's version came over the real IPC into the page (the sidebar's label).
            desktop
                .wait_text(VERSION_LABEL, "the version label", |t| {
                    t.ends_with(&format!("v{}", issuesync::VERSION))
                })
                .await?;
            let version = desktop
            .client()?
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 window.__TAURI_INTERNALS__.invoke('app_version').then(done, e => done({ error: String(e) }));",
                vec![],
            )
            .await?;
            ensure!(
                version == json!(issuesync::VERSION),
                "app_version over IPC answered {version}"
            );
            // Frames are painted with the renderer the app chose for this machine (no WebDriver
            // screenshot: WebKit takes none without compositing; the story checks those).
            desktop.painted().await?;

            let survivors = desktop.quit().await;
            ensure!(
                survivors.is_empty(),
                "still running after the test: {survivors:?}"
            );
            let survived: Vec<u32> = app_pids.into_iter().filter(|&p| alive(p)).collect();
            ensure!(survived.is_empty(), "the app survived: {survived:?}");
            Ok(())
        },
    );
}

/// The version label in the sidebar.
const VERSION_LABEL: &str = "[data-testid=\"app-version\"]";

const TOKEN: &str = "e2e-gitlab-token-alice-7c41f0";
const CONNECTION: &str = "work";
const REPO: &str = "team/backend/app";
const OTHER_REPO: &str = "team/frontend/web";
/// The title of the issue the story edits: each side appends to it, and the merge keeps
/// both additions. Only `MERGED` contains `REMOTE`, and nothing shows `REMOTE` but the
/// remote side of the conflict.
const ORIGINAL: &str = "Sync stalls after a rate limit";
const LOCAL: &str = "Sync stalls after a rate limit is hit";
const REMOTE: &str = "Sync stalls after a rate limit (HTTP 429)";
const MERGED: &str = "Sync stalls after a rate limit is hit (HTTP 429)";
/// The issue's text: a screenshot uploaded to the project, and a tracking pixel from
/// another host (a loopback port nothing listens on, so even a load reaches nobody).
const BODY: &str = "After a 429 the next sync waits forever.\n\n![stalled sync](/uploads/4f2a/stalled.png)\n\nSeen with GitLab 17.8 ([the log](https://127.0.0.1:1/log)). ![](https://127.0.0.1:1/pixel.gif?reader=alice)";
const PIXEL: &str = "https://127.0.0.1:1/pixel.gif";

/// The fake GitLab: alice's token, two projects of the nested group `team/…` that she is a
/// member of, and a handful of issues in `team/backend/app`. Returns the fake and the
/// number (iid) of the issue the story edits.
fn seeded_gitlab() -> (FakeGitLab, u64) {
    let fake = FakeGitLab::start();
    fake.add_user("alice", Some(TOKEN));
    for repo in [REPO, OTHER_REPO] {
        fake.add_repo(repo, true);
        fake.add_member(repo, "alice");
    }
    let issue = |title: &'static str, body: &'static str, labels: Vec<&'static str>| NewIssue {
        title,
        body,
        author: "bob",
        labels,
        ..NewIssue::default()
    };
    fake.create_issue(
        REPO,
        issue("Login fails behind a corporate proxy", "", vec!["bug"]),
    );
    fake.create_issue(
        REPO,
        issue("Export the issue list as CSV", "", vec!["feature"]),
    );
    fake.create_issue(
        REPO,
        issue("Dark mode: code blocks are unreadable", "", vec!["ui"]),
    );
    fake.create_issue(REPO, issue("Search ignores closed issues", "", vec!["bug"]));
    let target = fake.create_issue(REPO, issue(ORIGINAL, BODY, vec!["bug", "sync"]));
    fake.create_issue(
        REPO,
        issue("Keyboard shortcut to jump to an issue", "", vec![]),
    );
    fake.create_issue(OTHER_REPO, issue("Landing page loads slowly", "", vec![]));
    (fake, target)
}

#[test]
#[ignore = "needs Xvfb, a Secret Service, tauri-driver and the built app: run scripts/test.sh"]
fn story_connect_import_edit_conflict_resolve_on_gitlab() {
    let (fake, number) = seeded_gitlab();
    let reference = format!("{CONNECTION}:{REPO}#{number}");
    in_window("story", Renderer::WebKitDefault, async |d: &mut Desktop| {
        // Connect: the dialog takes the provider, the URL, the token and a name.
        d.click(&tid("add-connection")).await?;
        d.select(&tid("connection-provider"), "gitlab").await?;
        d.fill(&tid("connection-url"), &fake.web_url()).await?;
        d.fill(&tid("connection-token"), TOKEN).await?;
        d.fill(&tid("connection-name"), CONNECTION).await?;
        let png = d.shot("connection-dialog", true).await?;
        ensure!(
            png_size(&png) == Some(d.viewport().await?),
            "the screenshot is not the window"
        );
        d.click(&tid("connection-submit")).await?;
        d.wait_text(&tid("connected-as"), "who the token belongs to", |t| {
            t.contains("alice")
        })
        .await?;
        d.step("connected");

        // Import: pick the nested-group project among the ones alice sees, then sync.
        d.fill(&tid("repo-search"), "team/").await?;
        d.wait_count(&tid("repo-option"), "alice's two projects", |n| n == 2)
            .await?;
        d.element(&tid_with("repo-option", "data-path", OTHER_REPO))
            .await?;
        d.click(&tid_with("repo-option", "data-path", REPO)).await?;
        d.poll("the picked repository to be mirrored", async || {
            let repos: Vec<String> = d.app_db_strings("SELECT full_path FROM repos");
            Ok(if repos == [REPO] {
                Probe::Done(())
            } else {
                Probe::NotYet(format!("repos in the app's database: {repos:?}"))
            })
        })
        .await?;
        d.click(&tid("done")).await?;
        d.click(&tid("sync-now")).await?;
        let rows = d
            .wait_count(&tid("issue-row"), "the 6 imported issues", |n| n == 6)
            .await?;
        for row in &rows {
            let r = row.attr("data-ref").await?.unwrap_or_default();
            ensure!(
                r.starts_with(&format!("{CONNECTION}:{REPO}#")),
                "an issue row of another repository: {r:?}"
            );
        }
        d.step("imported");
        d.shot("issue-list", true).await?;

        // Search, open the issue.
        d.fill(&tid("search-input"), "stalls").await?;
        d.poll(
            "the search to leave only the issue that stalls",
            async || {
                let rows = d.all(&tid("issue-row")).await?;
                let mut refs = Vec::new();
                for row in rows {
                    refs.push(row.attr("data-ref").await?.unwrap_or_default());
                }
                Ok(if refs == [reference.as_str()] {
                    Probe::Done(())
                } else {
                    Probe::NotYet(format!("rows: {refs:?}"))
                })
            },
        )
        .await?;
        d.click(&tid_with("issue-row", "data-ref", &reference))
            .await?;
        d.wait_text(&tid("issue-title"), "the issue's title", |t| {
            t.contains(ORIGINAL)
        })
        .await?;
        d.wait_text(&tid("issue-status"), "a synced issue", |t| {
            t.contains("synced")
        })
        .await?;
        d.shot("issue-view", true).await?;

        // The screenshot on the tracker shows; the pixel from elsewhere does not, until
        // the person asks for this issue's images.
        let upload = format!("{}/{REPO}/uploads/4f2a/stalled.png", fake.web_url());
        d.element(&format!("img[src=\"{}\"]", css_escape(&upload)))
            .await?;
        d.wait_text(&tid("hidden-images"), "one image held back", |t| {
            t.contains("1 image is not loaded")
        })
        .await?;
        d.wait_count(&tid("image-placeholder"), "the pixel's placeholder", |n| {
            n == 1
        })
        .await?;
        let pixel = format!("img[src^=\"{PIXEL}\"]");
        ensure!(
            d.all(&pixel).await?.is_empty(),
            "the tracking pixel is in the page before \"Load images\""
        );
        d.click(&tid("load-images")).await?;
        d.wait_count(&pixel, "the pixel, once asked for", |n| n == 1)
            .await?;
        d.wait_count(&tid("hidden-images"), "no images held back", |n| n == 0)
            .await?;
        d.step("images");

        // The window never leaves the app: the link in the text offers no context menu
        // ("Open Link" would navigate the webview), and a navigation a script starts is
        // refused by the shell's guard.
        let menu_refused = d
            .window()
            .execute(
                "const link = document.querySelector('.markdown a[href]');
                 if (!link) { return 'no link in the issue text'; }
                 const menu = new MouseEvent('contextmenu', { bubbles: true, cancelable: true });
                 link.dispatchEvent(menu);
                 return menu.defaultPrevented;",
                vec![],
            )
            .await?;
        ensure!(
            menu_refused == json!(true),
            "a link in issue text offers the webview's context menu: {menu_refused}"
        );
        let home = d.window().current_url().await?;
        d.window()
            .execute(
                "window.location.href = 'file:///etc/passwd'; return null;",
                vec![],
            )
            .await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = d.window().current_url().await?;
        ensure!(now == home, "the window navigated away: {home} → {now}");
        d.wait_text(&tid("issue-title"), "the app, still in the window", |t| {
            t.contains(ORIGINAL)
        })
        .await?;
        d.step("navigation");

        // Edit the title here; it waits in the outbox.
        d.click(&tid("edit-title")).await?;
        d.fill(&tid("title-input"), LOCAL).await?;
        d.click(&tid("save-title")).await?;
        d.wait_text(&tid("issue-title"), "the edited title", |t| {
            t.contains(LOCAL)
        })
        .await?;
        d.wait_text(&tid("issue-status"), "a pending edit", |t| {
            t.contains("pending")
        })
        .await?;
        d.wait_text(&tid("pending-count"), "one pending change", |t| t == "1")
            .await?;
        ensure!(
            tracker_title(&fake, number) == ORIGINAL,
            "the local edit reached the tracker before any sync"
        );
        d.step("edited");

        // Someone else retitles the same issue on the tracker; the next sync meets both.
        fake.edit_issue(
            REPO,
            number,
            RemoteEdit {
                title: Some(REMOTE.to_string()),
                ..RemoteEdit::default()
            },
        );
        fake.clear_requests();
        d.click(&tid("sync-now")).await?;
        d.wait_text(&tid("conflict-badge"), "one open conflict", |t| t == "1")
            .await?;
        d.wait_text(&tid("issue-status"), "the issue in conflict", |t| {
            t.contains("conflict")
        })
        .await?;
        ensure!(
            tracker_title(&fake, number) == REMOTE,
            "the sync overwrote the remote edit before the conflict was resolved: {:?}",
            tracker_title(&fake, number)
        );
        let writes = writes_seen(&fake);
        ensure!(
            writes.is_empty(),
            "the sync wrote to the tracker before the conflict was resolved: {writes:?}"
        );
        d.step("conflict");

        // The conflict view shows both titles side by side; settle on a merged one.
        d.click(&tid("conflict-badge")).await?;
        let item = format!(
            "{}[data-ref=\"{}\"][data-field=\"title\"]",
            tid("conflict-item"),
            css_escape(&reference)
        );
        d.click(&item).await?;
        d.element(&tid("take-local")).await?;
        d.element(&tid("take-remote")).await?;
        d.wait_text("body", "both titles side by side", |t| {
            t.contains(LOCAL) && t.contains(REMOTE)
        })
        .await?;
        d.shot("conflict-view", true).await?;
        d.click(&tid("edit-merged")).await?;
        d.fill(&tid("merged-input"), MERGED).await?;
        d.wait_text(
            &tid("push-preview"),
            "the title among what will be pushed",
            |t| t.to_lowercase().contains("title"),
        )
        .await?;
        ensure!(
            tracker_title(&fake, number) == REMOTE && writes_seen(&fake).is_empty(),
            "the tracker changed before \"Resolve and push\""
        );
        d.click(&tid("resolve-push")).await?;

        // The merged title lands on the tracker, and nothing is left to do.
        d.poll("the merged title on the fake GitLab", async || {
            let title = tracker_title(&fake, number);
            Ok(if title == MERGED {
                Probe::Done(())
            } else {
                Probe::NotYet(format!("the tracker's title: {title:?}"))
            })
        })
        .await?;
        d.wait_text(&tid("conflict-badge"), "no open conflict", |t| t == "0")
            .await?;
        d.wait_text(&tid("pending-count"), "nothing pending", |t| t == "0")
            .await?;
        d.step("resolved");
        d.shot("resolved", true).await?;
        let on_tracker = fake.issue(REPO, number).expect("the issue on the fake");
        ensure!(
            on_tracker.body == BODY && on_tracker.state == "open",
            "resolving the title changed other fields: {on_tracker:?}"
        );
        let writes = writes_seen(&fake);
        ensure!(
            writes.len() == 1 && writes[0].1.get("title") == Some(&json!(MERGED)),
            "expected one write of the merged title, got {writes:?}"
        );

        // The token lives in the keychain only; removing the connection deletes it.
        let survivors = d.quit().await;
        ensure!(survivors.is_empty(), "still running: {survivors:?}");
        let dir = d.data_dir().to_path_buf();
        ensure!(
            !contains_bytes(&dir_bytes(&dir), TOKEN),
            "the token is in the data dir"
        );
        let workspace = Workspace::open(&dir, Box::new(KeychainStore))?;
        let connection = workspace
            .connections()?
            .into_iter()
            .find(|c| c.name == CONNECTION)
            .context("the connection is not in the app's database")?;
        let stored = KeychainStore.get(&connection.secret_key, CONNECTION)?;
        ensure!(
            stored.as_ref().map(|s| s.expose()) == Some(TOKEN),
            "the keychain does not hold the token"
        );
        workspace.remove_connection(CONNECTION)?;
        ensure!(
            KeychainStore
                .get(&connection.secret_key, CONNECTION)?
                .is_none(),
            "removing the connection left its keychain entry"
        );
        Ok(())
    });
}

/// The tracker's current title of the story's issue.
fn tracker_title(fake: &FakeGitLab, number: u64) -> String {
    fake.issue(REPO, number)
        .map(|i| i.title)
        .unwrap_or_else(|| format!("<no issue #{number}>"))
}

/// Writes (POST, PUT, PATCH, DELETE) the fake saw since its requests were cleared.
fn writes_seen(fake: &FakeGitLab) -> Vec<(String, Value)> {
    fake.requests()
        .into_iter()
        .filter(|r| r.method != "GET" && r.method != "HEAD")
        .map(|r| {
            (
                format!("{} {}", r.method, r.path),
                r.body.unwrap_or(Value::Null),
            )
        })
        .collect()
}

/// Every byte of every file directly in `dir`.
fn dir_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.path().is_file() {
            all.extend(std::fs::read(entry.path()).unwrap_or_default());
        }
    }
    all
}

// ----- selectors ------------------------------------------------------------------------

/// `[data-testid="id"]`
pub(crate) fn tid(id: &str) -> String {
    format!("[data-testid=\"{}\"]", css_escape(id))
}

/// `[data-testid="id"][attr="value"]`
fn tid_with(id: &str, attr: &str, value: &str) -> String {
    format!("{}[{attr}=\"{}\"]", tid(id), css_escape(value))
}

/// Escapes a value for a double-quoted CSS attribute selector.
fn css_escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

// ----- running a test in the window ------------------------------------------------------

/// Which of WebKitGTK's renderers the app runs with in a test.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Renderer {
    /// What the app chooses for the machine (`src-tauri/src/renderer.rs`): without a GPU,
    /// as under Xvfb, WebKit does not composite, and then WebKitWebDriver's screenshot
    /// never answers.
    AsShipped,
    /// WebKitGTK's own default (`WEBKIT_DISABLE_DMABUF_RENDERER=0`, a value the app keeps),
    /// what a machine with a GPU runs: screenshots work.
    WebKitDefault,
}

impl Renderer {
    /// The app's environment for it (a `const fn`: the desktop benchmark's table of
    /// renderers takes it).
    pub(crate) const fn env(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Renderer::AsShipped => &[],
            Renderer::WebKitDefault => &[("WEBKIT_DISABLE_DMABUF_RENDERER", "0")],
        }
    }
}

/// Starts the app, runs `story` against it, and always stops it. A failed story's error is
/// shown with a screenshot (when WebKit takes one), the page source and the driver's log.
fn in_window<F>(test: &'static str, renderer: Renderer, story: F)
where
    F: AsyncFnOnce(&mut Desktop) -> Result<()>,
{
    let _one_at_a_time = WINDOW.lock().unwrap_or_else(|e| e.into_inner());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let mut desktop = match Desktop::launch_with(test, renderer.env(), |_| Ok(())).await {
            Ok(d) => d,
            Err(e) => panic!("{test}: the app did not start: {e:#}"),
        };
        let outcome = match tokio::time::timeout(STORY_LIMIT, story(&mut desktop)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(anyhow!(
                "not done within {STORY_LIMIT:?}; the last step that finished: {}",
                desktop.last_step()
            )),
        };
        if let Err(e) = outcome {
            let evidence = desktop.evidence().await;
            panic!("{test} failed: {e:#}\n{evidence}");
        }
        let survivors = desktop.quit().await;
        assert!(survivors.is_empty(), "{test}: still running: {survivors:?}");
    });
}

/// What a probe of [`Desktop::poll`] found.
enum Probe<T> {
    Done(T),
    /// Not yet; what was seen instead (shown if the wait times out).
    NotYet(String),
}

/// The running app, its WebDriver session and its temp dir.
///
/// Fields drop in order: the session, the processes (stopped), the keychain entries of
/// the app's connections (removed once the app is gone), the temp dir (deleted).
pub(crate) struct Desktop {
    client: Option<Client>,
    driver: DriverProcess,
    _keychain: KeychainGuard,
    dir: TempDir,
    test: &'static str,
    app: PathBuf,
    started: Instant,
    /// The last milestone [`Desktop::step`] logged (named when a test runs out of time).
    last_step: std::sync::Mutex<String>,
    /// When the WebDriver session (which starts the app) was asked for (read by the
    /// desktop benchmark only).
    #[allow(dead_code)]
    pub(crate) session_requested: std::time::SystemTime,
}

impl Desktop {
    /// Starts the app with `extra_env` (a [`Renderer`]'s, say) after `prepare` filled its
    /// fresh data dir (the desktop benchmark puts a big mirror there).
    pub(crate) async fn launch_with(
        test: &'static str,
        extra_env: &[(&str, &str)],
        prepare: impl FnOnce(&Path) -> Result<()>,
    ) -> Result<Desktop> {
        let app = app_binary()?;
        let tauri_driver = tauri_driver_binary()?;
        let webkit_driver = webkit_driver_binary()?;
        ensure!(
            std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some(),
            "no display: run under `xvfb-run -a` (scripts/test.sh does)"
        );
        ensure!(
            std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
            "no D-Bus session: run under `dbus-run-session` with an unlocked gnome-keyring (scripts/test.sh does)"
        );

        let dir = tempfile::Builder::new()
            .prefix(&format!("issuesync-e2e-{test}-"))
            .tempdir()?;
        let data_dir = dir.path().join("data");
        let mut env = vec![("ISSUESYNC_DATA_DIR".to_string(), data_dir.clone())];
        // WebKit's storage, caches and GTK's settings stay in the temp dir too.
        for (var, sub) in [
            ("XDG_DATA_HOME", "xdg-data"),
            ("XDG_CONFIG_HOME", "xdg-config"),
            ("XDG_CACHE_HOME", "xdg-cache"),
            ("XDG_STATE_HOME", "xdg-state"),
        ] {
            env.push((var.to_string(), dir.path().join(sub)));
        }
        for (_, path) in &env {
            std::fs::create_dir_all(path)?;
        }
        prepare(&data_dir)?;
        env.extend(
            extra_env
                .iter()
                .map(|(k, v)| (k.to_string(), PathBuf::from(v))),
        );
        let log = dir.path().join("driver.log");
        let mut driver = DriverProcess::spawn(&tauri_driver, &webkit_driver, &env, &log)
            .with_context(|| format!("starting {}", tauri_driver.display()))?;
        let keychain = KeychainGuard { data_dir };

        driver.wait_ready().await?;
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "tauri:options".into(),
            json!({ "application": app, "args": [] }),
        );
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities);
        let url = driver.url();
        let session_requested = std::time::SystemTime::now();
        let client = match tokio::time::timeout(LAUNCH, builder.connect(&url)).await {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => bail!(
                "WebDriver session not created: {e}\n\
                 (another IssueSync in this D-Bus session makes the new one exit: run under dbus-run-session)\n{}",
                driver.log_tail()
            ),
            Err(_) => bail!(
                "WebDriver session not created within {LAUNCH:?}\n{}",
                driver.log_tail()
            ),
        };
        let desktop = Desktop {
            client: Some(client),
            driver,
            _keychain: keychain,
            dir,
            test,
            app,
            started: Instant::now(),
            last_step: std::sync::Mutex::new(String::new()),
            session_requested,
        };
        desktop.step("window up");
        Ok(desktop)
    }

    fn client(&self) -> Result<&Client> {
        self.client
            .as_ref()
            .ok_or_else(|| anyhow!("the window was already closed"))
    }

    fn data_dir(&self) -> &Path {
        &self._keychain.data_dir
    }

    /// Logs a milestone with the time since the window came up.
    fn step(&self, what: &str) {
        let line = format!("{what} at {:.1}s", self.started.elapsed().as_secs_f32());
        eprintln!("e2e {}: {line}", self.test);
        *self.last_step.lock().unwrap_or_else(|e| e.into_inner()) = line;
    }

    /// What [`Desktop::step`] logged last.
    fn last_step(&self) -> String {
        self.last_step
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A screenshot of the window (PNG), or an error once [`SCREENSHOT_LIMIT`] passes.
    async fn screenshot(&self) -> Result<Vec<u8>> {
        match tokio::time::timeout(SCREENSHOT_LIMIT, self.client()?.screenshot()).await {
            Ok(png) => Ok(png?),
            Err(_) => bail!(
                "WebKitWebDriver took no screenshot within {SCREENSHOT_LIMIT:?} \
                 (WebKit paints none when it composites nothing: WEBKIT_DISABLE_DMABUF_RENDERER=1?)"
            ),
        }
    }

    /// Processes of the app binary under tauri-driver (by `/proc/PID/exe`).
    pub(crate) fn app_pids(&self) -> Vec<u32> {
        let app = std::fs::canonicalize(&self.app).unwrap_or_else(|_| self.app.clone());
        descendants(self.driver.child.id())
            .into_iter()
            .filter(|&pid| {
                std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == app)
            })
            .collect()
    }

    /// Closes the session and stops every process; returns those that would not stop.
    pub(crate) async fn quit(&mut self) -> Vec<String> {
        if let Some(client) = self.client.take() {
            // Ends the session: WebKitWebDriver closes the app's window.
            let _ = tokio::time::timeout(Duration::from_secs(10), client.close()).await;
        }
        self.driver.stop()
    }

    /// Polls `probe` until it is done, up to [`WAIT`]. Errors that a later probe may not
    /// see (no such element yet, not clickable yet, stale) are retried; others fail at once.
    async fn poll<T>(
        &self,
        what: &str,
        mut probe: impl AsyncFnMut() -> Result<Probe<T>, CmdError>,
    ) -> Result<T> {
        let deadline = Instant::now() + WAIT;
        loop {
            let seen = match probe().await {
                Ok(Probe::Done(value)) => return Ok(value),
                Ok(Probe::NotYet(seen)) => seen,
                Err(e) if e.is_no_such_element() => {
                    "no such element (does the UI have it, and is that UI built into the app: \
                     `(cd ui && npm run build)` before `cargo build`?)"
                        .to_string()
                }
                Err(e) if retryable(&e) => e.to_string(),
                Err(e) => bail!("waiting for {what}: {e}"),
            };
            if Instant::now() >= deadline {
                bail!("waiting for {what}: not within {WAIT:?}; last seen: {seen}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The first element matching `css`, once there is one.
    async fn element(&self, css: &str) -> Result<Element> {
        self.poll(&format!("an element {css}"), async || {
            Ok(Probe::Done(self.find(css).await?))
        })
        .await
    }

    /// The session; the story drives the window only before [`Desktop::quit`].
    pub(crate) fn window(&self) -> &Client {
        self.client.as_ref().expect("the window is still open")
    }

    /// Every element matching `css` now (maybe none).
    async fn all(&self, css: &str) -> Result<Vec<Element>, CmdError> {
        self.window().find_all(Locator::Css(css)).await
    }

    async fn find(&self, css: &str) -> Result<Element, CmdError> {
        self.window().find(Locator::Css(css)).await
    }

    /// Clicks the element matching `css` once it is there, enabled and clickable (a click
    /// on a disabled button does nothing, so it waits for the button to be enabled).
    async fn click(&self, css: &str) -> Result<()> {
        self.poll(&format!("{css} to be clickable"), async || {
            let element = self.find(css).await?;
            if !element.is_enabled().await? {
                return Ok(Probe::NotYet("disabled".to_string()));
            }
            element.click().await?;
            Ok(Probe::Done(()))
        })
        .await
    }

    /// Replaces the value of the input matching `css` with `text`.
    async fn fill(&self, css: &str, text: &str) -> Result<()> {
        self.poll(&format!("{css} to take {text:?}"), async || {
            let input = self.find(css).await?;
            input.clear().await?;
            input.send_keys(text).await?;
            let value = input.prop("value").await?.unwrap_or_default();
            Ok(if value == text {
                Probe::Done(())
            } else {
                Probe::NotYet(format!("its value: {value:?}"))
            })
        })
        .await
    }

    /// Chooses the option with `value` in the select matching `css`.
    async fn select(&self, css: &str, value: &str) -> Result<()> {
        self.poll(&format!("{css} to select {value:?}"), async || {
            let select = self.find(css).await?;
            select.select_by_value(value).await?;
            let now = select.prop("value").await?.unwrap_or_default();
            Ok(if now == value {
                Probe::Done(())
            } else {
                Probe::NotYet(format!("selected: {now:?}"))
            })
        })
        .await
    }

    /// Waits until the text of the element matching `css` satisfies `ok`.
    async fn wait_text(&self, css: &str, what: &str, ok: impl Fn(&str) -> bool) -> Result<String> {
        self.poll(&format!("{what} in {css}"), async || {
            let text = self.find(css).await?.text().await?;
            let text = text.trim().to_string();
            Ok(if ok(&text) {
                Probe::Done(text)
            } else {
                Probe::NotYet(format!("its text: {text:?}"))
            })
        })
        .await
    }

    /// Waits until the number of elements matching `css` satisfies `ok`; returns them.
    pub(crate) async fn wait_count(
        &self,
        css: &str,
        what: &str,
        ok: impl Fn(usize) -> bool,
    ) -> Result<Vec<Element>> {
        self.poll(&format!("{what} ({css})"), async || {
            let found = self.all(css).await?;
            Ok(if ok(found.len()) {
                Probe::Done(found)
            } else {
                Probe::NotYet(format!("{} of them", found.len()))
            })
        })
        .await
    }

    /// The window's viewport in CSS pixels (what a screenshot covers).
    async fn viewport(&self) -> Result<(u32, u32)> {
        let size = self
            .client()?
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await?;
        let dim = |i: usize| size[i].as_u64().and_then(|v| u32::try_from(v).ok());
        dim(0)
            .zip(dim(1))
            .ok_or_else(|| anyhow!("no viewport size in {size}"))
    }

    /// Waits until the page has painted what its DOM holds now: WebKit's screenshot is the
    /// last painted frame, which lags behind the DOM that the waits look at (the first paint
    /// after launch takes seconds under Xvfb). Two animation frames mean one paint happened
    /// in between.
    async fn painted(&self) -> Result<()> {
        let painted = self
            .client()?
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 requestAnimationFrame(() => requestAnimationFrame(() => done(true)));
                 setTimeout(() => done(false), 20000);",
                vec![],
            )
            .await?;
        ensure!(painted == json!(true), "the page did not paint within 20 s");
        Ok(())
    }

    /// Takes a screenshot (PNG) into the temp dir; with `publish` and
    /// `ISSUESYNC_SCREENSHOTS=1`, also to `docs/screenshots/NAME.png`.
    async fn shot(&self, name: &str, publish: bool) -> Result<Vec<u8>> {
        self.painted().await?;
        let png = self.screenshot().await?;
        ensure!(
            png_size(&png).is_some(),
            "the screenshot {name} is not a PNG"
        );
        std::fs::write(self.dir.path().join(format!("{name}.png")), &png)?;
        if publish && std::env::var("ISSUESYNC_SCREENSHOTS").is_ok_and(|v| v == "1") {
            let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
            std::fs::create_dir_all(&docs)?;
            let path = docs.join(format!("{name}.png"));
            std::fs::write(&path, &png)?;
            eprintln!("e2e {}: wrote {}", self.test, path.display());
        }
        Ok(png)
    }

    /// A screenshot and the page source of the failure (kept in the system temp dir) and
    /// the tail of the driver's and the app's log.
    pub(crate) async fn evidence(&self) -> String {
        let mut lines = Vec::new();
        let stem = std::env::temp_dir().join(format!(
            "issuesync-e2e-{}-{}",
            self.test,
            std::process::id()
        ));
        if let Ok(client) = self.client() {
            match self.screenshot().await {
                Ok(png) => {
                    let path = stem.with_extension("png");
                    if std::fs::write(&path, png).is_ok() {
                        lines.push(format!("screenshot of the failure: {}", path.display()));
                    }
                }
                Err(e) => lines.push(format!("no screenshot: {e}")),
            }
            if let Ok(Ok(source)) = tokio::time::timeout(SCREENSHOT_LIMIT, client.source()).await {
                let path = stem.with_extension("html");
                if std::fs::write(&path, source).is_ok() {
                    lines.push(format!("page source: {}", path.display()));
                }
            }
        }
        lines.push(self.driver.log_tail());
        lines.join("\n")
    }

    /// One text column of the app's database (read-only; empty if it is not there yet).
    fn app_db_strings(&self, sql: &str) -> Vec<String> {
        let path = self.data_dir().join("issuesync.db");
        let Ok(db) = rusqlite::Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        ) else {
            return Vec::new();
        };
        let Ok(mut statement) = db.prepare(sql) else {
            return Vec::new();
        };
        statement
            .query_map([], |row| row.get::<_, String>(0))
            .map(|rows| rows.flatten().collect())
            .unwrap_or_default()
    }
}

/// Errors a later try may not see: the element is not there yet, not clickable yet, or was
/// replaced by a re-render.
fn retryable(e: &CmdError) -> bool {
    e.is_no_such_element()
        || e.is_stale_element_reference()
        || e.is_element_not_interactable()
        || e.is_invalid_element_state()
        || matches!(e, CmdError::Standard(w) if w.error == ErrorStatus::ElementClickIntercepted)
}

/// Width and height from a PNG's IHDR, if `bytes` is a PNG.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.len() < 24 || &bytes[..8] != SIGNATURE || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Some((be(&bytes[16..20]), be(&bytes[20..24])))
}

// ----- binaries -------------------------------------------------------------------------

/// `target/<profile>/issuesync-desktop` beside this test binary (`target/<profile>/deps/`).
fn app_binary() -> Result<PathBuf> {
    let path = match std::env::var_os("ISSUESYNC_E2E_APP") {
        Some(p) => PathBuf::from(p),
        None => std::env::current_exe()?
            .parent()
            .and_then(Path::parent)
            .context("no target dir above the test binary")?
            .join("issuesync-desktop"),
    };
    ensure!(
        path.is_file(),
        "no app at {}: build it with `(cd ui && npm run build) && cargo build -p issuesync-desktop --features custom-protocol`",
        path.display()
    );
    Ok(std::fs::canonicalize(&path)?)
}

fn tauri_driver_binary() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("ISSUESYNC_TAURI_DRIVER") {
        return Ok(PathBuf::from(p));
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|dir| dir.join("tauri-driver"));
    let in_cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".cargo")))
        .map(|c| c.join("bin/tauri-driver"));
    on_path.chain(in_cargo_home).find(|p| p.is_file()).context(
        "no tauri-driver on PATH or in ~/.cargo/bin: `cargo install tauri-driver --locked`",
    )
}

fn webkit_driver_binary() -> Result<PathBuf> {
    let path = std::env::var_os("ISSUESYNC_WEBKIT_DRIVER")
        .map_or_else(|| PathBuf::from("/usr/bin/WebKitWebDriver"), PathBuf::from);
    ensure!(
        path.is_file(),
        "no {}: install Debian's webkit2gtk-driver (scripts/setup-debian.sh does)",
        path.display()
    );
    Ok(path)
}

// ----- processes ------------------------------------------------------------------------

/// tauri-driver on a free port, with WebKitWebDriver on another; both, and the app that
/// WebKitWebDriver starts, inherit `env`. Output goes to `log`.
struct DriverProcess {
    child: Child,
    port: u16,
    log: PathBuf,
    stopped: bool,
}

impl DriverProcess {
    fn spawn(
        tauri_driver: &Path,
        webkit_driver: &Path,
        env: &[(String, PathBuf)],
        log: &Path,
    ) -> Result<DriverProcess> {
        let (port, native_port) = (free_port()?, free_port()?);
        let out = std::fs::File::create(log)?;
        let mut command = Command::new(tauri_driver);
        command
            .arg("--port")
            .arg(port.to_string())
            .arg("--native-port")
            .arg(native_port.to_string())
            .arg("--native-host")
            .arg("127.0.0.1")
            .arg("--native-driver")
            .arg(webkit_driver)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("ISSUESYNC_") {
                command.env_remove(key);
            }
        }
        for (key, value) in env {
            command.env(key, value);
        }
        Ok(DriverProcess {
            child: command.spawn()?,
            port,
            log: log.to_path_buf(),
            stopped: false,
        })
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Waits until tauri-driver answers `GET /status` with 200, which it proxies to
    /// WebKitWebDriver: both are up.
    async fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + LAUNCH;
        let address = SocketAddr::from(([127, 0, 0, 1], self.port));
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "tauri-driver exited ({status}) before it was ready\n{}",
                    self.log_tail()
                );
            }
            if status_ok(address) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "tauri-driver did not answer on {address} within {LAUNCH:?}\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The last lines of the driver's and the app's output.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(40)..].join("\n");
        format!("--- last lines of {} ---\n{tail}\n---", self.log.display())
    }

    /// SIGTERM to tauri-driver and everything under it (WebKitWebDriver, the app, its
    /// WebKit processes), SIGKILL to what is left after [`STOP_GRACE`]. Returns what
    /// survived even that (`pid comm`). Idempotent.
    fn stop(&mut self) -> Vec<String> {
        if self.stopped {
            return Vec::new();
        }
        self.stopped = true;
        // Taken before the first signal: once a parent dies, its children move to init.
        let tree = descendants(self.child.id());
        for signal in [Signal::SIGTERM, Signal::SIGKILL] {
            for &pid in &tree {
                if alive(pid) {
                    let _ = kill(Pid::from_raw(pid as i32), signal);
                }
            }
            let deadline = Instant::now()
                + if signal == Signal::SIGTERM {
                    STOP_GRACE
                } else {
                    Duration::from_secs(2)
                };
            while Instant::now() < deadline {
                let _ = self.child.try_wait();
                if !tree.iter().any(|&p| alive(p)) {
                    return Vec::new();
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = self.child.try_wait();
        tree.into_iter()
            .filter(|&p| alive(p))
            .map(|p| format!("{p} {}", comm(p)))
            .collect()
    }
}

impl Drop for DriverProcess {
    fn drop(&mut self) {
        let survivors = self.stop();
        if !survivors.is_empty() {
            eprintln!("e2e: could not stop {survivors:?}");
        }
    }
}

/// Removes the app's connections with their keychain entries once the app is stopped, so a
/// failed test leaves no token behind. Only connections of this test's data dir.
struct KeychainGuard {
    data_dir: PathBuf,
}

impl Drop for KeychainGuard {
    fn drop(&mut self) {
        if !self.data_dir.join("issuesync.db").exists() {
            return;
        }
        let workspace = match Workspace::open(&self.data_dir, Box::new(KeychainStore)) {
            Ok(w) => w,
            Err(e) => return eprintln!("e2e: cannot clean up the keychain: {e}"),
        };
        for connection in workspace.connections().unwrap_or_default() {
            match workspace.remove_connection(&connection.name) {
                Ok(removed) => match removed.keychain_warning {
                    Some(warning) => {
                        eprintln!("e2e: keychain entry of {}: {warning}", connection.name);
                    }
                    None => eprintln!(
                        "e2e: removed the connection {} and its keychain entry",
                        connection.name
                    ),
                },
                Err(e) => eprintln!("e2e: removing connection {}: {e}", connection.name),
            }
        }
    }
}

/// A port that was free a moment ago.
fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Whether `GET /status` on `address` answers 200.
fn status_ok(address: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET /status HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

/// `/proc/PID/stat`: (state, parent pid).
fn stat(pid: u32) -> Option<(char, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    let mut rest = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = rest.next()?.chars().next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some((state, ppid))
}

/// Running, i.e. neither gone nor a zombie.
fn alive(pid: u32) -> bool {
    stat(pid).is_some_and(|(state, _)| state != 'Z' && state != 'X')
}

pub(crate) fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|c| c.trim().to_string())
        .unwrap_or_default()
}

/// `root` and every process below it.
pub(crate) fn descendants(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        if let Some((_, ppid)) = stat(pid) {
            children.entry(ppid).or_default().push(pid);
        }
    }
    let mut all = vec![root];
    let mut i = 0;
    while i < all.len() {
        all.extend(children.get(&all[i]).into_iter().flatten());
        i += 1;
    }
    all
}
