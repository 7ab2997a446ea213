#!/bin/sh
# E-mail as relays and readers see it. A relay refusing for its own
# reasons (relaying denied, policy, authentication, a bare 550 to everyone)
# blocks no address: the provider is paused, the messages wait, the log
# says why; a refusal that names the mailbox (5.1.1) blocks it. Headers
# from the configuration are built as mail (Python's email package with
# policy=default reads them back): a display name with a comma or
# parentheses is quoted, a Chinese one encoded, lines folded, no raw 8-bit;
# Auto-Submitted and one-click List-Unsubscribe (RFC 8058); EHLO says a
# fully qualified name. A from or reply_to that is not one address is
# refused at start-up with FILE:LINE.
. "$(dirname "$0")/lib.sh"
fresh_schemas
relay_conf() {  # relay_conf PORT [PROVIDER LINES]
	write_conf "
[channels]
email = mail

[provider:mail]
type = smtp
host = 127.0.0.1
port = $1
per_session = 10
${2:-from = 国网杭州供电公司 <noreply@example.cn>}

[dispatch]
receipt_wait = 0
backoff_min = 1"
}
n=0
mailers() {  # mailers K: K more customers with one e-mail address each
	k=0
	while [ $k -lt "$1" ]; do
		n=$((n + 1)) k=$((k + 1))
		customer "M$n"; contact "$n" "M$n" email "${PREFIX:-m}$n@example.com"; bill "M$n-1" "M$n" 88.00 2026-10-01
	done
}
day=1
night() {
	day=$((day + 1))
	d=$(printf '2026-10-%02d' "$day")
	fgok run --date "$d" --now "$d 10:00"
}
waiting() {  # waiting FROM TO WHAT: messages of contacts FROM..TO wait, attempts kept
	eq "0" "$(sqlg "SELECT COUNT(*) FROM messages WHERE contact_id BETWEEN $1 AND $2 AND NOT (state IN ('queued', 'retry') AND attempts = 0)")" \
	   "$3: every message waits, no attempt used up"
	eq "0" "$(sqlg "SELECT COUNT(*) FROM contact_blocks")" "$3: no address blocked"
	has "$(cat "$work/last.err")" "provider=mail paused" "$3: the provider paused"
}

# Relaying denied, a policy refusal, authentication required, a refused
# EHLO name: the relay's reasons, whatever the code.
port=19410
for reply in '554 5.7.1 <{rcpt}>: Relay access denied' '550 5.7.1 Message rejected by policy' \
	     '530 5.7.0 Authentication required' '504 5.5.2 <feegate>: Helo command rejected: need fully-qualified hostname'; do
	start_smtp_peer $port --rcpt-reply "$reply"
	relay_conf $port
	first=$((n + 1)); mailers 4
	night
	waiting $first $n "${reply%% <*}"
	has "$(cat "$work/last.err")" "the relay refused it" "${reply%% <*}: the log says why"
	port=$((port + 1))
done
# A bare 550 without an enhanced code, to four recipients in a row.
start_smtp_peer $port --rcpt-reply '550 Access denied'
relay_conf $port
first=$((n + 1)); mailers 4
night
waiting $first $n "550 to everyone"
has "$(sqlg "SELECT last_error FROM messages WHERE contact_id = $n")" "the relay refused it (" "the reason recorded"
port=$((port + 1))

# A refusal that names the mailbox is the recipient's: that one address is
# blocked, the others delivered in the same session.
start_smtp_peer $port --refuse-rcpt bad
relay_conf $port
first=$((n + 1)); mailers 2; PREFIX=bad mailers 1; mailers 2
night
eq "1" "$(sqlg "SELECT COUNT(*) FROM contact_blocks WHERE contact_id BETWEEN $first AND $n")" "5.1.1: that address blocked"
eq "failed_permanent" "$(sqlg "SELECT state FROM messages WHERE contact_id = $((first + 2))")" "5.1.1: permanent"
eq "4" "$(sqlg "SELECT COUNT(*) FROM messages WHERE contact_id BETWEEN $first AND $n AND state = 'accepted'")" "the others went"
port=$((port + 1))

# Headers built from the configuration, read back by a strict parser.
start_smtp_peer $port
relay_conf $port 'from = State Grid Hangzhou, Billing <noreply@example.cn>
reply_to = 客服中心 <kefu@example.cn>
list_unsubscribe = <mailto:unsubscribe@example.cn>, <https://example.cn/unsubscribe?k={key}>
helo = mail.example.cn'
first=$((n + 1)); mailers 1
night
eml=$(ls "$work/mail-$port"/*.eml | head -1)
[ -n "$eml" ] || fail "no message reached the peer"
key=$(sqlg "SELECT message_id FROM messages WHERE contact_id = $first")
headers() {  # headers FILE: what Python's email package reads, one line each
	/usr/bin/python3 - "$1" <<'PY'
import sys
from email import policy
from email.parser import BytesParser
raw = open(sys.argv[1], "rb").read()
head = raw.split(b"\r\n\r\n", 1)[0]
bad = [l for l in head.split(b"\r\n") if not l.startswith(b"X-Test-Session")
       and (len(l) > 78 or any(c > 127 for c in l))]
m = BytesParser(policy=policy.default).parsebytes(raw)
f = m["From"].addresses
print("from=%d|%s|%s" % (len(f), f[0].display_name, f[0].addr_spec))
if m["Reply-To"] is not None:
    r = m["Reply-To"].addresses
    print("reply_to=%d|%s|%s" % (len(r), r[0].display_name, r[0].addr_spec))
print("subject=%s" % m["Subject"])
print("auto=%s" % m["Auto-Submitted"])
print("unsub=%s" % m["List-Unsubscribe"])
print("post=%s" % m["List-Unsubscribe-Post"])
print("defects=%d" % sum(len(m[h].defects) for h in ("From", "Reply-To", "Subject", "To") if m[h] is not None))
print("long_or_8bit_lines=%d" % len(bad))
print("session=%s" % m["X-Test-Session"])
PY
}
h=$(headers "$eml")
has "$h" "from=1|State Grid Hangzhou, Billing|noreply@example.cn" "a display name with a comma: one mailbox"
has "$h" "reply_to=1|客服中心|kefu@example.cn" "a Chinese display name, encoded"
has "$h" "subject=【国网杭州供电公司】电费缴费提醒（户号M$first）" "the Subject"
has "$h" "auto=auto-generated" "Auto-Submitted"
has "$h" "unsub=<mailto:unsubscribe@example.cn>, <https://example.cn/unsubscribe?k=$key-" "List-Unsubscribe with the message's key"
has "$h" "post=List-Unsubscribe=One-Click" "one-click unsubscribe"
has "$h" "defects=0" "no header defects"
has "$h" "long_or_8bit_lines=0" "no header line over 78 columns or in raw 8-bit"
has "$h" "helo=mail.example.cn" "EHLO says the configured name"
port=$((port + 1))

start_smtp_peer $port
relay_conf $port 'from = "State Grid (Hangzhou)" <noreply@example.cn>'
first=$((n + 1)); mailers 1
night
h=$(headers "$(ls "$work/mail-$port"/*.eml | head -1)")
has "$h" "from=1|State Grid (Hangzhou)|noreply@example.cn" "quotes kept around parentheses"
helo=$(echo "$h" | sed -n 's/.* helo=//p')
case "$helo" in *.*) ;; *) fail "EHLO said '$helo', not a fully qualified name" ;; esac
has "$h" "post=None" "no one-click header without list_unsubscribe"

# Not one address: refused at start-up, with the line.
for bad in 'from = noreply@example' 'from = a@example.cn, b@example.cn' 'from = Billing <no reply@example.cn>'; do
	relay_conf $port "$bad"
	run_rc 2 "'$bad' refused" fg run --date 2026-10-20 --now "2026-10-20 10:00"
	has "$out" "feegate.ini:$(grep -n '^from = ' "$conf" | cut -d: -f1): [provider:mail] from: one address is needed" "'$bad': FILE:LINE"
done
relay_conf $port 'from = noreply@example.cn
reply_to = 客服 <kefu@>'
run_rc 2 "a bad reply_to refused" fg run --date 2026-10-20 --now "2026-10-20 10:00"
has "$out" "[provider:mail] reply_to: one address is needed" "reply_to named"
relay_conf $port 'from = noreply@example.cn
helo = feegate'
run_rc 2 "a bare EHLO name refused" fg run --date 2026-10-20 --now "2026-10-20 10:00"
has "$out" "[provider:mail] helo: a fully qualified host name" "helo named"
done_ok
