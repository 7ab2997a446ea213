-- 005: call-centre staff. Passwords are libsodium crypto_pwhash strings
-- (Argon2id, memory-hard); a session is known by the SHA-256 of its token
-- (the token itself is only in the staff member's cookie). Every search
-- and page view is in access_log; a supervisor revealing a full number is
-- also an audit row.
CREATE TABLE IF NOT EXISTS staff (
  staff_id     INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  username     VARCHAR(64)  CHARACTER SET ascii NOT NULL,
  display_name VARCHAR(128) NOT NULL,
  role         ENUM('agent','supervisor','collector') NOT NULL,
  grid_id      VARCHAR(32)  NULL,
  pw_hash      VARCHAR(255) CHARACTER SET ascii NOT NULL,
  disabled     TINYINT(1)   NOT NULL DEFAULT 0,
  created_at   DATETIME(6)  NOT NULL,
  changed_at   DATETIME(6)  NOT NULL,
  UNIQUE KEY staff_username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS staff_sessions (
  token_hash CHAR(64)     CHARACTER SET ascii NOT NULL PRIMARY KEY,
  staff_id   INT UNSIGNED NOT NULL,
  csrf       CHAR(32)     CHARACTER SET ascii NOT NULL,
  created_at DATETIME(6)  NOT NULL,
  last_seen  DATETIME(6)  NOT NULL,
  KEY staff_sessions_staff (staff_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Failed logins, for rate limiting by user name and by address.
CREATE TABLE IF NOT EXISTS staff_login_failures (
  id       BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  username VARCHAR(64) CHARACTER SET ascii NOT NULL,
  remote   VARCHAR(64) CHARACTER SET ascii NOT NULL,
  at       DATETIME(6) NOT NULL,
  KEY login_failures_user (username, at),
  KEY login_failures_remote (remote, at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS access_log (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  at         DATETIME(6)  NOT NULL,
  staff_id   INT UNSIGNED NULL,
  username   VARCHAR(64)  CHARACTER SET ascii NOT NULL,
  remote     VARCHAR(64)  CHARACTER SET ascii NOT NULL,
  action     VARCHAR(32)  NOT NULL,
  account_no VARCHAR(32)  NULL,
  detail     VARCHAR(255) NULL,
  KEY access_log_account (account_no, at),
  KEY access_log_staff (staff_id, at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
