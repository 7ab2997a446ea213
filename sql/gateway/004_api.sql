-- 004: real-time service notices from the utility's systems (POST
-- /api/v1/notices). The caller's idempotency key is unique: the same key
-- returns the same notice and queues nothing again; the request's SHA-256
-- tells a true replay from a different request reusing a key. data holds
-- the notice's values (amount, ticket, ...) as the caller sent them,
-- validated.
ALTER TABLE notices
  ADD COLUMN IF NOT EXISTS request_key VARCHAR(64) CHARACTER SET ascii NULL,
  ADD COLUMN IF NOT EXISTS request_hash CHAR(64) CHARACTER SET ascii NULL,
  ADD COLUMN IF NOT EXISTS data TEXT NULL;
ALTER TABLE notices ADD UNIQUE KEY IF NOT EXISTS notices_request (request_key);
-- Caps count an account's routine notices of the day.
ALTER TABLE notices ADD INDEX IF NOT EXISTS notices_account_day (account_no, sent_on);
