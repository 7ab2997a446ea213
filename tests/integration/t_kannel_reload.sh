#!/bin/sh
# Kannel's sendsms password rotated under a running serve: smsbox started
# again with the new one, feegate's password_file rewritten, SIGHUP; the
# next SMS is taken with the new password (smsbox refuses the old one),
# and the password never reaches the log.
. "$(dirname "$0")/lib.sh"
BB=/usr/sbin/bearerbox
SB=/usr/sbin/smsbox
FAKE=/usr/lib/kannel/test/fakesmsc
[ -x $BB ] && [ -x $SB ] && [ -x $FAKE ] || fail "Kannel is not installed (scripts/bootstrap.sh installs kannel and kannel-extras)"
fresh_schemas
k="$work/kannel"
mkdir -p "$k"
kp=$((15000 + ($$ % 50) * 20))
"$top/tests/peers/kannel-conf.sh" "$kp" "$k" feegate Old-Kann3l >"$k/kannel.conf"
printf 'Old-Kann3l\n' >"$k/password"
chmod 600 "$k/password"
peer_start "Kannel's bearerbox" "$k/bb.out" $BB "$k/kannel.conf"
peer_http "Kannel's bearerbox" "http://127.0.0.1:$kp/status?password=statuspw"
peer_start "Kannel's fake SMSC" "$k/fake.out" $FAKE -H 127.0.0.1 -r $((kp + 2)) -m 0 '100 200 text nop'
sleep 0.3
start_smsbox() {
	peer_start "Kannel's smsbox" "$k/sb.out" $SB "$k/kannel.conf"
	peer_http "Kannel's smsbox" "http://127.0.0.1:$((kp + 3))/cgi-bin/sendsms"
}
start_smsbox
write_conf "
[channels]
sms = kannel

[provider:kannel]
type = kannel
url = http://127.0.0.1:$((kp + 3))/cgi-bin/sendsms
username = feegate
password_file = $k/password
from = 95598

[receipts]
port = 19486
public_url = http://127.0.0.1:19486

[schedule]
nightly_at = 23:59

[api]
tokens_file = $work/api-tokens

[log]
file = $work/feegate.log"
customer 3300009601 0 G1 "赵敏"; contact 1 3300009601 sms +8613900009601
fgok token add billing --scope notices:write
billing=$(cat "$work/last.out")
serve_api "2026-10-02 10:00" 19486 "$billing"
api="http://127.0.0.1:19486"
# notice N: a repair notice; until N SMS went to Kannel (accepted or
# delivered).
notice() {
	api_call "$billing" POST /api/v1/notices "{\"account_no\": \"3300009601\", \"kind\": \"repair_progress\",
		\"data\": {\"ticket\": \"T$1\", \"status\": \"ok\"}, \"idempotency_key\": \"k$1\"}"
	case "$code" in 20?) ;; *) fail "notice $1: $code $(cat "$work/resp")" ;; esac
	i=0
	until [ "$(sqlg "SELECT COUNT(*) FROM messages WHERE state IN ('accepted', 'delivered')")" -ge "$1" ]; do
		peers_alive
		i=$((i + 1)); [ $i -lt 150 ] || fail "notice $1 not taken: $(sqlg "SELECT state, last_error FROM messages")"
		sleep 0.1
	done
}
notice 1

# The rotation: smsbox knows only the new password now.
peer_stop "Kannel's smsbox"
"$top/tests/peers/kannel-conf.sh" "$kp" "$k" feegate New-Kann3l >"$k/kannel.conf"
start_smsbox
printf 'New-Kann3l\n' >"$k/password"
kill -HUP "$serve"
i=0
until grep -q "reload: provider=kannel: credentials read again" "$work/feegate.log"; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "no reload: $(tail -5 "$work/feegate.log")"; sleep 0.1
done
notice 2
for f in "$work/feegate.log" "$work/serve.err"; do
	hasnt "$(cat "$f")" "New-Kann3l" "no password in $(basename "$f")"
	hasnt "$(cat "$f")" "Old-Kann3l" "nor the old one"
done
kill -TERM "$serve"
wait "$serve" || fail "serve did not exit 0"
grep -q Sanitizer "$work/serve.err" && fail "sanitizer report: $(cat "$work/serve.err")"
done_ok
