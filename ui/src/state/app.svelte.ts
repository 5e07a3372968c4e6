// App-wide state: what the backend says about connections, repos, conflicts and sync,
// which view and dialog are showing, and the refreshes after a sync or an edit.
import {
  conflicts as listConflicts,
  listConnections,
  listRepos,
  overview as fetchOverview,
  syncNow,
  type SyncFinished,
  type SyncProgress,
} from "../lib/api";
import type { ConflictEntry } from "../lib/bindings/ConflictEntry";
import type { Connection } from "../lib/bindings/Connection";
import type { Field } from "../lib/bindings/Field";
import type { Repo } from "../lib/bindings/Repo";
import type { SyncOverview } from "../lib/bindings/SyncOverview";
import { errorCode, errorMessage } from "../lib/errors";
import { applyProgress, summarizeSync, type ProgressByConnection } from "../lib/sync-status";
import { IssueListModel } from "./issue-list.svelte";

export type View = "issues" | "conflicts" | "settings";

export type Dialog =
  | { kind: "add-connection" }
  | { kind: "repos"; connection: string }
  | { kind: "create-issue" };

export interface SyncOutcome {
  message: string;
  failed: boolean;
}

export class AppState {
  view = $state<View>("issues");
  dialog = $state<Dialog | null>(null);
  /** The issue in the side panel. */
  openIssue = $state<string | null>(null);
  /** The issue selected in the conflict view. */
  conflictIssue = $state<string | null>(null);
  /** The field the conflict view brings into view once, then clears. */
  conflictField = $state<Field | null>(null);

  connections = $state<Connection[]>([]);
  repos = $state<Repo[]>([]);
  overview = $state<SyncOverview | null>(null);
  conflicts = $state<ConflictEntry[]>([]);
  /** Whether the first load finished (to tell "no connections" from "loading"). */
  loaded = $state(false);
  loadError = $state<string | null>(null);

  syncing = $state(false);
  progress = $state<ProgressByConnection>({});
  lastSync = $state<SyncOutcome | null>(null);

  readonly list = new IssueListModel();

  /** Re-reads connections, repos, overview and conflicts. */
  async refresh(): Promise<void> {
    try {
      const [connections, repos, overview, conflicts] = await Promise.all([
        listConnections(),
        listRepos(null),
        fetchOverview(),
        listConflicts(),
      ]);
      this.connections = connections;
      this.repos = repos;
      this.overview = overview;
      this.conflicts = conflicts;
      this.loadError = null;
    } catch (error: unknown) {
      this.loadError = errorMessage(error);
    } finally {
      this.loaded = true;
    }
  }

  /** After a local edit: the counts and conflicts change, the list rows too. */
  async afterEdit(): Promise<void> {
    await this.refresh();
    this.list.refresh();
  }

  open(reference: string): void {
    this.openIssue = reference;
    this.view = "issues";
  }

  /** Opens the conflict view, on one issue and, given one, scrolled to its field. */
  showConflicts(reference: string | null = null, field: Field | null = null): void {
    this.conflictIssue = reference ?? this.conflictIssue ?? this.conflicts[0]?.ref ?? null;
    this.conflictField = field;
    this.view = "conflicts";
  }

  /** Syncs one connection or all; the outcome shows in the status bar. */
  async sync(connection: string | null = null): Promise<void> {
    this.syncing = true;
    try {
      const summary = await syncNow(connection);
      const failed = summary.repos.some((r) => r.error !== null);
      this.lastSync = { message: summarizeSync(summary), failed };
    } catch (error: unknown) {
      const busy = errorCode(error) === "sync_busy";
      this.lastSync = { message: busy ? "A sync is already running." : errorMessage(error), failed: !busy };
    } finally {
      this.syncing = false;
      this.progress = {};
      await this.afterEdit();
    }
  }

  onProgress(progress: SyncProgress): void {
    this.progress = applyProgress(this.progress, progress);
  }

  /** A sync finished, ours or a background one. */
  onFinished(finished: SyncFinished): void {
    if (!this.syncing) {
      this.progress = {};
      if (finished.error) {
        this.lastSync = { message: finished.error.message, failed: true };
      }
      void this.afterEdit();
    }
  }

  get hasRepos(): boolean {
    return this.repos.length > 0;
  }
}

export const app = new AppState();
