//! Repository webhooks as the fakes keep them: one store per fake, keyed by repository
//! path, with what each tracker's API answers for them.
//!
//! - GitHub: `GET/POST /repos/{owner}/{repo}/hooks`, `DELETE …/hooks/{hook_id}` (operations
//!   `repos/list-webhooks`, `repos/create-webhook`, `repos/delete-webhook` of
//!   `shared/contracts/github-api.github.com.json`); a `hook` has `id`, `name: "web"`,
//!   `active`, `events`, `config {url, content_type, insecure_ssl}` — the secret is never
//!   returned. Repository admins only; others get 404.
//! - Gitea/Forgejo: the same paths under `/api/v1` (`repoListHooks`, `repoCreateHook`
//!   → 201, `repoDeleteHook` → 204 in `gitea-1.27.1.swagger.json`); `CreateHookOption`
//!   `{type, config{url, content_type, secret}, events, active}`. Repository admins only;
//!   others get 403 (Gitea's `reqAdmin`).
//! - GitLab: `GET/POST /projects/:id/hooks`, `DELETE /projects/:id/hooks/:hook_id`
//!   (docs.gitlab.com/api/project_webhooks); flags `issues_events`, `note_events`, …, the
//!   secret as `token` (never returned). Maintainers only; others get 403.
#![allow(dead_code)]

use std::collections::BTreeMap;

use serde_json::{json, Value};

/// A webhook as a fake stores it, secret included (tests check it was sent).
#[derive(Debug, Clone, PartialEq)]
pub struct TrackerHook {
    pub id: i64,
    pub url: String,
    /// The tracker's event names (GitLab: the names of the flags that are on).
    pub events: Vec<String>,
    pub secret: String,
    pub content_type: String,
    pub active: bool,
}

#[derive(Debug, Default)]
pub struct Hooks {
    next_id: i64,
    by_repo: BTreeMap<String, Vec<TrackerHook>>,
}

impl Hooks {
    pub fn list(&self, repo: &str) -> Vec<TrackerHook> {
        self.by_repo
            .get(&repo.to_lowercase())
            .cloned()
            .unwrap_or_default()
    }

    pub fn create(&mut self, repo: &str, mut hook: TrackerHook) -> TrackerHook {
        self.next_id += 1;
        hook.id = 100 + self.next_id;
        self.by_repo
            .entry(repo.to_lowercase())
            .or_default()
            .push(hook.clone());
        hook
    }

    pub fn delete(&mut self, repo: &str, id: i64) -> bool {
        let hooks = self.by_repo.entry(repo.to_lowercase()).or_default();
        let before = hooks.len();
        hooks.retain(|h| h.id != id);
        hooks.len() != before
    }
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn events(v: &Value) -> Vec<String> {
    v.get("events")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// A GitHub or Gitea create body; `Err` names what is missing (GitHub 422, Gitea 422).
pub fn from_hub_body(body: &Value) -> Result<TrackerHook, String> {
    let config = body.get("config").cloned().unwrap_or(Value::Null);
    let url = text(&config, "url");
    if url.is_empty() {
        return Err("config.url is required".into());
    }
    Ok(TrackerHook {
        id: 0,
        url,
        events: events(body),
        secret: text(&config, "secret"),
        content_type: text(&config, "content_type"),
        active: body.get("active").and_then(Value::as_bool).unwrap_or(true),
    })
}

pub fn github_json(api: &str, repo: &str, h: &TrackerHook) -> Value {
    json!({
        "type": "Repository",
        "id": h.id,
        "name": "web",
        "active": h.active,
        "events": h.events,
        "config": { "url": h.url, "content_type": h.content_type, "insecure_ssl": "0" },
        "updated_at": "2026-01-05T10:00:00Z",
        "created_at": "2026-01-05T10:00:00Z",
        "url": format!("{api}/repos/{repo}/hooks/{}", h.id),
        "test_url": format!("{api}/repos/{repo}/hooks/{}/test", h.id),
        "ping_url": format!("{api}/repos/{repo}/hooks/{}/pings", h.id),
        "deliveries_url": format!("{api}/repos/{repo}/hooks/{}/deliveries", h.id),
        "last_response": { "code": null, "status": "unused", "message": null },
    })
}

pub fn gitea_json(h: &TrackerHook) -> Value {
    json!({
        "id": h.id,
        "type": "gitea",
        "name": "",
        "branch_filter": "",
        "authorization_header": "",
        "active": h.active,
        "events": h.events,
        "config": { "url": h.url, "content_type": h.content_type },
        "created_at": "2026-01-05T11:00:00+01:00",
        "updated_at": "2026-01-05T11:00:00+01:00",
    })
}

/// GitLab's event flags, in the order its API lists them.
pub const GITLAB_FLAGS: &[&str] = &[
    "push_events",
    "issues_events",
    "confidential_issues_events",
    "merge_requests_events",
    "tag_push_events",
    "note_events",
    "confidential_note_events",
    "job_events",
    "pipeline_events",
    "wiki_page_events",
    "deployment_events",
    "releases_events",
];

pub fn gitlab_json(project_id: u64, h: &TrackerHook) -> Value {
    let mut v = json!({
        "id": h.id,
        "url": h.url,
        "name": null,
        "description": null,
        "project_id": project_id,
        "enable_ssl_verification": true,
        "alert_status": "executable",
        "disabled_until": null,
        "created_at": "2026-01-05T10:00:00.000Z",
    });
    for flag in GITLAB_FLAGS {
        v[*flag] = json!(h.events.iter().any(|e| e == flag));
    }
    v
}
