-- Hostile billing rows, loaded into an empty billing schema by t_hostile.
-- Every account's expected fate is a line of billing.expect: the reasons
-- recorded for its rows (input_errors) and the messages it gets. Bills
-- are due 2026-09-20; the test's night is 2026-10-01. Names are bytes, as
-- some billing exports have them (the column is made VARBINARY first).
ALTER TABLE billing_customers MODIFY name VARBINARY(20000) NOT NULL;

-- Names that must reach every channel as text: each one for an account on
-- each channel (account HNnn-c: s sms, e e-mail, v voice, p push).
CREATE TEMPORARY TABLE hostile_names (k CHAR(3) PRIMARY KEY, name VARBINARY(20000));
INSERT INTO hostile_names VALUES
  ('N01', '<script>alert("x")</script>'),
  ('N02', '<img src=x onerror=alert(1)>&amp;'),
  ('N03', '{{account_no}}{{#late_fee}}L{{/late_fee}}{{{name}}}{{>x}}{{'),
  ('N04', 'Robert''); DROP TABLE billing_bills;--'),
  ('N05', '"]]></Say><Hangup/><Say>'),
  ('N06', 'Tom & "Jerry" \\ ''O''Neil'''),
  ('N07', '%s%n%x ${jndi:ldap://x} $(reboot)'),
  ('N08', CONCAT('Li', CHAR(0), 'Na')),
  ('N09', CONCAT('Li', CHAR(13, 10), 'Bcc: x@example.com', CHAR(10), 'Na', CHAR(27), '[2J')),
  ('N10', X'C3A9FF20C328'),
  ('N11', REPEAT('长', 4000)),
  ('N12', '🔌⚡ 王💡'),
  ('N13', '   '),
  ('N14', CONCAT(X'E280AE', 'evil', X'E2808F', X'EFBBBF')),
  ('N15', '\\u0000\\"}]}\\n');
CREATE TEMPORARY TABLE hostile_channels (c CHAR(1) PRIMARY KEY, channel VARCHAR(8), address VARCHAR(64));
INSERT INTO hostile_channels VALUES
  ('s', 'sms', '+86138'), ('e', 'email', 'h'), ('v', 'voice', '+86571'), ('p', 'push', 'tok');
INSERT INTO billing_customers (account_no, name, locale, grid_id)
  SELECT CONCAT('H', n.k, '-', c.c), n.name, IF(c.c = 'v', 'en', 'zh-CN'), 'G1'
  FROM hostile_names n CROSS JOIN hostile_channels c;
INSERT INTO billing_contacts (contact_id, account_no, channel, address)
  SELECT 1000 + 10 * SUBSTR(n.k, 2) + FIELD(c.c, 's', 'e', 'v', 'p'),
         CONCAT('H', n.k, '-', c.c), c.channel,
         CASE c.c
           WHEN 'e' THEN CONCAT('h', LOWER(n.k), '@example.com')
           WHEN 'p' THEN CONCAT('fcm:tok', n.k, 'AAAAAAAAAAAAAAAA')
           ELSE CONCAT(c.address, LPAD(10 * SUBSTR(n.k, 2) + FIELD(c.c, 's', 'e', 'v', 'p'), 8, '0'))
         END
  FROM hostile_names n CROSS JOIN hostile_channels c;
INSERT INTO billing_bills (bill_id, account_no, period, amount_due, due_date)
  SELECT CONCAT('B-', n.k, '-', c.c), CONCAT('H', n.k, '-', c.c), '2026-09', 123.45, '2026-09-20'
  FROM hostile_names n CROSS JOIN hostile_channels c;

-- Other fields of the customer row.
INSERT INTO billing_customers (account_no, name, locale, segment, grid_id) VALUES
  ('HSEG', '客户', 'zh-CN', 'vip', 'G1'),
  ('HLOC', '客户', 'xx-<script>', 'residential', 'G1'),
  ('HGRID', '客户', 'zh-CN', 'residential', REPEAT('g', 32)),
  ('HSQL''--', '客户', 'zh-CN', 'residential', ''' OR 1=1 --');

-- Bills: amounts, dates, periods, statuses, keys.
INSERT INTO billing_customers (account_no, name, grid_id)
  SELECT CONCAT('HB', seq), CONCAT('客户', seq), 'G1' FROM seq_1_to_16;
INSERT INTO billing_contacts (contact_id, account_no, channel, address)
  SELECT 2000 + seq, CONCAT('HB', seq), 'sms', CONCAT('+86139', LPAD(seq, 8, '0')) FROM seq_1_to_16;
INSERT INTO billing_contacts (contact_id, account_no, channel, address) VALUES
  (2101, 'HSEG', 'sms', '+8613900002101'), (2102, 'HLOC', 'sms', '+8613900002102'),
  (2103, 'HGRID', 'sms', '+8613900002103'), (2104, 'HSQL''--', 'sms', '+8613900002104');
INSERT INTO billing_bills (bill_id, account_no, period, amount_due, amount_paid, due_date, status) VALUES
  ('B-SEG', 'HSEG', '2026-09', 50.00, 0, '2026-09-20', 'open'),
  ('B-LOC', 'HLOC', '2026-09', 50.00, 0, '2026-09-20', 'open'),
  ('B-GRID', 'HGRID', '2026-09', 50.00, 0, '2026-09-20', 'open'),
  ('B'');DELETE FROM billing_bills--', 'HSQL''--', '2026-09', 50.00, 0, '2026-09-20', 'open'),
  ('B-NEG', 'HB1', '2026-09', -50.00, 0, '2026-09-20', 'open'),
  ('B-HUGE', 'HB2', '2026-09', 9999999999.99, 0, '2026-09-20', 'open'),
  ('B-OVERPAID', 'HB3', '2026-09', 50.00, 80.00, '2026-09-20', 'open'),
  ('B-NEGPAID', 'HB4', '2026-09', 50.00, -0.01, '2026-09-20', 'open'),
  ('B-FAR', 'HB5', '2026-09', 50.00, 0, '9999-12-31', 'open'),
  ('B-ANCIENT', 'HB6', '2026-09', 50.00, 0, '1000-01-01', 'open'),
  ('B-PERIOD', 'HB7', '2026-13', 50.00, 0, '2026-09-20', 'open'),
  ('B-PERIOD2', 'HB8', '<i>9</i', 50.00, 0, '2026-09-20', 'open'),
  ('B-STATUS', 'HB9', '2026-09', 50.00, 0, '2026-09-20', 'OPEN'),
  ('B-STATUS2', 'HB10', '2026-09', 50.00, 0, '2026-09-20', 'open'' OR 1'),
  ('B-ZERO', 'HB11', '2026-09', 0.00, 0, '2026-09-20', 'open'),
  ('B-CENT', 'HB12', '2026-09', 0.01, 0, '2026-09-20', 'open'),
  ('B-MAX', 'HB13', '2026-09', 10000000.00, 0, '2026-09-20', 'open'),
  ('B-NOBODY', 'H-NOBODY', '2026-09', 50.00, 0, '2026-09-20', 'open'),
  ('B-MIX1', 'HB14', '2026-09', 50.00, 0, '2026-09-20', 'open'),
  ('B-MIX2', 'HB14', '2026-08', -1.00, 0, '2026-08-20', 'open'),
  ('B-PAIDOK', 'HB15', '2026-09', 50.00, 50.00, '2026-09-20', 'open'),
  ('B-DISPUTED', 'HB16', '2026-09', 50.00, 0, '2026-09-20', 'disputed');

-- Phone numbers, e-mail addresses and push tokens in every wrong form: all
-- on one account, by priority ahead of its one good number (contact 3999),
-- which gets the notice; each bad one is recorded with its reason.
INSERT INTO billing_customers (account_no, name, grid_id) VALUES ('HADDR', '客户', 'G1');
INSERT INTO billing_contacts (contact_id, account_no, channel, address, priority) VALUES
  (3001, 'HADDR', 'sms', '13800138000', 1),
  (3002, 'HADDR', 'sms', '+86 138 0013 8000', 1),
  (3003, 'HADDR', 'sms', '+86-138-0013-8000', 1),
  (3004, 'HADDR', 'sms', '(0571) 8765 4321', 1),
  (3005, 'HADDR', 'sms', '+8613800138000x12', 1),
  (3006, 'HADDR', 'sms', '+861380013800', 1),
  (3007, 'HADDR', 'sms', '+861380013800012', 1),
  (3008, 'HADDR', 'sms', '+0861380013800', 1),
  (3009, 'HADDR', 'sms', '＋8613800138000', 1),
  (3010, 'HADDR', 'sms', '+８６１３８００１３８０００', 1),
  (3011, 'HADDR', 'sms', '+8612345678901', 1),
  (3012, 'HADDR', 'sms', '', 1),
  (3013, 'HADDR', 'sms', '+', 1),
  (3014, 'HADDR', 'sms', '008613800138000', 1),
  (3015, 'HADDR', 'sms', 'tel:+8613800138000', 1),
  (3016, 'HADDR', 'sms', CONCAT('+8613800138000', CHAR(10)), 1),
  (3017, 'HADDR', 'sms', '+8613800138000<script>', 1),
  (3018, 'HADDR', 'sms', '+86138''; DROP TABLE x;--', 1),
  (3019, 'HADDR', 'sms', CONCAT('+86138', CHAR(0), '00138000'), 1),
  (3020, 'HADDR', 'voice', '+86 571 8765 4321', 1),
  (3021, 'HADDR', 'voice', '057187654321', 1),
  (3022, 'HADDR', 'email', 'li.na@@example.com', 1),
  (3023, 'HADDR', 'email', 'li na@example.com', 1),
  (3024, 'HADDR', 'email', 'li.na@example', 1),
  (3025, 'HADDR', 'email', '<script>@example.com', 1),
  (3026, 'HADDR', 'email', CONCAT('li.na@example.com', CHAR(13, 10), 'Bcc: x@example.com'), 1),
  (3027, 'HADDR', 'email', CONCAT(REPEAT('a', 65), '@example.com'), 1),
  (3028, 'HADDR', 'email', 'li.na@-example.com', 1),
  (3029, 'HADDR', 'email', 'li.na@例子.中国', 1),
  (3030, 'HADDR', 'email', 'li.na@example.com>, <x@example.com', 1),
  (3031, 'HADDR', 'push', 'short', 1),
  (3032, 'HADDR', 'push', 'token with spaces and more than sixteen', 1),
  (3033, 'HADDR', 'push', 'fcm:tokén00000000000000000', 1),
  (3034, 'HADDR', 'fax', '+8657187654321', 1),
  (3035, 'HADDR', 'SMS', '+8613800003035', 1),
  (3999, 'HADDR', 'sms', '+8613800003999', 2);
INSERT INTO billing_bills (bill_id, account_no, period, amount_due, due_date) VALUES
  ('B-ADDR', 'HADDR', '2026-09', 50.00, '2026-09-20');

-- 10,000 contacts on one residential account: one notice, to the first.
-- 10,000 on one large customer with a planned outage: [outage]
-- large_contacts (10) of them are told, in priority order.
INSERT INTO billing_customers (account_no, name, segment, grid_id) VALUES
  ('HMANY', '客户', 'residential', 'G1'), ('HLARGE', '钱塘机械厂', 'large', 'G1');
INSERT INTO billing_contacts (contact_id, account_no, channel, address, priority)
  SELECT 10000 + seq, 'HMANY', 'sms', CONCAT('+86137', LPAD(seq, 8, '0')), 10001 - seq FROM seq_1_to_10000;
INSERT INTO billing_contacts (contact_id, account_no, channel, address, priority)
  SELECT 20000 + seq, 'HLARGE', 'sms', CONCAT('+86136', LPAD(seq, 8, '0')), seq FROM seq_1_to_10000;
INSERT INTO billing_bills (bill_id, account_no, period, amount_due, due_date) VALUES
  ('B-MANY', 'HMANY', '2026-09', 50.00, '2026-09-20');
INSERT INTO billing_outages (outage_id, kind, area, starts_at, ends_at, reason) VALUES
  ('O-LARGE', 'planned', '<b>钱塘</b> {{area}}', '2026-10-05 08:00', '2026-10-05 17:00', '线路检修"]]><Hangup/>');
INSERT INTO billing_outage_accounts VALUES ('O-LARGE', 'HLARGE');

-- What views and wider columns yield and the contract's own tables cannot:
-- every column NULL in turn, and values longer than the gateway keeps.
-- Each such row is refused with its reason, the rest of the night goes on
-- (rows without an account show as "(no account)" in billing.expect).
ALTER TABLE billing_customers DROP PRIMARY KEY, MODIFY account_no VARCHAR(64) NULL,
  MODIFY name VARBINARY(20000) NULL, MODIFY locale VARCHAR(16) NULL DEFAULT 'zh-CN',
  MODIFY segment VARCHAR(16) NULL DEFAULT 'residential', MODIFY dunning_hold INT NULL DEFAULT 0;
-- Addresses of up to 4,000 characters do not fit in an index entry (3,072
-- bytes), so such a billing keeps the account's index without them.
ALTER TABLE billing_contacts DROP PRIMARY KEY, MODIFY contact_id BIGINT NULL,
  DROP INDEX contacts_account, ADD INDEX contacts_account (account_no, priority),
  MODIFY account_no VARCHAR(64) NULL, MODIFY channel VARCHAR(16) NULL,
  MODIFY address VARCHAR(4000) NULL, MODIFY priority BIGINT NULL DEFAULT 1,
  MODIFY consent INT NULL DEFAULT 1;
ALTER TABLE billing_bills DROP PRIMARY KEY, MODIFY bill_id VARCHAR(64) NULL,
  MODIFY account_no VARCHAR(64) NULL, MODIFY period VARCHAR(16) NULL,
  MODIFY amount_due DECIMAL(14,4) NULL, MODIFY amount_paid DECIMAL(14,4) NULL DEFAULT 0,
  MODIFY due_date DATE NULL, MODIFY status VARCHAR(16) NULL DEFAULT 'open';
ALTER TABLE billing_outages DROP PRIMARY KEY, MODIFY outage_id VARCHAR(64) NULL,
  MODIFY kind VARCHAR(16) NULL DEFAULT 'planned', MODIFY area VARCHAR(400) NULL,
  MODIFY starts_at DATETIME NULL, MODIFY ends_at DATETIME NULL, MODIFY reason VARCHAR(400) NULL,
  MODIFY status VARCHAR(16) NULL DEFAULT 'scheduled';
ALTER TABLE billing_outage_accounts DROP PRIMARY KEY, MODIFY outage_id VARCHAR(64) NULL,
  MODIFY account_no VARCHAR(64) NULL;

-- Customers: a missing hold flag is a hold; a missing locale or segment
-- does not stop the notice; a customer without an account is nobody's.
-- Names as characters: blanks of any kind are empty, C1 controls are
-- controls, CESU-8 is not UTF-8; 43 Chinese characters (129 bytes) fit.
INSERT INTO billing_customers (account_no, name, locale, segment, grid_id, dunning_hold) VALUES
  ('HCN-HOLD', '客户', 'zh-CN', 'residential', 'G1', NULL),
  ('HCN-LOC', '客户', NULL, 'residential', 'G1', 0),
  ('HCN-SEG', '客户', 'zh-CN', NULL, 'G1', 0),
  ('HCN-NAME', NULL, 'zh-CN', 'residential', 'G1', 0),
  (NULL, '无户号', 'zh-CN', 'residential', 'G1', 0),
  ('HNM-IDEO', X'E38080E38080', 'zh-CN', 'residential', 'G1', 0),
  ('HNM-NBSP', X'C2A020E28083', 'zh-CN', 'residential', 'G1', 0),
  ('HNM-C1', CONCAT('Li', X'C285', 'Na'), 'zh-CN', 'residential', 'G1', 0),
  ('HNM-CESU', CONCAT('Li', X'EDA080', 'Na'), 'zh-CN', 'residential', 'G1', 0),
  ('HNM-43', REPEAT('长', 43), 'zh-CN', 'residential', 'G1', 0),
  ('HNM-129', REPEAT('长', 129), 'zh-CN', 'residential', 'G1', 0),
  (REPEAT('L', 40), '客户', 'zh-CN', 'residential', 'G1', 0);
INSERT INTO billing_contacts (contact_id, account_no, channel, address, priority, consent)
  SELECT 4000 + seq, ELT(seq, 'HCN-HOLD', 'HCN-LOC', 'HCN-SEG', 'HCN-NAME', 'HNM-IDEO', 'HNM-NBSP',
                         'HNM-C1', 'HNM-CESU', 'HNM-43', 'HNM-129', REPEAT('L', 40)),
         'sms', CONCAT('+86135', LPAD(4000 + seq, 8, '0')), 1, 1
  FROM seq_1_to_11;
INSERT INTO billing_bills (bill_id, account_no, period, amount_due, amount_paid, due_date, status)
  SELECT CONCAT('B-CN', seq), ELT(seq, 'HCN-HOLD', 'HCN-LOC', 'HCN-SEG', 'HCN-NAME', 'HNM-IDEO', 'HNM-NBSP',
                                  'HNM-C1', 'HNM-CESU', 'HNM-43', 'HNM-129', REPEAT('L', 40)),
         '2026-09', 50.00, 0, '2026-09-20', 'open'
  FROM seq_1_to_11;

-- Contacts, each column missing in turn, ahead of a good one (4199); an
-- address too long for the outbox; consent 2 is consent.
INSERT INTO billing_customers (account_no, name, grid_id) VALUES ('HCT-NULL', '客户', 'G1'), ('HCT-YES2', '客户', 'G1');
INSERT INTO billing_contacts (contact_id, account_no, channel, address, priority, consent) VALUES
  (NULL, 'HCT-NULL', 'sms', '+8613500004101', 1, 1),
  (4102, 'HCT-NULL', NULL, '+8613500004102', 1, 1),
  (4103, 'HCT-NULL', 'sms', NULL, 1, 1),
  (4104, 'HCT-NULL', 'sms', '+8613500004104', NULL, 1),
  (4105, 'HCT-NULL', 'sms', '+8613500004105', 1, NULL),
  (4106, 'HCT-NULL', 'push', CONCAT('fcm:', REPEAT('A', 400)), 1, 1),
  (NULL, NULL, 'sms', '+8613500004107', 1, 1),
  (4199, 'HCT-NULL', 'sms', '+8613500004199', 2, 1),
  (4201, 'HCT-YES2', 'sms', '+8613500004201', 1, 2);
INSERT INTO billing_bills (bill_id, account_no, period, amount_due, due_date) VALUES
  ('B-CTN', 'HCT-NULL', '2026-09', 50.00, '2026-09-20'),
  ('B-CT2', 'HCT-YES2', '2026-09', 50.00, '2026-09-20');

-- Bills, each column missing in turn; an account too long to hold;
-- amounts with more decimals than cents: two bills of 10.005 owe 20.01
-- (summed, then rounded half up once).
INSERT INTO billing_customers (account_no, name, grid_id)
  SELECT CONCAT('HBN', seq), '客户', 'G1' FROM seq_1_to_7;
INSERT INTO billing_contacts (contact_id, account_no, channel, address)
  SELECT 4300 + seq, CONCAT('HBN', seq), 'sms', CONCAT('+86135', LPAD(4300 + seq, 8, '0')) FROM seq_1_to_7;
INSERT INTO billing_bills (bill_id, account_no, period, amount_due, amount_paid, due_date, status) VALUES
  (NULL, 'HBN1', '2026-09', 50.00, 0, '2026-09-20', 'open'),
  ('B-BN2', 'HBN2', NULL, 50.00, 0, '2026-09-20', 'open'),
  ('B-BN3', 'HBN3', '2026-09', 50.00, 0, '2026-09-20', NULL),
  ('B-BN4', 'HBN4', '2026-09', 50.00, 0, NULL, 'open'),
  ('B-BN5', 'HBN5', '2026-09', NULL, 0, '2026-09-20', 'open'),
  ('B-BN6', 'HBN6', '2026-09', 50.00, NULL, '2026-09-20', 'open'),
  ('B-BN7a', 'HBN7', '2026-09', 10.005, 0, '2026-09-20', 'open'),
  ('B-BN7b', 'HBN7', '2026-08', 10.005, 0, '2026-08-20', 'open'),
  ('B-NOACCT', NULL, '2026-09', 50.00, 0, '2026-09-20', 'open');

-- Outages, each column missing in turn, and values too long to keep.
INSERT INTO billing_outages (outage_id, kind, area, starts_at, ends_at, reason, status) VALUES
  (NULL, 'planned', '某社区', '2026-10-05 08:00', '2026-10-05 17:00', NULL, 'scheduled'),
  ('O-NK', NULL, '某社区', '2026-10-05 08:00', '2026-10-05 17:00', NULL, 'scheduled'),
  ('O-NS', 'planned', '某社区', '2026-10-05 08:00', '2026-10-05 17:00', NULL, NULL),
  ('O-NA', 'planned', NULL, '2026-10-05 08:00', '2026-10-05 17:00', NULL, 'scheduled'),
  ('O-NT', 'planned', '某社区', NULL, '2026-10-05 17:00', NULL, 'scheduled'),
  (REPEAT('O', 40), 'planned', '某社区', '2026-10-05 08:00', '2026-10-05 17:00', NULL, 'scheduled'),
  ('O-LA', 'planned', REPEAT('区', 129), '2026-10-05 08:00', '2026-10-05 17:00', NULL, 'scheduled'),
  ('O-LR', 'planned', '某社区', '2026-10-05 08:00', '2026-10-05 17:00', REPEAT('因', 256), 'scheduled');
INSERT INTO billing_outage_accounts VALUES ('O-NK', 'HBN1'), ('O-NS', 'HBN1'), (NULL, 'HBN1'), ('O-LA', NULL);
