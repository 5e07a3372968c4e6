-- Local editing: issues and comments may exist only locally until pushed, edits wait
-- in a durable outbox, and fields changed differently on both sides wait as conflicts.
-- Runs with foreign keys off (the store checks them before committing), because SQLite
-- changes a column's constraints only by rebuilding its table.

-- issues: number/remote_id/remote_url are NULL until a local create is pushed;
-- client_id is the marker a local create carries to the tracker; sync_status goes
-- (it is derived from the outbox and the conflicts now, never stored).
CREATE TABLE issues_rebuilt (
    id                   INTEGER PRIMARY KEY,
    repo_id              INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    remote_id            INTEGER,
    number               INTEGER,
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
    remote_url           TEXT,
    remote_status        TEXT NOT NULL DEFAULT 'present'
                         CHECK (remote_status IN ('present', 'deleted', 'moved')),
    comments_synced_at   TEXT,
    client_id            TEXT UNIQUE,
    UNIQUE (repo_id, number),
    UNIQUE (repo_id, remote_id)
);
INSERT INTO issues_rebuilt (id, repo_id, remote_id, number, title, body, state, state_reason,
        milestone, milestone_remote_id, author, created_at, updated_at, closed_at, remote_url,
        remote_status, comments_synced_at)
    SELECT id, repo_id, remote_id, number, title, body, state, state_reason, milestone,
        milestone_remote_id, author, created_at, updated_at, closed_at, remote_url,
        remote_status, comments_synced_at
    FROM issues;
DROP TABLE issues;
ALTER TABLE issues_rebuilt RENAME TO issues;
-- The list's orders, with the id as tie-breaker, so a window anywhere in 100,000 rows is
-- an index walk.
CREATE INDEX issues_updated ON issues (updated_at, id);
CREATE INDEX issues_created ON issues (created_at, id);

-- comments: remote_id is NULL until a local comment is pushed.
CREATE TABLE comments_rebuilt (
    id          INTEGER PRIMARY KEY,
    issue_id    INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    remote_id   INTEGER,
    author      TEXT,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    remote_url  TEXT,
    client_id   TEXT UNIQUE,
    UNIQUE (issue_id, remote_id)
);
INSERT INTO comments_rebuilt (id, issue_id, remote_id, author, body, created_at, updated_at,
        remote_url)
    SELECT id, issue_id, remote_id, author, body, created_at, updated_at, remote_url
    FROM comments;
DROP TABLE comments;
ALTER TABLE comments_rebuilt RENAME TO comments;
CREATE INDEX comments_issue ON comments (issue_id, created_at);

-- The search index gains prefix indexes (search as you type asks for the last word as a
-- prefix) and is rebuilt from the issues and comments.
DROP TABLE issue_search;
CREATE VIRTUAL TABLE issue_search USING fts5 (
    title, body, comments,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
INSERT INTO issue_search (rowid, title, body, comments)
    SELECT i.id, i.title, i.body,
           coalesce((SELECT group_concat(body, char(10)) FROM comments WHERE issue_id = i.id), '')
    FROM issues i;

-- What to do when a field changed differently on both sides, and how often the desktop
-- app syncs the connection by itself.
ALTER TABLE connections ADD COLUMN conflict_policy TEXT NOT NULL DEFAULT 'ask'
    CHECK (conflict_policy IN ('ask', 'remote-wins', 'local-wins'));
ALTER TABLE connections ADD COLUMN poll_interval_minutes INTEGER NOT NULL DEFAULT 5
    CHECK (poll_interval_minutes BETWEEN 1 AND 1440);

-- Application settings (desktop notifications and the like), one JSON value per key.
CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

-- Local changes waiting for the tracker, oldest first.
-- kind 'update': the issue's working copy differs from its base; what to send is derived
--   from the two when pushing, so an issue has at most one such row.
-- kind 'create' / 'comment': carry client_id, the marker written into the body, so that
--   after an ambiguous failure the tracker is searched before sending again.
-- sent_at: set (durably) just before a create or comment is sent; a row with it set may
--   already be on the tracker.
-- state 'failed': the tracker refused it for good (validation, permissions, deleted
--   issue); kept, with the tracker's message, until the person edits or discards it.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    issue_id         INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    comment_id       INTEGER REFERENCES comments(id) ON DELETE CASCADE,
    kind             TEXT NOT NULL CHECK (kind IN ('create', 'update', 'comment')),
    client_id        TEXT,
    state            TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT,
    sent_at          TEXT,
    error_code       TEXT,
    error_message    TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    CHECK ((kind = 'comment') = (comment_id IS NOT NULL))
);
CREATE INDEX outbox_issue ON outbox (issue_id);
CREATE UNIQUE INDEX outbox_one_update_per_issue ON outbox (issue_id) WHERE kind = 'update';
CREATE UNIQUE INDEX outbox_one_create_per_issue ON outbox (issue_id) WHERE kind = 'create';

-- Fields changed differently on both sides, waiting for the person. Values are JSON
-- (sync::merge::FieldValue). Nothing is pushed for a conflicted field until resolved.
CREATE TABLE conflicts (
    issue_id     INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    field        TEXT NOT NULL
                 CHECK (field IN ('title', 'body', 'state', 'labels', 'assignees', 'milestone')),
    base         TEXT NOT NULL,
    local        TEXT NOT NULL,
    remote       TEXT NOT NULL,
    detected_at  TEXT NOT NULL,
    PRIMARY KEY (issue_id, field)
);
