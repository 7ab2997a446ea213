#!/bin/sh
# SMS through a real Kannel 1.4.5 (bearerbox, smsbox and its fake SMSC, all
# on 127.0.0.1): Chinese text as UCS-2, delivery reports back through the
# dlr-url; Kannel down means the provider is in trouble, not the messages.
. "$(dirname "$0")/lib.sh"
fresh_schemas
k="$work/kannel"
mkdir -p "$k"
# smsbox refuses one number by its black-list (the last part below).
export KANNEL_BLACK_LIST='^8613900000077$'
printf 'kannelpw\n' >"$k/password"
chmod 600 "$k/password"
# Every start gets fresh ports (four from $1).
start_kannel() {
	kannel_conf "$k" "$1" kannelpw
	kannel_up "$k"
}
stop_kannel() { kannel_down; }

kannel_feegate_conf() {
write_conf "
[channels]
sms = kannel

[provider:kannel]
type = kannel
url = http://127.0.0.1:$(($1 + 3))/cgi-bin/sendsms
username = feegate
password_file = $k/password
from = 95598
rate = 50
${2:-}

[receipts]
port = 18525
public_url = http://127.0.0.1:18525

[dispatch]
receipt_wait = 15"
}

base=$((14000 + ($$ % 50) * 20))
kannel_feegate_conf $base
for i in 1 2 3 4; do
	customer "K$i" 0 G1 "王$i"
	contact "$i" "K$i" sms "+861390000000$i"
	bill "K$i-1" "K$i" 88.00 2026-10-01
done
# English notices, whose names are not all GSM-7: a Chinese name, "Zoë", an
# emoji, a long company name. Each goes in at most max_parts (3) parts, as
# UCS-2, whole: the hotline and the opt-out at the end reach the phone.
i=5
for n in "欧阳建国" "Zoë Qiantang-Hangzhou Machinery Works" "Li Na 😀" "Hangzhou Qiantang Precision Casting Machinery Works Co Ltd"; do
	sqlb "INSERT INTO billing_customers (account_no, name, grid_id, locale) VALUES ('K$i', $(q "$n"), 'G1', 'en')"
	contact "$i" "K$i" sms "+861390000000$i"
	bill "K$i-1" "K$i" 99999.99 2026-07-01
	sqlb "INSERT INTO billing_bills (bill_id, account_no, period, amount_due, amount_paid, due_date, status) VALUES
	      ('K$i-2', 'K$i', '2026-08', 1, 0, '2026-08-01', 'open'), ('K$i-3', 'K$i', '2026-07', 1, 0, '2026-09-01', 'open')"
	i=$((i + 1))
done
start_kannel $base
printf '\n[log]\nlevel = debug\n' >>"$conf"
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
sed -i '/^\[log\]$/,$d' "$conf"
eq "8" "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'delivered' AND provider = 'kannel'")" \
   "eight messages delivered, with Kannel's delivery reports"
# What the fake SMSC got, part by part: "Got message N: <from to udh UDH data
# TEXT>" with the UDH's reference, count and number of each part, the text
# UCS-2 and URL-escaped: put together by the UDH, as a phone would.
sms_at_smsc() {
	python3 - "$k/fake.out" "$1" <<'PY'
import re, sys, urllib.parse
parts = {}
for line in open(sys.argv[1], encoding="latin-1"):
    m = re.search(r"Got message \d+: <\S+ (\S+) (udh (\S+) )?data (.*)>$", line)
    if not m or m.group(1) != sys.argv[2]:
        continue
    udh = urllib.parse.unquote_to_bytes(m.group(3) or "")
    seq = udh[-1] if udh else 1
    parts[seq] = urllib.parse.unquote_to_bytes(m.group(4).replace("+", " "))
text = b"".join(parts[k] for k in sorted(parts)).decode("utf-16-be", "replace")
print(len(parts), text)
PY
}
for i in 5 6 7 8; do
	parts=$(sqlg "SELECT parts FROM messages WHERE contact_id = $i")
	[ "$parts" -le 3 ] || fail "K$i: $parts parts recorded, max_parts is 3"
	got=$(sms_at_smsc "861390000000$i")
	eq "$parts" "${got%% *}" "K$i: the SMSC got the $parts parts feegate recorded"
	has "$got" " 【State Grid Hangzhou】" "K$i: the signature first"
	has "$got" "Tel 95598. Reply T to opt out" "K$i: the end of the text reached the SMSC"
	has "$(grep "msg=$(sqlg "SELECT message_id FROM messages WHERE contact_id = $i") " "$work/last.err")" \
	    "parts=$parts coding=UCS-2" "K$i: the parts logged"
done
# At info, the line of counts has the parts the carrier bills.
has "$(cat "$work/last.err")" "sms=8 sms_parts=$(sqlg "SELECT SUM(parts) FROM messages WHERE provider = 'kannel'") " \
    "the parts counted for the carrier's bill"
has "$(sms_at_smsc 8613900000006)" "Dear Zoë Qiantang…," "a long Latin name cut at a word, marked"
for i in 5 6 7 8; do pay "K$i-1"; pay "K$i-2"; pay "K$i-3"; done
has "$(cat "$k/smsbox.log")" "to:<8613900000001> msg:<【国网杭州供电公司】尊敬的王1客户" "Chinese text reached Kannel intact"
eq "8" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE event = 'receipt' AND detail LIKE '%\"code\":\"dlr 1\"%'")" "receipts audited"
hasnt "$(cat "$work/last.err")" "kannelpw" "the password is never logged"

# Kannel down: the provider's trouble; no message uses up an attempt.
stop_kannel
customer K9; contact 9 K9 sms +8613900000009; bill K9-1 K9 88.00 2026-10-08
fgok run --date 2026-10-09 --now "2026-10-09 10:00"
eq "retry 0" "$(sqlg "SELECT state, attempts FROM messages WHERE contact_id = 9")" "refused connection: requeued, attempt kept"
start_kannel $((base + 10))
kannel_feegate_conf $((base + 10))
fgok dispatch --now "2026-10-09 10:05"
eq "delivered" "$(sqlg "SELECT state FROM messages WHERE contact_id = 9")" "sent once Kannel is back"
eq "$(sqlg "SELECT COUNT(*) FROM messages WHERE provider = 'kannel' AND state = 'delivered'")" \
   "$(sqlg "SELECT COUNT(*) FROM messages m WHERE provider = 'kannel' AND state = 'delivered' AND LENGTH(provider_ref) = 36
                AND provider_ref = (SELECT JSON_VALUE(a.detail, '$.ref') FROM audit_log a WHERE a.message_id = m.message_id AND a.event = 'receipt')")" \
   "Kannel's id for each message (%I) kept as its provider_ref"
has "$(fg log K5 --json)" "\"provider_ref\": \"$(sqlg "SELECT provider_ref FROM messages WHERE contact_id = 5")\"" "the timeline shows it"
has "$(fg log K5)" "delivered  ref $(sqlg "SELECT provider_ref FROM messages WHERE contact_id = 5")" "feegate log too"

# Reports that say "not delivered", with the SMSC's own answer (%A), as
# Kannel's smsbox calls the dlr-url (its fake SMSC only reports success, so
# dlr_mask 18 asks for failures only and the reports are made here). A
# phone that was off (UNDELIV, or no answer at all) and a full SMSC queue
# (NACK 0x14) are tried again later, nothing blocked; the network refusing
# the number (REJECTD) and an invalid destination (NACK 0x0b) are
# permanent.
kannel_feegate_conf $((base + 10)) "dlr_mask = 18"
for i in 11 12 13 14 15; do
	customer "KD$i"; contact "$i" "KD$i" sms "+86139000000$i"; bill "KD$i-1" "KD$i" 50.00 2026-10-10
done
serve_accepted 5 "2026-10-11 10:00"
dlr() {  # dlr CONTACT TYPE ANSWER: the report Kannel would send
	set -- "$(sqlg "SELECT message_id FROM messages WHERE contact_id = $1")" \
		"$(sqlg "SELECT receipt_token FROM messages WHERE contact_id = $1")" "$2" "$3" "$1"
	eq "200" "$(curl -s -o /dev/null -w '%{http_code}' \
		"http://127.0.0.1:18525/receipts/kannel?id=$1&t=$2&status=$3&ref=kannel-id-$5&answer=$4")" "report type $3 for contact $5 taken"
}
dlr 11 2 'id%3A7f3a%20sub%3A001%20dlvrd%3A000%20submit%20date%3A2610111000%20done%20date%3A2610121000%20stat%3AUNDELIV%20err%3A001%20text%3A'
dlr 12 2 'id%3A7f3b%20sub%3A001%20dlvrd%3A000%20stat%3AREJECTD%20err%3A011%20text%3A'
dlr 13 16 'NACK%2F0x0000000b%2FInvalid%20Destination%20Address'
dlr 14 16 'NACK%2F0x00000014%2FMessage%20Queue%20Full'
dlr 15 2 ''
i=0
until [ "$(sqlg "SELECT COUNT(*) FROM messages WHERE contact_id BETWEEN 11 AND 15 AND state <> 'accepted'")" = 5 ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "the reports were not applied"; sleep 0.1
done
eq "11 retry|12 failed_permanent|13 failed_permanent|14 retry|15 retry" \
   "$(sqlg "SELECT GROUP_CONCAT(contact_id, ' ', state ORDER BY contact_id SEPARATOR '|') FROM messages WHERE contact_id BETWEEN 11 AND 15")" \
   "temporary failures tried again, permanent ones final"
eq "12,13" "$(sqlg "SELECT GROUP_CONCAT(contact_id ORDER BY contact_id) FROM contact_blocks")" "only the refused numbers blocked"
has "$(sqlg "SELECT last_error FROM messages WHERE contact_id = 11")" "dlr 2 not delivered to the phone: id:7f3a sub:001 dlvrd:000" "the SMSC's answer recorded"
has "$(sqlg "SELECT last_error FROM messages WHERE contact_id = 13")" "NACK/0x0000000b/Invalid Destination Address" "the refusal recorded"
eq "kannel-id-11" "$(sqlg "SELECT provider_ref FROM messages WHERE contact_id = 11")" "the reference from the report"
kill "$serve"; wait "$serve" 2>/dev/null || true

# smsbox's black-list refuses a number: 400 "Number(s) has/have been
# denied by white- and/or black-lists." That number's end (it would be
# refused every time), blocked, and the notice goes to the next contact;
# not Kannel's trouble: nothing else waits.
kannel_feegate_conf $((base + 10))
customer KB; contact 77 KB sms +8613900000077 1; contact 78 KB sms +8613900000078 2
bill KB-1 KB 66.00 2026-10-11
fgok run --date 2026-10-12 --now "2026-10-12 10:00"
eq "failed_permanent" "$(sqlg "SELECT state FROM messages WHERE contact_id = 77")" "the black-listed number refused for good"
has "$(sqlg "SELECT last_error FROM messages WHERE contact_id = 77")" "denied by white- and/or black-lists" "Kannel's words recorded"
eq "1" "$(sqlg "SELECT COUNT(*) FROM contact_blocks WHERE contact_id = 77")" "and the number blocked"
eq "delivered" "$(sqlg "SELECT state FROM messages WHERE contact_id = 78")" "the notice reached the next number"
hasnt "$(cat "$work/last.err")" "paused" "Kannel not paused for one number"
has "$(fg audit verify)" "chain intact" "audit chain"
done_ok
