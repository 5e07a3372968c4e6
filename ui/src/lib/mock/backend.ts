// An in-memory stand-in for the Rust backend's commands, used by `npm run dev:mock`
// (VITE_MOCK=1) and by tests. It answers every command in api.ts with the same
// shapes and error codes the backend uses, from the sample dataset.
import type { ApiError } from "../api";
import type { AppSettings } from "../bindings/AppSettings";
import type { Comment } from "../bindings/Comment";
import type { ConflictEntry } from "../bindings/ConflictEntry";
import type { ConflictPolicy } from "../bindings/ConflictPolicy";
import type { Connection } from "../bindings/Connection";
import type { Edited } from "../bindings/Edited";
import type { Field } from "../bindings/Field";
import type { FieldConflict } from "../bindings/FieldConflict";
import type { FieldValue } from "../bindings/FieldValue";
import type { Issue } from "../bindings/Issue";
import type { IssueEdit } from "../bindings/IssueEdit";
import type { IssueQuery } from "../bindings/IssueQuery";
import type { IssueView } from "../bindings/IssueView";
import type { LogRecord } from "../bindings/LogRecord";
import type { NewConnectionRequest } from "../bindings/NewConnectionRequest";
import type { NewIssue } from "../bindings/NewIssue";
import type { RemoteRepo } from "../bindings/RemoteRepo";
import type { Repo } from "../bindings/Repo";
import type { RepoFilter } from "../bindings/RepoFilter";
import type { Resolution } from "../bindings/Resolution";
import type { SyncOverview } from "../bindings/SyncOverview";
import { asOptional, asSet, asState, asText, sameValue } from "../field-values";
import { parseIssueRef } from "../refs";
import { createDataset, generatedBody, generatedComments, iso, labelsFor, milestonesFor, type Dataset } from "./dataset";
import { renderMarkdown } from "./markdown";
import { IssueQueries } from "./queries";
import { syncConnections, type Emit, type Sleep } from "./sync";

type Args = Record<string, unknown>;

export interface MockOptions {
  emit: Emit;
  /** Multiplies every simulated delay; 0 in tests. */
  latency: number;
  dataset?: Dataset;
}

function fail(code: string, message: string): never {
  // The backend rejects with plain { code, message } objects, not Error instances.
  // eslint-disable-next-line @typescript-eslint/only-throw-error
  throw { code, message } satisfies ApiError;
}

const REMOTE_EXTRAS = ["design-system", "docs", "infra", "mobile", "website", "sdk-python", "sdk-go", "terraform-modules", "status-page", "benchmarks"];

export class MockBackend {
  readonly #data: Dataset;
  readonly #emit: Emit;
  readonly #sleep: Sleep;
  readonly #queries = new IssueQueries();
  #settings: AppSettings = { notify_conflicts: true, notify_failures: true, notify_assigned: false, load_remote_images: false, webhook_receiver: false };
  #syncing = false;
  /** What the app asked to open in the system browser (for tests). */
  readonly opened: string[] = [];

  constructor(options: MockOptions) {
    this.#data = options.dataset ?? createDataset();
    this.#emit = options.emit;
    const latency = options.latency;
    this.#sleep = (ms) => (latency > 0 ? new Promise((resolve) => setTimeout(resolve, ms * latency)) : Promise.resolve());
  }

  /** Answers one command, like the Tauri handler would. */
  async handle(command: string, args: Args = {}): Promise<unknown> {
    const latencyByCommand: Record<string, number> = { list_issues: 40, count_issues: 30, issue_view: 60, add_connection: 700, remote_repos: 400 };
    await this.#sleep(latencyByCommand[command] ?? 15);
    const a = args;
    switch (command) {
      case "app_version": return "0.1.0";
      case "settings": return this.#settings;
      case "save_settings": this.#settings = { ...(a.value as AppSettings) }; return this.#settings;
      case "overview": return this.#overview();
      case "list_connections": return this.#data.connections;
      case "add_connection": return this.#addConnection(a.request as NewConnectionRequest);
      case "remove_connection": return this.#removeConnection(a.name as string);
      case "replace_token": return this.#replaceToken(a.name as string, a.token as string);
      case "set_conflict_policy": return this.#updateConnection(a.name as string, { conflict_policy: a.policy as ConflictPolicy });
      case "set_poll_interval": return this.#setPollInterval(a.name as string, a.minutes as number);
      case "list_repos": return this.#data.repos.filter((r) => a.connection === null || r.connection === a.connection);
      case "remote_repos": return this.#remoteRepos(a.connection as string, a.limit as number);
      case "add_repo": return this.#addRepo(a.reference as string, a.filter as RepoFilter);
      case "remove_repo": this.#removeRepo(a.reference as string); return null;
      case "repo_labels": return this.#data.labels.get(this.#repoOf(a.reference as string)) ?? [];
      case "repo_milestones": return this.#data.milestones.get(this.#repoOf(a.reference as string)) ?? [];
      case "assignable_users": return this.#data.people.map((login, i) => ({ remote_id: i + 1, login, display_name: null, avatar_url: null }));
      case "list_issues": return this.#listIssues(a.query as IssueQuery);
      case "count_issues": return this.#matching(a.query as IssueQuery).length;
      case "issue_view": return this.#issueView(a.reference as string);
      case "render_markdown": return renderMarkdown(a.text as string);
      case "edit_issue": return this.#editIssue(a.reference as string, a.edit as IssueEdit);
      case "create_issue": return this.#createIssue(a.repo as string, a.issue as NewIssue);
      case "add_comment": return this.#addComment(a.reference as string, a.body as string);
      case "discard_changes": return this.#discard(a.reference as string);
      case "retry_changes": return this.#retry(a.reference as string);
      case "conflicts": return this.#conflicts();
      case "conflict_draft": return this.#conflictDraft(a.reference as string, a.field as Field);
      case "resolve_conflict": return this.#resolve(a.reference as string, a.field as Field, a.resolution as Resolution);
      case "sync_now": return this.#syncNow(a.connection as string | null);
      case "sync_log": return this.#syncLog(a.limit as number, a.reference as string | null);
      case "open_on_tracker": this.opened.push(this.#issue(a.reference as string).remote_url ?? ""); return null;
      case "open_link": this.opened.push(a.url as string); return null;
      default: return fail("unknown_command", `the mock backend has no command ${command}`);
    }
  }

  // ----- connections and repos ------------------------------------------------------

  #overview(): SyncOverview {
    const outbox = [...this.#data.outbox.values()].flat();
    return {
      connections: this.#data.connections.map((c) => {
        const health = this.#data.health.get(c.name);
        return {
          name: c.name,
          provider: c.provider,
          web_url: c.web_url,
          login: c.login,
          repos: this.#data.repos.filter((r) => r.connection === c.name).length,
          poll_interval_minutes: c.poll_interval_minutes,
          last_synced_at: health?.lastSyncedAt ?? null,
          last_error: health?.lastError ?? null,
          failures_in_a_row: health?.failuresInARow ?? 0,
        };
      }),
      pending: outbox.length,
      failed: outbox.filter((c) => c.failed).length,
      conflicts: [...this.#data.conflicts.values()].reduce((n, list) => n + list.length, 0),
    };
  }

  #connection(name: string): Connection {
    return this.#data.connections.find((c) => c.name === name) ?? fail("unknown_connection", `there is no connection named ${name}`);
  }

  #addConnection(request: NewConnectionRequest) {
    const name = request.name.trim();
    if (name === "" || !/^[A-Za-z0-9_.-]+$/.test(name)) {
      fail("bad_name", "A connection name uses letters, digits, '.', '_' and '-' only.");
    }
    if (this.#data.connections.some((c) => c.name === name)) {
      fail("connection_exists", `A connection named ${name} already exists.`);
    }
    let url: URL;
    try {
      url = new URL(request.web_url.trim());
    } catch {
      return fail("bad_url", `${request.web_url} is not a web address (https://…).`);
    }
    if (url.hostname.includes("not-a-tracker")) {
      fail("not_a_tracker", `${url.host} did not answer like a ${request.provider} instance.`);
    }
    if (request.token !== null && /bad|invalid/i.test(request.token)) {
      fail("unauthorized", `${url.host} refused the token (401 Bad credentials).`);
    }
    const connection: Connection = {
      id: Math.max(0, ...this.#data.connections.map((c) => c.id)) + 1,
      name,
      provider: request.provider,
      web_url: url.href.replace(/\/$/, ""),
      api_url: `${url.origin}/api`,
      has_token: request.token !== null,
      login: request.token === null ? null : "sam-k",
      conflict_policy: "ask",
      poll_interval_minutes: 10,
      created_at: iso(Date.now()),
    };
    this.#data.connections.push(connection);
    this.#data.health.set(name, { lastSyncedAt: null, lastError: null, failuresInARow: 0 });
    return { connection, server_version: request.provider === "gitea" ? "1.22.3" : null };
  }

  #removeConnection(name: string) {
    this.#connection(name);
    this.#data.connections = this.#data.connections.filter((c) => c.name !== name);
    this.#data.repos = this.#data.repos.filter((r) => r.connection !== name);
    this.#dropIssues((issue) => issue.connection === name);
    return { name, keychain_warning: null };
  }

  #updateConnection(name: string, change: Partial<Connection>): Connection {
    const connection = this.#connection(name);
    Object.assign(connection, change);
    return connection;
  }

  #replaceToken(name: string, token: string): Connection {
    if (token.trim() === "" || token.includes("bad")) {
      fail("unauthorized", "the tracker rejected the token (401): check it, or create a new one");
    }
    return this.#updateConnection(name, { has_token: true, login: this.#connection(name).login ?? "you" });
  }

  #setPollInterval(name: string, minutes: number): Connection {
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) {
      fail("bad_interval", "The poll interval is 1 to 1440 minutes.");
    }
    return this.#updateConnection(name, { poll_interval_minutes: minutes });
  }

  #remoteRepos(name: string, limit: number): RemoteRepo[] {
    const connection = this.#connection(name);
    if (name === "forgejo-home") {
      fail("offline", "git.home.example: connection timed out after 30 s");
    }
    const owner = connection.login ?? "public";
    const mirrored = this.#data.repos.filter((r) => r.connection === name).map((r) => r.full_path);
    const owners = [...new Set([...mirrored.map((p) => p.split("/")[0] ?? owner), owner])];
    const paths = [...new Set([...mirrored, ...owners.flatMap((o) => REMOTE_EXTRAS.map((e) => `${o}/${e}`))])];
    return paths.slice(0, limit).map((full_path, i) => ({
      remote_id: 9000 + i,
      full_path,
      description: i % 3 === 0 ? null : `The ${full_path.split("/").pop() ?? ""} project`,
      private: i % 4 === 1,
      web_url: `${connection.web_url}/${full_path}`,
    }));
  }

  #repoOf(reference: string): string {
    return reference.trim();
  }

  #addRepo(reference: string, filter: RepoFilter): Repo {
    const colon = reference.indexOf(":");
    const name = reference.slice(0, colon);
    const path = reference.slice(colon + 1);
    const connection = this.#connection(name);
    if (colon < 1 || !path.includes("/")) {
      fail("bad_reference", `${reference} is not NAME:OWNER/REPO.`);
    }
    const existing = this.#data.repos.find((r) => r.connection === name && r.full_path === path);
    if (existing) {
      existing.filter = filter;
      return existing;
    }
    const repo: Repo = {
      id: Math.max(0, ...this.#data.repos.map((r) => r.id)) + 1,
      connection_id: connection.id,
      connection: name,
      provider: connection.provider,
      full_path: path,
      remote_id: null,
      filter,
      last_synced_at: null,
      last_full_sync_at: null,
    };
    this.#data.repos.push(repo);
    this.#data.labels.set(reference, labelsFor(connection.provider));
    this.#data.milestones.set(reference, milestonesFor(Date.now()));
    return repo;
  }

  #removeRepo(reference: string): void {
    const colon = reference.indexOf(":");
    const name = reference.slice(0, colon);
    const path = reference.slice(colon + 1);
    this.#data.repos = this.#data.repos.filter((r) => !(r.connection === name && r.full_path === path));
    this.#dropIssues((issue) => issue.connection === name && issue.repo === path);
  }

  #dropIssues(gone: (issue: Issue) => boolean): void {
    for (const issue of this.#data.issues.filter(gone)) {
      this.#data.conflicts.delete(issue.id);
      this.#data.outbox.delete(issue.id);
    }
    this.#data.issues = this.#data.issues.filter((issue) => !gone(issue));
    this.#queries.invalidate();
  }

  // ----- issues -------------------------------------------------------------------

  #matching(query: IssueQuery): Issue[] {
    return this.#queries.matching(this.#data.issues, this.#data.connections, query);
  }

  #listIssues(query: IssueQuery): Issue[] {
    const offset = query.offset ?? 0;
    const all = this.#matching(query);
    return all.slice(offset, query.limit === null ? undefined : offset + query.limit);
  }

  #issue(reference: string): Issue {
    const parts = parseIssueRef(reference);
    const local = /^\d+$/.test(reference.trim()) ? Number(reference) : null;
    const issue = this.#data.issues.find((i) => i.ref === reference.trim() || i.id === local);
    if (!issue || (parts === null && local === null)) {
      return fail("unknown_issue", `There is no issue ${reference} in the mirror.`);
    }
    return issue;
  }

  #bodyOf(issue: Issue): string {
    return this.#data.ownBodies.has(issue.id) ? issue.body : generatedBody(issue);
  }

  #commentsOf(issue: Issue): Comment[] {
    let comments = this.#data.comments.get(issue.id);
    if (!comments) {
      comments = generatedComments(issue);
      this.#data.comments.set(issue.id, comments);
    }
    return comments;
  }

  #issueView(reference: string): IssueView {
    const issue = this.#issue(reference);
    const body = this.#bodyOf(issue);
    const comments = this.#commentsOf(issue);
    return {
      detail: {
        ...issue,
        body,
        comments,
        conflicts: this.#data.conflicts.get(issue.id) ?? [],
        pending: this.#data.outbox.get(issue.id) ?? [],
      },
      body_html: renderMarkdown(body),
      comments_html: comments.map((c) => renderMarkdown(c.body)),
      hidden_images: 0,
    };
  }

  #refreshStatus(issue: Issue): void {
    const waiting = this.#data.outbox.get(issue.id) ?? [];
    issue.sync_status = this.#data.conflicts.has(issue.id)
      ? "conflict"
      : waiting.some((c) => c.failed)
        ? "failed"
        : waiting.length > 0
          ? "pending"
          : "synced";
    this.#queries.invalidate();
  }

  #noteEdit(issue: Issue): void {
    const now = iso(Date.now());
    const others = (this.#data.outbox.get(issue.id) ?? []).filter((c) => c.kind !== "update");
    this.#data.outbox.set(issue.id, [
      ...others,
      { kind: "update", failed: false, attempts: 0, next_attempt_at: null, error_code: null, error_message: null, created_at: now },
    ]);
    issue.updated_at = now;
  }

  /** Answers like the core's `Edited`: the issue, flattened, and `in_conflict`. */
  #editIssue(reference: string, edit: IssueEdit): Edited {
    const issue = this.#issue(reference);
    const before = { ...issue, body: this.#bodyOf(issue) };
    if (edit.title !== null) {
      if (edit.title.trim() === "") {
        fail("empty_title", "An issue needs a title.");
      }
      issue.title = edit.title.trim();
    }
    if (edit.body !== null) {
      issue.body = edit.body;
      this.#data.ownBodies.add(issue.id);
    }
    if (edit.state !== null) {
      if (edit.state !== issue.state || edit.state_reason !== null) {
        issue.state_reason = edit.state_reason;
      }
      issue.state = edit.state;
      issue.closed_at = edit.state === "closed" ? iso(Date.now()) : null;
    }
    const applySet = (current: string[], replace: string[] | null, add: string[], remove: string[]) =>
      [...new Set([...(replace ?? current), ...add])].filter((n) => !remove.includes(n)).sort();
    issue.labels = applySet(issue.labels, edit.labels, edit.add_labels, edit.remove_labels);
    issue.assignees = applySet(issue.assignees, edit.assignees, edit.add_assignees, edit.remove_assignees);
    // Absent leaves the milestone alone; null (or "") clears it.
    if (edit.milestone !== undefined) {
      const title = edit.milestone?.trim() ?? "";
      issue.milestone = title === "" ? null : title;
    }
    const fields: [Field, boolean][] = [
      ["title", before.title !== issue.title],
      ["body", before.body !== this.#bodyOf(issue)],
      ["state", before.state !== issue.state || before.state_reason !== issue.state_reason],
      ["labels", !sameValue(before.labels, issue.labels)],
      ["assignees", !sameValue(before.assignees, issue.assignees)],
      ["milestone", before.milestone !== issue.milestone],
    ];
    const changed = fields.filter(([, c]) => c).map(([f]) => f);
    const touched: Record<Field, boolean> = {
      title: edit.title !== null,
      body: edit.body !== null,
      state: edit.state !== null,
      labels: edit.labels !== null || edit.add_labels.length > 0 || edit.remove_labels.length > 0,
      assignees: edit.assignees !== null || edit.add_assignees.length > 0 || edit.remove_assignees.length > 0,
      milestone: edit.milestone !== undefined,
    };
    // Like the core: an open conflict ends only by a decision. An edit of its field
    // replaces "mine" and the conflict stays open, unless mine now equals theirs; the
    // answer names the edited fields still in conflict.
    const inConflict: Field[] = [];
    const open: FieldConflict[] = [];
    for (const conflict of this.#data.conflicts.get(issue.id) ?? []) {
      if (!changed.includes(conflict.field)) {
        open.push(conflict);
        if (touched[conflict.field]) {
          inConflict.push(conflict.field);
        }
        continue;
      }
      const local = this.#fieldValue(issue, conflict.field);
      if (!sameValue(local, conflict.remote)) {
        open.push({ ...conflict, local });
        inConflict.push(conflict.field);
      }
    }
    if (open.length > 0) {
      this.#data.conflicts.set(issue.id, open);
    } else {
      this.#data.conflicts.delete(issue.id);
    }
    if (changed.length > 0) {
      if (!this.#data.bases.has(issue.id)) {
        this.#data.bases.set(issue.id, before);
      }
      this.#noteEdit(issue);
    }
    this.#refreshStatus(issue);
    return { ...issue, in_conflict: inConflict };
  }

  #fieldValue(issue: Issue, field: Field): FieldValue {
    switch (field) {
      case "title":
        return issue.title;
      case "body":
        return this.#bodyOf(issue);
      case "state":
        return { state: issue.state, reason: issue.state_reason };
      case "labels":
        return issue.labels;
      case "assignees":
        return issue.assignees;
      case "milestone":
        return issue.milestone;
    }
  }

  #createIssue(repoReference: string, input: NewIssue): Issue {
    const colon = repoReference.indexOf(":");
    const name = repoReference.slice(0, colon);
    const path = repoReference.slice(colon + 1);
    const connection = this.#connection(name);
    if (!this.#data.repos.some((r) => r.connection === name && r.full_path === path)) {
      fail("unknown_repo", `${repoReference} is not mirrored.`);
    }
    if (input.title.trim() === "") {
      fail("empty_title", "An issue needs a title.");
    }
    const id = this.#data.nextId++;
    const now = iso(Date.now());
    const issue: Issue = {
      id,
      ref: `${name}:${path}#local-${String(id)}`,
      connection: name,
      provider: connection.provider,
      repo: path,
      number: null,
      title: input.title.trim(),
      body: input.body,
      state: "open",
      state_reason: null,
      labels: [...new Set(input.labels)].sort(),
      assignees: [...new Set(input.assignees)].sort(),
      milestone: input.milestone,
      author: connection.login,
      created_at: now,
      updated_at: now,
      closed_at: null,
      remote_url: null,
      sync_status: "pending",
      remote_status: "present",
    };
    this.#data.issues.push(issue);
    this.#data.ownBodies.add(id);
    this.#data.outbox.set(id, [
      { kind: "create", failed: false, attempts: 0, next_attempt_at: null, error_code: null, error_message: null, created_at: now },
    ]);
    this.#refreshStatus(issue);
    return issue;
  }

  #addComment(reference: string, body: string): Comment {
    if (body.trim() === "") {
      fail("bad_field_value", "A comment cannot be empty.");
    }
    const issue = this.#issue(reference);
    const now = iso(Date.now());
    const comment: Comment = {
      id: this.#data.nextId++,
      remote_id: null,
      author: this.#connection(issue.connection).login,
      body,
      created_at: now,
      updated_at: now,
      remote_url: null,
    };
    this.#commentsOf(issue).push(comment);
    const waiting = this.#data.outbox.get(issue.id) ?? [];
    this.#data.outbox.set(issue.id, [
      ...waiting,
      { kind: "comment", failed: false, attempts: 0, next_attempt_at: null, error_code: null, error_message: null, created_at: now },
    ]);
    this.#refreshStatus(issue);
    return comment;
  }

  #retry(reference: string) {
    const issue = this.#issue(reference);
    const changes = this.#data.outbox.get(issue.id) ?? [];
    this.#data.outbox.set(
      issue.id,
      changes.map((c) => ({ ...c, failed: false, attempts: 0, next_attempt_at: null })),
    );
    return this.#issue(reference);
  }

  #discard(reference: string) {
    const issue = this.#issue(reference);
    this.#data.outbox.delete(issue.id);
    this.#data.conflicts.delete(issue.id);
    this.#data.comments.set(issue.id, this.#commentsOf(issue).filter((c) => c.remote_id !== null));
    if (issue.number === null) {
      this.#dropIssues((i) => i.id === issue.id);
      return { result: "deleted", reference: issue.ref };
    }
    const base = this.#data.bases.get(issue.id);
    if (base) {
      Object.assign(issue, { ...base, id: issue.id, ref: issue.ref });
    }
    this.#refreshStatus(issue);
    return { result: "reverted", issue };
  }

  // ----- conflicts ----------------------------------------------------------------

  #conflicts(): ConflictEntry[] {
    const entries: ConflictEntry[] = [];
    for (const [id, list] of this.#data.conflicts) {
      const issue = this.#data.issues.find((i) => i.id === id);
      if (!issue) {
        continue;
      }
      for (const conflict of list) {
        entries.push({
          ref: issue.ref,
          issue_id: id,
          provider: issue.provider,
          title: issue.title,
          detected_at: issue.updated_at,
          ...conflict,
        });
      }
    }
    return entries;
  }

  #openConflict(reference: string, field: Field) {
    const issue = this.#issue(reference);
    const conflict = (this.#data.conflicts.get(issue.id) ?? []).find((c) => c.field === field);
    return conflict ? { issue, conflict } : fail("no_conflict", `${reference} has no conflict on ${field}.`);
  }

  #conflictDraft(reference: string, field: Field): FieldValue {
    const { conflict } = this.#openConflict(reference, field);
    if (field !== "body") {
      return conflict.local;
    }
    return mergeWithMarkers(asText(conflict.base), asText(conflict.local), asText(conflict.remote));
  }

  #resolve(reference: string, field: Field, resolution: Resolution): Issue {
    const { issue, conflict } = this.#openConflict(reference, field);
    const value = resolution.take === "local" ? conflict.local : resolution.take === "remote" ? conflict.remote : resolution.value;
    switch (field) {
      case "title":
      case "body":
        if (typeof value !== "string") {
          fail("bad_field_value", `that value does not fit the ${field} field`);
        }
        if (field === "title") {
          issue.title = value;
        } else {
          issue.body = value;
          this.#data.ownBodies.add(issue.id);
        }
        break;
      case "state":
        issue.state = asState(value).state;
        issue.state_reason = asState(value).reason;
        break;
      case "labels":
        issue.labels = asSet(value);
        break;
      case "assignees":
        issue.assignees = asSet(value);
        break;
      case "milestone":
        // Like the backend: a bare string reads as text, so only null fits here.
        if (value !== null && resolution.take === "value") {
          fail("bad_field_value", "that value does not fit the milestone field");
        }
        issue.milestone = asOptional(value);
        break;
    }
    const open = (this.#data.conflicts.get(issue.id) ?? []).filter((c) => c.field !== field);
    if (open.length > 0) {
      this.#data.conflicts.set(issue.id, open);
    } else {
      this.#data.conflicts.delete(issue.id);
    }
    this.#noteEdit(issue);
    this.#refreshStatus(issue);
    return issue;
  }

  // ----- sync ---------------------------------------------------------------------

  async #syncNow(connection: string | null) {
    if (this.#syncing) {
      fail("sync_busy", "A sync is already running.");
    }
    if (connection !== null) {
      this.#connection(connection);
    }
    this.#syncing = true;
    try {
      return await syncConnections(this.#data, connection, this.#emit, this.#sleep);
    } finally {
      this.#syncing = false;
      this.#queries.invalidate();
    }
  }

  #syncLog(limit: number, reference: string | null): LogRecord[] {
    if (reference !== null) {
      const issue = this.#issue(reference);
      return [
        {
          id: issue.id,
          at: issue.updated_at,
          connection: issue.connection,
          repo: issue.repo,
          issue_number: issue.number,
          operation: "pull",
          result: "ok",
          detail: "updated from the tracker",
        },
      ];
    }
    return this.#data.repos.slice(0, limit).map((repo, i) => ({
      id: i + 1,
      at: repo.last_synced_at ?? iso(Date.now()),
      connection: repo.connection,
      repo: repo.full_path,
      issue_number: null,
      operation: "pull",
      result: "ok",
      detail: "incremental",
    }));
  }
}

/** A line-based stand-in for the core's diff3. When no lines were added or removed,
 * each line merges on its own and runs of lines changed on both sides become marked
 * regions; otherwise everything between the common head and tail is one region. */
export function mergeWithMarkers(base: string, local: string, remote: string): string {
  if (local === base || local === remote) {
    return remote;
  }
  if (remote === base) {
    return local;
  }
  const [b, l, r] = [base, local, remote].map((t) => t.split("\n")) as [string[], string[], string[]];
  if (b.length === l.length && b.length === r.length) {
    const out: string[] = [];
    let mine: string[] = [];
    let theirs: string[] = [];
    const flush = () => {
      if (mine.length > 0) {
        out.push("<<<<<<< mine", ...mine, "=======", ...theirs, ">>>>>>> theirs");
        mine = [];
        theirs = [];
      }
    };
    b.forEach((line, i) => {
      const [ours, other] = [l[i] ?? "", r[i] ?? ""];
      if (ours === line || ours === other || other === line) {
        flush();
        out.push(ours === line ? other : ours);
      } else {
        mine.push(ours);
        theirs.push(other);
      }
    });
    flush();
    return out.join("\n");
  }
  let head = 0;
  while (head < b.length && b[head] === l[head] && b[head] === r[head]) {
    head++;
  }
  let tail = 0;
  while (
    tail < b.length - head &&
    b[b.length - 1 - tail] === l[l.length - 1 - tail] &&
    b[b.length - 1 - tail] === r[r.length - 1 - tail]
  ) {
    tail++;
  }
  const middle = (lines: string[]) => lines.slice(head, lines.length - tail);
  return [
    ...b.slice(0, head),
    "<<<<<<< mine",
    ...middle(l),
    "=======",
    ...middle(r),
    ">>>>>>> theirs",
    ...b.slice(b.length - tail),
  ].join("\n");
}
