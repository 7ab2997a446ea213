-- 023: the report (`feegate report`, the staff pages' report) reads a
-- range of dates, and of those dates only the cases' closing was
-- indexed: every report read every notice, message and case ever
-- planned. At 10M customers after two nights the last night's report
-- read 30.7 million rows, 23.9 s from a cold server; a province's
-- history grows by millions of rows a night. Each index is by a date
-- written once, at insert, in the order rows are inserted, so planning
-- appends to its end. The notices' also holds the rest of what the
-- report reads of them (counted from the index alone); of those columns
-- only `unreachable` ever changes, when a notice runs out of contacts.
-- InnoDB builds the indexes while the tables stay in use: within a
-- minute for 6.2 million notices and messages (10M customers, two
-- nights), longer for a season's.
ALTER TABLE notices
  ADD INDEX IF NOT EXISTS notices_sent (sent_on, kind, seq, unreachable);
ALTER TABLE messages
  ADD INDEX IF NOT EXISTS messages_created (created_on);
ALTER TABLE dunning_cases
  ADD INDEX IF NOT EXISTS cases_opened (opened_on);
ALTER TABLE collection_tasks
  ADD INDEX IF NOT EXISTS tasks_created (created_on);
ALTER TABLE input_errors
  ADD INDEX IF NOT EXISTS input_errors_first (first_seen_on);
ALTER TABLE notice_outages
  ADD INDEX IF NOT EXISTS notice_outages_sent (sent_on);
