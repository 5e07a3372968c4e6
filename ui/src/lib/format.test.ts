import { describe, expect, it } from "vitest";
import { formatVersion, versionLabel, VERSION_UNAVAILABLE } from "./format";

describe("formatVersion", () => {
  it("prefixes a plain version with v", () => {
    expect(formatVersion("0.1.0")).toBe("v0.1.0");
  });

  it("keeps one v when the backend already sent one, and trims", () => {
    expect(formatVersion("  V1.2.3\n")).toBe("v1.2.3");
  });

  it("keeps pre-release and build metadata", () => {
    expect(formatVersion("2.0.0-beta.1+abc")).toBe("v2.0.0-beta.1+abc");
  });

  it.each(["", "1.2", "1.2.3.4", "latest", "v", "1.2.3-"])("rejects %j", (raw) => {
    expect(formatVersion(raw)).toBeNull();
  });
});

describe("versionLabel", () => {
  it("formats a fulfilled version", () => {
    expect(versionLabel({ status: "fulfilled", value: "0.1.0" })).toBe("v0.1.0");
  });

  it("falls back when the command failed", () => {
    expect(versionLabel({ status: "rejected", reason: new Error("no backend") })).toBe(
      VERSION_UNAVAILABLE,
    );
  });

  it("falls back when the version is malformed", () => {
    expect(versionLabel({ status: "fulfilled", value: "garbage" })).toBe(VERSION_UNAVAILABLE);
  });
});
