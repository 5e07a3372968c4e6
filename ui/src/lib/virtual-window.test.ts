import { describe, expect, it } from "vitest";
import { scrollToReveal, visibleWindow } from "./virtual-window";

const base = { scrollTop: 0, viewportHeight: 360, rowHeight: 36, total: 100_000, overscan: 5 };

describe("visibleWindow", () => {
  it("renders the first screen plus overscan below", () => {
    expect(visibleWindow(base)).toEqual({ start: 0, end: 15, offset: 0, totalHeight: 3_600_000 });
  });

  it("renders only a screenful deep in a huge list", () => {
    const window = visibleWindow({ ...base, scrollTop: 36 * 50_000 + 10 });
    expect(window.start).toBe(49_995);
    expect(window.end).toBe(50_016);
    expect(window.offset).toBe(49_995 * 36);
    expect(window.end - window.start).toBeLessThan(25);
  });

  it("clamps at the bottom and beyond it", () => {
    const window = visibleWindow({ ...base, total: 100, scrollTop: 999_999 });
    expect(window.end).toBe(100);
    expect(window.start).toBe(100 - 10 - 5);
  });

  it("is empty for an empty list", () => {
    expect(visibleWindow({ ...base, total: 0 })).toEqual({ start: 0, end: 0, offset: 0, totalHeight: 0 });
  });

  it("handles a list shorter than the viewport", () => {
    expect(visibleWindow({ ...base, total: 3 })).toMatchObject({ start: 0, end: 3 });
  });
});

describe("scrollToReveal", () => {
  it("scrolls up to a row above the view", () => {
    expect(scrollToReveal(2, 360, 360, 36)).toBe(72);
  });

  it("scrolls down just enough for a row below the view", () => {
    expect(scrollToReveal(10, 0, 360, 36)).toBe(36);
  });

  it("leaves a visible row alone", () => {
    expect(scrollToReveal(3, 0, 360, 36)).toBeNull();
  });
});
