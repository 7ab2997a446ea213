-- 017: the progress reports a message has had (a call's "initiated",
-- "ringing", "in-progress"; an SMSC's "sent"), each code followed by a
-- newline, kept on its row: a report posted again is a duplicate. They
-- were looked up in the audit trail through the account's index for every
-- batch of receipts, a quarter of the receipts' database time in a night
-- with voice calls. The trail still has every report applied. A new
-- column at the end: MariaDB adds it without copying the table.
ALTER TABLE messages
  ADD COLUMN IF NOT EXISTS progress VARCHAR(512) NULL;
