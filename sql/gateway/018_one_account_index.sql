-- 018: a notice had two indexes by account, (account_no) from 001 and
-- (account_no, sent_on) from 004; the second serves every lookup the
-- first did (the timeline's, the API's cap per day). One index entry a
-- notice fewer to write: a night inserts a notice for every case it
-- steps. Dropping an index does not copy the table.
ALTER TABLE notices DROP INDEX IF EXISTS notices_account;
