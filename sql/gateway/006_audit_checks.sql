-- 006: the result of each `feegate audit verify`, so that the staff pages
-- can say how the chain stood when it was last checked.
CREATE TABLE IF NOT EXISTS audit_checks (
  check_id   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  checked_at DATETIME(6)   NOT NULL,
  intact     TINYINT(1)    NOT NULL,
  rows_seen  BIGINT UNSIGNED NOT NULL,
  summary    VARCHAR(255)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
