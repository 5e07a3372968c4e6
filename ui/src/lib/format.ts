// Pure text helpers for the UI: no DOM, no backend, so they are unit-tested.

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/**
 * Turns a version from the backend into the label shown in the header
 * ("v0.1.0"), or null when it is not a semantic version.
 */
export function formatVersion(raw: string): string | null {
  const version = raw.trim().replace(/^v/i, "");
  return SEMVER.test(version) ? `v${version}` : null;
}

/** What the header shows when the version could not be read or is malformed. */
export const VERSION_UNAVAILABLE = "version unavailable";

/** The header's version label for whatever `appVersion()` settled to. */
export function versionLabel(result: PromiseSettledResult<string>): string {
  if (result.status === "rejected") {
    return VERSION_UNAVAILABLE;
  }
  return formatVersion(result.value) ?? VERSION_UNAVAILABLE;
}
