// The icons Icon.svelte draws.
export type IconName =
  | "issue-open"
  | "issue-closed"
  | "issue-not-planned"
  | "issue-draft"
  | "sync"
  | "alert"
  | "check"
  | "x"
  | "pencil"
  | "external"
  | "search"
  | "plus"
  | "gear"
  | "conflict"
  | "clock"
  | "inbox";
