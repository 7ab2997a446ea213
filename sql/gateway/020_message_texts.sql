-- 020: the text a message was sent with lives in a table of its own. A
-- message's row is written at the night's planning without it, compactly,
-- and grew by the whole text (a Chinese SMS of two parts: 400 bytes) when
-- it was marked submitting: InnoDB reorganised a full page of the outbox
-- every second message and wrote 7 KB of redo a message, most of it those
-- pages (scripts/bench-send.sh sms 100000 512 with INNODB_METRICS
-- index_page_reorg_attempts: 12,993 for 25,662 messages). Here a text is
-- appended by message_id, in one bulk insert a batch. A message sent
-- again keeps the text of its last attempt, as before; `feegate purge`
-- drops it after [retention] message_days.
CREATE TABLE IF NOT EXISTS message_texts (
  message_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  body       TEXT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
INSERT IGNORE INTO message_texts (message_id, body)
  SELECT message_id, body FROM messages WHERE body IS NOT NULL;
ALTER TABLE messages DROP COLUMN IF EXISTS body;
