//! Checks that the fake Gitea server (`tests/common/fake_gitea.rs`) behaves the way real Gitea
//! 1.27 does in every respect a sync client depends on: paging (`Link`, `X-Total-Count`, page
//! size cap), inclusive `since`, pull requests mixed into the issue list, 401/404 rules, a
//! sub-path ROOT_URL, timestamps with a non-UTC offset, comment URLs, and JSON bodies that only
//! use property names from `shared/contracts/gitea-1.27.1.swagger.json`.

use std::io::{Read, Write};
use std::net::TcpStream;

use chrono::{DateTime, Duration, Utc};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::fake_gitea::{render_time, FakeGitea, NewIssue};

const SWAGGER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/contracts/gitea-1.27.1.swagger.json"
);

const ALICE: &str = "tok-alice";
const BOB: &str = "tok-bob";

/// alice (owner of public `alice/proj`), bob (no rights anywhere yet).
fn seeded() -> FakeGitea {
    let g = FakeGitea::start();
    g.add_user("alice", Some(ALICE));
    g.add_user("bob", Some(BOB));
    g.add_repo("alice", "proj", false);
    g
}

struct Resp {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn total(&self) -> usize {
        self.header("X-Total-Count")
            .expect("X-Total-Count header")
            .parse()
            .expect("numeric X-Total-Count")
    }

    fn items(&self) -> &Vec<Value> {
        self.body.as_array().expect("JSON array body")
    }

    fn numbers(&self) -> Vec<u64> {
        self.items()
            .iter()
            .map(|i| i["number"].as_u64().expect("number"))
            .collect()
    }
}

/// GET `url` (absolute) with an optional `Authorization` header value.
async fn get_url(url: &str, auth: Option<&str>) -> Resp {
    let client = reqwest::Client::new();
    let mut req = client.get(url);
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    let resp = req.send().await.expect("request to fake gitea");
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Resp {
        status,
        headers,
        body,
    }
}

/// GET `{api}{path}` with query pairs encoded properly, as `token <token>` when given.
async fn get(g: &FakeGitea, path: &str, query: &[(&str, &str)], token: Option<&str>) -> Resp {
    let mut url = url::Url::parse(&format!("{}{}", g.api_url(), path)).expect("url");
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    let auth = token.map(|t| format!("token {t}"));
    get_url(url.as_str(), auth.as_deref()).await
}

async fn send_json(
    g: &FakeGitea,
    method: reqwest::Method,
    path: &str,
    body: Value,
    token: Option<&str>,
) -> Resp {
    let client = reqwest::Client::new();
    let mut req = client
        .request(method, format!("{}{}", g.api_url(), path))
        .json(&body);
    if let Some(t) = token {
        req = req.header("Authorization", format!("token {t}"));
    }
    let resp = req.send().await.expect("request to fake gitea");
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        body,
    }
}

fn assert_api_error(r: &Resp, status: StatusCode) {
    assert_eq!(r.status, status, "body: {}", r.body);
    assert!(r.body["message"].is_string(), "error body: {}", r.body);
    assert!(
        r.body["url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/api/swagger")),
        "error body: {}",
        r.body
    );
}

/// The `rel="..."` entries of a Link header, in order.
fn links(r: &Resp) -> Vec<(String, String)> {
    r.header("Link")
        .map(|h| {
            h.split(',')
                .map(|part| {
                    let (url, rel) = part.split_once(">; rel=").expect("link entry");
                    (
                        rel.trim_matches('"').to_string(),
                        url.trim_start_matches('<').to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn parse_ts(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().expect("timestamp string"))
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

fn create(g: &FakeGitea, title: &str) -> u64 {
    g.create_issue(
        "alice/proj",
        NewIssue {
            title,
            ..NewIssue::default()
        },
    )
}

#[tokio::test]
async fn fake_gitea_version_is_anonymous() {
    let g = seeded();
    let r = get(&g, "/version", &[], None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, serde_json::json!({ "version": "1.27.1" }));
    assert!(r
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json")));
}

#[tokio::test]
async fn fake_gitea_auth_header_forms_and_401s() {
    let g = seeded();
    let base = g.api_url();

    let anon = get(&g, "/user", &[], None).await;
    assert_api_error(&anon, StatusCode::UNAUTHORIZED);

    for header in [format!("token {ALICE}"), format!("Bearer {ALICE}")] {
        let r = get_url(&format!("{base}/user"), Some(&header)).await;
        assert_eq!(r.status, StatusCode::OK, "{header}");
        assert_eq!(r.body["login"], "alice");
        assert_eq!(r.body["email"], "alice@example.com");
    }

    // A bad token is refused everywhere, even where anonymous access works.
    for path in [
        "/user",
        "/version",
        "/repos/alice/proj",
        "/repos/alice/proj/issues",
    ] {
        let r = get_url(&format!("{base}{path}"), Some("token wrong")).await;
        assert_api_error(&r, StatusCode::UNAUTHORIZED);
    }
    let r = get_url(&format!("{base}/version"), Some("Basic Zm9vOmJhcg==")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let r = get(&g, "/user/repos", &[], None).await;
    assert_api_error(&r, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn fake_gitea_private_repos_are_404_without_access() {
    let g = seeded();
    g.add_repo("alice", "secret", true);
    create(&g, "hidden");

    for token in [None, Some(BOB)] {
        for path in [
            "/repos/alice/secret",
            "/repos/alice/secret/issues",
            "/repos/alice/secret/issues/comments",
            "/repos/alice/secret/labels",
        ] {
            let r = get(&g, path, &[], token).await;
            assert_api_error(&r, StatusCode::NOT_FOUND);
            assert_eq!(r.body["message"], "not found");
        }
    }
    assert_api_error(
        &get(&g, "/repos/alice/missing", &[], Some(ALICE)).await,
        StatusCode::NOT_FOUND,
    );

    let owner = get(&g, "/repos/alice/secret", &[], Some(ALICE)).await;
    assert_eq!(owner.status, StatusCode::OK);
    assert_eq!(owner.body["private"], true);
    assert_eq!(owner.body["permissions"]["admin"], true);

    g.add_collaborator("alice/secret", "bob");
    let collab = get(&g, "/repos/alice/secret", &[], Some(BOB)).await;
    assert_eq!(collab.status, StatusCode::OK);
    assert_eq!(collab.body["permissions"]["push"], true);
    assert_eq!(collab.body["permissions"]["admin"], false);

    let mine = get(&g, "/user/repos", &[], Some(BOB)).await;
    let names: Vec<&str> = mine
        .items()
        .iter()
        .map(|r| r["full_name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["alice/secret"]);

    let anon = get(&g, "/repos/search", &[], None).await;
    assert_eq!(anon.body["ok"], true);
    let names: Vec<&str> = anon.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|r| r["full_name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["alice/proj"]);
    let signed = get(&g, "/repos/search", &[("q", "SEC")], Some(ALICE)).await;
    assert_eq!(signed.body["data"][0]["full_name"], "alice/secret");
    assert_eq!(signed.total(), 1);
}

#[tokio::test]
async fn fake_gitea_issue_paging_defaults_cap_and_link_header() {
    let g = seeded();
    for n in 1..=75 {
        create(&g, &format!("issue {n}"));
    }
    let api = g.api_url();
    let issues = format!("{api}/repos/alice/proj/issues");

    // Default page size 30, newest created first, Link next+last, absolute URLs.
    let p1 = get(&g, "/repos/alice/proj/issues", &[("state", "all")], None).await;
    assert_eq!(p1.status, StatusCode::OK);
    assert_eq!(p1.total(), 75);
    assert_eq!(p1.items().len(), 30);
    assert_eq!(p1.numbers()[..3], [75, 74, 73]);
    assert_eq!(
        p1.header("Link"),
        Some(
            format!(
                "<{issues}?page=2&state=all>; rel=\"next\",<{issues}?page=3&state=all>; rel=\"last\""
            )
            .as_str()
        )
    );

    // limit above MAX_RESPONSE_ITEMS is capped silently at 50.
    let big = get(&g, "/repos/alice/proj/issues", &[("limit", "100")], None).await;
    assert_eq!(big.items().len(), 50);
    assert_eq!(big.total(), 75);

    // Last page: first + prev only; keys re-encoded in sorted order.
    let p2 = get(
        &g,
        "/repos/alice/proj/issues",
        &[("state", "all"), ("page", "2"), ("limit", "50")],
        None,
    )
    .await;
    assert_eq!(p2.numbers(), (1..=25).rev().collect::<Vec<u64>>());
    assert_eq!(
        links(&p2),
        [
            (
                "first".to_string(),
                format!("{issues}?limit=50&page=1&state=all")
            ),
            (
                "prev".to_string(),
                format!("{issues}?limit=50&page=1&state=all")
            ),
        ]
    );

    // Beyond the end: empty page, links computed for the clamped last page.
    let p9 = get(
        &g,
        "/repos/alice/proj/issues",
        &[("page", "9"), ("limit", "50")],
        None,
    )
    .await;
    assert!(p9.items().is_empty());
    let rels: Vec<String> = links(&p9).into_iter().map(|(rel, _)| rel).collect();
    assert_eq!(rels, ["first", "prev"]);

    // Junk page/limit are not errors (Go FormInt gives 0).
    let junk = get(
        &g,
        "/repos/alice/proj/issues",
        &[("page", "abc"), ("limit", "xyz")],
        None,
    )
    .await;
    assert_eq!(junk.status, StatusCode::OK);
    assert_eq!(junk.numbers(), p1.numbers());

    // Following rel="next" visits every issue exactly once.
    let mut url = format!("{issues}?limit=20");
    let mut seen = Vec::new();
    loop {
        let r = get_url(&url, None).await;
        seen.extend(r.numbers());
        match links(&r).into_iter().find(|(rel, _)| rel == "next") {
            Some((_, next)) => url = next,
            None => break,
        }
    }
    seen.sort_unstable();
    assert_eq!(seen, (1..=75).collect::<Vec<u64>>());
}

/// `[api] MAX_RESPONSE_ITEMS` raised to 100: `limit` is capped there instead, a missing
/// `limit` still gives `DEFAULT_PAGING_NUM`, and `/settings/api` (anonymous) says both.
#[tokio::test]
async fn fake_gitea_max_response_items_caps_limit_and_is_reported() {
    let g = seeded().with_max_response_items(100);
    for n in 1..=130 {
        create(&g, &format!("issue {n}"));
    }
    let settings = get(&g, "/settings/api", &[], None).await;
    assert_eq!(settings.status, StatusCode::OK);
    assert_eq!(settings.body["max_response_items"], 100);
    assert_eq!(settings.body["default_paging_num"], 30);

    let issues = "/repos/alice/proj/issues";
    let sized = |limit: &'static str| {
        let g = &g;
        async move {
            get(g, issues, &[("limit", limit)], None)
                .await
                .items()
                .len()
        }
    };
    assert_eq!(sized("100").await, 100);
    assert_eq!(sized("150").await, 100, "capped at MAX_RESPONSE_ITEMS");
    assert_eq!(sized("70").await, 70);
    assert_eq!(sized("0").await, 30, "DEFAULT_PAGING_NUM");
    let p2 = get(&g, issues, &[("limit", "100"), ("page", "2")], None).await;
    assert_eq!(p2.numbers(), (1..=30).rev().collect::<Vec<u64>>());
    assert_eq!(p2.total(), 130);

    // The default server reports its default cap; one without the route answers 404.
    let stock = seeded();
    assert_eq!(
        get(&stock, "/settings/api", &[], None).await.body["max_response_items"],
        50
    );
    let old = seeded().without_settings_api();
    assert_api_error(
        &get(&old, "/settings/api", &[], None).await,
        StatusCode::NOT_FOUND,
    );
}

#[tokio::test]
async fn fake_gitea_since_and_before_are_inclusive_and_strict_rfc3339() {
    let g = seeded();
    let n1 = create(&g, "one");
    let n2 = create(&g, "two");
    let n3 = create(&g, "three");
    let t2 = g.issue("alice/proj", n2).expect("issue").updated_at;
    let path = "/repos/alice/proj/issues";

    let since_local = render_time(t2);
    assert!(since_local.ends_with("+01:00"), "{since_local}");
    let r = get(&g, path, &[("since", &since_local)], None).await;
    assert_eq!(r.numbers(), [n3, n2], "since is inclusive");

    let since_utc = t2.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let r = get(&g, path, &[("since", &since_utc)], None).await;
    assert_eq!(r.numbers(), [n3, n2]);

    let later = render_time(t2 + Duration::seconds(1));
    let r = get(&g, path, &[("since", &later)], None).await;
    assert_eq!(r.numbers(), [n3]);

    let frac = format!("{}.900Z", t2.format("%Y-%m-%dT%H:%M:%S"));
    let r = get(&g, path, &[("since", &frac)], None).await;
    assert_eq!(r.numbers(), [n3, n2], "sub-second part is truncated");

    let r = get(&g, path, &[("before", &since_local)], None).await;
    assert_eq!(r.numbers(), [n2, n1], "before is inclusive");

    // An unescaped '+' is form-decoded to a space: not RFC 3339 any more.
    let raw = format!("{}{path}?since={since_local}", g.api_url());
    assert_api_error(&get_url(&raw, None).await, StatusCode::UNPROCESSABLE_ENTITY);
    for bad in [
        "yesterday",
        "2026-01-05",
        "2026-01-05 10:00:00Z",
        "1736071200",
    ] {
        let r = get(&g, path, &[("since", bad)], None).await;
        assert_api_error(&r, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = get(
        &g,
        "/repos/alice/proj/issues/comments",
        &[("since", "nope")],
        None,
    )
    .await;
    assert_api_error(&r, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn fake_gitea_pull_requests_are_mixed_in_unless_type_issues() {
    let g = seeded();
    let i1 = create(&g, "an issue");
    let pr = g.create_issue(
        "alice/proj",
        NewIssue {
            title: "a pull request",
            pull_request: true,
            ..NewIssue::default()
        },
    );
    let i3 = create(&g, "another issue");
    assert_eq!([i1, pr, i3], [1, 2, 3], "issues and PRs share one index");

    let all = get(&g, "/repos/alice/proj/issues", &[], None).await;
    assert_eq!(all.numbers(), [3, 2, 1]);
    for item in all.items() {
        let is_pr = item["number"] == 2;
        assert_eq!(item["pull_request"].is_object(), is_pr, "{item}");
        assert!(item.get("pull_request").is_some(), "key always present");
    }
    let web = g.web_url();
    let pr_json = &all.items()[1];
    assert_eq!(pr_json["pull_request"]["merged"], false);
    assert_eq!(pr_json["html_url"], format!("{web}/alice/proj/pulls/2"));
    assert_eq!(
        pr_json["url"],
        format!("{}/repos/alice/proj/issues/2", g.api_url())
    );

    let issues = get(&g, "/repos/alice/proj/issues", &[("type", "issues")], None).await;
    assert_eq!(issues.numbers(), [3, 1]);
    assert_eq!(issues.total(), 2);
    let pulls = get(&g, "/repos/alice/proj/issues", &[("type", "pulls")], None).await;
    assert_eq!(pulls.numbers(), [2]);

    let one = get(&g, "/repos/alice/proj/issues/2", &[], None).await;
    assert!(one.body["pull_request"].is_object());
    let one = get(&g, "/repos/alice/proj/issues/1", &[], None).await;
    assert!(one.body["pull_request"].is_null());
    assert_eq!(one.body["html_url"], format!("{web}/alice/proj/issues/1"));
}

#[tokio::test]
async fn fake_gitea_state_label_and_milestone_filters() {
    let g = seeded();
    let bug_id = g.add_label("alice/proj", "bug", "ee0701");
    g.add_label("alice/proj", "ui", "00aabb");
    let v1 = g.add_milestone("alice/proj", "v1");
    g.add_milestone("alice/proj", "v2");
    let mk = |title: &str, labels: Vec<&str>, milestone: Option<&str>| {
        g.create_issue(
            "alice/proj",
            NewIssue {
                title,
                labels,
                milestone,
                ..NewIssue::default()
            },
        )
    };
    let a = mk("bug only", vec!["bug"], Some("v1"));
    let b = mk("bug and ui", vec!["bug", "ui"], Some("v2"));
    let c = mk("ui only", vec!["ui"], None);
    let d = mk("closed bug", vec!["bug"], Some("v1"));
    g.edit_issue("alice/proj", d, |i| i.state = "closed".into());
    let path = "/repos/alice/proj/issues";
    let q = |pairs: &'static [(&'static str, &'static str)]| get(&g, path, pairs, None);

    assert_eq!(q(&[]).await.numbers(), [c, b, a], "default state is open");
    assert_eq!(q(&[("state", "closed")]).await.numbers(), [d]);
    assert_eq!(q(&[("state", "all")]).await.numbers(), [d, c, b, a]);
    assert_eq!(q(&[("labels", "bug")]).await.numbers(), [b, a]);
    assert_eq!(
        q(&[("labels", "bug,ui")]).await.numbers(),
        [b],
        "all labels must match"
    );
    assert_eq!(q(&[("labels", "bug,nope")]).await.numbers(), [b, a]);
    assert_eq!(
        q(&[("labels", "nope")]).await.numbers(),
        [c, b, a],
        "unknown names dropped"
    );
    assert_eq!(q(&[("milestones", "v1")]).await.numbers(), [a]);
    assert_eq!(q(&[("milestones", "v1,v2")]).await.numbers(), [b, a]);
    let by_id = get(&g, path, &[("milestones", &v1.to_string())], None).await;
    assert_eq!(by_id.numbers(), [a]);
    assert_eq!(q(&[("q", "UI")]).await.numbers(), [c, b]);

    let one = get(&g, &format!("{path}/{a}"), &[], None).await;
    assert_eq!(one.body["labels"][0]["id"], bug_id);
    assert_eq!(one.body["labels"][0]["color"], "ee0701");
    assert_eq!(one.body["milestone"]["id"], v1);
    assert_eq!(one.body["milestone"]["title"], "v1");
    assert!(
        one.body["assignees"].is_null(),
        "Go renders no assignees as null"
    );
    assert!(one.body["assignee"].is_null());

    let ms = get(
        &g,
        "/repos/alice/proj/milestones",
        &[("state", "all")],
        None,
    )
    .await;
    assert_eq!(ms.items().len(), 2);
    assert_eq!(ms.items()[0]["open_issues"], 1);
    assert_eq!(ms.items()[0]["closed_issues"], 1);
    let labels = get(&g, "/repos/alice/proj/labels", &[], None).await;
    assert_eq!(labels.total(), 2);
}

#[tokio::test]
async fn fake_gitea_comments_repo_wide_and_per_issue() {
    let g = seeded();
    let issue = create(&g, "issue");
    let pr = g.create_issue(
        "alice/proj",
        NewIssue {
            title: "pr",
            pull_request: true,
            ..NewIssue::default()
        },
    );
    let c1 = g.add_comment("alice/proj", issue, "bob", "first");
    let c2 = g.add_comment("alice/proj", pr, "alice", "on the PR");
    let c3 = g.add_comment("alice/proj", issue, "alice", "third");
    let web = g.web_url();

    let all = get(&g, "/repos/alice/proj/issues/comments", &[], None).await;
    assert_eq!(all.status, StatusCode::OK);
    let ids: Vec<i64> = all
        .items()
        .iter()
        .map(|c| c["id"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(ids, [c1, c2, c3], "oldest first, PR comments included");
    assert_eq!(all.total(), 3);

    let first = &all.items()[0];
    assert_eq!(
        first["issue_url"],
        format!("{web}/alice/proj/issues/{issue}")
    );
    assert_eq!(first["pull_request_url"], "");
    assert_eq!(
        first["html_url"],
        format!("{web}/alice/proj/issues/{issue}#issuecomment-{c1}")
    );
    assert_eq!(first["user"]["login"], "bob");
    let on_pr = &all.items()[1];
    assert_eq!(on_pr["issue_url"], "");
    assert_eq!(
        on_pr["pull_request_url"],
        format!("{web}/alice/proj/pulls/{pr}")
    );

    // Paged, but real Gitea sends no Link header on this endpoint.
    let page = get(
        &g,
        "/repos/alice/proj/issues/comments",
        &[("limit", "2")],
        None,
    )
    .await;
    assert_eq!(page.items().len(), 2);
    assert_eq!(page.total(), 3);
    assert!(page.header("Link").is_none());
    let page2 = get(
        &g,
        "/repos/alice/proj/issues/comments",
        &[("limit", "2"), ("page", "2")],
        None,
    )
    .await;
    assert_eq!(page2.items()[0]["id"], c3);

    let t2 = parse_ts(&on_pr["updated_at"]);
    let since = get(
        &g,
        "/repos/alice/proj/issues/comments",
        &[("since", &render_time(t2))],
        None,
    )
    .await;
    assert_eq!(since.items().len(), 2);

    let per_issue = get(
        &g,
        &format!("/repos/alice/proj/issues/{issue}/comments"),
        &[],
        None,
    )
    .await;
    assert_eq!(per_issue.items().len(), 2);
    assert_eq!(per_issue.total(), 2);
    let missing = get(&g, "/repos/alice/proj/issues/99/comments", &[], None).await;
    assert_api_error(&missing, StatusCode::NOT_FOUND);

    let issue_json = get(&g, &format!("/repos/alice/proj/issues/{issue}"), &[], None).await;
    assert_eq!(issue_json.body["comments"], 2);
}

#[tokio::test]
async fn fake_gitea_clock_and_timestamps_with_offset() {
    let g = seeded();
    let start = g.now();
    assert_eq!(start.to_rfc3339(), "2026-01-05T10:00:00+00:00");
    let n = create(&g, "clocked");
    let created = g.issue("alice/proj", n).expect("issue");
    assert_eq!(created.created_at, start + Duration::seconds(1));

    g.add_comment("alice/proj", n, "bob", "bump");
    let commented = g.issue("alice/proj", n).expect("issue");
    assert_eq!(commented.updated_at, start + Duration::seconds(2));
    assert_eq!(commented.created_at, created.created_at);

    g.advance_clock(100);
    g.edit_issue("alice/proj", n, |i| {
        i.state = "closed".into();
        i.body = "new body".into();
    });
    let closed = g.issue("alice/proj", n).expect("issue");
    assert_eq!(closed.updated_at, start + Duration::seconds(103));
    assert_eq!(closed.closed_at, Some(closed.updated_at));
    assert_eq!(closed.content_version, 1);

    let r = get(&g, &format!("/repos/alice/proj/issues/{n}"), &[], None).await;
    assert_eq!(r.body["updated_at"], "2026-01-05T11:01:43+01:00");
    assert_eq!(r.body["created_at"], "2026-01-05T11:00:01+01:00");
    assert_eq!(parse_ts(&r.body["updated_at"]), closed.updated_at);
    assert_eq!(parse_ts(&r.body["closed_at"]), closed.updated_at);
    assert_eq!(r.body["state"], "closed");
    assert_eq!(r.body["content_version"], 1);

    g.edit_issue("alice/proj", n, |i| i.state = "open".into());
    let r = get(&g, &format!("/repos/alice/proj/issues/{n}"), &[], None).await;
    assert!(r.body["closed_at"].is_null());
}

#[tokio::test]
async fn fake_gitea_subpath_root_url() {
    let g = FakeGitea::start_at_subpath("/gitea");
    g.add_repo("alice", "proj", false);
    for n in 1..=3 {
        create(&g, &format!("issue {n}"));
    }
    let web = g.web_url();
    assert!(
        web.starts_with("http://127.0.0.1:") && web.ends_with("/gitea"),
        "{web}"
    );
    assert_eq!(g.api_url(), format!("{web}/api/v1"));

    let v = get(&g, "/version", &[], None).await;
    assert_eq!(v.status, StatusCode::OK);
    let root = web.trim_end_matches("/gitea");
    let outside = get_url(&format!("{root}/api/v1/version"), None).await;
    assert_eq!(outside.status, StatusCode::NOT_FOUND);

    let r = get(&g, "/repos/alice/proj/issues", &[("limit", "1")], None).await;
    assert_eq!(
        r.items()[0]["html_url"],
        format!("{web}/alice/proj/issues/3")
    );
    assert_eq!(
        r.items()[0]["url"],
        format!("{web}/api/v1/repos/alice/proj/issues/3")
    );
    let next = links(&r)
        .into_iter()
        .find(|(rel, _)| rel == "next")
        .map(|(_, u)| u);
    assert_eq!(
        next.as_deref(),
        Some(format!("{web}/api/v1/repos/alice/proj/issues?limit=1&page=2").as_str())
    );
    let seen = g.requests();
    assert!(seen
        .iter()
        .any(|s| s.path == "/gitea/api/v1/repos/alice/proj/issues"));
}

#[tokio::test]
async fn fake_gitea_fail_next_and_request_log() {
    let g = seeded();
    g.clear_requests();
    g.fail_next(2, 503);
    for _ in 0..2 {
        let r = get(&g, "/version", &[], Some(ALICE)).await;
        assert_api_error(&r, StatusCode::SERVICE_UNAVAILABLE);
    }
    let ok = get(
        &g,
        "/repos/alice/proj/issues",
        &[("q", "two words"), ("state", "all")],
        Some(ALICE),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);

    let seen = g.requests();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].path, "/api/v1/version");
    assert_eq!(seen[0].authorization.as_deref(), Some("token tok-alice"));
    assert_eq!(seen[2].param("q"), Some("two words"));
    assert_eq!(seen[2].param("state"), Some("all"));
    assert_eq!(seen[2].param("page"), None);
    g.clear_requests();
    assert!(g.requests().is_empty());

    g.fail_next(1, 500);
    let r = get(&g, "/version", &[], None).await;
    assert_api_error(&r, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(g.requests().len(), 1);
}

#[tokio::test]
async fn fake_gitea_unknown_routes_and_deleted_issues_are_404() {
    let g = seeded();
    let n = create(&g, "doomed");
    for path in [
        "/nope",
        "/repos/alice/proj/wiki/x",
        "/repos/alice/proj/issues/abc",
    ] {
        assert_api_error(&get(&g, path, &[], None).await, StatusCode::NOT_FOUND);
    }
    let path = format!("/repos/alice/proj/issues/{n}");
    assert_eq!(get(&g, &path, &[], None).await.status, StatusCode::OK);
    g.delete_issue("alice/proj", n);
    assert_api_error(&get(&g, &path, &[], None).await, StatusCode::NOT_FOUND);
    assert!(g.issue("alice/proj", n).is_none());
    let next = create(&g, "after delete");
    assert_eq!(next, n + 1, "indexes are not reused");
}

#[tokio::test]
async fn fake_gitea_write_endpoints() {
    use reqwest::Method;
    let g = seeded();
    let bug = g.add_label("alice/proj", "bug", "ee0701");
    let v1 = g.add_milestone("alice/proj", "v1");
    g.add_collaborator("alice/proj", "carol");

    let anon = send_json(
        &g,
        Method::POST,
        "/repos/alice/proj/issues",
        serde_json::json!({"title": "x"}),
        None,
    )
    .await;
    assert_api_error(&anon, StatusCode::UNAUTHORIZED);

    let created = send_json(
        &g,
        Method::POST,
        "/repos/alice/proj/issues",
        serde_json::json!({
            "title": "from api", "body": "b", "labels": [bug], "milestone": v1,
            "assignees": ["carol"]
        }),
        Some(ALICE),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let n = created.body["number"].as_u64().expect("number");
    assert_eq!(created.body["labels"][0]["name"], "bug");
    assert_eq!(created.body["milestone"]["id"], v1);
    assert_eq!(created.body["assignees"][0]["login"], "carol");
    assert_eq!(created.body["assignee"]["login"], "carol");
    let stored = g.issue("alice/proj", n).expect("stored");
    assert_eq!(stored.author, "alice");

    let path = format!("/repos/alice/proj/issues/{n}");
    let forbidden = send_json(
        &g,
        Method::PATCH,
        &path,
        serde_json::json!({"title": "hijack"}),
        Some(BOB),
    )
    .await;
    assert_api_error(&forbidden, StatusCode::FORBIDDEN);

    let edited = send_json(
        &g,
        Method::PATCH,
        &path,
        serde_json::json!({"state": "closed", "body": "new", "content_version": 0, "milestone": 0}),
        Some(ALICE),
    )
    .await;
    assert_eq!(
        edited.status,
        StatusCode::CREATED,
        "Gitea answers 201 to PATCH"
    );
    assert_eq!(edited.body["state"], "closed");
    assert!(edited.body["closed_at"].is_string());
    assert!(edited.body["milestone"].is_null());
    assert_eq!(edited.body["content_version"], 1);

    let stale = send_json(
        &g,
        Method::PATCH,
        &path,
        serde_json::json!({"body": "x", "content_version": 0}),
        Some(ALICE),
    )
    .await;
    assert_api_error(&stale, StatusCode::CONFLICT);

    let labels = send_json(
        &g,
        Method::PUT,
        &format!("{path}/labels"),
        serde_json::json!({"labels": []}),
        Some(ALICE),
    )
    .await;
    assert_eq!(labels.status, StatusCode::OK);
    assert_eq!(labels.body, serde_json::json!([]));
    let labels = send_json(
        &g,
        Method::POST,
        &format!("{path}/labels"),
        serde_json::json!({"labels": ["bug"]}),
        Some(ALICE),
    )
    .await;
    assert_eq!(labels.body[0]["id"], bug);

    let comment = send_json(
        &g,
        Method::POST,
        &format!("{path}/comments"),
        serde_json::json!({"body": "hi"}),
        Some(BOB),
    )
    .await;
    assert_eq!(comment.status, StatusCode::CREATED);
    assert_eq!(comment.body["user"]["login"], "bob");
    let cid = comment.body["id"].as_i64().expect("id");
    let cpath = format!("/repos/alice/proj/issues/comments/{cid}");
    let edited = send_json(
        &g,
        Method::PATCH,
        &cpath,
        serde_json::json!({"body": "hello"}),
        Some(BOB),
    )
    .await;
    assert_eq!(edited.status, StatusCode::OK);
    assert_eq!(edited.body["body"], "hello");
    assert_eq!(g.comments("alice/proj", n)[0].body, "hello");
}

/// Resolves `#/definitions/X` references.
fn resolve<'a>(swagger: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.trim_start_matches("#/definitions/");
            &swagger["definitions"][name]
        }
        None => schema,
    }
}

/// Every key of every object must be a property of its swagger definition (recursively);
/// scalar types must match.
fn check_schema(
    swagger: &Value,
    schema: &Value,
    value: &Value,
    at: &str,
    errors: &mut Vec<String>,
) {
    let schema = resolve(swagger, schema);
    if value.is_null() {
        return;
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        let Some(obj) = value.as_object() else {
            errors.push(format!("{at}: expected object, got {value}"));
            return;
        };
        for (k, v) in obj {
            match props.get(k) {
                Some(p) => check_schema(swagger, p, v, &format!("{at}.{k}"), errors),
                None => errors.push(format!(
                    "{at}: property {k:?} is not in the swagger definition"
                )),
            }
        }
        return;
    }
    let ok = match schema.get("type").and_then(Value::as_str) {
        Some("array") => match value.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    check_schema(
                        swagger,
                        &schema["items"],
                        item,
                        &format!("{at}[{i}]"),
                        errors,
                    );
                }
                true
            }
            None => false,
        },
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("boolean") => value.is_boolean(),
        _ => true,
    };
    if !ok {
        errors.push(format!("{at}: {value} does not match {schema}"));
    }
}

fn check_all(
    swagger: &Value,
    def: &str,
    values: &[Value],
    required: &[&str],
    errors: &mut Vec<String>,
) {
    assert!(!values.is_empty(), "no {def} samples collected");
    let schema = serde_json::json!({ "$ref": format!("#/definitions/{def}") });
    for (i, v) in values.iter().enumerate() {
        let at = format!("{def}#{i}");
        check_schema(swagger, &schema, v, &at, errors);
        for key in required {
            if v.get(key).is_none() {
                errors.push(format!("{at}: required-by-client field {key:?} is missing"));
            }
        }
    }
}

#[tokio::test]
async fn fake_gitea_json_only_uses_swagger_property_names() {
    let text = std::fs::read_to_string(SWAGGER).expect("read gitea swagger contract");
    let swagger: Value = serde_json::from_str(&text).expect("swagger JSON");

    let g = seeded();
    g.add_repo("alice", "secret", true);
    g.add_collaborator("alice/proj", "bob");
    g.add_label("alice/proj", "bug", "ee0701");
    g.add_milestone("alice/proj", "v1");
    g.set_milestone_state("alice/proj", "v1", true);
    let full = g.create_issue(
        "alice/proj",
        NewIssue {
            title: "full",
            body: "body",
            author: "bob",
            labels: vec!["bug", "extra"],
            milestone: Some("v1"),
            assignees: vec!["alice", "bob"],
            pull_request: false,
        },
    );
    g.edit_issue("alice/proj", full, |i| i.state = "closed".into());
    let pr = g.create_issue(
        "alice/proj",
        NewIssue {
            title: "pr",
            pull_request: true,
            ..NewIssue::default()
        },
    );
    create(&g, "plain");
    g.add_comment("alice/proj", full, "alice", "c1");
    g.add_comment("alice/proj", pr, "bob", "c2");

    let mut issues = Vec::new();
    let mut comments = Vec::new();
    let mut users = Vec::new();
    let mut repos = Vec::new();
    let mut labels = Vec::new();
    let mut milestones = Vec::new();
    for token in [None, Some(ALICE)] {
        let list = get(&g, "/repos/alice/proj/issues", &[("state", "all")], token).await;
        issues.extend(list.items().iter().cloned());
        for n in [full, pr] {
            let one = get(&g, &format!("/repos/alice/proj/issues/{n}"), &[], token).await;
            issues.push(one.body.clone());
            let cs = get(
                &g,
                &format!("/repos/alice/proj/issues/{n}/comments"),
                &[],
                token,
            )
            .await;
            comments.extend(cs.items().iter().cloned());
        }
        let cs = get(&g, "/repos/alice/proj/issues/comments", &[], token).await;
        comments.extend(cs.items().iter().cloned());
        repos.push(get(&g, "/repos/alice/proj", &[], token).await.body);
        let search = get(&g, "/repos/search", &[], token).await;
        repos.extend(search.body["data"].as_array().cloned().unwrap_or_default());
        labels.extend(
            get(&g, "/repos/alice/proj/labels", &[], token)
                .await
                .items()
                .iter()
                .cloned(),
        );
        milestones.extend(
            get(
                &g,
                "/repos/alice/proj/milestones",
                &[("state", "all")],
                token,
            )
            .await
            .items()
            .iter()
            .cloned(),
        );
    }
    users.push(get(&g, "/user", &[], Some(ALICE)).await.body);
    repos.extend(
        get(&g, "/user/repos", &[], Some(ALICE))
            .await
            .items()
            .iter()
            .cloned(),
    );
    for i in &issues {
        users.push(i["user"].clone());
        if let Some(a) = i["assignees"].as_array() {
            users.extend(a.iter().cloned());
        }
        labels.extend(i["labels"].as_array().cloned().unwrap_or_default());
        if i["milestone"].is_object() {
            milestones.push(i["milestone"].clone());
        }
    }
    for c in &comments {
        users.push(c["user"].clone());
    }
    for r in &repos {
        users.push(r["owner"].clone());
    }
    let version = vec![get(&g, "/version", &[], None).await.body];
    let settings = vec![
        get(&g, "/settings/api", &[], None).await.body,
        get(&g, "/settings/api", &[], Some(ALICE)).await.body,
    ];

    let mut errors = Vec::new();
    check_all(
        &swagger,
        "Issue",
        &issues,
        &[
            "id",
            "number",
            "title",
            "body",
            "state",
            "labels",
            "milestone",
            "assignee",
            "assignees",
            "user",
            "html_url",
            "url",
            "created_at",
            "updated_at",
            "closed_at",
            "comments",
            "pull_request",
            "repository",
        ],
        &mut errors,
    );
    check_all(
        &swagger,
        "Comment",
        &comments,
        &[
            "id",
            "body",
            "user",
            "html_url",
            "issue_url",
            "pull_request_url",
            "created_at",
            "updated_at",
        ],
        &mut errors,
    );
    check_all(
        &swagger,
        "User",
        &users,
        &[
            "id",
            "login",
            "full_name",
            "email",
            "avatar_url",
            "html_url",
        ],
        &mut errors,
    );
    check_all(
        &swagger,
        "Label",
        &labels,
        &["id", "name", "color", "description", "url"],
        &mut errors,
    );
    check_all(
        &swagger,
        "Milestone",
        &milestones,
        &[
            "id",
            "title",
            "state",
            "description",
            "created_at",
            "closed_at",
            "due_on",
        ],
        &mut errors,
    );
    check_all(
        &swagger,
        "Repository",
        &repos,
        &[
            "id",
            "name",
            "full_name",
            "owner",
            "private",
            "html_url",
            "url",
            "clone_url",
            "default_branch",
            "permissions",
            "has_issues",
            "created_at",
            "updated_at",
        ],
        &mut errors,
    );
    check_all(
        &swagger,
        "ServerVersion",
        &version,
        &["version"],
        &mut errors,
    );
    check_all(
        &swagger,
        "GeneralAPISettings",
        &settings,
        &[
            "max_response_items",
            "default_paging_num",
            "default_git_trees_per_page",
            "default_max_blob_size",
            "default_max_response_size",
        ],
        &mut errors,
    );
    for i in &issues {
        for key in ["id", "name", "owner", "full_name"] {
            if i["repository"].get(key).is_none() {
                errors.push(format!("Issue.repository lacks {key}"));
            }
        }
        if i["pull_request"].is_object() && i["pull_request"].get("merged").is_none() {
            errors.push("Issue.pull_request lacks merged".to_string());
        }
        for key in ["created_at", "updated_at"] {
            let s = i[key].as_str().unwrap_or("");
            if !s.ends_with("+01:00") {
                errors.push(format!("Issue.{key} {s:?} is not rendered at +01:00"));
            }
        }
    }
    assert!(
        errors.is_empty(),
        "{} problems:\n{}",
        errors.len(),
        errors.join("\n")
    );
}

/// Plain (non-async) test: the server runs its own runtime, a raw std socket can use it,
/// and dropping the fake closes the listener.
#[test]
fn fake_gitea_serves_plain_tests_and_shuts_down_on_drop() {
    let g = seeded();
    let addr = g.web_url().trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&addr).expect("connect");
    write!(
        stream,
        "GET /api/v1/repos/alice/proj HTTP/1.1\r\nHost: {addr}\r\nAuthorization: token {ALICE}\r\nConnection: close\r\n\r\n"
    )
    .expect("write request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read response");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains("\"full_name\":\"alice/proj\""),
        "{response}"
    );
    assert_eq!(g.requests().len(), 1);

    drop(g);
    assert!(
        TcpStream::connect(&addr).is_err(),
        "listener closed after drop"
    );
}

#[tokio::test]
async fn fake_gitea_edit_with_an_unassignable_user_is_a_500_after_saving_the_title() {
    use reqwest::Method;
    let g = seeded();
    let n = create(&g, "before");
    let path = format!("/repos/alice/proj/issues/{n}");
    // bob exists but is no collaborator; "ghost" does not exist at all.
    for login in ["bob", "ghost"] {
        let title = format!("renamed while assigning {login}");
        let r = send_json(
            &g,
            Method::PATCH,
            &path,
            serde_json::json!({"title": title, "assignees": [login]}),
            Some(ALICE),
        )
        .await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
        let stored = g.issue("alice/proj", n).expect("stored");
        assert_eq!(stored.title, title, "the title step ran before the failure");
        assert!(stored.assignees.is_empty(), "nobody was assigned");
    }
}

#[test]
fn fake_gitea_implements_the_tracker_trait() {
    let g = FakeGitea::start();
    let t: &dyn crate::common::tracker::FakeTracker = &g;
    t.add_user("alice", Some(ALICE));
    let n = crate::common::tracker::check_the_trait_on(t, "team/app");
    assert_eq!(g.issue("team/app", n).expect("issue").author, "alice");
}
