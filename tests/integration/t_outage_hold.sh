#!/bin/sh
# An outage recorded while serve sends a night's dunning: once its pass
# has notices to write, the dispatcher claims only urgent messages until
# they are queued, so that the pass has the cores the dunning would take
# (beside a busy sending, 50,000 accounts' notices took 29-33 s to
# their first message at 1M). Here a transaction of the test's own holds
# the pass at its write for seconds: meanwhile no dunning message is
# claimed; once it is let go, the outage's messages go and the dunning
# goes on to its end.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 19640 "-d 5"
RATE=40 CONCURRENCY=4 send_conf 19641 "
[schedule]
nightly_at = 23:59

[outage]
check_every = 5"
sms_accounts 600
sqlb "INSERT INTO billing_customers (account_no, name, grid_id)
      SELECT CONCAT('T', seq), CONCAT('停电户', seq), 'G2' FROM seq_1_to_40"
sqlb "INSERT INTO billing_contacts (contact_id, account_no, channel, address)
      SELECT 5000 + seq, CONCAT('T', seq), 'sms', CONCAT('+86139', LPAD(seq, 8, '0')) FROM seq_1_to_40"
fgok plan --date 2026-10-02 --now "2026-10-02 10:00"
eq "600" "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'queued' AND priority = 0")" "the night's dunning queued"

# dunning_claimed: the dunning messages claimed so far.
dunning_claimed() { sqlg "SELECT COUNT(*) FROM messages WHERE priority = 0 AND state <> 'queued'"; }
serve_start "$conf" "2026-10-02 10:00" serve
i=0
until [ "$(dunning_claimed)" -ge 60 ]; do
	peers_alive
	i=$((i + 1)); [ $i -lt 150 ] || fail "serve sent no dunning: $(tail -5 "$work/serve.err")"; sleep 0.1
done

# The pass will wait at its write: the outage's notice keys, locked by a
# transaction of the test's own (a gap lock where T-1's rows go).
hold "$gschema" 0 "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ; BEGIN;
	SELECT * FROM notice_outages WHERE outage_id = 'T-1' FOR UPDATE"
sqlb "BEGIN;
      INSERT INTO billing_outages (outage_id, kind, area, starts_at, ends_at, reason)
      VALUES ('T-1', 'temporary', '钱塘区', '2026-10-02 13:00', '2026-10-02 17:00', '线路抢修');
      INSERT INTO billing_outage_accounts SELECT 'T-1', CONCAT('T', seq) FROM seq_1_to_40;
      COMMIT"
i=0
until [ "$(sqlg "SELECT COUNT(*) FROM information_schema.innodb_trx
                 WHERE trx_state = 'LOCK WAIT' AND trx_query LIKE 'INSERT INTO notice_outages%'")" = 1 ]; do
	peers_alive
	i=$((i + 1)); [ $i -lt 150 ] || fail "the outage pass did not reach its write: $(sqlg "SELECT CONCAT_WS(' | ', state, LEFT(info, 60)) FROM information_schema.processlist WHERE info IS NOT NULL")"; sleep 0.1
done
has "$(cat "$work/serve.err")" "serve: outage notices to write: only urgent messages are claimed until they are queued" \
    "the hold is logged"
# What was claimed before the hold goes on; then nothing more.
sleep 1
c1=$(dunning_claimed)
sleep 3
c2=$(dunning_claimed)
[ "$c1" -lt 600 ] || fail "the dunning ended before the outage: the test did not test"
eq "$c1" "$c2" "no dunning message claimed in 3 s while the outage's notices are written"
eq "0" "$(sqlg "SELECT COUNT(*) FROM messages WHERE priority = 1")" "the outage's messages not yet queued"

# Let go: the notices are written, their messages go, then the dunning.
end_holder
i=0
until [ "$(sqlg "SELECT COUNT(*) FROM messages WHERE priority = 1 AND state IN ('accepted', 'delivered')")" = 40 ]; do
	peers_alive
	i=$((i + 1)); [ $i -lt 200 ] || fail "the outage's messages did not go: $(tail -5 "$work/serve.err")"; sleep 0.1
done
eq "40" "$(awk -F'\t' '$3 ~ /^\+86139/ && $5 ~ /停电/' "$work/sim.tsv" | wc -l | tr -d ' ')" \
   "every outage account told, once"
i=0
until [ "$(sqlg "SELECT COUNT(*) FROM messages WHERE priority = 0 AND state IN ('accepted', 'delivered')")" = 600 ]; do
	peers_alive
	i=$((i + 1)); [ $i -lt 400 ] || fail "the dunning did not go on after the outage: $(dunning_claimed) claimed"; sleep 0.1
done
eq "600" "$(awk -F'\t' '$3 ~ /^\+86138/' "$work/sim.tsv" | wc -l | tr -d ' ')" "every dunning SMS sent, once"
# Those the outage's notices overtook: sent after the last of them.
after=$(awk -F'\t' '$3 ~ /^\+86139/ { last = NR } END { print last }' "$work/sim.tsv")
[ "$(awk -F'\t' -v a="$after" 'NR > a && $3 ~ /^\+86138/' "$work/sim.tsv" | wc -l)" -gt 0 ] ||
	fail "no dunning SMS after the outage's"
kill -TERM "$serve_pid"
wait "$serve_pid" || fail "serve's exit status"
fgok audit verify
done_ok
