-- 012: every text of the gateway schema compares byte for byte
-- (utf8mb4_nopad_bin): account numbers `A1`, `a1` and `A1 ` are three
-- accounts, as are two addresses that differ in case, whatever collation
-- billing uses (gateway/billing.h: comparisons with billing's columns are
-- made byte for byte too). Under utf8mb4_unicode_ci two such accounts of a
-- billing database in a binary collation shared one active case (the
-- unique key) and one balance. The schema's default goes with it, so the
-- night's temporary tables compare as the tables do, whatever default the
-- schema was created with (the server's own made every temporary table
-- utf8mb4_general_ci and every join with a table an "Illegal mix of
-- collations"). ASCII columns (hashes, tokens, staff user names) keep
-- their own.
ALTER DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE dunning_cases CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE notices CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin,
  MODIFY request_key VARCHAR(64) CHARACTER SET ascii NULL,
  MODIFY request_hash CHAR(64) CHARACTER SET ascii NULL;
ALTER TABLE messages CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin,
  MODIFY receipt_token CHAR(32) CHARACTER SET ascii NULL;
ALTER TABLE collection_tasks CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE input_errors CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE audit_log CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin,
  MODIFY hash CHAR(64) CHARACTER SET ascii NOT NULL;
ALTER TABLE contact_blocks CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE outage_versions CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE outages CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
ALTER TABLE staff CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin,
  MODIFY username VARCHAR(64) CHARACTER SET ascii NOT NULL,
  MODIFY pw_hash VARCHAR(255) CHARACTER SET ascii NOT NULL;
ALTER TABLE access_log CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin,
  MODIFY username VARCHAR(64) CHARACTER SET ascii NOT NULL,
  MODIFY remote VARCHAR(64) CHARACTER SET ascii NOT NULL;
ALTER TABLE audit_checks CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
