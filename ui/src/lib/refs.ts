// Issue and repository references as the backend writes them:
// `NAME:OWNER/REPO#NUMBER`, `NAME:OWNER/REPO#local-ID`, and `NAME:OWNER/REPO` for repos.

export interface IssueRefParts {
  connection: string;
  repo: string;
  /** The tracker's number, or null for an issue created here and not pushed yet. */
  number: number | null;
}

/** Splits an issue reference, or null when it is not one. */
export function parseIssueRef(reference: string): IssueRefParts | null {
  const match = /^([^:]+):(.+)#(\d+|local-\d+)$/.exec(reference.trim());
  if (!match) {
    return null;
  }
  const [, connection = "", repo = "", tail = ""] = match;
  return { connection, repo, number: tail.startsWith("local-") ? null : Number(tail) };
}

/** The connection an issue or repository reference belongs to. */
export function connectionOf(reference: string): string {
  const colon = reference.indexOf(":");
  return colon < 0 ? reference : reference.slice(0, colon);
}

/** `NAME:OWNER/REPO`, as addRepo/removeRepo/createIssue take it. */
export function repoRef(connection: string, fullPath: string): string {
  return `${connection}:${fullPath}`;
}

/** "#123", or "new" for an issue that has no number yet. */
export function issueNumberLabel(number: number | null): string {
  return number === null ? "new" : `#${String(number)}`;
}
