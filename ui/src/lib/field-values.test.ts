import { describe, expect, it } from "vitest";
import { asOptional, asSet, asState, asText, displayValue, isStateValue, sameValue } from "./field-values";

describe("reading values", () => {
  it("tells the shapes apart", () => {
    expect(isStateValue({ state: "closed", reason: null })).toBe(true);
    expect(isStateValue(["a"])).toBe(false);
    expect(isStateValue(null)).toBe(false);
    expect(isStateValue("x")).toBe(false);
  });

  it("reads each shape with a safe fallback", () => {
    expect(asText("t")).toBe("t");
    expect(asText(null)).toBe("");
    expect(asSet(["a", "b"])).toEqual(["a", "b"]);
    expect(asSet("a")).toEqual([]);
    expect(asState({ state: "closed", reason: "not_planned" }).reason).toBe("not_planned");
    expect(asOptional(null)).toBeNull();
    expect(asOptional("")).toBeNull();
    expect(asOptional("v2")).toBe("v2");
  });
});

describe("sameValue", () => {
  it("compares sets without order", () => {
    expect(sameValue(["b", "a"], ["a", "b"])).toBe(true);
    expect(sameValue(["a"], ["a", "b"])).toBe(false);
  });

  it("compares states with their reasons", () => {
    expect(sameValue({ state: "closed", reason: null }, { state: "closed", reason: null })).toBe(true);
    expect(sameValue({ state: "closed", reason: null }, { state: "closed", reason: "completed" })).toBe(false);
  });

  it("compares text and none", () => {
    expect(sameValue("a", "a")).toBe(true);
    expect(sameValue(null, "a")).toBe(false);
    expect(sameValue(null, null)).toBe(true);
  });
});

describe("displayValue", () => {
  it("summarizes each field", () => {
    expect(displayValue("title", "Fix it")).toBe("Fix it");
    expect(displayValue("body", "a\nb\nc")).toBe("3 lines");
    expect(displayValue("body", "")).toBe("(empty)");
    expect(displayValue("state", { state: "closed", reason: "not_planned" })).toBe("Closed (not planned)");
    expect(displayValue("labels", [])).toBe("(none)");
    expect(displayValue("assignees", ["a", "b"])).toBe("a, b");
    expect(displayValue("milestone", null)).toBe("(none)");
  });
});
