-- 010: a message's priority is 0 (claimed in turn) or 1 (urgent: outage
-- and urgent API notices, claimed first), as its notice's `urgent`. The
-- claim asks for `priority = 1` (an equality keeps its range on
-- messages_urgent to what is due, gateway/outbox.c claim_select); a
-- message with any other priority would never be claimed, so none may be
-- written.
ALTER TABLE messages
  ADD CONSTRAINT messages_priority CHECK (priority IN (0, 1));
ALTER TABLE notices
  ADD CONSTRAINT notices_urgent CHECK (urgent IN (0, 1));
