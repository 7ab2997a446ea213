-- Outages of the demo's month (run after generate.sql): the billing side
-- of planned and temporary maintenance. sql/demo/outage-changes.sql
-- changes them as the nights go by.
INSERT INTO billing_outages (outage_id, kind, area, starts_at, ends_at, reason, status) VALUES
  ('TD-2026-101', 'planned', '上城区望江街道近江社区', @start + INTERVAL 14 DAY + INTERVAL 8 HOUR,
   @start + INTERVAL 14 DAY + INTERVAL 17 HOUR, '10千伏近江线检修', 'scheduled'),
  ('TD-2026-102', 'planned', '西湖区北山街道', @start + INTERVAL 24 DAY + INTERVAL 9 HOUR,
   @start + INTERVAL 24 DAY + INTERVAL 15 HOUR, '变压器增容改造', 'scheduled'),
  ('TD-2026-103', 'planned', '余杭区五常街道', @start + INTERVAL 35 DAY + INTERVAL 8 HOUR,
   @start + INTERVAL 35 DAY + INTERVAL 12 HOUR, '配合市政道路施工', 'scheduled');

-- Who is affected: every customer of one grid each.
INSERT INTO billing_outage_accounts (outage_id, account_no)
SELECT 'TD-2026-101', account_no FROM billing_customers WHERE grid_id = 'SC-03'
UNION ALL
SELECT 'TD-2026-102', account_no FROM billing_customers WHERE grid_id = 'XH-05'
UNION ALL
SELECT 'TD-2026-103', account_no FROM billing_customers WHERE grid_id = 'YH-08';
