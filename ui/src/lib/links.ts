// Links inside issue text must never navigate the webview: http(s) links open in the
// system browser, in-page anchors scroll, everything else is ignored. Relative links
// ("/owner/repo/issues/3", "../wiki") mean what they mean on the page.

export type LinkAction =
  | { kind: "external"; url: string }
  | { kind: "anchor"; id: string }
  | { kind: "ignore" };

/** What clicking a link with this `href` (as written in the HTML) should do; `base` is
 * the page the text comes from (the issue on its tracker), for relative links. */
export function linkAction(href: string, base: string | null = null): LinkAction {
  const raw = href.trim();
  if (raw.startsWith("#") && raw.length > 1) {
    return { kind: "anchor", id: decodeURIComponent(raw.slice(1)) };
  }
  if (raw === "" || raw === "#") {
    return { kind: "ignore" };
  }
  let url: URL;
  try {
    url = base === null ? new URL(raw) : new URL(raw, base);
  } catch {
    // A relative link without a page to resolve it against means nothing here.
    return { kind: "ignore" };
  }
  return url.protocol === "https:" || url.protocol === "http:"
    ? { kind: "external", url: url.href }
    : { kind: "ignore" };
}
