import { describe, expect, it } from "vitest";
import { moveSelection, shortcutFor, type KeyPress } from "./keymap";

const press = (key: string, extra: Partial<KeyPress> = {}): KeyPress => ({
  key,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  inEditable: false,
  onControl: false,
  ...extra,
});

describe("shortcutFor", () => {
  it.each([
    ["j", "next"],
    ["k", "previous"],
    ["ArrowDown", "next"],
    ["Enter", "open"],
    ["/", "focus-search"],
    ["o", "open-on-tracker"],
    ["Escape", "close"],
  ])("%s means %s", (key, action) => {
    expect(shortcutFor(press(key))).toBe(action);
  });

  it("lets letters be text in fields, but Escape still closes", () => {
    expect(shortcutFor(press("j", { inEditable: true }))).toBeNull();
    expect(shortcutFor(press("/", { inEditable: true }))).toBeNull();
    expect(shortcutFor(press("Escape", { inEditable: true }))).toBe("close");
  });

  it("leaves Enter to a focused button", () => {
    expect(shortcutFor(press("Enter", { onControl: true }))).toBeNull();
  });

  it("ignores chords and unknown keys", () => {
    expect(shortcutFor(press("k", { ctrlKey: true }))).toBeNull();
    expect(shortcutFor(press("o", { metaKey: true }))).toBeNull();
    expect(shortcutFor(press("x"))).toBeNull();
  });
});

describe("moveSelection", () => {
  it("starts at the top and clamps at both ends", () => {
    expect(moveSelection(null, "next", 10)).toBe(0);
    expect(moveSelection(0, "previous", 10)).toBe(0);
    expect(moveSelection(9, "next", 10)).toBe(9);
    expect(moveSelection(4, "next", 10)).toBe(5);
  });

  it("has nothing to select in an empty list", () => {
    expect(moveSelection(3, "next", 0)).toBeNull();
  });
});
