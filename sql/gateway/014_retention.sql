-- 014: retention ([retention], gateway/purge.c). A message's rendered
-- text and full address are kept message_days after its final state, then
-- the text is dropped and the address kept masked (redacted_on says when);
-- closed cases go history_days after closed_on, found through their own
-- index. purge_marks keeps how far the purge has walked a table that it
-- does not empty (messages, by message_id), so each night reads only what
-- is new. Adding a NULL column at the end is instant.
ALTER TABLE messages ADD COLUMN IF NOT EXISTS redacted_on DATE NULL;
ALTER TABLE dunning_cases ADD INDEX IF NOT EXISTS cases_closed (closed_on);
CREATE TABLE IF NOT EXISTS purge_marks (
  what VARCHAR(32) CHARACTER SET ascii NOT NULL PRIMARY KEY,
  upto BIGINT UNSIGNED NOT NULL
) ENGINE=InnoDB;
