// What the connection dialog needs to know about a typed web address before sending a
// token to it. The backend decides (remote_url::sends_in_clear); this only chooses
// whether to offer the "send it anyway" switch, by the same rule.

/** Whether a token to `webUrl` would cross the network unencrypted: plain http to a
 *  host that is not this machine (127.0.0.0/8, ::1, localhost). */
export function sendsInClear(webUrl: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(webUrl.trim());
  } catch {
    return false;
  }
  if (parsed.protocol !== "http:") {
    return false;
  }
  const host = parsed.hostname.toLowerCase();
  const loopback =
    host === "localhost" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
  return !loopback;
}
