-- 015: the audit trail shortened without losing its proof (`feegate audit
-- checkpoint`, an administrator's command). Each checkpoint says which
-- rows went to which archive file: the last row's seq and hash (the chain
-- goes on from them), the first row's seq, and the file's SHA-256. The
-- same is also an `audit_checkpoint` row of the chain itself, so that a
-- checkpoint row altered here is found (`audit verify`).
CREATE TABLE IF NOT EXISTS audit_checkpoints (
  seq            BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  from_seq       BIGINT UNSIGNED NOT NULL,
  hash           CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  archive        VARCHAR(255) NOT NULL,
  archive_sha256 CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at     DATETIME(6) NOT NULL
) ENGINE=InnoDB;
