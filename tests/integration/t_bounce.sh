#!/bin/sh
# Bounces: a relay takes the mail, the next hop refuses it, and a DSN
# (RFC 3464) comes back to the envelope sender. A private Postfix is the
# relay (tests/peers/postfix.sh); aiosmtpd plays the next hops (one with no
# such mailbox, 550 5.1.1; one with a full one, 452 4.2.2) and the bounce
# address, which keeps Postfix's own DSNs. `feegate bounce` reads each on
# standard input as Postfix's pipe would hand it over: 5.1.x blocks the
# address and the notice falls back to SMS; a full mailbox is tried again
# later, nothing blocked; a delayed DSN is only logged; a forged key, a DSN
# about another address, a replay and something that is no DSN change
# nothing; a database that cannot be reached asks the MTA to try again.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || fail "t_bounce starts a private Postfix, which needs root"
fresh_schemas
start_sim 19435 "-d 20"
pfx=$(mktemp -d /tmp/feegate-postfix-XXXXXX)
start_smtp_peer 19431
start_smtp_peer 19432 --refuse-rcpt nobody
start_smtp_peer 19433 --rcpt-reply '452 4.2.2 <{rcpt}>: mailbox full'
start_smtp_peer 19434
pfx_pid=$("$top/tests/peers/postfix.sh" start "$pfx" 19430 dead.test=19432 full.test=19433 ok.test=19434 bounces.test=19431) ||
	fail "the private Postfix did not start"
bg_pids="$bg_pids $pfx_pid"
stop_postfix() { "$top/tests/peers/postfix.sh" stop "$pfx"; rm -rf "$pfx"; }
exit_hooks="$exit_hooks stop_postfix"
wait_listening 19430 "the private Postfix"
write_conf "
[channels]
email = mail
sms = sim

[provider:mail]
type = smtp
host = 127.0.0.1
port = 19430
from = 国网杭州供电公司 <noreply@example.cn>
return_path = feegate@bounces.test
helo = mail.example.cn

$(sms_section sim)

[receipts]
port = 19436
public_url = http://127.0.0.1:19436

[dispatch]
receipt_wait = 3
backoff_min = 60"
customer B1; contact 1 B1 email nobody@dead.test 1; contact 2 B1 sms +8613800009901 2
customer B2; contact 3 B2 email wanghong@full.test 1; contact 4 B2 sms +8613800009902 2
customer B3; contact 5 B3 email ok@ok.test 1
for a in B1 B2 B3; do bill "$a-1" "$a" 100.00 2026-10-01; done
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
eq "accepted accepted accepted" "$(sqlg "SELECT GROUP_CONCAT(state ORDER BY contact_id SEPARATOR ' ') FROM messages WHERE channel = 'email'")" \
   "Postfix took all three"
i=0
until [ "$(ls "$work/mail-19431" | grep -c '\.eml$')" -ge 2 ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "Postfix returned no DSNs: $(tail -3 "$pfx/maillog")"; sleep 0.1
done
# The DSN for an address, as Postfix's pipe hands it over (without the
# peer's own first line).
dsn_for() { f=$(grep -l "Final-Recipient: rfc822; $1" "$work/mail-19431"/*.eml | head -1); sed 1d "$f"; }
dsn_for nobody@dead.test >"$work/dead.dsn"
dsn_for wanghong@full.test >"$work/full.dsn"
has "$(cat "$work/dead.dsn")" "Content-Type: message/delivery-status" "a real Postfix DSN"
has "$(cat "$work/dead.dsn")" "Original-Envelope-Id: $(sqlg "SELECT message_id FROM messages WHERE contact_id = 1")-" "with our ENVID"
bounce() { "$FEEGATE_BIN" -c "$conf" bounce --date 2026-10-03 <"$1" 2>>"$work/bounce.err"; }
audits() { sqlg "SELECT COUNT(*) FROM audit_log"; }

out=$(bounce "$work/dead.dsn") || fail "feegate bounce failed on the 5.1.1 DSN"
has "$out" "failed for good (address blocked): 5.1.1" "5.1.1: permanent"
eq "failed_permanent" "$(sqlg "SELECT state FROM messages WHERE contact_id = 1")" "the e-mail failed"
has "$(sqlg "SELECT reason FROM contact_blocks WHERE contact_id = 1")" "DSN 5.1.1 bounced: smtp; 550 5.1.1" "the address blocked, with the DSN's words"
eq "1" "$(sqlg "SELECT COUNT(*) FROM messages WHERE contact_id = 2")" "the notice fell back to SMS"
hasnt "$(sqlg "SELECT reason FROM contact_blocks WHERE contact_id = 1")" "nobody@dead.test" "the address masked in what is kept"

out=$(bounce "$work/full.dsn") || fail "feegate bounce failed on the 4.2.2 DSN"
has "$out" "failed for now (tried again later): 4.2.2" "a full mailbox: temporary"
eq "retry" "$(sqlg "SELECT state FROM messages WHERE contact_id = 3")" "tried again later"
eq "0" "$(sqlg "SELECT COUNT(*) FROM contact_blocks WHERE contact_id = 3")" "not blocked"

# Replayed: the message has its answer; nothing changes.
before=$(audits)
out=$(bounce "$work/dead.dsn")
has "$out" "already final, nothing changed" "a replayed DSN"
eq "$before" "$(audits)" "a replay writes nothing"

# Forged: the right id with another key; about another address; no DSN.
sed 's/^\(Original-Envelope-Id: [0-9]*-\).*/\10123456789abcdef/' "$work/full.dsn" >"$work/forged.dsn"
out=$(bounce "$work/forged.dsn")
has "$out" "the key does not match" "a forged key"
sed 's/wanghong@full.test/other@full.test/g' "$work/full.dsn" >"$work/other.dsn"
out=$(bounce "$work/other.dsn")
has "$out" "about another address" "a DSN about another address"
out=$(printf 'Subject: hello\n\nnot a bounce\n' | "$FEEGATE_BIN" -c "$conf" bounce 2>>"$work/bounce.err") || fail "no DSN: exit status"
has "$out" "ignored: not a delivery status notification" "not a DSN"
eq "$before" "$(audits)" "forged or unparseable bounces write nothing"
eq "retry" "$(sqlg "SELECT state FROM messages WHERE contact_id = 3")" "and change nothing"

# A delayed DSN (RFC 3464's form; Postfix here tries only once): logged.
id5=$(sqlg "SELECT message_id FROM messages WHERE contact_id = 5")
key5="$id5-$(printf '%s' "$(sqlg "SELECT receipt_token FROM messages WHERE contact_id = 5")" | sha256sum | cut -c1-16)"
printf '%s\r\n' "From: MAILER-DAEMON@relay.example.net" "To: feegate@bounces.test" "Subject: Delayed Mail (still being retried)" \
	"MIME-Version: 1.0" "Content-Type: multipart/report; report-type=delivery-status;" "  boundary=\"RAA14128.773615765/relay.example.net\"" "" \
	"--RAA14128.773615765/relay.example.net" "Content-Type: text/plain" "" "Still trying." "" \
	"--RAA14128.773615765/relay.example.net" "Content-Type: message/delivery-status" "" \
	"Reporting-MTA: dns; relay.example.net" "Original-Envelope-Id: $key5" "" \
	"Final-Recipient: RFC822; OK@ok.test" "Action: delayed" "Status: 4.4.7" \
	"Diagnostic-Code: smtp; 450 4.4.7 still trying" "Will-Retry-Until: Fri, 4 Dec 2026 12:00:00 +0000" "" \
	"--RAA14128.773615765/relay.example.net--" >"$work/delayed.dsn"
out=$(bounce "$work/delayed.dsn")
has "$out" "msg=$id5 delayed 4.4.7" "a delayed DSN is logged"
eq "accepted" "$(sqlg "SELECT state FROM messages WHERE contact_id = 5")" "and changes nothing"
has "$(cat "$work/bounce.err")" "bounce: msg=$id5 delayed 4.4.7: smtp; 450 4.4.7 still trying" "in the log"
has "$(cat "$work/bounce.err")" "<n***@dead.test>: Recipient address rejected: User unknown" "the DSN's words in the log, unfolded, the address masked"
hasnt "$(cat "$work/bounce.err")" "nobody@dead.test" "no address in the log"

# The database away: EX_TEMPFAIL (75), so the MTA keeps the DSN and tries again.
sed "s|^socket = .*|socket = $work/no-such.sock|" "$conf" >"$work/down.ini"
set +e
"$FEEGATE_BIN" -c "$work/down.ini" bounce <"$work/dead.dsn" >/dev/null 2>&1
rc=$?
set -e
eq "75" "$rc" "no database: try again later"
has "$(fg audit verify)" "chain intact" "audit chain"
done_ok
