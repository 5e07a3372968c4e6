// Keyboard shortcuts of the main window, decided from the key and where it was typed.

export type ShortcutAction =
  | "next"
  | "previous"
  | "open"
  | "focus-search"
  | "open-on-tracker"
  | "close";

export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  /** Typing in a text field, select or contenteditable: letters are text, not shortcuts. */
  inEditable: boolean;
  /** A button, link or other control has focus: Enter belongs to it. */
  onControl: boolean;
}

const LETTER_SHORTCUTS: Record<string, ShortcutAction> = {
  j: "next",
  k: "previous",
  ArrowDown: "next",
  ArrowUp: "previous",
  "/": "focus-search",
  o: "open-on-tracker",
};

/** The action for a key press, or null to let the browser have it. */
export function shortcutFor(press: KeyPress): ShortcutAction | null {
  if (press.key === "Escape") {
    return "close";
  }
  if (press.ctrlKey || press.metaKey || press.altKey || press.inEditable) {
    return null;
  }
  if (press.key === "Enter") {
    return press.onControl ? null : "open";
  }
  return LETTER_SHORTCUTS[press.key] ?? null;
}

/** Whether an element takes typed text (so j/k/o/"/" must not be shortcuts there). */
export function isEditable(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) {
    return false;
  }
  if (target.isContentEditable) {
    return true;
  }
  if (target instanceof HTMLInputElement) {
    return !["checkbox", "radio", "button", "submit", "reset"].includes(target.type);
  }
  return target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}

/** Whether Enter on this element already means something (a button, link, option). */
export function isControl(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) {
    return false;
  }
  return target.closest("button, a[href], [role='button'], input, summary") !== null;
}

/** The next selected row for a move, clamped to the list. */
export function moveSelection(current: number | null, action: "next" | "previous", total: number): number | null {
  if (total <= 0) {
    return null;
  }
  if (current === null) {
    return 0;
  }
  const next = action === "next" ? current + 1 : current - 1;
  return Math.min(total - 1, Math.max(0, next));
}
