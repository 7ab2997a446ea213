#!/bin/sh
# [dispatch] claimers: a busy lane's next batch is claimed on a second
# connection while the last one's statements (loading, billing's
# balances, marking) still run. 4,000 SMS sent with one claimer, queued
# again and sent with two: MariaDB's slow log (every statement, in the
# order they ended) shows a claim of one connection ending inside the
# other's claim transaction (its claim, then its COMMIT) only with two;
# either way every message is claimed once and reaches the provider once.
# The simulator's receipts carry the token feegate put in each message's
# receipt URL, which MariaDB made from the batch's key: every message
# delivered, each with a token of its own.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 19460 "-d 10"
N=4000
owing_sms $N C
claimers_conf() {
	write_conf "
[channels]
sms = sim

$(sms_section sim)
concurrency = 512

[receipts]
port = 19461
public_url = http://127.0.0.1:19461

[dispatch]
receipt_wait = 30
claimers = $1"
}
claimers_conf 1
fgok plan --date 2026-10-02
eq "$N" "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'queued'")" "$N SMS queued"
sim_control '{"latency_ms": 20}'

# send CLAIMERS: dispatch with that many claimers, the slow log on; writes
# $work/claimsCLAIMERS: "CLAIMS ROWS CONNECTIONS OVERLAPS", the SMS claim
# statements, the rows they claimed, the connections that claimed, and
# the claims that ended while another connection's claim transaction was
# open.
send() {
	claimers_conf "$1"
	: >"$work/sim.tsv"
	slow_on
	"$FEEGATE_BIN" -c "$conf" dispatch --now "2026-10-02 10:00" >"$work/dispatch$1.out" 2>"$work/dispatch$1.err"
	rc=$?
	slow_off
	eq 0 "$rc" "dispatch with $1 claimers: $(tail -2 "$work/dispatch$1.err")"
	mv "$slow" "$work/slow$1.log"
	awk -v schema="$gschema" '
		/^# Thread_id:/ { t = $3; ours = index($0, "Schema: " schema " ") > 0 }
		/Rows_sent:/ { for (i = 1; i < NF; i++) if ($i == "Rows_sent:") rows = $(i + 1) }
		!ours { next }
		/^SELECT message_id, notice_id, case_id/ && /channel = .sms./ {
			claims++; claimed += rows
			if (!(t in seen)) { seen[t] = 1; conns++ }
			for (o in open) if (o != t && open[o]) { overlaps++; break }
			if (rows > 0) open[t] = 1
		}
		/^(COMMIT|commit)/ { open[t] = 0 }
		END { print claims + 0, claimed + 0, conns + 0, overlaps + 0 }' "$work/slow$1.log" >"$work/claims$1"
}

send 1
set -- $(cat "$work/claims1")
echo "     one claimer: $1 claims took $2 rows on $3 connection(s), $4 inside another's"
eq "$N" "$2" "one claimer: each message claimed once"
eq 1 "$3" "one claimer: one connection claims"
eq 0 "$4" "one claimer: no claim inside another's"
eq "$N" "$(wc -l <"$work/sim.tsv" | tr -d ' ')" "one claimer: the provider got $N requests"
eq "$N" "$(awk -F'\t' '{ print $3 }' "$work/sim.tsv" | sort -u | wc -l | tr -d ' ')" "one claimer: $N numbers, each once"

sqlg "UPDATE messages SET state = 'queued', next_attempt_at = NULL, attempts = 0,
      receipt_token = NULL, lease_owner = NULL, lease_expires_at = NULL"
send 2
set -- $(cat "$work/claims2")
echo "     two claimers: $1 claims took $2 rows on $3 connection(s), $4 inside another's"
eq "$N" "$2" "two claimers: each message claimed once"
eq 2 "$3" "two claimers: both connections claim"
[ "$4" -ge 3 ] || fail "two claimers: only $4 claims ran inside another connection's claim (at least 3: the next batch is claimed while the last one is marked)"
eq "$N" "$(wc -l <"$work/sim.tsv" | tr -d ' ')" "two claimers: the provider got $N requests"
eq "$N" "$(awk -F'\t' '{ print $3 }' "$work/sim.tsv" | sort -u | wc -l | tr -d ' ')" "two claimers: $N numbers, each once"
eq "$N" "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'delivered' AND attempts = 1")" "two claimers: every message delivered (its receipt's token the row's), one attempt each"
eq "$N" "$(sqlg "SELECT COUNT(DISTINCT receipt_token) FROM messages WHERE receipt_token REGEXP '^[0-9a-f]{32}$'")" "a token of 32 hex digits a message, none twice"
eq "$((2 * N))" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE event = 'message_attempt'")" "an attempt row a message a night"
done_ok
