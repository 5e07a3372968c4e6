// The issue list's state: filters, the matching count, a page cache over the rows and
// the selection. Rows are fetched a page at a time for the range on screen.
import { countIssues, listIssues } from "../lib/api";
import type { Issue } from "../lib/bindings/Issue";
import type { IssueQuery } from "../lib/bindings/IssueQuery";
import { errorMessage } from "../lib/errors";
import {
  clearedFilters,
  DEFAULT_FILTERS,
  isFiltered,
  pageQuery,
  queryKey,
  toIssueQuery,
  type IssueFilters,
} from "../lib/issue-filters";
import { moveSelection } from "../lib/keymap";
import { PageCache } from "../lib/page-cache";

const PAGE_SIZE = 100;

export class IssueListModel {
  filters = $state<IssueFilters>({ ...DEFAULT_FILTERS });
  /** Changes with the filters (not with refreshes): the list scrolls back up. */
  queryKey = $state(queryKey(toIssueQuery(DEFAULT_FILTERS)));
  /** Matching issues; null until the first count answers. */
  total = $state<number | null>(null);
  /** The selected issue, by reference: it stays selected when a refresh moves it. */
  selectedRef = $state<string | null>(null);
  error = $state<string | null>(null);
  /** Bumps when the rows behind the list change (new filters or a refresh). */
  generation = $state(0);
  readonly filtered = $derived(isFiltered(this.filters));
  #loaded = $state(0);
  #selectedIndex: number | null = null;
  #query: IssueQuery = toIssueQuery(DEFAULT_FILTERS);
  #cache: PageCache<Issue>;
  #countRequest = 0;

  constructor() {
    // Nothing is fetched before the window asks (refresh): the backend may not be ready.
    this.#cache = this.#newCache();
  }

  setFilters(change: Partial<IssueFilters>): void {
    this.filters = { ...this.filters, ...change };
    this.#query = toIssueQuery(this.filters);
    this.queryKey = queryKey(this.#query);
    this.#cache.dispose();
    this.#cache = this.#newCache();
    this.selectedRef = null;
    this.#selectedIndex = null;
    this.generation++;
    this.#cache.prefetch(0, PAGE_SIZE);
    void this.#count();
  }

  clearFilters(): void {
    this.setFilters(clearedFilters(this.filters));
  }

  /** Re-reads the count and the rows on screen, keeping what is shown meanwhile. */
  refresh(): void {
    this.#cache.invalidate();
    this.generation++;
    // The first refresh (and one after new filters): the top rows are what the list
    // will ask for once the count is in.
    this.#cache.prefetch(0, PAGE_SIZE);
    void this.#count();
  }

  /** The list asks for the rows it is about to show (again after new filters or a
   * refresh: reading `generation` ties the caller's effect to it). */
  want(start: number, end: number): void {
    if (this.generation >= 0) {
      this.#cache.want(start, end);
    }
  }

  rowAt(index: number): Issue | undefined {
    // Reading #loaded makes the caller re-render when a page arrives.
    if (this.#loaded < 0) {
      return undefined;
    }
    return this.#cache.get(index);
  }

  /** Where the selected issue is in the list now (null when it is not loaded). */
  get selected(): number | null {
    if (this.selectedRef === null || this.#loaded < 0) {
      return this.#selectedIndex;
    }
    const ref = this.selectedRef;
    return this.#cache.indexWhere((row) => row.ref === ref) ?? this.#selectedIndex;
  }

  get selectedIssue(): Issue | undefined {
    const index = this.selected;
    return index === null ? undefined : this.rowAt(index);
  }

  select(index: number): void {
    this.#selectedIndex = index;
    this.selectedRef = this.rowAt(index)?.ref ?? null;
  }

  /** Shows an edited issue at once, before the next refresh. */
  replaceIssue(issue: Issue): void {
    this.#cache.update((row) => row.id === issue.id, issue);
    this.#loaded++;
  }

  move(direction: "next" | "previous"): void {
    const next = moveSelection(this.selected, direction, this.total ?? 0);
    if (next === null) {
      this.selectedRef = null;
      this.#selectedIndex = null;
    } else {
      this.select(next);
    }
  }

  #newCache(): PageCache<Issue> {
    const query = this.#query;
    return new PageCache<Issue>(
      (offset, limit) => listIssues(pageQuery(query, offset, limit)),
      () => {
        this.#loaded++;
        const failure = this.#cache.lastError;
        this.error = failure === null ? null : errorMessage(failure);
      },
      { pageSize: PAGE_SIZE },
    );
  }

  async #count(): Promise<void> {
    const request = ++this.#countRequest;
    try {
      const total = await countIssues(this.#query);
      if (request === this.#countRequest) {
        this.total = total;
        this.error = null;
        if (this.#selectedIndex !== null && this.#selectedIndex >= total) {
          this.#selectedIndex = total > 0 ? total - 1 : null;
        }
      }
    } catch (error: unknown) {
      if (request === this.#countRequest) {
        this.error = errorMessage(error);
      }
    }
  }
}
