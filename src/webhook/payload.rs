//! Reading a verified delivery as a hint: which event it is, and which repository and
//! issue it names. Pure; the hint is never trusted for values — the receiver re-fetches
//! the issue through the provider.
//!
//! Invariants:
//! - Only issue events and issue-comment events name an issue (GitHub/Gitea/Forgejo
//!   `issues`, `issue_comment`, and Gitea's finer `issue_label`, `issue_assign`,
//!   `issue_milestone`; GitLab `Issue Hook` and `Note Hook` on an issue, confidential
//!   ones too). Everything else, pull-request comments included, is [`Delivery::Ignored`].
//! - Decoding reads only the few fields it needs into private types; arbitrary bytes
//!   give a [`PayloadError`], never a panic.

use axum::http::HeaderMap;
use serde::Deserialize;

use crate::model::ProviderKind;

/// What a delivery asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Re-fetch this issue (and its comments when `comments`).
    Issue(Hint),
    /// An event that names no issue (a ping, a push, a pull request): acknowledged.
    Ignored { event: String },
}

/// An issue a delivery names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    /// `owner/name` or GitLab's project path, as the payload says.
    pub repo_path: String,
    /// The tracker's repository id, when the payload says.
    pub repo_id: Option<i64>,
    pub number: u64,
    /// The event concerns comments: re-fetch them too.
    pub comments: bool,
}

/// Why a verified delivery could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("no event header")]
    NoEvent,
    #[error("the body is not the JSON of a {event} event")]
    Malformed { event: String },
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The event name of a delivery to a connection of `kind`.
pub fn event_name(kind: ProviderKind, headers: &HeaderMap) -> Option<String> {
    let names: &[&str] = match kind {
        ProviderKind::Github => &["X-GitHub-Event"],
        ProviderKind::Gitea => &["X-Forgejo-Event", "X-Gitea-Event", "X-GitHub-Event"],
        ProviderKind::Gitlab => &["X-Gitlab-Event"],
    };
    names
        .iter()
        .find_map(|name| header(headers, name))
        .filter(|v| !v.is_empty() && v.len() <= 100)
        .map(str::to_string)
}

/// Reads a verified delivery.
///
/// # Errors
/// [`PayloadError`] when there is no event header or an issue event's body lacks what it
/// must hold.
pub fn parse(
    kind: ProviderKind,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Delivery, PayloadError> {
    let event = event_name(kind, headers).ok_or(PayloadError::NoEvent)?;
    let malformed = || PayloadError::Malformed {
        event: event.clone(),
    };
    let hint = match (kind, event.as_str()) {
        (
            ProviderKind::Github | ProviderKind::Gitea,
            name
            @ ("issues" | "issue_comment" | "issue_label" | "issue_assign" | "issue_milestone"),
        ) => {
            let wire: HubEvent = serde_json::from_slice(body).map_err(|_| malformed())?;
            let issue = wire.issue.ok_or_else(malformed)?;
            let repo = wire.repository.ok_or_else(malformed)?;
            if issue.pull_request.is_some_and(|p| !p.is_null()) || issue.is_pull == Some(true) {
                return Ok(Delivery::Ignored { event });
            }
            Hint {
                repo_path: repo.full_name.ok_or_else(malformed)?,
                repo_id: repo.id,
                number: issue.number.ok_or_else(malformed)?,
                comments: name == "issue_comment",
            }
        }
        (ProviderKind::Gitlab, "Issue Hook" | "Confidential Issue Hook") => {
            let wire: GitLabEvent = serde_json::from_slice(body).map_err(|_| malformed())?;
            let project = wire.project.ok_or_else(malformed)?;
            Hint {
                repo_path: project.path_with_namespace.ok_or_else(malformed)?,
                repo_id: project.id,
                number: wire
                    .object_attributes
                    .and_then(|o| o.iid)
                    .ok_or_else(malformed)?,
                comments: false,
            }
        }
        (ProviderKind::Gitlab, "Note Hook" | "Confidential Note Hook") => {
            let wire: GitLabEvent = serde_json::from_slice(body).map_err(|_| malformed())?;
            let attributes = wire.object_attributes.ok_or_else(malformed)?;
            if attributes.noteable_type.as_deref() != Some("Issue") {
                return Ok(Delivery::Ignored { event });
            }
            let project = wire.project.ok_or_else(malformed)?;
            Hint {
                repo_path: project.path_with_namespace.ok_or_else(malformed)?,
                repo_id: project.id,
                number: wire.issue.and_then(|i| i.iid).ok_or_else(malformed)?,
                comments: true,
            }
        }
        _ => return Ok(Delivery::Ignored { event }),
    };
    if hint.repo_path.is_empty() || hint.repo_path.len() > 1000 || hint.number == 0 {
        return Err(malformed());
    }
    Ok(Delivery::Issue(hint))
}

#[derive(Deserialize)]
struct HubEvent {
    issue: Option<HubIssue>,
    repository: Option<HubRepo>,
}

#[derive(Deserialize)]
struct HubIssue {
    number: Option<u64>,
    pull_request: Option<serde_json::Value>,
    is_pull: Option<bool>,
}

#[derive(Deserialize)]
struct HubRepo {
    id: Option<i64>,
    full_name: Option<String>,
}

#[derive(Deserialize)]
struct GitLabEvent {
    project: Option<GitLabProject>,
    object_attributes: Option<GitLabAttributes>,
    issue: Option<GitLabIssue>,
}

#[derive(Deserialize)]
struct GitLabProject {
    id: Option<i64>,
    path_with_namespace: Option<String>,
}

#[derive(Deserialize)]
struct GitLabAttributes {
    iid: Option<u64>,
    noteable_type: Option<String>,
}

#[derive(Deserialize)]
struct GitLabIssue {
    iid: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderName, HeaderValue};
    use proptest::prelude::*;
    use rstest::rstest;

    fn headers(name: &str, value: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
        map
    }

    fn sample(path: &str) -> Vec<u8> {
        let file = format!(
            "{}/../shared/contracts/samples/{path}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&file).unwrap_or_else(|e| panic!("{file}: {e}"))
    }

    fn hint(repo: &str, id: i64, number: u64, comments: bool) -> Delivery {
        Delivery::Issue(Hint {
            repo_path: repo.into(),
            repo_id: Some(id),
            number,
            comments,
        })
    }

    #[rstest]
    #[case(
        ProviderKind::Github,
        "X-GitHub-Event",
        "issues",
        "github/webhook-issues-opened.json",
        hint("Codertocat/Hello-World", 186853002, 1, false)
    )]
    #[case(
        ProviderKind::Github,
        "X-GitHub-Event",
        "issues",
        "github/webhook-issues-edited.json",
        hint("Codertocat/Hello-World", 186853002, 1, false)
    )]
    #[case(
        ProviderKind::Github,
        "X-GitHub-Event",
        "issue_comment",
        "github/webhook-issue_comment-created.json",
        hint("Codertocat/Hello-World", 186853002, 1, true)
    )]
    #[case(
        ProviderKind::Gitea,
        "X-Gitea-Event",
        "issues",
        "gitea/webhook-issues_opened.json",
        hint("gogits/hello-world", 61, 1, false)
    )]
    #[case(
        ProviderKind::Gitea,
        "X-Gitea-Event",
        "issues",
        "gitea/webhook-issues_closed.json",
        hint("gogits/hello-world", 61, 1, false)
    )]
    #[case(
        ProviderKind::Gitea,
        "X-Forgejo-Event",
        "issue_comment",
        "gitea/webhook-issue_comment_created.json",
        hint("gogits/hello-world", 61, 1, true)
    )]
    #[case(
        ProviderKind::Gitlab,
        "X-Gitlab-Event",
        "Issue Hook",
        "gitlab/webhook-issue_create.json",
        hint("gitlab-org/hello-world", 4861503, 1, false)
    )]
    #[case(
        ProviderKind::Gitlab,
        "X-Gitlab-Event",
        "Issue Hook",
        "gitlab/webhook-issue_edited.json",
        hint("gitlab-org/hello-world", 4861503, 1, false)
    )]
    #[case(
        ProviderKind::Gitlab,
        "X-Gitlab-Event",
        "Note Hook",
        "gitlab/webhook-issue_comment_create.json",
        hint("gitlab-org/hello-world", 4861503, 1, true)
    )]
    #[case(ProviderKind::Github, "X-GitHub-Event", "ping", "github/webhook-issues-opened.json", Delivery::Ignored { event: "ping".into() })]
    #[case(ProviderKind::Gitlab, "X-Gitlab-Event", "Push Hook", "gitlab/webhook-issue_create.json", Delivery::Ignored { event: "Push Hook".into() })]
    fn the_recorded_samples_name_their_issue(
        #[case] kind: ProviderKind,
        #[case] header_name: &str,
        #[case] event: &str,
        #[case] file: &str,
        #[case] expected: Delivery,
    ) {
        assert_eq!(
            parse(kind, &headers(header_name, event), &sample(file)).unwrap(),
            expected
        );
    }

    #[test]
    fn pull_request_comments_are_ignored() {
        let body = br#"{"action":"created","issue":{"number":3,"pull_request":{"url":"x"}},"repository":{"id":1,"full_name":"o/r"}}"#;
        assert_eq!(
            parse(
                ProviderKind::Github,
                &headers("X-GitHub-Event", "issue_comment"),
                body
            )
            .unwrap(),
            Delivery::Ignored {
                event: "issue_comment".into()
            }
        );
        let note = br#"{"object_attributes":{"noteable_type":"MergeRequest"},"project":{"id":1,"path_with_namespace":"g/p"},"merge_request":{"iid":2}}"#;
        assert_eq!(
            parse(
                ProviderKind::Gitlab,
                &headers("X-Gitlab-Event", "Note Hook"),
                note
            )
            .unwrap(),
            Delivery::Ignored {
                event: "Note Hook".into()
            }
        );
    }

    #[rstest]
    #[case(&b"not json"[..])]
    #[case(&br#"{"issue":{"number":1}}"#[..])]
    #[case(&br#"{"issue":{"number":0},"repository":{"full_name":"o/r"}}"#[..])]
    #[case(&br#"{"issue":{"number":"1"},"repository":{"full_name":"o/r"}}"#[..])]
    #[case(&br#"{"issue":{"number":1},"repository":{"full_name":""}}"#[..])]
    fn issue_events_without_an_issue_are_malformed(#[case] body: &[u8]) {
        assert!(matches!(
            parse(
                ProviderKind::Github,
                &headers("X-GitHub-Event", "issues"),
                body
            ),
            Err(PayloadError::Malformed { .. })
        ));
    }

    #[test]
    fn a_delivery_without_an_event_header_is_refused() {
        assert_eq!(
            parse(ProviderKind::Gitlab, &HeaderMap::new(), b"{}"),
            Err(PayloadError::NoEvent)
        );
    }

    proptest! {
        /// Arbitrary bodies (random bytes, or JSON shaped like issues) under every event
        /// name never make parsing panic.
        #[test]
        fn parsing_never_panics(
            kind in prop_oneof![Just(ProviderKind::Github), Just(ProviderKind::Gitea), Just(ProviderKind::Gitlab)],
            event in prop_oneof![Just("issues"), Just("issue_comment"), Just("Issue Hook"), Just("Note Hook"), Just("ping")],
            body in crate::provider::hostile_json::bodies(),
        ) {
            for name in ["X-GitHub-Event", "X-Gitea-Event", "X-Gitlab-Event"] {
                let _ = parse(kind, &headers(name, event), &body);
            }
        }
    }
}
