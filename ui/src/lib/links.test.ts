import { describe, expect, it } from "vitest";
import { linkAction } from "./links";

describe("linkAction", () => {
  it("opens http and https links outside", () => {
    expect(linkAction("https://github.com/acme/web/issues/1")).toEqual({
      kind: "external",
      url: "https://github.com/acme/web/issues/1",
    });
    expect(linkAction(" http://example.com ")).toEqual({ kind: "external", url: "http://example.com/" });
  });

  it("resolves relative links against the issue's page", () => {
    const base = "https://gitlab.example.com/group/api/-/issues/7";
    expect(linkAction("/group/api/-/issues/3", base)).toEqual({
      kind: "external",
      url: "https://gitlab.example.com/group/api/-/issues/3",
    });
    expect(linkAction("../../wikis/home", base)).toEqual({
      kind: "external",
      url: "https://gitlab.example.com/group/api/wikis/home",
    });
    expect(linkAction("javascript:alert(1)", base)).toEqual({ kind: "ignore" });
  });

  it("scrolls to in-page anchors", () => {
    expect(linkAction("#user-content-notes")).toEqual({ kind: "anchor", id: "user-content-notes" });
  });

  it.each(["javascript:alert(1)", "file:///etc/passwd", "/relative/path", "mailto:a@b.c", "#", "data:text/html,x"])(
    "ignores %j",
    (href) => {
      expect(linkAction(href)).toEqual({ kind: "ignore" });
    },
  );
});
