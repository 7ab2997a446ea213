-- 002: what the dispatcher needs: per-message receipt tokens, the text as
-- sent, SMS parts (cost), provider timestamps; contacts that failed
-- permanently; the statements are idempotent.

ALTER TABLE messages
  ADD COLUMN IF NOT EXISTS receipt_token CHAR(32) CHARACTER SET ascii NULL,
  ADD COLUMN IF NOT EXISTS body TEXT NULL,
  ADD COLUMN IF NOT EXISTS parts TINYINT UNSIGNED NULL,
  ADD COLUMN IF NOT EXISTS submitted_at DATETIME(6) NULL,
  ADD COLUMN IF NOT EXISTS final_at DATETIME(6) NULL;

-- submitting: the request is (about to be) on its way; a message left
-- here by a dispatcher that died is "in doubt" (see gateway/outbox.h).
ALTER TABLE messages MODIFY state
  ENUM('queued','leased','submitting','accepted','delivered','retry',
       'failed_permanent','expired','cancelled') NOT NULL DEFAULT 'queued';

-- Leases are found by owner when a dispatcher stops or restarts.
ALTER TABLE messages ADD INDEX IF NOT EXISTS messages_lease (lease_owner, state);

-- A contact that failed permanently (invalid number, opted out, rejected)
-- is not tried again while billing still has the same address for it; a
-- corrected address is tried again.
CREATE TABLE IF NOT EXISTS contact_blocks (
  contact_id BIGINT       NOT NULL PRIMARY KEY,
  channel    VARCHAR(16)  NOT NULL,
  address    VARCHAR(320) NOT NULL,
  reason     VARCHAR(255) NOT NULL,
  since      DATETIME(6)  NOT NULL,
  failures   INT UNSIGNED NOT NULL DEFAULT 1
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
