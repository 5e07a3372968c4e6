// Which of an issue's fields wait for a decision in the conflict view. While a field has
// an open conflict the issue view shows it read-only: a local edit would only replace
// "mine" and leave the conflict open, which looked like it had decided it.
import type { Field } from "./bindings/Field";
import type { FieldConflict } from "./bindings/FieldConflict";

/** The open conflict on `field`, or null. */
export function conflictOn(conflicts: readonly FieldConflict[], field: Field): FieldConflict | null {
  return conflicts.find((c) => c.field === field) ?? null;
}

export function inConflict(conflicts: readonly FieldConflict[], field: Field): boolean {
  return conflictOn(conflicts, field) !== null;
}

/**
 * What an editor closed by a newly arrived conflict held that was never saved: the
 * draft, unless it is blank or differs from the saved value only in surrounding space.
 */
export function unsavedDraft(draft: string, saved: string): string | null {
  const typed = draft.trim();
  return typed === "" || typed === saved.trim() ? null : draft;
}
