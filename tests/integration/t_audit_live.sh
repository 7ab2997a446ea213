#!/bin/sh
# `feegate audit verify` while the trail grows: serve takes the notice
# API's repair notices and sends them (each an audit row as queued, then
# its attempt and its receipt) while the check walks the chain, as the
# daily timer meets a utility's day. Every check passes and says where
# it stopped; none takes a growing chain for one cut at its end. A row
# put after the chain's end, where no append accounts for it, is found.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 19610 "-d 5"
printf 'api-T0ken-4-live-audit\n' >"$work/api.token"
chmod 600 "$work/api.token"
send_conf 19611 "
[api]
token_file = $work/api.token"
sms_accounts 3000
night 2026-10-02 "2026-10-02 10:00"
eq "3000" "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'delivered'")" "the night sent its notices"
serve_api "2026-10-02 10:00" 19611 api-T0ken-4-live-audit

# Repair notices, one after another, until told to stop.
: >"$work/posting"
(
	i=0
	while [ -e "$work/posting" ] && [ $i -lt 2000 ]; do
		i=$((i + 1))
		curl -s -o /dev/null -X POST -H "Authorization: Bearer $api_token" \
			--data-binary "{\"account_no\": \"K$(( i % 3000 + 1 ))\", \"kind\": \"repair_progress\", \"data\": {\"ticket\": \"R-$i\", \"status\": \"on the way\"}, \"idempotency_key\": \"live-$i\"}" \
			"http://127.0.0.1:$api_port/api/v1/notices"
	done
) &
poster=$!
bg_pids="$bg_pids $poster"
grew=0
for k in 1 2 3 4 5 6; do
	h0=$(sqlg "SELECT seq FROM audit_head")
	rc=0
	fg audit verify >"$work/verify.out" 2>&1 || rc=$?
	h1=$(sqlg "SELECT seq FROM audit_head")
	eq "0" "$rc" "check $k while the trail grew from $h0 to $h1: $(cat "$work/verify.out")"
	has "$(cat "$work/verify.out")" "chain intact" "check $k"
	[ "$h1" -eq "$h0" ] || grew=$((grew + 1))
done
rm -f "$work/posting"
wait "$poster" || true
[ "$grew" -ge 3 ] || fail "the trail grew during $grew checks of 6: the test did not test"
echo "     6 checks, the trail growing during $grew of them"
fgok audit verify --since-last

# A row after the chain's end that no append accounts for.
kill -TERM "$serve"
wait "$serve" || fail "serve's exit status"
last=$(sqlg "SELECT seq FROM audit_head")
sqlg "INSERT INTO audit_log (seq, business_date, at, actor, event, account_no, detail, hash)
      SELECT seq + 1, business_date, at, actor, event, account_no, detail, hash FROM audit_log WHERE seq = $last"
rc=0
fg audit verify >"$work/verify.out" 2>&1 || rc=$?
eq "1" "$rc" "a row after the head: exit 1"
has "$(cat "$work/verify.out")" "chain broken at seq $((last + 1)): rows $((last + 1))-$((last + 1)) after the head ($last)" \
    "a row after the head: named"
sqlg "DELETE FROM audit_log WHERE seq = $((last + 1))"
fgok audit verify
done_ok
