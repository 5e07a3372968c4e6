// The list's filter bar as data, and how it becomes the backend's IssueQuery.
import type { IssueQuery } from "./bindings/IssueQuery";
import type { IssueSort } from "./bindings/IssueSort";
import type { IssueState } from "./bindings/IssueState";
import type { ProviderKind } from "./bindings/ProviderKind";
import type { SyncStatus } from "./bindings/SyncStatus";
import { SEARCH_RANKED } from "./bindings/limits";

export type StateFilter = IssueState | "all";

export interface IssueFilters {
  provider: ProviderKind | null;
  connection: string | null;
  /** `owner/name` inside `connection` (the backend filters on the full path). */
  repo: string | null;
  state: StateFilter;
  label: string | null;
  assignee: string | null;
  assignedToMe: boolean;
  syncStatus: SyncStatus | null;
  search: string;
  sort: IssueSort;
}

export const DEFAULT_FILTERS: Readonly<IssueFilters> = Object.freeze({
  provider: null,
  connection: null,
  repo: null,
  state: "open",
  label: null,
  assignee: null,
  assignedToMe: false,
  syncStatus: null,
  search: "",
  sort: "updated_desc",
});

function blankToNull(text: string | null): string | null {
  const trimmed = text?.trim() ?? "";
  return trimmed === "" ? null : trimmed;
}

/** The query for the filters (no paging: the list adds limit/offset per page). */
export function toIssueQuery(filters: IssueFilters): IssueQuery {
  return {
    state: filters.state === "all" ? null : filters.state,
    provider: filters.provider,
    connection: filters.connection,
    repo: filters.connection === null ? null : filters.repo,
    search: blankToNull(filters.search),
    label: blankToNull(filters.label),
    assignee: blankToNull(filters.assignee),
    assigned_to_me: filters.assignedToMe,
    sync_status: filters.syncStatus,
    sort: filters.sort,
    limit: null,
    offset: null,
  };
}

/** One page of the query. */
export function pageQuery(query: IssueQuery, offset: number, limit: number): IssueQuery {
  return { ...query, offset, limit };
}

/** A stable key: two filters with the same key list the same issues in the same order. */
export function queryKey(query: IssueQuery): string {
  return JSON.stringify({ ...query, limit: null, offset: null });
}

/** Whether anything narrows the list beyond the defaults (for "Clear filters"). */
export function isFiltered(filters: IssueFilters): boolean {
  return (
    queryKey(toIssueQuery({ ...filters, sort: DEFAULT_FILTERS.sort })) !==
    queryKey(toIssueQuery(DEFAULT_FILTERS))
  );
}

/** Clears what narrows the list, keeping the sort order. */
export function clearedFilters(filters: IssueFilters): IssueFilters {
  return { ...DEFAULT_FILTERS, sort: filters.sort };
}

export const SORT_OPTIONS: readonly { value: IssueSort; label: string }[] = [
  { value: "updated_desc", label: "Recently updated" },
  { value: "updated_asc", label: "Least recently updated" },
  { value: "created_desc", label: "Newest" },
  { value: "created_asc", label: "Oldest" },
];

/**
 * The filter bar's count: "1,234 issues", or "2,000+ issues" for a search that reached
 * the ranking cap (a search ranks only the most recently mirrored matches).
 */
export function countWording(total: number | null, search: string): string {
  if (total === null) {
    return "…";
  }
  const capped = search.trim() !== "" && total >= SEARCH_RANKED;
  const number = `${total.toLocaleString("en-US")}${capped ? "+" : ""}`;
  return `${number} issue${total === 1 ? "" : "s"}`;
}
