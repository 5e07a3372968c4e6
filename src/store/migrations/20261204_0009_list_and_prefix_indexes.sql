-- Measured at 100,000 issues (benches/performance.rs): counting the open issues
-- scanned the whole table (~40 ms), and a filtered page walked every row; this index
-- answers both, and every state + updated-order page, from the index alone.
CREATE INDEX issues_state_updated ON issues (state, updated_at, id);

-- As-you-type searches ask for the last word as a prefix; a 4-letter prefix of a common
-- word merged thousands of doclists (~60 ms). Prefix indexes of 1 to 4 letters make
-- each of those one lookup. The index is rebuilt from the issues and comments.
DROP TABLE issue_search;
CREATE VIRTUAL TABLE issue_search USING fts5 (
    title, body, comments,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3 4'
);
INSERT INTO issue_search (rowid, title, body, comments)
    SELECT i.id, i.title, i.body,
           coalesce((SELECT group_concat(body, char(10)) FROM comments WHERE issue_id = i.id), '')
    FROM issues i;
DELETE FROM search_refresh_queue;
INSERT INTO issue_search (issue_search) VALUES ('optimize');
