-- 021: the keys only outage and API notices have live in tables of their
-- own. notices carried two unique indexes, (outage_id, account_no, kind,
-- outage_version) and (request_key), whose every entry for a dunning
-- notice, nearly all of them, was NULL yet written: inserting night 2's
-- 2.57 million notices into a copy of night 1's at 10M took 27.5-30.5 s
-- of MariaDB's time with them and 14.4-14.9 s without (19.0 s with the
-- request key's alone). An outage notice's key row is written beside it
-- and looked up instead of the notice (night/outage.c), an API notice's
-- request key likewise (serve/api.c); the columns stay on notices as
-- data. `feegate purge` removes the key rows with their notices.
CREATE TABLE IF NOT EXISTS notice_outages (
  notice_id      BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  outage_id      VARCHAR(32)  NOT NULL,
  account_no     VARCHAR(32)  NOT NULL,
  kind           VARCHAR(32)  NOT NULL,
  outage_version INT UNSIGNED NOT NULL,
  outage_prev    INT UNSIGNED NULL,
  sent_on        DATE         NOT NULL,
  UNIQUE KEY notice_outages_key (outage_id, account_no, kind, outage_version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
INSERT IGNORE INTO notice_outages (notice_id, outage_id, account_no, kind,
  outage_version, outage_prev, sent_on)
  SELECT notice_id, outage_id, account_no, kind, outage_version,
    outage_prev, sent_on
  FROM notices WHERE outage_id IS NOT NULL AND outage_version IS NOT NULL;
CREATE TABLE IF NOT EXISTS notice_requests (
  request_key VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
              PRIMARY KEY,
  notice_id   BIGINT UNSIGNED NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
INSERT IGNORE INTO notice_requests (request_key, notice_id)
  SELECT request_key, notice_id FROM notices WHERE request_key IS NOT NULL;
ALTER TABLE notices
  DROP INDEX IF EXISTS notices_outage,
  DROP INDEX IF EXISTS notices_request;
