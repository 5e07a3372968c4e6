// The only module that talks to the Rust backend (src-tauri/src/commands.rs): every
// Tauri command has one typed wrapper here, and the rest of the UI imports these.
// The types come from the Rust core (ts-rs, ./bindings, generated and committed).
//
// Errors: every command rejects with an `ApiError` ({ code, message }); `code` is the
// core's stable error code (e.g. "unauthorized", "not_a_tracker", "sync_busy").
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

import { markFirstRequest } from "../ui/perf-marks";

import type { AppSettings } from "./bindings/AppSettings";
import type { Comment } from "./bindings/Comment";
import type { ConflictEntry } from "./bindings/ConflictEntry";
import type { ConflictPolicy } from "./bindings/ConflictPolicy";
import type { Connection } from "./bindings/Connection";
import type { ConnectionAdded } from "./bindings/ConnectionAdded";
import type { ConnectionRemoved } from "./bindings/ConnectionRemoved";
import type { ErrorReport } from "./bindings/ErrorReport";
import type { Discarded } from "./bindings/Discarded";
import type { Edited } from "./bindings/Edited";
import type { Field } from "./bindings/Field";
import type { FieldValue } from "./bindings/FieldValue";
import type { Issue } from "./bindings/Issue";
import type { IssueEdit } from "./bindings/IssueEdit";
import type { IssueQuery } from "./bindings/IssueQuery";
import type { ImageChoice } from "./bindings/ImageChoice";
import type { IssueView } from "./bindings/IssueView";
import type { Label } from "./bindings/Label";
import type { LogRecord } from "./bindings/LogRecord";
import type { Milestone } from "./bindings/Milestone";
import type { NewConnectionRequest } from "./bindings/NewConnectionRequest";
import type { NewIssue } from "./bindings/NewIssue";
import type { RemoteRepo } from "./bindings/RemoteRepo";
import type { Repo } from "./bindings/Repo";
import type { RepoFilter } from "./bindings/RepoFilter";
import type { Resolution } from "./bindings/Resolution";
import type { SyncFinished } from "./bindings/SyncFinished";
import type { SyncOverview } from "./bindings/SyncOverview";
import type { SyncProgress } from "./bindings/SyncProgress";
import type { SyncSummary } from "./bindings/SyncSummary";
import type { User } from "./bindings/User";

/** How every command fails: the core's stable code and a one-line message. */
export type ApiError = ErrorReport;

export function isApiError(value: unknown): value is ApiError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as ApiError).code === "string" &&
    typeof (value as ApiError).message === "string"
  );
}

/** Progress of a background or "Sync now" sync of one connection (`SyncProgress`),
 * and its end (`SyncFinished`, with the summary or the error). */
export type { SyncFinished, SyncProgress };

// ----- app ------------------------------------------------------------------------

/** The core library's version (`issuesync::VERSION`), e.g. "0.1.0". */
export function appVersion(): Promise<string> {
  return invoke<string>("app_version");
}

export function settings(): Promise<AppSettings> {
  return invoke<AppSettings>("settings");
}

export function saveSettings(value: AppSettings): Promise<AppSettings> {
  return invoke<AppSettings>("save_settings", { value });
}

/** Last sync per connection, pending/failed outbox counts, open conflicts. */
export function overview(): Promise<SyncOverview> {
  return invoke<SyncOverview>("overview");
}

// ----- connections ----------------------------------------------------------------

export function listConnections(): Promise<Connection[]> {
  return invoke<Connection[]>("list_connections");
}

/** Verifies the tracker and the token (the answer says who it is connected as); the
 * token goes to the OS keychain and never comes back over IPC. */
export function addConnection(request: NewConnectionRequest): Promise<ConnectionAdded> {
  return invoke<ConnectionAdded>("add_connection", { request });
}

/** Removes the connection, its mirrored issues and its keychain entry. */
export function removeConnection(name: string): Promise<ConnectionRemoved> {
  return invoke<ConnectionRemoved>("remove_connection", { name });
}

/** Replaces the token (verified first, then stored in the keychain; never sent back). */
export function replaceToken(name: string, token: string): Promise<Connection> {
  return invoke<Connection>("replace_token", { name, token });
}

export function setConflictPolicy(name: string, policy: ConflictPolicy): Promise<Connection> {
  return invoke<Connection>("set_conflict_policy", { name, policy });
}

/** 1 to 1440 minutes. */
export function setPollInterval(name: string, minutes: number): Promise<Connection> {
  return invoke<Connection>("set_poll_interval", { name, minutes });
}

// ----- repositories ---------------------------------------------------------------

/** Mirrored repositories, of one connection or all (`connection` null). */
export function listRepos(connection: string | null): Promise<Repo[]> {
  return invoke<Repo[]>("list_repos", { connection });
}

/** Repositories the connection's token can see on the tracker (online). */
export function remoteRepos(connection: string, limit: number): Promise<RemoteRepo[]> {
  return invoke<RemoteRepo[]>("remote_repos", { connection, limit });
}

/** Starts mirroring `NAME:OWNER/REPO`, or changes its label/milestone filter. */
export function addRepo(reference: string, filter: RepoFilter): Promise<Repo> {
  return invoke<Repo>("add_repo", { reference, filter });
}

export async function removeRepo(reference: string): Promise<void> {
  await invoke("remove_repo", { reference });
}

/** Labels of a mirrored repository with their colours (for pickers and badges). */
export function repoLabels(reference: string): Promise<Label[]> {
  return invoke<Label[]>("repo_labels", { reference });
}

export function repoMilestones(reference: string): Promise<Milestone[]> {
  return invoke<Milestone[]>("repo_milestones", { reference });
}

/** People who can be assigned (asked of the tracker; offline: people seen). */
export function assignableUsers(reference: string): Promise<User[]> {
  return invoke<User[]>("assignable_users", { reference });
}

// ----- issues ---------------------------------------------------------------------

/** One page of issues (`query.limit`/`query.offset`); FTS5 search via `query.search`. */
export function listIssues(query: IssueQuery): Promise<Issue[]> {
  return markFirstRequest("list_issues", () => invoke<Issue[]>("list_issues", { query }));
}

/** How many issues match (ignoring limit/offset), for the virtual list's height. */
export function countIssues(query: IssueQuery): Promise<number> {
  return markFirstRequest("count_issues", () => invoke<number>("count_issues", { query }));
}

/** An issue with comments, conflicts, pending changes, and its text as safe HTML;
 *  `images: "all"` also loads the images from hosts other than its tracker. */
export function issueView(reference: string, images: ImageChoice = "as_set"): Promise<IssueView> {
  return invoke<IssueView>("issue_view", { reference, images });
}

/** Markdown to sanitized HTML, for previews while editing; `place` (the issue or
 *  repository the text is for) decides which images load. */
export function renderMarkdown(text: string, place: string | null = null): Promise<string> {
  return invoke<string>("render_markdown", { text, place });
}

/** Saves an edit locally (pending until the next sync pushes it). */
export function editIssue(reference: string, edit: IssueEdit): Promise<Edited> {
  return invoke<Edited>("edit_issue", { reference, edit });
}

/** Creates an issue locally in `repo` (`NAME:OWNER/REPO`); it gets a number when pushed. */
export function createIssue(repo: string, issue: NewIssue): Promise<Issue> {
  return invoke<Issue>("create_issue", { repo, issue });
}

export function addComment(reference: string, body: string): Promise<Comment> {
  return invoke<Comment>("add_comment", { reference, body });
}

/** Drops the local changes of an issue (a never-pushed issue is deleted). */
export function discardChanges(reference: string): Promise<Discarded> {
  return invoke<Discarded>("discard_changes", { reference });
}

/** Queues the refused changes of an issue again (the next sync tries them). */
export function retryChanges(reference: string): Promise<Issue> {
  return invoke<Issue>("retry_changes", { reference });
}

// ----- conflicts ------------------------------------------------------------------

/** Every open conflict across trackers, oldest first. */
export function conflicts(): Promise<ConflictEntry[]> {
  return invoke<ConflictEntry[]>("conflicts");
}

/** A starting value for a hand merge: the body's three-way merge with git-style
 * markers around clashing regions; other fields: the local value. */
export function conflictDraft(reference: string, field: Field): Promise<FieldValue> {
  return invoke<FieldValue>("conflict_draft", { reference, field });
}

/** Settles one field; the value is pushed with the next sync unless it is the tracker's. */
export function resolveConflict(
  reference: string,
  field: Field,
  resolution: Resolution,
): Promise<Issue> {
  return invoke<Issue>("resolve_conflict", { reference, field, resolution });
}

// ----- sync -----------------------------------------------------------------------

/** Syncs one connection (or all) now: push local changes, then pull. Progress arrives
 * as `onSyncProgress` events; the same summary as `onSyncFinished`. */
export function syncNow(connection: string | null): Promise<SyncSummary> {
  return invoke<SyncSummary>("sync_now", { connection });
}

/** The sync log, newest first; of one issue when `reference` is given. */
export function syncLog(limit: number, reference: string | null): Promise<LogRecord[]> {
  return invoke<LogRecord[]>("sync_log", { limit, reference });
}

// ----- outside the window ---------------------------------------------------------

/** Opens the issue's page on its tracker in the system browser. */
export async function openOnTracker(reference: string): Promise<void> {
  await invoke("open_on_tracker", { reference });
}

/** Opens an http(s) link from issue text in the system browser (never in the webview). */
export async function openLink(url: string): Promise<void> {
  await invoke("open_link", { url });
}

// ----- events ---------------------------------------------------------------------

export function onSyncProgress(handler: (progress: SyncProgress) => void): Promise<UnlistenFn> {
  return listen<SyncProgress>("sync-progress", (e) => {
    handler(e.payload);
  });
}

export function onSyncFinished(handler: (finished: SyncFinished) => void): Promise<UnlistenFn> {
  return listen<SyncFinished>("sync-finished", (e) => {
    handler(e.payload);
  });
}

/** A desktop notification was clicked: show this issue. */
export function onFocusIssue(handler: (reference: string) => void): Promise<UnlistenFn> {
  return listen<string>("focus-issue", (e) => {
    handler(e.payload);
  });
}
