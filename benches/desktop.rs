//! The desktop benchmark: the real window (the built app under Xvfb, driven through
//! tauri-driver and WebKitWebDriver with the harness of `tests/desktop_e2e.rs`) on a
//! mirror of 100,000 issues. It measures
//!
//! - first paint of the list, on fresh launches: from the app process's start (its
//!   `/proc/PID/stat` start time) to the UI's `list-first-rows` performance mark (set in
//!   a task queued from the first animation frame after rows with data are in the DOM,
//!   `ui/src/ui/perf-marks.ts`), read as `performance.timeOrigin + mark.startTime`; also
//!   from the WebDriver request that starts the app, and the UI alone (navigation start
//!   to the mark);
//! - scrolling the whole list top to bottom, one screen per animation frame, with the
//!   frame times recorded in the page (frames/s, p95 frame time);
//! - idle memory: 5 s after the first paint, the RSS and PSS summed over the app process
//!   and its WebKit processes.
//!
//! All of it three times: as the app ships (the figures at the top of the results;
//! without a GPU render node it switches WebKitGTK's DMA-BUF renderer off), with that
//! renderer forced on, `WEBKIT_DISABLE_DMABUF_RENDERER=0`, and with its shared-memory
//! variant, `WEBKIT_DMABUF_RENDERER_FORCE_SHM=1` (beside them): Xvfb has no GPU, and
//! there the DMA-BUF renderer delays the frames after the first.
//!
//! The mirror is built as users build it: the real `issuesync` binary (`connection add
//! --token-env`, `repo add`, `sync`) against the in-process fake GitHub on 127.0.0.1, once;
//! each launch gets a copy in its own fresh `ISSUESYNC_DATA_DIR`. Figures go to
//! `bench-results/desktop.json` (`cargo bench --bench performance` copies them into
//! `BENCHMARKS.md`); timings live here, never in tests. Needs what the end-to-end tests
//! need (a display, a D-Bus session with a Secret Service, tauri-driver, the app built
//! with the UI): `scripts/bench-desktop.sh` builds all of it and runs this.
//!
//! `-- --launches N` (default 3) launches for first paint; `-- --issues N` (default
//! 100,000) for a smaller mirror; `-- --scrolls N` (default 1) scrolls of the whole list,
//! with the memory after each; `-- --shipped-only` measures the shipped renderer only
//! and prints its figures without writing them.

#[path = "../tests/common/mod.rs"]
#[allow(dead_code, unused_imports)]
mod common;

#[cfg(target_os = "linux")]
#[path = "../tests/desktop_e2e.rs"]
#[allow(dead_code, unused_imports)]
mod desktop_e2e;

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("the desktop benchmark runs on Linux only (Xvfb, WebKitGTK)");
}

#[cfg(target_os = "linux")]
fn main() -> anyhow::Result<()> {
    bench::main()
}

#[cfg(target_os = "linux")]
mod bench {
    use std::path::Path;
    use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

    use anyhow::{bail, ensure, Context, Result};
    use serde_json::{json, Value};

    use crate::common::cli::Cli;
    use crate::common::fake_github::FakeGitHub;
    use crate::common::tracker::{FakeTracker, NewIssue};
    use crate::desktop_e2e::{comm, descendants, tid, Desktop, Renderer};

    const TOKEN: &str = "bench-desktop-token";
    const REPO: &str = "team/app";
    /// The bounds of issue 13.
    const FIRST_PAINT_BOUND_MS: f64 = 300.0;
    const SCROLL_BOUND_FPS: f64 = 60.0;
    /// How long the app idles after its first paint before its memory is read.
    const IDLE: Duration = Duration::from_secs(5);
    /// How long the first rows may take to show, and the whole scroll.
    const FIRST_ROWS_WAIT: Duration = Duration::from_secs(60);
    const SCROLL_WAIT: Duration = Duration::from_secs(20 * 60);

    fn arg(name: &str, default: usize) -> Result<usize> {
        let args: Vec<String> = std::env::args().collect();
        match args.iter().position(|a| a == name) {
            Some(i) => args
                .get(i + 1)
                .and_then(|v| v.replace('_', "").parse().ok())
                .with_context(|| format!("{name} takes a number")),
            None => Ok(default),
        }
    }

    /// The app's renderer settings measured: as the app ships (it switches WebKitGTK's
    /// DMA-BUF renderer off where there is no GPU render node, `src-tauri/src/renderer.rs`),
    /// with the DMA-BUF renderer forced on (`=0`: a value the person set, which the app
    /// keeps), i.e. WebKitGTK's own default, and with WebKit's narrower switch that keeps
    /// compositing but hands frames over in shared memory. Xvfb has no GPU; there the
    /// DMA-BUF renderer holds the second animation frame after launch back by about a second.
    const RENDERERS: [(&str, &[(&str, &str)]); 3] = [
        ("as shipped", Renderer::AsShipped.env()),
        (
            "WEBKIT_DISABLE_DMABUF_RENDERER=0",
            Renderer::WebKitDefault.env(),
        ),
        (
            "WEBKIT_DMABUF_RENDERER_FORCE_SHM=1",
            &[
                ("WEBKIT_DISABLE_DMABUF_RENDERER", "0"),
                ("WEBKIT_DMABUF_RENDERER_FORCE_SHM", "1"),
            ],
        ),
    ];

    /// Where each renderer's figures go in the results: the shipped ones at the top, the
    /// others under these keys.
    const BESIDE: [&str; 2] = ["dmabuf_renderer", "shared_memory_renderer"];

    fn flag(name: &str) -> bool {
        std::env::args().any(|a| a == name)
    }

    /// Every `--app-env NAME=VALUE` on the command line.
    fn app_env() -> Result<Vec<(String, String)>> {
        let args: Vec<String> = std::env::args().collect();
        args.iter()
            .enumerate()
            .filter(|(_, a)| *a == "--app-env")
            .map(|(i, _)| {
                args.get(i + 1)
                    .and_then(|v| v.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .context("--app-env takes NAME=VALUE")
            })
            .collect()
    }

    pub fn main() -> Result<()> {
        let launches = arg("--launches", 3)?.max(1);
        let issues = arg("--issues", 100_000)?.max(1);
        ensure!(
            std::env::var_os("DISPLAY").is_some() && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
            "no display or D-Bus session: run scripts/bench-desktop.sh (Xvfb, dbus-run-session, gnome-keyring)"
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;

        let (fake, mirror, mirror_figures) = build_mirror(issues)?;
        fake.clear_requests();
        let load_before = load_average();
        let mut measured = Vec::new();
        // `--shipped-only`: one renderer, nothing written (for trying a change), with the
        // app given any `--app-env NAME=VALUE` besides.
        let shipped_only = flag("--shipped-only");
        let app_env = app_env()?;
        ensure!(
            app_env.is_empty() || shipped_only,
            "--app-env only with --shipped-only: figures with extra settings are not written"
        );
        for (name, renderer_env) in RENDERERS {
            let env: Vec<(&str, &str)> = renderer_env
                .iter()
                .copied()
                .chain(app_env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .collect();
            if shipped_only && !measured.is_empty() {
                // On stderr: xvfb-run keeps the command's stdout to itself.
                eprintln!("{}", serde_json::to_string_pretty(&measured[0])?);
                return Ok(());
            }
            eprintln!("== renderer: {name}");
            measured.push(renderer(&runtime, &mirror, issues, launches, &env)?);
        }
        let tracker_requests = fake.requests().len();
        let load_after = load_average();
        let mut measured = measured.into_iter();
        let shipped = measured
            .next()
            .context("no figures of the shipped renderer")?;
        let mut results = json!({
            "benchmark": "desktop",
            "measured_at": chrono::Utc::now().to_rfc3339(),
            "machine": machine(),
            "load_average_before_and_after": [load_before, load_after],
            "display": "Xvfb (xvfb-run -a), no GPU; private D-Bus session with gnome-keyring",
            "app": "target/release/issuesync-desktop (--features custom-protocol), started by WebKitWebDriver via tauri-driver",
            "issues": issues,
            "comments": issues,
            "mirror": mirror_figures,
            "renderer": RENDERERS[0].0,
            "tracker_requests_while_the_app_ran": tracker_requests,
        });
        // The figures of the app as it ships at the top (BENCHMARKS.md shows them), the
        // forced DMA-BUF renderer's beside them.
        for (key, value) in shipped.as_object().into_iter().flatten() {
            results[key] = value.clone();
        }
        for ((key, figures), (name, _)) in BESIDE.iter().zip(measured).zip(&RENDERERS[1..]) {
            results[*key] = figures;
            results[*key]["renderer"] = json!(name);
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::create_dir_all(root.join("bench-results"))?;
        let path = root.join("bench-results/desktop.json");
        std::fs::write(&path, serde_json::to_string_pretty(&results)? + "\n")?;
        println!(
            "{}",
            serde_json::to_string_pretty(
                &std::iter::once((RENDERERS[0].0.to_string(), summary(&results)))
                    .chain(
                        BESIDE
                            .iter()
                            .zip(&RENDERERS[1..])
                            .map(|(key, (name, _))| (name.to_string(), summary(&results[*key]))),
                    )
                    .collect::<serde_json::Map<_, _>>()
            )?
        );
        eprintln!("wrote {}", path.display());
        Ok(())
    }

    /// First paint on `launches` fresh launches of the app with `env`, idle memory after
    /// each, and the scroll on the first one.
    fn renderer(
        runtime: &tokio::runtime::Runtime,
        mirror: &Cli,
        issues: usize,
        launches: usize,
        env: &[(&str, &str)],
    ) -> Result<Value> {
        let mut paints = Vec::new();
        let mut memory = Vec::new();
        let mut scroll = Value::Null;
        let mut after_scroll = Value::Null;
        let mut relaunches = 0;
        for launch in 0..launches {
            let measured = runtime.block_on(async {
                // Now and then the WebDriver session is not created (tauri-driver drops the
                // request); a new launch is tried, and counted.
                let mut attempt = 0;
                let mut d = loop {
                    attempt += 1;
                    match Desktop::launch_with("perf", env, |data_dir| copy_files(mirror, data_dir))
                        .await
                    {
                        Ok(d) => break d,
                        Err(e) if attempt < 3 => eprintln!("launch failed, trying again: {e:#}"),
                        Err(e) => return Err(e.context("the app did not start")),
                    }
                };
                relaunches += attempt - 1;
                let outcome = measure(&mut d, issues, launch == 0).await;
                if outcome.is_err() {
                    eprintln!("{}", d.evidence().await);
                }
                let survivors = d.quit().await;
                ensure!(survivors.is_empty(), "still running: {survivors:?}");
                outcome
            })?;
            eprintln!(
                "launch {}: list painted {:.0} ms after the app's start ({:.0} ms after the navigation start); {} KiB RSS",
                launch + 1,
                measured.paint["from_process_start_ms"].as_f64().unwrap_or(f64::NAN),
                measured.paint["ui_only_ms"].as_f64().unwrap_or(f64::NAN),
                measured.memory["rss_kib"],
            );
            paints.push(measured.paint);
            memory.push(measured.memory);
            if let Some((s, m)) = measured.scroll {
                eprintln!(
                    "scroll: {:.1} frames/s, p95 frame {} ms",
                    s["fps"].as_f64().unwrap_or(f64::NAN),
                    s["p95_frame_ms"]
                );
                scroll = s;
                after_scroll = m;
            }
        }
        let figure = |runs: &[Value], key: &str| -> Vec<f64> {
            let mut all: Vec<f64> = runs.iter().filter_map(|r| r[key].as_f64()).collect();
            all.sort_by(f64::total_cmp);
            all
        };
        let from_start = figure(&paints, "from_process_start_ms");
        let from_request = figure(&paints, "from_session_request_ms");
        let ui_only = figure(&paints, "ui_only_ms");
        let in_dom = figure(&paints, "rows_in_dom_ms");
        let rss = figure(&memory, "rss_kib");
        let pss = figure(&memory, "pss_kib");
        Ok(json!({
            "first_paint": {
                "bound_ms": FIRST_PAINT_BOUND_MS,
                "launches": paints,
                "from_process_start_median_ms": median(&from_start),
                "from_process_start_max_ms": from_start.last(),
                "from_session_request_median_ms": median(&from_request),
                "from_session_request_max_ms": from_request.last(),
                "ui_only_median_ms": median(&ui_only),
                "ui_only_max_ms": ui_only.last(),
                "rows_in_dom_median_ms": median(&in_dom),
                "method": "from_process_start: the app process's start time (/proc/PID/stat starttime against /proc/uptime, 10 ms ticks) to performance.timeOrigin + the 'list-first-rows' mark (a task queued from the first animation frame after rows with data are in the DOM: the web process's style, layout and paint of that frame are done, the compositor's presentation is not awaited). from_session_request: from the WebDriver new-session request, which has WebKitWebDriver start the app. ui_only: navigation start to the mark (the page's own clock); rows_in_dom: navigation start to the 'list-first-rows:dom' mark (the rows are in the DOM, before that frame). The mirror's files are in the OS page cache (copied just before each launch).",
            },
            "relaunches_after_a_failed_webdriver_session": relaunches,
            "scroll": scroll,
            "idle_memory": {
                "bound": "reported",
                "after_idle_seconds": IDLE.as_secs(),
                "launches": memory,
                "rss_median_kib": median(&rss),
                "pss_median_kib": median(&pss),
                "after_scrolling_the_whole_list": after_scroll,
                "method": "VmRSS of /proc/PID/status and Pss of /proc/PID/smaps_rollup, summed over the app process and every process below it (WebKitWebProcess, WebKitNetworkProcess); RSS counts shared pages once per process, PSS shares them out",
            },
        }))
    }

    /// The headline figures, for the terminal.
    fn summary(r: &Value) -> Value {
        json!({
            "first_paint_from_process_start_ms": {
                "median": r["first_paint"]["from_process_start_median_ms"],
                "max": r["first_paint"]["from_process_start_max_ms"],
            },
            "first_paint_ui_only_ms": {
                "median": r["first_paint"]["ui_only_median_ms"],
                "max": r["first_paint"]["ui_only_max_ms"],
            },
            "scroll_fps": r["scroll"]["fps"],
            "scroll_p95_frame_ms": r["scroll"]["p95_frame_ms"],
            "idle_rss_median_kib": r["idle_memory"]["rss_median_kib"],
            "idle_pss_median_kib": r["idle_memory"]["pss_median_kib"],
        })
    }

    fn median(sorted: &[f64]) -> Option<f64> {
        match sorted.len() {
            0 => None,
            n if n % 2 == 1 => Some(sorted[n / 2]),
            n => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
        }
    }

    fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
        let last = sorted.len().checked_sub(1)?;
        Some(sorted[((last as f64) * q).round() as usize])
    }

    /// `/proc/loadavg`: 1, 5 and 15 minute load (the machine may be shared).
    fn load_average() -> String {
        std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    }

    fn machine() -> String {
        let webkit = std::process::Command::new("dpkg-query")
            .args(["-W", "-f", "${Version}", "libwebkit2gtk-4.1-0"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| format!(", WebKitGTK {}", String::from_utf8_lossy(&o.stdout)))
            .unwrap_or_default();
        format!(
            "{} cores, {}{webkit}",
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            std::fs::read_to_string("/etc/debian_version")
                .map(|v| format!("Debian {}", v.trim()))
                .unwrap_or_else(|_| std::env::consts::OS.to_string())
        )
    }

    /// The fake GitHub with `issues` open issues (one comment each) and a data dir that
    /// mirrors them, synced by the real CLI.
    fn build_mirror(issues: usize) -> Result<(FakeGitHub, Cli, Value)> {
        let fake = FakeGitHub::start();
        let seeding = Instant::now();
        fake.add_user("alice", Some(TOKEN));
        fake.add_user("bob", None);
        fake.add_repo(REPO, false);
        for name in ["bug", "ui", "p1", "docs"] {
            fake.add_label(REPO, name, "ee0701");
        }
        const WORDS: [&str; 12] = [
            "crash", "login", "sync", "timeout", "render", "export", "cache", "memory", "button",
            "keyboard", "proxy", "filter",
        ];
        for n in 0..issues {
            let title = format!(
                "{} {} after {} in {} #{n}",
                WORDS[n % 12],
                WORDS[(n / 12) % 12],
                WORDS[(n / 144) % 12],
                WORDS[(n / 7) % 12]
            );
            let body = format!("Steps: {title}. Seen since build {}.", n % 977);
            let labels = match n % 4 {
                0 => vec!["bug"],
                1 => vec!["ui", "p1"],
                2 => vec!["docs"],
                _ => vec![],
            };
            let number = fake.create_issue(
                REPO,
                NewIssue {
                    title: &title,
                    body: &body,
                    author: "bob",
                    labels,
                    assignees: if n % 3 == 0 { vec!["alice"] } else { vec![] },
                    ..NewIssue::default()
                },
            );
            fake.add_comment(REPO, number, "bob", "Same here, on the latest build.");
        }
        let seeded = seeding.elapsed();

        let syncing = Instant::now();
        let cli = Cli::mirroring(&fake, REPO, TOKEN);
        let synced = syncing.elapsed();
        let bytes: u64 = std::fs::read_dir(cli.data_dir())?
            .flatten()
            .filter_map(|e| e.metadata().ok())
            .filter(|m| m.is_file())
            .map(|m| m.len())
            .sum();
        eprintln!(
            "mirror of {issues} issues: seeded in {:.1} s, imported in {:.1} s, {} MiB",
            seeded.as_secs_f64(),
            synced.as_secs_f64(),
            bytes >> 20
        );
        let figures = json!({
            "tracker": "in-process fake GitHub on 127.0.0.1",
            "seed_seconds": seeded.as_secs_f64(),
            "import_seconds": synced.as_secs_f64(),
            "data_dir_bytes": bytes,
        });
        Ok((fake, cli, figures))
    }

    /// Copies the mirror's files into the app's fresh data dir.
    fn copy_files(mirror: &Cli, to: &Path) -> Result<()> {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(mirror.data_dir())?.flatten() {
            if entry.file_type()?.is_file() {
                std::fs::copy(entry.path(), to.join(entry.file_name()))?;
            }
        }
        Ok(())
    }

    struct Launch {
        paint: Value,
        memory: Value,
        /// On the first launch: the scroll's figures and the memory after it.
        scroll: Option<(Value, Value)>,
    }

    async fn measure(d: &mut Desktop, issues: usize, first: bool) -> Result<Launch> {
        let session_requested = epoch_ms(d.session_requested);
        let app = *d
            .app_pids()
            .first()
            .context("no process of the app under tauri-driver")?;
        let started = process_start_epoch_ms(app)?;
        let marks = first_rows(d).await?;
        let set_size = marks["set_size"].as_u64().unwrap_or(0);
        ensure!(
            set_size == issues as u64,
            "the list shows {set_size} issues, not the mirror's {issues}"
        );
        let origin = number(&marks, "time_origin")?;
        let first_rows_ms = number(&marks, "first_rows")?;
        let shown_at = origin + first_rows_ms;
        let paint = json!({
            "from_process_start_ms": shown_at - started,
            "from_session_request_ms": shown_at - session_requested,
            "ui_only_ms": first_rows_ms,
            "process_start_to_navigation_start_ms": origin - started,
            "first_contentful_paint_ms": marks["first_contentful_paint"],
            "dom_content_loaded_ms": marks["dom_content_loaded"],
            "page_clock_minus_time_origin_clock_ms": marks["clock_skew"],
            "rows_in_dom": marks["rows"],
            "rows_in_dom_ms": marks["marks"]["list-first-rows:dom"],
            "page_marks_ms": marks["marks"],
            "dom_interactive_ms": marks["dom_interactive"],
        });

        tokio::time::sleep(IDLE).await;
        let memory = memory_of(app);
        let scroll = if first {
            let bound = display_bound(d).await?;
            eprintln!("display: {bound}");
            let mut figures = scroll_all(d, issues).await?;
            figures["display_bound"] = bound;
            tokio::time::sleep(IDLE).await;
            let after = memory_of(app);
            // `--scrolls N`: the whole list again, N - 1 times, with the memory after
            // each: memory that keeps growing is held, memory that levels off is cache.
            let mut after_each = vec![after["rss_kib"].clone()];
            for _ in 1..arg("--scrolls", 1)? {
                scroll_all(d, issues).await?;
                tokio::time::sleep(IDLE).await;
                after_each.push(memory_of(app)["rss_kib"].clone());
            }
            if after_each.len() > 1 {
                figures["rss_kib_after_each_scroll"] = json!(after_each);
            }
            Some((figures, after))
        } else {
            None
        };
        Ok(Launch {
            paint,
            memory,
            scroll,
        })
    }

    fn number(v: &Value, key: &str) -> Result<f64> {
        v[key]
            .as_f64()
            .with_context(|| format!("no {key} in what the page answered: {v}"))
    }

    fn epoch_ms(t: SystemTime) -> f64 {
        t.duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64()
            * 1000.0
    }

    /// When `pid` started, in ms since the epoch: its start time in clock ticks since
    /// boot (`/proc/PID/stat`, field 22; USER_HZ is 100 on Linux) against the time since
    /// boot now (`/proc/uptime`). Good to about 10 ms.
    fn process_start_epoch_ms(pid: u32) -> Result<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
        let after_comm = stat.rfind(')').context("no comm in /proc/PID/stat")?;
        // Fields from the 3rd (state) on; the start time is the 22nd.
        let ticks: f64 = stat[after_comm + 1..]
            .split_whitespace()
            .nth(19)
            .and_then(|t| t.parse().ok())
            .context("no start time in /proc/PID/stat")?;
        let now = epoch_ms(SystemTime::now());
        let uptime: f64 = std::fs::read_to_string("/proc/uptime")?
            .split_whitespace()
            .next()
            .and_then(|u| u.parse().ok())
            .context("no /proc/uptime")?;
        Ok(now - (uptime - ticks / 100.0) * 1000.0)
    }

    /// Waits for the UI's `list-first-rows` mark; what the page knows about it.
    async fn first_rows(d: &Desktop) -> Result<Value> {
        let deadline = Instant::now() + FIRST_ROWS_WAIT;
        loop {
            let seen = d
                .window()
                .execute(
                    "const mark = performance.getEntriesByName('list-first-rows', 'mark')[0];
                     if (!mark) { return null; }
                     const paint = performance.getEntriesByName('first-contentful-paint')[0];
                     const nav = performance.getEntriesByType('navigation')[0];
                     const rows = document.querySelectorAll('[data-testid=\"issue-row\"]');
                     return {
                       time_origin: performance.timeOrigin,
                       first_rows: mark.startTime,
                       first_contentful_paint: paint ? paint.startTime : null,
                       dom_content_loaded: nav ? nav.domContentLoadedEventEnd : null,
                       dom_interactive: nav ? nav.domInteractive : null,
                       clock_skew: Date.now() - (performance.timeOrigin + performance.now()),
                       marks: Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])),
                       rows: rows.length,
                       set_size: rows.length ? Number(rows[0].getAttribute('aria-setsize')) : null,
                     };",
                    vec![],
                )
                .await?;
            if !seen.is_null() {
                return Ok(seen);
            }
            if Instant::now() >= deadline {
                bail!("no 'list-first-rows' mark within {FIRST_ROWS_WAIT:?}: is the UI built with it into the app?");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The window's own frame rates, the bound any page content meets: animation frames
    /// with nothing changing, and with the whole window repainted every frame (a
    /// full-window layer changing colour: no script work, no layout, only painting and
    /// getting the pixels to the display).
    async fn display_bound(d: &Desktop) -> Result<Value> {
        const FRAMES: usize = 180;
        d.window()
            .execute_async(
                &format!(
                    "const done = arguments[arguments.length - 1];
                     const measure = (change) => new Promise((resolve) => {{
                       const times = [];
                       const frame = (now) => {{
                         times.push(now);
                         change(times.length);
                         if (times.length > {FRAMES}) {{ resolve(times); }} else {{ requestAnimationFrame(frame); }}
                       }};
                       requestAnimationFrame(frame);
                     }});
                     const fps = (times) => (times.length - 1) * 1000 / (times[times.length - 1] - times[0]);
                     (async () => {{
                       const idle = await measure(() => {{}});
                       const cover = document.createElement('div');
                       cover.style.cssText = 'position:fixed;inset:0;z-index:2147483647;pointer-events:none';
                       document.body.appendChild(cover);
                       const repaint = await measure((n) => {{ cover.style.background = n % 2 ? '#fdfdfd' : '#f4f4f4'; }});
                       cover.remove();
                       done({{ idle_fps: fps(idle), full_repaint_fps: fps(repaint),
                               window_px: [window.innerWidth, window.innerHeight],
                               device_pixel_ratio: window.devicePixelRatio }});
                     }})();"
                ),
                vec![],
            )
            .await
            .context("measuring the display's frame rates")
    }

    /// Scrolls the whole list, one screen per animation frame, in the page; the frame
    /// intervals it saw.
    async fn scroll_all(d: &Desktop, issues: usize) -> Result<Value> {
        let start = d
            .window()
            .execute(
                "const list = document.querySelector('[data-testid=\"issue-list\"]');
                 if (!list) { return { error: 'no issue list' }; }
                 const state = { done: false, error: null, intervals: [], frames: 0,
                                 placeholder_frames: 0, first: 0, last: 0, top: 0 };
                 window.__issuesyncScroll = state;
                 const step = list.clientHeight;
                 list.scrollTop = 0;
                 let previous = null;
                 const frame = (now) => {
                   try {
                     if (previous === null) { state.first = now; } else { state.intervals.push(now - previous); }
                     previous = now;
                     state.frames++;
                     if (list.querySelector('[aria-busy=\"true\"]')) { state.placeholder_frames++; }
                     const max = list.scrollHeight - list.clientHeight;
                     if (list.scrollTop >= max - 1) {
                       state.last = now; state.top = list.scrollTop; state.done = true;
                       return;
                     }
                     list.scrollTop = Math.min(max, list.scrollTop + step);
                     requestAnimationFrame(frame);
                   } catch (e) { state.error = String(e); state.done = true; }
                 };
                 requestAnimationFrame(frame);
                 return { step, height: list.scrollHeight, viewport: list.clientHeight };",
                vec![],
            )
            .await?;
        ensure!(
            start["error"].is_null(),
            "the scroll did not start: {start}"
        );
        let began = Instant::now();
        let state = loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let state = d
                .window()
                .execute(
                    "const s = window.__issuesyncScroll;
                     return s.done ? s : { done: false, frames: s.frames };",
                    vec![],
                )
                .await?;
            if state["done"] == json!(true) {
                break state;
            }
            if began.elapsed() > SCROLL_WAIT {
                bail!("the scroll did not reach the bottom within {SCROLL_WAIT:?}: {state}");
            }
        };
        ensure!(
            state["error"].is_null(),
            "the scroll failed: {}",
            state["error"]
        );
        // The bottom shows the last issue, with its data.
        d.wait_count(
            &format!("{}[aria-posinset=\"{issues}\"]", tid("issue-row")),
            "the last issue's row at the bottom",
            |n| n == 1,
        )
        .await?;
        // ...where the list shows it: the window of rows moved with the scroll.
        let placed = d
            .window()
            .execute(
                &format!(
                    "const list = document.querySelector('[data-testid=\"issue-list\"]').getBoundingClientRect();
                     const row = document.querySelector('[data-testid=\"issue-row\"][aria-posinset=\"{issues}\"]').getBoundingClientRect();
                     return {{ list_bottom: list.bottom, row_top: row.top, row_bottom: row.bottom }};"
                ),
                vec![],
            )
            .await?;
        let (list_bottom, row_top, row_bottom) = (
            number(&placed, "list_bottom")?,
            number(&placed, "row_top")?,
            number(&placed, "row_bottom")?,
        );
        ensure!(
            (row_bottom - list_bottom).abs() <= 1.0 && row_top < row_bottom,
            "the last row is not at the bottom of the scrolled list: {placed}"
        );
        let mut intervals: Vec<f64> = state["intervals"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        ensure!(!intervals.is_empty(), "no frames recorded: {state}");
        let seconds = (number(&state, "last")? - number(&state, "first")?) / 1000.0;
        let frames = intervals.len();
        // Frames per second over each tenth of the scroll, in order: a rate that falls as
        // the scroll goes on points at work that grows with what was shown before.
        let tenth = frames.div_ceil(10).max(1);
        let fps_by_tenth: Vec<f64> = intervals
            .chunks(tenth)
            .map(|c| c.len() as f64 * 1000.0 / c.iter().sum::<f64>().max(f64::EPSILON))
            .collect();
        // A frame interval past 1.5 × 16.7 ms missed at least one 60 Hz refresh.
        let long = intervals.iter().filter(|&&ms| ms > 25.0).count();
        intervals.sort_by(f64::total_cmp);
        let fps = frames as f64 / seconds;
        Ok(json!({
            "bound_fps": SCROLL_BOUND_FPS,
            "fps": fps,
            "fps_by_tenth": fps_by_tenth,
            "frames": frames,
            "seconds": seconds,
            "p50_frame_ms": quantile(&intervals, 0.5),
            "p95_frame_ms": quantile(&intervals, 0.95),
            "p99_frame_ms": quantile(&intervals, 0.99),
            "max_frame_ms": intervals.last(),
            "frames_over_25_ms": long,
            "frames_with_placeholder_rows": state["placeholder_frames"],
            "step_px": start["step"],
            "viewport_px": start["viewport"],
            "list_height_px": start["height"],
            "final_scroll_top_px": state["top"],
            "method": "one requestAnimationFrame callback per frame moves the list's scrollTop down by its height (a screen per frame) until the bottom; the callback's timestamps give the frame intervals. The list is virtual (fixed 36 px rows, only the visible ones plus 4 above and below in the DOM, pages of 100 rows fetched over IPC); frames_with_placeholder_rows counts frames that began with a row whose page had not arrived yet.",
        }))
    }

    /// RSS and PSS of the app process and everything below it (its WebKit processes).
    fn memory_of(app: u32) -> Value {
        let field = |text: &str, name: &str| -> Option<u64> {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        };
        let mut processes = Vec::new();
        let (mut rss, mut pss) = (0, 0);
        for pid in descendants(app) {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            let rollup =
                std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
            let Some(rss_kib) = field(&status, "VmRSS:") else {
                continue;
            };
            let pss_kib = field(&rollup, "Pss:");
            rss += rss_kib;
            pss += pss_kib.unwrap_or(0);
            processes.push(json!({ "name": comm(pid), "rss_kib": rss_kib, "pss_kib": pss_kib }));
        }
        json!({ "rss_kib": rss, "pss_kib": pss, "processes": processes })
    }
}
