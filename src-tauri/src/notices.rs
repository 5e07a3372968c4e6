//! Desktop notifications: which ones a finished sync deserves (pure, tested), and
//! showing them with `notify-rust`, where a click focuses the issue when the platform
//! reports clicks.
//!
//! Invariants: titles and bodies are escaped (`&`, `<`, `>`) and free of control
//! characters, since notification daemons may render markup and issue titles are
//! anyone's text; each kind can be switched off in the settings; a first import never
//! notifies "assigned to you" for everything it brings; "sync failing" fires once per
//! streak (when it reaches the threshold), not on every failed attempt after.

use issuesync::model::{AppSettings, ConflictEntry, Issue};
use tauri::{AppHandle, Emitter, Runtime};

/// After this many failed sync attempts in a row, the person hears about it.
pub const FAILURE_THRESHOLD: u32 = 3;

/// At most this many "assigned to you" notices per sync; more become one summary.
const MAX_ASSIGNED_NOTICES: usize = 3;

/// One notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
    /// The issue a click should open.
    pub focus: Option<String>,
}

/// What happened in one sync of one connection, as far as notifications care.
#[derive(Debug, Default)]
pub struct SyncOutcome<'a> {
    pub connection: &'a str,
    /// Conflicts that appeared in this sync.
    pub new_conflicts: Vec<&'a ConflictEntry>,
    /// Issues assigned to me now that were not before this sync.
    pub newly_assigned: Vec<&'a Issue>,
    /// Whether the connection had mirrored issues before (else this was the first import).
    pub had_issues_before: bool,
    /// Failed attempts in a row, after this sync.
    pub failures_in_a_row: u32,
    pub last_error: Option<&'a str>,
}

/// The notifications `outcome` deserves under `settings`.
pub fn notices_for(settings: &AppSettings, outcome: &SyncOutcome<'_>) -> Vec<Notice> {
    let mut notices = Vec::new();
    if settings.notify_conflicts {
        if let [only] = outcome.new_conflicts.as_slice() {
            notices.push(Notice {
                title: "New conflict".into(),
                body: format!(
                    "{}: {} was changed here and on {}. Choose what to keep.",
                    only.reference,
                    only.conflict.field,
                    only.provider.display_name()
                ),
                focus: Some(only.reference.clone()),
            });
        } else if let Some(first) = outcome.new_conflicts.first() {
            notices.push(Notice {
                title: format!("{} new conflicts", outcome.new_conflicts.len()),
                body: format!(
                    "Fields changed here and on the tracker in {}. Choose what to keep.",
                    outcome.connection
                ),
                focus: Some(first.reference.clone()),
            });
        }
    }
    if settings.notify_failures && outcome.failures_in_a_row == FAILURE_THRESHOLD {
        notices.push(Notice {
            title: format!("Sync of {} keeps failing", outcome.connection),
            body: outcome
                .last_error
                .unwrap_or("The last attempts failed.")
                .to_string(),
            focus: None,
        });
    }
    if settings.notify_assigned && outcome.had_issues_before {
        let assigned = &outcome.newly_assigned;
        if assigned.len() > MAX_ASSIGNED_NOTICES {
            notices.push(Notice {
                title: format!("{} issues assigned to you", assigned.len()),
                body: format!("In {}.", outcome.connection),
                focus: assigned.first().map(|i| i.reference.clone()),
            });
        } else {
            notices.extend(assigned.iter().map(|i| Notice {
                title: "Assigned to you".into(),
                body: format!("{}: {}", i.reference, i.title),
                focus: Some(i.reference.clone()),
            }));
        }
    }
    notices
        .into_iter()
        .map(|n| Notice {
            title: escape_markup(&n.title),
            body: escape_markup(&n.body),
            ..n
        })
        .collect()
}

/// `text` safe for a notification daemon that renders markup.
fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if c.is_control() && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

/// Shows a notice; a click emits `focus-issue` and brings the window forward.
/// Failures (no notification daemon, say) are not the person's problem: ignored.
pub fn show<R: Runtime>(app: &AppHandle<R>, notice: Notice) {
    let app = app.clone();
    std::thread::spawn(move || {
        let mut notification = notify_rust::Notification::new();
        notification
            .appname("IssueSync")
            .summary(&notice.title)
            .body(&notice.body);
        if notice.focus.is_some() {
            notification.action("default", "Show");
        }
        let Ok(handle) = notification.show() else {
            return;
        };
        let Some(reference) = notice.focus else {
            return;
        };
        #[cfg(all(unix, not(target_os = "macos")))]
        handle.wait_for_action(|action| {
            if action == "default" {
                crate::focus_main_window(&app);
                let _ = app.emit("focus-issue", reference.clone());
            }
        });
        #[cfg(not(all(unix, not(target_os = "macos"))))]
        {
            let _ = (handle, reference, &app);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use issuesync::model::{
        FieldConflict, FieldValue, IssueState, ProviderKind, RemoteStatus, SyncStatus, Timestamp,
    };

    fn conflict(reference: &str) -> ConflictEntry {
        ConflictEntry {
            reference: reference.into(),
            issue_id: 1,
            provider: ProviderKind::Gitlab,
            title: "t".into(),
            conflict: FieldConflict {
                field: issuesync::model::Field::Title,
                base: FieldValue::Text("a".into()),
                local: FieldValue::Text("b".into()),
                remote: FieldValue::Text("c".into()),
            },
            detected_at: Timestamp::now(),
        }
    }

    fn issue(reference: &str) -> Issue {
        Issue {
            id: 1,
            reference: reference.into(),
            connection: "w".into(),
            provider: ProviderKind::Github,
            repo: "o/r".into(),
            number: Some(1),
            title: "Fix it".into(),
            body: String::new(),
            state: IssueState::Open,
            state_reason: None,
            labels: vec![],
            assignees: vec!["me".into()],
            milestone: None,
            author: None,
            created_at: Timestamp::now(),
            updated_at: Timestamp::now(),
            closed_at: None,
            remote_url: None,
            sync_status: SyncStatus::Synced,
            remote_status: RemoteStatus::Present,
        }
    }

    #[test]
    fn issue_text_in_a_notice_is_escaped_for_markup_daemons() {
        let mut evil = issue("w:o/r#9");
        evil.title = "<b>free</b> & <a href=\"x\">click</a>\u{1b}[2J".into();
        let outcome = SyncOutcome {
            connection: "w",
            newly_assigned: vec![&evil],
            had_issues_before: true,
            ..SyncOutcome::default()
        };
        let notices = notices_for(&AppSettings::default(), &outcome);
        assert_eq!(
            notices[0].body,
            "w:o/r#9: &lt;b&gt;free&lt;/b&gt; &amp; &lt;a href=\"x\"&gt;click&lt;/a&gt;[2J"
        );
    }

    #[test]
    fn a_new_conflict_notifies_and_focuses_its_issue() {
        let c = conflict("w:o/r#4");
        let outcome = SyncOutcome {
            connection: "w",
            new_conflicts: vec![&c],
            ..SyncOutcome::default()
        };
        let notices = notices_for(&AppSettings::default(), &outcome);
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].focus.as_deref(), Some("w:o/r#4"));
        assert!(notices[0].body.contains("GitLab"), "{}", notices[0].body);
        let off = AppSettings {
            notify_conflicts: false,
            ..AppSettings::default()
        };
        assert!(notices_for(&off, &outcome).is_empty(), "switched off");
    }

    #[test]
    fn failures_notify_once_when_the_streak_reaches_the_threshold() {
        let at = |n| SyncOutcome {
            connection: "w",
            failures_in_a_row: n,
            last_error: Some("the tracker rejected the token (401)"),
            ..SyncOutcome::default()
        };
        let settings = AppSettings::default();
        assert!(notices_for(&settings, &at(FAILURE_THRESHOLD - 1)).is_empty());
        let fired = notices_for(&settings, &at(FAILURE_THRESHOLD));
        assert_eq!(fired.len(), 1);
        assert!(fired[0].body.contains("401"));
        assert!(notices_for(&settings, &at(FAILURE_THRESHOLD + 1)).is_empty());
    }

    #[test]
    fn assignments_notify_except_on_the_first_import_and_batch_up() {
        let issues: Vec<Issue> = (1..=5).map(|n| issue(&format!("w:o/r#{n}"))).collect();
        let two: Vec<&Issue> = issues.iter().take(2).collect();
        let first_import = SyncOutcome {
            connection: "w",
            newly_assigned: two.clone(),
            had_issues_before: false,
            ..SyncOutcome::default()
        };
        let settings = AppSettings::default();
        assert!(notices_for(&settings, &first_import).is_empty());
        let later = SyncOutcome {
            had_issues_before: true,
            ..first_import
        };
        assert_eq!(notices_for(&settings, &later).len(), 2);
        let many = SyncOutcome {
            connection: "w",
            newly_assigned: issues.iter().collect(),
            had_issues_before: true,
            ..SyncOutcome::default()
        };
        let batched = notices_for(&settings, &many);
        assert_eq!(batched.len(), 1);
        assert!(batched[0].title.starts_with("5 issues"));
    }
}
