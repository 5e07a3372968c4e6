// The status bar's view of syncing: import progress per connection from sync-progress
// events, a one-line summary of a finished sync, and the error worth showing.
import type { SyncProgress } from "./api";
import type { SyncOverview } from "./bindings/SyncOverview";
import type { SyncSummary } from "./bindings/SyncSummary";

export interface ImportProgress {
  connection: string;
  repo: string;
  fetched: number;
  /** Null while the tracker has not said how many there are. */
  total: number | null;
}

export type ProgressByConnection = Readonly<Record<string, ImportProgress>>;

/** The progress after one event (a new object; the old one is left alone). */
export function applyProgress(current: ProgressByConnection, progress: SyncProgress): ProgressByConnection {
  const { connection, event } = progress;
  switch (event.event) {
    case "repo_started":
      return { ...current, [connection]: { connection, repo: event.repo, fetched: 0, total: null } };
    case "issues_fetched":
      return {
        ...current,
        [connection]: { connection, repo: event.repo, fetched: event.fetched, total: event.total },
      };
    case "repo_finished": {
      const rest = { ...current };
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a keyed record
      delete rest[connection];
      return rest;
    }
  }
}

/** 0 to 1, or null when the total is unknown (an indeterminate bar). */
export function progressFraction(progress: ImportProgress): number | null {
  if (progress.total === null || progress.total <= 0) {
    return null;
  }
  return Math.min(1, progress.fetched / progress.total);
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${String(count)} ${count === 1 ? one : many}`;
}

/** "Synced 2 repositories: 14 issues updated, 1 change pushed, 1 conflict." */
export function summarizeSync(summary: SyncSummary): string {
  const repos = summary.repos;
  const sum = (pick: (r: (typeof repos)[number]) => number) => repos.reduce((n, r) => n + pick(r), 0);
  const changed = sum((r) => r.created + r.updated);
  const pushed = sum((r) => r.push.created + r.push.updated + r.push.comments);
  const conflicts = sum((r) => r.conflicts + r.push.conflicts);
  const failed = sum((r) => r.push.failed) + repos.filter((r) => r.error !== null).length;
  const parts = [
    changed > 0 ? `${plural(changed, "issue")} updated` : null,
    pushed > 0 ? `${plural(pushed, "change")} pushed` : null,
    conflicts > 0 ? plural(conflicts, "conflict") : null,
    failed > 0 ? `${String(failed)} failed` : null,
  ].filter((part) => part !== null);
  const head = `Synced ${plural(repos.length, "repository", "repositories")}`;
  return parts.length === 0 ? `${head}, nothing new.` : `${head}: ${parts.join(", ")}.`;
}

export interface ConnectionError {
  connection: string;
  message: string;
}

/** The failing connection to show in the status bar (most failures in a row first). */
export function currentError(overview: SyncOverview): ConnectionError | null {
  const failing = overview.connections
    .filter((c) => c.last_error !== null && c.failures_in_a_row > 0)
    .sort((a, b) => b.failures_in_a_row - a.failures_in_a_row);
  const first = failing[0];
  return first?.last_error ? { connection: first.name, message: first.last_error } : null;
}
