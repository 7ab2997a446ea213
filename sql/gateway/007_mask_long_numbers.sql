-- 007: notice_log masks a long phone number as gateway/mask.c does now:
-- at most 6 characters kept before the ****, so that a malformed number
-- with something after it is not shown whole.
CREATE OR REPLACE VIEW notice_log AS
SELECT m.message_id, m.notice_id, n.case_id, m.account_no, n.kind, n.seq,
       m.channel,
       CASE
         WHEN m.channel = 'email' AND LOCATE('@', m.address) > 1 THEN
           CONCAT(LEFT(m.address, 1), '***', SUBSTRING(m.address, LOCATE('@', m.address)))
         WHEN m.channel IN ('sms', 'voice') AND CHAR_LENGTH(m.address) >= 9 THEN
           CONCAT(LEFT(m.address, LEAST(6, CHAR_LENGTH(m.address) - 8)), '****', RIGHT(m.address, 4))
         WHEN m.channel = 'push' AND CHAR_LENGTH(m.address) > 8 THEN
           CONCAT(LEFT(m.address, 6), '***')
         ELSE REPEAT('*', LEAST(CHAR_LENGTH(m.address), 8))
       END AS address_masked,
       m.state, m.attempts, m.created_on, m.created_at, m.updated_at,
       m.provider, m.provider_ref, m.last_error
FROM messages m
JOIN notices n ON n.notice_id = m.notice_id;
