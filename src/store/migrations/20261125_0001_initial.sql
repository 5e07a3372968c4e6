-- The first schema of the local mirror. Shipped: never edit, add a new file instead.

-- A tracker account. No secret here: the token is in the OS keychain under secret_key.
CREATE TABLE connections (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    provider    TEXT NOT NULL CHECK (provider IN ('github', 'gitlab', 'gitea')),
    web_url     TEXT NOT NULL,
    api_url     TEXT NOT NULL,
    has_token   INTEGER NOT NULL DEFAULT 0,
    secret_key  TEXT NOT NULL UNIQUE,
    login       TEXT,
    created_at  TEXT NOT NULL
);

-- A mirrored repository, its partial-sync filter and its pull cursors.
-- issues_cursor: highest remote updated_at stored by a completed pull.
-- pull_* columns: progress of a pull in flight, so a crash resumes at the next page;
-- pull_started_at lets a resumed full listing know which issues it already saw.
CREATE TABLE repos (
    id                   INTEGER PRIMARY KEY,
    connection_id        INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    full_path            TEXT NOT NULL,
    remote_id            INTEGER,
    filter_labels        TEXT NOT NULL DEFAULT '[]',
    filter_milestone     TEXT,
    issues_cursor        TEXT,
    comments_cursor      TEXT,
    pull_since           TEXT,
    pull_next_page       TEXT,
    pull_high_water      TEXT,
    pull_started_at      TEXT,
    last_synced_at       TEXT,
    last_full_sync_at    TEXT,
    created_at           TEXT NOT NULL,
    UNIQUE (connection_id, full_path)
);

CREATE TABLE users (
    connection_id  INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    remote_id      INTEGER NOT NULL,
    login          TEXT NOT NULL,
    display_name   TEXT,
    avatar_url     TEXT,
    PRIMARY KEY (connection_id, remote_id)
);

CREATE TABLE labels (
    repo_id      INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    remote_id    INTEGER,
    color        TEXT,
    description  TEXT,
    PRIMARY KEY (repo_id, name)
);

CREATE TABLE milestones (
    repo_id    INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    remote_id  INTEGER NOT NULL,
    title      TEXT NOT NULL,
    state      TEXT,
    due_on     TEXT,
    PRIMARY KEY (repo_id, remote_id)
);

-- The local working copy of an issue. Until local editing exists it equals the base.
CREATE TABLE issues (
    id                   INTEGER PRIMARY KEY,
    repo_id              INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    remote_id            INTEGER NOT NULL,
    number               INTEGER NOT NULL,
    title                TEXT NOT NULL,
    body                 TEXT NOT NULL,
    state                TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    state_reason         TEXT,
    milestone            TEXT,
    milestone_remote_id  INTEGER,
    author               TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    closed_at            TEXT,
    remote_url           TEXT NOT NULL,
    remote_status        TEXT NOT NULL DEFAULT 'present'
                         CHECK (remote_status IN ('present', 'deleted', 'moved')),
    sync_status          TEXT NOT NULL DEFAULT 'synced'
                         CHECK (sync_status IN ('synced', 'pending', 'conflict')),
    UNIQUE (repo_id, number),
    UNIQUE (repo_id, remote_id)
);
CREATE INDEX issues_updated_at ON issues (updated_at DESC);

CREATE TABLE issue_labels (
    issue_id  INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    PRIMARY KEY (issue_id, name)
);
CREATE INDEX issue_labels_name ON issue_labels (name);

CREATE TABLE issue_assignees (
    issue_id  INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    login     TEXT NOT NULL,
    PRIMARY KEY (issue_id, login)
);
CREATE INDEX issue_assignees_login ON issue_assignees (login);

-- The base snapshot: the last remote version of each issue, as JSON (model::RemoteIssue),
-- with the tracker's concurrency tokens. Three-way merge reads it.
CREATE TABLE issue_bases (
    issue_id     INTEGER PRIMARY KEY REFERENCES issues(id) ON DELETE CASCADE,
    snapshot     TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    fetched_at   TEXT NOT NULL
);

CREATE TABLE comments (
    id          INTEGER PRIMARY KEY,
    issue_id    INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    remote_id   INTEGER NOT NULL,
    author      TEXT,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    remote_url  TEXT,
    UNIQUE (issue_id, remote_id)
);
CREATE INDEX comments_issue ON comments (issue_id, created_at);

-- Audit trail of every sync operation. Never holds a token.
CREATE TABLE sync_log (
    id             INTEGER PRIMARY KEY,
    at             TEXT NOT NULL,
    connection_id  INTEGER REFERENCES connections(id) ON DELETE SET NULL,
    repo_id        INTEGER REFERENCES repos(id) ON DELETE SET NULL,
    issue_id       INTEGER REFERENCES issues(id) ON DELETE SET NULL,
    operation      TEXT NOT NULL,
    result         TEXT NOT NULL CHECK (result IN ('ok', 'error', 'skipped')),
    detail         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sync_log_at ON sync_log (at);

-- Full-text index over title, body and all comment bodies of an issue; rowid = issues.id.
CREATE VIRTUAL TABLE issue_search USING fts5 (
    title, body, comments,
    tokenize = 'unicode61 remove_diacritics 2'
);
