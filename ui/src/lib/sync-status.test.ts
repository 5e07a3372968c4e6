import { describe, expect, it } from "vitest";
import type { RepoReport } from "./bindings/RepoReport";
import type { SyncOverview } from "./bindings/SyncOverview";
import { applyProgress, currentError, progressFraction, summarizeSync } from "./sync-status";

const report = (over: Partial<RepoReport> = {}): RepoReport => ({
  repo: "gh:acme/web",
  full: false,
  fetched: 0,
  created: 0,
  updated: 0,
  merged: 0,
  conflicts: 0,
  comments: 0,
  gone: 0,
  push: { created: 0, updated: 0, comments: 0, failed: 0, deferred: 0, conflicts: 0, retry_at: null },
  error: null,
  ...over,
});

describe("applyProgress", () => {
  it("follows a repository from start to finish", () => {
    let progress = applyProgress({}, { connection: "gh", event: { event: "repo_started", repo: "gh:a/b", full: true } });
    expect(progress.gh).toEqual({ connection: "gh", repo: "gh:a/b", fetched: 0, total: null });
    progress = applyProgress(progress, {
      connection: "gh",
      event: { event: "issues_fetched", repo: "gh:a/b", fetched: 50, total: 200 },
    });
    expect(progressFraction(progress.gh ?? { connection: "", repo: "", fetched: 0, total: null })).toBe(0.25);
    progress = applyProgress(progress, { connection: "gh", event: { event: "repo_finished", report: report() } });
    expect(progress).toEqual({});
  });

  it("has an indeterminate fraction without a total", () => {
    expect(progressFraction({ connection: "x", repo: "x", fetched: 10, total: null })).toBeNull();
    expect(progressFraction({ connection: "x", repo: "x", fetched: 300, total: 200 })).toBe(1);
  });
});

describe("summarizeSync", () => {
  it("says when nothing happened", () => {
    expect(summarizeSync({ repos: [report()] })).toBe("Synced 1 repository, nothing new.");
  });

  it("adds up what changed", () => {
    const summary = {
      repos: [
        report({ created: 2, updated: 3, conflicts: 1 }),
        report({ push: { ...report().push, updated: 1, failed: 1 } }),
      ],
    };
    expect(summarizeSync(summary)).toBe(
      "Synced 2 repositories: 5 issues updated, 1 change pushed, 1 conflict, 1 failed.",
    );
  });
});

describe("currentError", () => {
  const overview = (connections: SyncOverview["connections"]): SyncOverview => ({
    connections,
    pending: 0,
    failed: 0,
    conflicts: 0,
  });
  const connection = (name: string, last_error: string | null, failures_in_a_row: number) => ({
    name,
    provider: "gitea" as const,
    web_url: "https://x",
    login: null,
    repos: 1,
    poll_interval_minutes: 5,
    last_synced_at: null,
    last_error,
    failures_in_a_row,
  });

  it("picks the connection failing longest", () => {
    expect(currentError(overview([connection("a", "timeout", 1), connection("b", "401", 4)]))).toEqual({
      connection: "b",
      message: "401",
    });
  });

  it("is null when all is well", () => {
    expect(currentError(overview([connection("a", null, 0), connection("b", "old", 0)]))).toBeNull();
  });
});
