import { describe, expect, it } from "vitest";
import { lineDiff, setDiff, wordDiff, type Segment } from "./diff-tokens";

const changed = (segments: Segment[]) => segments.some((s) => s.change !== "same");

describe("wordDiff", () => {
  it("marks changed words and keeps the text readable", () => {
    const segments = wordDiff("Crash when saving drafts", "Crash when saving large drafts");
    expect(segments.filter((s) => s.change !== "removed").map((s) => s.text).join("")).toBe(
      "Crash when saving large drafts",
    );
    expect(segments.filter((s) => s.change === "added").map((s) => s.text.trim())).toEqual(["large"]);
    expect(segments.some((s) => s.change === "removed")).toBe(false);
  });

  it("shows a replaced word as removed then added", () => {
    const changes = wordDiff("open the door", "close the door").filter((s) => s.change !== "same");
    expect(changes).toEqual([
      { text: "open", change: "removed" },
      { text: "close", change: "added" },
    ]);
  });

  it("has no changes for equal text", () => {
    expect(changed(wordDiff("same", "same"))).toBe(false);
  });
});

describe("lineDiff", () => {
  it("gives one segment per line", () => {
    expect(lineDiff("a\nb\nc\n", "a\nB\nc\nd\n")).toEqual([
      { text: "a", change: "same" },
      { text: "b", change: "removed" },
      { text: "B", change: "added" },
      { text: "c", change: "same" },
      { text: "d", change: "added" },
    ]);
  });

  it("treats a missing final newline as the same line", () => {
    expect(changed(lineDiff("a\nb", "a\nb"))).toBe(false);
  });

  it("handles an empty base", () => {
    expect(lineDiff("", "new\n")).toEqual([{ text: "new", change: "added" }]);
  });
});

describe("setDiff", () => {
  it("shows kept, added and dropped members in name order", () => {
    expect(setDiff(["bug", "ui"], ["ux", "bug"])).toEqual([
      { text: "bug", change: "same" },
      { text: "ui", change: "removed" },
      { text: "ux", change: "added" },
    ]);
  });
});

describe("wordDiff on single-word values", () => {
  it("replaces a milestone whole instead of splitting v1.5 into pieces", () => {
    expect(wordDiff("v1.5", "v2.0")).toEqual([
      { text: "v1.5", change: "removed" },
      { text: "v2.0", change: "added" },
    ]);
  });

  it("marks the words a state gained", () => {
    expect(wordDiff("Closed", "Closed (not planned)").filter((s) => s.change === "added")).toEqual([
      { text: " (not planned)", change: "added" },
    ]);
  });
});
