#!/bin/sh
# Providers and relays quote a customer's number or address in their own
# words, and not in the form billing keeps it: an SMS platform (the
# simulator's quote fault) writes the number with and without +86, as the
# national number, with a trunk 0 or 0086, in groups of digits between
# spaces, dashes or dots, in fullwidth digits, in its errors and failed
# receipts; a relay (aiosmtpd) refuses a recipient quoting the address in
# capitals, its local part alone, or at another domain. None of it reaches
# messages.last_error, contact_blocks.reason, the log, `feegate log`,
# `feegate report`, the staff pages or the audit trail unmasked
# (check-secrets.sh, at done_ok, looks for every form).
. "$(dirname "$0")/lib.sh"
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null ||
	fail "python3-aiosmtpd is not installed (scripts/bootstrap.sh installs it)"
fresh_schemas
start_sim 19340
mkdir -p "$work/mail"
peer_start "the SMTP peer on 127.0.0.1:19341" "$work/peer-19341.log" \
	/usr/bin/python3 "$top/tests/peers/smtp_tls_auth.py" 19341 "$work/mail" --refuse-rcpt bad.
wait_listening 19341 "the SMTP peer on 127.0.0.1:19341"
write_conf "
[channels]
sms = sim
email = mail

$(sms_section sim)

$(smtp_section mail 19341)

[receipts]
port = 19342
public_url = http://127.0.0.1:19342

[dispatch]
receipt_wait = 5

[web]
port = 19343

[log]
file = $work/feegate.log"
sim_control '{"quote": true, "invalid_prefix": "+86139", "undeliverable_prefix": "+86137"}'
# Nine numbers refused at once and nine whose receipt says they failed:
# each form once in each; three addresses refused by the relay.
for i in 1 2 3 4 5 6 7 8 9; do
	customer "Q$i"; contact "$i" "Q$i" sms "+86139736${i}193${i}"; bill "Q$i-1" "Q$i" 50.00 2026-10-01
	customer "U$i"; contact "1$i" "U$i" sms "+86137736${i}193${i}"; bill "U$i-1" "U$i" 50.00 2026-10-01
done
for i in 1 2 3; do
	customer "E$i"; contact "2$i" "E$i" email "bad.zhang$i@example.com"; bill "E$i-1" "E$i" 50.00 2026-10-01
done
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
eq "9 9 3" "$(sqlg "SELECT SUM(account_no LIKE 'Q%'), SUM(account_no LIKE 'U%'), SUM(account_no LIKE 'E%')
                   FROM messages WHERE state LIKE 'failed%'")" "every message failed, with the provider's words"
# The words kept, the number masked in each form (which message met which
# form depends on the order they went in).
errors=$(sqlg "SELECT last_error FROM messages WHERE account_no LIKE 'Q%' OR account_no LIKE 'U%'")
for f in "号码+86139" "号码86139****" "号码139****" "号码0139****" "号码00861****" "号码+86137" "号码137****"; do
	has "$errors" "$f" "an error quoting the number as [$f...], masked"
done
has "$(sqlg "SELECT last_error FROM messages WHERE account_no = 'U1'")" "不在服务区" "a failed receipt's words"
eq "18" "$(sqlg "SELECT COUNT(*) FROM messages WHERE last_error LIKE '%号码%****%'")" \
   "each error and failed receipt quoting the number, masked"
errors=$(sqlg "SELECT last_error FROM messages WHERE account_no LIKE 'E%'")
has "$errors" "<b***@example.com>: Recipient address rejected" "the relay's capitals"
has "$errors" "mailbox B*** unavailable (b***@example.com)" "the local part alone, in another case"
has "$errors" "user b*** unknown; did you mean B***@mail.example.com" "at another domain"
[ "$(sqlg "SELECT COUNT(*) FROM contact_blocks")" -gt 0 ] || fail "no contact blocked: nothing to look at"

# What call-centre staff and operators read.
fgok log Q5
has "$(cat "$work/last.out")" "号码" "feegate log: the provider's words"
cp "$work/last.out" "$work/page-log-Q5"
fgok log E2 --json
cp "$work/last.out" "$work/page-log-E2.json"
fgok report --from 2026-10-01 --to 2026-10-03
cp "$work/last.out" "$work/page-report"
printf 'agent-password-1\n' | fgok staff add li.na --role agent
"$FEEGATE_BIN" -c "$conf" serve --now "2026-10-02 11:00" >"$work/serve.out" 2>"$work/serve.err" &
serve=$!
bg_pids="$bg_pids $serve"
wait_listening 19343 "the staff pages"
curl -s -c "$work/jar" -b "$work/jar" -o /dev/null --data "user=li.na&password=agent-password-1" http://127.0.0.1:19343/login
for a in Q1 Q2 Q3 Q4 Q5 Q6 Q7 Q8 Q9 U1 U9 E1 E2 E3; do
	code=$(curl -s -b "$work/jar" -o "$work/page-$a" -w '%{http_code}' "http://127.0.0.1:19343/customer/$a")
	eq "200" "$code" "the customer page of $a"
done
has "$(cat "$work/page-Q8")" "号码" "the page shows the provider's words"
kill -TERM "$serve"
wait "$serve" || fail "serve's exit status"
done_ok
