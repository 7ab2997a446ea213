-- 011: no index on lease_owner. Every message's entry was rewritten twice
-- (the claim sets the owner, the provider's answer clears it), and only
-- the lease recovery looked it up, for the rows it had just marked; those
-- are `retry` rows now found through messages_urgent (gateway/outbox.c,
-- stage_marked). MariaDB spent 6% less CPU on a night's sending
-- (scripts/bench-send.sh sms 200000 512, batches of 100, -l 20; three runs
-- each way, interleaved: 5.8-6.0 -> 5.4-5.6 CPU-seconds, 10,460-11,292 ->
-- 10,883-11,652 messages/s).
ALTER TABLE messages DROP INDEX IF EXISTS messages_lease_owner;
