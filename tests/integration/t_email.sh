#!/bin/sh
# E-mail through libESMTP to Postfix's smtp-sink: proper MIME as received
# (RFC 2047 Subject and From, both parts in UTF-8, Message-ID, DSN on the
# envelope), 4xx temporary, a dead mailbox (5.1.1) permanent with a fallback
# across channels to SMS, a relay's own refusal (5.3.0) and no server at
# all as the provider's trouble.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 18830 "-d 20"
dump="$work/mail"
mail_conf() {  # mail_conf SMTP_PORT
	write_conf "
[channels]
email = mail
sms = sim

$(smtp_section mail "$1")
reply_to = service@example.cn
list_unsubscribe = <mailto:unsubscribe@example.cn>
workers = 2
per_session = 5

[provider:sim]
type = http
url = http://127.0.0.1:$sim_port/v1/sms

[receipts]
port = 18825
public_url = http://127.0.0.1:18825

[dispatch]
receipt_wait = 10
backoff_min = 1"
}
# subject_of FILE: the Subject, decoded word by word.
subject_of() {
	awk '/^Subject:/ { s = $0; while ((getline line) > 0 && line ~ /^[ \t]/) s = s line; print s; exit }' "$1" |
		grep -o '=?UTF-8?B?[^?]*?=' | sed 's/=?UTF-8?B?//; s/?=$//' |
		while read -r w; do  # each word whole UTF-8 on its own (RFC 2047 5.3)
			printf '%s' "$w" | base64 -d | iconv -f UTF-8 -t UTF-8 2>/dev/null || printf '<split character>'
		done
}

start_sink 18801
mail_conf 18801
customer E1 0 G1 "张伟"; contact 1 E1 email zhang.wei@example.com
customer E2 0 G1 "Li Na"; contact 2 E2 email li.na@example.com
sqlb "UPDATE billing_customers SET locale = 'en' WHERE account_no = 'E2'"
for a in E1 E2; do bill "$a-1" "$a" 1234.50 2026-10-01; done
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
eq "2" "$(ls "$dump" | wc -l | tr -d ' ')" "two messages received by the SMTP server"
eq "accepted accepted" "$(sqlg "SELECT GROUP_CONCAT(state ORDER BY message_id SEPARATOR ' ') FROM messages")" \
   "accepted by the server (no receipts: bounces would come as DSN mail)"
f=$(grep -l "zhang.wei@example.com" "$dump"/*)
id1=$(sqlg "SELECT message_id FROM messages WHERE contact_id = 1")
eq "【国网杭州供电公司】电费缴费提醒（户号E1）" "$(subject_of "$f")" "RFC 2047 subject decodes to the Chinese text"
has "$(cat "$f")" "From: =?UTF-8?B?$(printf '国网杭州供电公司' | base64)?= <noreply@example.cn>" "encoded From display name"
has "$(cat "$f")" "Message-ID: <feegate.$id1@example.cn>" "Message-ID from the message id"
has "$(cat "$f")" "Reply-To: <service@example.cn>" "Reply-To"
has "$(cat "$f")" "List-Unsubscribe: <mailto:unsubscribe@example.cn>" "List-Unsubscribe"
has "$(cat "$f")" "Content-Type: multipart/alternative;" "multipart/alternative"
has "$(grep '^Date: ' "$f")" "+0000" "Date header"
has "$(grep '^X-Rcpt-Args:' "$f")" "NOTIFY=FAILURE,DELAY" "DSN NOTIFY on the recipient"
has "$(grep '^X-Mail-Args:' "$f")" "ENVID=$id1-" "DSN ENVID is the message's key (its id and 16 hex digits)"
has "$(part_of "$f" plain)" "尊敬的张伟客户：" "plain part: Chinese text intact"
has "$(part_of "$f" plain)" "¥1,234.50" "plain part: the amount"
has "$(part_of "$f" html)" "<p>尊敬的张伟客户：</p>" "HTML part"
# Byte for byte: both parts as received, decoded, are what the templates
# render for this customer on this date.
for t in txt html; do
	fgok template render dunning_1 "email.$t" --account E1 --date 2026-10-02
	[ "$t" = txt ] && ty=plain || ty=html
	part_of "$f" $ty >"$work/got.$t"
	cmp -s "$work/last.out" "$work/got.$t" || fail "the $ty part differs from the rendered template: $(diff "$work/last.out" "$work/got.$t" | head -5)"
done
fgok template render dunning_1 email.subject --account E1 --date 2026-10-02
eq "$(cat "$work/last.out")" "$(subject_of "$f")" "the Subject is the rendered template"
f2=$(grep -l "li.na@example.com" "$dump"/*)
eq "State Grid Hangzhou: your electricity bill is overdue (account E2)" "$(grep '^Subject:' "$f2" | sed 's/^Subject: //; s/\r$//')" \
   "plain ASCII subject for an English customer"
has "$(part_of "$f2" html)" "<p>Dear Li Na,</p>" "English HTML part"
hasnt "$(cat "$work/last.err")" "zhang.wei@example.com" "no address in the log"

# Connections are reused: twelve messages, sessions of at most five.
start_sink 18804
mail_conf 18804
mail_customer() { customer "R$1"; contact "$1" "R$1" email "r$1@example.com"; bill "R$1-1" "R$1" 10.00 2026-10-01; }
for_range 10 22 mail_customer
fgok run --date 2026-10-02 --now "2026-10-02 10:30"
counts=$(peer_log_end "$work/sink-18804.log")   # sess=S quit=Q mesg=M
eq "12" "$(echo "$counts" | sed 's/.*mesg=//')" "twelve messages over SMTP"
sessions=$(($(echo "$counts" | sed 's/sess=\([0-9]*\).*/\1/') - 1))   # less start_sink's probe
[ "$sessions" -ge 3 ] && [ "$sessions" -le 6 ] ||
	fail "twelve messages at five per session took $sessions sessions ($counts)"

# 4xx to RCPT: temporary, retried.
start_sink 18802 -r RCPT
mail_conf 18802
customer E3; contact 3 E3 email e3@example.com; bill E3-1 E3 50.00 2026-10-01
fgok run --date 2026-10-03 --now "2026-10-03 10:00"
eq "retry" "$(sqlg "SELECT state FROM messages WHERE contact_id = 3")" "4xx: temporary"
has "$(sqlg "SELECT last_error FROM messages WHERE contact_id = 3")" "SMTP 4" "with the SMTP code"

# 5xx to RCPT from smtp-sink ("500 5.3.0 Error: command failed"): the
# relay's own trouble (5.3.x), not the address's: nothing blocked.
start_sink 18803 -f RCPT
mail_conf 18803
customer E7; contact 7 E7 email e7@example.com; bill E7-1 E7 50.00 2026-10-01
fgok run --date 2026-10-04 --now "2026-10-04 09:00"
eq "retry 0" "$(sqlg "SELECT state, attempts FROM messages WHERE contact_id = 7")" "5.3.0: the relay's trouble, attempt kept"
eq "0" "$(sqlg "SELECT COUNT(*) FROM contact_blocks")" "5.3.0: no address blocked"
pay E7-1

# 5.1.1 to RCPT (a relay that knows the mailbox is dead, aiosmtpd): that
# address is blocked, and the notice falls back to SMS.
start_smtp_peer 18806 --refuse-rcpt nobody
mail_conf 18806
customer E4; contact 4 E4 email nobody@example.com 1; contact 5 E4 sms +8613800008804 2
bill E4-1 E4 50.00 2026-10-01
fgok run --date 2026-10-04 --now "2026-10-04 10:00"
eq "failed_permanent" "$(sqlg "SELECT state FROM messages WHERE contact_id = 4")" "5.1.1: permanent"
has "$(sqlg "SELECT reason FROM contact_blocks WHERE contact_id = 4")" "SMTP 550 5.1.1" "the address is blocked"
eq "delivered" "$(sqlg "SELECT state FROM messages WHERE contact_id = 5")" "fell back across channels to SMS"
eq "1" "$(sim_count +8613800008804)" "the SMS went out"

# No SMTP server at all: the provider's trouble; the attempt is kept.
mail_conf 18809
customer E5; contact 6 E5 email e5@example.com; bill E5-1 E5 50.00 2026-10-01
fgok run --date 2026-10-05 --now "2026-10-05 10:00"
eq "retry 0" "$(sqlg "SELECT state, attempts FROM messages WHERE contact_id = 6")" "no server: requeued, attempt kept"
has "$(fg audit verify)" "chain intact" "audit chain"
done_ok
