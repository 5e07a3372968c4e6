//! The webhook latency measurement: a remote edit on the fake tracker, its signed
//! delivery to the receiver, and the time until the mirror (what `issuesync show` reads)
//! has the edit, per tracker, with the default debounce. Ignored in a plain `cargo test`
//! (timings are not assertions); run it with
//! `cargo test -p issuesync --test tests webhook_latency -- --ignored --nocapture`:
//! the figures go to `bench-results/webhook-latency.json` and stdout.

use std::sync::Arc;
use std::time::{Duration, Instant};

use issuesync::serve::ServeOptions;
use serde_json::json;

use crate::common::fake_gitea::FakeGitea;
use crate::common::fake_github::FakeGitHub;
use crate::common::fake_gitlab::FakeGitLab;
use crate::common::tracker::{FakeTracker, RemoteEdit};
use crate::webhooks::{mirrored, read_sample, sample_of, signed, Running, SECRET};

const ROUNDS: usize = 40;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement: run with --ignored; writes bench-results/webhook-latency.json"]
async fn webhook_latency() {
    let options = ServeOptions {
        bind: "127.0.0.1:0".parse().unwrap(),
        poll: false,
        ..ServeOptions::default()
    };
    let mut figures = serde_json::Map::new();
    let trackers: Vec<Box<dyn FakeTracker>> = vec![
        Box::new(FakeGitea::start()),
        Box::new(FakeGitHub::start()),
        Box::new(FakeGitLab::start()),
    ];
    for t in trackers {
        let t = t.as_ref();
        let kind = t.kind();
        let (_dir, ws, repo) = mirrored(t).await;
        let sample = sample_of(kind);
        let body = read_sample(sample.issue_file);
        let reference = format!("t:{repo}#1");
        let running = Running::start(Arc::clone(&ws), options.clone()).await;
        let mut millis = Vec::with_capacity(ROUNDS);
        for round in 0..ROUNDS {
            let title = format!("Edit {round}");
            t.edit_issue(
                repo,
                1,
                RemoteEdit {
                    title: Some(title.clone()),
                    ..RemoteEdit::default()
                },
            );
            let headers = signed(
                kind,
                SECRET,
                &body,
                sample.issue_event,
                &format!("lat-{round}"),
            );
            let start = Instant::now();
            let (status, _) = running.post("t", &headers, body.clone()).await;
            assert_eq!(status, 202, "{kind}");
            while ws.issue(&reference).unwrap().issue.title != title {
                assert!(
                    start.elapsed() < Duration::from_secs(10),
                    "{kind}: never stored"
                );
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            millis.push(start.elapsed().as_secs_f64() * 1000.0);
            // Past the rate cap's refill and the debounce of the previous round.
            tokio::time::sleep(Duration::from_millis(120)).await;
        }
        running.stop().await;
        millis.sort_by(f64::total_cmp);
        let row = json!({
            "p50_ms": (percentile(&millis, 50.0) * 10.0).round() / 10.0,
            "p95_ms": (percentile(&millis, 95.0) * 10.0).round() / 10.0,
            "max_ms": (millis[millis.len() - 1] * 10.0).round() / 10.0,
        });
        println!("{kind}: {row}");
        figures.insert(kind.to_string(), row);
    }
    let report = json!({
        "benchmark": "webhook-latency",
        "what": "remote edit on the fake, signed delivery POSTed, until the mirror holds the edit",
        "debounce_ms": options.debounce.as_millis() as u64,
        "rounds_per_tracker": ROUNDS,
        "machine": "2 cores",
        "measured_at": issuesync::model::Timestamp::now().to_string(),
        "trackers": figures,
    });
    let path = format!(
        "{}/bench-results/webhook-latency.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::write(&path, serde_json::to_string_pretty(&report).unwrap() + "\n").unwrap();
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}
