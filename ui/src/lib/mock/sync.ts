// The mock's "Sync now": push what waits in the outbox (issues in conflict wait),
// import repositories added since the last sync, with progress events as it goes.
import type { SyncFinished, SyncProgress } from "../api";
import type { Issue } from "../bindings/Issue";
import type { Repo } from "../bindings/Repo";
import type { RepoReport } from "../bindings/RepoReport";
import type { SyncSummary } from "../bindings/SyncSummary";
import { iso, issueUrl, PEOPLE, type Dataset } from "./dataset";
import { pick, pickSome, seededRandom } from "./random";

export type Emit = (event: string, payload: unknown) => Promise<void>;
export type Sleep = (ms: number) => Promise<void>;

const IMPORT_SIZE = 240;
const IMPORT_PAGE = 60;

function emptyReport(repo: Repo): RepoReport {
  return {
    repo: `${repo.connection}:${repo.full_path}`,
    full: repo.last_synced_at === null,
    fetched: 0,
    created: 0,
    updated: 0,
    merged: 0,
    conflicts: 0,
    comments: 0,
    gone: 0,
    push: { created: 0, updated: 0, comments: 0, failed: 0, deferred: 0, conflicts: 0, retry_at: null },
    error: null,
  };
}

function push(data: Dataset, repo: Repo, report: RepoReport): void {
  const connection = data.connections.find((c) => c.name === repo.connection);
  for (const issue of data.issues) {
    if (issue.connection !== repo.connection || issue.repo !== repo.full_path) {
      continue;
    }
    const waiting = data.outbox.get(issue.id) ?? [];
    if (waiting.length === 0 || waiting.some((c) => c.failed) || data.conflicts.has(issue.id)) {
      continue;
    }
    if (issue.number === null && connection) {
      const number = 1 + Math.max(0, ...data.issues.filter((i) => i.repo === issue.repo).map((i) => i.number ?? 0));
      issue.number = number;
      issue.ref = `${repo.connection}:${repo.full_path}#${String(number)}`;
      issue.remote_url = issueUrl(connection, repo.full_path, number);
      report.push.created++;
    } else if (waiting.some((c) => c.kind === "update")) {
      report.push.updated++;
    }
    for (const comment of data.comments.get(issue.id) ?? []) {
      if (comment.remote_id === null) {
        comment.remote_id = comment.id;
        report.push.comments++;
      }
    }
    data.outbox.delete(issue.id);
    data.bases.set(issue.id, { ...issue, sync_status: "synced" });
    issue.sync_status = "synced";
  }
}

function importedIssues(data: Dataset, repo: Repo, from: number, count: number, now: number): Issue[] {
  const connection = data.connections.find((c) => c.name === repo.connection);
  const random = seededRandom(repo.id * 31 + from);
  return Array.from({ length: count }, (_, i) => {
    const number = from + i + 1;
    const created = iso(now - (IMPORT_SIZE - number) * 3_600_000);
    return {
      id: data.nextId++,
      ref: `${repo.connection}:${repo.full_path}#${String(number)}`,
      connection: repo.connection,
      provider: repo.provider,
      repo: repo.full_path,
      number,
      title: `${pick(random, ["Support", "Fix", "Document", "Speed up"])} ${pick(random, ["login", "export", "search", "the CLI", "webhooks"])} (${repo.full_path} #${String(number)})`,
      body: "",
      state: random() < 0.3 ? "closed" : "open",
      state_reason: null,
      labels: [],
      assignees: pickSome(random, PEOPLE, 1),
      milestone: null,
      author: pick(random, PEOPLE),
      created_at: created,
      updated_at: created,
      closed_at: null,
      remote_url: connection ? issueUrl(connection, repo.full_path, number) : null,
      sync_status: "synced",
      remote_status: "present",
    };
  });
}

async function syncRepo(data: Dataset, repo: Repo, emit: Emit, sleep: Sleep): Promise<RepoReport> {
  const report = emptyReport(repo);
  const connection = repo.connection;
  const progress = (payload: SyncProgress["event"]) => emit("sync-progress", { connection, event: payload } satisfies SyncProgress);
  await progress({ event: "repo_started", repo: report.repo, full: report.full });
  if (connection === "forgejo-home") {
    await sleep(400);
    report.error = { code: "offline", message: "git.home.example: connection timed out after 30 s" };
    return report;
  }
  push(data, repo, report);
  if (repo.last_synced_at === null) {
    for (let from = 0; from < IMPORT_SIZE; from += IMPORT_PAGE) {
      await sleep(250);
      data.issues.push(...importedIssues(data, repo, from, IMPORT_PAGE, Date.now()));
      report.fetched += IMPORT_PAGE;
      report.created += IMPORT_PAGE;
      await progress({ event: "issues_fetched", repo: report.repo, fetched: report.fetched, total: IMPORT_SIZE });
    }
  } else {
    await sleep(300);
    await progress({ event: "issues_fetched", repo: report.repo, fetched: 0, total: null });
  }
  repo.last_synced_at = iso(Date.now());
  await progress({ event: "repo_finished", report });
  return report;
}

/** One sync round over a connection, or all of them. */
export async function syncConnections(
  data: Dataset,
  connection: string | null,
  emit: Emit,
  sleep: Sleep,
): Promise<SyncSummary> {
  const names = connection === null ? data.connections.map((c) => c.name) : [connection];
  const summary: SyncSummary = { repos: [] };
  for (const name of names) {
    const reports: RepoReport[] = [];
    for (const repo of data.repos.filter((r) => r.connection === name)) {
      reports.push(await syncRepo(data, repo, emit, sleep));
    }
    const failure = reports.find((r) => r.error !== null)?.error ?? null;
    const health = data.health.get(name) ?? { lastSyncedAt: null, lastError: null, failuresInARow: 0 };
    data.health.set(
      name,
      failure
        ? { ...health, lastError: failure.message, failuresInARow: health.failuresInARow + 1 }
        : { lastSyncedAt: iso(Date.now()), lastError: null, failuresInARow: 0 },
    );
    summary.repos.push(...reports);
  }
  const failed = summary.repos.find((r) => r.error !== null)?.error ?? null;
  await emit("sync-finished", { connection, summary, error: failed } satisfies SyncFinished);
  return summary;
}
