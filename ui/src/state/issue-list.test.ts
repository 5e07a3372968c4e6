// The list model against the mock backend through the real api.ts and Tauri's IPC
// mock: counts, pages on demand, filters.
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { editIssue } from "../lib/api";
import { titleEdit } from "../lib/issue-edit";
import { MockBackend } from "../lib/mock/backend";
import { IssueListModel } from "./issue-list.svelte";

const until = async (done: () => boolean) => {
  for (let i = 0; i < 200 && !done(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

beforeAll(() => {
  vi.stubGlobal("window", globalThis);
  const backend = new MockBackend({ latency: 0, emit: () => Promise.resolve() });
  mockIPC((command, args) => backend.handle(command, args as Record<string, unknown>));
});

afterAll(() => {
  clearMocks();
  vi.unstubAllGlobals();
});

describe("IssueListModel", () => {
  it("counts everything but loads only the top page (beside the count) and the pages it is asked for", async () => {
    const list = new IssueListModel();
    list.setFilters({ state: "all" });
    await until(() => list.total !== null);
    expect(list.total).toBeGreaterThan(99_000);
    expect(list.rowAt(50_000)).toBeUndefined();
    list.want(50_000, 50_030);
    await until(() => list.rowAt(50_029) !== undefined);
    expect(list.rowAt(50_000)?.ref).toMatch(/#\d+$/);
    expect(list.rowAt(99)).toBeDefined();
    expect(list.rowAt(100)).toBeUndefined();
    expect(list.rowAt(49_999)).toBeUndefined();
  });

  it("applies filters, moves the selection and clears back", async () => {
    const list = new IssueListModel();
    list.setFilters({ provider: "gitlab", syncStatus: "conflict", state: "all" });
    await until(() => list.total === 1);
    list.want(0, 10);
    await until(() => list.rowAt(0) !== undefined);
    expect(list.rowAt(0)?.provider).toBe("gitlab");
    expect(list.filtered).toBe(true);
    list.move("next");
    list.move("next");
    expect(list.selected).toBe(0);
    list.clearFilters();
    expect(list.filtered).toBe(false);
    expect(list.selected).toBeNull();
  });

  it("keeps the selected issue selected when an edit moves it to the top", async () => {
    const list = new IssueListModel();
    list.refresh();
    list.want(0, 20);
    await until(() => list.rowAt(19) !== undefined);
    list.select(7);
    const reference = list.selectedRef ?? "";
    await editIssue(reference, titleEdit("Moved by an edit"));
    list.refresh();
    list.want(0, 20);
    await until(() => list.rowAt(0)?.ref === reference);
    expect(list.selected).toBe(0);
    expect(list.selectedIssue?.title).toBe("Moved by an edit");
  });
});
