import { describe, expect, it } from "vitest";
import { connectionOf, issueNumberLabel, parseIssueRef, repoRef } from "./refs";

describe("parseIssueRef", () => {
  it("reads a mirrored issue", () => {
    expect(parseIssueRef("work:team/api#42")).toEqual({ connection: "work", repo: "team/api", number: 42 });
  });

  it("reads GitLab's nested paths", () => {
    expect(parseIssueRef("gl:group/sub/project#7")?.repo).toBe("group/sub/project");
  });

  it("reads a local draft as number null", () => {
    expect(parseIssueRef("gh:acme/web#local-12")).toEqual({ connection: "gh", repo: "acme/web", number: null });
  });

  it.each(["", "team/api#1", "work:team/api", "work:team/api#x"])("rejects %j", (reference) => {
    expect(parseIssueRef(reference)).toBeNull();
  });
});

describe("small helpers", () => {
  it("finds the connection of issue and repo references", () => {
    expect(connectionOf("work:team/api#42")).toBe("work");
    expect(connectionOf("work:team/api")).toBe("work");
  });

  it("builds repo references and number labels", () => {
    expect(repoRef("gl", "a/b/c")).toBe("gl:a/b/c");
    expect(issueNumberLabel(5)).toBe("#5");
    expect(issueNumberLabel(null)).toBe("new");
  });
});
