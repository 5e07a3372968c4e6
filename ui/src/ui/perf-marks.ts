// Marks on the page's performance timeline, for measurements from outside the page: the
// desktop benchmark (benches/desktop.rs) reads them over WebDriver. Each name is marked
// at most once per page load, so a mark is the first time something was shown.

/** The first rows of the issue list, with their data, after the frame that shows them. */
export const LIST_FIRST_ROWS = "list-first-rows";

const marked = new Set<string>();

/** Marks `name` (once) after the next frame's rendering update: the mark is set by a task
 * queued from that frame's animation callback, i.e. once the frame's style, layout and
 * paint in this process are done (the compositor's presentation is not awaited).
 * `name:dom` marks the call itself (what is to be shown is in the DOM). */
export function markAfterNextFrame(name: string): void {
  if (marked.has(name)) {
    return;
  }
  marked.add(name);
  performance.mark(`${name}:dom`);
  requestAnimationFrame(() => {
    setTimeout(() => {
      performance.mark(name);
    }, 0);
  });
}

/** Marks `name` now, once per page load. */
export function markOnce(name: string): void {
  if (!marked.has(name)) {
    marked.add(name);
    performance.mark(name);
  }
}

/** `answer`, with `name:asked` marked when the first such request goes out and
 * `name:answered` when its answer arrives (where the first paint's time goes). Every
 * later request is `answer()` alone. */
export function markFirstRequest<T>(name: string, answer: () => Promise<T>): Promise<T> {
  if (marked.has(`${name}:asked`)) {
    return answer();
  }
  markOnce(`${name}:asked`);
  const pending = answer();
  void pending.then(
    () => {
      markOnce(`${name}:answered`);
    },
    () => undefined,
  );
  return pending;
}
