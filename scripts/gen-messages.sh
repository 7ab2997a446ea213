#!/bin/sh
# gen-messages.sh SOCKET SCHEMA ROWS QUEUED: ROWS message rows in the
# (migrated) gateway schema SCHEMA, as a province's outbox holds them
# mid-night: QUEUED of them due (SMS, voice and push, made at 00:00 UTC
# on 2026-10-01, a tenth of them retries due since 01:00, a tenth urgent),
# the rest delivered. A million rows a statement. For
# scripts/bench-metrics.sh and the scale test (tests/integration/
# s_metrics.sh); MariaDB's seq engine makes the rows.
set -eu
[ $# -eq 4 ] || { echo "usage: scripts/gen-messages.sh SOCKET SCHEMA ROWS QUEUED" >&2; exit 2; }
sock=$1 schema=$2 rows=$3 queued=$4
case "$rows$queued" in *[!0-9]* | '') echo "gen-messages.sh: ROWS and QUEUED are numbers" >&2; exit 2 ;; esac
sql() { mariadb --no-defaults --default-character-set=utf8mb4 --socket="$sock" -uroot "$schema" "$@"; }
lo=1
while [ "$lo" -le "$rows" ]; do
	hi=$((lo + 999999)); [ "$hi" -le "$rows" ] || hi=$rows
	sql -e "INSERT INTO messages (notice_id, account_no, channel, contact_id,
		address, state, created_on, created_at, priority, next_attempt_at)
		SELECT seq, CONCAT('33', LPAD(seq, 8, '0')),
		  IF(seq > $rows - $queued, ELT(1 + seq % 3, 'sms', 'voice', 'push'),
		     ELT(1 + seq % 4, 'sms', 'voice', 'push', 'email')), seq,
		  CONCAT('+86138', LPAD(seq % 100000000, 8, '0')),
		  IF(seq > $rows - $queued, IF(seq % 10 = 0, 'retry', 'queued'), 'delivered'),
		  '2026-10-01', '2026-10-01 00:00:00', seq % 10 = 1,
		  IF(seq > $rows - $queued AND seq % 10 = 0, '2026-10-01 01:00:00', NULL)
		FROM seq_${lo}_to_${hi}"
	lo=$((hi + 1))
done
sql -e "ANALYZE TABLE messages" >/dev/null
