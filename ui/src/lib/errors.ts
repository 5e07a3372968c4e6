// Turning rejections from the backend into words for the person.
import { isApiError } from "./api";

const HINTS: Record<string, string> = {
  unauthorized: "The tracker refused the token. Check that it is current and has access to issues.",
  forbidden: "The token lacks a permission this needs (issues: read and write).",
  not_a_tracker: "No tracker of that kind answered at this URL. Check the web address and the provider.",
  sync_busy: "A sync is already running; it will pick this up.",
  offline: "The tracker could not be reached. Your changes are kept and pushed later.",
  rate_limited: "The tracker's rate limit was hit; the next sync continues where this one stopped.",
};

/** The message of a failed command (or of anything thrown). */
export function errorMessage(error: unknown): string {
  if (isApiError(error)) {
    return error.message;
  }
  if (error instanceof Error) {
    return error.message;
  }
  return typeof error === "string" ? error : "Something went wrong.";
}

/** The error's stable code, when the backend gave one. */
export function errorCode(error: unknown): string | null {
  return isApiError(error) ? error.code : null;
}

/** What to do about a known error code, if there is advice. */
export function errorHint(code: string | null): string | null {
  return code === null ? null : (HINTS[code] ?? null);
}
