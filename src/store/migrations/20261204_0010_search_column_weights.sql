-- Relevance weighs where a word occurs: in the title ten times, in the body four times
-- what it weighs in the comments (bm25 with equal weights ranked an issue that one
-- comment mentions in passing beside one whose title names the word). FTS5 keeps the
-- rank function in the table's configuration, so every `rank` uses it.
INSERT INTO issue_search (issue_search, rank) VALUES ('rank', 'bm25(10.0, 4.0, 1.0)');
