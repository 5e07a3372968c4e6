// Which rows of a fixed-row-height list to render for a scroll position.

export interface ViewportSpec {
  scrollTop: number;
  viewportHeight: number;
  rowHeight: number;
  total: number;
  /** Extra rows rendered above and below the visible ones. */
  overscan: number;
}

export interface VisibleWindow {
  /** First rendered row. */
  start: number;
  /** One past the last rendered row. */
  end: number;
  /** Where the first rendered row sits, in pixels from the top of the list. */
  offset: number;
  /** The height of the whole list, for the scroll area. */
  totalHeight: number;
}

export function visibleWindow(spec: ViewportSpec): VisibleWindow {
  const { rowHeight, overscan } = spec;
  const total = Math.max(0, Math.floor(spec.total));
  const totalHeight = total * rowHeight;
  if (total === 0 || rowHeight <= 0) {
    return { start: 0, end: 0, offset: 0, totalHeight };
  }
  const maxScroll = Math.max(0, totalHeight - spec.viewportHeight);
  const scrollTop = Math.min(Math.max(0, spec.scrollTop), maxScroll);
  const firstVisible = Math.floor(scrollTop / rowHeight);
  const lastVisible = Math.ceil((scrollTop + Math.max(0, spec.viewportHeight)) / rowHeight);
  const start = Math.max(0, firstVisible - overscan);
  const end = Math.min(total, lastVisible + overscan);
  return { start, end, offset: start * rowHeight, totalHeight };
}

/** The scrollTop that brings row `index` fully into view, or null when it already is. */
export function scrollToReveal(
  index: number,
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
): number | null {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) {
    return top;
  }
  if (bottom > scrollTop + viewportHeight) {
    return Math.max(0, bottom - viewportHeight);
  }
  return null;
}
