// Entry point: renders the shell page (title, core version, empty state).
// The real views arrive with the UI framework; keep this file DOM-only.
import { appVersion } from "./lib/api";
import { versionLabel } from "./lib/format";

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

function emptyState(): HTMLElement {
  const section = element("section", "empty-state");
  const heading = element("h2", "empty-state__title", "No connections yet");
  const body = element("p", "empty-state__body");
  body.append(
    "Add one with ",
    element("code", "command", "issuesync connection add …"),
    " — the desktop connection dialog arrives next.",
  );
  section.append(heading, body);
  return section;
}

async function render(root: HTMLElement): Promise<void> {
  const header = element("header", "app-header");
  const title = element("h1", "app-header__title", "IssueSync");
  const version = element("span", "app-header__version", "…");
  version.id = "app-version";
  header.append(title, version);
  root.replaceChildren(header, emptyState());

  const [result] = await Promise.allSettled([appVersion()]);
  version.textContent = versionLabel(result);
}

const root = document.getElementById("app");
if (root) {
  void render(root);
}
