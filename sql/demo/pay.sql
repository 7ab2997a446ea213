-- The customers' side of one demo night: who pays what before the night
-- of @d runs, by behaviour (demo_behaviour). GW is replaced by the gateway
-- schema: customers react to the notices feegate sent them.

-- On time, and disputing customers for their undisputed bills: pay on the
-- due date, so the bill never becomes overdue. (The broken rows of
-- sql/demo/hostile.sql, BX-*, stay as billing exported them.)
UPDATE billing_bills b JOIN demo_behaviour h ON h.account_no = b.account_no
SET b.amount_paid = b.amount_due, b.status = 'paid'
WHERE b.status = 'open' AND b.due_date <= @d AND b.bill_id NOT LIKE 'BX-%'
  AND h.behaviour IN ('on_time', 'disputed');

-- Late payers: pay what is overdue a day or three after notice k.
UPDATE billing_bills b
JOIN demo_behaviour h ON h.account_no = b.account_no
JOIN GW.dunning_cases k ON k.active_account = b.account_no
JOIN GW.notices n ON n.case_id = k.case_id
SET b.amount_paid = b.amount_due, b.status = 'paid'
WHERE b.status = 'open' AND b.due_date < @d
  AND h.behaviour IN ('after_1', 'after_2', 'after_3')
  AND n.seq = CAST(SUBSTR(h.behaviour, 7) AS INTEGER)
  AND n.sent_on <= @d - INTERVAL h.lag_days DAY;

-- Partial payers: half of each overdue bill after notice 1.
UPDATE billing_bills b
JOIN demo_behaviour h ON h.account_no = b.account_no
JOIN GW.dunning_cases k ON k.active_account = b.account_no
JOIN GW.notices n ON n.case_id = k.case_id AND n.seq = 1
SET b.amount_paid = ROUND(b.amount_due / 2, 2)
WHERE b.status = 'open' AND b.due_date < @d AND b.amount_paid = 0
  AND h.behaviour = 'partial'
  AND n.sent_on <= @d - INTERVAL h.lag_days DAY;

-- After the collector's visit: partial payers, and some who never answer
-- a message, pay in full a few days after the task is raised.
UPDATE billing_bills b
JOIN demo_behaviour h ON h.account_no = b.account_no
JOIN GW.collection_tasks t ON t.account_no = b.account_no AND t.state = 'open'
SET b.amount_paid = b.amount_due, b.status = 'paid'
WHERE b.status = 'open' AND b.due_date < @d
  AND (h.behaviour = 'partial' OR (h.behaviour = 'never' AND h.luck < 0.3))
  AND t.created_on <= @d - INTERVAL (3 + h.lag_days) DAY;

-- Small remainders: after notice 2, pay everything but 0.50.
UPDATE billing_bills b
JOIN (SELECT b2.account_no, MIN(b2.bill_id) AS oldest
      FROM billing_bills b2
      JOIN demo_behaviour h ON h.account_no = b2.account_no
      JOIN GW.dunning_cases k ON k.active_account = b2.account_no
      JOIN GW.notices n ON n.case_id = k.case_id AND n.seq = 2
      WHERE b2.status = 'open' AND b2.due_date < @d
        AND h.behaviour = 'below_min'
        AND n.sent_on <= @d - INTERVAL h.lag_days DAY
      GROUP BY b2.account_no) e ON e.account_no = b.account_no
SET b.amount_paid = IF(b.bill_id = e.oldest, b.amount_due - 0.50, b.amount_due),
    b.status = IF(b.bill_id = e.oldest, 'open', 'paid')
WHERE b.status = 'open' AND b.due_date < @d;

-- Hardship: on hold three days after notice 1, lifted two weeks later;
-- afterwards they pay after notice 2.
UPDATE billing_customers c
JOIN demo_behaviour h ON h.account_no = c.account_no
JOIN GW.dunning_cases k ON k.active_account = c.account_no
JOIN GW.notices n ON n.case_id = k.case_id AND n.seq = 1
SET c.dunning_hold = 1, h.hold_on = @d
WHERE h.behaviour = 'hold_later' AND h.hold_on IS NULL
  AND n.sent_on <= @d - INTERVAL 3 DAY;

UPDATE billing_customers c
JOIN demo_behaviour h ON h.account_no = c.account_no
SET c.dunning_hold = 0, h.behaviour = 'after_2'
WHERE h.behaviour = 'hold_later' AND h.hold_on <= @d - INTERVAL 14 DAY;
