//! The commands the UI calls (through `ui/src/lib/api.ts` only). Each is one line: take
//! the state, call the core, map the error. `COMMANDS` lists them for the permission
//! manifest, so the webview can reach exactly these and nothing else.
//!
//! Invariant: a command that reads or writes the mirror is `#[tauri::command(async)]`
//! (or `async`): Tauri runs a plain `#[tauri::command]` on the main thread, where it
//! would hold up the window's event loop (and the frames it presents) for as long as
//! the query takes: a scroll of the list fetches a page every few frames.

use issuesync::model::{
    AppSettings, Comment, ConflictEntry, ConflictPolicy, Connection, Field, FieldValue, Issue,
    Label, Milestone, RemoteRepo, Repo, RepoFilter, User,
};
use issuesync::secrets::Secret;
use issuesync::store::issues::IssueQuery;
use issuesync::store::sync_log::LogRecord;
use issuesync::workspace::{
    ConnectionAdded, ConnectionRemoved, Discarded, Edited, ImageChoice, IssueEdit, IssueView,
    NewConnectionRequest, NewIssue, Resolution, SyncOverview, SyncSummary,
};
use tauri::State;
use tauri_plugin_opener::OpenerExt;

use crate::error::{shell_error, IpcResult};
use crate::scheduler::Scheduler;
use crate::AppState;

/// Every command (`command_names.rs`, shared with `build.rs`, which generates their
/// permissions).
pub const COMMANDS: &[&str] = include!("command_names.rs");

#[tauri::command]
pub fn app_version() -> &'static str {
    issuesync::VERSION
}

#[tauri::command(async)]
pub fn settings(state: State<'_, AppState>) -> IpcResult<AppSettings> {
    state.workspace.settings().map_err(Into::into)
}

#[tauri::command(async)]
pub fn save_settings(state: State<'_, AppState>, value: AppSettings) -> IpcResult<AppSettings> {
    state.workspace.save_settings(&value).map_err(Into::into)
}

#[tauri::command(async)]
pub fn overview(state: State<'_, AppState>) -> IpcResult<SyncOverview> {
    state.workspace.overview().map_err(Into::into)
}

#[tauri::command(async)]
pub fn list_connections(state: State<'_, AppState>) -> IpcResult<Vec<Connection>> {
    state.workspace.connections().map_err(Into::into)
}

#[tauri::command]
pub async fn add_connection(
    state: State<'_, AppState>,
    request: NewConnectionRequest,
) -> IpcResult<ConnectionAdded> {
    state
        .workspace
        .add_connection(request)
        .await
        .map_err(Into::into)
}

#[tauri::command(async)]
pub fn remove_connection(state: State<'_, AppState>, name: String) -> IpcResult<ConnectionRemoved> {
    state.workspace.remove_connection(&name).map_err(Into::into)
}

#[tauri::command]
pub async fn replace_token(
    state: State<'_, AppState>,
    name: String,
    token: Secret,
) -> IpcResult<Connection> {
    state
        .workspace
        .replace_token(&name, token, false)
        .await
        .map_err(Into::into)
}

#[tauri::command(async)]
pub fn set_conflict_policy(
    state: State<'_, AppState>,
    name: String,
    policy: ConflictPolicy,
) -> IpcResult<Connection> {
    state
        .workspace
        .set_conflict_policy(&name, policy)
        .map_err(Into::into)
}

#[tauri::command(async)]
pub fn set_poll_interval(
    state: State<'_, AppState>,
    name: String,
    minutes: u32,
) -> IpcResult<Connection> {
    state
        .workspace
        .set_poll_interval(&name, minutes)
        .map_err(Into::into)
}

#[tauri::command(async)]
pub fn list_repos(state: State<'_, AppState>, connection: Option<String>) -> IpcResult<Vec<Repo>> {
    state
        .workspace
        .repos(connection.as_deref())
        .map_err(Into::into)
}

#[tauri::command]
pub async fn remote_repos(
    state: State<'_, AppState>,
    connection: String,
    limit: usize,
) -> IpcResult<Vec<RemoteRepo>> {
    state
        .workspace
        .remote_repos(&connection, limit)
        .await
        .map_err(Into::into)
}

#[tauri::command]
pub async fn add_repo(
    state: State<'_, AppState>,
    reference: String,
    filter: RepoFilter,
) -> IpcResult<Repo> {
    state
        .workspace
        .add_repo(&reference, filter)
        .await
        .map_err(Into::into)
}

#[tauri::command(async)]
pub fn remove_repo(state: State<'_, AppState>, reference: String) -> IpcResult<()> {
    // Never drops local changes from the window: with changes waiting, the error says to
    // sync first (or to use the CLI's `--discard-pending`).
    state
        .workspace
        .remove_repo(&reference, false)
        .map(|_discarded| ())
        .map_err(Into::into)
}

#[tauri::command(async)]
pub fn repo_labels(state: State<'_, AppState>, reference: String) -> IpcResult<Vec<Label>> {
    state.workspace.repo_labels(&reference).map_err(Into::into)
}

#[tauri::command(async)]
pub fn repo_milestones(state: State<'_, AppState>, reference: String) -> IpcResult<Vec<Milestone>> {
    state
        .workspace
        .repo_milestones(&reference)
        .map_err(Into::into)
}

#[tauri::command]
pub async fn assignable_users(
    state: State<'_, AppState>,
    reference: String,
) -> IpcResult<Vec<User>> {
    state
        .workspace
        .assignable_users(&reference)
        .await
        .map_err(Into::into)
}

#[tauri::command(async)]
pub fn list_issues(state: State<'_, AppState>, query: IssueQuery) -> IpcResult<Vec<Issue>> {
    state.workspace.issues(&query).map_err(Into::into)
}

#[tauri::command(async)]
pub fn count_issues(state: State<'_, AppState>, query: IssueQuery) -> IpcResult<u64> {
    state.workspace.count_issues(&query).map_err(Into::into)
}

#[tauri::command(async)]
pub fn issue_view(
    state: State<'_, AppState>,
    reference: String,
    images: ImageChoice,
) -> IpcResult<IssueView> {
    state
        .workspace
        .issue_view(&reference, images)
        .map_err(Into::into)
}

#[tauri::command(async)]
pub fn render_markdown(
    state: State<'_, AppState>,
    text: String,
    place: Option<String>,
) -> IpcResult<String> {
    Ok(state.workspace.render_markdown(&text, place.as_deref()))
}

#[tauri::command(async)]
pub fn edit_issue(
    state: State<'_, AppState>,
    reference: String,
    edit: IssueEdit,
) -> IpcResult<Edited> {
    state
        .workspace
        .edit_issue(&reference, &edit)
        .map_err(Into::into)
}

#[tauri::command(async)]
pub fn create_issue(state: State<'_, AppState>, repo: String, issue: NewIssue) -> IpcResult<Issue> {
    state
        .workspace
        .create_issue(&repo, &issue)
        .map_err(Into::into)
}

#[tauri::command(async)]
pub fn add_comment(
    state: State<'_, AppState>,
    reference: String,
    body: String,
) -> IpcResult<Comment> {
    state
        .workspace
        .add_comment(&reference, &body)
        .map_err(Into::into)
}

#[tauri::command(async)]
pub fn discard_changes(state: State<'_, AppState>, reference: String) -> IpcResult<Discarded> {
    state.workspace.discard(&reference).map_err(Into::into)
}

#[tauri::command(async)]
pub fn retry_changes(state: State<'_, AppState>, reference: String) -> IpcResult<Issue> {
    state
        .workspace
        .retry_changes(&reference)
        .map_err(Into::into)
}

#[tauri::command(async)]
pub fn conflicts(state: State<'_, AppState>) -> IpcResult<Vec<ConflictEntry>> {
    state.workspace.conflicts().map_err(Into::into)
}

#[tauri::command(async)]
pub fn conflict_draft(
    state: State<'_, AppState>,
    reference: String,
    field: Field,
) -> IpcResult<FieldValue> {
    state
        .workspace
        .conflict_draft(&reference, field)
        .map_err(Into::into)
}

#[tauri::command(async)]
pub fn resolve_conflict(
    state: State<'_, AppState>,
    reference: String,
    field: Field,
    resolution: Resolution,
) -> IpcResult<Issue> {
    state
        .workspace
        .resolve(&reference, field, &resolution)
        .map_err(Into::into)
}

#[tauri::command]
pub async fn sync_now(
    scheduler: State<'_, Scheduler>,
    connection: Option<String>,
) -> IpcResult<SyncSummary> {
    scheduler.sync_now(connection).await
}

#[tauri::command(async)]
pub fn sync_log(
    state: State<'_, AppState>,
    limit: u32,
    reference: Option<String>,
) -> IpcResult<Vec<LogRecord>> {
    state
        .workspace
        .sync_log(limit, reference.as_deref())
        .map_err(Into::into)
}

#[tauri::command(async)]
pub fn open_on_tracker(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    reference: String,
) -> IpcResult<()> {
    let url = state.workspace.remote_url(&reference)?;
    app.opener()
        .open_url(url, None::<&str>)
        .map_err(|e| shell_error(e.to_string()))
}

#[tauri::command]
pub fn open_link(app: tauri::AppHandle, url: String) -> IpcResult<()> {
    let url = issuesync::markdown::web_link(&url)?;
    app.opener()
        .open_url(url, None::<&str>)
        .map_err(|e| shell_error(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::COMMANDS;

    /// Every command that takes the mirror (`State<AppState>`) runs off the main thread:
    /// read from this file (above its tests), each command attribute and the signature
    /// below it.
    #[test]
    fn no_command_that_reads_the_mirror_runs_on_the_main_thread() {
        let source = include_str!("commands.rs");
        let commands = &source[..source.find("#[cfg(test)]").unwrap()];
        let mut checked = 0;
        for block in commands.split("#[tauri::command").skip(1) {
            let (attribute, rest) = block.split_once(']').unwrap();
            if !rest.starts_with('\n') {
                continue; // a mention in a comment, not an attribute
            }
            let signature = &rest[..rest.find('{').unwrap()];
            let name = signature
                .split_whitespace()
                .skip_while(|w| *w != "fn")
                .nth(1)
                .and_then(|w| w.split('(').next())
                .unwrap_or("?");
            if !signature.contains("State<'_, AppState>") {
                continue;
            }
            checked += 1;
            assert!(
                attribute == "(async)" || signature.contains("async fn"),
                "`{name}` takes the mirror but would run on the main thread: mark it #[tauri::command(async)]"
            );
        }
        assert!(
            checked >= 25,
            "only {checked} commands found in commands.rs"
        );
    }

    #[test]
    fn the_capability_grants_every_command_and_nothing_else() {
        let capability: serde_json::Value =
            serde_json::from_str(include_str!("../capabilities/default.json")).unwrap();
        let granted: Vec<String> = capability["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str())
            .filter(|p| p.starts_with("allow-"))
            .map(str::to_string)
            .collect();
        let wanted: Vec<String> = COMMANDS
            .iter()
            .map(|c| format!("allow-{}", c.replace('_', "-")))
            .collect();
        assert_eq!(
            granted, wanted,
            "capabilities/default.json must grant exactly COMMANDS"
        );
        let others: Vec<&str> = capability["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str())
            .filter(|p| !p.starts_with("allow-"))
            .collect();
        assert_eq!(
            others,
            ["core:event:allow-listen", "core:event:allow-unlisten"],
            "no core defaults or plugin permissions for the webview"
        );
    }
}
