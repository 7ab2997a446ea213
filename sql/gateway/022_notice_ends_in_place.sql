-- 022: a notice's row is written at planning as wide as it will be, so
-- that failing or closing it rewrites it in place. failed_on and closed_on
-- were NULL until then, and InnoDB keeps a NULL in no bytes: setting them
-- made every row longer, and a longer row is deleted and inserted again
-- in its page, which is reorganised about every tenth row. Failing night
-- 1's 258,252 notices at 1M (the `mariadb` client, rolled back each time):
-- 1.37-2.00 s of MariaDB's CPU and 26,236 page reorganisations with the
-- rows growing, 0.32-0.54 s and none in place. Until a notice fails or
-- closes, both hold its sent_on; they mean something only with its state
-- (failed; settled or cancelled), as the timeline reads them. The
-- defaults alone change: no row is rewritten, and rows planned before
-- keep their NULLs.
ALTER TABLE notices
  ALTER COLUMN failed_on SET DEFAULT (sent_on),
  ALTER COLUMN closed_on SET DEFAULT (sent_on);
