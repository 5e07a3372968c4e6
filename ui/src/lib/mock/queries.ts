// Filtering and sorting the mock's issues as the store's SQL does, with the sorted
// result of each query kept until the data changes (paging then costs nothing).
import type { Connection } from "../bindings/Connection";
import type { Issue } from "../bindings/Issue";
import type { IssueQuery } from "../bindings/IssueQuery";
import { queryKey } from "../issue-filters";

function matcher(query: IssueQuery, connections: readonly Connection[]): (issue: Issue) => boolean {
  const logins = new Map(connections.map((c) => [c.name, c.login]));
  const words = (query.search ?? "").toLowerCase().split(/\s+/).filter((w) => w !== "");
  return (issue) =>
    (query.state === null || issue.state === query.state) &&
    (query.provider === null || issue.provider === query.provider) &&
    (query.connection === null || issue.connection === query.connection) &&
    (query.repo === null || issue.repo === query.repo) &&
    (query.label === null || issue.labels.includes(query.label)) &&
    (query.assignee === null || issue.assignees.includes(query.assignee)) &&
    (!query.assigned_to_me || issue.assignees.includes(logins.get(issue.connection) ?? "\u0000")) &&
    (query.sync_status === null || issue.sync_status === query.sync_status) &&
    words.every((w) => issue.title.toLowerCase().includes(w) || issue.ref.toLowerCase().includes(w));
}

function comparator(query: IssueQuery): (a: Issue, b: Issue) => number {
  const field = query.sort.startsWith("created") ? "created_at" : "updated_at";
  const direction = query.sort.endsWith("desc") ? -1 : 1;
  return (a, b) => (a[field] < b[field] ? -direction : a[field] > b[field] ? direction : b.id - a.id);
}

export class IssueQueries {
  readonly #results = new Map<string, Issue[]>();

  /** Every issue matching the query, in its order (cached until `invalidate`). */
  matching(issues: readonly Issue[], connections: readonly Connection[], query: IssueQuery): Issue[] {
    const key = queryKey(query);
    let result = this.#results.get(key);
    if (!result) {
      result = issues.filter(matcher(query, connections)).sort(comparator(query));
      if (this.#results.size > 20) {
        this.#results.clear();
      }
      this.#results.set(key, result);
    }
    return result;
  }

  invalidate(): void {
    this.#results.clear();
  }
}
