//! `issuesync mcp`: the real binary driven over stdio as an MCP client drives it
//! (newline-delimited JSON-RPC), against a mirror synced from the in-process fakes.
//! What is asserted is what an agent (and the person behind it) sees: the tools and
//! their schemas, answers, refusals, what reaches the tracker, and the sync log.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use issuesync::model::ProviderKind;
use serde_json::{json, Value};

use crate::common::cli::{contains_bytes, Cli};
use crate::common::fake_gitea::FakeGitea;
use crate::common::fake_github::FakeGitHub;
use crate::common::fake_gitlab::FakeGitLab;
use crate::common::tracker::{FakeTracker, NewIssue, RemoteEdit};

const TOKEN: &str = "mcp-token-alice-7f3e";
const AGENT: &str = "claude-test";
const ALL_TOOLS: [&str; 8] = [
    "add_comment",
    "create_issue",
    "edit_issue",
    "get_issue",
    "list_conflicts",
    "resolve_conflict",
    "search_issues",
    "sync",
];
const READ_TOOLS: [&str; 3] = ["get_issue", "list_conflicts", "search_issues"];

/// One running `issuesync mcp`, spoken to as a client.
struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    /// Everything the server wrote on stdout so far.
    transcript: String,
    next_id: u64,
}

impl Session {
    /// Starts the server on `cli`'s data dir and completes the handshake as client
    /// `client_name`. Returns the session and the `initialize` result.
    fn start(cli: &Cli, read_only: bool, client_name: &str) -> (Self, Value) {
        let mut args = vec!["mcp"];
        if read_only {
            args.push("--read-only");
        }
        let mut child = cli
            .command(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn issuesync mcp");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut session = Self {
            stdin: child.stdin.take(),
            child,
            lines,
            transcript: String::new(),
            next_id: 1,
        };
        let init = session.request(
            "initialize",
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": client_name, "version": "1.0"},
            }),
        );
        session.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        (session, init)
    }

    fn send(&mut self, message: &Value) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        writeln!(stdin, "{message}").expect("write to issuesync mcp");
        stdin.flush().unwrap();
    }

    /// Sends a request and waits for its answer (the whole JSON-RPC response).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no answer to {method} #{id}"));
            self.transcript.push_str(&line);
            self.transcript.push('\n');
            let message: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout line is not JSON-RPC ({e}): {line}"));
            if message["id"] == json!(id) {
                return message;
            }
        }
    }

    /// Calls a tool; returns the JSON-RPC response.
    fn call(&mut self, tool: &str, arguments: Value) -> Value {
        self.request("tools/call", json!({"name": tool, "arguments": arguments}))
    }

    /// Calls a tool that must succeed; returns its structured content.
    fn ok(&mut self, tool: &str, arguments: Value) -> Value {
        let response = self.call(tool, arguments.clone());
        let result = &response["result"];
        assert_eq!(
            result["isError"],
            json!(false),
            "{tool} {arguments} failed: {response}"
        );
        let text = result["content"][0]["text"].as_str().unwrap_or_default();
        let from_text: Value = serde_json::from_str(text).expect("text content is the JSON");
        assert_eq!(
            from_text, result["structuredContent"],
            "{tool}: older clients read the same answer as text"
        );
        result["structuredContent"].clone()
    }

    /// Calls a tool the core refuses; returns the tool error's `{code, message}`.
    fn tool_error(&mut self, tool: &str, arguments: Value) -> Value {
        let response = self.call(tool, arguments.clone());
        assert_eq!(
            response["result"]["isError"],
            json!(true),
            "{tool} {arguments} should be refused as a tool error: {response}"
        );
        response["result"]["structuredContent"].clone()
    }

    /// Calls a tool with arguments it cannot take; returns the error's message.
    fn argument_error(&mut self, tool: &str, arguments: Value) -> String {
        let refused = self.tool_error(tool, arguments);
        assert_eq!(refused["code"], "invalid_arguments", "{tool}: {refused}");
        refused["message"].as_str().unwrap().to_string()
    }

    /// Calls a tool the protocol refuses (unknown, or a write under --read-only);
    /// returns the JSON-RPC error.
    fn rpc_error(&mut self, tool: &str, arguments: Value) -> Value {
        let response = self.call(tool, arguments.clone());
        assert!(
            response["result"].is_null(),
            "{tool} {arguments} should be a JSON-RPC error: {response}"
        );
        response["error"].clone()
    }

    /// Closes stdin and waits for the server to exit; returns its exit code.
    fn close(mut self) -> (i32, String) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) {
                    self.transcript.push_str(&line);
                }
                return (status.code().unwrap_or(-1), self.transcript);
            }
            assert!(
                Instant::now() < deadline,
                "issuesync mcp did not exit when its client closed stdin"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn repo_path(t: &dyn FakeTracker) -> &'static str {
    match t.kind() {
        ProviderKind::Gitlab => "team/backend/app",
        _ => "team/app",
    }
}

/// A tracker with three issues (one closed, one with a comment by bob) and a CLI
/// mirroring it, synced once. Returns the CLI and the issue numbers.
fn mirrored(t: &dyn FakeTracker) -> (Cli, [u64; 3]) {
    let repo = repo_path(t);
    t.add_user("alice", Some(TOKEN));
    t.add_repo(repo, false);
    t.add_label(repo, "bug", "ff0000");
    t.add_label(repo, "p1", "00ff00");
    let crash = t.create_issue(
        repo,
        NewIssue {
            title: "Crash on start",
            body: "It crashes when the config is empty.",
            labels: vec!["bug"],
            ..NewIssue::default()
        },
    );
    t.add_comment(repo, crash, "bob", "Same here on 1.2");
    let docs = t.create_issue(
        repo,
        NewIssue {
            title: "Docs typo",
            body: "teh",
            ..NewIssue::default()
        },
    );
    let old = t.create_issue(
        repo,
        NewIssue {
            title: "Old request",
            ..NewIssue::default()
        },
    );
    t.edit_issue(
        repo,
        old,
        RemoteEdit {
            state: Some("closed".into()),
            ..RemoteEdit::default()
        },
    );
    let cli = Cli::mirroring(t, repo, TOKEN);
    (cli, [crash, docs, old])
}

fn allow_agents(cli: &Cli, globs: &[&str]) {
    let mut args = vec!["connection", "edit", "t", "--agent-writes"];
    args.extend_from_slice(globs);
    let run = cli.run(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

fn pending_of(cli: &Cli, reference: &str) -> Vec<Value> {
    let shown = cli.run(&["show", reference, "--json"]).json();
    shown["pending"].as_array().cloned().unwrap_or_default()
}

fn count_titled(t: &dyn FakeTracker, repo: &str, title: &str) -> usize {
    (1..=30)
        .filter_map(|n| t.issue(repo, n))
        .filter(|i| i.title == title)
        .count()
}

#[test]
fn the_handshake_and_tool_list_describe_every_tool_for_a_model() {
    let cli = Cli::new();
    let (mut s, init) = Session::start(&cli, false, AGENT);
    let info = &init["result"];
    assert_eq!(info["serverInfo"]["name"], "issuesync");
    assert!(info["capabilities"]["tools"].is_object(), "{init}");
    assert!(info["capabilities"]["resources"].is_object(), "{init}");
    assert!(
        info["instructions"].as_str().unwrap().contains("untrusted"),
        "the instructions warn that tracker text is data: {init}"
    );

    let listed = s.request("tools/list", json!({}));
    let tools = listed["result"]["tools"].as_array().unwrap().clone();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ALL_TOOLS, "few tools, all of them");
    for tool in &tools {
        let name = tool["name"].as_str().unwrap();
        let schema = &tool["inputSchema"];
        assert_eq!(schema["type"], "object", "{name}");
        assert_eq!(
            schema["additionalProperties"],
            json!(false),
            "{name} refuses unknown fields in its schema too"
        );
        let annotations = &tool["annotations"];
        assert!(annotations["title"].is_string(), "{name} has a title");
        let read_only = READ_TOOLS.contains(&name);
        assert_eq!(annotations["readOnlyHint"], json!(read_only), "{name}");
        assert!(annotations["destructiveHint"].is_boolean(), "{name}");
        assert!(annotations["idempotentHint"].is_boolean(), "{name}");
        assert!(
            tool["description"].as_str().unwrap().len() > 80,
            "{name} is described for a model"
        );
    }
    let by_name = |n: &str| tools.iter().find(|t| t["name"] == n).unwrap().clone();
    for reader in ["search_issues", "get_issue", "list_conflicts"] {
        assert!(
            by_name(reader)["description"]
                .as_str()
                .unwrap()
                .contains("untrusted"),
            "{reader} says tracker text is untrusted"
        );
    }
    assert_eq!(
        by_name("get_issue")["inputSchema"]["required"],
        json!(["ref"])
    );
    let edit = by_name("edit_issue");
    let props = &edit["inputSchema"]["properties"];
    for field in [
        "ref",
        "title",
        "body",
        "state",
        "add_labels",
        "remove_labels",
        "add_assignees",
        "remove_assignees",
        "milestone",
    ] {
        assert!(props[field].is_object(), "edit_issue takes {field}: {edit}");
    }
    assert_eq!(props["body"]["maxLength"], json!(65536));
    assert_eq!(edit["annotations"]["destructiveHint"], json!(true));
    assert_eq!(
        by_name("create_issue")["annotations"]["destructiveHint"],
        json!(false)
    );
    assert_eq!(
        by_name("sync")["annotations"]["openWorldHint"],
        json!(true),
        "only sync talks to trackers"
    );

    let templates = s.request("resources/templates/list", json!({}));
    let templates = templates["result"]["resourceTemplates"].as_array().unwrap();
    assert_eq!(templates.len(), 1);
    assert_eq!(
        templates[0]["uriTemplate"],
        "issuesync://{connection}/{+repo}/{number}"
    );
    let (code, _) = s.close();
    assert_eq!(
        code, 0,
        "a client that closes stdin ends the server cleanly"
    );
}

/// Every tool on a mirror of each tracker: reads from the mirror, writes that the next
/// sync pushes exactly once, each marked with the agent's name in the log.
#[test]
fn an_agent_reads_and_changes_issues_of_every_tracker_through_one_server() {
    let trackers: Vec<Box<dyn FakeTracker>> = vec![
        Box::new(FakeGitea::start()),
        Box::new(FakeGitHub::start()),
        Box::new(FakeGitLab::start()),
    ];
    for t in &trackers {
        agent_story(t.as_ref());
    }
}

fn agent_story(t: &dyn FakeTracker) {
    let kind = t.kind();
    let repo = repo_path(t);
    let (cli, [crash, docs, old]) = mirrored(t);
    allow_agents(&cli, &["team/**"]);
    let crash_ref = format!("t:{repo}#{crash}");
    let (mut s, _) = Session::start(&cli, false, AGENT);

    // search_issues: full text, filters, pages.
    let found = s.ok("search_issues", json!({"query": "crashes"}));
    assert_eq!(found["total"], 1, "{kind}: {found}");
    let row = &found["issues"][0];
    assert_eq!(row["ref"], crash_ref.as_str());
    assert_eq!(row["title"], "Crash on start");
    assert_eq!(row["state"], "open");
    assert_eq!(row["labels"], json!(["bug"]));
    assert_eq!(row["sync_status"], "synced");
    assert!(row["remote_url"].as_str().unwrap().starts_with("http"));
    assert_eq!(
        row["uri"],
        format!("issuesync://t/{repo}/{crash}").as_str(),
        "{kind}: GitLab groups stay in the URI"
    );
    for key in ["assignees", "updated_at"] {
        assert!(!row[key].is_null(), "{kind}: rows carry {key}");
    }
    let open = s.ok("search_issues", json!({}));
    assert_eq!(open["total"], 2, "{kind}: open issues by default");
    let labelled = s.ok(
        "search_issues",
        json!({"label": "bug", "repo": format!("t:{repo}")}),
    );
    assert_eq!(labelled["total"], 1, "{kind}");
    let closed = s.ok("search_issues", json!({"state": "closed"}));
    assert_eq!(
        closed["issues"][0]["ref"],
        format!("t:{repo}#{old}").as_str()
    );
    let first = s.ok("search_issues", json!({"state": "all", "limit": 2}));
    assert_eq!(first["total"], 3);
    assert_eq!(first["issues"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    let second = s.ok(
        "search_issues",
        json!({"state": "all", "limit": 2, "cursor": cursor}),
    );
    assert_eq!(second["issues"].as_array().unwrap().len(), 1);
    assert_eq!(second["next_cursor"], Value::Null, "{kind}: the last page");
    let mut seen: Vec<String> = first["issues"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["issues"].as_array().unwrap())
        .map(|i| i["ref"].as_str().unwrap().to_string())
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 3, "{kind}: the pages together hold every issue");

    // get_issue and the same issue as a resource.
    let issue = s.ok("get_issue", json!({"ref": crash_ref}));
    assert_eq!(issue["body"], "It crashes when the config is empty.");
    assert_eq!(issue["comments"][0]["author"], "bob");
    assert_eq!(issue["comments"][0]["body"], "Same here on 1.2");
    assert_eq!(issue["pending"], json!([]));
    assert_eq!(issue["conflicts"], json!([]));
    assert!(issue["remote_url"].as_str().unwrap().starts_with("http"));
    let uri = issue["uri"].as_str().unwrap().to_string();
    let read = s.request("resources/read", json!({"uri": uri}));
    let contents = &read["result"]["contents"][0];
    assert_eq!(contents["uri"], uri.as_str());
    assert_eq!(contents["mimeType"], "application/json");
    let resource: Value = serde_json::from_str(contents["text"].as_str().unwrap()).unwrap();
    assert_eq!(resource["title"], "Crash on start", "{kind}");
    assert_eq!(resource["comments"][0]["author"], "bob");

    // Writes: local first, with the pending change in the answer.
    let edited = s.ok(
        "edit_issue",
        json!({"ref": crash_ref, "title": "Crash on start with an empty config",
               "add_labels": ["p1"]}),
    );
    assert_eq!(edited["sync_status"], "pending", "{kind}: {edited}");
    assert_eq!(edited["pending"][0]["kind"], "update");
    assert_eq!(edited["in_conflict"], json!([]));
    assert_eq!(edited["issue"]["labels"], json!(["bug", "p1"]));
    assert_eq!(
        t.issue(repo, crash).unwrap().title,
        "Crash on start",
        "{kind}: nothing reaches the tracker before a sync"
    );
    let created = s.ok(
        "create_issue",
        json!({"repo": format!("t:{repo}"), "title": "Filed by an agent", "body": "details"}),
    );
    let created_ref = created["ref"].as_str().unwrap().to_string();
    assert!(created_ref.contains("#local-"), "{kind}: {created}");
    assert_eq!(created["sync_status"], "pending");
    let commented = s.ok(
        "add_comment",
        json!({"ref": format!("t:{repo}#{docs}"), "body": "Fixed in the next release."}),
    );
    assert_eq!(commented["comment"]["body"], "Fixed in the next release.");
    assert_eq!(commented["sync_status"], "pending");

    // sync: the same summary as `sync --json`, and each change lands once.
    let summary = s.ok("sync", json!({}));
    let report = &summary["repos"][0];
    assert_eq!(report["error"], Value::Null, "{kind}: {summary}");
    assert_eq!(report["push"]["created"], 1, "{kind}: {summary}");
    assert_eq!(report["push"]["updated"], 1, "{kind}: {summary}");
    assert_eq!(report["push"]["comments"], 1, "{kind}: {summary}");
    let on_tracker = t.issue(repo, crash).unwrap();
    assert_eq!(on_tracker.title, "Crash on start with an empty config");
    assert_eq!(on_tracker.labels, vec!["bug", "p1"]);
    assert_eq!(count_titled(t, repo, "Filed by an agent"), 1, "{kind}");
    let comments = t.comment_bodies(repo, docs);
    assert_eq!(comments.len(), 1, "{kind}: {comments:?}");
    assert!(comments[0].starts_with("Fixed in the next release."));
    let again = s.ok("sync", json!({"connection": "t"}));
    assert_eq!(again["repos"][0]["push"]["created"], 0, "{kind}: {again}");
    assert_eq!(
        count_titled(t, repo, "Filed by an agent"),
        1,
        "{kind}: once"
    );
    assert_eq!(s.ok("list_conflicts", json!({}))["conflicts"], json!([]));
    let (code, transcript) = s.close();
    assert_eq!(code, 0);
    assert!(
        !transcript.contains(TOKEN),
        "{kind}: no tool result or resource contains the token"
    );

    // The log names the agent for its local writes and for their pushes.
    let log = cli.run(&["log", "--json", "--limit", "200"]).json();
    let by_agent: Vec<(String, String)> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["agent"] == AGENT)
        .map(|r| {
            (
                r["operation"].as_str().unwrap().to_string(),
                r["detail"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (operation, detail) in [
        ("edit", "edited title, labels locally"),
        ("create", "created locally"),
        ("comment", "commented locally"),
        ("push", "sent "),
        ("create", "created on the tracker"),
        ("comment", "comment added"),
    ] {
        assert!(
            by_agent
                .iter()
                .any(|(o, d)| o == operation && d.contains(detail)),
            "{kind}: the log marks the agent's {operation} ({detail}): {by_agent:?}"
        );
    }
    let table = cli.run(&["log"]);
    assert!(
        table.stdout.contains(&format!("agent {AGENT}")),
        "{kind}: `issuesync log` shows who: {}",
        table.stdout
    );
}

#[test]
fn read_only_offers_only_reads_and_refuses_writes_called_anyway() {
    let fake = FakeGitea::start();
    let t: &dyn FakeTracker = &fake;
    let (cli, [crash, _, _]) = mirrored(t);
    allow_agents(&cli, &["team/app"]);
    let reference = format!("t:team/app#{crash}");
    let (mut s, _) = Session::start(&cli, true, AGENT);
    let listed = s.request("tools/list", json!({}));
    let names: Vec<&str> = listed["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, READ_TOOLS);
    for (tool, arguments) in [
        ("edit_issue", json!({"ref": reference, "title": "No"})),
        ("create_issue", json!({"repo": "t:team/app", "title": "No"})),
        ("add_comment", json!({"ref": reference, "body": "No"})),
        (
            "resolve_conflict",
            json!({"ref": reference, "field": "title", "take": "local"}),
        ),
        ("sync", json!({})),
    ] {
        let error = s.rpc_error(tool, arguments);
        assert_eq!(error["code"], json!(-32602), "{tool}: {error}");
        assert!(
            error["message"].as_str().unwrap().contains("--read-only"),
            "{tool}: the refusal says why: {error}"
        );
    }
    // Reads still work.
    assert_eq!(s.ok("search_issues", json!({}))["total"], 2);
    s.close();
    t.clear_requests();
    assert_eq!(pending_of(&cli, &reference), Vec::<Value>::new());
    let drafts = cli.run(&["list", "--status", "pending", "--json"]).json();
    assert_eq!(drafts, json!([]), "nothing was stored");
    assert_eq!(t.issue("team/app", crash).unwrap().title, "Crash on start");
}

#[test]
fn agent_writes_are_refused_until_a_person_allows_the_repository() {
    let fake = FakeGitea::start();
    let t: &dyn FakeTracker = &fake;
    let (cli, [crash, _, _]) = mirrored(t);
    let reference = format!("t:team/app#{crash}");
    let (mut s, _) = Session::start(&cli, false, AGENT);
    let refused = s.tool_error("edit_issue", json!({"ref": reference, "title": "Mine"}));
    assert_eq!(refused["code"], "agent_write_refused", "{refused}");
    let message = refused["message"].as_str().unwrap();
    assert!(
        message.contains("issuesync connection edit t --agent-writes team/app"),
        "the refusal says how to allow it: {message}"
    );
    assert!(message.contains(AGENT), "{message}");
    for (tool, arguments) in [
        (
            "create_issue",
            json!({"repo": "t:team/app", "title": "Mine"}),
        ),
        ("add_comment", json!({"ref": reference, "body": "Mine"})),
    ] {
        let refused = s.tool_error(tool, arguments);
        assert_eq!(refused["code"], "agent_write_refused", "{tool}: {refused}");
    }
    assert_eq!(pending_of(&cli, &reference), Vec::<Value>::new());
    assert_eq!(
        cli.run(&["list", "--status", "pending", "--json"]).json(),
        json!([]),
        "nothing was stored"
    );

    // A glob for other repositories does not cover this one; the fix keeps it.
    allow_agents(&cli, &["other/*"]);
    let refused = s.tool_error("edit_issue", json!({"ref": reference, "title": "Mine"}));
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("--agent-writes other/* team/app"),
        "{refused}"
    );
    allow_agents(&cli, &["team/*"]);
    let edited = s.ok("edit_issue", json!({"ref": reference, "title": "Mine"}));
    assert_eq!(edited["sync_status"], "pending");
    s.close();

    // Taking the permission back stops the next write.
    let run = cli.run(&["connection", "edit", "t", "--no-agent-writes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("agents may change none"),
        "{}",
        run.stdout
    );
    let (mut s, _) = Session::start(&cli, false, AGENT);
    let refused = s.tool_error("add_comment", json!({"ref": reference, "body": "More"}));
    assert_eq!(refused["code"], "agent_write_refused");
    s.close();
}

#[test]
fn bad_input_is_a_clear_error_and_stores_nothing() {
    let fake = FakeGitea::start();
    let t: &dyn FakeTracker = &fake;
    let (cli, [crash, _, _]) = mirrored(t);
    allow_agents(&cli, &["**"]);
    let reference = format!("t:team/app#{crash}");
    let (mut s, _) = Session::start(&cli, false, AGENT);

    let unknown = s.rpc_error("delete_everything", json!({}));
    assert_eq!(unknown["code"], json!(-32602));
    assert!(
        unknown["message"]
            .as_str()
            .unwrap()
            .contains("no tool named \"delete_everything\""),
        "{unknown}"
    );
    let malformed = s.tool_error("get_issue", json!({"ref": "team/app 3"}));
    assert_eq!(malformed["code"], "bad_reference", "{malformed}");
    let missing = s.tool_error("get_issue", json!({"ref": "t:team/app#999"}));
    assert_eq!(missing["code"], "unknown_issue", "{missing}");
    let bad_edit = s.tool_error("edit_issue", json!({"ref": "t:team/app#", "title": "x"}));
    assert_eq!(bad_edit["code"], "bad_reference", "{bad_edit}");

    for (tool, arguments, says) in [
        (
            "edit_issue",
            json!({"ref": reference, "titel": "typo"}),
            "titel",
        ),
        (
            "edit_issue",
            json!({"ref": reference, "title": 5}),
            "invalid type",
        ),
        (
            "edit_issue",
            json!({"ref": reference, "state": "gone"}),
            "gone",
        ),
        ("get_issue", json!({}), "ref"),
        (
            "add_comment",
            json!({"ref": reference, "body": "x".repeat(65_537)}),
            "the limit is 65536",
        ),
        (
            "edit_issue",
            json!({"ref": reference, "title": "t".repeat(300)}),
            "the limit is 255",
        ),
        ("search_issues", json!({"limit": 1000}), "1 to 100"),
        ("search_issues", json!({"cursor": "page-2"}), "next_cursor"),
        (
            "resolve_conflict",
            json!({"ref": reference, "field": "title", "take": "value"}),
            "needs a value",
        ),
    ] {
        let message = s.argument_error(tool, arguments.clone());
        assert!(message.contains(says), "{tool} {arguments:.80}: {message}");
    }
    let no_conflict = s.tool_error(
        "resolve_conflict",
        json!({"ref": reference, "field": "title", "take": "local"}),
    );
    assert_eq!(no_conflict["code"], "no_conflict");
    let empty = s.tool_error("edit_issue", json!({"ref": reference}));
    assert_eq!(empty["code"], "invalid_input", "{empty}");

    let bad_uri = s.request("resources/read", json!({"uri": "issuesync://t/app"}));
    assert_eq!(bad_uri["error"]["code"], json!(-32602), "{bad_uri}");
    let absent = s.request(
        "resources/read",
        json!({"uri": "issuesync://t/team/app/999"}),
    );
    assert_eq!(absent["error"]["code"], json!(-32002), "{absent}");
    s.close();

    assert_eq!(pending_of(&cli, &reference), Vec::<Value>::new());
    assert_eq!(
        cli.run(&["list", "--status", "pending", "--json"]).json(),
        json!([]),
        "nothing was stored"
    );
    let log = cli.run(&["log", "--json"]).json();
    assert!(
        log.as_array().unwrap().iter().all(|r| r["agent"].is_null()),
        "no agent write was logged: {log}"
    );
}

/// The agent edits a title someone changes on the tracker at the same time: the push
/// finds a conflict and sends nothing for the field; the person's title stays.
#[test]
fn an_agent_edit_meeting_a_remote_edit_becomes_a_conflict_not_an_overwrite() {
    let fake = FakeGitea::start();
    let t: &dyn FakeTracker = &fake;
    let (cli, [crash, _, _]) = mirrored(t);
    allow_agents(&cli, &["team/app"]);
    let reference = format!("t:team/app#{crash}");
    let (mut s, _) = Session::start(&cli, false, AGENT);
    s.ok(
        "edit_issue",
        json!({"ref": reference, "title": "Agent's title"}),
    );
    t.edit_issue(
        "team/app",
        crash,
        RemoteEdit {
            title: Some("A person's title".into()),
            ..RemoteEdit::default()
        },
    );
    let summary = s.ok("sync", json!({}));
    let report = &summary["repos"][0];
    assert_eq!(
        report["conflicts"].as_u64().unwrap() + report["push"]["conflicts"].as_u64().unwrap(),
        1,
        "{summary}"
    );
    assert_eq!(
        t.issue("team/app", crash).unwrap().title,
        "A person's title",
        "nothing overwritten on the tracker"
    );
    let conflicts = s.ok("list_conflicts", json!({}))["conflicts"].clone();
    assert_eq!(conflicts.as_array().unwrap().len(), 1, "{conflicts}");
    let c = &conflicts[0];
    assert_eq!(c["ref"], reference.as_str());
    assert_eq!(c["field"], "title");
    assert_eq!(c["base"], "Crash on start");
    assert_eq!(c["local"], "Agent's title");
    assert_eq!(c["remote"], "A person's title");
    let issue = s.ok("get_issue", json!({"ref": reference}));
    assert_eq!(issue["sync_status"], "conflict");
    assert_eq!(issue["conflicts"][0]["field"], "title");

    // Another agent edit of the field keeps the conflict open: still nothing pushed.
    let again = s.ok(
        "edit_issue",
        json!({"ref": reference, "title": "Agent, again"}),
    );
    assert_eq!(again["in_conflict"], json!(["title"]));
    s.ok("sync", json!({}));
    assert_eq!(
        t.issue("team/app", crash).unwrap().title,
        "A person's title"
    );

    let resolved = s.ok(
        "resolve_conflict",
        json!({"ref": reference, "field": "title", "take": "value",
               "value": "A person's title, agreed"}),
    );
    assert_eq!(resolved["sync_status"], "pending");
    s.ok("sync", json!({}));
    assert_eq!(
        t.issue("team/app", crash).unwrap().title,
        "A person's title, agreed"
    );
    assert_eq!(s.ok("list_conflicts", json!({}))["conflicts"], json!([]));
    s.close();
    let log = cli.run(&["log", &reference, "--json"]).json();
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|r| r["operation"] == "resolve" && r["agent"] == AGENT),
        "the agent's decision is logged with its name: {log}"
    );
}

/// A client that goes away in the middle of its calls: the server exits, and the
/// database holds each write whole or not at all; the next sync pushes what it holds
/// exactly once (the issue already had bob's comment).
#[test]
fn a_client_closing_stdin_mid_call_leaves_the_database_consistent() {
    let fake = FakeGitea::start();
    let t: &dyn FakeTracker = &fake;
    let (cli, [crash, _, _]) = mirrored(t);
    allow_agents(&cli, &["team/app"]);
    let (mut s, _) = Session::start(&cli, false, "agent\u{1b}[31m with\nescapes");
    for n in 0..5 {
        s.send(
            &json!({"jsonrpc": "2.0", "id": 100 + n, "method": "tools/call",
            "params": {"name": "create_issue",
                       "arguments": {"repo": "t:team/app", "title": format!("Half-said {n}")}}}),
        );
        s.send(
            &json!({"jsonrpc": "2.0", "id": 200 + n, "method": "tools/call",
            "params": {"name": "add_comment",
                       "arguments": {"ref": format!("t:team/app#{crash}"),
                                     "body": format!("note {n}")}}}),
        );
    }
    // The last line is cut in the middle.
    let stdin = s.stdin.as_mut().unwrap();
    stdin
        .write_all(br#"{"jsonrpc":"2.0","id":999,"method":"tools/call","params":{"name":"edit_"#)
        .unwrap();
    let (code, _) = s.close();
    assert_eq!(code, 0, "a client going away is not a crash");

    let db = rusqlite::Connection::open(cli.data_dir().join("issuesync.db")).unwrap();
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let (drafts, creates): (i64, i64) = db
        .query_row(
            "SELECT (SELECT count(*) FROM issues WHERE number IS NULL),
                    (SELECT count(*) FROM outbox WHERE kind = 'create')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        drafts, creates,
        "every local issue has its create, and no more"
    );
    let (local_comments, comment_rows): (i64, i64) = db
        .query_row(
            "SELECT (SELECT count(*) FROM comments WHERE remote_id IS NULL),
                    (SELECT count(*) FROM outbox WHERE kind = 'comment')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(local_comments, comment_rows);
    let agents: Vec<String> = db
        .prepare("SELECT DISTINCT agent FROM sync_log WHERE agent IS NOT NULL")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for agent in &agents {
        assert!(
            !agent.chars().any(char::is_control),
            "the client's name is stored without control characters: {agent:?}"
        );
    }
    drop(db);

    let run = cli.run(&["sync"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let landed: usize = (0..5)
        .map(|n| count_titled(t, "team/app", &format!("Half-said {n}")))
        .sum();
    assert_eq!(
        landed as i64, drafts,
        "each stored create lands exactly once"
    );
    assert_eq!(
        t.comment_bodies("team/app", crash).len() as i64,
        local_comments + 1,
        "each stored comment lands exactly once"
    );
    let data = cli.data_dir_bytes();
    assert!(!contains_bytes(&data, TOKEN), "no token in the data dir");
}

/// The server takes the data dir's sync lock like the CLI and the desktop app: while
/// another process syncs, the sync tool says so and nothing is pushed.
#[test]
fn the_sync_tool_waits_its_turn_behind_another_sync() {
    let fake = FakeGitea::start();
    let t: &dyn FakeTracker = &fake;
    let (cli, [crash, _, _]) = mirrored(t);
    allow_agents(&cli, &["team/app"]);
    let (mut s, _) = Session::start(&cli, false, AGENT);
    let reference = format!("t:team/app#{crash}");
    s.ok("edit_issue", json!({"ref": reference, "title": "Later"}));
    let lock = std::fs::File::create(cli.data_dir().join("sync.lock")).unwrap();
    lock.try_lock().expect("the test holds the sync lock");
    let busy = s.tool_error("sync", json!({}));
    assert_eq!(busy["code"], "sync_busy", "{busy}");
    assert_eq!(t.issue("team/app", crash).unwrap().title, "Crash on start");
    drop(lock);
    s.ok("sync", json!({}));
    assert_eq!(t.issue("team/app", crash).unwrap().title, "Later");
    s.close();
}
