-- 025: `feegate audit verify --since-last` takes the chain on from where
-- the last intact check left it, instead of walking every row since the
-- latest checkpoint each day. A province's trail grows by millions of
-- rows a night: at 10M customers after two nights the walk took 64 s and
-- read 5.1 GB from the disk (scripts/bench-staff.sh), and it grows with
-- every night until the next checkpoint. Each check now keeps the row it
-- started after and the head it reached (seq and hash, when intact).
ALTER TABLE audit_checks
  ADD COLUMN IF NOT EXISTS from_seq BIGINT UNSIGNED NULL,
  ADD COLUMN IF NOT EXISTS head_seq BIGINT UNSIGNED NULL,
  ADD COLUMN IF NOT EXISTS head_hash CHAR(64) CHARACTER SET ascii NULL;
