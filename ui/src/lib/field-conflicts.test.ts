import { describe, expect, it } from "vitest";
import type { FieldConflict } from "./bindings/FieldConflict";
import { conflictOn, inConflict, unsavedDraft } from "./field-conflicts";

const conflicts: FieldConflict[] = [
  { field: "title", base: "a", local: "b", remote: "c" },
  { field: "milestone", base: "v1", local: null, remote: "v2" },
];

describe("conflictOn / inConflict", () => {
  it("finds the open conflict of one field", () => {
    expect(conflictOn(conflicts, "title")?.remote).toBe("c");
    expect(conflictOn(conflicts, "milestone")?.local).toBeNull();
    expect(conflictOn(conflicts, "body")).toBeNull();
  });

  it.each([
    ["title", true],
    ["milestone", true],
    ["body", false],
    ["state", false],
    ["labels", false],
    ["assignees", false],
  ] as const)("%s in conflict: %s", (field, expected) => {
    expect(inConflict(conflicts, field)).toBe(expected);
  });

  it("is never in conflict without conflicts", () => {
    expect(inConflict([], "title")).toBe(false);
  });
});

describe("unsavedDraft", () => {
  it("keeps a changed draft as typed", () => {
    expect(unsavedDraft("  New title ", "Old title")).toBe("  New title ");
    expect(unsavedDraft("line\nmore\n", "line\n")).toBe("line\nmore\n");
  });

  it("drops a draft that changes nothing or is blank", () => {
    expect(unsavedDraft("Old title", "Old title")).toBeNull();
    expect(unsavedDraft(" Old title\n", "Old title")).toBeNull();
    expect(unsavedDraft("   ", "Old title")).toBeNull();
  });
});
