//! Benchmark of the mirror at desktop scale: 100,000 issues across three trackers in one
//! SQLite file. Measures what the desktop app's virtual list and search box lean on —
//! storing pulled pages, counting, fetching a 100-row window anywhere in the list,
//! filtering, full-text search, opening an issue — and the process's peak memory.
//!
//! Run with `cargo bench --bench mirror`; the figures go to `bench-results/mirror.json`
//! (and stdout). Not part of the test suite: timings belong here, not in tests.

use std::time::{Duration, Instant};

use issuesync::model::{
    ConflictPolicy, IssueState, Label, ProviderKind, RemoteIssue, RemoteVersion, Repo, RepoFilter,
    Timestamp, User,
};
use issuesync::store::connections::{self, NewConnection};
use issuesync::store::issues::{IssueQuery, IssueSort};
use issuesync::store::{repos, Store};
use issuesync::sync::observe::Observer;
use serde_json::json;

const ISSUES: usize = 100_000;
const PAGE: usize = 100;
const WORDS: &[&str] = &[
    "crash",
    "login",
    "dark",
    "mode",
    "sync",
    "timeout",
    "render",
    "table",
    "export",
    "cache",
    "memory",
    "leak",
    "button",
    "keyboard",
    "shortcut",
    "gitlab",
    "gitea",
    "token",
    "proxy",
    "unicode",
    "emoji",
    "search",
    "filter",
    "label",
    "milestone",
    "release",
    "windows",
    "linux",
];

fn remote_issue(n: usize) -> RemoteIssue {
    let word = |k: usize| WORDS[(n * 7 + k * 13) % WORDS.len()];
    let t = Timestamp::parse("2025-01-01T00:00:00Z")
        .unwrap()
        .plus_seconds(n as i64 * 37);
    RemoteIssue {
        remote_id: 1_000_000 + n as i64,
        number: n as u64 + 1,
        title: format!("{} {} when {} {}", word(0), word(1), word(2), n),
        body: format!(
            "Steps to reproduce:\n1. open {}\n2. press {}\n\nExpected: no {}.\n\n{}",
            word(3),
            word(4),
            word(5),
            "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(6)
        ),
        state: if n.is_multiple_of(3) {
            IssueState::Closed
        } else {
            IssueState::Open
        },
        state_reason: None,
        labels: [word(6), word(7)]
            .iter()
            .map(|name| Label {
                remote_id: None,
                name: name.to_string(),
                color: Some("0052cc".into()),
                description: None,
            })
            .collect(),
        assignees: vec![User {
            remote_id: (n % 50) as i64,
            login: format!("dev{}", n % 50),
            display_name: None,
            avatar_url: None,
        }],
        milestone: None,
        author: None,
        created_at: t,
        updated_at: t.plus_seconds(60),
        closed_at: None,
        remote_url: Some(format!("https://git.example/o/r/issues/{}", n + 1)),
        version: RemoteVersion::default(),
        moved_to: None,
        comment_count: None,
    }
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Stores the first `pages` pages of generated issues, each page in one transaction and
/// through the same path a pull takes, the pages spread over `repos`.
fn store_pages(store: &mut Store, repos: &[Repo], pages: usize) {
    for page in 0..pages {
        let repo = &repos[page % repos.len()];
        store
            .write(|tx| -> Result<(), issuesync::store::StoreError> {
                let mut observer =
                    Observer::new(tx, repo, "https://git.example", ConflictPolicy::Ask)?;
                for k in 0..PAGE {
                    let issue = remote_issue(page * PAGE + k);
                    let now = Timestamp::now();
                    observer.observe(tx, &issue, now)?;
                }
                Ok(())
            })
            .unwrap();
    }
}

/// Median of `runs` timings of `f`, in milliseconds.
fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2].as_secs_f64() * 1000.0
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(&dir.path().join("issuesync.db")).expect("store");
    let mut repos_by_provider = Vec::new();
    for (i, provider) in ProviderKind::ALL.into_iter().enumerate() {
        let c = connections::insert(
            store.conn(),
            &NewConnection {
                name: provider.as_str(),
                provider,
                web_url: "https://git.example",
                api_url: "https://git.example/api",
                has_token: false,
                secret_key: &format!("bench-{i}"),
                login: Some("dev1"),
                conflict_policy: ConflictPolicy::Ask,
            },
        )
        .unwrap();
        repos_by_provider
            .push(repos::upsert(store.conn(), c.id, "o/r", None, &RepoFilter::default()).unwrap());
    }

    // Import: pages of 100, each in one transaction, as a pull stores them.
    let started = Instant::now();
    store_pages(&mut store, &repos_by_provider, ISSUES / PAGE);
    let import = started.elapsed();

    // Re-pull of unchanged pages (the common incremental case).
    let started = Instant::now();
    store_pages(&mut store, &repos_by_provider, 10);
    let unchanged_per_issue_us = started.elapsed().as_secs_f64() * 1e6 / (10 * PAGE) as f64;

    let db = store.conn();
    let all = IssueQuery::default();
    let count_ms = median_ms(9, || {
        issuesync::store::issues::count(db, &all).unwrap();
    });
    let window = |offset: u32| IssueQuery {
        limit: Some(PAGE as u32),
        offset: Some(offset),
        ..IssueQuery::default()
    };
    let first_window_ms = median_ms(9, || {
        issuesync::store::issues::list(db, &window(0)).unwrap();
    });
    let middle_window_ms = median_ms(9, || {
        issuesync::store::issues::list(db, &window(50_000)).unwrap();
    });
    let last_window_ms = median_ms(9, || {
        issuesync::store::issues::list(db, &window(99_900)).unwrap();
    });
    let label_query = IssueQuery {
        label: Some("crash".into()),
        state: Some(IssueState::Open),
        sort: IssueSort::CreatedAsc,
        limit: Some(PAGE as u32),
        ..IssueQuery::default()
    };
    let filtered_ms = median_ms(9, || {
        issuesync::store::issues::list(db, &label_query).unwrap();
    });
    let filtered_count_ms = median_ms(9, || {
        issuesync::store::issues::count(db, &label_query).unwrap();
    });
    let search = IssueQuery {
        search: Some("crash keyboard".into()),
        limit: Some(PAGE as u32),
        ..IssueQuery::default()
    };
    let mut hits = 0;
    let search_ms = median_ms(9, || {
        hits = issuesync::store::issues::list(db, &search).unwrap().len();
    });
    let prefix = IssueQuery {
        search: Some("tim".into()),
        limit: Some(PAGE as u32),
        ..IssueQuery::default()
    };
    let prefix_ms = median_ms(9, || {
        issuesync::store::issues::list(db, &prefix).unwrap();
    });
    let detail_ms = median_ms(9, || {
        issuesync::store::issues::by_id(db, 54_321).unwrap();
        issuesync::store::comments::for_issue(db, 54_321).unwrap();
        issuesync::markdown::to_safe_html(&remote_issue(54_320).body);
    });
    let db_bytes: u64 = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();

    let results = json!({
        "benchmark": "mirror",
        "issues": ISSUES,
        "measured_at": Timestamp::now().to_string(),
        "machine": format!("{} cores", std::thread::available_parallelism().map_or(0, |n| n.get())),
        "import_issues_per_second": (ISSUES as f64 / import.as_secs_f64()).round(),
        "import_seconds": (import.as_secs_f64() * 10.0).round() / 10.0,
        "unchanged_repull_us_per_issue": unchanged_per_issue_us.round(),
        "count_all_ms": count_ms,
        "window_of_100_at_0_ms": first_window_ms,
        "window_of_100_at_50000_ms": middle_window_ms,
        "window_of_100_at_99900_ms": last_window_ms,
        "label_and_state_filter_100_ms": filtered_ms,
        "label_and_state_filter_count_ms": filtered_count_ms,
        "fts_two_words_100_ms": search_ms,
        "fts_two_words_hits": hits,
        "fts_prefix_as_you_type_100_ms": prefix_ms,
        "open_issue_with_rendered_body_ms": detail_ms,
        "database_bytes": db_bytes,
        "peak_rss_kib": peak_rss_kib(),
    });
    let text = serde_json::to_string_pretty(&results).unwrap();
    println!("{text}");
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-results");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("mirror.json"), text + "\n").unwrap();
}
