-- 016: the claim finds one channel's due messages through the index. The
-- claim asks for priority, state, channel and next_attempt_at; the index
-- had no channel, so a claim for a channel with nothing to send (e-mail
-- configured beside a night of SMS) read every due message of the other
-- channels to find none, each time (when this was found: with 50,000
-- urgent SMS queued, all four channels configured sent 474 messages in
-- 20 s where SMS alone sent 25,274). With channel after state the claim
-- is two probes (its priority, two states), bounded whatever is queued;
-- what names every priority and state (lease recovery, receipts awaited,
-- queue depth) still ranges over the first two columns. t_claim checks
-- the rows a claim for an idle channel reads.
ALTER TABLE messages
  DROP INDEX IF EXISTS messages_urgent,
  ADD INDEX messages_urgent (priority, state, channel, next_attempt_at);
