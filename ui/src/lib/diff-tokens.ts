// Differences between a base value and one side, for highlighting: word by word for
// titles, line by line for bodies, member by member for sets, whole for the rest.
import { diffArrays, diffLines, diffWordsWithSpace } from "diff";

export type Change = "same" | "added" | "removed";

export interface Segment {
  text: string;
  change: Change;
}

function changeOf(part: { added: boolean; removed: boolean }): Change {
  if (part.added) {
    return "added";
  }
  return part.removed ? "removed" : "same";
}

/** `after` compared with `before` word by word (whitespace kept, so it reads back). */
export function wordDiff(before: string, after: string): Segment[] {
  return diffWordsWithSpace(before, after).map((part) => ({ text: part.value, change: changeOf(part) }));
}

/** A value that only changes whole (a state, a milestone): the old one struck, the new
 * one added, or the value as is when they are equal. */
export function valueDiff(before: string, after: string): Segment[] {
  return before === after
    ? [{ text: after, change: "same" }]
    : [
        { text: before, change: "removed" },
        { text: after, change: "added" },
      ];
}

/** `after` compared with `before` line by line; each segment is one line, without its
 * terminator. */
export function lineDiff(before: string, after: string): Segment[] {
  const segments: Segment[] = [];
  for (const part of diffLines(before, after)) {
    const change = changeOf(part);
    const lines = part.value.split("\n");
    if (lines.at(-1) === "") {
      lines.pop();
    }
    for (const text of lines) {
      segments.push({ text, change });
    }
  }
  return segments;
}

/** Members of `after` and those of `before` it dropped, sorted by name. */
export function setDiff(before: readonly string[], after: readonly string[]): Segment[] {
  const sortedBefore = [...before].sort();
  const sortedAfter = [...after].sort();
  const segments: Segment[] = [];
  for (const part of diffArrays(sortedBefore, sortedAfter)) {
    for (const text of part.value) {
      segments.push({ text, change: changeOf(part) });
    }
  }
  return segments.sort((a, b) => a.text.localeCompare(b.text));
}

/** Whether the side changed anything at all relative to the base. */
export function hasChanges(segments: readonly Segment[]): boolean {
  return segments.some((segment) => segment.change !== "same");
}
