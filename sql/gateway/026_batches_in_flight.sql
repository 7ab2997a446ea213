-- 026: the claim's index keeps only the messages waiting to go. Its
-- `state` key part moved a message's entry at each of its three updates
-- (marked submitting, accepted, delivered), and purge then removed the old
-- entry: in the client at 1M, the three updates of 50,000 messages took
-- 2.37 s of MariaDB's CPU with that index, 1.59 s with one that holds the
-- state only while a message waits (queued, retry, or leased by an earlier
-- build) and NULL after, so that only the claim moves it. End to end at
-- 1M, page reads a message 86 -> 62 and pages written 23.5 -> 17.6
-- (docs/performance.md, "The claim's index holds only waiting messages").
--
-- What the index also found is found from a row a claimed batch instead,
-- written with the batch's marking: lease recovery reads the batches with
-- messages not yet answered past their lease (their ids are on the row),
-- and `run` sums the receipts the batches since it started still await
-- (the recorder counts a batch's answers down and its accepted messages
-- up, the receipts count those down). A message names its batch (no
-- index). The counts only choose what recovery and `run` look at; the
-- messages' states decide.
CREATE TABLE IF NOT EXISTS message_batches (
  batch_id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  channel          VARCHAR(16) NOT NULL,
  provider         VARCHAR(32) NOT NULL,
  submitted_at     DATETIME(6) NOT NULL,
  lease_expires_at DATETIME(6) NOT NULL,
  unanswered       INT NOT NULL,
  awaited          INT NOT NULL DEFAULT 0,
  message_ids      MEDIUMTEXT CHARACTER SET ascii NOT NULL,
  KEY message_batches_submitted (submitted_at)
) ENGINE=InnoDB;

-- Messages in flight when this runs (a dispatcher stopped mid-batch by an
-- upgrade): a batch each, so that recovery still finds them in doubt.
-- Receipts already awaited are not counted: `run` does not wait for them.
INSERT INTO message_batches (channel, provider, submitted_at,
  lease_expires_at, unanswered, message_ids)
  SELECT channel, COALESCE(provider, ''),
    COALESCE(submitted_at, updated_at), COALESCE(lease_expires_at, updated_at),
    1, message_id
  FROM messages WHERE priority IN (0, 1) AND state = 'submitting';

ALTER TABLE messages
  ADD COLUMN IF NOT EXISTS batch_id BIGINT UNSIGNED NULL,
  ADD COLUMN IF NOT EXISTS queue_state ENUM('queued', 'leased', 'submitting',
    'accepted', 'delivered', 'retry', 'failed_permanent', 'expired',
    'cancelled') AS (IF(state IN ('queued', 'retry', 'leased'), state, NULL))
    VIRTUAL,
  DROP INDEX IF EXISTS messages_urgent,
  ADD INDEX IF NOT EXISTS messages_waiting
    (priority, queue_state, channel, next_attempt_at);
UPDATE message_batches b
  JOIN messages m ON m.message_id = CAST(b.message_ids AS UNSIGNED)
  SET m.batch_id = b.batch_id
  WHERE m.batch_id IS NULL AND m.state = 'submitting';
