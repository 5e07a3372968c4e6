//! Pins the behaviour of the fake GitHub server (`tests/common/fake_github.rs`) that a sync
//! client depends on, over real HTTP with reqwest: every JSON body against the schemas of
//! GitHub's OpenAPI description (issue, issue list with pull requests mixed in, comments,
//! labels, milestones, repository, user, search, meta, 301/404/410/422/401 bodies), `Link`
//! pagination followed to the end with the `per_page` cap, inclusive `since`, sort and
//! direction, ETags with 304s that do not spend the rate limit, label/milestone/assignee
//! filters, PATCH and POST semantics, issue search and its lag, deleted and transferred
//! issues, renamed and transferred repositories (301/307 from every old URL), authentication,
//! rate limits, injected failures, and writes that land although the connection dies.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use issuesync::model::ProviderKind;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::fake_github::{
    render_time, FakeGitHub, FakeTracker, NewIssue, RemoteEdit, DEFAULT_PER_PAGE, MAX_PER_PAGE,
    NEW_LABEL_COLOR, RATE_LIMIT_ANONYMOUS, RATE_LIMIT_AUTHENTICATED,
};
use crate::common::github_openapi::{spec, Spec};
use crate::common::http_reply::Resp;
use crate::common::tracker::check_the_trait_on;

const ALICE: &str = "ghp_alice";
const BOB: &str = "ghp_bob";
const EVE: &str = "ghp_eve";
const REPO: &str = "acme/widgets";

/// alice and bob collaborate on the public team repository `acme/widgets`; eve (added
/// afterwards) does not.
fn seeded() -> FakeGitHub {
    let g = FakeGitHub::start();
    g.add_user("alice", Some(ALICE));
    g.add_user("bob", Some(BOB));
    g.add_repo(REPO, false);
    g.add_user("eve", Some(EVE));
    g
}

#[derive(Clone, Copy)]
enum Auth<'a> {
    Anon,
    Bearer(&'a str),
    Token(&'a str),
    Raw(&'a str),
}

async fn send_url(
    method: Method,
    url: &str,
    auth: Auth<'_>,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Resp {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut req = client.request(method, url);
    req = match auth {
        Auth::Anon => req,
        Auth::Bearer(t) => req.header("Authorization", format!("Bearer {t}")),
        Auth::Token(t) => req.header("Authorization", format!("token {t}")),
        Auth::Raw(v) => req.header("Authorization", v),
    };
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    Resp::read(req.send().await.expect("request to the fake")).await
}

async fn get(g: &FakeGitHub, path: &str, auth: Auth<'_>) -> Resp {
    send_url(
        Method::GET,
        &format!("{}{path}", g.api_url()),
        auth,
        None,
        &[],
    )
    .await
}

async fn write(g: &FakeGitHub, method: Method, path: &str, auth: Auth<'_>, body: Value) -> Resp {
    send_url(
        method,
        &format!("{}{path}", g.api_url()),
        auth,
        Some(body),
        &[],
    )
    .await
}

async fn patch(g: &FakeGitHub, number: u64, body: Value) -> Resp {
    write(
        g,
        Method::PATCH,
        &format!("/repos/{REPO}/issues/{number}"),
        Auth::Bearer(ALICE),
        body,
    )
    .await
}

fn issue(g: &FakeGitHub, title: &str) -> u64 {
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

fn label_names(issue: &Value) -> Vec<String> {
    issue["labels"]
        .as_array()
        .expect("labels")
        .iter()
        .map(|l| l["name"].as_str().expect("label name").to_string())
        .collect()
}

fn logins(users: &Value) -> Vec<String> {
    users
        .as_array()
        .expect("users")
        .iter()
        .map(|u| u["login"].as_str().expect("login").to_string())
        .collect()
}

/// The response of `method path` checked against the description (status documented, body
/// valid); panics with every problem found.
fn assert_valid(s: &Spec, method: &str, template_path: &str, r: &Resp) {
    let op = s
        .operation(method, template_path)
        .unwrap_or_else(|e| panic!("{e}"));
    let body = (!r.text.is_empty()).then_some(&r.body);
    let errors = s.check_response(&op, r.status.as_u16(), body);
    assert!(
        errors.is_empty(),
        "{method} {template_path} ({}): {errors:#?}",
        r.status
    );
}

/// The checker rejects what it must: the tests below mean something.
#[test]
fn the_schema_check_used_here_rejects_a_broken_issue() {
    let s = spec();
    let op = s.operation("GET", "/repos/o/r/issues/1").unwrap();
    let broken = json!({ "number": "1", "title": null });
    assert!(!s.check_response(&op, 200, Some(&broken)).is_empty());
}

#[tokio::test]
async fn fake_github_json_matches_the_openapi_schemas() {
    let s = spec();
    let g = seeded();
    g.add_label(REPO, "bug", "ee0701");
    g.add_label(REPO, "good first issue", "7057ff");
    g.add_milestone(REPO, "v1");
    let full = g.create_issue(
        REPO,
        NewIssue {
            title: "Full",
            body: "with a body",
            author: "bob",
            labels: vec!["bug", "good first issue"],
            milestone: Some("v1"),
            assignees: vec!["alice", "bob"],
            pull_request: false,
        },
    );
    let bare = issue(&g, "Bare");
    let pr = g.create_issue(
        REPO,
        NewIssue {
            title: "A pull request",
            pull_request: true,
            ..NewIssue::default()
        },
    );
    g.add_comment(REPO, full, "alice", "on the issue");
    g.add_comment(REPO, pr, "bob", "on the pull request");
    g.edit_issue(
        REPO,
        bare,
        RemoteEdit {
            state: Some("closed".into()),
            ..RemoteEdit::default()
        },
    );
    g.set_milestone_closed(REPO, "v1", false);

    for auth in [Auth::Anon, Auth::Bearer(ALICE)] {
        let r = get(&g, &format!("/repos/{REPO}"), auth).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_valid(s, "GET", "/repos/o/r", &r);
    }
    let by_id = get(
        &g,
        &format!("/repositories/{}", g.repo_id(REPO).unwrap()),
        Auth::Anon,
    )
    .await;
    assert_eq!(by_id.body["full_name"], REPO);

    let me = get(&g, "/user", Auth::Bearer(ALICE)).await;
    assert_eq!(me.body["login"], "alice");
    assert_valid(s, "GET", "/user", &me);
    let mine = get(&g, "/user/repos", Auth::Bearer(ALICE)).await;
    assert_eq!(mine.items().len(), 1);
    assert_valid(s, "GET", "/user/repos", &mine);
    let meta = get(&g, "/meta", Auth::Anon).await;
    assert!(meta.body["installed_version"].is_string());
    assert_valid(s, "GET", "/meta", &meta);

    let labels = get(&g, &format!("/repos/{REPO}/labels"), Auth::Anon).await;
    assert_eq!(labels.items().len(), 2);
    assert_valid(s, "GET", "/repos/o/r/labels", &labels);
    let milestones = get(
        &g,
        &format!("/repos/{REPO}/milestones?state=all"),
        Auth::Anon,
    )
    .await;
    assert_eq!(milestones.items().len(), 1);
    assert_valid(s, "GET", "/repos/o/r/milestones", &milestones);
    let assignees = get(&g, &format!("/repos/{REPO}/assignees"), Auth::Anon).await;
    assert_eq!(logins(&assignees.body), vec!["alice", "bob"]);
    assert_valid(s, "GET", "/repos/o/r/assignees", &assignees);

    let list = get(&g, &format!("/repos/{REPO}/issues?state=all"), Auth::Anon).await;
    assert_eq!(list.items().len(), 3);
    assert!(list.items().iter().any(|i| i.get("pull_request").is_some()));
    assert_valid(s, "GET", "/repos/o/r/issues", &list);
    for n in [full, bare, pr] {
        let one = get(&g, &format!("/repos/{REPO}/issues/{n}"), Auth::Anon).await;
        assert_eq!(one.status, StatusCode::OK);
        assert_valid(s, "GET", "/repos/o/r/issues/1", &one);
    }
    let comments = get(&g, &format!("/repos/{REPO}/issues/comments"), Auth::Anon).await;
    assert_eq!(comments.items().len(), 2);
    assert_valid(s, "GET", "/repos/o/r/issues/comments", &comments);
    let on_full = get(
        &g,
        &format!("/repos/{REPO}/issues/{full}/comments"),
        Auth::Anon,
    )
    .await;
    assert_eq!(on_full.items().len(), 1);
    assert_valid(s, "GET", "/repos/o/r/issues/1/comments", &on_full);
    let found = get(
        &g,
        &format!("/search/issues?q=repo:{REPO}+in:body+%22with+a+body%22"),
        Auth::Bearer(ALICE),
    )
    .await;
    assert_eq!(found.body["total_count"], 1, "{}", found.text);
    assert_valid(s, "GET", "/search/issues", &found);

    // Writes and their answers.
    let created = write(
        &g,
        Method::POST,
        &format!("/repos/{REPO}/issues"),
        Auth::Bearer(ALICE),
        json!({ "title": "New", "labels": ["bug"], "assignees": ["bob"], "milestone": 1 }),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_valid(s, "POST", "/repos/o/r/issues", &created);
    let n = created.body["number"].as_u64().unwrap();
    let updated = patch(
        &g,
        n,
        json!({ "state": "closed", "state_reason": "not_planned" }),
    )
    .await;
    assert_eq!(updated.status, StatusCode::OK);
    assert_valid(s, "PATCH", "/repos/o/r/issues/1", &updated);
    let comment = write(
        &g,
        Method::POST,
        &format!("/repos/{REPO}/issues/{n}/comments"),
        Auth::Bearer(ALICE),
        json!({ "body": "hello" }),
    )
    .await;
    assert_eq!(comment.status, StatusCode::CREATED);
    assert_valid(s, "POST", "/repos/o/r/issues/1/comments", &comment);

    // Errors.
    let invalid = patch(&g, n, json!({ "assignees": ["nobody-such"] })).await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_valid(s, "PATCH", "/repos/o/r/issues/1", &invalid);
    let missing = get(&g, &format!("/repos/{REPO}/issues/999"), Auth::Anon).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_valid(s, "GET", "/repos/o/r/issues/1", &missing);
    let unknown = get(&g, "/nothing/here", Auth::Anon).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(s
        .validate_component("basic-error", &unknown.body)
        .is_empty());
    let bad = get(&g, "/user", Auth::Bearer("wrong")).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert_valid(s, "GET", "/user", &bad);
    g.delete_issue(REPO, bare);
    let gone = get(&g, &format!("/repos/{REPO}/issues/{bare}"), Auth::Anon).await;
    assert_eq!(gone.status, StatusCode::GONE);
    assert_valid(s, "GET", "/repos/o/r/issues/1", &gone);
    g.add_repo("acme/other", false);
    g.transfer_issue(REPO, full, "acme/other");
    let moved = get(&g, &format!("/repos/{REPO}/issues/{full}"), Auth::Anon).await;
    assert_eq!(moved.status, StatusCode::MOVED_PERMANENTLY);
    assert_valid(s, "GET", "/repos/o/r/issues/1", &moved);
}

#[tokio::test]
async fn fake_github_issue_json_shape_and_second_timestamps() {
    let g = seeded();
    g.add_label(REPO, "bug", "#EE0701");
    let n = g.create_issue(
        REPO,
        NewIssue {
            title: "Shape",
            author: "bob",
            labels: vec!["bug"],
            assignees: vec!["bob", "alice"],
            ..NewIssue::default()
        },
    );
    g.edit_issue(
        REPO,
        n,
        RemoteEdit {
            state: Some("closed".into()),
            ..RemoteEdit::default()
        },
    );
    let one = get(&g, &format!("/repos/{REPO}/issues/{n}"), Auth::Anon).await;
    let i = &one.body;
    assert_eq!(i["body"], Value::Null, "an empty body is null");
    assert_eq!(i["state"], "closed");
    assert_eq!(i["state_reason"], "completed");
    assert_eq!(
        i["closed_by"]["login"], "bob",
        "the author closed it (org repo)"
    );
    assert_eq!(i["assignee"]["login"], "bob", "the first assignee");
    assert_eq!(logins(&i["assignees"]), vec!["bob", "alice"]);
    assert_eq!(i["labels"][0]["color"], "ee0701");
    assert_eq!(i["author_association"], "COLLABORATOR");
    assert_eq!(
        i["html_url"],
        format!("{}/{REPO}/issues/{n}", g.web_url()).as_str()
    );
    assert_eq!(
        i["url"],
        format!("{}/repos/{REPO}/issues/{n}", g.api_url()).as_str()
    );
    for key in ["created_at", "updated_at", "closed_at"] {
        let text = i[key].as_str().unwrap();
        assert_eq!(text.len(), 20, "{key}: {text}");
        assert!(text.ends_with('Z') && !text.contains('.'), "{key}: {text}");
        assert_eq!(text, render_time(parse_ts(&i[key])));
    }
    assert_eq!(
        parse_ts(&i["updated_at"]) - parse_ts(&i["created_at"]),
        Duration::seconds(1),
        "one clock second per mutation"
    );
    assert!(one.header("last-modified").is_some());

    let list = get(
        &g,
        &format!("/repos/{REPO}/issues?state=closed"),
        Auth::Anon,
    )
    .await;
    let item = &list.items()[0];
    assert!(
        item.get("closed_by").is_none(),
        "list items have no closed_by"
    );
    assert_eq!(item["closed_at"], i["closed_at"]);
}

#[tokio::test]
async fn fake_github_pagination_links_follow_to_the_end_and_cap_per_page() {
    let g = seeded();
    let numbers = g.add_many_issues(REPO, 250);
    let repo_id = g.repo_id(REPO).unwrap();

    let first = get(
        &g,
        &format!("/repos/{REPO}/issues?state=all&per_page=100"),
        Auth::Bearer(ALICE),
    )
    .await;
    assert_eq!(first.items().len(), 100);
    assert_eq!(first.rels(), vec!["next", "last"]);
    assert_eq!(
        first.link("next").unwrap(),
        format!(
            "{}/repositories/{repo_id}/issues?state=all&per_page=100&page=2",
            g.api_url()
        ),
        "links go to /repositories/{{id}}, page last"
    );
    assert!(first.link("last").unwrap().ends_with("&page=3"));

    let mut seen: Vec<u64> = first.field_of_items("number");
    let mut url = first.link("next");
    let mut pages = vec![first.rels()];
    while let Some(next) = url {
        let page = send_url(Method::GET, &next, Auth::Bearer(ALICE), None, &[]).await;
        assert_eq!(page.status, StatusCode::OK);
        seen.extend(page.field_of_items("number"));
        pages.push(page.rels());
        url = page.link("next");
    }
    assert_eq!(
        pages,
        vec![
            vec!["next", "last"],
            vec!["prev", "next", "last", "first"],
            vec!["prev", "first"],
        ]
    );
    assert_eq!(seen.len(), 250);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        250,
        "no duplicates"
    );
    let mut newest_first = numbers.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first, "default: created, descending");

    let capped = get(
        &g,
        &format!("/repos/{REPO}/issues?per_page=500"),
        Auth::Anon,
    )
    .await;
    assert_eq!(capped.items().len(), MAX_PER_PAGE);
    let default = get(&g, &format!("/repos/{REPO}/issues"), Auth::Anon).await;
    assert_eq!(default.items().len(), DEFAULT_PER_PAGE);
    assert_eq!(default.link("last").unwrap(), {
        format!("{}/repositories/{repo_id}/issues?page=9", g.api_url())
    });
    let beyond = get(&g, &format!("/repos/{REPO}/issues?page=40"), Auth::Anon).await;
    assert!(beyond.items().is_empty());
    let zero = get(
        &g,
        &format!("/repos/{REPO}/issues?per_page=0&page=0"),
        Auth::Anon,
    )
    .await;
    assert_eq!(zero.items().len(), DEFAULT_PER_PAGE);

    // One page: no Link at all.
    g.add_repo("acme/small", false);
    g.add_many_issues("acme/small", 3);
    let small = get(&g, "/repos/acme/small/issues", Auth::Anon).await;
    assert_eq!(small.items().len(), 3);
    assert_eq!(small.header("link"), None);

    // Other lists page the same way.
    for i in 0..5 {
        g.add_label(REPO, &format!("l{i}"), "000000");
    }
    let labels = get(
        &g,
        &format!("/repos/{REPO}/labels?per_page=2&page=2"),
        Auth::Anon,
    )
    .await;
    assert_eq!(labels.items().len(), 2);
    assert_eq!(labels.rels(), vec!["prev", "next", "last", "first"]);
    assert!(labels
        .link("next")
        .unwrap()
        .contains(&format!("/repositories/{repo_id}/labels?per_page=2&page=3")));
    let mine = get(&g, "/user/repos?per_page=1", Auth::Bearer(ALICE)).await;
    assert_eq!(mine.items().len(), 1);
    assert_eq!(
        mine.link("next").unwrap(),
        format!("{}/user/repos?per_page=1&page=2", g.api_url())
    );
}

#[tokio::test]
async fn fake_github_since_is_inclusive_and_sort_and_direction_apply() {
    let g = seeded();
    let a = issue(&g, "a");
    let b = issue(&g, "b");
    let c = issue(&g, "c");
    g.add_comment(REPO, a, "bob", "bumps a");
    let t_b = g.github_issue(REPO, b).unwrap().updated_at;

    let path = |q: &str| format!("/repos/{REPO}/issues?{q}");
    let since = |t: DateTime<Utc>| render_time(t).replace('+', "%2B");
    let at_b = get(&g, &path(&format!("since={}", since(t_b))), Auth::Anon).await;
    assert_eq!(
        at_b.field_of_items("number"),
        vec![c, b, a],
        "at or after: b itself counts"
    );
    let after_b = get(
        &g,
        &path(&format!("since={}", since(t_b + Duration::seconds(1)))),
        Auth::Anon,
    )
    .await;
    assert_eq!(after_b.field_of_items("number"), vec![c, a]);
    let offset = get(&g, &path("since=2026-01-05T11:00:02%2B01:00"), Auth::Anon).await;
    assert_eq!(
        offset.field_of_items("number"),
        at_b.field_of_items("number"),
        "offsets are understood"
    );

    let updated_asc = get(&g, &path("sort=updated&direction=asc"), Auth::Anon).await;
    assert_eq!(updated_asc.field_of_items("number"), vec![b, c, a]);
    let updated_desc = get(&g, &path("sort=updated"), Auth::Anon).await;
    assert_eq!(
        updated_desc.field_of_items("number"),
        vec![a, c, b],
        "direction defaults to desc"
    );
    let created_asc = get(&g, &path("direction=asc"), Auth::Anon).await;
    assert_eq!(created_asc.field_of_items("number"), vec![a, b, c]);
    let comments = get(&g, &path("sort=comments"), Auth::Anon).await;
    assert_eq!(comments.field_of_items("number")[0], a);

    for bad in [
        "since=yesterday",
        "since=2026-01-05T10:00:00+01:00",
        "sort=title",
        "direction=up",
        "state=merged",
    ] {
        let r = get(&g, &path(bad), Auth::Anon).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.text
        );
        assert_eq!(r.body["message"], "Validation Failed");
        let field = bad.split('=').next().unwrap();
        assert_eq!(r.body["errors"][0]["field"], field, "{bad}");
    }

    // Comments: since inclusive, ascending id by default.
    g.add_comment(REPO, b, "alice", "second");
    let all = get(&g, &format!("/repos/{REPO}/issues/comments"), Auth::Anon).await;
    let ids: Vec<u64> = all
        .items()
        .iter()
        .map(|c| c["id"].as_u64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let last = all.items().last().unwrap().clone();
    let recent = get(
        &g,
        &format!(
            "/repos/{REPO}/issues/comments?since={}",
            last["updated_at"].as_str().unwrap()
        ),
        Auth::Anon,
    )
    .await;
    assert_eq!(recent.items().len(), 1);
    assert_eq!(recent.items()[0]["id"], last["id"]);
    let desc = get(
        &g,
        &format!("/repos/{REPO}/issues/comments?sort=created&direction=desc"),
        Auth::Anon,
    )
    .await;
    assert_eq!(desc.items()[0]["id"], last["id"]);
    let ignored = get(
        &g,
        &format!("/repos/{REPO}/issues/comments?direction=desc"),
        Auth::Anon,
    )
    .await;
    assert_eq!(
        ignored.items()[0]["id"],
        all.items()[0]["id"],
        "direction is ignored without sort"
    );
}

#[tokio::test]
async fn fake_github_conditional_requests_answer_304_without_spending_the_rate_limit() {
    let g = seeded();
    let n = issue(&g, "watched");
    let path = format!("/repos/{REPO}/issues?state=all");
    let url = format!("{}{path}", g.api_url());

    let first = get(&g, &path, Auth::Bearer(ALICE)).await;
    let etag = first.header("etag").expect("an ETag").to_string();
    assert!(etag.starts_with("W/\"") && etag.ends_with('"'), "{etag}");
    let again = get(&g, &path, Auth::Bearer(ALICE)).await;
    assert_eq!(
        again.header("etag"),
        Some(etag.as_str()),
        "same content, same tag"
    );
    let remaining = again.header_u64("x-ratelimit-remaining");
    assert_eq!(
        remaining,
        first.header_u64("x-ratelimit-remaining") - 1,
        "a 200 costs one"
    );

    let cached = send_url(
        Method::GET,
        &url,
        Auth::Bearer(ALICE),
        None,
        &[("If-None-Match", &etag)],
    )
    .await;
    assert_eq!(cached.status, StatusCode::NOT_MODIFIED);
    assert!(cached.text.is_empty());
    assert_eq!(cached.header("etag"), Some(etag.as_str()));
    assert_eq!(
        cached.header_u64("x-ratelimit-remaining"),
        remaining,
        "an authorized 304 is free"
    );
    let listed = send_url(
        Method::GET,
        &url,
        Auth::Bearer(ALICE),
        None,
        &[(
            "If-None-Match",
            &format!("\"other\", {}", etag.trim_start_matches("W/")),
        )],
    )
    .await;
    assert_eq!(
        listed.status,
        StatusCode::NOT_MODIFIED,
        "lists and weak comparison"
    );
    assert_eq!(
        g.request_log().last().and_then(|r| r.status),
        Some(304),
        "the log records the answer"
    );

    // A change makes a new tag and a full answer.
    g.edit_issue(
        REPO,
        n,
        RemoteEdit {
            title: Some("renamed".into()),
            ..RemoteEdit::default()
        },
    );
    let changed = send_url(
        Method::GET,
        &url,
        Auth::Bearer(ALICE),
        None,
        &[("If-None-Match", &etag)],
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_ne!(changed.header("etag"), Some(etag.as_str()));
    assert_eq!(changed.items()[0]["title"], "renamed");

    // Anonymous 304s count.
    let anon = get(&g, &path, Auth::Anon).await;
    let anon_etag = anon.header("etag").unwrap().to_string();
    assert_eq!(
        anon_etag,
        changed.header("etag").unwrap(),
        "the tag is the body's"
    );
    let anon_304 = send_url(
        Method::GET,
        &url,
        Auth::Anon,
        None,
        &[("If-None-Match", &anon_etag)],
    )
    .await;
    assert_eq!(anon_304.status, StatusCode::NOT_MODIFIED);
    assert_eq!(
        anon_304.header_u64("x-ratelimit-remaining"),
        anon.header_u64("x-ratelimit-remaining") - 1
    );

    // One issue, too.
    let one_url = format!("{}/repos/{REPO}/issues/{n}", g.api_url());
    let one = send_url(Method::GET, &one_url, Auth::Bearer(ALICE), None, &[]).await;
    let one_tag = one.header("etag").unwrap().to_string();
    let one_304 = send_url(
        Method::GET,
        &one_url,
        Auth::Bearer(ALICE),
        None,
        &[("If-None-Match", &one_tag)],
    )
    .await;
    assert_eq!(one_304.status, StatusCode::NOT_MODIFIED);
    g.add_comment(REPO, n, "bob", "touch");
    let touched = send_url(
        Method::GET,
        &one_url,
        Auth::Bearer(ALICE),
        None,
        &[("If-None-Match", &one_tag)],
    )
    .await;
    assert_eq!(touched.status, StatusCode::OK);
    assert_eq!(touched.body["comments"], 1);
}

#[tokio::test]
async fn fake_github_rate_limit_headers_count_per_caller_and_resource() {
    let g = seeded().with_rate_limits(RATE_LIMIT_AUTHENTICATED, 3);
    let authed = get(&g, &format!("/repos/{REPO}"), Auth::Bearer(ALICE)).await;
    assert_eq!(
        authed.header_u64("x-ratelimit-limit"),
        RATE_LIMIT_AUTHENTICATED
    );
    assert_eq!(authed.header_u64("x-ratelimit-used"), 1);
    assert_eq!(authed.header("x-ratelimit-resource"), Some("core"));
    let reset = authed.header_u64("x-ratelimit-reset") as i64;
    let wall = Utc::now().timestamp();
    assert!(
        reset > wall + 3500 && reset <= wall + 3601,
        "reset is wall-clock epoch seconds within the hour: {reset} vs {wall}"
    );
    let bob = get(&g, &format!("/repos/{REPO}"), Auth::Bearer(BOB)).await;
    assert_eq!(bob.header_u64("x-ratelimit-used"), 1, "per user");
    let search = get(&g, "/search/issues?q=x", Auth::Bearer(ALICE)).await;
    assert_eq!(search.header("x-ratelimit-resource"), Some("search"));
    assert_eq!(
        search.header_u64("x-ratelimit-used"),
        1,
        "a bucket of its own"
    );

    for used in 1..=3 {
        let r = get(&g, &format!("/repos/{REPO}"), Auth::Anon).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.header_u64("x-ratelimit-used"), used);
        assert_eq!(r.header_u64("x-ratelimit-remaining"), 3 - used);
    }
    let over = get(&g, &format!("/repos/{REPO}"), Auth::Anon).await;
    assert_eq!(over.status, StatusCode::FORBIDDEN);
    assert_eq!(over.header("x-ratelimit-remaining"), Some("0"));
    assert!(over.header("retry-after").is_none());
    assert!(over.body["message"]
        .as_str()
        .unwrap()
        .starts_with("API rate limit exceeded for 127.0.0.1."));
    assert_eq!(
        get(&g, &format!("/repos/{REPO}"), Auth::Bearer(ALICE))
            .await
            .status,
        StatusCode::OK,
        "tokens have their own limit"
    );
    let defaults = FakeGitHub::start();
    let anon = get(&defaults, "/meta", Auth::Anon).await;
    assert_eq!(anon.header_u64("x-ratelimit-limit"), RATE_LIMIT_ANONYMOUS);
}

#[tokio::test]
async fn fake_github_labels_milestone_assignee_and_creator_filters() {
    let g = seeded();
    g.add_milestone(REPO, "v1");
    g.add_milestone(REPO, "v2");
    let both = g.create_issue(
        REPO,
        NewIssue {
            title: "both",
            labels: vec!["bug", "ui"],
            milestone: Some("v1"),
            assignees: vec!["bob"],
            ..NewIssue::default()
        },
    );
    let bug = g.create_issue(
        REPO,
        NewIssue {
            title: "bug only",
            author: "bob",
            labels: vec!["bug"],
            milestone: Some("v2"),
            ..NewIssue::default()
        },
    );
    let plain = issue(&g, "plain");
    let q = |query: &str| format!("/repos/{REPO}/issues?{query}");
    let numbers = |r: Resp| -> Vec<u64> { r.field_of_items("number") };

    assert_eq!(
        numbers(get(&g, &q("labels=bug,ui"), Auth::Anon).await),
        vec![both]
    );
    assert_eq!(
        numbers(get(&g, &q("labels=BUG"), Auth::Anon).await),
        vec![bug, both],
        "names match case-insensitively"
    );
    assert!(numbers(get(&g, &q("labels=bug,nope"), Auth::Anon).await).is_empty());
    let v1 = g.milestone_number(REPO, "v1").unwrap();
    assert_eq!(
        numbers(get(&g, &q(&format!("milestone={v1}")), Auth::Anon).await),
        vec![both]
    );
    assert_eq!(
        numbers(get(&g, &q("milestone=*"), Auth::Anon).await),
        vec![bug, both]
    );
    assert_eq!(
        numbers(get(&g, &q("milestone=none"), Auth::Anon).await),
        vec![plain]
    );
    assert!(numbers(get(&g, &q("milestone=99"), Auth::Anon).await).is_empty());
    let by_title = get(&g, &q("milestone=v1"), Auth::Anon).await;
    assert_eq!(by_title.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        numbers(get(&g, &q("assignee=bob"), Auth::Anon).await),
        vec![both]
    );
    assert_eq!(
        numbers(get(&g, &q("assignee=none"), Auth::Anon).await),
        vec![plain, bug]
    );
    assert_eq!(
        numbers(get(&g, &q("assignee=*"), Auth::Anon).await),
        vec![both]
    );
    assert_eq!(
        numbers(get(&g, &q("creator=bob"), Auth::Anon).await),
        vec![bug]
    );
    assert!(numbers(get(&g, &q("creator=nobody"), Auth::Anon).await).is_empty());

    g.edit_issue(
        REPO,
        plain,
        RemoteEdit {
            state: Some("closed".into()),
            ..RemoteEdit::default()
        },
    );
    assert_eq!(
        numbers(get(&g, &q(""), Auth::Anon).await),
        vec![bug, both],
        "open by default"
    );
    assert_eq!(
        numbers(get(&g, &q("state=closed"), Auth::Anon).await),
        vec![plain]
    );
    assert_eq!(numbers(get(&g, &q("state=all"), Auth::Anon).await).len(), 3);
}

#[tokio::test]
async fn fake_github_lists_pull_requests_among_issues_with_one_number_sequence() {
    let g = seeded();
    let first = issue(&g, "issue one");
    let pr = g.create_issue(
        REPO,
        NewIssue {
            title: "a pull request",
            pull_request: true,
            ..NewIssue::default()
        },
    );
    let second = issue(&g, "issue two");
    assert_eq!((first, pr, second), (1, 2, 3), "one sequence");
    g.add_comment(REPO, pr, "bob", "review comment");
    g.add_comment(REPO, first, "bob", "issue comment");

    let list = get(&g, &format!("/repos/{REPO}/issues"), Auth::Anon).await;
    assert_eq!(list.field_of_items("number"), vec![second, pr, first]);
    let item = &list.items()[1];
    assert_eq!(
        item["pull_request"]["html_url"],
        format!("{}/{REPO}/pull/{pr}", g.web_url()).as_str()
    );
    assert_eq!(
        item["html_url"],
        format!("{}/{REPO}/pull/{pr}", g.web_url()).as_str()
    );
    assert!(list.items()[0].get("pull_request").is_none());

    let one = get(&g, &format!("/repos/{REPO}/issues/{pr}"), Auth::Anon).await;
    assert_eq!(one.status, StatusCode::OK);
    assert!(one.body["pull_request"].is_object());

    let comments = get(&g, &format!("/repos/{REPO}/issues/comments"), Auth::Anon).await;
    let urls: Vec<&str> = comments
        .items()
        .iter()
        .map(|c| c["issue_url"].as_str().unwrap())
        .collect();
    assert_eq!(
        urls,
        vec![
            format!("{}/repos/{REPO}/issues/{pr}", g.api_url()),
            format!("{}/repos/{REPO}/issues/{first}", g.api_url()),
        ],
        "comments on pull requests too, by issue URL"
    );
    assert!(comments.items()[0]["html_url"]
        .as_str()
        .unwrap()
        .contains(&format!("/pull/{pr}#issuecomment-")));
}

#[tokio::test]
async fn fake_github_deleted_and_transferred_issues() {
    let g = seeded();
    g.add_repo("acme/target", false);
    g.add_label(REPO, "bug", "ff0000");
    g.add_label("acme/target", "bug", "00ff00");
    let deleted = issue(&g, "to delete");
    let moving = g.create_issue(
        REPO,
        NewIssue {
            title: "to move",
            labels: vec!["bug", "only-here"],
            assignees: vec!["bob"],
            ..NewIssue::default()
        },
    );
    g.add_comment(REPO, moving, "bob", "travels along");
    g.create_issue(
        "acme/target",
        NewIssue {
            title: "target #1",
            ..NewIssue::default()
        },
    );
    g.delete_issue(REPO, deleted);

    let gone = get(&g, &format!("/repos/{REPO}/issues/{deleted}"), Auth::Anon).await;
    assert_eq!(gone.status, StatusCode::GONE);
    assert_eq!(gone.body["message"], "This issue was deleted");
    let gone_comments = get(
        &g,
        &format!("/repos/{REPO}/issues/{deleted}/comments"),
        Auth::Anon,
    )
    .await;
    assert_eq!(gone_comments.status, StatusCode::GONE);

    let new_number = g.transfer_issue(REPO, moving, "acme/target");
    assert_eq!(new_number, 2, "the target's next number");
    let target_id = g.repo_id("acme/target").unwrap();
    let moved = get(&g, &format!("/repos/{REPO}/issues/{moving}"), Auth::Anon).await;
    assert_eq!(moved.status, StatusCode::MOVED_PERMANENTLY);
    let location = format!(
        "{}/repositories/{target_id}/issues/{new_number}",
        g.api_url()
    );
    assert_eq!(moved.header("location"), Some(location.as_str()));
    assert_eq!(moved.body["url"], location.as_str());
    let followed = send_url(Method::GET, &location, Auth::Anon, None, &[]).await;
    assert_eq!(followed.status, StatusCode::OK);
    assert_eq!(followed.body["title"], "to move");
    assert_eq!(
        label_names(&followed.body),
        vec!["bug"],
        "labels the target has"
    );
    assert_eq!(logins(&followed.body["assignees"]), vec!["bob"]);
    assert_eq!(followed.body["comments"], 1);
    let moved_patch = patch(&g, moving, json!({ "title": "x" })).await;
    assert_eq!(moved_patch.status, StatusCode::MOVED_PERMANENTLY);
    let moved_comments = get(
        &g,
        &format!("/repos/{REPO}/issues/{moving}/comments"),
        Auth::Anon,
    )
    .await;
    assert!(moved_comments
        .header("location")
        .unwrap()
        .ends_with(&format!("/issues/{new_number}/comments")));
    let list = get(&g, &format!("/repos/{REPO}/issues?state=all"), Auth::Anon).await;
    assert!(
        list.field_of_items("number").is_empty(),
        "neither listed any more"
    );
    let comments = get(&g, &format!("/repos/{REPO}/issues/comments"), Auth::Anon).await;
    assert!(comments.items().is_empty());

    // Transferred where the caller cannot look: 404.
    g.add_repository("acme/secret", true);
    let hidden = issue(&g, "hidden soon");
    g.transfer_issue(REPO, hidden, "acme/secret");
    let r = get(
        &g,
        &format!("/repos/{REPO}/issues/{hidden}"),
        Auth::Bearer(EVE),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn fake_github_renamed_and_transferred_repositories() {
    let s = spec();
    let g = seeded();
    let id = g.repo_id(REPO).unwrap();
    let n = issue(&g, "lives on");
    g.add_comment(REPO, n, "bob", "so does this");
    g.rename_repo(REPO, "acme/gadgets");
    assert_eq!(g.repo_id("acme/gadgets"), Some(id), "the same repository");
    assert_eq!(g.repo_id(REPO), None);

    let api = g.api_url();
    let repo = get(&g, &format!("/repos/{REPO}"), Auth::Anon).await;
    assert_eq!(repo.status, StatusCode::MOVED_PERMANENTLY);
    let location = format!("{api}/repositories/{id}");
    assert_eq!(repo.header("location"), Some(location.as_str()));
    assert_eq!(repo.body["message"], "Moved Permanently");
    assert_eq!(repo.body["url"], location.as_str());
    assert_valid(s, "GET", "/repos/o/r", &repo);
    let followed = send_url(Method::GET, &location, Auth::Anon, None, &[]).await;
    assert_eq!(followed.status, StatusCode::OK);
    assert_eq!(followed.body["id"], id);
    assert_eq!(followed.body["full_name"], "acme/gadgets");

    // Every URL under the old path, with the same rest of the path and query.
    let list = get(
        &g,
        &format!("/repos/{REPO}/issues?state=all&since=2026-01-05T00:00:00Z&per_page=5"),
        Auth::Bearer(ALICE),
    )
    .await;
    assert_eq!(list.status, StatusCode::MOVED_PERMANENTLY);
    let to_list =
        format!("{api}/repositories/{id}/issues?state=all&since=2026-01-05T00:00:00Z&per_page=5");
    assert_eq!(list.header("location"), Some(to_list.as_str()));
    assert_valid(s, "GET", "/repos/o/r/issues", &list);
    let listed = send_url(Method::GET, &to_list, Auth::Bearer(ALICE), None, &[]).await;
    assert_eq!(listed.field_of_items("number"), vec![n]);
    assert!(listed.items()[0]["html_url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/acme/gadgets/issues/{n}")));
    let one = get(&g, &format!("/repos/{REPO}/issues/{n}"), Auth::Anon).await;
    assert_eq!(one.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(
        one.header("location"),
        Some(format!("{api}/repositories/{id}/issues/{n}").as_str())
    );
    assert_valid(s, "GET", "/repos/o/r/issues/1", &one);
    let comments = get(
        &g,
        &format!("/repos/{REPO}/issues/{n}/comments"),
        Auth::Anon,
    )
    .await;
    assert_eq!(comments.status, StatusCode::MOVED_PERMANENTLY);
    assert!(comments
        .header("location")
        .unwrap()
        .ends_with(&format!("/repositories/{id}/issues/{n}/comments")));

    // Writes are redirected with 307 and not carried out.
    let before = g.github_issue("acme/gadgets", n).unwrap();
    let patched = patch(&g, n, json!({ "title": "not here" })).await;
    assert_eq!(patched.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(patched.body["message"], "Temporary Redirect");
    assert_eq!(
        patched.header("location"),
        Some(format!("{api}/repositories/{id}/issues/{n}").as_str())
    );
    let created = write(
        &g,
        Method::POST,
        &format!("/repos/{REPO}/issues"),
        Auth::Bearer(ALICE),
        json!({ "title": "not here either" }),
    )
    .await;
    assert_eq!(created.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(g.github_issue("acme/gadgets", n), Some(before));
    assert!(g.github_issue("acme/gadgets", n + 1).is_none());

    // The new path works; so does the same write sent there.
    let there = write(
        &g,
        Method::PATCH,
        &format!("/repos/acme/gadgets/issues/{n}"),
        Auth::Bearer(ALICE),
        json!({ "title": "renamed along" }),
    )
    .await;
    assert_eq!(there.status, StatusCode::OK);
    assert_eq!(
        there.body["repository_url"],
        format!("{api}/repos/acme/gadgets")
    );
    assert_eq!(g.comments("acme/gadgets", n).len(), 1, "comments stay");

    // A transfer to another owner is the same operation; renames chain.
    g.rename_repo("acme/gadgets", "bob/gadgets");
    for old in [REPO, "acme/gadgets"] {
        let r = get(&g, &format!("/repos/{old}/issues/{n}"), Auth::Anon).await;
        assert_eq!(r.status, StatusCode::MOVED_PERMANENTLY, "{old}");
        assert!(r
            .header("location")
            .unwrap()
            .ends_with(&format!("/repositories/{id}/issues/{n}")));
    }
    let moved = get(&g, &format!("/repositories/{id}"), Auth::Anon).await;
    assert_eq!(moved.body["full_name"], "bob/gadgets");
    assert_eq!(moved.body["owner"]["login"], "bob");

    // A repository created at an old path ends its redirect.
    g.add_repo(REPO, false);
    let fresh = get(&g, &format!("/repos/{REPO}"), Auth::Anon).await;
    assert_eq!(fresh.status, StatusCode::OK);
    assert_ne!(fresh.body["id"], id);

    // Where the caller cannot read the repository: 404, no hint where it went.
    g.add_repository("acme/hidden", true);
    g.add_collaborator("acme/hidden", "alice");
    g.rename_repo("acme/hidden", "acme/hidden2");
    let hidden = get(&g, "/repos/acme/hidden/issues", Auth::Bearer(EVE)).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert!(hidden.header("location").is_none());
    let seen = get(&g, "/repos/acme/hidden/issues", Auth::Bearer(ALICE)).await;
    assert_eq!(seen.status, StatusCode::MOVED_PERMANENTLY);
}

#[tokio::test]
async fn fake_github_authentication_and_private_repositories() {
    let g = seeded();
    g.add_repository("acme/private", true);
    g.add_collaborator("acme/private", "alice");
    let n = g.create_issue(
        "acme/private",
        NewIssue {
            title: "secret",
            ..NewIssue::default()
        },
    );
    let public_issue = issue(&g, "public");

    for path in ["/meta", "/user", &format!("/repos/{REPO}/issues")] {
        for auth in [
            Auth::Bearer("nope"),
            Auth::Raw("Basic YTpi"),
            Auth::Raw("weird"),
        ] {
            let r = get(&g, path, auth).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
            assert_eq!(r.body["message"], "Bad credentials");
            assert_eq!(r.body["documentation_url"], "https://docs.github.com/rest");
        }
    }
    assert_eq!(
        get(&g, "/user", Auth::Token(ALICE)).await.body["login"],
        "alice",
        "`token` works like `Bearer`"
    );
    assert_eq!(
        get(&g, "/user", Auth::Raw(&format!("BEARER {ALICE}")))
            .await
            .status,
        StatusCode::OK
    );
    let anon_user = get(&g, "/user", Auth::Anon).await;
    assert_eq!(anon_user.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anon_user.body["message"], "Requires authentication");

    let path = format!("/repos/acme/private/issues/{n}");
    assert_eq!(
        get(&g, &path, Auth::Bearer(ALICE)).await.status,
        StatusCode::OK
    );
    for auth in [Auth::Anon, Auth::Bearer(EVE)] {
        let r = get(&g, &path, auth).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.body["message"], "Not Found");
        let repo = get(&g, "/repos/acme/private", auth).await;
        assert_eq!(repo.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        get(&g, "/repos/ACME/Private", Auth::Bearer(ALICE))
            .await
            .status,
        StatusCode::OK,
        "owner and name are not case sensitive"
    );
    let anon_write = write(
        &g,
        Method::POST,
        &format!("/repos/{REPO}/issues/{public_issue}/comments"),
        Auth::Anon,
        json!({ "body": "hi" }),
    )
    .await;
    assert_eq!(anon_write.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anon_write.body["message"], "Requires authentication");
    assert!(g.comment_bodies(REPO, public_issue).is_empty());
    let eve_write = write(
        &g,
        Method::POST,
        "/repos/acme/private/issues",
        Auth::Bearer(EVE),
        json!({ "title": "x" }),
    )
    .await;
    assert_eq!(eve_write.status, StatusCode::NOT_FOUND);

    let mine = get(&g, "/user/repos", Auth::Bearer(ALICE)).await;
    let names: Vec<&str> = mine
        .items()
        .iter()
        .map(|r| r["full_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["acme/private", REPO]);
    assert_eq!(mine.items()[0]["permissions"]["push"], true);
    let public_only = get(&g, "/user/repos?visibility=public", Auth::Bearer(ALICE)).await;
    assert_eq!(public_only.items().len(), 1);
    let conflict = get(
        &g,
        "/user/repos?type=owner&visibility=all",
        Auth::Bearer(ALICE),
    )
    .await;
    assert_eq!(conflict.status, StatusCode::UNPROCESSABLE_ENTITY);
    let eve_repos = get(&g, "/user/repos", Auth::Bearer(EVE)).await;
    assert!(eve_repos.items().is_empty());

    let r = get(&g, "/nothing/here", Auth::Bearer(ALICE)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.body,
        json!({ "message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404" })
    );
    let wrong_method = send_url(
        Method::DELETE,
        &format!("{}/repos/{REPO}/issues/{public_issue}", g.api_url()),
        Auth::Bearer(ALICE),
        None,
        &[],
    )
    .await;
    assert_eq!(wrong_method.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn fake_github_patch_semantics() {
    let g = seeded();
    g.add_label(REPO, "bug", "ee0701");
    g.add_milestone(REPO, "v1");
    let v1 = g.milestone_number(REPO, "v1").unwrap();
    let n = g.create_issue(
        REPO,
        NewIssue {
            title: "patch me",
            labels: vec!["bug"],
            assignees: vec!["bob"],
            ..NewIssue::default()
        },
    );
    let before = g.github_issue(REPO, n).unwrap();

    let r = patch(
        &g,
        n,
        json!({ "labels": ["Bug", "brand-new"], "assignees": ["alice"], "milestone": v1 }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        label_names(&r.body),
        vec!["bug", "brand-new"],
        "replaced; names matched"
    );
    assert_eq!(r.body["labels"][1]["color"], NEW_LABEL_COLOR);
    assert_eq!(logins(&r.body["assignees"]), vec!["alice"]);
    assert_eq!(r.body["milestone"]["number"], v1);
    let after = g.github_issue(REPO, n).unwrap();
    assert_eq!(after.updated_at, before.updated_at + Duration::seconds(1));

    let same = patch(
        &g,
        n,
        json!({ "labels": ["bug", "brand-new"], "title": "patch me" }),
    )
    .await;
    assert_eq!(same.status, StatusCode::OK);
    assert_eq!(
        g.github_issue(REPO, n).unwrap().updated_at,
        after.updated_at,
        "nothing changed, updated_at stays"
    );

    let bad = patch(
        &g,
        n,
        json!({ "assignees": ["alice", "nobody-such", "eve"] }),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["message"], "Validation Failed");
    assert_eq!(
        bad.body["errors"],
        json!([
            { "value": "nobody-such", "resource": "Issue", "field": "assignees", "code": "invalid" },
            { "value": "eve", "resource": "Issue", "field": "assignees", "code": "invalid" },
        ]),
        "unknown and unassignable logins"
    );
    assert!(bad.body["documentation_url"].is_string());
    assert_eq!(g.github_issue(REPO, n).unwrap().assignees, vec!["alice"]);
    let bad_milestone = patch(&g, n, json!({ "milestone": 42 })).await;
    assert_eq!(bad_milestone.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_milestone.body["errors"][0]["field"], "milestone");

    let cleared = patch(
        &g,
        n,
        json!({ "labels": [], "assignees": [], "milestone": null }),
    )
    .await;
    assert!(label_names(&cleared.body).is_empty());
    assert_eq!(cleared.body["assignees"], json!([]));
    assert_eq!(cleared.body["assignee"], Value::Null);
    assert_eq!(cleared.body["milestone"], Value::Null);

    let ignored = patch(&g, n, json!({ "state_reason": "not_planned" })).await;
    assert_eq!(ignored.body["state"], "open");
    assert_eq!(
        ignored.body["state_reason"],
        Value::Null,
        "ignored without state"
    );
    let closed = patch(
        &g,
        n,
        json!({ "state": "closed", "state_reason": "not_planned" }),
    )
    .await;
    assert_eq!(closed.body["state"], "closed");
    assert_eq!(closed.body["state_reason"], "not_planned");
    assert_eq!(closed.body["closed_by"]["login"], "alice");
    assert_eq!(closed.body["closed_at"], closed.body["updated_at"]);
    let reopened = patch(&g, n, json!({ "state": "open" })).await;
    assert_eq!(reopened.body["state_reason"], "reopened");
    assert_eq!(reopened.body["closed_at"], Value::Null);
    let completed = patch(&g, n, json!({ "state": "closed" })).await;
    assert_eq!(completed.body["state_reason"], "completed");

    let legacy = patch(&g, n, json!({ "assignee": "bob" })).await;
    assert_eq!(logins(&legacy.body["assignees"]), vec!["bob"]);
    let keep_title = patch(&g, n, json!({ "title": null, "body": "text" })).await;
    assert_eq!(keep_title.body["title"], "patch me");
    assert_eq!(keep_title.body["body"], "text");

    for (body, needle) in [
        (json!({ "title": "" }), "Validation Failed"),
        (json!({ "labels": "bug" }), "Invalid request."),
        (json!({ "state": "shut" }), "Invalid request."),
        (json!({ "title": true }), "Invalid request."),
        (json!(["not", "an", "object"]), "Invalid request."),
    ] {
        let r = patch(&g, n, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            r.body["message"].as_str().unwrap().starts_with(needle),
            "{body}: {}",
            r.text
        );
    }
    let raw = reqwest::Client::new()
        .patch(format!("{}/repos/{REPO}/issues/{n}", g.api_url()))
        .header("Authorization", format!("Bearer {ALICE}"))
        .header("Content-Type", "application/json")
        .body("{title: nope")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    let text = raw.text().await.unwrap();
    assert!(text.contains("Problems parsing JSON"), "{text}");

    // Without push access: others' issues are off limits; on their own issue, label,
    // assignee and milestone changes are silently dropped.
    let r = write(
        &g,
        Method::PATCH,
        &format!("/repos/{REPO}/issues/{n}"),
        Auth::Bearer(EVE),
        json!({ "title": "hijacked" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(g.github_issue(REPO, n).unwrap().title, "patch me");
    let eves = g.create_issue(
        REPO,
        NewIssue {
            title: "eve's",
            author: "eve",
            ..NewIssue::default()
        },
    );
    let r = write(
        &g,
        Method::PATCH,
        &format!("/repos/{REPO}/issues/{eves}"),
        Auth::Bearer(EVE),
        json!({ "title": "eve's, edited", "labels": ["bug"], "assignees": ["bob"], "milestone": v1 }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["title"], "eve's, edited");
    assert!(label_names(&r.body).is_empty());
    assert_eq!(r.body["assignees"], json!([]));
    assert_eq!(r.body["milestone"], Value::Null);
    assert_eq!(r.body["author_association"], "NONE");

    let missing = patch(&g, 999, json!({ "title": "x" })).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn fake_github_create_issues_and_comments() {
    let g = seeded();
    g.add_milestone(REPO, "v1");
    let path = format!("/repos/{REPO}/issues");
    let no_title = write(
        &g,
        Method::POST,
        &path,
        Auth::Bearer(ALICE),
        json!({ "body": "x" }),
    )
    .await;
    assert_eq!(no_title.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_title.body["message"]
        .as_str()
        .unwrap()
        .contains("\"title\" wasn't supplied"));
    let blank = write(
        &g,
        Method::POST,
        &path,
        Auth::Bearer(ALICE),
        json!({ "title": " " }),
    )
    .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blank.body["errors"][0]["code"], "missing_field");

    let created = write(
        &g,
        Method::POST,
        &path,
        Auth::Bearer(ALICE),
        json!({ "title": 42, "body": "numeric title", "labels": ["new-label"], "assignees": ["bob"], "milestone": 1 }),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let n = created.body["number"].as_u64().unwrap();
    assert_eq!(created.body["title"], "42");
    assert_eq!(
        created.header("location"),
        Some(format!("{}/repos/{REPO}/issues/{n}", g.api_url()).as_str())
    );
    assert!(created.header("etag").is_some());
    assert_eq!(label_names(&created.body), vec!["new-label"]);
    assert_eq!(logins(&created.body["assignees"]), vec!["bob"]);
    assert_eq!(created.body["milestone"]["title"], "v1");
    assert_eq!(created.body["user"]["login"], "alice");
    assert_eq!(created.body["state_reason"], Value::Null);

    let by_eve = write(
        &g,
        Method::POST,
        &path,
        Auth::Bearer(EVE),
        json!({ "title": "from outside", "labels": ["bug"], "assignees": ["bob"], "milestone": 1 }),
    )
    .await;
    assert_eq!(
        by_eve.status,
        StatusCode::CREATED,
        "anyone with pull access"
    );
    assert!(label_names(&by_eve.body).is_empty(), "silently dropped");
    assert_eq!(by_eve.body["assignees"], json!([]));
    assert_eq!(by_eve.body["milestone"], Value::Null);
    let bad_assignee = write(
        &g,
        Method::POST,
        &path,
        Auth::Bearer(ALICE),
        json!({ "title": "t", "assignees": ["eve"] }),
    )
    .await;
    assert_eq!(bad_assignee.status, StatusCode::UNPROCESSABLE_ENTITY);

    let before = g.github_issue(REPO, n).unwrap();
    g.advance_clock(60);
    let comments = format!("/repos/{REPO}/issues/{n}/comments");
    let c = write(
        &g,
        Method::POST,
        &comments,
        Auth::Bearer(EVE),
        json!({ "body": "me too" }),
    )
    .await;
    assert_eq!(c.status, StatusCode::CREATED);
    assert_eq!(c.body["user"]["login"], "eve");
    assert_eq!(
        c.body["issue_url"],
        format!("{}/repos/{REPO}/issues/{n}", g.api_url()).as_str()
    );
    assert!(c
        .header("location")
        .unwrap()
        .ends_with(&format!("/issues/comments/{}", c.body["id"])));
    let after = g.github_issue(REPO, n).unwrap();
    assert_eq!(after.comments, 1);
    assert!(after.updated_at > before.updated_at + Duration::seconds(59));
    assert_eq!(parse_ts(&c.body["created_at"]), after.updated_at);
    let listed = get(&g, &format!("/repos/{REPO}/issues/{n}"), Auth::Anon).await;
    assert_eq!(listed.body["comments"], 1);

    let blank = write(
        &g,
        Method::POST,
        &comments,
        Auth::Bearer(ALICE),
        json!({ "body": "" }),
    )
    .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    let missing = write(&g, Method::POST, &comments, Auth::Bearer(ALICE), json!({})).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(g.comment_bodies(REPO, n), vec!["me too"]);

    // Per-issue listing: ascending, `since` inclusive.
    g.add_comment(REPO, n, "bob", "later");
    let all = get(&g, &comments, Auth::Anon).await;
    let bodies: Vec<&str> = all
        .items()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, vec!["me too", "later"]);
    let since = all.items()[1]["created_at"].as_str().unwrap().to_string();
    let recent = get(&g, &format!("{comments}?since={since}"), Auth::Anon).await;
    assert_eq!(recent.items().len(), 1);

    // Editing a comment moves the comment, not the issue.
    let id = all.items()[0]["id"].as_u64().unwrap();
    let issue_updated = g.github_issue(REPO, n).unwrap().updated_at;
    g.edit_comment(REPO, id, "me too (edited)");
    let edited = get(&g, &format!("{comments}?since={since}"), Auth::Anon).await;
    assert_eq!(edited.items().len(), 2, "the edit moved its updated_at");
    assert_eq!(g.github_issue(REPO, n).unwrap().updated_at, issue_updated);
}

#[tokio::test]
async fn fake_github_issue_search() {
    let g = seeded();
    let marked = g.create_issue(
        REPO,
        NewIssue {
            title: "Crash on start",
            body: "steps\n<!-- issuesync:abc-123 -->",
            ..NewIssue::default()
        },
    );
    let other = g.create_issue(
        REPO,
        NewIssue {
            title: "Mentions abc in the title",
            body: "issuesync abc 123 but spelled out",
            ..NewIssue::default()
        },
    );
    g.create_issue(
        REPO,
        NewIssue {
            title: "Crash fix",
            body: "<!-- issuesync:abc-123 -->",
            pull_request: true,
            ..NewIssue::default()
        },
    );
    let search = |q: &str| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        s.append_pair("q", q);
        format!("/search/issues?{}", s.finish())
    };
    let numbers = |r: &Resp| -> Vec<u64> {
        r.body["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{}", r.text))
            .iter()
            .map(|i| i["number"].as_u64().unwrap())
            .collect()
    };

    let r = get(
        &g,
        &search(&format!(
            "repo:{REPO} is:issue in:body \"<!-- issuesync:abc-123 -->\""
        )),
        Auth::Bearer(ALICE),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        numbers(&r),
        vec![other, marked],
        "punctuation is ignored: the phrase's words match both bodies"
    );
    assert_eq!(r.body["total_count"], 2);
    assert_eq!(r.body["incomplete_results"], false);
    assert!(r.body["items"][0]["score"].is_number());
    let titles = get(
        &g,
        &search(&format!("repo:{REPO} crash in:title")),
        Auth::Bearer(ALICE),
    )
    .await;
    assert_eq!(titles.body["total_count"], 2, "the pull request too");
    let issues_only = get(
        &g,
        &search(&format!("repo:{REPO} crash in:title is:issue")),
        Auth::Bearer(ALICE),
    )
    .await;
    assert_eq!(numbers(&issues_only), vec![marked]);
    let phrase = get(
        &g,
        &search(&format!("repo:{REPO} \"spelled out\" in:body")),
        Auth::Bearer(ALICE),
    )
    .await;
    assert_eq!(numbers(&phrase), vec![other]);
    let reversed = get(
        &g,
        &search(&format!("repo:{REPO} \"out spelled\" in:body")),
        Auth::Bearer(ALICE),
    )
    .await;
    assert!(numbers(&reversed).is_empty(), "a phrase keeps its order");

    let nowhere = get(&g, &search("repo:acme/missing crash"), Auth::Bearer(ALICE)).await;
    assert_eq!(nowhere.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(nowhere.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("cannot be searched"));
    let empty = get(&g, "/search/issues", Auth::Anon).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.body["errors"][0]["code"], "missing");

    // The index lags behind when asked to.
    g.set_search_lag(StdDuration::from_millis(400));
    let fresh = g.create_issue(
        REPO,
        NewIssue {
            title: "Fresh",
            body: "marker-fresh",
            ..NewIssue::default()
        },
    );
    g.edit_issue(
        REPO,
        marked,
        RemoteEdit {
            body: Some("rewritten".into()),
            ..RemoteEdit::default()
        },
    );
    let q_fresh = search(&format!("repo:{REPO} marker-fresh"));
    let q_old = search(&format!("repo:{REPO} in:body steps"));
    assert!(numbers(&get(&g, &q_fresh, Auth::Bearer(ALICE)).await).is_empty());
    assert_eq!(
        numbers(&get(&g, &q_old, Auth::Bearer(ALICE)).await),
        vec![marked],
        "still indexed with its old body"
    );
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    assert_eq!(
        numbers(&get(&g, &q_fresh, Auth::Bearer(ALICE)).await),
        vec![fresh]
    );
    assert!(numbers(&get(&g, &q_old, Auth::Bearer(ALICE)).await).is_empty());
}

#[tokio::test]
async fn fake_github_rate_limit_next_secondary_limits_and_fail_next() {
    let g = seeded();
    let path = format!("/repos/{REPO}/issues");
    g.rate_limit_next(1, 30);
    let limited = get(&g, &path, Auth::Bearer(ALICE)).await;
    assert_eq!(limited.status, StatusCode::FORBIDDEN);
    assert_eq!(limited.header("x-ratelimit-remaining"), Some("0"));
    assert!(
        limited.header("retry-after").is_none(),
        "primary: no retry-after"
    );
    let reset = limited.header_u64("x-ratelimit-reset") as i64;
    let wall = Utc::now().timestamp();
    assert!(
        reset >= wall + 30 && reset <= wall + 32,
        "{reset} vs {wall}"
    );
    assert!(limited.body["message"]
        .as_str()
        .unwrap()
        .starts_with("API rate limit exceeded for user ID 1."));
    assert_eq!(
        get(&g, &path, Auth::Bearer(ALICE)).await.status,
        StatusCode::OK
    );

    g.set_rate_limit_status(429);
    g.rate_limit_next(1, 5);
    assert_eq!(
        get(&g, &path, Auth::Anon).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );

    g.secondary_rate_limit_next(1, 7);
    let secondary = get(&g, &path, Auth::Bearer(ALICE)).await;
    assert_eq!(secondary.status, StatusCode::FORBIDDEN);
    assert_eq!(secondary.header("retry-after"), Some("7"));
    assert!(
        secondary.header_u64("x-ratelimit-remaining") > 0,
        "a secondary limit leaves primary requests"
    );
    assert!(secondary.body["message"]
        .as_str()
        .unwrap()
        .contains("secondary rate limit"));

    g.fail_next(2, 502);
    for _ in 0..2 {
        let r = get(&g, &path, Auth::Anon).await;
        assert_eq!(r.status, StatusCode::BAD_GATEWAY);
        assert_eq!(r.body["message"], "Bad Gateway");
        assert!(
            r.header("x-ratelimit-remaining").is_some(),
            "headers on every answer"
        );
    }
    let n = issue(&g, "fail");
    g.fail_next(1, 500);
    let r = patch(&g, n, json!({ "title": "not applied" })).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(g.github_issue(REPO, n).unwrap().title, "fail");
    assert_eq!(get(&g, &path, Auth::Anon).await.status, StatusCode::OK);
    let log = g.request_log();
    assert!(log.windows(2).all(|w| w[0].at <= w[1].at));
    assert_eq!(
        log.iter().filter(|r| r.status == Some(502)).count(),
        2,
        "failed requests are recorded with their answer"
    );
}

#[tokio::test]
async fn fake_github_writes_land_although_the_connection_dies_or_the_answer_is_late() {
    let g = seeded();
    let n = issue(&g, "t");
    g.drop_connection_after_next_write();
    assert_eq!(
        get(&g, &format!("/repos/{REPO}/issues/{n}"), Auth::Anon)
            .await
            .status,
        StatusCode::OK,
        "reads are not affected"
    );
    let url = format!("{}/repos/{REPO}/issues/{n}", g.api_url());
    let client = reqwest::Client::new();
    let sent = client
        .patch(&url)
        .header("Authorization", format!("Bearer {ALICE}"))
        .json(&json!({ "title": "changed" }))
        .send()
        .await;
    assert!(sent.is_err(), "expected a transport error, got {sent:?}");
    assert_eq!(g.github_issue(REPO, n).unwrap().title, "changed");
    assert_eq!(
        patch(&g, n, json!({ "title": "again" })).await.status,
        StatusCode::OK
    );

    g.drop_connection_after_next_write();
    let sent = client
        .post(format!("{url}/comments"))
        .header("Authorization", format!("Bearer {ALICE}"))
        .json(&json!({ "body": "once" }))
        .send()
        .await;
    assert!(sent.is_err());
    assert_eq!(g.comment_bodies(REPO, n), vec!["once"]);

    g.delay_next_write(StdDuration::from_millis(600));
    let impatient = reqwest::Client::builder()
        .timeout(StdDuration::from_millis(200))
        .build()
        .unwrap();
    let started = Instant::now();
    let late = impatient
        .patch(&url)
        .header("Authorization", format!("Bearer {ALICE}"))
        .json(&json!({ "title": "late" }))
        .send()
        .await;
    assert!(late.is_err(), "timed out");
    assert!(started.elapsed() < StdDuration::from_millis(550));
    assert_eq!(
        g.github_issue(REPO, n).unwrap().title,
        "late",
        "yet applied"
    );
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    let writes = g
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .count();
    assert_eq!(writes, 4, "no client retried on its own");
}

#[tokio::test]
async fn fake_github_web_pages_live_at_the_root() {
    let g = seeded();
    let n = issue(&g, "Visible");
    let one = get(&g, &format!("/repos/{REPO}/issues/{n}"), Auth::Anon).await;
    let page = reqwest::get(one.body["html_url"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(page.text().await.unwrap().contains("Visible"));
    let missing = reqwest::get(format!("{}/{REPO}/issues/999", g.web_url()))
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let api_root_is_elsewhere = reqwest::get(format!("{}/repos/{REPO}", g.web_url()))
        .await
        .unwrap();
    assert_eq!(api_root_is_elsewhere.status(), StatusCode::NOT_FOUND);
}

/// Runs from a plain `#[test]` (no runtime) through the shared trait, then checks shutdown.
#[test]
fn fake_github_implements_the_tracker_trait_and_shuts_down_on_drop() {
    let g = FakeGitHub::start();
    let t: &dyn FakeTracker = &g;
    assert_eq!(t.kind(), ProviderKind::Github);
    assert_eq!(
        issuesync::remote_url::api_url(t.kind(), &t.web_url()),
        g.api_url(),
        "the adapter finds the API where the fake serves it"
    );
    t.add_user("alice", Some(ALICE));
    let n = check_the_trait_on(t, "team/app");
    let settled = t.issue("team/app", n).unwrap().updated_at;
    t.edit_issue("team/app", n, RemoteEdit::default());
    assert_eq!(
        t.issue("team/app", n).unwrap().updated_at,
        settled,
        "a no-op edit leaves updated_at"
    );
    t.delete_issue("team/app", n);
    assert!(t.issue("team/app", n).is_none());

    let addr = g.web_url().trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&addr).expect("connect");
    stream
        .set_read_timeout(Some(StdDuration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "GET /api/v3/repos/team/app/issues/1 HTTP/1.1\r\nHost: {addr}\r\nAuthorization: token {ALICE}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("read");
    assert!(raw.starts_with("HTTP/1.1 410"), "{raw}");
    assert_eq!(
        t.requests()
            .last()
            .and_then(|r| r.authorization.clone())
            .as_deref(),
        Some("token ghp_alice")
    );

    drop(g);
    assert!(
        TcpStream::connect(&addr).is_err(),
        "listener closed on drop"
    );
}
