import { describe, expect, it } from "vitest";
import { renderMarkdown } from "./markdown";

describe("mock renderMarkdown", () => {
  it("escapes HTML before anything else", () => {
    const html = renderMarkdown('<img src=x onerror="alert(1)"> <script>x</script>');
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<script");
  });

  it("renders the basics", () => {
    expect(renderMarkdown("### Steps")).toBe("<h3>Steps</h3>");
    expect(renderMarkdown("- a\n- [x] b")).toBe('<ul><li>a</li><li><input type="checkbox" disabled checked> b</li></ul>');
    expect(renderMarkdown("see https://example.com")).toContain('<a href="https://example.com"');
    expect(renderMarkdown("[x](javascript:alert(1))")).not.toContain("<a");
  });
});
