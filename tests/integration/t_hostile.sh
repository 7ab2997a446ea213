#!/bin/sh
# The hostile billing corpus (tests/data/hostile/billing.sql) through a
# whole night on all four channels: every account ends as
# tests/data/hostile/billing.expect says (the reasons recorded for its rows,
# the messages it got); markup, template syntax, TwiML and JSON in names
# reach the e-mail, the call, the push and the SMS as text; control bytes
# and invalid UTF-8 never reach a provider; 10,000 contacts on one account
# make one message, and on a large customer's outage [outage]
# large_contacts of them.
. "$(dirname "$0")/lib.sh"
fresh_schemas
fcm_keys
start_sim 19730 "-d 20 -t h0stile -k $work/key.pub.pem"
printf 'h0stile\n' >"$work/token"
service_account "$work/fcm.json"
start_sink 19739
write_conf "
[channels]
sms = sim
email = mail
voice = call
push = fcm

$(sms_section sim)

$(smtp_section mail 19739)

$(twilio_section call +8657195598)

$(fcm_section fcm "$work/fcm.json")

[receipts]
port = 19725
public_url = http://127.0.0.1:19725

[dispatch]
receipt_wait = 10"
mysql_cli "$bschema" <"$top/tests/data/hostile/billing.sql" || fail "loading the corpus"
fgok run --date 2026-10-01 --now "2026-10-01 10:00"

# Every account of the corpus, as billing.expect says: the reasons recorded
# for its rows (with counts), and its messages (channel:contact:state);
# rows of no account feegate can hold under "(no account)".
outcome="SELECT a.account_no, IFNULL(e.r, '-'), IFNULL(m.r, '-')
	FROM (SELECT account_no FROM $bschema.billing_customers WHERE account_no IS NOT NULL
	      UNION SELECT account_no FROM $bschema.billing_bills WHERE account_no IS NOT NULL
	      UNION SELECT '(no account)') a
	LEFT JOIN (SELECT account_no, GROUP_CONCAT(CONCAT(reason, ' x', n) ORDER BY reason SEPARATOR '; ') r
	           FROM (SELECT IFNULL(account_no, '(no account)') account_no, reason, COUNT(*) n
	                 FROM input_errors GROUP BY 1, reason) x
	           GROUP BY account_no) e ON e.account_no = a.account_no
	LEFT JOIN (SELECT account_no, GROUP_CONCAT(CONCAT(channel, ':', contact_id, ':', state)
	                  ORDER BY channel, contact_id SEPARATOR ' ') r
	           FROM messages GROUP BY account_no) m ON m.account_no = a.account_no
	ORDER BY a.account_no"
mysql_cli "$gschema" -e "$outcome" >"$work/outcome"
expect=$top/tests/data/hostile/billing.expect
if ! diff -u "$expect" "$work/outcome" >"$work/outcome.diff"; then
	fail "the corpus did not end as billing.expect says:
$(cat "$work/outcome.diff")"
fi
eq "10000" "$(sqlb "SELECT COUNT(*) FROM billing_contacts WHERE account_no = 'HMANY'")" "10,000 contacts on HMANY"
# Cents: two bills of 10.005 owe 20.01, in the case, in the message as
# sent, and in the dispatcher's re-check (which let it go).
eq "20.01" "$(sqlg "SELECT balance_at_open FROM dunning_cases WHERE account_no = 'HBN7'")" "a balance of two bills of 10.005"
has "$(sqlg "SELECT body FROM message_texts JOIN messages USING (message_id) WHERE account_no = 'HBN7'")" "¥20.01" "the amount as sent"

# Nothing a provider got holds a control byte; every call's TwiML is XML
# with only the elements the template writes; the SMS and pushes (the
# simulator parsed their JSON) say names as written.
grep -q "$(printf '[\001-\010\013\014\016-\037\177]')" "$work/sim.tsv" && fail "a control byte reached a provider"
cut -f5 "$work/sim.tsv" | grep '^<?xml' >"$work/twiml"
eq "15" "$(wc -l <"$work/twiml" | tr -d ' ')" "a call for every hostile name"
python3 - "$work/twiml" <<'PY' || fail "TwiML that is not XML, or with elements from billing's data"
import sys, xml.etree.ElementTree as ET
for line in open(sys.argv[1], encoding="utf-8"):
    tags = {e.tag for e in ET.fromstring(line.encode()).iter()}
    if not tags <= {"Response", "Say", "Pause"}:
        sys.exit("elements %s in %s" % (tags, line[:120]))
PY
has "$(grep '+8613800000031' "$work/sim.tsv")" "尊敬的{{account_no}}{{#la…客户" "template syntax in a name is text (the SMS cuts a name at 20, marked)"
has "$(grep 'tokN01' "$work/sim.tsv")" '尊敬的<script>alert("x")</script>客户' "the push says the name as written"
has "$(grep '+8657100000053' "$work/sim.tsv")" 'Dear &quot;]]&gt;&lt;/Say&gt;&lt;Hangup/&gt;&lt;Say&gt;,' "TwiML in a name is escaped"

# E-mails: the HTML part escapes, the text part says the name as written,
# no header comes from data.
eq "15" "$(ls "$work/mail" | wc -l | tr -d ' ')" "an e-mail for every hostile name"
for f in "$work"/mail/*; do
	part_of "$f" html >"$work/html"
	if grep -i -q -e '<script' -e '<img' -e '<say' -e '<hangup' "$work/html"; then
		fail "markup from billing in the HTML part of $(basename "$f")"
	fi
	grep -i -q '^Bcc:' "$f" && fail "a header from billing's data in $(basename "$f")"
done
f=$(grep -l 'hn01@example.com' "$work"/mail/*)
has "$(part_of "$f" html)" "尊敬的&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;客户" "HTML part: the name escaped"
has "$(part_of "$f" plain)" '尊敬的<script>alert("x")</script>客户' "text part: the name as written"

# The call centre: `feegate log --json` is JSON for every account, and the
# staff pages show billing's names as text.
for a in $(cut -f1 "$expect" | grep -v '^(no account)$'); do
	fg log "$a" --json >"$work/log.json" 2>"$work/log.err" || fail "feegate log $a: $(cat "$work/log.err")"
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$work/log.json" || fail "feegate log $a --json is not JSON"
done
printf 'agent-password-1\n' | fgok staff add wu.agent --role agent
printf '[web]\nport = 19731\n' >>"$conf"
"$FEEGATE_BIN" -c "$conf" serve --now "2026-10-01 11:00" >"$work/serve.out" 2>"$work/serve.err" &
bg_pids="$bg_pids $!"
wait_listening 19731 "the staff pages"
curl -s -o /dev/null -c "$work/jar" --data "user=wu.agent&password=agent-password-1" http://127.0.0.1:19731/login
for k in 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15; do
	code=$(curl -s -o "$work/page" -w '%{http_code}' -b "$work/jar" "http://127.0.0.1:19731/customer/HN$k-s")
	eq "200" "$code" "the page of HN$k-s"
	if grep -i -q -e '<script' -e '<img' -e '<say' -e '<hangup' "$work/page"; then
		fail "markup from billing in the page of HN$k-s"
	fi
done
curl -s -o "$work/page" -b "$work/jar" "http://127.0.0.1:19731/customer/HN01-s"
has "$(cat "$work/page")" "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" "the name escaped in the page"
curl -s -o "$work/page" -b "$work/jar" "http://127.0.0.1:19731/customer/HN14-s"
has "$(cat "$work/page")" "$(printf '<bdi>\342\200\256evil\342\200\217\357\273\277</bdi>')" \
	"a right-to-left override in a name turns only the name around"
has "$(fg audit verify)" "chain intact" "audit chain"
done_ok
