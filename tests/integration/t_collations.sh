#!/bin/sh
# Any character set and collation, on billing's side and the gateway's:
# billing's contract tables in utf8mb4 (_general_ci, _unicode_ci,
# _unicode_520_ci, _bin), utf8mb3 and gbk, made as a utility makes them
# (CREATE DATABASE ... CHARACTER SET x, tables without a collation of
# their own), against a gateway schema created beforehand in each of the
# same. For every combination, a night: notice 1 with the Chinese name and
# the amount intact, an outage notice with its Chinese area, account
# numbers compared byte for byte (a bill for `a1` or `A1 ` is not A1's),
# a phone search, and a second night that sees no outage change. For a
# few combinations, the whole ladder to the collection task, and a notice
# through the API of `serve`.
. "$(dirname "$0")/lib.sh"
start_sim 19850 "-d 10"
SETS="utf8mb4:utf8mb4_general_ci utf8mb4:utf8mb4_unicode_ci utf8mb4:utf8mb4_unicode_520_ci
utf8mb4:utf8mb4_bin utf8mb3:utf8mb3_general_ci gbk:gbk_chinese_ci"
printf 'api-T0ken-collations\n' >"$work/api.token"
chmod 600 "$work/api.token"

# setup BILLING GATEWAY ("charset:collation" each): fresh schemas, and
# the customers of every case.
setup() {
	BILLING_CHARSET="${1%%:*} ${1#*:}"
	GATEWAY_CHARSET="${2%%:*} ${2#*:}"
	fresh_schemas
	: >"$work/sim.tsv" # (the simulator appends: what this case sent)
	send_conf 19855 "
[api]
token_file = $work/api.token"
	customer A1 0 G7 "张伟"
	contact 1 A1 sms +8613800000001
	bill A1-1 A1 100.00 2026-10-01
	bill X-1 a1 50.00 2026-10-01     # another account, unknown to billing
	bill X-2 "A1 " 30.00 2026-10-01 # likewise: the space counts
	customer B2 0 G7 "Li Na"
	sqlb "UPDATE billing_customers SET locale = 'en' WHERE account_no = 'B2'"
	contact 2 B2 sms +8613800000002
	bill B2-1 B2 20.00 2026-10-01
	sqlb "INSERT INTO billing_outages (outage_id, kind, area, starts_at, ends_at, reason)
	      VALUES ('O1', 'planned', '西湖区文三路', '2026-10-05 08:00', '2026-10-05 17:00', '线路检修')"
	sqlb "INSERT INTO billing_outage_accounts VALUES ('O1', 'A1')"
}

# cheap BILLING GATEWAY: one night and what it must have done.
cheap() {
	setup "$1" "$2"
	w="[$1 / $2]"
	fgok run --date 2026-10-02 --now "2026-10-02 10:00"
	eq "A1 100.00
B2 20.00" "$(sqlg "SELECT account_no, balance_at_open FROM dunning_cases ORDER BY account_no")" \
	   "$w cases and balances: A1's own bill only"
	eq "[A1 ] [a1]" "$(sqlg "SELECT GROUP_CONCAT(CONCAT('[', account_no, ']') ORDER BY account_no SEPARATOR ' ')
	                       FROM input_errors WHERE reason = 'overdue bills for an account not in billing_customers'")" \
	   "$w bills of a1 and 'A1 ' refused as other accounts"
	eq "0" "$(sqlg "SELECT COUNT(*) FROM input_errors WHERE source = 'customer' AND account_no IN ('A1', 'B2')")" \
	   "$w the names are accepted"
	has "$(sqlg "SELECT body FROM message_texts JOIN messages m USING (message_id) JOIN notices n USING (notice_id) WHERE n.kind = 'dunning' AND m.account_no = 'A1'")" \
	    "尊敬的张伟客户：您的户号****电费¥100.00" "$w notice 1 as sent, name and amount intact"
	has "$(sqlg "SELECT body FROM message_texts JOIN messages m USING (message_id) JOIN notices n USING (notice_id) WHERE n.kind = 'dunning' AND m.account_no = 'B2'")" \
	    "Dear Li Na," "$w the English notice"
	has "$(sqlg "SELECT body FROM message_texts JOIN messages m USING (message_id) JOIN notices n USING (notice_id) WHERE n.kind = 'outage_notice'")" \
	    "西湖区文三路将计划检修停电" "$w the outage notice with its area"
	eq "2" "$(sim_count +8613800000001)" "$w A1's two messages reached the provider"
	fgok log 13800000001
	has "$(cat "$work/last.out")" "张伟" "$w found by phone"
	has "$(cat "$work/last.out")" "A1" "$w ... its account"
	fgok run --date 2026-10-03 --now "2026-10-03 10:00"
	eq "1 3" "$(sqlg "SELECT (SELECT COUNT(*) FROM outage_versions), (SELECT COUNT(*) FROM messages)")" \
	   "$w the next night: the outage unchanged, nothing new to send"
}

# full BILLING GATEWAY: the ladder to the task, and the notice API.
full() {
	cheap "$1" "$2"
	w="[$1 / $2]"
	for d in 2026-10-09 2026-10-16 2026-10-23; do fgok run --date $d --now "$d 10:00"; done
	eq "escalated/3 1:failed,0:delivered,2:failed,3:failed task:open" "$(state A1)" \
	   "$w the ladder to the task (0: the outage notice)"
	eq "G7 100.00" "$(sqlg "SELECT grid_id, amount_due FROM collection_tasks WHERE account_no = 'A1'")" \
	   "$w the task: grid and amount"
	serve_api "2026-10-23 11:00" 19855 api-T0ken-collations
	api_post '{"account_no": "A1", "kind": "payment_received", "data": {"amount": "100.00"}, "idempotency_key": "c1"}'
	eq "202" "$code" "$w the API takes a notice for A1: $(cat "$work/resp")"
	api_post '{"account_no": "a1", "kind": "payment_received", "data": {"amount": "1.00"}, "idempotency_key": "c2"}'
	eq "422" "$code" "$w ... and not for a1: $(cat "$work/resp")"
	payment_delivered "张伟" "$w name intact"
	kill -TERM "$serve"
	wait "$serve" || fail "$w serve's exit status"
}

for b in $SETS; do
	for g in $SETS; do
		case "$b/$g" in
		gbk:*/utf8mb4:utf8mb4_general_ci | utf8mb4:utf8mb4_bin/gbk:* | \
			utf8mb3:*/utf8mb4:utf8mb4_unicode_520_ci | utf8mb4:utf8mb4_general_ci/utf8mb4:utf8mb4_unicode_ci)
			full "$b" "$g" ;;
		*) cheap "$b" "$g" ;;
		esac
	done
done
echo "     36 combinations of billing's and the gateway's character sets, 4 of them the whole ladder and the API"

# In a binary collation billing may hold A1 and a1 as two customers: two
# cases, each with its own bills.
setup utf8mb4:utf8mb4_bin utf8mb4:utf8mb4_general_ci
customer a1 0 G8 "王芳"
contact 3 a1 sms +8613800000003
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
eq "A1 100.00
B2 20.00
a1 50.00" "$(sqlg "SELECT account_no, balance_at_open FROM dunning_cases ORDER BY account_no")" \
   "A1 and a1: two cases, two balances"
has "$(sqlg "SELECT body FROM message_texts JOIN messages USING (message_id) WHERE contact_id = 3")" "尊敬的王芳客户" "a1's notice to a1's contact"
done_ok
