// A page cache for a long list that is never loaded whole: rows are fetched a page at
// a time for the range on screen, a few requests at once, and old pages are dropped.

export type PageFetcher<T> = (offset: number, limit: number) => Promise<T[]>;

export interface PageCacheOptions {
  pageSize: number;
  /** Pages kept; the least recently wanted go first. */
  maxPages: number;
  /** Requests in flight at once. */
  concurrency: number;
}

interface Page<T> {
  rows: T[];
  /** Shown until its refetch arrives (after `invalidate`). */
  stale: boolean;
}

const DEFAULTS: PageCacheOptions = { pageSize: 100, maxPages: 40, concurrency: 3 };

export class PageCache<T> {
  readonly #fetchPage: PageFetcher<T>;
  readonly #options: PageCacheOptions;
  readonly #onLoad: () => void;
  readonly #pages = new Map<number, Page<T>>();
  readonly #inFlight = new Set<number>();
  #wanted: number[] = [];
  #disposed = false;
  #lastError: unknown = null;

  constructor(fetchPage: PageFetcher<T>, onLoad: () => void, options: Partial<PageCacheOptions> = {}) {
    this.#fetchPage = fetchPage;
    this.#onLoad = onLoad;
    this.#options = { ...DEFAULTS, ...options };
  }

  /** The last fetch failure, until a fetch succeeds. */
  get lastError(): unknown {
    return this.#lastError;
  }

  /** The row at `index`, if its page is loaded (possibly stale). */
  get(index: number): T | undefined {
    const size = this.#options.pageSize;
    return this.#pages.get(Math.floor(index / size))?.rows[index % size];
  }

  /** Replaces a loaded row in place (after an edit), if its page is loaded. */
  update(matches: (row: T) => boolean, row: T): void {
    for (const page of this.#pages.values()) {
      const at = page.rows.findIndex(matches);
      if (at >= 0) {
        page.rows[at] = row;
      }
    }
  }

  /** The index of the first loaded row that matches, or null. */
  indexWhere(matches: (row: T) => boolean): number | null {
    const size = this.#options.pageSize;
    for (const [pageIndex, page] of this.#pages) {
      const at = page.rows.findIndex(matches);
      if (at >= 0) {
        return pageIndex * size + at;
      }
    }
    return null;
  }

  /** Asks for rows `start` to `end` (exclusive); fetches what is missing or stale. */
  want(start: number, end: number): void {
    const size = this.#options.pageSize;
    const first = Math.floor(start / size);
    const last = Math.floor(Math.max(start, end - 1) / size);
    this.#wanted = [];
    for (let page = first; page <= last && end > start; page++) {
      this.#wanted.push(page);
      this.#touch(page);
    }
    this.#pump();
  }

  /** Asks for rows `start` to `end` before anything on screen has (at start, while the
   * list still waits for its count): the first rows' request goes out beside the count
   * instead of after it. Does nothing once something was wanted. */
  prefetch(start: number, end: number): void {
    if (this.#wanted.length === 0) {
      this.want(start, end);
    }
  }

  /** Marks every page stale: they are still shown, and refetched when wanted. */
  invalidate(): void {
    for (const page of this.#pages.values()) {
      page.stale = true;
    }
    this.#pump();
  }

  /** Stops all work; late answers are ignored. */
  dispose(): void {
    this.#disposed = true;
    this.#pages.clear();
  }

  #touch(pageIndex: number): void {
    const page = this.#pages.get(pageIndex);
    if (page) {
      this.#pages.delete(pageIndex);
      this.#pages.set(pageIndex, page);
    }
  }

  #pump(): void {
    if (this.#disposed) {
      return;
    }
    for (const pageIndex of this.#wanted) {
      if (this.#inFlight.size >= this.#options.concurrency) {
        return;
      }
      const page = this.#pages.get(pageIndex);
      if ((page === undefined || page.stale) && !this.#inFlight.has(pageIndex)) {
        void this.#load(pageIndex);
      }
    }
  }

  async #load(pageIndex: number): Promise<void> {
    const size = this.#options.pageSize;
    this.#inFlight.add(pageIndex);
    try {
      const rows = await this.#fetchPage(pageIndex * size, size);
      if (this.#disposed) {
        return;
      }
      this.#pages.set(pageIndex, { rows, stale: false });
      this.#lastError = null;
      this.#evict();
      this.#onLoad();
    } catch (error: unknown) {
      this.#lastError = error;
      if (!this.#disposed) {
        this.#onLoad();
      }
    } finally {
      this.#inFlight.delete(pageIndex);
      if (this.#lastError === null) {
        this.#pump();
      }
    }
  }

  #evict(): void {
    for (const pageIndex of this.#pages.keys()) {
      if (this.#pages.size <= this.#options.maxPages) {
        return;
      }
      if (!this.#wanted.includes(pageIndex)) {
        this.#pages.delete(pageIndex);
      }
    }
  }
}
