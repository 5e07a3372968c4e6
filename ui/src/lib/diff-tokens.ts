// Differences between a base value and one side, for highlighting: word by word for
// short text (titles, states, milestones), line by line for bodies, member by member
// for sets.
import { diffArrays, diffLines } from "diff";

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

/** Words and the spaces between them; a word is anything between spaces, so "v1.5"
 * or "drafts," stay whole. */
function words(text: string): string[] {
  return text.split(/(\s+)/).filter((token) => token !== "");
}

/** `after` compared with `before` word by word. Joining the non-removed segments gives
 * `after` back; neighbouring changes are merged into one segment. */
export function wordDiff(before: string, after: string): Segment[] {
  const segments: Segment[] = [];
  for (const part of diffArrays(words(before), words(after))) {
    const change = changeOf(part);
    const text = part.value.join("");
    const last = segments.at(-1);
    if (last?.change === change) {
      last.text += text;
    } else {
      segments.push({ text, change });
    }
  }
  return segments;
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
