#!/bin/sh
# Automated calls through the Twilio-compatible Calls API, against the
# simulator: the TwiML as sent (the voice template, XML-escaped, values
# written to be read aloud, the customer's language, said twice), status
# callbacks through to completed, busy and no-answer called again later up
# to [voice] max_attempts and then falling back to SMS, a failed call with
# an invalid-number code blocking the number, the calling window, and
# calls paced at the provider's one call per second.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 18730 "-d 20 -t v0ice-tok"
printf 'v0ice-tok\n' >"$work/token"
write_conf "
[channels]
voice = call
sms = tw

$(twilio_section call +8657195598)

$(twilio_section tw +8610095598)

[voice]
max_attempts = 2
retry_after = 600

[receipts]
port = 18725
public_url = http://127.0.0.1:18725

[dispatch]
receipt_wait = 10"
st() { sqlg "SELECT state FROM messages WHERE contact_id = $1 ORDER BY message_id DESC LIMIT 1"; }
calls_to() { awk -F'\t' -v to="$1" '$3 == to' "$work/sim.tsv" | wc -l | tr -d ' '; }
twiml_to() { awk -F'\t' -v to="$1" '$3 == to { print $5; exit }' "$work/sim.tsv"; }

# Answered calls, in Chinese and in English.
customer 3300000011 0 G1 "张伟"; contact 1 3300000011 voice +8657100000001
customer 3300000012 0 G1 "Tom & <Jerry>"; contact 2 3300000012 voice +8657100000002
sqlb "UPDATE billing_customers SET locale = 'en' WHERE account_no = '3300000012'"
customer 3300000021; contact 21 3300000021 voice +8657100000021
customer 3300000022; contact 22 3300000022 voice +8657100000022
bill B11 3300000011 1234.50 2026-10-01; bill B12 3300000012 88.00 2026-10-01
bill B21 3300000021 10.00 2026-10-01; bill B22 3300000022 10.00 2026-10-01
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
eq "delivered" "$(st 1)" "answered and played: completed is delivered"
eq "delivered" "$(st 2)" "English call delivered"
has "$(sqlg "SELECT provider_ref FROM messages WHERE contact_id = 1")" "CA0000" "the call's SID kept as the reference"
id1=$(sqlg "SELECT message_id FROM messages WHERE contact_id = 1")
eq "initiated ringing in-progress completed" \
   "$(sqlg "SELECT GROUP_CONCAT(JSON_VALUE(detail, '$.code') ORDER BY seq SEPARATOR ' ') FROM audit_log WHERE event = 'receipt' AND message_id = $id1")" \
   "every status callback audited, in order"
x=$(twiml_to +8657100000001)
has "$x" '<?xml version="1.0" encoding="UTF-8"?><Response><Say language="zh-CN">您好，这里是国网杭州供电公司。尊敬的张伟客户' "TwiML: said in Chinese"
has "$x" '您户号尾号为0 0 1 1的电费1234元5角' "the account's last four digits one by one, the amount in yuan and jiao"
has "$x" '咨询请拨打9 5 5 9 8。</Say><Pause length="1"/><Say language="zh-CN">您好' "said twice, a pause between"
has "$x" '</Say></Response>' "TwiML closed"
x=$(twiml_to +8657100000002)
has "$x" '<Say language="en-US">Hello, this is State Grid Hangzhou. Dear Tom &amp; &lt;Jerry&gt;, the electricity bill of 88 yuan for the account ending 0 0 1 2 was due on October 1, 2026' \
   "English: en-US, the name XML-escaped, read-aloud values"
# One call per second: the provider counts arrivals.
gaps=$(awk -F'\t' '$3 ~ /^\+86571000000(01|02|21|22)$/ { if (prev) print $1 - prev; prev = $1 }' "$work/sim.tsv" | sort -n | head -1)
[ "$gaps" -ge 900 ] || fail "calls closer than one second apart: ${gaps} ms"

# Busy twice (max_attempts = 2): called again after retry_after, then the
# notice falls back to SMS. The number is not blocked.
customer 3300000013; contact 3 3300000013 voice +8657100000003 1; contact 4 3300000013 sms +8613800000004 2
bill B13 3300000013 50.00 2026-10-02
sim_control '{"busy_prefix": "+8657100000003"}'
fgok run --date 2026-10-03 --now "2026-10-03 10:00"
eq "retry" "$(st 3)" "busy: to be called again"
eq "busy" "$(sqlg "SELECT last_error FROM messages WHERE contact_id = 3")" "with the call's status"
eq "1" "$(calls_to +8657100000003)" "one call so far"
fgok dispatch --now "2026-10-03 10:05"
eq "1" "$(calls_to +8657100000003)" "not called again before retry_after"
fgok dispatch --now "2026-10-03 10:11"
eq "2" "$(calls_to +8657100000003)" "called again after retry_after"
eq "expired" "$(st 3)" "busy again: no calls left for this notice"
eq "delivered" "$(st 4)" "the notice fell back to SMS"
eq "0" "$(sqlg "SELECT COUNT(*) FROM contact_blocks WHERE contact_id = 3")" "a busy line is not blocked"

# No answer, then answered.
customer 3300000015; contact 5 3300000015 voice +8657100000005
bill B15 3300000015 50.00 2026-10-03
sim_control '{"busy_prefix": "", "no_answer_prefix": "+8657100000005"}'
fgok run --date 2026-10-04 --now "2026-10-04 10:00"
eq "retry" "$(st 5)" "no answer: to be called again"
sim_control '{"no_answer_prefix": ""}'
fgok dispatch --now "2026-10-04 10:11"
eq "delivered 2" "$(sqlg "SELECT state, attempts FROM messages WHERE contact_id = 5")" "answered on the second call"

# A failed call with an invalid-number code: the number is blocked and the
# notice falls back.
customer 3300000016; contact 6 3300000016 voice +8657100000006 1; contact 7 3300000016 sms +8613800000007 2
bill B16 3300000016 50.00 2026-10-04
sim_control '{"undeliverable_prefix": "+8657100000006"}'
fgok run --date 2026-10-05 --now "2026-10-05 10:00"
eq "failed_permanent" "$(st 6)" "failed 13224: permanent"
has "$(sqlg "SELECT reason FROM contact_blocks WHERE contact_id = 6")" "failed 13224" "the number is blocked"
eq "delivered" "$(st 7)" "fell back to SMS"

# Outside the calling window nobody is called; the call waits for morning.
customer 3300000017; contact 8 3300000017 voice +8657100000008
bill B17 3300000017 50.00 2026-10-05
fgok run --date 2026-10-06 --now "2026-10-06 21:30"
eq "queued 0" "$(st 8) $(calls_to +8657100000008)" "21:30: not called"
fgok dispatch --now "2026-10-07 08:01"
eq "delivered 1" "$(st 8) $(calls_to +8657100000008)" "called at 08:01"

hasnt "$(cat "$work"/*.err 2>/dev/null)$(sqlg "SELECT detail FROM audit_log")" "8657100000001" "no full number in logs or audit"
has "$(fg audit verify)" "chain intact" "audit chain"
done_ok
