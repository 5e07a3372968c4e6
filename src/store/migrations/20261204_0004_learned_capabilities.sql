-- What sync learned about a connection's tracker from its answers: how many assignees an
-- issue can hold ('unknown' until an answer or a listing tells; 'one' on GitLab Free,
-- 'many' elsewhere). See provider::capabilities.
ALTER TABLE connections ADD COLUMN assignee_capacity TEXT NOT NULL DEFAULT 'unknown'
    CHECK (assignee_capacity IN ('unknown', 'one', 'many'));
