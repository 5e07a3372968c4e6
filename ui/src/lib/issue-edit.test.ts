import { describe, expect, it } from "vitest";
import { assigneeEdit, bodyEdit, labelEdit, milestoneEdit, stateEdit, stateLabel, titleEdit } from "./issue-edit";

describe("issue edits", () => {
  it("changes only the title, trimmed", () => {
    const edit = titleEdit("  New title ");
    expect(edit.title).toBe("New title");
    expect(edit.body).toBeNull();
    expect(edit.add_labels).toEqual([]);
    expect("milestone" in edit).toBe(false);
  });

  it("keeps the body as typed", () => {
    expect(bodyEdit("  indented\n").body).toBe("  indented\n");
  });

  it("adds and removes single labels and assignees", () => {
    expect(labelEdit("bug", true)).toMatchObject({ add_labels: ["bug"], remove_labels: [], labels: null });
    expect(labelEdit("bug", false)).toMatchObject({ add_labels: [], remove_labels: ["bug"] });
    expect(assigneeEdit("mira", true).add_assignees).toEqual(["mira"]);
    expect(assigneeEdit("mira", false).remove_assignees).toEqual(["mira"]);
  });

  it("clears the milestone with null, and sends a title trimmed", () => {
    expect(milestoneEdit(null).milestone).toBeNull();
    expect(milestoneEdit("  ").milestone).toBeNull();
    expect(milestoneEdit(" v1.0 ").milestone).toBe("v1.0");
  });

  it("carries GitHub's state reason", () => {
    expect(stateEdit("closed", "not_planned")).toMatchObject({ state: "closed", state_reason: "not_planned" });
  });
});

describe("stateLabel", () => {
  it.each([
    ["open", null, "Open"],
    ["closed", null, "Closed"],
    ["closed", "completed", "Closed"],
    ["closed", "not_planned", "Closed (not planned)"],
  ] as const)("%s/%s reads %s", (state, reason, label) => {
    expect(stateLabel(state, reason)).toBe(label);
  });
});
