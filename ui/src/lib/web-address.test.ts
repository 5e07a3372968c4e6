import { describe, expect, it } from "vitest";
import { sendsInClear } from "./web-address";

describe("sendsInClear", () => {
  it.each([
    ["http://gitea.lan:3000", true],
    ["http://10.0.0.5/gitea", true],
    ["https://gitea.lan", false],
    ["http://127.0.0.1:3000", false],
    ["http://localhost:3000", false],
    ["http://[::1]:3000", false],
    ["not a url", false],
  ])("%s → %s", (url, expected) => {
    expect(sendsInClear(url)).toBe(expected);
  });
});
