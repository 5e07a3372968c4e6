import { describe, expect, it } from "vitest";
import {
  clearedFilters,
  countWording,
  DEFAULT_FILTERS,
  isFiltered,
  pageQuery,
  queryKey,
  toIssueQuery,
  type IssueFilters,
} from "./issue-filters";
import { SEARCH_RANKED } from "./bindings/limits";

describe("toIssueQuery", () => {
  it("maps the defaults to open issues, newest activity first", () => {
    expect(toIssueQuery(DEFAULT_FILTERS)).toEqual({
      state: "open",
      provider: null,
      connection: null,
      repo: null,
      search: null,
      label: null,
      assignee: null,
      assigned_to_me: false,
      sync_status: null,
      sort: "updated_desc",
      limit: null,
      offset: null,
    });
  });

  it("maps every filter", () => {
    const filters: IssueFilters = {
      provider: "gitlab",
      connection: "work",
      repo: "group/sub/api",
      state: "all",
      label: " bug ",
      assignee: "mira",
      assignedToMe: true,
      syncStatus: "conflict",
      search: "  dark mode ",
      sort: "created_asc",
    };
    expect(toIssueQuery(filters)).toMatchObject({
      state: null,
      provider: "gitlab",
      connection: "work",
      repo: "group/sub/api",
      search: "dark mode",
      label: "bug",
      assignee: "mira",
      assigned_to_me: true,
      sync_status: "conflict",
      sort: "created_asc",
    });
  });

  it("drops a repo without its connection, and blank text", () => {
    const query = toIssueQuery({ ...DEFAULT_FILTERS, repo: "a/b", search: "   ", label: "" });
    expect(query.repo).toBeNull();
    expect(query.search).toBeNull();
    expect(query.label).toBeNull();
  });
});

describe("paging and keys", () => {
  it("adds paging without touching the key", () => {
    const query = toIssueQuery(DEFAULT_FILTERS);
    const page = pageQuery(query, 200, 100);
    expect(page).toMatchObject({ offset: 200, limit: 100 });
    expect(queryKey(page)).toBe(queryKey(query));
  });

  it("changes the key when a filter changes", () => {
    expect(queryKey(toIssueQuery({ ...DEFAULT_FILTERS, state: "closed" }))).not.toBe(
      queryKey(toIssueQuery(DEFAULT_FILTERS)),
    );
  });
});

describe("isFiltered / clearedFilters", () => {
  it("ignores the sort order", () => {
    expect(isFiltered(DEFAULT_FILTERS)).toBe(false);
    expect(isFiltered({ ...DEFAULT_FILTERS, sort: "created_asc" })).toBe(false);
  });

  it("sees any narrowing filter", () => {
    expect(isFiltered({ ...DEFAULT_FILTERS, search: "x" })).toBe(true);
    expect(isFiltered({ ...DEFAULT_FILTERS, state: "all" })).toBe(true);
    expect(isFiltered({ ...DEFAULT_FILTERS, assignedToMe: true })).toBe(true);
  });

  it("clears to the defaults and keeps the sort", () => {
    const cleared = clearedFilters({ ...DEFAULT_FILTERS, label: "bug", sort: "created_desc" });
    expect(cleared).toEqual({ ...DEFAULT_FILTERS, sort: "created_desc" });
  });
});

describe("countWording", () => {
  it("counts the list and says when a search stopped at its ranking cap", () => {
    expect(countWording(null, "")).toBe("…");
    expect(countWording(1, "")).toBe("1 issue");
    expect(countWording(12345, "")).toBe("12,345 issues");
    expect(countWording(17, "crash")).toBe("17 issues");
    expect(countWording(SEARCH_RANKED, "crash")).toBe(`${SEARCH_RANKED.toLocaleString("en-US")}+ issues`);
    expect(countWording(SEARCH_RANKED, "  ")).toBe(`${SEARCH_RANKED.toLocaleString("en-US")} issues`);
  });
});
