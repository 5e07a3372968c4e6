// The mock backend's sample data: connections on all three kinds of tracker, repos
// with coloured labels, ~100k generated issues, and a few hand-made ones in conflict,
// pending and failed, so every screen has something real to show.
import type { Comment } from "../bindings/Comment";
import type { Connection } from "../bindings/Connection";
import type { FieldConflict } from "../bindings/FieldConflict";
import type { Issue } from "../bindings/Issue";
import type { Label } from "../bindings/Label";
import type { Milestone } from "../bindings/Milestone";
import type { PendingChange } from "../bindings/PendingChange";
import type { ProviderKind } from "../bindings/ProviderKind";
import type { Repo } from "../bindings/Repo";
import { pick, pickSome, seededRandom, type Random } from "./random";

export interface ConnectionHealth {
  lastSyncedAt: string | null;
  lastError: string | null;
  failuresInARow: number;
}

export interface Dataset {
  connections: Connection[];
  health: Map<string, ConnectionHealth>;
  repos: Repo[];
  labels: Map<string, Label[]>;
  milestones: Map<string, Milestone[]>;
  issues: Issue[];
  /** The tracker's version of each issue, for discard and for sync. */
  bases: Map<number, Issue>;
  comments: Map<number, Comment[]>;
  conflicts: Map<number, FieldConflict[]>;
  outbox: Map<number, PendingChange[]>;
  /** Issues whose `body` is real; the rest get a generated one when viewed. */
  ownBodies: Set<number>;
  people: string[];
  nextId: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export const PEOPLE = [
  "octo-dev", "mira", "lena", "sam-k", "jdoe", "priya", "tomasz", "ana-lima", "kenji", "fatou", "oliver", "zoe",
];

const GITHUB_LABELS: [string, string | null][] = [
  ["bug", "d73a4a"], ["enhancement", "a2eeef"], ["documentation", "0075ca"], ["good first issue", "7057ff"],
  ["help wanted", "008672"], ["question", "d876e3"], ["wontfix", "ffffff"], ["duplicate", "cfd3d7"],
  ["priority: high", "b60205"], ["area: editor", "c5def5"], ["area: sync", "fbca04"], ["security", "0e1a5c"],
  ["performance", "5319e7"], ["needs triage", "e4e669"], ["legacy", null],
];
const GITLAB_LABELS: [string, string | null][] = [
  ["bug", "dc143c"], ["feature", "428bca"], ["backend", "5843ad"], ["frontend", "69d100"], ["devops", "330066"],
  ["priority::1", "ff0000"], ["priority::2", "ed9121"], ["priority::3", "f0ad4e"], ["workflow::ready", "a8d695"],
  ["workflow::in review", "7f8c8d"], ["tech debt", "8e44ad"], ["customer", "ad4363"],
];
const GITEA_LABELS: [string, string | null][] = [
  ["Kind/Bug", "ee0701"], ["Kind/Feature", "0288d1"], ["Kind/Docs", "c2e0c6"], ["Kind/Testing", "795548"],
  ["Priority/High", "b71c1c"], ["Priority/Low", "4caf50"], ["Status/Blocked", "880e4f"], ["Reviewed/Confirmed", "795548"],
  ["Compat/Breaking", "c62828"],
];

const SUBJECTS = [
  "the editor", "search results", "the login page", "dark mode", "CSV export", "webhooks", "the sync queue",
  "notifications", "file uploads", "the settings page", "pagination", "OAuth tokens", "the CLI", "markdown tables",
  "keyboard shortcuts", "the REST API", "image previews", "the issue sidebar", "time zones", "rate limiting",
  "the mobile layout", "release builds", "the audit log", "SSO with SAML", "the dashboard",
];
const PROBLEMS = [
  "crashes when", "is slow when", "loses data when", "shows a blank page when", "ignores the locale when",
  "breaks after", "times out when", "double-counts items when", "flickers when", "leaks memory when",
];
const SITUATIONS = [
  "the window is resized", "offline", "a filter is applied", "there are 10k rows", "switching accounts",
  "the token expires", "opening a second tab", "using Safari", "the clock is skewed", "importing from Jira",
  "a label has emoji", "the repo is archived", "upgrading to 2.0",
];
const FEATURES = [
  "Add an option to hide", "Support bulk editing of", "Allow sorting", "Document how to configure",
  "Make it possible to pin", "Improve contrast of", "Add keyboard navigation to", "Cache",
];

export function labelsFor(provider: ProviderKind): Label[] {
  const source = provider === "github" ? GITHUB_LABELS : provider === "gitlab" ? GITLAB_LABELS : GITEA_LABELS;
  return source.map(([name, color], i) => ({
    remote_id: 1000 + i,
    name,
    color,
    description: name === "good first issue" ? "Good for newcomers" : null,
  }));
}

export function milestonesFor(now: number): Milestone[] {
  return ["v1.4", "v1.5", "v2.0", "Backlog"].map((title, i) => ({
    remote_id: i + 1,
    title,
    state: i === 0 ? "closed" : "open",
    due_on: title === "Backlog" ? null : iso(now + (i - 1) * 30 * DAY),
  }));
}

function title(random: Random): string {
  if (random() < 0.6) {
    const text = `${pick(random, SUBJECTS)} ${pick(random, PROBLEMS)} ${pick(random, SITUATIONS)}`;
    return text.charAt(0).toUpperCase() + text.slice(1);
  }
  return `${pick(random, FEATURES)} ${pick(random, SUBJECTS)}`;
}

/** A short markdown body, made from the issue's id so it needs no storage. */
export function generatedBody(issue: Issue): string {
  const random = seededRandom(issue.id * 7919);
  return [
    `### What happens\n\n${issue.title}. It started after ${pick(random, SITUATIONS)}.`,
    `### Steps\n\n1. Open ${pick(random, SUBJECTS)}\n2. Wait a few seconds\n3. See the error`,
    `See https://example.com/docs/${String(issue.id)} and \`config.toml\` for details.`,
  ].join("\n\n");
}

export function generatedComments(issue: Issue): Comment[] {
  const random = seededRandom(issue.id * 104729);
  const count = Math.floor(random() * 4);
  const at = Date.parse(issue.created_at);
  return Array.from({ length: count }, (_, i) => {
    const created = iso(at + (i + 1) * 5 * HOUR);
    return {
      id: issue.id * 10 + i,
      remote_id: issue.id * 10 + i,
      author: pick(random, PEOPLE),
      body: pick(random, [
        "I can reproduce this on the latest release.",
        "Could this be related to the cache change last week?",
        "Fixed in the next build, please check **tomorrow's** nightly.",
        "+1, this blocks our migration.",
      ]),
      created_at: created,
      updated_at: created,
      remote_url: issue.remote_url === null ? null : `${issue.remote_url}#comment-${String(i)}`,
    };
  });
}

interface RepoSeed {
  connection: string;
  path: string;
  issues: number;
}

const CONNECTIONS: { name: string; provider: ProviderKind; web_url: string; login: string | null; poll: number }[] = [
  { name: "github", provider: "github", web_url: "https://github.com", login: "octo-dev", poll: 5 },
  { name: "gitlab-work", provider: "gitlab", web_url: "https://gitlab.example.com", login: "mira", poll: 10 },
  { name: "codeberg", provider: "gitea", web_url: "https://codeberg.org", login: "lena", poll: 15 },
  { name: "forgejo-home", provider: "gitea", web_url: "https://git.home.example", login: null, poll: 30 },
];

const REPO_SEEDS: RepoSeed[] = [
  { connection: "github", path: "acme/webapp", issues: 42_000 },
  { connection: "github", path: "acme/cli", issues: 9_000 },
  { connection: "github", path: "octo-dev/dotfiles", issues: 300 },
  { connection: "gitlab-work", path: "platform/backend/api", issues: 31_000 },
  { connection: "gitlab-work", path: "platform/infra/terraform", issues: 6_000 },
  { connection: "codeberg", path: "lena/notes-app", issues: 7_000 },
  { connection: "codeberg", path: "Codeberg/Community", issues: 4_500 },
  { connection: "forgejo-home", path: "home/automation", issues: 200 },
];

export function issueUrl(connection: Connection, repo: string, number: number): string {
  const path = connection.provider === "gitlab" ? "/-/issues/" : "/issues/";
  return `${connection.web_url}/${repo}${path}${String(number)}`;
}

function makeConnections(now: number): Connection[] {
  return CONNECTIONS.map((c, i) => ({
    id: i + 1,
    name: c.name,
    provider: c.provider,
    web_url: c.web_url,
    api_url: c.provider === "github" ? "https://api.github.com" : `${c.web_url}/api/${c.provider === "gitlab" ? "v4" : "v1"}`,
    has_token: c.login !== null,
    login: c.login,
    conflict_policy: "ask",
    poll_interval_minutes: c.poll,
    created_at: iso(now - 90 * DAY),
  }));
}

function generateIssues(data: Dataset, now: number): void {
  const random = seededRandom(20261201);
  for (const seed of REPO_SEEDS) {
    const connection = data.connections.find((c) => c.name === seed.connection);
    const repo = data.repos.find((r) => r.connection === seed.connection && r.full_path === seed.path);
    if (!connection || !repo) {
      continue;
    }
    const labelNames = (data.labels.get(`${seed.connection}:${seed.path}`) ?? []).map((l) => l.name);
    const milestoneTitles = ["v1.4", "v1.5", "v2.0", "Backlog"];
    for (let number = 1; number <= seed.issues; number++) {
      const created = now - (seed.issues - number + 1) * (2 * DAY * 365 / seed.issues) - random() * HOUR;
      const updated = created + random() ** 4 * Math.max(0, now - 120_000 - created);
      const closed = random() < 0.55;
      data.issues.push({
        id: data.nextId++,
        ref: `${seed.connection}:${seed.path}#${String(number)}`,
        connection: seed.connection,
        provider: connection.provider,
        repo: seed.path,
        number,
        title: title(random),
        body: "",
        state: closed ? "closed" : "open",
        state_reason: closed && connection.provider === "github" ? (random() < 0.8 ? "completed" : "not_planned") : null,
        labels: pickSome(random, labelNames, 3).sort(),
        assignees: pickSome(random, PEOPLE, 2).sort(),
        milestone: random() < 0.3 ? pick(random, milestoneTitles) : null,
        author: pick(random, PEOPLE),
        created_at: iso(created),
        updated_at: iso(updated),
        closed_at: closed ? iso(updated) : null,
        remote_url: issueUrl(connection, seed.path, number),
        sync_status: "synced",
        remote_status: "present",
      });
    }
  }
}

function byRef(data: Dataset, reference: string): Issue {
  const issue = data.issues.find((i) => i.ref === reference);
  if (!issue) {
    throw new Error(`sample issue ${reference} missing`);
  }
  return issue;
}

const BODY_BASE = `The editor keeps drafts in memory only.

### Steps
1. Open an issue and start typing
2. Close the window
3. Reopen: the draft is gone

### Expected
The draft is still there.
`;
const BODY_LOCAL = `The editor keeps drafts in memory only, so closing the window loses them.

### Steps
1. Open an issue and start typing a long comment
2. Close the window
3. Reopen: the draft is gone

### Expected
The draft is still there.
`;
const BODY_REMOTE = `The editor keeps drafts in memory; they should be saved to disk.

### Steps
1. Open an issue and start typing
2. Quit the app with Ctrl+Q
3. Reopen: the draft is gone

### Expected
The draft is restored, with the cursor where it was.
`;

/** The hand-made issues: conflicts of every shape, a pending edit, a refused one, a draft. */
function addStories(data: Dataset, now: number): void {
  const recent = (minutes: number) => iso(now - minutes * 60_000);

  const drafts = byRef(data, "github:acme/webapp#41990");
  Object.assign(drafts, {
    title: "Editor loses unsaved drafts when the window closes",
    body: BODY_LOCAL,
    state: "open",
    state_reason: null,
    labels: ["area: editor", "bug"],
    updated_at: recent(12),
    sync_status: "conflict",
  });
  data.bases.set(drafts.id, { ...drafts, title: "Editor loses unsaved draft", body: BODY_BASE });
  data.ownBodies.add(drafts.id);
  data.conflicts.set(drafts.id, [
    {
      field: "title",
      base: "Editor loses unsaved draft",
      local: "Editor loses unsaved drafts when the window closes",
      remote: "Editor loses unsaved draft on quit",
    },
    { field: "body", base: BODY_BASE, local: BODY_LOCAL, remote: BODY_REMOTE },
  ]);

  const limiter = byRef(data, "gitlab-work:platform/backend/api#30991");
  Object.assign(limiter, {
    title: "Rate limiter answers 500 instead of 429",
    state: "open",
    labels: ["backend", "bug", "priority::1"],
    assignees: ["mira"],
    updated_at: recent(45),
    sync_status: "conflict",
  });
  data.bases.set(limiter.id, { ...limiter, labels: ["backend", "bug"] });
  data.conflicts.set(limiter.id, [
    { field: "labels", base: ["backend", "bug"], local: ["backend", "bug", "priority::1"], remote: ["backend", "customer"] },
    {
      field: "state",
      base: { state: "open", reason: null },
      local: { state: "open", reason: null },
      remote: { state: "closed", reason: null },
    },
  ]);

  const notes = byRef(data, "codeberg:lena/notes-app#6990");
  Object.assign(notes, {
    title: "Sync notes to a WebDAV folder",
    milestone: "v2.0",
    assignees: ["lena"],
    updated_at: recent(90),
    sync_status: "conflict",
  });
  data.bases.set(notes.id, { ...notes, milestone: "v1.5", assignees: [] });
  data.conflicts.set(notes.id, [
    { field: "milestone", base: "v1.5", local: "v2.0", remote: "Backlog" },
    { field: "assignees", base: [], local: ["lena"], remote: ["oliver"] },
  ]);

  const pending = byRef(data, "github:acme/webapp#41995");
  data.bases.set(pending.id, { ...pending });
  Object.assign(pending, { title: "Search ignores closed issues by default — document it", updated_at: recent(3), sync_status: "pending" });
  data.outbox.set(pending.id, [
    { kind: "update", failed: false, attempts: 0, next_attempt_at: null, error_code: null, error_message: null, created_at: recent(3) },
  ]);

  const refused = byRef(data, "gitlab-work:platform/backend/api#30995");
  data.bases.set(refused.id, { ...refused });
  Object.assign(refused, { assignees: ["former-employee"], updated_at: recent(30), sync_status: "failed" });
  data.outbox.set(refused.id, [
    {
      kind: "update",
      failed: true,
      attempts: 1,
      next_attempt_at: null,
      error_code: "forbidden",
      error_message: "GitLab refused the change: 403 Forbidden (former-employee cannot be assigned)",
      created_at: recent(30),
    },
  ]);

  const github = data.connections.find((c) => c.name === "github");
  const draftId = data.nextId++;
  data.issues.push({
    id: draftId,
    ref: `github:acme/cli#local-${String(draftId)}`,
    connection: "github",
    provider: "github",
    repo: "acme/cli",
    number: null,
    title: "Add --json to `acme status`",
    body: "Scripts need machine-readable output.\n\n- [ ] `status --json`\n- [ ] document the schema",
    state: "open",
    state_reason: null,
    labels: ["enhancement"],
    assignees: github?.login ? [github.login] : [],
    milestone: null,
    author: github?.login ?? null,
    created_at: recent(1),
    updated_at: recent(1),
    closed_at: null,
    remote_url: null,
    sync_status: "pending",
    remote_status: "present",
  });
  data.ownBodies.add(draftId);
  data.outbox.set(draftId, [
    { kind: "create", failed: false, attempts: 0, next_attempt_at: null, error_code: null, error_message: null, created_at: recent(1) },
  ]);
}

/** A first start: nothing connected yet (`?mock=empty`). */
export function createEmptyDataset(): Dataset {
  return {
    connections: [],
    health: new Map(),
    repos: [],
    labels: new Map(),
    milestones: new Map(),
    issues: [],
    bases: new Map(),
    comments: new Map(),
    conflicts: new Map(),
    outbox: new Map(),
    ownBodies: new Set(),
    people: PEOPLE,
    nextId: 1,
  };
}

export function createDataset(now: number = Date.now()): Dataset {
  const connections = makeConnections(now);
  const data: Dataset = {
    connections,
    health: new Map([
      ["github", { lastSyncedAt: iso(now - 4 * 60_000), lastError: null, failuresInARow: 0 }],
      ["gitlab-work", { lastSyncedAt: iso(now - 9 * 60_000), lastError: null, failuresInARow: 0 }],
      ["codeberg", { lastSyncedAt: iso(now - 2 * HOUR), lastError: null, failuresInARow: 0 }],
      [
        "forgejo-home",
        { lastSyncedAt: iso(now - 3 * DAY), lastError: "git.home.example: connection timed out after 30 s", failuresInARow: 3 },
      ],
    ]),
    repos: REPO_SEEDS.map((seed, i) => {
      const connection = connections.find((c) => c.name === seed.connection);
      return {
        id: i + 1,
        connection_id: connection?.id ?? 0,
        connection: seed.connection,
        provider: connection?.provider ?? "gitea",
        full_path: seed.path,
        remote_id: 500 + i,
        filter: { labels: [], milestone: null },
        last_synced_at: iso(now - 4 * 60_000),
        last_full_sync_at: iso(now - DAY),
      };
    }),
    labels: new Map(),
    milestones: new Map(),
    issues: [],
    bases: new Map(),
    comments: new Map(),
    conflicts: new Map(),
    outbox: new Map(),
    ownBodies: new Set(),
    people: PEOPLE,
    nextId: 1,
  };
  for (const repo of data.repos) {
    const key = `${repo.connection}:${repo.full_path}`;
    data.labels.set(key, labelsFor(repo.provider));
    data.milestones.set(key, milestonesFor(now));
  }
  generateIssues(data, now);
  addStories(data, now);
  return data;
}
