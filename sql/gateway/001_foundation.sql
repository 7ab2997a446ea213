-- 001: the gateway's own schema: cases, notices, the outbox, collection
-- tasks, input errors and the audit trail.
--
-- Statements end with ';' at the end of a line; `feegate db migrate` applies
-- each file once, in order, and records it in schema_migrations. Every
-- statement is idempotent so that a migration interrupted half-way can be
-- run again.

-- One row per business date the planner has run.
CREATE TABLE IF NOT EXISTS nights (
  business_date DATE        NOT NULL PRIMARY KEY,
  first_run_at  DATETIME(6) NOT NULL,
  last_run_at   DATETIME(6) NOT NULL,
  runs          INT UNSIGNED NOT NULL DEFAULT 1
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A dunning case: one overdue episode of one account, open until the
-- balance is paid (or falls below the minimum), the account goes on hold,
-- or the customer disappears from billing. active_account equals account_no
-- while the case is open or escalated, NULL once closed: the unique key makes
-- "at most one active case per account" a database guarantee, and is also
-- how the night finds the active cases among all the closed ones.
CREATE TABLE IF NOT EXISTS dunning_cases (
  case_id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_no      VARCHAR(32)   NOT NULL,
  state           ENUM('open','escalated','closed') NOT NULL DEFAULT 'open',
  close_reason    VARCHAR(16)   NULL,
  step            TINYINT UNSIGNED NOT NULL DEFAULT 0,
  opened_on       DATE          NOT NULL,
  closed_on       DATE          NULL,
  balance_at_open DECIMAL(14,2) NOT NULL,
  active_account  VARCHAR(32)   NULL,
  UNIQUE KEY cases_one_active (active_account),
  KEY cases_account (account_no)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A notice: one step of the ladder (seq 1..notices), sent on one business
-- date to one or more contacts. unreachable = 1: no consented, valid contact;
-- such a notice fails at once and still counts toward escalation.
CREATE TABLE IF NOT EXISTS notices (
  notice_id   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  case_id     BIGINT UNSIGNED NULL,
  account_no  VARCHAR(32)  NOT NULL,
  kind        VARCHAR(16)  NOT NULL DEFAULT 'dunning',
  seq         TINYINT UNSIGNED NOT NULL,
  sent_on     DATE         NOT NULL,
  state       ENUM('planned','sending','sent','delivered','failed','settled','cancelled')
              NOT NULL DEFAULT 'planned',
  unreachable TINYINT(1)   NOT NULL DEFAULT 0,
  failed_on   DATE         NULL,
  closed_on   DATE         NULL,
  UNIQUE KEY notices_case_seq (case_id, seq),
  KEY notices_account (account_no)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The outbox: one row per notice and contact. The address is copied from
-- billing so the row says exactly where the notice went. It is the largest
-- table, so it carries only the indexes the queue needs: lookups by account
-- or case go through notices.
CREATE TABLE IF NOT EXISTS messages (
  message_id       BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  notice_id        BIGINT UNSIGNED NOT NULL,
  case_id          BIGINT UNSIGNED NULL,
  account_no       VARCHAR(32)  NOT NULL,
  channel          VARCHAR(16)  NOT NULL,
  contact_id       BIGINT       NULL,
  address          VARCHAR(320) NOT NULL,
  state            ENUM('queued','leased','accepted','delivered','retry',
                        'failed_permanent','expired','cancelled') NOT NULL DEFAULT 'queued',
  attempts         INT UNSIGNED NOT NULL DEFAULT 0,
  created_on       DATE         NOT NULL,
  created_at       DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  next_attempt_at  DATETIME(6)  NULL,
  lease_owner      VARCHAR(64)  NULL,
  lease_expires_at DATETIME(6)  NULL,
  provider         VARCHAR(32)  NULL,
  provider_ref     VARCHAR(128) NULL,
  last_error       VARCHAR(255) NULL,
  updated_at       DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
                   ON UPDATE CURRENT_TIMESTAMP(6),
  UNIQUE KEY messages_notice_contact (notice_id, contact_id),
  KEY messages_due (state, next_attempt_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Manual collection: exactly one per escalated case (unique case_id).
CREATE TABLE IF NOT EXISTS collection_tasks (
  task_id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  account_no        VARCHAR(32)   NOT NULL,
  case_id           BIGINT UNSIGNED NOT NULL,
  grid_id           VARCHAR(32)   NULL,
  amount_due        DECIMAL(14,2) NOT NULL,
  notices_failed    TINYINT UNSIGNED NOT NULL,
  notices_delivered TINYINT UNSIGNED NOT NULL,
  reason            VARCHAR(64)   NOT NULL,
  state             ENUM('open','assigned','done','cancelled') NOT NULL DEFAULT 'open',
  created_on        DATE          NOT NULL,
  created_at        DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  closed_on         DATE          NULL,
  close_reason      VARCHAR(16)   NULL,
  UNIQUE KEY tasks_one_per_case (case_id),
  KEY tasks_grid_state (grid_id, state),
  KEY tasks_account (account_no)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Billing rows feegate refused to act on, one row per (row, reason); the
-- first sighting is also an audit row.
CREATE TABLE IF NOT EXISTS input_errors (
  error_id      BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  source        ENUM('bill','contact','customer') NOT NULL,
  row_key       VARCHAR(64)  NOT NULL,
  account_no    VARCHAR(32)  NULL,
  reason        VARCHAR(128) NOT NULL,
  first_seen_on DATE         NOT NULL,
  last_seen_on  DATE         NOT NULL,
  UNIQUE KEY input_errors_row (source, row_key, reason),
  KEY input_errors_account (account_no)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The audit trail: append-only, hash-chained (see gateway/audit.c).
-- hash = SHA-256 over the previous row's hash and this row's fields.
CREATE TABLE IF NOT EXISTS audit_log (
  seq           BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  business_date DATE         NULL,
  at            DATETIME(6)  NOT NULL,
  actor         VARCHAR(64)  NOT NULL,
  event         VARCHAR(32)  NOT NULL,
  account_no    VARCHAR(32)  NULL,
  case_id       BIGINT UNSIGNED NULL,
  notice_id     BIGINT UNSIGNED NULL,
  message_id    BIGINT UNSIGNED NULL,
  task_id       BIGINT UNSIGNED NULL,
  detail        TEXT         NOT NULL,
  hash          CHAR(64) CHARACTER SET ascii NOT NULL,
  KEY audit_account (account_no, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The chain's head: locked (SELECT ... FOR UPDATE) by every appender, so
-- appends from several processes serialise and the chain never forks.
CREATE TABLE IF NOT EXISTS audit_head (
  id   TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  seq  BIGINT UNSIGNED  NOT NULL,
  hash CHAR(64) CHARACTER SET ascii NOT NULL
) ENGINE=InnoDB;

INSERT IGNORE INTO audit_head (id, seq, hash) VALUES (1, 0, REPEAT('0', 64));

-- One row per message for billing and the call centre, address masked the
-- same way as gateway/mask.c (a test compares the two).
CREATE OR REPLACE VIEW notice_log AS
SELECT m.message_id, m.notice_id, n.case_id, m.account_no, n.kind, n.seq,
       m.channel,
       CASE
         WHEN m.channel = 'email' AND LOCATE('@', m.address) > 1 THEN
           CONCAT(LEFT(m.address, 1), '***', SUBSTRING(m.address, LOCATE('@', m.address)))
         WHEN m.channel IN ('sms', 'voice') AND CHAR_LENGTH(m.address) >= 9 THEN
           CONCAT(LEFT(m.address, CHAR_LENGTH(m.address) - 8), '****', RIGHT(m.address, 4))
         WHEN m.channel = 'push' AND CHAR_LENGTH(m.address) > 8 THEN
           CONCAT(LEFT(m.address, 6), '***')
         ELSE REPEAT('*', LEAST(CHAR_LENGTH(m.address), 8))
       END AS address_masked,
       m.state, m.attempts, m.created_on, m.created_at, m.updated_at,
       m.provider, m.provider_ref, m.last_error
FROM messages m
JOIN notices n ON n.notice_id = m.notice_id;
