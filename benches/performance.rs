//! The performance benchmark against the physical bounds: how many requests a sync
//! spends (the trackers' rate limits are what bounds a sync), how fast a big first
//! import runs over loopback HTTP, and how fast the local queries of the desktop app
//! answer at 100,000 issues and 300,000 comments.
//!
//! Everything runs against the in-process fake trackers of the integration tests
//! (`tests/common`, on 127.0.0.1), through the real `issuesync` binary on a temporary
//! data dir; nothing reaches the internet or the user's data. Figures go to
//! `BENCHMARKS.md` (each beside its bound) and `bench-results/performance.json`.
//! Timings live here, never in tests.
//!
//! `cargo bench --bench performance` runs the full sizes (about five minutes on two
//! cores); `cargo bench --bench performance -- --quick` runs a tenth of them;
//! `--only-import` skips the request counts (for profiling the import) and writes no file;
//! `BENCH_KEEP_DATA=DIR` keeps a copy of the imported mirror's data dir there.

#[path = "../tests/common/mod.rs"]
#[allow(dead_code, unused_imports)]
mod common;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use common::cli::Cli;
use common::fake_gitea::FakeGitea;
use common::fake_github::FakeGitHub;
use common::fake_gitlab::FakeGitLab;
use common::tracker::{FakeTracker, NewIssue, RemoteEdit, SeenRequest};
use issuesync::model::{IssueState, ProviderKind};
use issuesync::secrets::MemoryStore;
use issuesync::store::issues::{IssueQuery, IssueSort};
use issuesync::workspace::ImageChoice;
use issuesync::Workspace;
use serde_json::{json, Value};

const TOKEN: &str = "bench-token";
const REPO: &str = "team/app";
const GITLAB_REPO: &str = "team/backend/app";

/// The sizes of one run.
struct Scale {
    /// Issues and comments per tracker in the request-count scenario.
    requests: [(usize, usize); 2],
    /// Issues and comments of the throughput import (and of the local queries).
    import: (usize, usize),
}

const FULL: Scale = Scale {
    requests: [(1_000, 3_000), (5_000, 15_000)],
    import: (100_000, 300_000),
};
const QUICK: Scale = Scale {
    requests: [(200, 600), (1_000, 3_000)],
    import: (10_000, 30_000),
};

/// Words of issue text: a few very common technical words, then a long tail drawn with
/// a Zipf distribution (as words of real text are), so searches meet both.
struct Words {
    common: &'static [&'static str],
    cumulative: Vec<f64>,
    rng: fastrand::Rng,
}

impl Words {
    fn new() -> Self {
        let mut total = 0.0;
        let cumulative = (1..=20_000)
            .map(|k| {
                total += 1.0 / f64::from(k);
                total
            })
            .collect();
        Self {
            common: &[
                "crash", "login", "sync", "timeout", "render", "export", "cache", "memory",
                "button", "keyboard", "token", "proxy", "search", "filter", "label", "release",
            ],
            cumulative,
            rng: fastrand::Rng::with_seed(7),
        }
    }

    fn tail(&mut self) -> String {
        let total = *self.cumulative.last().unwrap();
        let x = self.rng.f64() * total;
        let k = self.cumulative.partition_point(|&c| c < x);
        // Pronounceable, distinct words: "kabo", "temuri", …
        const SYLLABLES: [&str; 16] = [
            "ka", "bo", "te", "mu", "ri", "sa", "no", "pe", "li", "da", "vo", "xi", "fu", "ge",
            "ha", "jo",
        ];
        let mut word = String::new();
        let mut n = k + 16;
        while n > 0 {
            word.push_str(SYLLABLES[n % 16]);
            n /= 16;
        }
        word
    }

    fn text(&mut self, common: usize, tail: usize) -> String {
        let mut words: Vec<String> = (0..common)
            .map(|_| self.common[self.rng.usize(..self.common.len())].to_string())
            .collect();
        words.extend((0..tail).map(|_| self.tail()));
        words.join(" ")
    }
}

/// Seeds `repo` with `issues` issues and `comments` comments spread over them.
fn seed(t: &dyn FakeTracker, repo: &str, issues: usize, comments: usize, words: &mut Words) {
    t.add_user("alice", Some(TOKEN));
    t.add_user("bob", None);
    t.add_repo(repo, false);
    for name in ["bug", "ui", "p1", "docs"] {
        t.add_label(repo, name, "ee0701");
    }
    let mut numbers = Vec::with_capacity(issues);
    for n in 0..issues {
        let title = words.text(2, 3);
        let body = words.text(2, 40);
        let labels = match n % 4 {
            0 => vec!["bug"],
            1 => vec!["ui", "p1"],
            2 => vec!["docs"],
            _ => vec![],
        };
        let assignees = if n % 3 == 0 { vec!["alice"] } else { vec![] };
        numbers.push(t.create_issue(
            repo,
            NewIssue {
                title: &title,
                body: &body,
                author: "bob",
                labels,
                assignees,
                ..NewIssue::default()
            },
        ));
        if n % 5 == 4 {
            t.edit_issue(
                repo,
                numbers[n],
                RemoteEdit {
                    state: Some("closed".into()),
                    ..RemoteEdit::default()
                },
            );
        }
    }
    for c in 0..comments {
        // Uneven, as in real projects: a few issues collect most of the discussion.
        let i = if c % 2 == 0 {
            words.rng.usize(..issues.div_ceil(10))
        } else {
            words.rng.usize(..issues)
        };
        let body = words.text(1, 15);
        t.add_comment(repo, numbers[i], "bob", &body);
    }
}

/// Runs one `sync --json`; its wall time.
fn sync(cli: &Cli) -> Duration {
    let started = Instant::now();
    let run = cli.run(&["sync", "--json"]);
    let took = started.elapsed();
    assert_eq!(run.code, 0, "sync: {}", run.stderr);
    let summary = run.json();
    assert!(
        summary["repos"]
            .as_array()
            .is_some_and(|r| r.iter().all(|r| r["error"].is_null())),
        "sync failed: {summary}"
    );
    took
}

/// Listing requests (of issues, comments, notes) among `seen`.
/// A GitHub first import goes by GraphQL: each import query (one point each at 49
/// issues a page, by GitHub's cost formula) counts as one listing.
fn listings(seen: &[SeenRequest]) -> usize {
    seen.iter()
        .filter(|r| {
            (r.method == "GET"
                && (r.path.ends_with("/issues")
                    || r.path.ends_with("/comments")
                    || r.path.ends_with("/notes")))
                || (r.method == "POST" && r.path == "/api/graphql")
        })
        .count()
}

/// The largest page each tracker serves (GitHub, GitLab: 100; Gitea: its
/// `MAX_RESPONSE_ITEMS`, 50 by default, here [`GITEA_MAX_RESPONSE_ITEMS`]).
fn page_of(kind: ProviderKind) -> usize {
    match kind {
        ProviderKind::Gitea => GITEA_MAX_RESPONSE_ITEMS,
        _ => 100,
    }
}

/// The benchmarked Gitea raised `MAX_RESPONSE_ITEMS`, as larger instances do.
const GITEA_MAX_RESPONSE_ITEMS: usize = 100;

struct Row {
    scenario: String,
    figure: String,
    bound: String,
    ratio: Option<f64>,
}

fn row(
    rows: &mut Vec<Row>,
    scenario: &str,
    figure: impl ToString,
    bound: impl ToString,
    ratio: Option<f64>,
) {
    rows.push(Row {
        scenario: scenario.to_string(),
        figure: figure.to_string(),
        bound: bound.to_string(),
        ratio,
    });
}

/// Requests of a first import, an unchanged re-sync and a re-sync with 10 remote edits,
/// on each tracker at two sizes: beside the lower bound of each.
fn requests(scale: &Scale, rows: &mut Vec<Row>, out: &mut Vec<Value>) {
    for (issues, comments) in scale.requests {
        let trackers: Vec<(Box<dyn FakeTracker>, &str)> = vec![
            (Box::new(FakeGitHub::start()), REPO),
            (
                Box::new(FakeGitea::start().with_max_response_items(GITEA_MAX_RESPONSE_ITEMS)),
                REPO,
            ),
            (Box::new(FakeGitLab::start()), GITLAB_REPO),
        ];
        for (t, repo) in trackers {
            let kind = t.kind();
            let mut words = Words::new();
            seed(t.as_ref(), repo, issues, comments, &mut words);
            let cli = Cli::connected(t.as_ref(), repo, TOKEN);
            let page = page_of(kind);
            t.clear_requests();
            let first_time = sync(&cli);
            let first = t.requests();
            let with_comments = {
                let numbers: std::collections::BTreeSet<u64> = (1..=issues as u64)
                    .filter(|&n| !t.comment_bodies(repo, n).is_empty())
                    .collect();
                numbers.len()
            };
            // GitHub and Gitea list a repository's comments in one listing; GitLab has
            // none, so its bound is a notes request per issue that has notes.
            let bound = match kind {
                ProviderKind::Gitlab => issues.div_ceil(page) + with_comments,
                _ => issues.div_ceil(page) + comments.div_ceil(page),
            };
            let first_listings = listings(&first);
            // The first round after an import lists newest-first for the first time
            // (one paid page); from then on an unchanged repository is a free 304.
            t.advance_clock(60);
            sync(&cli);
            t.advance_clock(60);
            t.clear_requests();
            sync(&cli);
            let unchanged_seen = t.requests();
            let unchanged = unchanged_seen.len();
            let unchanged_bound = if kind == ProviderKind::Github { 1 } else { 2 };
            t.advance_clock(60);
            for n in 1..=10u64 {
                t.edit_issue(
                    repo,
                    n * (issues as u64 / 10),
                    RemoteEdit {
                        title: Some(format!("edited {n}")),
                        ..RemoteEdit::default()
                    },
                );
            }
            t.clear_requests();
            sync(&cli);
            let ten = t.requests();
            let label = format!("{kind}, {issues} issues, {comments} comments");
            row(
                rows,
                &format!(
                    "first import: list requests ({label}){}",
                    if kind == ProviderKind::Github {
                        " — GraphQL import queries, 1 point each, against the REST bound"
                    } else {
                        ""
                    }
                ),
                first_listings,
                bound,
                Some(first_listings as f64 / bound as f64),
            );
            row(
                rows,
                &format!("unchanged re-sync: requests ({label})"),
                unchanged,
                unchanged_bound,
                Some(unchanged as f64 / unchanged_bound as f64),
            );
            row(
                rows,
                &format!("10 issues edited: requests ({label})"),
                ten.len(),
                "1 listing page + the edited issues' comments",
                None,
            );
            out.push(json!({
                "tracker": kind.as_str(), "issues": issues, "comments": comments,
                "first_import_list_requests": first_listings,
                "first_import_requests": first.len(),
                "first_import_bound": bound,
                "first_import_seconds": first_time.as_secs_f64(),
                "unchanged_resync_requests": unchanged,
                "unchanged_resync_bound": unchanged_bound,
                "unchanged_resync_paths": unchanged_seen.iter().map(|r| format!("{} {} {:?}", r.method, r.path, r.query)).collect::<Vec<_>>(),
                "ten_edited_requests": ten.len(),
                "ten_edited_paths": ten.iter().map(|r| format!("{} {}", r.method, r.path)).collect::<Vec<_>>(),
            }));
        }
    }
}

/// A GitHub first import by REST (GraphQL off in the fake) against one by GraphQL, for a
/// repository with many comments (10 an issue on average) and for the request-count
/// shape (3 an issue): REST requests against GraphQL points (summed from the answers'
/// `rateLimit.cost`) plus the REST requests the GraphQL import still makes (labels,
/// milestones, comments beyond a page). The two budgets are separate (5,000 an hour
/// each); the ratio is REST's requests over everything the GraphQL import spends.
fn graphql_vs_rest(quick: bool, rows: &mut Vec<Row>, out: &mut Vec<Value>) {
    let shapes: [(usize, usize); 2] = if quick {
        [(500, 5_000), (200, 600)]
    } else {
        [(2_000, 20_000), (1_000, 3_000)]
    };
    for (issues, comments) in shapes {
        let mut spent = Vec::new();
        for graphql in [false, true] {
            let t = FakeGitHub::start();
            if !graphql {
                t.disable_graphql();
            }
            seed(&t, REPO, issues, comments, &mut Words::new());
            let cli = Cli::connected(&t, REPO, TOKEN);
            t.clear_requests();
            let took = sync(&cli);
            let seen = t.requests();
            let queries = seen
                .iter()
                .filter(|r| r.method == "POST" && r.path == "/api/graphql")
                .count();
            spent.push((seen.len() - queries, queries, t.graphql_points(), took));
        }
        let (rest, _, _, rest_took) = spent[0];
        let (rest_beside, queries, points, graphql_took) = spent[1];
        let graphql_total = points as usize + rest_beside;
        let label = format!("GitHub, {issues} issues, {comments} comments");
        row(
            rows,
            &format!("first import by REST: requests ({label})"),
            rest,
            "–",
            None,
        );
        row(
            rows,
            &format!("first import by GraphQL: points + REST requests ({label})"),
            format!("{points} points ({queries} queries) + {rest_beside} requests"),
            format!("REST's {rest} / 2"),
            Some(graphql_total as f64 / (rest as f64 / 2.0)),
        );
        out.push(json!({
            "scenario": "graphql_vs_rest_first_import",
            "tracker": "github", "issues": issues, "comments": comments,
            "rest_requests": rest,
            "rest_seconds": rest_took.as_secs_f64(),
            "graphql_points": points,
            "graphql_queries": queries,
            "graphql_import_rest_requests": rest_beside,
            "graphql_seconds": graphql_took.as_secs_f64(),
            "budget_ratio_rest_over_graphql": rest as f64 / graphql_total.max(1) as f64,
        }));
    }
}

/// Watches the peak resident memory of this process's `issuesync` children while they
/// run: their `VmHWM` (the kernel's high-water mark of the process's own memory since
/// its `exec`), sampled every 20 ms. `getrusage(RUSAGE_CHILDREN)` would not do: a child
/// forked from this process counts the parent's pages (the fake's 100,000 issues) as its
/// own until it execs.
struct PeakMemory {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    watcher: std::thread::JoinHandle<u64>,
}

impl PeakMemory {
    fn watch() -> PeakMemory {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopping = stop.clone();
        let parent = std::process::id().to_string();
        let watcher = std::thread::spawn(move || {
            let field = |status: &str, name: &str| -> Option<String> {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map(|v| v.trim().trim_end_matches(" kB").trim().to_string())
            };
            let is_child = |status: &str| {
                field(status, "Name:").as_deref() == Some("issuesync")
                    && field(status, "PPid:").as_deref() == Some(parent.as_str())
            };
            let mut peak_kib = 0u64;
            let mut child: Option<std::path::PathBuf> = None;
            while !stopping.load(std::sync::atomic::Ordering::Relaxed) {
                // The running child, found once (a scan of /proc), then read alone.
                let status = child
                    .as_ref()
                    .and_then(|path| std::fs::read_to_string(path).ok())
                    .filter(|status| is_child(status));
                let status = match status {
                    Some(status) => Some(status),
                    None => {
                        child = std::fs::read_dir("/proc")
                            .into_iter()
                            .flatten()
                            .flatten()
                            .map(|entry| entry.path().join("status"))
                            .find(|path| std::fs::read_to_string(path).is_ok_and(|s| is_child(&s)));
                        child.as_ref().and_then(|p| std::fs::read_to_string(p).ok())
                    }
                };
                if let Some(status) = status {
                    let hwm = field(&status, "VmHWM:").and_then(|v| v.parse().ok());
                    peak_kib = peak_kib.max(hwm.unwrap_or(0));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            peak_kib
        });
        PeakMemory { stop, watcher }
    }

    /// The highest `VmHWM` seen, in KiB.
    fn peak_kib(self) -> u64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.watcher.join().unwrap_or(0)
    }
}

/// 50 repositories on one GitHub connection, first sync: wall time with the pulls side by
/// side (GitHub's bound, `Capabilities::parallel_reads`) against one after the other
/// (`ISSUESYNC_MAX_PARALLEL_REPOS=1`, the CLI's hidden serial baseline). The fake adds a
/// network's latency to every request, without which loopback answers in microseconds
/// and nothing would be gained by overlapping. Issues per repository: a fifth of the
/// smaller request-count size (200 at full scale, 40 with `--quick`).
fn many_repos(scale: &Scale, rows: &mut Vec<Row>, out: &mut Vec<Value>) {
    const REPOS: usize = 50;
    const LATENCY_MS: u64 = 30;
    let per_repo = scale.requests[0].0 / 5;
    let t = FakeGitHub::start();
    t.add_user("alice", Some(TOKEN));
    let paths: Vec<String> = (0..REPOS).map(|i| format!("team/repo{i:02}")).collect();
    for path in &paths {
        t.add_repo(path, false);
        t.add_many_issues(path, per_repo);
    }
    let clis: Vec<Cli> = [None, Some("1")]
        .into_iter()
        .map(|parallel| {
            let mut cli = Cli::connected(&t, &paths[0], TOKEN);
            for path in &paths[1..] {
                let run = cli.run(&["repo", "add", &format!("t:{path}")]);
                assert_eq!(run.code, 0, "repo add {path}: {}", run.stderr);
            }
            if let Some(n) = parallel {
                cli.env("ISSUESYNC_MAX_PARALLEL_REPOS", n);
            }
            cli
        })
        .collect();
    t.set_latency(Duration::from_millis(LATENCY_MS));
    t.reset_in_flight_peaks();
    t.clear_requests();
    let concurrent = sync(&clis[0]);
    let concurrent_requests = t.requests().len();
    let peaks = t.in_flight_peaks();
    t.clear_requests();
    let serial = sync(&clis[1]);
    let serial_requests = t.requests().len();
    t.set_latency(Duration::ZERO);
    let parallel = issuesync::provider::capabilities(ProviderKind::Github).parallel_reads;
    let speed_up = serial.as_secs_f64() / concurrent.as_secs_f64();
    let ideal = serial.as_secs_f64() / parallel as f64;
    row(
        rows,
        &format!(
            "{REPOS} repos first sync wall time (github, {per_repo} issues each, \
             {LATENCY_MS} ms latency added per request by the fake)"
        ),
        format!(
            "concurrent {:.2} s vs serial {:.2} s (speed-up {speed_up:.1}×; {} reads in flight at most)",
            concurrent.as_secs_f64(),
            serial.as_secs_f64(),
            peaks.reads
        ),
        format!("serial ÷ {parallel} parallel reads = {ideal:.2} s"),
        Some(concurrent.as_secs_f64() / ideal),
    );
    out.push(json!({
        "scenario": "many_repos", "tracker": "github", "repos": REPOS,
        "issues_per_repo": per_repo, "latency_ms": LATENCY_MS,
        "parallel_reads": parallel, "max_reads_in_flight": peaks.reads,
        "max_writes_in_flight": peaks.writes,
        "concurrent_seconds": concurrent.as_secs_f64(), "serial_seconds": serial.as_secs_f64(),
        "speed_up": speed_up,
        "concurrent_requests": concurrent_requests, "serial_requests": serial_requests,
    }));
}

/// CPU time (user + system) of the finished child processes, in seconds.
fn children_cpu_seconds() -> f64 {
    nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .map(|u| {
            let t = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 + tv.tv_usec() as f64 / 1e6;
            t(u.user_time()) + t(u.system_time())
        })
        .unwrap_or(0.0)
}

struct Timings(Vec<Duration>);

impl Timings {
    fn of(runs: usize, mut f: impl FnMut(usize)) -> Self {
        let mut all: Vec<Duration> = (0..runs)
            .map(|i| {
                let started = Instant::now();
                f(i);
                started.elapsed()
            })
            .collect();
        all.sort();
        Self(all)
    }

    fn ms(&self, quantile: f64) -> f64 {
        let i = ((self.0.len() as f64 - 1.0) * quantile).round() as usize;
        self.0[i].as_secs_f64() * 1000.0
    }
}

/// The first import of a big repository over loopback HTTP, then the desktop app's local
/// queries on what it stored.
fn import_and_queries(scale: &Scale, rows: &mut Vec<Row>, out: &mut Value) {
    let (issues, comments) = scale.import;
    // Flat memory means a tenth of the repository peaks at about the same.
    let small_peak_kib = {
        let t = FakeGitHub::start();
        seed(&t, REPO, issues / 10, comments / 10, &mut Words::new());
        let cli = Cli::connected(&t, REPO, TOKEN);
        let memory = PeakMemory::watch();
        sync(&cli);
        memory.peak_kib()
    };
    let t = FakeGitHub::start();
    let mut words = Words::new();
    let seeding = Instant::now();
    seed(&t, REPO, issues, comments, &mut words);
    eprintln!(
        "seeded {issues} issues, {comments} comments in {:?}",
        seeding.elapsed()
    );
    let cli = Cli::connected(&t, REPO, TOKEN);
    t.clear_requests();
    let cpu_before = children_cpu_seconds();
    let memory = PeakMemory::watch();
    let took = sync(&cli);
    let rss = memory.peak_kib();
    let cpu = children_cpu_seconds() - cpu_before;
    let items = issues + comments;
    row(
        rows,
        &format!("first import of {issues} issues + {comments} comments over loopback (GitHub)"),
        format!(
            "{:.1} s ({:.0} items/s)",
            took.as_secs_f64(),
            items as f64 / took.as_secs_f64()
        ),
        "60 s",
        Some(took.as_secs_f64() / 60.0),
    );
    row(
        rows,
        "peak memory of the importing process (VmHWM)",
        format!(
            "{} MiB (a tenth of the repository: {} MiB)",
            rss / 1024,
            small_peak_kib / 1024
        ),
        "flat (pages streamed)",
        Some(rss as f64 / small_peak_kib.max(1) as f64),
    );
    if let Some(keep) = std::env::var_os("BENCH_KEEP_DATA") {
        // For looking at the imported mirror afterwards (sqlite3, EXPLAIN QUERY PLAN).
        let keep = std::path::PathBuf::from(keep);
        std::fs::create_dir_all(&keep).unwrap();
        for entry in std::fs::read_dir(cli.data_dir()).unwrap().flatten() {
            if entry.path().is_file() {
                std::fs::copy(entry.path(), keep.join(entry.file_name())).unwrap();
            }
        }
    }
    let db_bytes: u64 = std::fs::read_dir(cli.data_dir())
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();

    let ws = Workspace::open(&cli.data_dir(), Box::new(MemoryStore::default())).unwrap();
    let page = |q: IssueQuery| IssueQuery {
        limit: Some(100),
        ..q
    };
    let typed: Vec<String> = {
        // As-you-type: every prefix of a few words, common and rare.
        let mut w = Words::new();
        let mut seen = Vec::new();
        for word in ["crash", "keyboard"]
            .into_iter()
            .map(str::to_string)
            .chain((0..6).map(|_| w.tail()))
        {
            for end in 1..=word.len() {
                seen.push(word[..end].to_string());
            }
        }
        seen
    };
    let searches: Vec<String> = {
        let mut w = Words::new();
        (0..100)
            .map(|i| match i % 4 {
                0 => format!("{} {}", w.common[i % w.common.len()], w.tail()),
                1 => w.tail(),
                2 => format!("{} {}", w.tail(), w.tail()),
                _ => w.common[i % w.common.len()].to_string(),
            })
            .collect()
    };
    let search = |text: &str| {
        ws.issues(&page(IssueQuery {
            search: Some(text.to_string()),
            ..IssueQuery::default()
        }))
        .unwrap()
    };
    let fts = Timings::of(searches.len() * 3, |i| {
        search(&searches[i % searches.len()]);
    });
    let as_you_type = Timings::of(typed.len() * 3, |i| {
        search(&typed[i % typed.len()]);
    });
    let filtered = Timings::of(200, |i| {
        ws.issues(&page(IssueQuery {
            state: Some(IssueState::Open),
            label: Some(["bug", "ui", "docs", "p1"][i % 4].into()),
            sort: IssueSort::UpdatedDesc,
            offset: Some((i as u32 % 20) * 100),
            ..IssueQuery::default()
        }))
        .unwrap();
    });
    let counts = Timings::of(100, |_| {
        ws.overview().unwrap();
        for state in [Some(IssueState::Open), Some(IssueState::Closed), None] {
            ws.count_issues(&IssueQuery {
                state,
                ..IssueQuery::default()
            })
            .unwrap();
        }
    });
    let ids = ws.issue_ids(&IssueQuery::default()).unwrap();
    let open = Timings::of(200, |i| {
        let issue = &ws
            .issues(&IssueQuery {
                limit: Some(1),
                offset: Some((i * 4_999 % ids.len()) as u32),
                ..IssueQuery::default()
            })
            .unwrap()[0];
        ws.issue_view(&issue.reference, ImageChoice::AsSet).unwrap();
    });
    for (what, timing, bound) in [
        ("full-text search, 100 best (p99)", &fts, 10.0),
        ("as-you-type prefix search (p99)", &as_you_type, 10.0),
        ("filtered list page (label + state, p99)", &filtered, 5.0),
        ("sidebar and status counts (p99)", &counts, 5.0),
        ("opening an issue with comments, rendered (p99)", &open, 5.0),
    ] {
        row(
            rows,
            &format!("{what} at {issues} issues"),
            format!("{:.2} ms (p50 {:.2})", timing.ms(0.99), timing.ms(0.5)),
            format!("{bound} ms"),
            Some(timing.ms(0.99) / bound),
        );
    }
    *out = json!({
        "issues": issues, "comments": comments,
        "import_seconds": took.as_secs_f64(),
        "import_items_per_second": items as f64 / took.as_secs_f64(),
        "import_requests": t.requests().len(),
        "import_peak_rss_kib": rss,
        "import_of_a_tenth_peak_rss_kib": small_peak_kib,
        "import_cpu_seconds_of_the_app": cpu,
        "database_bytes": db_bytes,
        "search_p50_ms": fts.ms(0.5), "search_p99_ms": fts.ms(0.99),
        "prefix_p50_ms": as_you_type.ms(0.5), "prefix_p99_ms": as_you_type.ms(0.99),
        "filtered_page_p50_ms": filtered.ms(0.5), "filtered_page_p99_ms": filtered.ms(0.99),
        "counts_p50_ms": counts.ms(0.5), "counts_p99_ms": counts.ms(0.99),
        "open_issue_p50_ms": open.ms(0.5), "open_issue_p99_ms": open.ms(0.99),
    });
}

/// The desktop benchmark's figures (`scripts/bench-desktop.sh` writes
/// `bench-results/desktop.json`), as rows beside the others, when it has run.
fn desktop_rows(rows: &mut Vec<Row>) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-results/desktop.json");
    let Some(d) = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
    else {
        return;
    };
    let issues = d["issues"].as_u64().unwrap_or(0);
    let date = d["measured_at"]
        .as_str()
        .unwrap_or("")
        .get(..10)
        .unwrap_or("");
    let source = format!("scripts/bench-desktop.sh, {date}");
    // A figure of one of the other renderers measured beside the shipped one.
    let beside = |renderer: &str, section: &str, figure: &str| {
        d[renderer][section][figure].as_f64().unwrap_or(f64::NAN)
    };
    let paint = &d["first_paint"];
    if let (Some(median), Some(max)) = (
        paint["from_process_start_median_ms"].as_f64(),
        paint["from_process_start_max_ms"].as_f64(),
    ) {
        row(
            rows,
            &format!("first paint of the list at {issues} issues (desktop, Xvfb)"),
            format!(
                "{median:.0} ms median, {max:.0} max, from the app's start ({} launches; the UI alone: {:.0} ms median; with WebKitGTK's DMA-BUF renderer forced on: {:.0} ms, in shared memory: {:.0} ms; {source})",
                paint["launches"].as_array().map_or(0, Vec::len),
                paint["ui_only_median_ms"].as_f64().unwrap_or(f64::NAN),
                beside("dmabuf_renderer", "first_paint", "from_process_start_median_ms"),
                beside("shared_memory_renderer", "first_paint", "from_process_start_median_ms"),
            ),
            "300 ms",
            Some(max / 300.0),
        );
    }
    let scroll = &d["scroll"];
    if let (Some(fps), Some(p95)) = (scroll["fps"].as_f64(), scroll["p95_frame_ms"].as_f64()) {
        row(
            rows,
            &format!("scroll of the full list at {issues} issues (desktop, Xvfb)"),
            format!(
                "{fps:.0} frames/s, p95 frame {p95:.1} ms (a screen per frame; with the DMA-BUF renderer forced on: {:.0} frames/s, in shared memory: {:.0} frames/s; {source})",
                beside("dmabuf_renderer", "scroll", "fps"),
                beside("shared_memory_renderer", "scroll", "fps"),
            ),
            "60 fps",
            Some(60.0 / fps),
        );
    }
    let memory = &d["idle_memory"];
    if let Some(rss) = memory["rss_median_kib"].as_f64() {
        row(
            rows,
            &format!("idle memory of the app at {issues} issues (desktop, app + WebKit processes)"),
            format!(
                "{:.0} MiB RSS, {:.0} MiB PSS; after scrolling the whole list: {:.0} MiB RSS ({source})",
                rss / 1024.0,
                memory["pss_median_kib"].as_f64().unwrap_or(f64::NAN) / 1024.0,
                memory["after_scrolling_the_whole_list"]["rss_kib"]
                    .as_f64()
                    .unwrap_or(f64::NAN)
                    / 1024.0
            ),
            "reported",
            None,
        );
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let scale = if quick { &QUICK } else { &FULL };
    let mut rows = Vec::new();
    let mut request_figures = Vec::new();
    let mut import_figures = Value::Null;
    let only_import = std::env::args().any(|a| a == "--only-import");
    if !only_import {
        requests(scale, &mut rows, &mut request_figures);
        many_repos(scale, &mut rows, &mut request_figures);
        graphql_vs_rest(quick, &mut rows, &mut request_figures);
    }
    import_and_queries(scale, &mut rows, &mut import_figures);
    desktop_rows(&mut rows);

    let machine = format!(
        "{} cores, {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/etc/debian_version")
            .map(|v| format!("Debian {}", v.trim()))
            .unwrap_or_else(|_| std::env::consts::OS.to_string())
    );
    let date = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let mut md = String::new();
    let _ = writeln!(md, "# Benchmarks\n");
    let _ = writeln!(
        md,
        "Written by `cargo bench --bench performance{}` on {date} ({machine}). Fakes of the \
         trackers on 127.0.0.1 (`tests/common`), the real `issuesync` binary. A ratio is \
         figure / bound: at most 1 meets the bound.\n",
        if quick { " -- --quick" } else { "" }
    );
    let _ = writeln!(
        md,
        "| scenario | figure | bound | ratio |\n|---|---|---|---|"
    );
    for r in &rows {
        let ratio = r.ratio.map_or(String::from("–"), |x| format!("{x:.2}"));
        let _ = writeln!(
            md,
            "| {} | {} | {} | {ratio} |",
            r.scenario, r.figure, r.bound
        );
    }
    print!("{md}");
    if only_import {
        // A partial run does not replace the figures of a whole one.
        return;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::write(root.join("BENCHMARKS.md"), md).unwrap();
    let results = json!({
        "benchmark": "performance",
        "quick": quick,
        "measured_at": chrono::Utc::now().to_rfc3339(),
        "machine": machine,
        "requests": request_figures,
        "import_and_queries": import_figures,
    });
    std::fs::create_dir_all(root.join("bench-results")).unwrap();
    std::fs::write(
        root.join("bench-results/performance.json"),
        serde_json::to_string_pretty(&results).unwrap() + "\n",
    )
    .unwrap();
}
