#!/bin/sh
# Which channel a notice takes: the customer's own priority by default;
# [dunning] channel_order (cheapest first) overrides it, for the first
# message and for every fallback, with channels it does not name after
# the named ones. [costs] price what a night sent.
. "$(dirname "$0")/lib.sh"
fresh_schemas
fcm_keys
start_sim 19130 "-d 20 -t 0rder -k $work/key.pub.pem"
printf '0rder\n' >"$work/token"
service_account "$work/fcm.json"
order_conf() {  # order_conf [[dunning] lines]
	write_conf "
[dunning]
$1

[costs]
sms = 0.045
voice = 0.12
push = 0.0005

[channels]
push = fcm
sms = sim
voice = call

$(fcm_section fcm "$work/fcm.json")

$(sms_section sim)

$(twilio_section call +8657195598)

[receipts]
port = 19125
public_url = http://127.0.0.1:19125

[dispatch]
receipt_wait = 10"
}
first() { sqlg "SELECT channel FROM messages WHERE account_no = '$1' ORDER BY message_id LIMIT 1"; }
chain() { sqlg "SELECT GROUP_CONCAT(channel ORDER BY message_id SEPARATOR ',') FROM messages WHERE account_no = '$1'"; }

# Everyone prefers SMS (priority 1), then the call, then the app.
for n in 1 2 3; do
	customer "330000006$n"
	contact "6${n}1" "330000006$n" sms "+861380000006$n" 1
	contact "6${n}2" "330000006$n" voice "+865710000006$n" 2
	contact "6${n}3" "330000006$n" push "tok6${n}000000000000000" 3
done
bill B61 3300000061 80.00 2026-10-01

# No channel_order: the customer's priority.
order_conf ""
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
eq "sms" "$(first 3300000061)" "by priority: SMS"
parts=$(sqlg "SELECT parts FROM messages WHERE account_no = '3300000061'")
cost=$(awk -v p="$parts" 'BEGIN { printf "%.2f", p * 0.045 }')
has "$(cat "$work/last.out")" "sms=1 sms_parts=$parts email=0 voice=0 push=0 cost=$cost" "the night's cost: $parts SMS parts"
has "$(cat "$work/last.out")" "    sms                      1 ($parts parts, ¥$cost)" "per channel, for people"

# Cheapest first: the app, then SMS; the call is not named and comes last.
order_conf "channel_order = push,sms"
bill B62 3300000062 80.00 2026-10-02
fgok run --date 2026-10-03 --now "2026-10-03 10:00"
eq "push" "$(first 3300000062)" "channel_order: push first"
has "$(cat "$work/last.out")" "sms=0 sms_parts=0 email=0 voice=0 push=1 cost=0.00" "half a fen a push rounds to nothing"

# Fallback follows the order too: the dead token, then SMS (named), then
# voice (not named), whatever the customer's priorities say.
bill B63 3300000063 80.00 2026-10-03
sim_control '{"unregistered_prefix": "tok63", "undeliverable_prefix": "+8613800000063"}'
fgok run --date 2026-10-04 --now "2026-10-04 10:00"
eq "push,sms,voice" "$(chain 3300000063)" "push, then SMS, then the call"
eq "delivered" "$(sqlg "SELECT state FROM messages WHERE account_no = '3300000063' AND channel = 'voice'")" "the call answered"
parts=$(sqlg "SELECT parts FROM messages WHERE account_no = '3300000063' AND channel = 'sms'")
cost=$(awk -v p="$parts" 'BEGIN { printf "%.2f", p * 0.045 + 0.12 }')
has "$(cat "$work/last.out")" "sms=1 sms_parts=$parts email=0 voice=1 push=0 cost=$cost" "an SMS and a call paid for (the refused push is not)"
# The report's table by channel, against the messages table: states and
# SMS parts per channel, the blocked token and number as dead contacts.
fgok report
rep=$(cat "$work/last.out")
fgok report --json
# The same table from `report --json`, a line a channel as the text has it.
json_rows=$(python3 -c 'import json, sys
for c in json.load(open(sys.argv[1]))["channels"]:
    print(" ".join(str(c[k]) for k in ("channel", "messages", "delivered", "accepted", "failed", "expired",
        "cancelled", "waiting", "sms_parts", "dead_contacts") if c[k] is not None))' "$work/last.out")
for ch in push sms email voice; do
	row=$(sqlg "SELECT CONCAT_WS(' ', channel, COUNT(*), SUM(state = 'delivered'), SUM(state = 'accepted'),
	                   SUM(state = 'failed_permanent'), SUM(state = 'expired'), SUM(state = 'cancelled'),
	                   SUM(state IN ('queued', 'retry', 'leased', 'submitting')),
	                   IF(channel = 'sms', SUM(parts), NULL),
	                   (SELECT COUNT(*) FROM contact_blocks b WHERE b.channel = m.channel))
	            FROM messages m WHERE channel = '$ch' GROUP BY channel")
	[ -n "$row" ] || continue
	eq "$row" "$(echo "$rep" | awk -v c="$ch" '$1 == c { $1 = $1; print }')" "report: $ch"
	eq "$row" "$(echo "$json_rows" | awk -v c="$ch" '$1 == c')" "report --json: $ch"
done
eq "push sms voice" "$(echo "$json_rows" | awk '{ printf "%s%s", s, $1; s = " " }')" "report --json: the same order"
eq "push sms voice" "$(echo "$rep" | awk '/messages by channel/ { on = 1; next } on && NF == 0 { exit } on && $1 != "channel" { printf "%s%s", s, $1; s = " " }')" \
   "report: channels in order, the cheapest first"
has "$(fg audit verify)" "chain intact" "audit chain"
done_ok
