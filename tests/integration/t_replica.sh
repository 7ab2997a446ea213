#!/bin/sh
# Billing on a server of its own: the gateway's MariaDB replicates the
# billing schema from it (scripts/billing-replica.sh) and feegate reads
# the replication's lag. A night refuses to plan on billing data more than
# max_billing_lag behind or of unknown age (replication stopped), the
# dispatcher holds dunning messages meanwhile, and a payment made on the
# billing server stops a queued message once the replica has it.
. "$(dirname "$0")/lib.sh"
export FEEGATE_BILLING_PORT=19330 FEEGATE_BILLING_CONNECTION=billing
replica() { "$top/scripts/billing-replica.sh" "$@"; }
trap 'cleanup; replica stop >/dev/null 2>&1 || true
      mysql_cli -e "REVOKE SLAVE MONITOR ON *.* FROM feegate_it@localhost" 2>/dev/null || true' EXIT

fresh_schemas
# Billing's schema lives on the billing server: made there, it reaches the
# gateway's server by replication alone.
mysql_cli -e "DROP DATABASE \`$bschema\`"
psock=$(replica start "$bschema" | sed -n 's/^FEEGATE_BILLING_SOCKET=//p')
[ -S "$psock" ] || fail "the billing server's socket"
primary() { mariadb --no-defaults --default-character-set=utf8mb4 --socket="$psock" -uroot --batch --skip-column-names "$@"; }
primary -e "DROP DATABASE IF EXISTS \`$bschema\`;
	CREATE DATABASE \`$bschema\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
primary "$bschema" <"$top/sql/billing/contract.sql"
# Every billing row the helpers write goes to the billing server.
sqlb() {
	if ! out=$(primary "$bschema" -e "$1" 2>&1); then
		printf '%s\n%s\n' "$1" "$out" >>"$work/sql-errors"
		return 1
	fi
	[ -z "$out" ] || printf '%s\n' "$out" | tr "\t" " "
}
customer C1; contact 1 C1 sms +8613800000001; bill B1 C1 50.00 2026-10-01
customer C2; contact 2 C2 sms +8613800000002; bill B2 C2 60.00 2026-10-01
replica sync
eq "C1 C2" "$(sqlg "SELECT GROUP_CONCAT(account_no ORDER BY account_no SEPARATOR ' ') FROM \`$bschema\`.billing_customers")" \
   "the replica has billing's rows"
primary -e "CREATE DATABASE IF NOT EXISTS rtest_other; CREATE TABLE IF NOT EXISTS rtest_other.t (a INT)"
replica sync
eq "" "$(sqlg "SHOW DATABASES LIKE 'rtest_other'")" "and nothing of the billing server's other schemas"
primary -e "DROP DATABASE rtest_other"

start_sim 19331
# db_conf LINE...: sending to the simulator, LINEs in [database].
db_conf() {
	send_conf 19332 "${MORE:-}"
	for l in "$@"; do sed -i "/^lock_timeout = /a $l" "$conf"; done
}
db_conf "billing_replica = billing" "max_billing_lag = 600"

# Without SLAVE MONITOR the lag cannot be read: every command says so.
rc=0
fg plan --date 2026-10-02 >"$work/out" 2>"$work/err" || rc=$?
eq "2" "$rc" "no SLAVE MONITOR: refused at start-up"
has "$(cat "$work/err")" "billing_replica = billing: reading the replication status (the account needs SLAVE MONITOR" "and why"
mysql_cli -e "SET @gw = '$gschema', @bill = '$bschema', @account = '''feegate_it''@''localhost''', @replica = 1;
	SOURCE $top/sql/grants.sql" || fail "grants with @replica = 1"

fgok billing check
has "$(cat "$work/last.out")" "billing data: replica billing, 0 s behind the billing server (max_billing_lag 600): fresh" \
    "billing check reads the lag"

# A night on fresh data plans; its summary says how fresh.
fgok plan --date 2026-10-02 --now "2026-10-02 10:00"
has "$(cat "$work/last.out")" "billing: date=2026-10-02 replica=billing lag=0" "the lag in the summary"
eq "open/1 1:planned" "$(state C1)" "C1's first notice planned"

# A payment on the billing server just before sending: once the replica
# has it, the dispatcher's re-check cancels the message.
sqlb "UPDATE billing_bills SET amount_paid = amount_due, status = 'paid' WHERE bill_id = 'B1'"
replica sync
fgok dispatch --now "2026-10-02 10:05"
eq "cancelled" "$(sqlg "SELECT state FROM messages WHERE account_no = 'C1'")" "C1 paid on the billing server: not sent"
eq "0" "$(sim_count +8613800000001)" "nothing reached C1"
eq "1" "$(sim_count +8613800000002)" "C2's notice went"

# Replication stopped: billing's data is of unknown age. A new customer's
# notice is planned while it runs, then replication stops and the customer
# pays on the billing server: nothing is sent on the stale data.
customer C3; contact 3 C3 sms +8613800000003; bill B3 C3 70.00 2026-10-02
replica sync
fgok plan --date 2026-10-03 --now "2026-10-03 10:00"
eq "open/1 1:planned" "$(state C3)" "C3's notice planned"
mysql_cli -e "STOP SLAVE 'billing'"
sqlb "UPDATE billing_bills SET amount_paid = amount_due, status = 'paid' WHERE bill_id = 'B3'"
customer C4; contact 4 C4 sms +8613800000004; bill B4 C4 80.00 2026-10-02
rc=0
fg run --date 2026-10-04 --now "2026-10-04 10:00" >"$work/out" 2>"$work/err" || rc=$?
eq "1" "$rc" "the night refuses: exit status 1"
has "$(cat "$work/err")" "billing schema $bschema (replica billing): replication is stopped (SQL thread No" "and says why"
has "$(cat "$work/err")" "nothing is planned or dunned on it" "and what it means"
eq "0" "$(sqlg "SELECT COUNT(*) FROM nights WHERE business_date = '2026-10-04'")" "no night noted"
rc=0
fg billing check >"$work/out" 2>&1 || rc=$?
eq "1" "$rc" "billing check: a night cannot run"
has "$(cat "$work/out")" "billing data: billing schema $bschema (replica billing): replication is stopped" "billing check says so"
fgok dispatch --now "2026-10-03 10:05"
has "$(cat "$work/last.err")" "dunning messages wait" "the dispatcher holds dunning while billing is stale"
eq "queued" "$(sqlg "SELECT state FROM messages WHERE account_no = 'C3'")" "C3's message waits"
eq "0" "$(sim_count +8613800000003)" "nothing sent to C3 on stale data"

# Started again: the payment arrives, the waiting message is cancelled,
# the night plans.
mysql_cli -e "START SLAVE 'billing'"
replica sync
fgok dispatch --now "2026-10-03 10:10"
eq "cancelled" "$(sqlg "SELECT state FROM messages WHERE account_no = 'C3'")" "C3 paid: cancelled, never sent"
eq "0" "$(sim_count +8613800000003)" "nothing reached C3"
fgok plan --date 2026-10-04 --now "2026-10-04 10:00"
eq "open/1 1:planned" "$(state C4)" "the night plans once replication runs"

# serve's nightly pass on stale data fails, and runs again, check_every
# seconds later, once replication runs.
MORE="
[schedule]
nightly_at = 09:30

[outage]
check_every = 5" db_conf "billing_replica = billing" "max_billing_lag = 600"
mysql_cli -e "STOP SLAVE 'billing'"
"$FEEGATE_BIN" -c "$conf" serve --now "2026-10-06 09:45" >"$work/serve.out" 2>"$work/serve.err" &
serve=$!
bg_pids="$bg_pids $serve"
i=0
until grep -q "serve: nightly pass 2026-10-06: .*replication is stopped.*; trying again in 5 s" "$work/serve.err"; do
	i=$((i + 1)); [ $i -lt 150 ] || fail "serve's nightly pass on stale data: $(tail -5 "$work/serve.err")"; sleep 0.1
done
eq "0" "$(sqlg "SELECT COUNT(*) FROM nights WHERE business_date = '2026-10-06'")" "no night on stale data"
mysql_cli -e "START SLAVE 'billing'"
i=0
until [ "$(sqlg "SELECT COUNT(*) FROM nights WHERE business_date = '2026-10-06'")" = 1 ]; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "serve did not run the night again: $(tail -5 "$work/serve.err")"; sleep 0.1
done
kill -TERM "$serve"
wait "$serve" || fail "serve's exit status"

# Behind by more than max_billing_lag: the replica applies the billing
# server's changes 30 s late (MASTER_DELAY); after 3 s it is 3 s behind.
db_conf "billing_replica = billing" "max_billing_lag = 2"
mysql_cli -e "STOP SLAVE 'billing'; CHANGE MASTER 'billing' TO MASTER_DELAY = 30; START SLAVE 'billing'"
sqlb "UPDATE billing_customers SET name = 'later' WHERE account_no = 'C4'"
sleep 4
rc=0
fg plan --date 2026-10-05 >"$work/out" 2>"$work/err" || rc=$?
eq "1" "$rc" "too far behind: the night refuses"
has "$(cat "$work/err")" "s behind the billing server, more than max_billing_lag = 2" "and says how far"
mysql_cli -e "STOP SLAVE 'billing'; CHANGE MASTER 'billing' TO MASTER_DELAY = 0; START SLAVE 'billing'"
replica sync

# A replication connection that is not there: a configuration error.
db_conf "billing_replica = nosuch"
rc=0
fg plan --date 2026-10-05 >"$work/out" 2>"$work/err" || rc=$?
eq "2" "$rc" "an unknown connection: exit status 2"
has "$(cat "$work/err")" "billing_replica = nosuch: this server has no replication connection of that name" "named"
done_ok
