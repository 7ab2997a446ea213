-- 003: outage notices. Every outage billing shows is kept version by
-- version: a new version whenever its kind, area, times, reason or status
-- change, so that each notice names exactly the version it told, and
-- nothing is sent twice for one version. Times are billing's, in the
-- utility's time zone ([dunning] timezone).
CREATE TABLE IF NOT EXISTS outage_versions (
  outage_id VARCHAR(32)  NOT NULL,
  version   INT UNSIGNED NOT NULL,
  kind      VARCHAR(16)  NOT NULL,
  area      VARCHAR(128) NOT NULL,
  starts_at DATETIME     NOT NULL,
  ends_at   DATETIME     NOT NULL,
  reason    VARCHAR(255) NULL,
  status    VARCHAR(16)  NOT NULL,
  seen_on   DATE         NOT NULL,
  seen_at   DATETIME     NOT NULL,
  PRIMARY KEY (outage_id, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The version each outage is at, and when feegate first saw it.
CREATE TABLE IF NOT EXISTS outages (
  outage_id     VARCHAR(32)  NOT NULL PRIMARY KEY,
  version       INT UNSIGNED NOT NULL,
  first_seen_at DATETIME     NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- An outage notice has no case: it names the outage and version it tells
-- (outage_prev: the version the customer had been told, for a reschedule
-- or a cancellation), and late_notice when it went with less lead time
-- than the rules ask.
ALTER TABLE notices
  MODIFY kind VARCHAR(32) NOT NULL DEFAULT 'dunning',
  ADD COLUMN IF NOT EXISTS outage_id VARCHAR(32) NULL,
  ADD COLUMN IF NOT EXISTS outage_version INT UNSIGNED NULL,
  ADD COLUMN IF NOT EXISTS outage_prev INT UNSIGNED NULL,
  ADD COLUMN IF NOT EXISTS late_notice TINYINT(1) NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS urgent TINYINT(1) NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS anytime TINYINT(1) NOT NULL DEFAULT 0;
ALTER TABLE notices
  ADD UNIQUE KEY IF NOT EXISTS notices_outage (outage_id, account_no, kind, outage_version);

-- Urgent notices (outages) have their messages claimed before the others
-- (priority), and those of temporary outages go out whatever the hour
-- (anytime); a fallback message takes both from its notice.
ALTER TABLE messages
  ADD COLUMN IF NOT EXISTS priority TINYINT UNSIGNED NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS anytime TINYINT(1) NOT NULL DEFAULT 0;
ALTER TABLE messages
  ADD INDEX IF NOT EXISTS messages_urgent (priority, state, next_attempt_at);

-- Outage rows billing gets wrong are refused like bills and contacts.
ALTER TABLE input_errors
  MODIFY source ENUM('bill','contact','customer','outage') NOT NULL;
