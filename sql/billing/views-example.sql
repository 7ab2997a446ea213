-- views-example.sql: the billing contract as views over a billing system
-- that is not shaped like it. A worked example to copy from: its tables
-- (cis_*) stand for a utility's own customer information system, with
-- its own names, codes and units; the five views at the end are all
-- feegate needs. `t_views` runs nights through them; `FEEGATE_BENCH_VIEWS=1
-- scripts/bench-plan.sh N` measures a night through them.
--
-- What the views do, and what feegate accepts (README "The billing
-- contract"):
--   - its own table and column names: renamed in the view;
--   - gbk, with gbk_chinese_ci: feegate compares account numbers byte for
--     byte whatever the collation, and reads Chinese text as it is;
--   - codes for languages, customer classes, contact media and statuses,
--     one of them (the bill's status) in a table of its own: mapped to
--     the contract's words; a code the view does not know gives NULL, and
--     feegate refuses that row with its reason;
--   - amounts in fen (BIGINT): divided by 100, a DECIMAL with 4 decimals
--     (feegate takes up to 4, summing exactly and rounding half up to
--     cents once);
--   - mobiles stored without the country code: +86 put in front.
-- Keep the indexes: the night reads open bills by status and due date and
-- everything else by account; the invoices' two hold every column the
-- view's bills are made of, so both reads are answered from the index.
-- A phone search (`feegate log PHONE`, the staff pages) reads the contacts
-- through CONCAT() below and so scans them; a billing system that keeps
-- numbers in E.164 form avoids it.

CREATE TABLE IF NOT EXISTS cis_status (
  status_cd SMALLINT    NOT NULL PRIMARY KEY,
  meaning   VARCHAR(16) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=gbk COLLATE=gbk_chinese_ci;
INSERT IGNORE INTO cis_status VALUES (10, 'open'), (20, 'paid'), (30, 'cancelled'), (40, 'disputed');

CREATE TABLE IF NOT EXISTS cis_account (
  acct_code   CHAR(20)    NOT NULL PRIMARY KEY,
  holder_name VARCHAR(60) NOT NULL,
  lang        CHAR(2)     NOT NULL DEFAULT 'ZH',  -- ZH | EN
  cust_class  TINYINT     NOT NULL DEFAULT 1,     -- 1 residential, 2 commercial, 3 large
  grid_code   VARCHAR(16) NULL,
  hold_flag   CHAR(1)     NOT NULL DEFAULT 'N'    -- Y: no dunning (dispute, hardship)
) ENGINE=InnoDB DEFAULT CHARSET=gbk COLLATE=gbk_chinese_ci;

CREATE TABLE IF NOT EXISTS cis_contact (
  contact_no  INT UNSIGNED NOT NULL PRIMARY KEY,
  acct_code   CHAR(20)     NOT NULL,
  medium      VARCHAR(8)   NOT NULL,              -- MOBILE | EMAIL | VOICE | APP
  contact_val VARCHAR(300) NOT NULL,              -- MOBILE and VOICE without +86
  rank_no     SMALLINT     NOT NULL DEFAULT 1,
  agreed      TINYINT      NOT NULL DEFAULT 1,    -- signed the notice agreement
  KEY contact_acct (acct_code, rank_no, medium, agreed, contact_val)
) ENGINE=InnoDB DEFAULT CHARSET=gbk COLLATE=gbk_chinese_ci;

CREATE TABLE IF NOT EXISTS cis_invoice (
  invoice_no BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  acct_code  CHAR(20)        NOT NULL,
  bill_month INT             NOT NULL,           -- 202609
  due_fen    BIGINT          NOT NULL,           -- fen: 1/100 yuan
  paid_fen   BIGINT          NOT NULL DEFAULT 0,
  due_on     DATE            NOT NULL,
  status_cd  SMALLINT        NOT NULL,
  KEY invoice_status_due (status_cd, due_on, acct_code, due_fen, paid_fen, bill_month),
  KEY invoice_acct (acct_code, status_cd, due_on, due_fen, paid_fen, bill_month)
) ENGINE=InnoDB DEFAULT CHARSET=gbk COLLATE=gbk_chinese_ci;

CREATE TABLE IF NOT EXISTS cis_outage (
  plan_no    VARCHAR(20)  NOT NULL PRIMARY KEY,
  plan_type  CHAR(1)      NOT NULL DEFAULT 'P',  -- P planned, T temporary
  region     VARCHAR(128) NOT NULL,
  begin_time DATETIME     NOT NULL,
  end_time   DATETIME     NOT NULL,
  cause      VARCHAR(255) NULL,
  cancelled  TINYINT      NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=gbk COLLATE=gbk_chinese_ci;

CREATE TABLE IF NOT EXISTS cis_outage_acct (
  plan_no   VARCHAR(20) NOT NULL,
  acct_code CHAR(20)    NOT NULL,
  PRIMARY KEY (plan_no, acct_code)
) ENGINE=InnoDB DEFAULT CHARSET=gbk COLLATE=gbk_chinese_ci;

-- The contract.
CREATE OR REPLACE VIEW billing_customers AS
SELECT acct_code AS account_no, holder_name AS name,
       CASE lang WHEN 'ZH' THEN 'zh-CN' WHEN 'EN' THEN 'en' END AS locale,
       ELT(cust_class, 'residential', 'commercial', 'large') AS segment,
       grid_code AS grid_id, hold_flag = 'Y' AS dunning_hold
FROM cis_account;

CREATE OR REPLACE VIEW billing_contacts AS
SELECT contact_no AS contact_id, acct_code AS account_no,
       CASE medium WHEN 'MOBILE' THEN 'sms' WHEN 'EMAIL' THEN 'email'
                   WHEN 'VOICE' THEN 'voice' WHEN 'APP' THEN 'push' END AS channel,
       IF(medium IN ('MOBILE', 'VOICE'), CONCAT('+86', contact_val), contact_val) AS address,
       'holder' AS role, rank_no AS priority, agreed AS consent
FROM cis_contact;

CREATE OR REPLACE VIEW billing_bills AS
SELECT i.invoice_no AS bill_id, i.acct_code AS account_no,
       CONCAT(i.bill_month DIV 100, '-', LPAD(i.bill_month MOD 100, 2, '0')) AS period,
       i.due_fen / 100 AS amount_due, i.paid_fen / 100 AS amount_paid,
       i.due_on AS due_date, s.meaning AS status
FROM cis_invoice i JOIN cis_status s ON s.status_cd = i.status_cd;

CREATE OR REPLACE VIEW billing_outages AS
SELECT plan_no AS outage_id,
       CASE plan_type WHEN 'P' THEN 'planned' WHEN 'T' THEN 'temporary' END AS kind,
       region AS area, begin_time AS starts_at, end_time AS ends_at, cause AS reason,
       IF(cancelled <> 0, 'cancelled', 'scheduled') AS status
FROM cis_outage;

CREATE OR REPLACE VIEW billing_outage_accounts AS
SELECT plan_no AS outage_id, acct_code AS account_no FROM cis_outage_acct;
