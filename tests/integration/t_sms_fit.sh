#!/bin/sh
# An SMS that cannot be made to fit [sms] max_parts is never sent cut: it
# is refused with its reason, its number is not blocked, the notice goes
# to the next contact, and the night goes on. The start-up check makes the
# shipped templates fit with long values; a customer's values can still be
# longer (two bills of ten million), so a template sized to
# the check's limit shows it.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 19400 "-d 20"
tpl="$work/tpl"
mkdir -p "$tpl"
cp -r "$top/templates/zh-CN" "$top/templates/en" "$tpl/"
for f in "$tpl"/*/*.sms; do printf '{{signature}}{{name}} ok\n' >"$f"; done
sed -i 's/^signature = .*/signature = (SG)/' "$tpl/en/strings.ini"
# 160 GSM-7 septets with the check's long values: "(SG)", 3651 days (ten
# years), "¥9,999,999.99", 136 letters. Two such bills (each within
# max_bill_amount), and it does not fit in one message.
printf '{{signature}}{{days_overdue}}d {{amount}} %s\n' "$(printf '%136s' '' | tr ' ' x)" >"$tpl/en/dunning_1.sms"
send_conf 19401 "
[sms]
max_parts = 1

[templates]
dir = $tpl"

sqlb "INSERT INTO billing_customers (account_no, name, grid_id, locale) VALUES
      ('F1', 'Long Overdue', 'G1', 'en'), ('F2', 'On Time', 'G1', 'en')"
contact 1 F1 sms +8613800000071 1
contact 2 F1 sms +8613800000072 2
contact 3 F2 sms +8613800000073 1
bill F1-1 F1 9999999.99 2017-01-01
sqlb "INSERT INTO billing_bills (bill_id, account_no, period, amount_due, amount_paid, due_date, status)
      VALUES ('F1-2', 'F1', '2026-08', 9999999.99, 0, '2026-08-01', 'open')"
bill F2-1 F2 100.00 2026-09-01

run_rc 1 "template render says it does not fit" fg template render dunning_1 sms --account F1 --date 2026-10-02
has "$out" "over [sms] max_parts = 1: not sent" "template render: not sent"
fgok run --date 2026-10-02 --now "2026-10-02 10:00"

eq "failed_permanent failed_permanent" "$(sqlg "SELECT GROUP_CONCAT(state ORDER BY contact_id SEPARATOR ' ') FROM messages WHERE account_no = 'F1'")" \
   "both numbers tried, neither sent"
has "$(sqlg "SELECT last_error FROM messages WHERE contact_id = 1")" \
    "too_long 2 SMS parts (161 GSM-7 units) even with the name left out and the optional text dropped; [sms] max_parts is 1" \
    "the reason recorded"
eq "0" "$(sqlg "SELECT COUNT(*) FROM contact_blocks")" "no number blocked: the text was too long, not the number"
eq "00" "$(sim_count +8613800000071)$(sim_count +8613800000072)" "nothing reached the provider for F1"
eq "1" "$(sim_count +8613800000073)" "the night went on: F2's notice sent"
eq "2" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE account_no = 'F1' AND event = 'message_attempt' AND detail LIKE '%\"result\":\"Refused\"%'")" \
   "each refusal audited"
eq "1" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE account_no = 'F1' AND event = 'notice_unreachable'")" \
   "no contact left: the notice is unreachable"
has "$(grep 'result=Refused' "$work/last.err")" 'stat="too_long 2 SMS parts' "the log says why"
run_rc 0 "log F1" fg log F1
has "$out" "max_parts is 1" "feegate log shows the reason"
has "$(fg audit verify)" "chain intact" "audit chain"
done_ok
