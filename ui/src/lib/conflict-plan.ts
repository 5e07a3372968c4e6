// The choices a person makes in the conflict view, what they mean for the tracker,
// and the backend calls that carry them out. Pure, so it is unit-tested.
import type { Field } from "./bindings/Field";
import type { FieldConflict } from "./bindings/FieldConflict";
import type { FieldValue } from "./bindings/FieldValue";
import type { Resolution } from "./bindings/Resolution";
import { asText, sameValue } from "./field-values";

export type Choice =
  | { kind: "local" }
  | { kind: "remote" }
  | { kind: "merged"; value: FieldValue };

export type Choices = Partial<Record<Field, Choice>>;

export interface PlannedField {
  field: Field;
  choice: Choice | null;
  /** The value the issue ends up with (null also when nothing is chosen yet). */
  value: FieldValue;
  /** Whether the value is sent to the tracker (else the tracker's value stays). */
  pushed: boolean;
  /** Why this field cannot be resolved yet. */
  problem: string | null;
}

export interface ResolutionPlan {
  fields: PlannedField[];
  /** Every field chosen and valid: "Resolve and push" may run. */
  ready: boolean;
}

const MARKER_LINE = /^(?:<{7}(?: .*)?|={7}|>{7}(?: .*)?)$/m;
const REGION_START = /^<{7}(?: .*)?$/gm;

/** Whether text still holds git-style conflict marker lines. */
export function hasConflictMarkers(text: string): boolean {
  return MARKER_LINE.test(text);
}

/** How many `<<<<<<<` regions are left. */
export function conflictRegionCount(text: string): number {
  return text.match(REGION_START)?.length ?? 0;
}

function problemOf(field: Field, value: FieldValue): string | null {
  if (field === "title" && asText(value).trim() === "") {
    return "A title cannot be empty.";
  }
  if ((field === "body" || field === "title") && hasConflictMarkers(asText(value))) {
    const regions = conflictRegionCount(asText(value));
    const left = regions === 1 ? "1 conflicting region is" : `${String(regions)} conflicting regions are`;
    return `${left} still marked: edit the text between <<<<<<< and >>>>>>> and remove the marker lines.`;
  }
  return null;
}

/** A merged value that equals one side is that side (so nothing extra is pushed). */
export function normalizeChoice(conflict: FieldConflict, choice: Choice): Choice {
  if (choice.kind !== "merged") {
    return choice;
  }
  const value = conflict.field === "title" ? asText(choice.value).trim() : choice.value;
  if (sameValue(value, conflict.remote)) {
    return { kind: "remote" };
  }
  if (sameValue(value, conflict.local)) {
    return { kind: "local" };
  }
  return { kind: "merged", value };
}

function planField(conflict: FieldConflict, chosen: Choice | undefined): PlannedField {
  if (chosen === undefined) {
    return { field: conflict.field, choice: null, value: null, pushed: false, problem: "Choose a version." };
  }
  const choice = normalizeChoice(conflict, chosen);
  switch (choice.kind) {
    case "local":
      return {
        field: conflict.field,
        choice,
        value: conflict.local,
        pushed: !sameValue(conflict.local, conflict.remote),
        problem: null,
      };
    case "remote":
      return { field: conflict.field, choice, value: conflict.remote, pushed: false, problem: null };
    case "merged":
      return {
        field: conflict.field,
        choice,
        value: choice.value,
        pushed: true,
        problem: problemOf(conflict.field, choice.value),
      };
  }
}

/** What resolving an issue's conflicts with these choices would do. */
export function planResolution(conflicts: readonly FieldConflict[], choices: Choices): ResolutionPlan {
  const fields = conflicts.map((conflict) => planField(conflict, choices[conflict.field]));
  return { fields, ready: fields.length > 0 && fields.every((f) => f.problem === null) };
}

/** What "Resolve and push" did, for the person. */
export interface ResolveOutcome {
  reference: string;
  title: string;
  message: string;
  failed: boolean;
}

export interface ResolutionStep {
  field: Field;
  resolution: Resolution;
}

/** The backend calls for a ready plan, one per field, in field order. */
export function resolutionSteps(plan: ResolutionPlan): ResolutionStep[] {
  const steps: ResolutionStep[] = [];
  for (const { field, choice, value } of plan.fields) {
    if (choice === null) {
      continue;
    }
    const resolution: Resolution =
      choice.kind === "merged" ? { take: "value", value } : { take: choice.kind };
    steps.push({ field, resolution });
  }
  return steps;
}
