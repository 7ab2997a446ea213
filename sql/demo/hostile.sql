-- A few rows of the kind real billing exports contain, so that the demo
-- shows what feegate does with them: each is refused with a reason (or, for
-- odd but valid names, handled as plain text) and the night goes on.
INSERT INTO billing_bills (bill_id, account_no, period, amount_due, amount_paid, due_date, status) VALUES
  ('BX-NOCUST', '3399999999', '2026-09', 100.00, 0, '2026-09-15', 'open'),
  ('BX-NEG', '3300000007', '2026-07', -120.00, 0, '2026-08-15', 'open'),
  ('BX-STATUS', '3300000011', '2026-07', 88.00, 0, '2026-08-15', 'unpaid'),
  ('BX-HUGE', '3300000013', '2026-07', 99999999.99, 0, '2026-08-15', 'open'),
  ('BX-FUTURE', '3300000017', '2026-07', 66.00, 0, '2099-01-01', 'open'),
  ('BX-PERIOD', '3300000021', '26-7', 66.00, 0, '2026-08-15', 'open');
UPDATE billing_customers SET name = 'Robert''); DROP TABLE billing_bills;--'
  WHERE account_no = '3300000019';
UPDATE billing_customers SET name = '<script>alert("x")</script>'
  WHERE account_no = '3300000023';
-- A first-choice e-mail address mistyped in billing: refused, and the
-- notice goes to the next contact instead.
INSERT INTO billing_contacts (contact_id, account_no, channel, address, role, priority, consent) VALUES
  (297, '3300000029', 'email', 'li.na@@example', 'holder', 0, 1);
