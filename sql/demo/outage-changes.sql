-- The billing side of the demo's outages on the day of @d, before the night
-- runs: a reschedule, a cancellation, and a temporary outage after a storm.
UPDATE billing_outages
SET starts_at = starts_at + INTERVAL 2 DAY, ends_at = ends_at + INTERVAL 2 DAY
WHERE outage_id = 'TD-2026-102' AND @d = @start + INTERVAL 20 DAY;

UPDATE billing_outages SET status = 'cancelled'
WHERE outage_id = 'TD-2026-103' AND @d = @start + INTERVAL 30 DAY;

INSERT IGNORE INTO billing_outages (outage_id, kind, area, starts_at, ends_at, reason, status)
SELECT 'TD-2026-T01', 'temporary', '拱墅区米市巷街道', @d + INTERVAL 14 HOUR, @d + INTERVAL 18 HOUR,
       '台风后线路抢修', 'scheduled'
FROM DUAL WHERE @d = @start + INTERVAL 17 DAY;
INSERT IGNORE INTO billing_outage_accounts (outage_id, account_no)
SELECT 'TD-2026-T01', account_no FROM billing_customers
WHERE grid_id = 'GS-04' AND @d = @start + INTERVAL 17 DAY;
