#!/bin/sh
# The dispatcher's batch loads read each claimed message's rows by key,
# whatever MariaDB's statistics say. With statistics taken while notices
# and outage_versions were empty (ANALYZE, then frozen with
# STATS_AUTO_RECALC = 0: a table whose background recount has not come
# yet), MariaDB started the outage notices' load from the outage and read
# all its notices for every batch (a deployed night at 100,000 customers:
# urgent notices at 200 a second instead of 5,500). 2,000 accounts in one
# outage: the rows the outage loads examine (MariaDB's slow log, every
# statement) stay a small multiple of the messages.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 19900 "-d 10"
N=2000
sqlb "INSERT INTO billing_customers (account_no, name, grid_id)
      SELECT CONCAT('S', seq), CONCAT('客户', seq), 'G1' FROM seq_1_to_$N"
sqlb "INSERT INTO billing_contacts (contact_id, account_no, channel, address, priority, consent)
      SELECT seq, CONCAT('S', seq), 'sms', CONCAT('+86139', LPAD(seq, 8, '0')), 1, 1 FROM seq_1_to_$N"
RATE=5000 CONCURRENCY=32 send_conf 19901 "receipt_wait = 0"
for t in notices outage_versions outages; do
	mysql_cli -e "ANALYZE TABLE \`$gschema\`.$t; ALTER TABLE \`$gschema\`.$t STATS_AUTO_RECALC = 0" >/dev/null
done
sqlb "INSERT INTO billing_outages (outage_id, kind, area, starts_at, ends_at, reason)
      VALUES ('O1', 'temporary', '近江社区', '2026-10-02 14:00', '2026-10-02 18:00', '线路抢修')"
sqlb "INSERT INTO billing_outage_accounts SELECT 'O1', CONCAT('S', seq) FROM seq_1_to_$N"
fgok plan --date 2026-10-02 --now "2026-10-02 10:00"
eq "$N" "$(sqlg "SELECT COUNT(*) FROM messages WHERE priority = 1 AND state = 'queued'")" "$N urgent SMS queued"
# Every statement into the slow log meanwhile; the outage loads' rows
# examined summed.
slow_on
fgok dispatch --now "2026-10-02 10:00"
slow_off
eq "$N" "$(wc -l <"$work/sim.tsv" | tr -d " ")" "every notice sent"
set -- $(slow_rows "JOIN outage_versions pv")
loads=$1 read=$2
echo "     $loads outage loads for $N notices examined $read rows"
[ "$loads" -gt 0 ] || fail "no outage load in the slow log: $slow"
[ "$read" -lt $((10 * N)) ] || fail "the outage loads examined $read rows for $N messages (the outage's notices read again for each batch?)"
done_ok
