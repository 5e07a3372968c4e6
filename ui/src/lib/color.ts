// Label colours: trackers give six hex digits (no '#'), sometimes nothing. The chip's
// text colour is whichever of dark or light text contrasts more with the background.

export interface ChipColors {
  background: string;
  text: string;
  border: string;
}

const DARK_TEXT = "#1f2328";
const LIGHT_TEXT = "#ffffff";

/** `#rrggbb` for a tracker colour ("d73a4a", "#D73A4A", "fff"), or null when unusable. */
export function normalizeHex(color: string | null): string | null {
  if (color === null) {
    return null;
  }
  let hex = color.trim().replace(/^#/, "").toLowerCase();
  if (/^[0-9a-f]{3}$/.test(hex)) {
    hex = hex.replace(/./g, "$&$&");
  }
  return /^[0-9a-f]{6}$/.test(hex) ? `#${hex}` : null;
}

function channel(hex: string, at: number): number {
  const value = parseInt(hex.slice(at, at + 2), 16) / 255;
  return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
}

/** WCAG relative luminance of `#rrggbb`, 0 (black) to 1 (white). */
export function luminance(hex: string): number {
  return 0.2126 * channel(hex, 1) + 0.7152 * channel(hex, 3) + 0.0722 * channel(hex, 5);
}

/** WCAG contrast ratio between two `#rrggbb` colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** The chip colours for a label, or null to use the neutral chip style. */
export function chipColors(color: string | null): ChipColors | null {
  const background = normalizeHex(color);
  if (background === null) {
    return null;
  }
  const text =
    contrastRatio(background, DARK_TEXT) >= contrastRatio(background, LIGHT_TEXT)
      ? DARK_TEXT
      : LIGHT_TEXT;
  // Very light chips get a visible edge on a white page, very dark ones on a dark page.
  const border = luminance(background) > 0.8 || luminance(background) < 0.02 ? "#8c959f66" : background;
  return { background, text, border };
}
