#!/bin/sh
# Kannel's sendsms password rotated under a running serve: smsbox started
# again with the new one, feegate's password_file rewritten, SIGHUP; the
# next SMS is taken with the new password (smsbox refuses the old one),
# and the password never reaches the log.
. "$(dirname "$0")/lib.sh"
fresh_schemas
k="$work/kannel"
mkdir -p "$k"
kannel_conf "$k" $((15000 + ($$ % 50) * 20)) Old-Kann3l
printf 'Old-Kann3l\n' >"$k/password"
chmod 600 "$k/password"
kannel_up "$k"
write_conf "
[channels]
sms = kannel

[provider:kannel]
type = kannel
url = http://127.0.0.1:$((kp + 3))/cgi-bin/sendsms
username = feegate
password_file = $k/password
from = 95598

$(serve_sections 19486)

$(api_sections)"
customer 3300009601 0 G1 "赵敏"; contact 1 3300009601 sms +8613900009601
api_client billing notices:write
billing=$token
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
kannel_conf "$k" "$kp" New-Kann3l
kannel_smsbox "$k"
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
