import { describe, expect, it } from "vitest";
import { errorCode, errorHint, errorMessage } from "./errors";

describe("errors", () => {
  it("reads ApiErrors, Errors and strings", () => {
    expect(errorMessage({ code: "unauthorized", message: "bad token" })).toBe("bad token");
    expect(errorMessage(new Error("boom"))).toBe("boom");
    expect(errorMessage("plain")).toBe("plain");
    expect(errorMessage(42)).toBe("Something went wrong.");
  });

  it("gives codes and hints only when known", () => {
    expect(errorCode({ code: "not_a_tracker", message: "x" })).toBe("not_a_tracker");
    expect(errorCode(new Error("x"))).toBeNull();
    expect(errorHint("unauthorized")).toMatch(/token/);
    expect(errorHint("something_else")).toBeNull();
    expect(errorHint(null)).toBeNull();
  });
});
