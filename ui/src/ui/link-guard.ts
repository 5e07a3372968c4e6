// The webview never navigates: a click on any link opens http(s) in the system
// browser (openLink), scrolls to in-page anchors, and ignores everything else. The
// webview's own context menu is not offered on links ("Open Link in New Window" would
// bypass this); the shell's navigation guard refuses whatever gets past.
// Issue text marks the page it comes from with data-link-base, for relative links.
import { openLink } from "../lib/api";
import { linkAction } from "../lib/links";

function anchorOf(event: MouseEvent): HTMLAnchorElement | null {
  const target = event.target;
  return target instanceof Element ? target.closest("a[href]") : null;
}

function handle(event: MouseEvent): void {
  const anchor = anchorOf(event);
  if (!anchor) {
    return;
  }
  event.preventDefault();
  if (event.type === "auxclick" && event.button !== 1) {
    return;
  }
  const base = anchor.closest<HTMLElement>("[data-link-base]")?.dataset.linkBase ?? null;
  const action = linkAction(anchor.getAttribute("href") ?? "", base);
  if (action.kind === "external") {
    void openLink(action.url).catch((error: unknown) => {
      console.warn("could not open link", error);
    });
  } else if (action.kind === "anchor") {
    document.getElementById(action.id)?.scrollIntoView({ block: "start" });
  }
}

function noLinkMenu(event: MouseEvent): void {
  if (anchorOf(event)) {
    event.preventDefault();
  }
}

export function installLinkGuard(root: Document): void {
  root.addEventListener("click", handle, true);
  root.addEventListener("auxclick", handle, true);
  root.addEventListener("contextmenu", noLinkMenu, true);
}
