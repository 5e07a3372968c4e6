// Relative times for timestamps from the backend (`YYYY-MM-DDTHH:MM:SS.mmmZ`).

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "just now", "5m ago", "3h ago", "6d ago", then a date ("Mar 4", "Mar 4, 2024"). */
export function relativeTime(timestamp: string, now: number = Date.now()): string {
  const at = Date.parse(timestamp);
  if (Number.isNaN(at)) {
    return "";
  }
  const elapsed = now - at;
  if (elapsed < MINUTE) {
    return "just now";
  }
  if (elapsed < HOUR) {
    return `${String(Math.floor(elapsed / MINUTE))}m ago`;
  }
  if (elapsed < DAY) {
    return `${String(Math.floor(elapsed / HOUR))}h ago`;
  }
  if (elapsed < 7 * DAY) {
    return `${String(Math.floor(elapsed / DAY))}d ago`;
  }
  const date = new Date(at);
  const day = `${MONTHS[date.getUTCMonth()] ?? ""} ${String(date.getUTCDate())}`;
  const sameYear = date.getUTCFullYear() === new Date(now).getUTCFullYear();
  return sameYear ? day : `${day}, ${String(date.getUTCFullYear())}`;
}

/** The full time for a tooltip, e.g. "2026-03-04 14:05 UTC". */
export function exactTime(timestamp: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(timestamp);
  return match ? `${match[1] ?? ""} ${match[2] ?? ""} UTC` : timestamp;
}
