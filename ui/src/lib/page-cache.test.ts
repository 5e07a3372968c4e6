import { describe, expect, it, vi } from "vitest";
import { PageCache } from "./page-cache";

/** A fetcher over 0..total-1 whose answers we release by hand. */
function controlledFetcher(total: number) {
  const calls: { offset: number; limit: number; release: () => void; fail: () => void }[] = [];
  const fetchPage = (offset: number, limit: number) =>
    new Promise<number[]>((resolve, reject) => {
      const rows = Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) => offset + i);
      calls.push({
        offset,
        limit,
        release: () => {
          resolve(rows);
        },
        fail: () => {
          reject(new Error("offline"));
        },
      });
    });
  return { calls, fetchPage };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("PageCache", () => {
  it("fetches only the pages of the wanted range", async () => {
    const { calls, fetchPage } = controlledFetcher(100_000);
    const onLoad = vi.fn();
    const cache = new PageCache(fetchPage, onLoad, { pageSize: 100 });
    cache.want(150, 230);
    expect(calls.map((c) => c.offset)).toEqual([100, 200]);
    calls.forEach((c) => { c.release(); });
    await flush();
    expect(cache.get(150)).toBe(150);
    expect(cache.get(229)).toBe(229);
    expect(cache.get(0)).toBeUndefined();
    expect(onLoad).toHaveBeenCalledTimes(2);
  });

  it("does not refetch loaded or in-flight pages", async () => {
    const { calls, fetchPage } = controlledFetcher(1000);
    const cache = new PageCache(fetchPage, () => undefined, { pageSize: 100 });
    cache.want(0, 50);
    cache.want(10, 60);
    expect(calls).toHaveLength(1);
    calls[0]?.release();
    await flush();
    cache.want(0, 99);
    expect(calls).toHaveLength(1);
  });

  it("prefetches the first rows before anything is wanted, and never after", async () => {
    const { calls, fetchPage } = controlledFetcher(100_000);
    const cache = new PageCache(fetchPage, () => undefined, { pageSize: 100 });
    cache.want(0, 0); // the list before its count: nothing on screen
    cache.prefetch(0, 100);
    expect(calls.map((c) => c.offset)).toEqual([0]);
    cache.want(0, 40); // the count is in: the same page, already on its way
    expect(calls).toHaveLength(1);
    calls[0]?.release();
    await flush();
    expect(cache.get(39)).toBe(39);
    cache.want(5000, 5040); // scrolled down: a later refresh does not pull the top back in
    cache.invalidate();
    cache.prefetch(0, 100);
    expect(calls.map((c) => c.offset)).toEqual([0, 5000]);
  });

  it("limits requests in flight and skips pages scrolled past", async () => {
    const { calls, fetchPage } = controlledFetcher(100_000);
    const cache = new PageCache(fetchPage, () => undefined, { pageSize: 10, concurrency: 2 });
    cache.want(0, 40);
    expect(calls.map((c) => c.offset)).toEqual([0, 10]);
    cache.want(5000, 5010); // the person flung the scrollbar
    calls[0]?.release();
    await flush();
    expect(calls.map((c) => c.offset)).toEqual([0, 10, 5000]);
  });

  it("keeps stale pages visible while refetching after invalidate", async () => {
    const { calls, fetchPage } = controlledFetcher(100);
    const cache = new PageCache(fetchPage, () => undefined, { pageSize: 50 });
    cache.want(0, 10);
    calls[0]?.release();
    await flush();
    cache.invalidate();
    expect(cache.get(3)).toBe(3);
    expect(calls).toHaveLength(2);
    calls[1]?.release();
    await flush();
    expect(cache.get(3)).toBe(3);
    cache.want(0, 10);
    expect(calls).toHaveLength(2);
  });

  it("evicts the least recently wanted pages", async () => {
    const { calls, fetchPage } = controlledFetcher(10_000);
    const cache = new PageCache(fetchPage, () => undefined, { pageSize: 10, maxPages: 2 });
    for (const start of [0, 100, 200]) {
      cache.want(start, start + 5);
      calls.at(-1)?.release();
      await flush();
    }
    expect(cache.get(0)).toBeUndefined();
    expect(cache.get(100)).toBe(100);
    expect(cache.get(200)).toBe(200);
  });

  it("reports a failed fetch and retries when wanted again", async () => {
    const { calls, fetchPage } = controlledFetcher(100);
    const cache = new PageCache(fetchPage, () => undefined, { pageSize: 50 });
    cache.want(0, 10);
    calls[0]?.fail();
    await flush();
    expect(cache.lastError).toBeInstanceOf(Error);
    cache.want(0, 10);
    calls[1]?.release();
    await flush();
    expect(cache.lastError).toBeNull();
    expect(cache.get(0)).toBe(0);
  });

  it("ignores answers after dispose", async () => {
    const { calls, fetchPage } = controlledFetcher(100);
    const onLoad = vi.fn();
    const cache = new PageCache(fetchPage, onLoad, { pageSize: 50 });
    cache.want(0, 10);
    cache.dispose();
    calls[0]?.release();
    await flush();
    expect(onLoad).not.toHaveBeenCalled();
    expect(cache.get(0)).toBeUndefined();
  });

  it("finds a loaded row's index", async () => {
    const { calls, fetchPage } = controlledFetcher(1000);
    const cache = new PageCache(fetchPage, () => undefined, { pageSize: 100 });
    cache.want(300, 310);
    calls[0]?.release();
    await flush();
    expect(cache.indexWhere((row) => row === 305)).toBe(305);
    expect(cache.indexWhere((row) => row === 5)).toBeNull();
  });

  it("updates a loaded row in place", async () => {
    const { calls, fetchPage } = controlledFetcher(100);
    const cache = new PageCache(fetchPage, () => undefined, { pageSize: 50 });
    cache.want(0, 10);
    calls[0]?.release();
    await flush();
    cache.update((row) => row === 7, 700);
    expect(cache.get(7)).toBe(700);
  });
});
