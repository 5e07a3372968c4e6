-- Agent access (`issuesync mcp`).
-- Which repositories of a connection a software agent may change: globs over the
-- repository path (`owner/*`, `group/**`). No row: agents may not write at all.
CREATE TABLE agent_write_globs (
    connection_id  INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    pattern        TEXT NOT NULL,
    PRIMARY KEY (connection_id, pattern)
);

-- Who made a local change: NULL for the person at this machine, otherwise the name the
-- MCP client gave (`clientInfo.name`). The outbox keeps it until the change is pushed,
-- so the push is marked too.
ALTER TABLE outbox ADD COLUMN agent TEXT;
ALTER TABLE sync_log ADD COLUMN agent TEXT;
