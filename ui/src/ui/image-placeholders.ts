// Images the backend held back (not on the issue's own tracker, and "Load images" not
// chosen) arrive without a src: the address never reaches the webview. Each becomes a
// visible placeholder naming what it shows, so the reader knows something is there.
export function showImagePlaceholders(container: HTMLElement): void {
  for (const image of container.querySelectorAll("img:not([src])")) {
    const placeholder = document.createElement("span");
    placeholder.className = "image-placeholder";
    placeholder.dataset.testid = "image-placeholder";
    const alt = image.getAttribute("alt")?.trim() ?? "";
    placeholder.textContent = alt === "" ? "Image not loaded" : `Image not loaded: ${alt}`;
    placeholder.title = "From a host other than this issue's tracker. Use “Load images” above the description to show it.";
    image.replaceWith(placeholder);
  }
}
