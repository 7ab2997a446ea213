-- The billing contract: what feegate reads from the utility's billing
-- database (see README "Billing contract"). In production these are the
-- billing system's own tables or views; feegate never writes them. This file
-- creates them for the demo, the tests and the benchmarks.
--
-- Indexes beyond the primary keys are recommendations: feegate's nightly
-- pass reads unpaid bills by status and contacts by account, and reads an
-- account's unpaid bills again before each message. The two indexes on
-- bills and the first on contacts hold every column those reads use, so
-- MariaDB answers them from the index without reading each row
-- (docs/billing-contract.md says what that saved; `feegate billing check`
-- says whether a billing server's indexes do). The second on contacts
-- finds a caller's accounts by phone number or address (`feegate log
-- PHONE`, the staff pages): its first 64 characters hold any phone number
-- or e-mail address, and fit whatever the column's width.

CREATE TABLE IF NOT EXISTS billing_customers (
  account_no   VARCHAR(32)  NOT NULL PRIMARY KEY,
  name         VARCHAR(128) NOT NULL,
  locale       VARCHAR(16)  NOT NULL DEFAULT 'zh-CN',
  segment      VARCHAR(16)  NOT NULL DEFAULT 'residential',
  grid_id      VARCHAR(32)  NULL,
  dunning_hold TINYINT(1)   NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS billing_contacts (
  contact_id BIGINT       NOT NULL PRIMARY KEY,
  account_no VARCHAR(32)  NOT NULL,
  channel    VARCHAR(16)  NOT NULL,
  address    VARCHAR(320) NOT NULL,
  role       VARCHAR(16)  NOT NULL DEFAULT 'holder',
  priority   INT          NOT NULL DEFAULT 1,
  consent    TINYINT(1)   NOT NULL DEFAULT 1,
  KEY contacts_account (account_no, priority, channel, consent, address),
  KEY contacts_address (address(64))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS billing_bills (
  bill_id     VARCHAR(32)   NOT NULL PRIMARY KEY,
  account_no  VARCHAR(32)   NOT NULL,
  period      CHAR(7)       NOT NULL,
  amount_due  DECIMAL(12,2) NOT NULL,
  amount_paid DECIMAL(12,2) NOT NULL DEFAULT 0,
  due_date    DATE          NOT NULL,
  status      VARCHAR(16)   NOT NULL DEFAULT 'open',
  KEY bills_status_due (status, due_date, account_no, amount_due, amount_paid, period),
  KEY bills_account (account_no, status, due_date, amount_due, amount_paid, period)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS billing_outages (
  outage_id VARCHAR(32)  NOT NULL PRIMARY KEY,
  kind      VARCHAR(16)  NOT NULL DEFAULT 'planned',
  area      VARCHAR(128) NOT NULL,
  starts_at DATETIME     NOT NULL,
  ends_at   DATETIME     NOT NULL,
  reason    VARCHAR(255) NULL,
  status    VARCHAR(16)  NOT NULL DEFAULT 'scheduled'
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS billing_outage_accounts (
  outage_id  VARCHAR(32) NOT NULL,
  account_no VARCHAR(32) NOT NULL,
  PRIMARY KEY (outage_id, account_no)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
