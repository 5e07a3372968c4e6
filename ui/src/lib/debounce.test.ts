import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { debounce } from "./debounce";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("debounce", () => {
  it("runs once with the last arguments after a pause", () => {
    const run = vi.fn();
    const search = debounce(run, 200);
    search("d");
    search("da");
    vi.advanceTimersByTime(199);
    search("dark");
    vi.advanceTimersByTime(199);
    expect(run).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(run).toHaveBeenCalledExactlyOnceWith("dark");
  });

  it("flushes and cancels", () => {
    const run = vi.fn();
    const search = debounce(run, 200);
    search("now");
    search.flush();
    expect(run).toHaveBeenCalledWith("now");
    search("never");
    search.cancel();
    vi.advanceTimersByTime(500);
    expect(run).toHaveBeenCalledTimes(1);
  });
});
