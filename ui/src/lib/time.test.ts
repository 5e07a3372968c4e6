import { describe, expect, it } from "vitest";
import { exactTime, relativeTime } from "./time";

const NOW = Date.parse("2026-06-15T12:00:00.000Z");

describe("relativeTime", () => {
  it.each([
    ["2026-06-15T11:59:30.000Z", "just now"],
    ["2026-06-15T11:55:00.000Z", "5m ago"],
    ["2026-06-15T09:00:00.000Z", "3h ago"],
    ["2026-06-12T12:00:00.000Z", "3d ago"],
    ["2026-03-04T12:00:00.000Z", "Mar 4"],
    ["2024-12-31T12:00:00.000Z", "Dec 31, 2024"],
  ])("%s is %s", (timestamp, expected) => {
    expect(relativeTime(timestamp, NOW)).toBe(expected);
  });

  it("treats a clock skewed into the future as just now", () => {
    expect(relativeTime("2026-06-15T12:00:05.000Z", NOW)).toBe("just now");
  });

  it("is empty for garbage", () => {
    expect(relativeTime("yesterday", NOW)).toBe("");
  });
});

describe("exactTime", () => {
  it("shows date and minutes in UTC", () => {
    expect(exactTime("2026-03-04T14:05:09.123Z")).toBe("2026-03-04 14:05 UTC");
  });
});
