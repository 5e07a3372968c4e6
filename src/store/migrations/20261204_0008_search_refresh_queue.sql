-- Issues whose search row waits to be rebuilt: a comment listing of a big import
-- touches an issue once per comment, and rebuilding its row each time costs the square
-- of its comments. Rows are queued here in the comment's transaction and rebuilt once,
-- at the end of the listing or of the next ordinary write (and when a store opens, after
-- a crash). See src/store/search.rs.
CREATE TABLE search_refresh_queue (
    issue_id INTEGER PRIMARY KEY REFERENCES issues (id) ON DELETE CASCADE
);
