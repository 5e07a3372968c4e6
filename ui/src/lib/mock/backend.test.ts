import { beforeEach, describe, expect, it } from "vitest";
import type { ConflictEntry } from "../bindings/ConflictEntry";
import type { Issue } from "../bindings/Issue";
import type { IssueView } from "../bindings/IssueView";
import type { SyncOverview } from "../bindings/SyncOverview";
import { DEFAULT_FILTERS, pageQuery, toIssueQuery } from "../issue-filters";
import { bodyEdit, titleEdit } from "../issue-edit";
import { hasConflictMarkers } from "../conflict-plan";
import { MockBackend, mergeWithMarkers } from "./backend";

let events: { event: string; payload: unknown }[];
let backend: MockBackend;

beforeEach(() => {
  events = [];
  backend = new MockBackend({
    latency: 0,
    emit: (event, payload) => {
      events.push({ event, payload });
      return Promise.resolve();
    },
  });
});

const all = toIssueQuery({ ...DEFAULT_FILTERS, state: "all" });

describe("mock backend", () => {
  it("holds about 100k issues and pages through them", async () => {
    const count = (await backend.handle("count_issues", { query: all })) as number;
    expect(count).toBeGreaterThan(99_000);
    const page = (await backend.handle("list_issues", { query: pageQuery(all, 500, 50) })) as Issue[];
    expect(page).toHaveLength(50);
    const last = (await backend.handle("list_issues", { query: pageQuery(all, count - 10, 50) })) as Issue[];
    expect(last).toHaveLength(10);
  });

  it("filters like the store (provider, search, sync status)", async () => {
    const gitlab = (await backend.handle("list_issues", { query: { ...all, provider: "gitlab", limit: 20, offset: 0 } })) as Issue[];
    expect(gitlab.every((i) => i.provider === "gitlab")).toBe(true);
    const conflicted = (await backend.handle("list_issues", { query: { ...all, sync_status: "conflict" } })) as Issue[];
    expect(conflicted.length).toBe(3);
    const found = (await backend.handle("list_issues", { query: { ...all, search: "unsaved drafts" } })) as Issue[];
    expect(found[0]?.ref).toBe("github:acme/webapp#41990");
  });

  it("answers errors with the backend's codes", async () => {
    await expect(
      backend.handle("add_connection", { request: { name: "x", provider: "github", web_url: "https://github.com", token: "bad" } }),
    ).rejects.toMatchObject({ code: "unauthorized" });
    await expect(
      backend.handle("add_connection", { request: { name: "y", provider: "gitea", web_url: "https://not-a-tracker.example", token: null } }),
    ).rejects.toMatchObject({ code: "not_a_tracker" });
  });

  it("keeps an edit pending until a sync pushes it", async () => {
    const reference = "github:acme/cli#12";
    const edited = (await backend.handle("edit_issue", { reference, edit: titleEdit("Renamed") })) as Issue;
    expect(edited.sync_status).toBe("pending");
    await backend.handle("sync_now", { connection: "github" });
    const view = (await backend.handle("issue_view", { reference })) as IssueView;
    expect(view.detail.sync_status).toBe("synced");
    expect(events.some((e) => e.event === "sync-finished")).toBe(true);
  });

  it("drafts a marked body merge and settles conflicts one field at a time", async () => {
    const reference = "github:acme/webapp#41990";
    const draft = (await backend.handle("conflict_draft", { reference, field: "body" })) as string;
    expect(hasConflictMarkers(draft)).toBe(true);
    await backend.handle("resolve_conflict", { reference, field: "title", resolution: { take: "remote" } });
    await backend.handle("resolve_conflict", { reference, field: "body", resolution: { take: "value", value: "merged\n" } });
    const left = (await backend.handle("conflicts")) as ConflictEntry[];
    expect(left.some((c) => c.ref === reference)).toBe(false);
    const view = (await backend.handle("issue_view", { reference })) as IssueView;
    expect(view.detail.body).toBe("merged\n");
    expect(view.detail.title).toBe("Editor loses unsaved draft on quit");
    expect(view.detail.sync_status).toBe("pending");
  });

  it("keeps a conflict open when its field is edited, replacing only mine, like the core", async () => {
    const reference = "codeberg:lena/notes-app#6990";
    const edited = (await backend.handle("edit_issue", { reference, edit: { ...bodyEdit("x"), body: null, milestone: "v1.4" } })) as {
      in_conflict: string[];
    };
    expect(edited.in_conflict).toEqual(["milestone"]);
    const overview = (await backend.handle("overview")) as SyncOverview;
    expect(overview.conflicts).toBe(6);
    const view = (await backend.handle("issue_view", { reference })) as IssueView;
    expect(view.detail.sync_status).toBe("conflict");
    expect(view.detail.conflicts).toEqual([
      { field: "milestone", base: "v1.5", local: "v1.4", remote: "Backlog" },
      { field: "assignees", base: [], local: ["lena"], remote: ["oliver"] },
    ]);
  });

  it("ends a conflict when the edit takes the tracker's value, like the core", async () => {
    const reference = "codeberg:lena/notes-app#6990";
    const edited = (await backend.handle("edit_issue", { reference, edit: { ...bodyEdit("x"), body: null, milestone: "Backlog" } })) as {
      in_conflict: string[];
    };
    expect(edited.in_conflict).toEqual([]);
    const view = (await backend.handle("issue_view", { reference })) as IssueView;
    expect(view.detail.conflicts.map((c) => c.field)).toEqual(["assignees"]);
  });

  it("pushes a local draft and gives it a number", async () => {
    await backend.handle("sync_now", { connection: "github" });
    const drafts = (await backend.handle("list_issues", { query: { ...all, search: "json", connection: "github" } })) as Issue[];
    const pushed = drafts.find((i) => i.title.startsWith("Add --json"));
    expect(pushed?.number).not.toBeNull();
    expect(pushed?.remote_url).toMatch(/^https:\/\/github.com\/acme\/cli\/issues\/\d+$/);
  });
});

describe("opening outside", () => {
  it("records the tracker page and links instead of opening a browser", async () => {
    await backend.handle("open_on_tracker", { reference: "github:acme/cli#12" });
    await backend.handle("open_link", { url: "https://example.com/x" });
    expect(backend.opened).toEqual(["https://github.com/acme/cli/issues/12", "https://example.com/x"]);
  });
});

describe("mergeWithMarkers", () => {
  it("merges separate line edits and marks clashing ones", () => {
    expect(mergeWithMarkers("a\nb\nc", "A\nb\nc", "a\nb\nC")).toBe("A\nb\nC");
    expect(mergeWithMarkers("a\nb", "mine\nb", "theirs\nb")).toBe("<<<<<<< mine\nmine\n=======\ntheirs\n>>>>>>> theirs\nb");
  });
});
