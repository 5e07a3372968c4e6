//! Pins the behaviour of the fake GitLab server (`tests/common/fake_gitlab.rs`) that a sync
//! client depends on, over real HTTP with reqwest: `:id` as numeric id or URL-encoded full path
//! (raw slashes 404), nested groups and a relative URL root, offset pagination headers including
//! their omission above 10,000 rows, inclusive `updated_after` and `%2B` offsets, ALL-labels
//! filtering, notes with `system: true` entries, PUT semantics (`state_event`, label deltas,
//! `assignee_ids`, `milestone_id=0`), validation errors, 401/404 bodies, `RateLimit-*` headers,
//! injected 429s and failures, a connection dropped after an applied write, and millisecond
//! timestamps.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, FixedOffset, Utc};
use issuesync::model::ProviderKind;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::fake_gitlab::{
    render_time, FakeGitLab, FakeTracker, NewIssue, RemoteEdit, UPDATE_AT_LEAST_ONE_OF,
};
use crate::common::http_reply::Resp;
use crate::common::tracker::check_the_trait_on;

const ALICE: &str = "glpat-alice";
const BOB: &str = "glpat-bob";
/// A project two groups deep.
const REPO: &str = "acme/platform/backend";

/// alice and bob (tokens), public `acme/platform/backend` (everyone a member).
fn seeded() -> FakeGitLab {
    let g = FakeGitLab::start();
    g.add_user("alice", Some(ALICE));
    g.add_user("bob", Some(BOB));
    g.add_repo(REPO, false);
    g
}

/// `group/sub/project` → `group%2Fsub%2Fproject`.
fn enc(path: &str) -> String {
    path.replace('/', "%2F")
}

#[derive(Clone, Copy)]
enum Auth<'a> {
    Anon,
    Token(&'a str),
    Bearer(&'a str),
}

enum Payload {
    None,
    Json(Value),
    Form(Vec<(&'static str, String)>),
}

async fn send_url(method: Method, url: &str, auth: Auth<'_>, payload: Payload) -> Resp {
    let client = reqwest::Client::new();
    let mut req = client.request(method, url);
    req = match auth {
        Auth::Anon => req,
        Auth::Token(t) => req.header("PRIVATE-TOKEN", t),
        Auth::Bearer(t) => req.header("Authorization", format!("Bearer {t}")),
    };
    req = match payload {
        Payload::None => req,
        Payload::Json(v) => req.json(&v),
        Payload::Form(pairs) => req.form(&pairs),
    };
    Resp::read(req.send().await.expect("request to fake gitlab")).await
}

/// `path` is below `/api/v4` and may carry a query.
async fn call(
    g: &FakeGitLab,
    method: Method,
    path: &str,
    auth: Auth<'_>,
    payload: Payload,
) -> Resp {
    send_url(method, &format!("{}{path}", g.api_url()), auth, payload).await
}

async fn get(g: &FakeGitLab, path: &str, auth: Auth<'_>) -> Resp {
    call(g, Method::GET, path, auth, Payload::None).await
}

async fn put_json(g: &FakeGitLab, path: &str, body: Value) -> Resp {
    call(
        g,
        Method::PUT,
        path,
        Auth::Token(ALICE),
        Payload::Json(body),
    )
    .await
}

async fn put_form(g: &FakeGitLab, path: &str, pairs: &[(&'static str, &str)]) -> Resp {
    let pairs = pairs.iter().map(|(k, v)| (*k, v.to_string())).collect();
    call(
        g,
        Method::PUT,
        path,
        Auth::Token(ALICE),
        Payload::Form(pairs),
    )
    .await
}

fn issue_path(repo: &str, iid: u64) -> String {
    format!("/projects/{}/issues/{iid}", enc(repo))
}

fn create(g: &FakeGitLab, title: &str) -> u64 {
    g.create_issue(
        REPO,
        NewIssue {
            title,
            ..NewIssue::default()
        },
    )
}

fn parse_ts(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().expect("timestamp string"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

fn assert_gitlab_time(v: &Value) {
    let s = v.as_str().expect("timestamp string");
    let b = s.as_bytes();
    assert!(
        b.len() == 24 && b[10] == b'T' && b[19] == b'.' && b[23] == b'Z',
        "GitLab.com renders YYYY-MM-DDTHH:MM:SS.mmmZ, got {s}"
    );
}

fn label_names(issue: &Value) -> Vec<String> {
    issue["labels"]
        .as_array()
        .expect("labels array")
        .iter()
        .map(|l| l.as_str().expect("label name string").to_string())
        .collect()
}

fn usernames(users: &Value) -> Vec<String> {
    users
        .as_array()
        .expect("user array")
        .iter()
        .map(|u| u["username"].as_str().expect("username").to_string())
        .collect()
}

#[tokio::test]
async fn fake_gitlab_project_id_or_encoded_path_and_raw_slashes_404() {
    let g = seeded();
    let pid = g.project_id(REPO).expect("project id");
    let iid = create(&g, "first");

    let by_id = get(&g, &format!("/projects/{pid}"), Auth::Token(ALICE)).await;
    assert_eq!(by_id.status, StatusCode::OK);
    assert_eq!(by_id.body["id"], json!(pid));
    assert_eq!(by_id.body["path_with_namespace"], REPO);
    assert_eq!(by_id.body["path"], "backend");
    assert_eq!(by_id.body["namespace"]["full_path"], "acme/platform");
    assert_eq!(by_id.body["namespace"]["kind"], "group");
    assert!(
        by_id.body["namespace"]["parent_id"].is_u64(),
        "subgroup has a parent"
    );

    for reference in [
        enc(REPO),
        REPO.replace('/', "%2f"),
        enc(&REPO.to_uppercase()),
    ] {
        let r = get(&g, &format!("/projects/{reference}"), Auth::Token(ALICE)).await;
        assert_eq!(r.status, StatusCode::OK, "{reference}");
        assert_eq!(r.body["id"], json!(pid), "{reference}");
    }

    // Unencoded slashes match no route at all.
    for raw in [
        format!("/projects/{REPO}"),
        format!("/projects/{REPO}/issues"),
        format!("/projects/{REPO}/issues/{iid}"),
    ] {
        let r = get(&g, &raw, Auth::Token(ALICE)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{raw}");
        assert_eq!(r.body, json!({ "error": "404 Not Found" }), "{raw}");
    }

    for missing in [
        "/projects/acme%2Fnope",
        "/projects/999999",
        "/projects/acme%2Fplatform",
    ] {
        let r = get(&g, missing, Auth::Token(ALICE)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{missing}");
        assert_eq!(
            r.body,
            json!({ "message": "404 Project Not Found" }),
            "{missing}"
        );
    }

    // Issue endpoints take both forms and answer the same issue.
    let a = get(
        &g,
        &format!("/projects/{pid}/issues/{iid}"),
        Auth::Token(ALICE),
    )
    .await;
    let b = get(&g, &issue_path(REPO, iid), Auth::Token(ALICE)).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, b.body);
    // The global id is not an iid.
    let global = a.body["id"].as_u64().expect("id");
    assert_ne!(global, iid);
    let by_global = get(&g, &issue_path(REPO, global), Auth::Token(ALICE)).await;
    assert_eq!(by_global.status, StatusCode::NOT_FOUND);
    assert_eq!(by_global.body, json!({ "message": "404 Issue Not Found" }));
    let junk = get(
        &g,
        &format!("/projects/{pid}/issues/abc"),
        Auth::Token(ALICE),
    )
    .await;
    assert_eq!(junk.status, StatusCode::BAD_REQUEST);
    assert_eq!(junk.body, json!({ "error": "issue_iid is invalid" }));

    // Private projects are 404 to anonymous users and non-members.
    g.add_repo("acme/secret", true);
    g.add_member("acme/secret", "alice");
    let path = format!("/projects/{}", enc("acme/secret"));
    for auth in [Auth::Anon, Auth::Token(BOB)] {
        let r = get(&g, &path, auth).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.body, json!({ "message": "404 Project Not Found" }));
    }
    let r = get(&g, &path, Auth::Token(ALICE)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["visibility"], "private");
    assert_eq!(r.body["permissions"]["project_access"]["access_level"], 30);
}

#[tokio::test]
async fn fake_gitlab_relative_root_and_nested_groups_in_urls() {
    let g = FakeGitLab::start_at_relative_root("/gitlab/");
    g.add_user("alice", Some(ALICE));
    g.add_repo(REPO, false);
    let web = g.web_url();
    assert!(web.ends_with("/gitlab"), "{web}");
    assert_eq!(g.api_url(), format!("{web}/api/v4"));
    assert_eq!(FakeTracker::web_url(&g), web);
    g.add_many_issues(REPO, 3);

    let r = get(
        &g,
        &format!("/projects/{}/issues?per_page=2", enc(REPO)),
        Auth::Token(ALICE),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let first = &r.items()[0];
    assert_eq!(first["web_url"], format!("{web}/{REPO}/-/issues/3"));
    assert_eq!(first["references"]["full"], format!("{REPO}#3"));
    let pid = g.project_id(REPO).expect("pid");
    assert_eq!(
        first["_links"]["self"],
        format!("{web}/api/v4/projects/{pid}/issues/3")
    );
    let next = r.link("next").expect("rel=next");
    assert!(
        next.starts_with(&format!("{web}/api/v4/projects/{}/issues?", enc(REPO))),
        "{next}"
    );
    let page2 = send_url(Method::GET, &next, Auth::Token(ALICE), Payload::None).await;
    assert_eq!(page2.field_of_items("iid"), vec![1]);

    let project = get(&g, &format!("/projects/{pid}"), Auth::Token(ALICE)).await;
    assert_eq!(project.body["web_url"], format!("{web}/{REPO}"));
    assert_eq!(
        project.body["namespace"]["web_url"],
        format!("{web}/groups/acme/platform")
    );

    // Without the relative root there is no API.
    let origin = web.trim_end_matches("/gitlab");
    let outside = send_url(
        Method::GET,
        &format!("{origin}/api/v4/projects/{pid}"),
        Auth::Token(ALICE),
        Payload::None,
    )
    .await;
    assert_eq!(outside.status, StatusCode::NOT_FOUND);
    assert!(outside
        .header("content-type")
        .unwrap_or("")
        .starts_with("text/html"));
    let seen = g.requests();
    assert!(seen
        .iter()
        .any(|r| r.path == format!("/gitlab/api/v4/projects/{}/issues", enc(REPO))));
}

#[tokio::test]
async fn fake_gitlab_auth_forms_401s_and_recorded_authorization() {
    let g = seeded();
    create(&g, "public issue");

    let anon = get(&g, "/user", Auth::Anon).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anon.body, json!({ "message": "401 Unauthorized" }));
    let me = get(&g, "/user", Auth::Token(ALICE)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["username"], "alice");
    assert_eq!(me.body["id"], json!(g.user_id("alice").expect("id")));
    let bearer = get(&g, "/user", Auth::Bearer(BOB)).await;
    assert_eq!(bearer.body["username"], "bob");

    // A bad token is 401 everywhere, even where anonymous access works.
    let issues = format!("/projects/{}/issues", enc(REPO));
    assert_eq!(get(&g, &issues, Auth::Anon).await.status, StatusCode::OK);
    for auth in [Auth::Token("nope"), Auth::Bearer("nope")] {
        let r = get(&g, &issues, auth).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.body, json!({ "message": "401 Unauthorized" }));
    }
    // Other Authorization schemes are ignored (anonymous).
    let token_scheme = reqwest::Client::new()
        .get(format!("{}/user", g.api_url()))
        .header("Authorization", format!("token {ALICE}"))
        .send()
        .await
        .expect("request");
    assert_eq!(
        token_scheme.status(),
        StatusCode::UNAUTHORIZED,
        "treated as anonymous"
    );

    // The notes API requires authentication even on public projects; writes too.
    let notes = get(&g, &format!("{}/notes", issue_path(REPO, 1)), Auth::Anon).await;
    assert_eq!(notes.status, StatusCode::UNAUTHORIZED);
    let post = call(
        &g,
        Method::POST,
        &issues,
        Auth::Anon,
        Payload::Json(json!({ "title": "x" })),
    )
    .await;
    assert_eq!(post.status, StatusCode::UNAUTHORIZED);
    assert_eq!(post.body, json!({ "message": "401 Unauthorized" }));

    let auths: Vec<Option<String>> = g.requests().into_iter().map(|r| r.authorization).collect();
    assert_eq!(auths[0], None);
    assert_eq!(auths[1].as_deref(), Some("PRIVATE-TOKEN glpat-alice"));
    assert_eq!(auths[2].as_deref(), Some("Bearer glpat-bob"));
}

#[tokio::test]
async fn fake_gitlab_offset_pagination_headers_and_link() {
    let g = seeded();
    let pid = g.project_id(REPO).expect("pid");
    g.add_many_issues(REPO, 45);
    let base = format!("/projects/{pid}/issues");

    let p1 = get(&g, &base, Auth::Token(ALICE)).await;
    assert_eq!(p1.status, StatusCode::OK);
    assert_eq!(
        p1.field_of_items("iid"),
        (26..=45).rev().collect::<Vec<u64>>(),
        "created_at desc by default"
    );
    assert_eq!(p1.header("x-per-page"), Some("20"));
    assert_eq!(p1.header("x-page"), Some("1"));
    assert_eq!(p1.header("x-next-page"), Some("2"));
    assert_eq!(p1.header("x-prev-page"), Some(""));
    assert_eq!(p1.header("x-total"), Some("45"));
    assert_eq!(p1.header("x-total-pages"), Some("3"));
    assert_eq!(p1.rels(), vec!["next", "first", "last"]);
    let next = p1.link("next").expect("next");
    let api = g.api_url();
    assert_eq!(
        next,
        format!(
            "{api}/projects/{pid}/issues?id={pid}&order_by=created_at&page=2&per_page=20\
             &sort=desc&state=all&with_labels_details=false"
        )
    );
    assert!(p1.link("last").expect("last").contains("page=3&"));

    let p2 = get(&g, &format!("{base}?page=2"), Auth::Token(ALICE)).await;
    assert_eq!(p2.rels(), vec!["prev", "next", "first", "last"]);
    assert_eq!(p2.header("x-prev-page"), Some("1"));
    assert_eq!(p2.header("x-next-page"), Some("3"));
    let via_link = send_url(Method::GET, &next, Auth::Token(ALICE), Payload::None).await;
    assert_eq!(via_link.field_of_items("iid"), p2.field_of_items("iid"));

    let p3 = get(&g, &format!("{base}?page=3"), Auth::Token(ALICE)).await;
    assert_eq!(p3.field_of_items("iid"), vec![5, 4, 3, 2, 1]);
    assert_eq!(p3.header("x-next-page"), Some(""));
    assert_eq!(p3.rels(), vec!["prev", "first", "last"]);

    let beyond = get(&g, &format!("{base}?page=9"), Auth::Token(ALICE)).await;
    assert!(beyond.items().is_empty());
    assert_eq!(beyond.header("x-next-page"), Some(""));
    assert_eq!(beyond.header("x-prev-page"), Some(""));
    assert_eq!(beyond.header("x-total"), Some("45"));

    let capped = get(&g, &format!("{base}?per_page=500"), Auth::Token(ALICE)).await;
    assert_eq!(capped.items().len(), 45);
    assert_eq!(capped.header("x-per-page"), Some("100"));
    assert_eq!(capped.header("x-total-pages"), Some("1"));

    // Walking rel=next from an encoded-path request keeps the decoded id in the query.
    let mut url = format!("{api}/projects/{}/issues?per_page=10&sort=asc", enc(REPO));
    let mut seen = Vec::new();
    loop {
        let r = send_url(Method::GET, &url, Auth::Token(ALICE), Payload::None).await;
        seen.extend(r.field_of_items("iid"));
        match r.link("next") {
            Some(n) => {
                assert!(n.contains(&format!("id={}&", enc(REPO))), "{n}");
                url = n;
            }
            None => break,
        }
    }
    assert_eq!(seen, (1..=45).collect::<Vec<u64>>());

    // An empty list still has one page.
    g.add_repo("acme/empty", false);
    let empty = get(
        &g,
        &format!("/projects/{}/issues", enc("acme/empty")),
        Auth::Anon,
    )
    .await;
    assert!(empty.items().is_empty());
    assert_eq!(empty.header("x-total"), Some("0"));
    assert_eq!(empty.header("x-total-pages"), Some("1"));
    assert_eq!(empty.rels(), vec!["first", "last"]);
}

#[tokio::test]
async fn fake_gitlab_over_ten_thousand_rows_omits_totals_and_last() {
    let g = seeded();
    let started = Instant::now();
    g.add_many_issues(REPO, 10_050);
    for iid in 1..=50 {
        g.edit_issue(
            REPO,
            iid,
            RemoteEdit {
                state: Some("closed".into()),
                ..RemoteEdit::default()
            },
        );
    }
    let base = format!("/projects/{}/issues?per_page=100", enc(REPO));

    // Exactly 10,000 rows still get totals.
    let opened = get(&g, &format!("{base}&state=opened"), Auth::Token(ALICE)).await;
    assert_eq!(opened.header("x-total"), Some("10000"));
    assert_eq!(opened.header("x-total-pages"), Some("100"));
    assert_eq!(opened.rels(), vec!["next", "first", "last"]);

    let first = get(&g, &base, Auth::Token(ALICE)).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.items().len(), 100);
    assert_eq!(first.header("x-total"), None);
    assert_eq!(first.header("x-total-pages"), None);
    assert_eq!(first.header("x-next-page"), Some("2"));
    assert_eq!(first.rels(), vec!["next", "first"]);

    // Walk every page by X-Next-Page.
    let mut iids = HashSet::new();
    let mut page = 1;
    let mut pages = 0;
    loop {
        let r = get(
            &g,
            &format!("{base}&page={page}&order_by=updated_at&sort=asc"),
            Auth::Anon,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        pages += 1;
        iids.extend(r.field_of_items("iid"));
        match r.header("x-next-page") {
            Some("") => {
                assert_eq!(r.items().len(), 50);
                assert_eq!(r.rels(), vec!["prev", "first"]);
                break;
            }
            Some(n) => page = n.parse().expect("numeric X-Next-Page"),
            None => panic!("X-Next-Page is always sent"),
        }
    }
    assert_eq!(pages, 101);
    assert_eq!(iids.len(), 10_050);
    let elapsed = started.elapsed();
    assert!(
        elapsed < StdDuration::from_secs(30),
        "seeding + paging 10,050 issues took {elapsed:?}"
    );
}

#[tokio::test]
async fn fake_gitlab_updated_after_is_inclusive_and_needs_encoded_plus() {
    let g = seeded();
    let a = create(&g, "a");
    let b = create(&g, "b");
    let c = create(&g, "c");
    let tb = g.gitlab_issue(REPO, b).expect("b").updated_at;
    assert_eq!(render_time(tb), "2026-01-05T10:00:02.000Z");
    let base = format!(
        "/projects/{}/issues?order_by=updated_at&sort=asc",
        enc(REPO)
    );

    let inclusive = get(
        &g,
        &format!("{base}&updated_after={}", render_time(tb)),
        Auth::Anon,
    )
    .await;
    assert_eq!(inclusive.field_of_items("iid"), vec![b, c]);
    let ms_later = render_time(tb + Duration::milliseconds(1));
    let later = get(&g, &format!("{base}&updated_after={ms_later}"), Auth::Anon).await;
    assert_eq!(later.field_of_items("iid"), vec![c]);
    let before = get(
        &g,
        &format!("{base}&updated_before={}", render_time(tb)),
        Auth::Anon,
    )
    .await;
    assert_eq!(before.field_of_items("iid"), vec![a, b]);

    // The same instant with an offset: `+` must travel as %2B.
    let plus_one = tb
        .with_timezone(&FixedOffset::east_opt(3600).expect("offset"))
        .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string();
    assert_eq!(plus_one, "2026-01-05T11:00:02.000+01:00");
    let encoded = get(
        &g,
        &format!("{base}&updated_after={}", plus_one.replace('+', "%2B")),
        Auth::Anon,
    )
    .await;
    assert_eq!(encoded.field_of_items("iid"), vec![b, c]);
    let raw_plus = get(&g, &format!("{base}&updated_after={plus_one}"), Auth::Anon).await;
    assert_eq!(raw_plus.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        raw_plus.body,
        json!({ "error": "updated_after is invalid" })
    );
    let seen = g.requests();
    let last = seen.last().expect("request");
    assert_eq!(
        last.param("updated_after"),
        Some("2026-01-05T11:00:02.000 01:00")
    );

    // Editing a moves it to the end of an updated_at ascending list.
    g.edit_issue(
        REPO,
        a,
        RemoteEdit {
            title: Some("a2".into()),
            ..RemoteEdit::default()
        },
    );
    let all = get(&g, &base, Auth::Anon).await;
    assert_eq!(all.field_of_items("iid"), vec![b, c, a]);

    // Link URLs carry the date as Grape re-renders it (whole seconds, +00:00).
    let paged = get(
        &g,
        &format!("{base}&per_page=1&updated_after={}", render_time(tb)),
        Auth::Anon,
    )
    .await;
    let next = paged.link("next").expect("next");
    assert!(
        next.contains("updated_after=2026-01-05T10%3A00%3A02%2B00%3A00"),
        "{next}"
    );
    let page2 = send_url(Method::GET, &next, Auth::Anon, Payload::None).await;
    assert_eq!(page2.field_of_items("iid"), vec![c]);
}

#[tokio::test]
async fn fake_gitlab_labels_filter_requires_all_and_milestone_filter() {
    let g = seeded();
    g.add_milestone(REPO, "v1");
    let new = |title: &'static str, labels: Vec<&'static str>, milestone: Option<&'static str>| {
        g.create_issue(
            REPO,
            NewIssue {
                title,
                labels,
                milestone,
                ..NewIssue::default()
            },
        )
    };
    let one = new("bug only", vec!["bug"], None);
    let two = new("bug and ui", vec!["ui", "bug"], Some("v1"));
    let three = new("ui only", vec!["ui"], Some("v1"));
    let four = new("nothing", vec![], None);
    let base = format!("/projects/{}/issues?sort=asc", enc(REPO));
    let q = |suffix: String| {
        let g = &g;
        let base = base.clone();
        async move { get(g, &format!("{base}&{suffix}"), Auth::Anon).await }
    };

    assert_eq!(
        q("labels=bug,ui".into()).await.field_of_items("iid"),
        vec![two]
    );
    assert_eq!(
        q("labels=bug".into()).await.field_of_items("iid"),
        vec![one, two]
    );
    assert_eq!(
        q("labels[]=bug&labels[]=ui".into())
            .await
            .field_of_items("iid"),
        vec![two]
    );
    assert_eq!(
        q("labels=bug,nope".into()).await.field_of_items("iid"),
        Vec::<u64>::new()
    );
    assert_eq!(
        q("labels=Bug".into()).await.field_of_items("iid"),
        Vec::<u64>::new()
    );
    assert_eq!(
        q("labels=None".into()).await.field_of_items("iid"),
        vec![four]
    );
    assert_eq!(
        q("labels=any".into()).await.field_of_items("iid"),
        vec![one, two, three]
    );
    assert_eq!(
        q("milestone=v1".into()).await.field_of_items("iid"),
        vec![two, three]
    );
    assert_eq!(
        q("milestone=None".into()).await.field_of_items("iid"),
        vec![one, four]
    );
    assert_eq!(
        q("milestone=Any".into()).await.field_of_items("iid"),
        vec![two, three]
    );
    assert_eq!(
        q("labels=ui&milestone=v1".into())
            .await
            .field_of_items("iid"),
        vec![two, three]
    );

    let r = q("labels=bug".into()).await;
    assert_eq!(
        label_names(&r.items()[1]),
        vec!["bug", "ui"],
        "labels are sorted names"
    );

    g.edit_issue(
        REPO,
        one,
        RemoteEdit {
            state: Some("closed".into()),
            ..RemoteEdit::default()
        },
    );
    assert_eq!(
        q("state=closed".into()).await.field_of_items("iid"),
        vec![one]
    );
    assert_eq!(
        q("state=opened".into()).await.field_of_items("iid"),
        vec![two, three, four]
    );
    assert_eq!(
        q("state=all".into()).await.field_of_items("iid"),
        vec![one, two, three, four]
    );
    let bad = q("state=open".into()).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad.body,
        json!({ "error": "state does not have a valid value" })
    );
}

#[tokio::test]
async fn fake_gitlab_notes_include_system_notes_and_touch_the_issue() {
    let g = seeded();
    let bob = g.user_id("bob").expect("bob");
    let iid = g.create_issue(
        REPO,
        NewIssue {
            title: "t",
            author: "alice",
            ..NewIssue::default()
        },
    );
    g.add_comment(REPO, iid, "bob", "first!");
    let path = issue_path(REPO, iid);
    assert_eq!(
        put_json(&g, &path, json!({ "assignee_ids": [bob] }))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        put_json(&g, &path, json!({ "add_labels": "bug" }))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        put_json(&g, &path, json!({ "state_event": "close" }))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        put_json(&g, &path, json!({ "description": "new" }))
            .await
            .status,
        StatusCode::OK
    );
    let created = call(
        &g,
        Method::POST,
        &format!("{path}/notes"),
        Auth::Token(ALICE),
        Payload::Json(json!({ "body": "second" })),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["system"], false);
    assert_eq!(created.body["noteable_iid"], json!(iid));
    assert_eq!(created.body["noteable_type"], "Issue");
    assert_eq!(created.body["author"]["username"], "alice");
    assert_gitlab_time(&created.body["created_at"]);

    let desc = get(&g, &format!("{path}/notes"), Auth::Token(BOB)).await;
    assert_eq!(desc.status, StatusCode::OK);
    let bodies = |r: &Resp| -> Vec<(String, bool)> {
        r.items()
            .iter()
            .map(|n| {
                (
                    n["body"].as_str().expect("body").to_string(),
                    n["system"].as_bool().expect("system"),
                )
            })
            .collect()
    };
    assert_eq!(
        bodies(&desc),
        vec![
            ("second".to_string(), false),
            ("changed the description".to_string(), true),
            ("assigned to @bob".to_string(), true),
            ("first!".to_string(), false),
        ],
        "sort defaults to desc; label and state changes are resource events, not notes"
    );
    let asc = get(
        &g,
        &format!("{path}/notes?sort=asc&order_by=updated_at"),
        Auth::Token(BOB),
    )
    .await;
    let mut reversed = bodies(&desc);
    reversed.reverse();
    assert_eq!(bodies(&asc), reversed);
    assert_eq!(asc.header("x-total"), Some("4"));
    let comments = get(
        &g,
        &format!("{path}/notes?activity_filter=only_comments"),
        Auth::Token(BOB),
    )
    .await;
    assert_eq!(comments.items().len(), 2);

    let issue = get(&g, &path, Auth::Token(BOB)).await;
    assert_eq!(issue.body["user_notes_count"], 2);
    assert_eq!(
        issue.body["updated_at"], created.body["created_at"],
        "a note touches the issue"
    );
    assert_eq!(g.comment_bodies(REPO, iid), vec!["first!", "second"]);

    let labels = get(
        &g,
        &format!("{path}/resource_label_events"),
        Auth::Token(BOB),
    )
    .await;
    assert_eq!(labels.items().len(), 1);
    assert_eq!(labels.items()[0]["action"], "add");
    assert_eq!(labels.items()[0]["label"]["name"], "bug");
    let states = get(
        &g,
        &format!("{path}/resource_state_events"),
        Auth::Token(BOB),
    )
    .await;
    assert_eq!(states.items()[0]["state"], "closed");

    // No project-wide notes listing.
    let project_notes = get(
        &g,
        &format!("/projects/{}/notes", enc(REPO)),
        Auth::Token(BOB),
    )
    .await;
    assert_eq!(project_notes.status, StatusCode::NOT_FOUND);
    assert_eq!(project_notes.body, json!({ "error": "404 Not Found" }));
}

#[tokio::test]
async fn fake_gitlab_put_semantics() {
    let g = seeded();
    g.add_milestone(REPO, "v1");
    let alice = g.user_id("alice").expect("alice");
    let bob = g.user_id("bob").expect("bob");
    let iid = g.create_issue(
        REPO,
        NewIssue {
            title: "t",
            labels: vec!["a"],
            ..NewIssue::default()
        },
    );
    let path = issue_path(REPO, iid);

    // Nothing recognised → Grape's at_least_one_of error.
    let expected = json!({
        "error": format!(
            "{} are missing, at least one parameter must be provided",
            UPDATE_AT_LEAST_ONE_OF.join(", ")
        )
    });
    for body in [json!({}), json!({ "foo": 1, "state": "closed" })] {
        let r = put_json(&g, &path, body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.body, expected);
    }
    assert!(expected["error"]
        .as_str()
        .expect("string")
        .starts_with("assignee_id, assignee_ids, confidential, created_at, description,"));

    // state_event.
    let closed = put_form(&g, &path, &[("state_event", "close")]).await;
    assert_eq!(closed.status, StatusCode::OK);
    assert_eq!(closed.body["state"], "closed");
    assert_eq!(closed.body["closed_at"], closed.body["updated_at"]);
    assert_eq!(closed.body["closed_by"]["username"], "alice");
    let reopened = put_form(&g, &path, &[("state_event", "reopen")]).await;
    assert_eq!(reopened.body["state"], "opened");
    assert_eq!(reopened.body["closed_at"], Value::Null);
    let bad = put_form(&g, &path, &[("state_event", "closed")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad.body,
        json!({ "error": "state_event does not have a valid value" })
    );

    // Labels: replace (comma-separated), deltas, clear, JSON array; new names are created.
    let r = put_form(&g, &path, &[("labels", "b,c")]).await;
    assert_eq!(label_names(&r.body), vec!["b", "c"]);
    let r = put_form(
        &g,
        &path,
        &[("add_labels", "a"), ("remove_labels", "b,zzz")],
    )
    .await;
    assert_eq!(label_names(&r.body), vec!["a", "c"]);
    let r = put_form(&g, &path, &[("labels", "")]).await;
    assert!(label_names(&r.body).is_empty());
    let r = put_json(&g, &path, json!({ "labels": ["z", "y"] })).await;
    assert_eq!(label_names(&r.body), vec!["y", "z"]);
    let labels = get(&g, &format!("/projects/{}/labels", enc(REPO)), Auth::Anon).await;
    let c = labels
        .items()
        .iter()
        .find(|l| l["name"] == "c")
        .expect("label c created");
    assert_eq!(c["color"], "#6699cc");
    assert!(
        labels.items().iter().all(|l| l["name"] != "zzz"),
        "remove_labels never creates"
    );

    // Assignees: form arrays, unknown ids dropped (unchanged, no error), [] and 0 clear.
    let (b, a) = (bob.to_string(), alice.to_string());
    let r = put_form(
        &g,
        &path,
        &[
            ("assignee_ids[]", b.as_str()),
            ("assignee_ids[]", a.as_str()),
        ],
    )
    .await;
    assert_eq!(usernames(&r.body["assignees"]), vec!["bob", "alice"]);
    assert_eq!(r.body["assignee"]["username"], "bob");
    let r = put_json(&g, &path, json!({ "assignee_ids": [999_999] })).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(usernames(&r.body["assignees"]), vec!["bob", "alice"]);
    let r = put_json(&g, &path, json!({ "assignee_ids": [999_999, bob] })).await;
    assert_eq!(usernames(&r.body["assignees"]), vec!["bob"]);
    let r = put_json(&g, &path, json!({ "assignee_ids": [] })).await;
    assert!(usernames(&r.body["assignees"]).is_empty());
    assert_eq!(r.body["assignee"], Value::Null);
    put_json(&g, &path, json!({ "assignee_ids": [bob] })).await;
    let r = put_form(&g, &path, &[("assignee_ids", "0")]).await;
    assert!(usernames(&r.body["assignees"]).is_empty());

    // Milestone by global id; 0 clears; junk is 400.
    let mid = g.milestone_id(REPO, "v1").expect("milestone");
    let r = put_json(&g, &path, json!({ "milestone_id": mid })).await;
    assert_eq!(r.body["milestone"]["title"], "v1");
    assert_eq!(r.body["milestone"]["id"], json!(mid));
    assert_eq!(r.body["milestone"]["iid"], 1);
    assert_eq!(r.body["milestone"]["state"], "active");
    let r = put_form(&g, &path, &[("milestone_id", "0")]).await;
    assert_eq!(r.body["milestone"], Value::Null);
    let r = put_form(&g, &path, &[("milestone_id", "abc")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body, json!({ "error": "milestone_id is invalid" }));

    // updated_at moves one clock second per effective change, not on a no-op.
    let before = g.gitlab_issue(REPO, iid).expect("issue").updated_at;
    let same = put_json(&g, &path, json!({ "title": "t" })).await;
    assert_eq!(parse_ts(&same.body["updated_at"]), before);
    let changed = put_json(&g, &path, json!({ "title": "t2" })).await;
    assert_eq!(parse_ts(&changed.body["updated_at"]), g.now());
    assert!(parse_ts(&changed.body["updated_at"]) > before);

    // Query-string params are params too (Grape merges them).
    let r = call(
        &g,
        Method::PUT,
        &format!("{path}?state_event=close"),
        Auth::Token(ALICE),
        Payload::None,
    )
    .await;
    assert_eq!(r.body["state"], "closed");

    // Missing issue: find_by! → "404 Not found".
    let missing = put_json(&g, &issue_path(REPO, 999), json!({ "title": "x" })).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body, json!({ "message": "404 Not found" }));

    // Non-members: 403 on other people's issues; on their own, metadata is silently dropped.
    g.add_member(REPO, "alice");
    let denied = call(
        &g,
        Method::PUT,
        &path,
        Auth::Token(BOB),
        Payload::Json(json!({ "title": "hijack" })),
    )
    .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_eq!(denied.body, json!({ "message": "403 Forbidden" }));
    let own = call(
        &g,
        Method::POST,
        &format!("/projects/{}/issues", enc(REPO)),
        Auth::Token(BOB),
        Payload::Json(json!({ "title": "mine", "labels": "x" })),
    )
    .await;
    assert_eq!(own.status, StatusCode::CREATED);
    assert!(label_names(&own.body).is_empty());
    let own_path = issue_path(REPO, own.body["iid"].as_u64().expect("iid"));
    let edited = call(
        &g,
        Method::PUT,
        &own_path,
        Auth::Token(BOB),
        Payload::Json(json!({ "title": "mine!", "labels": "x" })),
    )
    .await;
    assert_eq!(edited.status, StatusCode::OK);
    assert_eq!(edited.body["title"], "mine!");
    assert!(label_names(&edited.body).is_empty());
}

#[tokio::test]
async fn fake_gitlab_post_validation_errors_and_creation() {
    let g = seeded();
    g.add_milestone(REPO, "v1");
    let bob = g.user_id("bob").expect("bob");
    let mid = g.milestone_id(REPO, "v1").expect("milestone");
    let issues = format!("/projects/{}/issues", enc(REPO));
    let post = |path: String, payload: Payload| {
        let g = &g;
        async move { call(g, Method::POST, &path, Auth::Token(ALICE), payload).await }
    };

    let r = post(issues.clone(), Payload::Json(json!({ "description": "x" }))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body, json!({ "error": "title is missing" }));
    let r = post(issues.clone(), Payload::Form(vec![("title", "   ".into())])).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({ "message": { "title": ["can't be blank"] } })
    );
    // Validation comes before the project lookup.
    let r = post(
        "/projects/acme%2Fnope/issues".into(),
        Payload::Json(json!({})),
    )
    .await;
    assert_eq!(r.body, json!({ "error": "title is missing" }));
    let r = post(
        "/projects/acme%2Fnope/issues".into(),
        Payload::Json(json!({ "title": "x" })),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body, json!({ "message": "404 Project Not Found" }));
    let r = call(&g, Method::POST, &issues, Auth::Token(ALICE), Payload::None).await;
    assert_eq!(r.body, json!({ "error": "title is missing" }));

    let created = post(
        issues.clone(),
        Payload::Json(json!({
            "title": "New",
            "labels": "ui,bug",
            "assignee_ids": [bob],
            "milestone_id": mid,
        })),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["iid"], 1);
    assert_eq!(created.body["description"], Value::Null);
    assert_eq!(created.body["state"], "opened");
    assert_eq!(label_names(&created.body), vec!["bug", "ui"]);
    assert_eq!(usernames(&created.body["assignees"]), vec!["bob"]);
    assert_eq!(created.body["milestone"]["title"], "v1");
    assert_eq!(created.body["author"]["username"], "alice");

    let notes = format!("{}/notes", issue_path(REPO, 1));
    let r = post(notes.clone(), Payload::Json(json!({}))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body, json!({ "error": "body is missing" }));
    let r = post(notes.clone(), Payload::Form(vec![("body", String::new())])).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body, json!({ "message": { "note": ["can't be blank"] } }));
    let r = post(
        format!("{}/notes", issue_path(REPO, 42)),
        Payload::Json(json!({ "body": "x" })),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body, json!({ "message": "404 Issue Not Found" }));
    let r = post(notes.clone(), Payload::Form(vec![("body", "hello".into())])).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["body"], "hello");

    // A body that claims JSON but is not.
    let client = reqwest::Client::new();
    let resp = client
        .post(format!("{}{issues}", g.api_url()))
        .header("PRIVATE-TOKEN", ALICE)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(
        body,
        json!({ "error": "message body does not match declared format" })
    );
}

#[tokio::test]
async fn fake_gitlab_issue_json_shape_and_millisecond_timestamps() {
    let g = seeded();
    g.add_label(REPO, "bug", "#D9534F");
    g.add_milestone(REPO, "v1");
    let iid = g.create_issue(
        REPO,
        NewIssue {
            title: "Shape",
            body: "Body text",
            author: "alice",
            labels: vec!["ui", "bug"],
            milestone: Some("v1"),
            assignees: vec!["bob"],
            pull_request: false,
        },
    );
    let web = g.web_url();
    let r = get(&g, &issue_path(REPO, iid), Auth::Token(BOB)).await;
    let i = &r.body;
    for key in [
        "id",
        "iid",
        "project_id",
        "title",
        "description",
        "state",
        "created_at",
        "updated_at",
        "closed_at",
        "closed_by",
        "labels",
        "milestone",
        "assignees",
        "assignee",
        "author",
        "type",
        "user_notes_count",
        "web_url",
        "moved_to_id",
        "confidential",
        "references",
        "_links",
        "time_stats",
        "issue_type",
    ] {
        assert!(i.get(key).is_some(), "issue JSON lacks {key}: {i}");
    }
    assert_eq!(i["created_at"], "2026-01-05T10:00:01.000Z");
    assert_gitlab_time(&i["updated_at"]);
    assert_eq!(i["closed_at"], Value::Null);
    assert_eq!(i["closed_by"], Value::Null);
    assert_eq!(i["moved_to_id"], Value::Null);
    assert_eq!(i["description"], "Body text");
    assert_eq!(i["state"], "opened");
    assert_eq!(i["type"], "ISSUE");
    assert_eq!(label_names(i), vec!["bug", "ui"]);
    assert_eq!(i["project_id"], json!(g.project_id(REPO).expect("pid")));
    assert_ne!(i["id"], i["iid"]);
    assert_eq!(i["web_url"], format!("{web}/{REPO}/-/issues/{iid}"));
    assert_eq!(i["references"]["short"], format!("#{iid}"));
    assert_eq!(i["user_notes_count"], 0);
    assert_eq!(i["confidential"], false);
    let m = &i["milestone"];
    assert_eq!(m["title"], "v1");
    assert_eq!(m["state"], "active");
    assert_eq!(m["due_date"], Value::Null);
    assert!(m["id"].is_u64() && m["iid"].is_u64() && m["project_id"].is_u64());
    let bob = &i["assignees"][0];
    for key in ["id", "username", "name", "state", "avatar_url", "web_url"] {
        assert!(bob.get(key).is_some(), "user JSON lacks {key}");
    }
    assert_eq!(bob["web_url"], format!("{web}/bob"));
    assert_eq!(i["assignee"], *bob);
    assert_eq!(i["author"]["username"], "alice");

    let detailed = get(
        &g,
        &format!("/projects/{}/issues?with_labels_details=true", enc(REPO)),
        Auth::Anon,
    )
    .await;
    let labels = detailed.items()[0]["labels"]
        .as_array()
        .expect("labels")
        .clone();
    assert_eq!(labels[0]["name"], "bug");
    assert_eq!(labels[0]["color"], "#D9534F");

    g.advance_clock(3600);
    g.edit_issue(
        REPO,
        iid,
        RemoteEdit {
            body: Some(String::new()),
            ..RemoteEdit::default()
        },
    );
    let r = get(&g, &issue_path(REPO, iid), Auth::Anon).await;
    assert_eq!(r.body["updated_at"], "2026-01-05T11:00:02.000Z");
    assert_eq!(
        r.body["description"],
        Value::Null,
        "empty description renders null"
    );
    assert_eq!(g.issue(REPO, iid).expect("issue").updated_at, g.now());
}

#[tokio::test]
async fn fake_gitlab_rate_limit_headers_on_and_off() {
    let g = seeded();
    let r = get(&g, "/user", Auth::Token(ALICE)).await;
    assert_eq!(r.header("ratelimit-limit"), Some("2000"));
    assert_eq!(
        r.header("ratelimit-name"),
        Some("throttle_authenticated_api")
    );
    let observed: u64 = r
        .header("ratelimit-observed")
        .expect("observed")
        .parse()
        .expect("n");
    let remaining: u64 = r
        .header("ratelimit-remaining")
        .expect("remaining")
        .parse()
        .expect("n");
    assert_eq!(observed + remaining, 2000);
    let reset: i64 = r
        .header("ratelimit-reset")
        .expect("reset")
        .parse()
        .expect("epoch");
    assert!(reset > Utc::now().timestamp() - 1);
    let anon = get(&g, &format!("/projects/{}", enc(REPO)), Auth::Anon).await;
    assert_eq!(
        anon.header("ratelimit-name"),
        Some("throttle_unauthenticated_api")
    );

    let quiet = FakeGitLab::start().with_rate_limit_headers(false);
    quiet.add_user("alice", Some(ALICE));
    let r = get(&quiet, "/user", Auth::Token(ALICE)).await;
    assert_eq!(r.status, StatusCode::OK);
    for h in [
        "ratelimit-limit",
        "ratelimit-observed",
        "ratelimit-remaining",
        "ratelimit-reset",
        "ratelimit-name",
    ] {
        assert_eq!(r.header(h), None, "{h}");
    }
}

#[tokio::test]
async fn fake_gitlab_rate_limit_next_and_fail_next() {
    let g = seeded();
    let iid = create(&g, "t");
    let path = issue_path(REPO, iid);

    g.rate_limit_next(2, 7);
    let r = put_json(&g, &path, json!({ "title": "throttled" })).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.text, "Retry later");
    assert_eq!(r.header("retry-after"), Some("7"));
    assert_eq!(r.header("ratelimit-remaining"), Some("0"));
    assert!(r
        .header("ratelimit-resettime")
        .expect("reset time")
        .ends_with(" GMT"));
    let reset: i64 = r
        .header("ratelimit-reset")
        .expect("reset")
        .parse()
        .expect("epoch");
    assert!(reset >= Utc::now().timestamp() + 5);
    assert_eq!(
        g.gitlab_issue(REPO, iid).expect("issue").title,
        "t",
        "not applied"
    );
    assert_eq!(
        get(&g, &path, Auth::Anon).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(get(&g, &path, Auth::Anon).await.status, StatusCode::OK);

    g.fail_next(2, 503);
    let r = put_json(&g, &path, json!({ "title": "failed" })).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.body, json!({ "message": "503 Service Unavailable" }));
    assert_eq!(
        get(&g, &path, Auth::Anon).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        g.gitlab_issue(REPO, iid).expect("issue").title,
        "t",
        "not applied"
    );
    g.fail_next(1, 500);
    let r = get(&g, &path, Auth::Anon).await;
    assert_eq!(r.body, json!({ "message": "500 Internal Server Error" }));
    let ok = put_json(&g, &path, json!({ "title": "finally" })).await;
    assert_eq!(ok.status, StatusCode::OK);

    let log = g.request_log();
    assert_eq!(log.len(), 7, "failed requests are recorded too");
    assert!(log.windows(2).all(|w| w[0].at <= w[1].at));
}

#[tokio::test]
async fn fake_gitlab_drop_connection_after_write_applies_it() {
    let g = seeded();
    let iid = create(&g, "t");
    let path = issue_path(REPO, iid);
    g.drop_connection_after_next_write();

    // Reads are not affected.
    assert_eq!(get(&g, &path, Auth::Anon).await.status, StatusCode::OK);

    let client = reqwest::Client::new();
    let url = format!("{}{path}", g.api_url());
    let sent = client
        .put(&url)
        .header("PRIVATE-TOKEN", ALICE)
        .json(&json!({ "title": "changed" }))
        .send()
        .await;
    assert!(sent.is_err(), "expected a transport error, got {sent:?}");
    assert_eq!(g.gitlab_issue(REPO, iid).expect("issue").title, "changed");

    // The next write behaves normally.
    let again = put_json(&g, &path, json!({ "title": "again" })).await;
    assert_eq!(again.status, StatusCode::OK);

    // A dropped POST creates exactly one note.
    g.drop_connection_after_next_write();
    let sent = client
        .post(format!("{url}/notes"))
        .header("PRIVATE-TOKEN", ALICE)
        .form(&[("body", "once")])
        .send()
        .await;
    assert!(sent.is_err());
    assert_eq!(g.comment_bodies(REPO, iid), vec!["once"]);
    let writes = g
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(writes, 1, "the client did not retry on its own");
}

#[tokio::test]
async fn fake_gitlab_moved_and_deleted_issues() {
    let g = seeded();
    g.add_repo("acme/other", false);
    g.add_label("acme/other", "bug", "ff0000");
    let iid = g.create_issue(
        REPO,
        NewIssue {
            title: "moving",
            labels: vec!["bug", "local-only"],
            ..NewIssue::default()
        },
    );
    g.add_comment(REPO, iid, "bob", "a comment");
    let new_iid = g.move_issue(REPO, iid, "acme/other");

    let new = get(&g, &issue_path("acme/other", new_iid), Auth::Anon).await;
    assert_eq!(new.status, StatusCode::OK);
    assert_eq!(label_names(&new.body), vec!["bug"]);
    let old = get(&g, &issue_path(REPO, iid), Auth::Anon).await;
    assert_eq!(old.status, StatusCode::OK, "moved issues stay readable");
    assert_eq!(old.body["state"], "closed");
    assert_eq!(old.body["moved_to_id"], new.body["id"]);
    assert_eq!(g.comment_bodies("acme/other", new_iid), vec!["a comment"]);
    let notes = g.notes(REPO, iid);
    let last = notes.last().expect("note");
    assert!(last.system);
    assert_eq!(last.body, format!("moved to acme/other#{new_iid}"));

    // Through the API too.
    let second = create(&g, "second");
    let other_id = g.project_id("acme/other").expect("pid");
    let moved = call(
        &g,
        Method::POST,
        &format!("{}/move", issue_path(REPO, second)),
        Auth::Token(ALICE),
        Payload::Json(json!({ "to_project_id": other_id })),
    )
    .await;
    assert_eq!(moved.status, StatusCode::CREATED);
    assert_eq!(moved.body["project_id"], json!(other_id));

    let gone = create(&g, "gone");
    g.delete_issue(REPO, gone);
    let r = get(&g, &issue_path(REPO, gone), Auth::Anon).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body, json!({ "message": "404 Issue Not Found" }));
    let r = get(
        &g,
        &format!("{}/notes", issue_path(REPO, gone)),
        Auth::Token(ALICE),
    )
    .await;
    assert_eq!(r.body, json!({ "message": "404 Issue Not Found" }));
    assert!(g.issue(REPO, gone).is_none());
}

#[tokio::test]
async fn fake_gitlab_projects_users_labels_milestones() {
    let g = seeded();
    g.add_repo("acme/secret", true);
    g.add_member("acme/secret", "alice");
    g.add_repo("alice/personal", false);
    g.add_label(REPO, "bug", "FF0000");
    g.add_milestone(REPO, "v1");
    g.add_milestone(REPO, "v2");
    g.set_milestone_closed(REPO, "v2", true);

    let paths = |r: &Resp| -> Vec<String> {
        r.items()
            .iter()
            .map(|p| p["path_with_namespace"].as_str().expect("path").to_string())
            .collect()
    };
    let list = "/projects?membership=true&simple=true&per_page=100";
    let alice = get(&g, list, Auth::Token(ALICE)).await;
    assert_eq!(paths(&alice), vec!["alice/personal", "acme/secret", REPO]);
    assert!(
        alice.items()[0].get("visibility").is_none(),
        "simple=true is the short entity"
    );
    assert_eq!(alice.items()[0]["namespace"]["kind"], "user");
    let bob = get(&g, list, Auth::Token(BOB)).await;
    assert_eq!(paths(&bob), vec![REPO]);
    let anon = get(&g, "/projects", Auth::Anon).await;
    assert_eq!(paths(&anon), vec!["alice/personal", REPO]);
    assert_eq!(anon.items()[0]["visibility"], "public");

    let users = get(&g, "/users?username=ALICE", Auth::Anon).await;
    assert_eq!(usernames(&users.body), vec!["alice"]);
    assert_eq!(
        users.items()[0]["id"],
        json!(g.user_id("alice").expect("id"))
    );
    assert!(get(&g, "/users?username=nobody", Auth::Anon)
        .await
        .items()
        .is_empty());

    let members = get(
        &g,
        &format!("/projects/{}/users", enc(REPO)),
        Auth::Token(ALICE),
    )
    .await;
    assert_eq!(usernames(&members.body), vec!["alice", "bob"]);
    let all = get(
        &g,
        &format!("/projects/{}/members/all", enc("acme/secret")),
        Auth::Token(ALICE),
    )
    .await;
    assert_eq!(usernames(&all.body), vec!["alice"]);
    assert_eq!(all.items()[0]["access_level"], 30);

    let labels = get(&g, &format!("/projects/{}/labels", enc(REPO)), Auth::Anon).await;
    assert_eq!(labels.items().len(), 1);
    assert_eq!(labels.items()[0]["name"], "bug");
    assert_eq!(labels.items()[0]["color"], "#FF0000");
    let active = get(
        &g,
        &format!("/projects/{}/milestones?state=active", enc(REPO)),
        Auth::Anon,
    )
    .await;
    assert_eq!(active.items().len(), 1);
    assert_eq!(active.items()[0]["title"], "v1");
    let all_ms = get(
        &g,
        &format!("/projects/{}/milestones", enc(REPO)),
        Auth::Anon,
    )
    .await;
    assert_eq!(all_ms.items()[0]["title"], "v2");
    assert_eq!(all_ms.items()[0]["state"], "closed");

    assert_eq!(
        get(&g, "/version", Auth::Anon).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(get(&g, "/version", Auth::Token(ALICE)).await.body["version"].is_string());
    let unknown = get(
        &g,
        &format!("/projects/{}/wiki_things", enc(REPO)),
        Auth::Anon,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body, json!({ "error": "404 Not Found" }));
    let wrong_method = call(
        &g,
        Method::DELETE,
        &format!("/projects/{}/labels", enc(REPO)),
        Auth::Token(ALICE),
        Payload::None,
    )
    .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn fake_gitlab_merge_requests_are_not_issues() {
    let g = seeded();
    let mr = g.create_issue(
        REPO,
        NewIssue {
            title: "An MR",
            pull_request: true,
            ..NewIssue::default()
        },
    );
    let issue = create(&g, "An issue");
    assert_eq!(
        (mr, issue),
        (1, 1),
        "merge requests have their own iid sequence"
    );
    let issues = get(&g, &format!("/projects/{}/issues", enc(REPO)), Auth::Anon).await;
    assert_eq!(issues.field_of_items("iid"), vec![1]);
    assert_eq!(issues.items()[0]["title"], "An issue");
    let mrs = get(
        &g,
        &format!("/projects/{}/merge_requests", enc(REPO)),
        Auth::Anon,
    )
    .await;
    assert_eq!(mrs.items().len(), 1);
    assert_eq!(mrs.items()[0]["title"], "An MR");
    assert!(mrs.items()[0]["web_url"]
        .as_str()
        .expect("url")
        .ends_with("/-/merge_requests/1"));
    assert_eq!(g.merge_request_titles(REPO), vec!["An MR"]);
    assert!(g.issue(REPO, 2).is_none());
}

#[tokio::test]
async fn fake_gitlab_request_log_records_form_and_json_bodies() {
    let g = seeded();
    let iid = create(&g, "t");
    let path = issue_path(REPO, iid);
    g.clear_requests();
    put_form(
        &g,
        &path,
        &[
            ("title", "Hello World"),
            ("assignee_ids[]", "2"),
            ("assignee_ids[]", "3"),
            ("labels", "a,b"),
        ],
    )
    .await;
    put_json(
        &g,
        &path,
        json!({ "description": "d", "assignee_ids": [2] }),
    )
    .await;
    get(
        &g,
        &format!("/projects/{}/issues?labels=a,b&state=opened", enc(REPO)),
        Auth::Anon,
    )
    .await;

    let seen = g.requests();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].method, "PUT");
    assert_eq!(seen[0].path, format!("/api/v4{path}"));
    assert_eq!(
        seen[0].body,
        Some(json!({ "title": "Hello World", "assignee_ids": ["2", "3"], "labels": "a,b" }))
    );
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some("PRIVATE-TOKEN glpat-alice")
    );
    assert_eq!(
        seen[1].body,
        Some(json!({ "description": "d", "assignee_ids": [2] }))
    );
    assert_eq!(seen[2].body, None);
    assert_eq!(seen[2].param("labels"), Some("a,b"));
    assert_eq!(seen[2].param("state"), Some("opened"));
    let issue = g.gitlab_issue(REPO, iid).expect("issue");
    assert_eq!(issue.title, "Hello World");
    assert_eq!(issue.description, "d");
    assert_eq!(issue.assignees, vec!["alice"]);
}

/// Runs from a plain `#[test]` (no runtime) through the shared trait, then checks shutdown.
#[test]
fn fake_gitlab_implements_the_tracker_trait_and_shuts_down_on_drop() {
    let g = FakeGitLab::start();
    let t: &dyn FakeTracker = &g;
    assert_eq!(t.kind(), ProviderKind::Gitlab);
    t.add_user("alice", Some(ALICE));
    let n = check_the_trait_on(t, "grp/sub/proj");
    // The remote edit left a system note that comment_bodies skips.
    assert!(g
        .notes("grp/sub/proj", n)
        .iter()
        .any(|n| n.system && n.body == "assigned to @carol"));

    let addr = g.web_url().trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&addr).expect("connect");
    stream
        .set_read_timeout(Some(StdDuration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "GET /api/v4/projects/grp%2Fsub%2Fproj/issues/1 HTTP/1.1\r\nHost: {addr}\r\nPRIVATE-TOKEN: {ALICE}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("read");
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    assert!(raw.contains("\"state\":\"closed\""), "{raw}");
    assert_eq!(
        t.requests()
            .last()
            .and_then(|r| r.authorization.clone())
            .as_deref(),
        Some("PRIVATE-TOKEN glpat-alice")
    );

    drop(g);
    assert!(
        TcpStream::connect(&addr).is_err(),
        "listener closed on drop"
    );
}
