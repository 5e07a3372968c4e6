import { describe, expect, it } from "vitest";
import type { FieldConflict } from "./bindings/FieldConflict";
import {
  conflictRegionCount,
  hasConflictMarkers,
  planResolution,
  resolutionSteps,
} from "./conflict-plan";

const title: FieldConflict = { field: "title", base: "Crash", local: "Crash on save", remote: "Crash when saving" };
const body: FieldConflict = {
  field: "body",
  base: "one\ntwo\n",
  local: "one\nTWO mine\n",
  remote: "one\ntwo theirs\n",
};
const labels: FieldConflict = { field: "labels", base: ["bug"], local: ["bug", "ui"], remote: [] };
const milestone: FieldConflict = { field: "milestone", base: "v1", local: "v2", remote: null };

const MARKED = "one\n<<<<<<< mine\nTWO mine\n=======\ntwo theirs\n>>>>>>> theirs\n";

describe("conflict markers", () => {
  it("finds git-style marker lines", () => {
    expect(hasConflictMarkers(MARKED)).toBe(true);
    expect(conflictRegionCount(MARKED)).toBe(1);
    expect(conflictRegionCount(MARKED + MARKED)).toBe(2);
  });

  it("finds a lone leftover marker", () => {
    expect(hasConflictMarkers("merged text\n=======\nmore")).toBe(true);
    expect(hasConflictMarkers(">>>>>>> theirs")).toBe(true);
  });

  it("does not flag look-alikes inside lines or markdown rules", () => {
    expect(hasConflictMarkers("a <<<<<<< b")).toBe(false);
    expect(hasConflictMarkers("Heading\n===\n")).toBe(false);
    expect(hasConflictMarkers("========")).toBe(false);
  });
});

describe("planResolution", () => {
  it("is not ready until every field is chosen", () => {
    const plan = planResolution([title, body], { title: { kind: "local" } });
    expect(plan.ready).toBe(false);
    expect(plan.fields[1]?.problem).toBe("Choose a version.");
  });

  it("pushes mine, and not theirs", () => {
    const plan = planResolution([title, labels], { title: { kind: "local" }, labels: { kind: "remote" } });
    expect(plan.ready).toBe(true);
    expect(plan.fields.map((f) => [f.field, f.pushed, f.value])).toEqual([
      ["title", true, "Crash on save"],
      ["labels", false, []],
    ]);
  });

  it("refuses a merged body while markers remain", () => {
    const plan = planResolution([body], { body: { kind: "merged", value: MARKED } });
    expect(plan.ready).toBe(false);
    expect(plan.fields[0]?.problem).toMatch(/1 conflicting region is still marked/);
  });

  it("accepts a hand-merged body and pushes it", () => {
    const plan = planResolution([body], { body: { kind: "merged", value: "one\nTWO theirs\n" } });
    expect(plan.ready).toBe(true);
    expect(plan.fields[0]).toMatchObject({ pushed: true, value: "one\nTWO theirs\n" });
  });

  it("refuses an empty merged title", () => {
    expect(planResolution([title], { title: { kind: "merged", value: "  " } }).ready).toBe(false);
  });

  it("treats a merged value equal to a side as that side", () => {
    const plan = planResolution([title, labels], {
      title: { kind: "merged", value: " Crash when saving " },
      labels: { kind: "merged", value: ["ui", "bug"] },
    });
    expect(plan.fields.map((f) => f.choice?.kind)).toEqual(["remote", "local"]);
    expect(plan.fields.map((f) => f.pushed)).toEqual([false, true]);
  });

  it("is not ready for an issue without conflicts", () => {
    expect(planResolution([], {}).ready).toBe(false);
  });
});

describe("resolutionSteps", () => {
  it("maps choices to resolutions", () => {
    const plan = planResolution([title, body, labels], {
      title: { kind: "local" },
      body: { kind: "merged", value: "one\nmerged\n" },
      labels: { kind: "remote" },
    });
    expect(resolutionSteps(plan)).toEqual([
      { field: "title", resolution: { take: "local" } },
      { field: "body", resolution: { take: "value", value: "one\nmerged\n" } },
      { field: "labels", resolution: { take: "remote" } },
    ]);
  });

  it("sets a hand-picked milestone, or none, as a resolution", () => {
    const picked = resolutionSteps(planResolution([milestone], { milestone: { kind: "merged", value: "v1" } }));
    expect(picked).toEqual([{ field: "milestone", resolution: { take: "value", value: "v1" } }]);
    const none = resolutionSteps(planResolution([{ ...milestone, remote: "v3" }], { milestone: { kind: "merged", value: null } }));
    expect(none).toEqual([{ field: "milestone", resolution: { take: "value", value: null } }]);
  });
});
