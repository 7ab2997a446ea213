#!/bin/sh
# Outage notices over a calendar of nights: a planned outage 10 days ahead
# (notice 7 days before, reminder the day before, "power restored" after),
# one first seen 3 days ahead (sent at once, late_notice), one rescheduled
# twice (old and new times, only to those told), one cancelled (only to
# those told) and one cancelled before anyone was told (nothing), a
# temporary outage 3.5 h off sent at 22:30 while a planned notice and a
# temporary outage 39.5 h off wait for the calling window; a large customer hears on every consented contact, a
# residential one on the first; outage messages are claimed before dunning
# ones; a night run again sends nothing twice.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 19330 "-d 20"
conf_with() {  # conf_with CONCURRENCY
	write_conf "
[channels]
sms = sim

$(sms_section sim)
concurrency = $1

[outage]
restored = yes

[receipts]
port = 19325
public_url = http://127.0.0.1:19325

[dispatch]
receipt_wait = 10"
}
conf_with 8
customer R1; contact 1 R1 sms +8613800007001 1; contact 2 R1 sms +8613800007011 2
customer R2; contact 3 R2 sms +8613800007002
customer L1 0 G1 "钱塘机械厂"
contact 4 L1 sms +8613900007101 1; contact 5 L1 sms +8613900007102 2
contact 6 L1 sms +8613900007103 3; contact 7 L1 sms +8613900007104 4 0
sqlb "UPDATE billing_customers SET segment = 'large' WHERE account_no = 'L1'"
customer R3   # no contact at all
outage() {  # outage ID KIND STARTS ENDS ACCOUNTS...
	id=$1 kind=$2 starts=$3 ends=$4
	shift 4
	sqlb "INSERT INTO billing_outages (outage_id, kind, area, starts_at, ends_at, reason)
	      VALUES ('$id', '$kind', '近江社区$id', '$starts', '$ends', '线路检修')"
	for a in "$@"; do sqlb "INSERT INTO billing_outage_accounts VALUES ('$id', '$a')"; done
}
outage O1 planned "2026-10-11 08:00" "2026-10-11 17:00" R1 L1
outage O3 planned "2026-10-09 08:00" "2026-10-09 17:00" R1 R2
outage O4 planned "2026-10-09 08:00" "2026-10-09 12:00" L1 R3
outage O5 planned "2026-10-20 08:00" "2026-10-20 12:00" R1
night_at() {  # night_at DATE HH:MM
	fgok run --date "$1" --now "$1 $2"
	cp "$work/last.out" "$work/night-$1.out"
}
# The outage notices so far, one line each: date account kind outage
# version [late], in order.
notices() {
	sqlg "SELECT GROUP_CONCAT(CONCAT_WS(' ', DATE_FORMAT(sent_on, '%m-%d'), account_no, kind, outage_id,
	                                   outage_version, IF(late_notice, 'late', NULL), IF(unreachable, 'unreachable', NULL))
	                         ORDER BY sent_on, outage_id, kind, account_no SEPARATOR '|')
	      FROM notices WHERE outage_id IS NOT NULL AND sent_on = '$1' HAVING COUNT(*) > 0"
}
texts() { awk -F'\t' -v to="$1" '$3 == to { print $5 }' "$work/sim.tsv"; }

# Billing gets one wrong: refused with its reason, the night goes on.
outage O9 planned "2026-10-05 12:00" "2026-10-05 08:00" R1
night_at 2026-10-01 10:00
eq "" "$(notices 2026-10-01)" "10-01: nothing is in its window yet"
eq "4" "$(sqlg "SELECT COUNT(*) FROM outages")" "four outages seen"
eq "outage O9 ends_at not after starts_at" "$(sqlg "SELECT CONCAT_WS(' ', source, row_key, reason) FROM input_errors")" \
   "the outage that ends before it starts is refused"
has "$(cat "$work/night-2026-10-01.out")" "outages: date=2026-10-01 versions=4 notice=0" "summary line"

night_at 2026-10-02 10:00
eq "10-02 R1 outage_notice O3 1|10-02 R2 outage_notice O3 1|10-02 L1 outage_notice O4 1|10-02 R3 outage_notice O4 1 unreachable" \
   "$(notices 2026-10-02)" "10-02: O3 and O4 enter the 7-day window"
eq "1 0 1" "$(sim_count +8613800007001) $(sim_count +8613800007011) $(sim_count +8613800007002)" \
   "a residential customer on the first contact only"
eq "1 1 1 0" "$(sim_count +8613900007101) $(sim_count +8613900007102) $(sim_count +8613900007103) $(sim_count +8613900007104)" \
   "the large customer on every consented contact (holder, finance, executive)"
has "$(texts +8613800007001)" "2026年10月9日 08:00至17:00，近江社区O3将计划检修停电" "the notice: times and area"
eq "notice_unreachable" "$(sqlg "SELECT event FROM audit_log WHERE account_no = 'R3' ORDER BY seq DESC LIMIT 1")" \
   "R3 has nobody to tell: recorded"
# The audit trail: a notice's row carries its first message; the large
# customer's other two messages are rows of their own; every message is
# an event of its own in `feegate log`, with its id.
eq "notice_planned,message_queued,message_queued" \
   "$(sqlg "SELECT GROUP_CONCAT(event ORDER BY seq) FROM audit_log WHERE account_no = 'L1' AND event IN ('notice_planned', 'message_queued')")" "L1: one row for the notice and its first message"
eq "notice_planned,message_queued,message_queued,message_queued" "$(audit_events L1 | cut -d, -f1-4)" "L1: three messages queued, as events"
eq "$(sqlg "SELECT GROUP_CONCAT(message_id ORDER BY message_id) FROM messages WHERE account_no = 'L1'")" \
   "$(audit_events L1 message_id | cut -d, -f2-4 | tr , '\n' | sort -n | paste -sd, -)" "L1: each message_queued names its message"
eq "notice_planned,message_queued" "$(audit_events R1 | cut -d, -f1-2)" "R1: the notice and its message"
eq "1" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE account_no = 'R1' AND event IN ('notice_planned', 'message_queued')")" "R1: one row"
eq "notice_planned,notice_unreachable" "$(audit_events R3)" "R3: no message carried"
eq "0" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%13900007101%' OR detail LIKE '%13800007001%'")" "addresses masked in carried events"

# O5 cancelled before anyone was told: nothing to say.
sqlb "UPDATE billing_outages SET status = 'cancelled' WHERE outage_id = 'O5'"
night_at 2026-10-03 10:00
eq "" "$(notices 2026-10-03)" "10-03: a cancellation nobody needs to hear"
eq "2" "$(sqlg "SELECT version FROM outages WHERE outage_id = 'O5'")" "but it is a new version"

# O3 moves a day; the dunning customer D1 is due a notice the same night:
# with one request at a time, the outage messages reach the provider
# before the dunning one.
sqlb "UPDATE billing_outages SET starts_at = '2026-10-10 08:00', ends_at = '2026-10-10 17:00' WHERE outage_id = 'O3'"
customer D1; contact 9 D1 sms +8613700007009; bill BD1 D1 88.00 2026-10-01
conf_with 1
night_at 2026-10-04 10:00
eq "10-04 L1 outage_notice O1 1|10-04 R1 outage_notice O1 1|10-04 R1 outage_rescheduled O3 2 late|10-04 R2 outage_rescheduled O3 2 late" \
   "$(notices 2026-10-04)" "10-04: O1 enters its window; O3 rescheduled to those told (late: the new day is 6 days off)"
has "$(texts +8613800007002 | tail -1)" "原定2026年10月9日 08:00至17:00近江社区O3的计划检修停电改为2026年10月10日 08:00至17:00" \
   "rescheduled: old and new times"
first_dunning=$(awk -F'\t' '$3 == "+8613700007009" { print NR; exit }' "$work/sim.tsv")
last_outage=$(awk -F'\t' '$5 ~ /停电/ { n = NR } END { print n }' "$work/sim.tsv")
[ "$first_dunning" -gt "$last_outage" ] ||
	fail "the dunning SMS (line $first_dunning) reached the provider before outage messages (last $last_outage)"
conf_with 8

outage O2 planned "2026-10-08 09:00" "2026-10-08 12:00" R2
sqlb "UPDATE billing_outages SET status = 'cancelled' WHERE outage_id = 'O4'"
night_at 2026-10-05 10:00
eq "10-05 R2 outage_notice O2 1 late|10-05 L1 outage_cancelled O4 2" \
   "$(notices 2026-10-05)" "10-05: O2 seen 3 days ahead goes at once, late; O4 cancelled to L1 only (R3 was never told)"
has "$(cat "$work/night-2026-10-05.out")" "late=1" "late notices counted in the summary"
has "$(sqlg "SELECT detail FROM audit_log WHERE event = 'notice_planned' AND account_no = 'R2' ORDER BY seq DESC LIMIT 1")" \
   '"late_notice":1' "late_notice in the audit trail"
has "$(texts +8613900007103 | tail -1)" "原定2026年10月9日 08:00至12:00近江社区O4的计划检修停电已取消" "cancelled: the times told"
# The same night again: nothing new, nothing sent twice.
before=$(wc -l <"$work/sim.tsv")
night_at 2026-10-05 10:00
eq "$before" "$(wc -l <"$work/sim.tsv" | tr -d ' ')" "a night run again sends nothing"

sqlb "UPDATE billing_outages SET starts_at = '2026-10-12 13:00', ends_at = '2026-10-12 18:00' WHERE outage_id = 'O3'"
night_at 2026-10-06 10:00
eq "10-06 R1 outage_rescheduled O3 3 late|10-06 R2 outage_rescheduled O3 3 late" "$(notices 2026-10-06)" \
   "10-06: rescheduled again, from the times told last"
has "$(texts +8613800007001 | tail -1)" "原定2026年10月10日 08:00至17:00近江社区O3的计划检修停电改为2026年10月12日 13:00至18:00" \
   "the second reschedule: from the first new times"

# 22:30: a temporary outage goes at once; a planned notice and a reminder
# wait for the calling window.
outage O6 temporary "2026-10-08 02:00" "2026-10-08 05:00" L1
outage O7 planned "2026-10-14 08:00" "2026-10-14 12:00" R2
outage O8 temporary "2026-10-09 14:00" "2026-10-09 16:00" R2
night_at 2026-10-07 22:30
eq "10-07 R2 outage_reminder O2 1|10-07 L1 outage_notice O6 1 late|10-07 R2 outage_notice O7 1|10-07 R2 outage_notice O8 1" \
   "$(notices 2026-10-07)" "10-07: the temporary outage (late: 3.5 h ahead), O2's reminder, O7's notice, O8 (39.5 h ahead)"
eq "3" "$(sqlg "SELECT COUNT(*) FROM messages m JOIN notices n ON n.notice_id = m.notice_id
                WHERE n.outage_id = 'O6' AND m.state IN ('accepted', 'delivered') AND m.anytime = 1")" \
   "the temporary outage sent at 22:30 to all three contacts"
has "$(texts +8613900007101 | tail -1)" "临时检修停电" "as a temporary outage"
eq "queued queued queued" "$(sqlg "SELECT GROUP_CONCAT(m.state ORDER BY m.message_id SEPARATOR ' ') FROM messages m
                            JOIN notices n ON n.notice_id = m.notice_id WHERE n.sent_on = '2026-10-07' AND n.account_no = 'R2'")" \
   "planned notices, and a temporary outage that can wait, wait for 08:00"
fgok dispatch --now "2026-10-08 08:05"
eq "delivered delivered delivered" "$(sqlg "SELECT GROUP_CONCAT(m.state ORDER BY m.message_id SEPARATOR ' ') FROM messages m
                                  JOIN notices n ON n.notice_id = m.notice_id WHERE n.sent_on = '2026-10-07' AND n.account_no = 'R2'")" \
   "and go in the morning"

night_at 2026-10-08 10:00
eq "10-08 L1 outage_restored O6 1|10-08 R2 outage_reminder O8 1" "$(notices 2026-10-08)" \
   "10-08: power restored after the temporary outage; O8 tomorrow"
night_at 2026-10-09 10:00
eq "10-09 R2 outage_restored O2 1" "$(notices 2026-10-09)" "10-09: O2 is over"
night_at 2026-10-10 10:00
eq "10-10 L1 outage_reminder O1 1|10-10 R1 outage_reminder O1 1|10-10 R2 outage_restored O8 1" "$(notices 2026-10-10)" \
   "10-10: O1 tomorrow; O8 is over"
night_at 2026-10-11 10:00
eq "10-11 R1 outage_reminder O3 3|10-11 R2 outage_reminder O3 3" "$(notices 2026-10-11)" \
   "10-11: O3 tomorrow (no reminder was due for the times it no longer has)"
night_at 2026-10-12 10:00
eq "10-12 L1 outage_restored O1 1|10-12 R1 outage_restored O1 1" "$(notices 2026-10-12)" "10-12: O1 is over"

# Who received what, in all: R1's second number and L1's contact without
# consent never; each message once.
eq "0 0" "$(sim_count +8613800007011) $(sim_count +8613900007104)" "second choice and no consent: nothing"
eq "7 11" "$(sim_count +8613800007001) $(sim_count +8613800007002)" "R1 and R2: one SMS per notice"
eq "7 7 7" "$(sim_count +8613900007101) $(sim_count +8613900007102) $(sim_count +8613900007103)" \
   "L1's three contacts: every notice"
eq "0" "$(sim_stat duplicates)" "nothing sent twice"

# The call centre sees every outage notice, its messages and the late flag.
fgok log R2
has "$(cat "$work/last.out")" "outage_rescheduled O3 version 2  delivered  LATE NOTICE" "timeline: a late reschedule"
has "$(cat "$work/last.out")" "      message" "with its messages"
hasnt "$(cat "$work/last.out")" "8613800007002" "numbers masked"
fgok log L1 --json
has "$(cat "$work/last.out")" '"outage_id": "O6"' "JSON: the outage"
has "$(cat "$work/last.out")" '"late_notice": true' "JSON: late"
has "$(fg audit verify)" "chain intact" "audit chain"
done_ok
