-- 019: what /metrics reads without scanning (docs/operations.md, Metrics).
-- When a night ran to its end (planned, sent where the command sends,
-- escalated): feegate_last_night_success_timestamp_seconds and its
-- duration (from last_run_at, that run's start); last_run_at alone says
-- a night began, not that it finished.
ALTER TABLE nights ADD COLUMN IF NOT EXISTS finished_at DATETIME(6) NULL;
-- The collectors' work list by state: feegate_tasks_open counts the open
-- and assigned tasks by this index, not every task ever raised.
ALTER TABLE collection_tasks ADD INDEX IF NOT EXISTS tasks_state (state);
