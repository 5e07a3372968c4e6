-- ETags of listing URLs per connection, for conditional requests (GitHub answers a
-- matching If-None-Match with a 304 that costs no rate limit). `next_page` is the Link
-- rel="next" of the answer the ETag belongs to.
CREATE TABLE http_cache (
    connection_id  INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    url            TEXT NOT NULL,
    etag           TEXT NOT NULL,
    next_page      TEXT,
    stored_at      TEXT NOT NULL,
    PRIMARY KEY (connection_id, url)
);

-- For trackers that list comments per issue only (GitLab notes): the issue `updated_at`
-- whose comments were last fetched. Comments are due when the base moved past it.
ALTER TABLE issues ADD COLUMN comments_synced_at TEXT;
