// IssueEdit values for each kind of change the issue view makes. These fill in "leave
// alone" for the rest (an absent milestone is left alone; a null one is cleared).
import type { IssueEdit } from "./bindings/IssueEdit";
import type { IssueState } from "./bindings/IssueState";

const NO_CHANGE: IssueEdit = {
  title: null,
  body: null,
  state: null,
  state_reason: null,
  add_labels: [],
  remove_labels: [],
  labels: null,
  add_assignees: [],
  remove_assignees: [],
  assignees: null,
};

export function titleEdit(title: string): IssueEdit {
  return { ...NO_CHANGE, title: title.trim() };
}

export function bodyEdit(body: string): IssueEdit {
  return { ...NO_CHANGE, body };
}

/** A state change; `reason` is GitHub's state_reason (null elsewhere). */
export function stateEdit(state: IssueState, reason: string | null): IssueEdit {
  return { ...NO_CHANGE, state, state_reason: reason };
}

/** Adds or removes one label, leaving labels someone else added meanwhile alone. */
export function labelEdit(name: string, present: boolean): IssueEdit {
  return present ? { ...NO_CHANGE, add_labels: [name] } : { ...NO_CHANGE, remove_labels: [name] };
}

export function assigneeEdit(login: string, present: boolean): IssueEdit {
  return present
    ? { ...NO_CHANGE, add_assignees: [login] }
    : { ...NO_CHANGE, remove_assignees: [login] };
}

/** Sets the milestone, or clears it with null (or a blank title). */
export function milestoneEdit(title: string | null): IssueEdit {
  const trimmed = title?.trim() ?? "";
  return { ...NO_CHANGE, milestone: trimmed === "" ? null : trimmed };
}

/** GitHub's state reasons, as its UI offers them when closing. */
export const GITHUB_CLOSE_REASONS: readonly { value: string; label: string }[] = [
  { value: "completed", label: "Closed as completed" },
  { value: "not_planned", label: "Closed as not planned" },
];

/** How a state reads: "Open", "Closed", "Closed (not planned)". */
export function stateLabel(state: IssueState, reason: string | null): string {
  if (state === "open") {
    return "Open";
  }
  return reason === null || reason === "completed" ? "Closed" : `Closed (${reason.replaceAll("_", " ")})`;
}
