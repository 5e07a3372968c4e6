//! What the desktop app shows beside the issues: sync status per connection, settings,
//! an issue with its text rendered to safe HTML, the pickers' choices (labels,
//! milestones, assignable people) and a starting point for merging a conflict by hand.
//!
//! Invariants: reads only, except the settings setters; the pickers fall back to what
//! the mirror knows when the tracker cannot be reached, so editing works offline.

use serde::Serialize;
use ts_rs::TS;

use super::Workspace;
use crate::error::{Error, Result};
use crate::markdown::{render, ImagePolicy};
use crate::model::{
    AppSettings, Field, FieldValue, IssueDetail, Milestone, ProviderKind, Timestamp, User,
};
use crate::reference::parse_repo_ref;
use crate::store::{comments, connections, labels, outbox, repos, settings, sync_log};
use crate::sync::text_merge::merge_text_with_markers;

/// An issue as the desktop app shows it: the detail plus its text as safe HTML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct IssueView {
    pub detail: IssueDetail,
    /// The body rendered and sanitized.
    pub body_html: String,
    /// Each comment rendered and sanitized, in the order of `detail.comments`.
    pub comments_html: Vec<String>,
    /// Images in the body and comments shown as a placeholder: they are not on the
    /// connection's own tracker and images were not loaded for this issue.
    pub hidden_images: u32,
}

/// Which images of an issue load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ImageChoice {
    /// The settings decide: the tracker's own images, or every image when the
    /// "load images from every host" setting is on.
    #[default]
    AsSet,
    /// Every image of this issue ("Load images").
    All,
}

/// How one connection is doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ConnectionOverview {
    pub name: String,
    pub provider: ProviderKind,
    pub web_url: String,
    pub login: Option<String>,
    pub repos: u32,
    pub poll_interval_minutes: u32,
    /// The last time every repository of it synced without error.
    pub last_synced_at: Option<Timestamp>,
    /// The message of the last sync attempt, when it failed.
    pub last_error: Option<String>,
    /// How many sync attempts in a row failed (0 after a success).
    pub failures_in_a_row: u32,
}

/// The status bar's numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SyncOverview {
    pub connections: Vec<ConnectionOverview>,
    /// Local changes waiting for a tracker (failed ones included).
    pub pending: u64,
    /// Local changes a tracker refused.
    pub failed: u64,
    /// Open conflicts.
    pub conflicts: u64,
}

impl Workspace {
    /// The application settings.
    ///
    /// # Errors
    /// A store failure.
    pub fn settings(&self) -> Result<AppSettings> {
        Ok(settings::app(self.store().conn())?)
    }

    /// Saves the application settings.
    ///
    /// # Errors
    /// A store failure.
    pub fn save_settings(&self, value: &AppSettings) -> Result<AppSettings> {
        settings::save_app(self.store().conn(), value)?;
        self.settings()
    }

    /// Sets how often the desktop app syncs a connection.
    ///
    /// # Errors
    /// An unknown connection, or minutes outside 1..=1440.
    pub fn set_poll_interval(&self, name: &str, minutes: u32) -> Result<crate::model::Connection> {
        if !(1..=1440).contains(&minutes) {
            return Err(Error::BadFieldValue {
                field: "poll interval".into(),
                value: minutes.to_string(),
                problem: "use 1 to 1440 minutes".into(),
            });
        }
        let connection = self.connection(name)?;
        connections::set_poll_interval(self.store().conn(), connection.id, minutes)?;
        self.connection(name)
    }

    /// How every connection is doing, and what waits locally.
    ///
    /// # Errors
    /// A store failure.
    pub fn overview(&self) -> Result<SyncOverview> {
        let store = self.store();
        let db = store.conn();
        let mut overview = Vec::new();
        for c in connections::list(db)? {
            let mirrored = repos::list(db, Some(c.id))?;
            let last_synced_at = if mirrored.is_empty() {
                None
            } else {
                mirrored
                    .iter()
                    .map(|r| r.last_synced_at)
                    .collect::<Option<Vec<_>>>()
                    .and_then(|times| times.into_iter().min())
            };
            let (failures_in_a_row, last_error) = sync_log::failure_streak(db, c.id)?;
            overview.push(ConnectionOverview {
                name: c.name,
                provider: c.provider,
                web_url: c.web_url,
                login: c.login,
                repos: mirrored.len() as u32,
                poll_interval_minutes: c.poll_interval_minutes,
                last_synced_at,
                last_error,
                failures_in_a_row,
            });
        }
        let (pending, failed) = outbox::counts(db)?;
        let conflicts: i64 = db.query_row("SELECT count(*) FROM conflicts", [], |r| r.get(0))?;
        Ok(SyncOverview {
            connections: overview,
            pending,
            failed,
            conflicts: conflicts as u64,
        })
    }

    /// One issue with its body and comments rendered to safe HTML.
    ///
    /// # Errors
    /// A malformed reference or an issue that is not mirrored.
    pub fn issue_view(&self, reference: &str, images: ImageChoice) -> Result<IssueView> {
        let detail = self.issue(reference)?;
        let policy = self.image_policy(&detail.issue.connection, &detail.issue.repo, images)?;
        let body = render(&detail.issue.body, &policy);
        let mut hidden_images = body.hidden_images;
        let comments_html = detail
            .comments
            .iter()
            .map(|c| {
                let shown = render(&c.body, &policy);
                hidden_images += shown.hidden_images;
                shown.html
            })
            .collect();
        Ok(IssueView {
            detail,
            body_html: body.html,
            comments_html,
            hidden_images,
        })
    }

    /// Renders text as the issue view would (for previews while editing): `place` is the
    /// issue or repository (`NAME:OWNER/REPO[#N]`) whose tracker the text will live on;
    /// without one (or an unknown one), images show as placeholders.
    pub fn render_markdown(&self, text: &str, place: Option<&str>) -> String {
        let repo = place
            .map(|p| p.split_once('#').map_or(p, |(repo, _)| repo))
            .and_then(|p| self.mirrored_repo(p).ok());
        let policy = repo
            .and_then(|r| {
                self.image_policy(&r.connection, &r.full_path, ImageChoice::AsSet)
                    .ok()
            })
            .unwrap_or_default();
        render(text, &policy).html
    }

    /// The images that load for issues of one repository: the tracker's own, or every
    /// one when asked for or when the settings allow all.
    fn image_policy(
        &self,
        connection: &str,
        repo_path: &str,
        images: ImageChoice,
    ) -> Result<ImagePolicy> {
        let Some(c) = connections::by_name(self.store().conn(), connection)? else {
            return Ok(ImagePolicy::default());
        };
        let caps = crate::provider::capabilities(c.provider);
        let project = format!("{}/{}", c.web_url.trim_end_matches('/'), repo_path);
        let policy = ImagePolicy::tracker(
            &c.web_url,
            &c.api_url,
            caps.upload_hosts,
            caps.uploads_under_project.then_some(project.as_str()),
        );
        let everything = images == ImageChoice::All || self.settings()?.load_remote_images;
        Ok(if everything {
            policy.load_everything()
        } else {
            policy
        })
    }

    /// The milestones a mirrored repository offers (as of its last full sync).
    ///
    /// # Errors
    /// A malformed reference, or a repository that is not mirrored.
    pub fn repo_milestones(&self, reference: &str) -> Result<Vec<Milestone>> {
        let repo = self.mirrored_repo(reference)?;
        Ok(labels::milestones_for_repo(self.store().conn(), repo.id)?)
    }

    /// A mirrored repository by `NAME:OWNER/REPO`.
    pub(crate) fn mirrored_repo(&self, reference: &str) -> Result<crate::model::Repo> {
        let repo_ref = parse_repo_ref(reference)?;
        let connection = self.connection(&repo_ref.connection)?;
        repos::by_path(self.store().conn(), connection.id, &repo_ref.path)?.ok_or(
            Error::UnknownRepo {
                reference: repo_ref.to_string(),
            },
        )
    }

    /// People who can be assigned in a repository: asked of the tracker, or, when it
    /// cannot be reached, the people the mirror has seen on that connection.
    ///
    /// # Errors
    /// A malformed reference or a repository that is not mirrored.
    pub async fn assignable_users(&self, reference: &str) -> Result<Vec<User>> {
        let repo = self.mirrored_repo(reference)?;
        let connection = self.connection(&repo.connection)?;
        let asked = match self.provider_for(&connection) {
            Ok(provider) => provider.list_assignable_users(&repo.full_path).await.ok(),
            Err(_) => None,
        };
        match asked {
            Some(users) => Ok(users),
            None => Ok(comments::known_users(self.store().conn(), connection.id)?),
        }
    }

    /// A starting point for resolving a conflict by hand: for the body, the automatic
    /// three-way merge with both versions of each clashing region marked; for other
    /// fields, the local value.
    ///
    /// # Errors
    /// An unknown issue or no conflict on that field.
    pub fn conflict_draft(&self, reference: &str, field: Field) -> Result<FieldValue> {
        let detail = self.issue(reference)?;
        let conflict = detail
            .conflicts
            .iter()
            .find(|c| c.field == field)
            .ok_or_else(|| Error::NoConflict {
                reference: detail.issue.reference.clone(),
                field: field.to_string(),
            })?;
        Ok(match (&conflict.base, &conflict.local, &conflict.remote) {
            (FieldValue::Text(b), FieldValue::Text(l), FieldValue::Text(r))
                if field == Field::Body =>
            {
                FieldValue::Text(merge_text_with_markers(b, l, r))
            }
            _ => conflict.local.clone(),
        })
    }

    /// The page of an issue on its tracker, for "Open on GitHub/GitLab/Gitea".
    ///
    /// # Errors
    /// An unknown issue, or one created here and not pushed yet (it has no page).
    pub fn remote_url(&self, reference: &str) -> Result<String> {
        let detail = self.issue(reference)?;
        let url = detail.issue.remote_url.ok_or(Error::NotOnTracker {
            reference: detail.issue.reference.clone(),
        })?;
        // Checked again before anything opens it: what the store holds may predate the
        // check on the way in.
        let connection =
            crate::store::connections::by_name(self.store().conn(), &detail.issue.connection)?;
        connection
            .and_then(|c| crate::remote_url::trusted_page(&url, &c.web_url))
            .ok_or(Error::NotAWebLink { url })
    }
}
