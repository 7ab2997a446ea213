-- 008: one row per committed write transaction of the gateway, written as
-- its last statement. When the connection goes during COMMIT, the client
-- cannot tell whether the server committed; once connected again it looks
-- for the transaction's mark (gateway/db.c, db_commit): found, it was
-- committed; not found, it was rolled back and is run again. Marks older
-- than a day are of no use and are deleted by the dispatcher's recovery.
CREATE TABLE IF NOT EXISTS commit_marks (
  mark    CHAR(32) CHARACTER SET ascii NOT NULL PRIMARY KEY,
  made_at DATETIME NOT NULL,
  KEY commit_marks_made (made_at)
) ENGINE=InnoDB;
