// Reading and comparing FieldValues (the untagged union the backend sends for one
// field of an issue in a conflict): text, state, a set of names, or an optional title.
import type { Field } from "./bindings/Field";
import type { FieldValue } from "./bindings/FieldValue";
import type { IssueState } from "./bindings/IssueState";
import { stateLabel } from "./issue-edit";

export interface StateValue {
  state: IssueState;
  reason: string | null;
}

export const FIELD_LABELS: Record<Field, string> = {
  title: "Title",
  body: "Description",
  state: "State",
  labels: "Labels",
  assignees: "Assignees",
  milestone: "Milestone",
};

export function isStateValue(value: FieldValue): value is StateValue {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function asText(value: FieldValue): string {
  return typeof value === "string" ? value : "";
}

export function asSet(value: FieldValue): string[] {
  return Array.isArray(value) ? value : [];
}

export function asState(value: FieldValue): StateValue {
  return isStateValue(value) ? value : { state: "open", reason: null };
}

export function asOptional(value: FieldValue): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

/** Whether two values of the same field are equal (sets ignore order). */
export function sameValue(a: FieldValue, b: FieldValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    const left = [...a].sort();
    const right = [...b].sort();
    return left.length === right.length && left.every((item, i) => item === right[i]);
  }
  if (isStateValue(a) && isStateValue(b)) {
    return a.state === b.state && a.reason === b.reason;
  }
  return a === b;
}

/** One line for a value, as the push preview and the conflict list show it. */
export function displayValue(field: Field, value: FieldValue): string {
  switch (field) {
    case "title":
      return asText(value);
    case "body": {
      const text = asText(value);
      const lines = text === "" ? 0 : text.split("\n").length;
      return lines === 0 ? "(empty)" : `${String(lines)} line${lines === 1 ? "" : "s"}`;
    }
    case "state": {
      const { state, reason } = asState(value);
      return stateLabel(state, reason);
    }
    case "labels":
    case "assignees": {
      const names = asSet(value);
      return names.length === 0 ? "(none)" : names.join(", ");
    }
    case "milestone":
      return asOptional(value) ?? "(none)";
  }
}
