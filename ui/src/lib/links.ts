// Links inside issue text must never navigate the webview: http(s) links open in the
// system browser, in-page anchors scroll, everything else is ignored.

export type LinkAction =
  | { kind: "external"; url: string }
  | { kind: "anchor"; id: string }
  | { kind: "ignore" };

/** What clicking a link with this `href` (as written in the HTML) should do. */
export function linkAction(href: string): LinkAction {
  const raw = href.trim();
  if (raw.startsWith("#") && raw.length > 1) {
    return { kind: "anchor", id: decodeURIComponent(raw.slice(1)) };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Relative links have no meaning outside the tracker's page; ignore them.
    return { kind: "ignore" };
  }
  return url.protocol === "https:" || url.protocol === "http:"
    ? { kind: "external", url: url.href }
    : { kind: "ignore" };
}
