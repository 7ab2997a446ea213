-- 013: an API client's idempotency keys compare byte for byte. Declared
-- CHARACTER SET ascii, request_key took ascii_general_ci, so `Case-Key-1`
-- and `CASE-KEY-1` were one key: the second got 409, and `case-key-1`
-- replayed the first (a notice lost). Other ASCII columns (hashes, tokens)
-- are compared in C or hold only what feegate wrote in one case; staff
-- user names stay case-insensitive on purpose (`Li.Na` is li.na).
ALTER TABLE notices
  MODIFY request_key VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  MODIFY request_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL;
