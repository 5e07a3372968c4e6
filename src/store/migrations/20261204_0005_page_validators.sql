-- A stored page validator also says which issue numbers the page held (a JSON array),
-- so a 304 during a full listing counts them as present, and whether the page was full
-- (a full last page may have grown a next page: it is not asked conditionally).
ALTER TABLE http_cache ADD COLUMN held TEXT NOT NULL DEFAULT '[]';
ALTER TABLE http_cache ADD COLUMN full INTEGER NOT NULL DEFAULT 0;
