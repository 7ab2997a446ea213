-- 009: the lease index without the state. messages_lease (lease_owner,
-- state) had its entry rewritten at every state change of a message
-- (submitting, accepted, delivered) though nothing looks a lease up by its
-- state: recovery finds the rows it marked by lease_owner alone. MariaDB
-- spent 4% less CPU on a night's sending (scripts/bench-send.sh sms 100000
-- 256 with 20 ms provider latency, five runs each way, interleaved: 3.62 ->
-- 3.48 CPU-seconds; messages/s the same).
ALTER TABLE messages
  DROP INDEX IF EXISTS messages_lease,
  ADD INDEX IF NOT EXISTS messages_lease_owner (lease_owner);
