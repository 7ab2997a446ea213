#!/bin/sh
# App push through FCM HTTP v1, against the simulator: a service-account
# JWT signed RS256 and checked by the simulator with the public key, one
# access token for many pushes, a revoked token fetched again after a 401,
# a token endpoint that refuses (the provider's trouble: attempts kept),
# UNREGISTERED and INVALID_ARGUMENT tokens dead for good (blocked, never
# used again, the notice falls back to SMS), 503 temporary, and a key file
# without a private key refused at start-up.
. "$(dirname "$0")/lib.sh"
fresh_schemas
fcm_keys
start_sim 18930 "-d 20 -k $work/key.pub.pem"
service_account "$work/fcm.json"
push_conf() {  # push_conf KEYFILE [API_URL [MORE PROVIDER LINES]]
	write_conf "
[channels]
push = fcm
sms = sim

$(fcm_section fcm "$1" "${2:-}")
${3:-}

$(sms_section sim)

[receipts]
port = 18925
public_url = http://127.0.0.1:18925

[dispatch]
receipt_wait = 10
backoff_min = 1"
}
push_conf "$work/fcm.json"
st() { sqlg "SELECT state FROM messages WHERE contact_id = $1 ORDER BY message_id DESC LIMIT 1"; }
pushes_to() { awk -F'\t' -v to="$1" '$3 == to' "$work/sim.tsv" | wc -l | tr -d ' '; }

# Accepted: FCM keeps no receipts; one access token serves every push.
customer 3300000031 0 G1 "张伟"; contact 1 3300000031 push fcm:tokA0000000000000001
customer 3300000032 0 G1 "Li \"Na\""; contact 2 3300000032 push tokB0000000000000002
sqlb "UPDATE billing_customers SET locale = 'en' WHERE account_no = '3300000032'"
customer 3300000033; contact 3 3300000033 push tokC0000000000000003
for a in 31 32 33; do bill "B$a" "33000000$a" 1234.50 2026-10-01; done
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
eq "accepted accepted accepted" "$(st 1) $(st 2) $(st 3)" "accepted by FCM"
eq "1" "$(sim_stat tokens)" "one access token for all three"
has "$(sqlg "SELECT provider_ref FROM messages WHERE contact_id = 1")" "projects/sgcc-hz-app/messages/0:" "FCM's message name kept"
eq "1" "$(pushes_to tokA0000000000000001)" "the fcm: prefix is not part of the token"
has "$(awk -F'\t' '$3 == "tokA0000000000000001" { print $5 }' "$work/sim.tsv")" \
   "国网杭州供电公司：电费缴费提醒 | 尊敬的张伟客户，您的户号3300****31电费¥1,234.50已于2026年10月1日到期" "title and body from the template"
has "$(awk -F'\t' '$3 == "tokB0000000000000002" { print $5 }' "$work/sim.tsv")" \
   'Dear Li "Na", ¥1,234.50 for account 3300****32' "English, the quote survives JSON"
id1=$(sqlg "SELECT message_id FROM messages WHERE contact_id = 1")
eq "$id1" "$(awk -F'\t' '$3 == "tokA0000000000000001" { print $2 }' "$work/sim.tsv")" "the message id travels as data"

# Dead tokens: UNREGISTERED and INVALID_ARGUMENT are permanent; the token is
# blocked and the notice falls back to SMS.
customer 3300000034; contact 4 3300000034 push fcm:deadU00000000000004 1; contact 5 3300000034 sms +8613800000005 2
customer 3300000035; contact 6 3300000035 push fcm:deadI00000000000006 1; contact 7 3300000035 sms +8613800000007 2
bill B34 3300000034 50.00 2026-10-02; bill B35 3300000035 50.00 2026-10-02
sim_control '{"unregistered_prefix": "deadU", "invalid_token_prefix": "deadI"}'
fgok run --date 2026-10-03 --now "2026-10-03 10:00"
eq "failed_permanent failed_permanent" "$(st 4) $(st 6)" "dead tokens fail for good"
eq "UNREGISTERED" "$(sqlg "SELECT SUBSTRING_INDEX(reason, ' ', 1) FROM contact_blocks WHERE contact_id = 4")" "UNREGISTERED recorded"
eq "INVALID_ARGUMENT" "$(sqlg "SELECT SUBSTRING_INDEX(reason, ' ', 1) FROM contact_blocks WHERE contact_id = 6")" "INVALID_ARGUMENT recorded"
eq "delivered delivered" "$(st 5) $(st 7)" "both fell back to SMS"
# The next notice does not try the dead token again.
fgok run --date 2026-10-10 --now "2026-10-10 10:00"
eq "2" "$(sqlg "SELECT COUNT(*) FROM messages WHERE contact_id = 5")" "notice 2 went to SMS"
eq "1" "$(sqlg "SELECT COUNT(*) FROM messages WHERE contact_id = 4")" "and not to the dead token"

# A revoked access token, inside one long-running process that cached it:
# 401, the provider's trouble (attempt kept); a new token is fetched and
# the push goes out.
customer 3300000036; contact 8 3300000036 push tokD0000000000000008
customer 3300000040; contact 12 3300000040 push tokH0000000000000012
bill B36 3300000036 50.00 2026-10-10
fgok plan --date 2026-10-11
"$FEEGATE_BIN" -c "$conf" serve --now "2026-10-11 10:00" >"$work/serve.out" 2>"$work/serve.err" &
serve=$!
bg_pids="$bg_pids $serve"
wait_state() {  # wait_state CONTACT STATE
	i=0
	until [ "$(st "$1")" = "$2" ]; do
		i=$((i + 1)); [ $i -lt 150 ] || fail "contact $1 never reached $2 (is $(st "$1"))"; sleep 0.1
	done
}
wait_state 8 accepted
tokens=$(sim_stat tokens)
sim_control '{"revoke_tokens": true}'
bill B40 3300000040 50.00 2026-10-10
fgok plan --date 2026-10-11
wait_state 12 accepted
kill -TERM "$serve"; wait "$serve" || fail "serve exit status"
grep -q Sanitizer "$work/serve.err" && fail "sanitizer report: $(cat "$work/serve.err")"
eq "THIRD_PARTY_AUTH_ERROR Sent" \
   "$(sqlg "SELECT GROUP_CONCAT(CONCAT(JSON_VALUE(a.detail, '$.code'), '') ORDER BY seq SEPARATOR ' ') FROM audit_log a JOIN messages m USING (message_id) WHERE m.contact_id = 12 AND a.event = 'message_attempt'" | sed 's/HTTP 200/Sent/')" \
   "a 401 first, then sent"
eq "1" "$(sqlg "SELECT attempts FROM messages WHERE contact_id = 12")" "the 401 did not use up an attempt"
eq "$((tokens + 1))" "$(sim_stat tokens)" "one new access token after the 401"

# The token endpoint refuses: nothing can be sent; attempts are kept.
customer 3300000037; contact 9 3300000037 push tokE0000000000000009
bill B37 3300000037 50.00 2026-10-11
sim_control '{"revoke_tokens": true, "token_fail": true}'
fgok run --date 2026-10-12 --now "2026-10-12 10:00"
eq "retry 0" "$(sqlg "SELECT state, attempts FROM messages WHERE contact_id = 9")" "no token: requeued, attempt kept"
has "$(sqlg "SELECT last_error FROM messages WHERE contact_id = 9")" "token endpoint: invalid_grant" "why"
sim_control '{"token_fail": false}'
fgok dispatch --now "2026-10-12 10:10"
eq "accepted" "$(st 9)" "sent once the token endpoint answers"

# A key the project does not know: the signature is refused.
service_account "$work/other.json" "$work/other.pem"
push_conf "$work/other.json"
customer 3300000038; contact 10 3300000038 push tokF0000000000000010
bill B38 3300000038 50.00 2026-10-12
sim_control '{"revoke_tokens": true}'
fgok run --date 2026-10-13 --now "2026-10-13 10:00"
eq "retry 0" "$(sqlg "SELECT state, attempts FROM messages WHERE contact_id = 10")" "wrong key: nothing sent, attempt kept"
has "$(sqlg "SELECT last_error FROM messages WHERE contact_id = 10")" "invalid_grant: Invalid JWT Signature." "the token endpoint's reason"

# 503 UNAVAILABLE: temporary, the provider's trouble.
push_conf "$work/fcm.json"
sim_control '{"fail_5xx": 1.0, "retry_after": 1}'
customer 3300000039; contact 11 3300000039 push tokG0000000000000011
bill B39 3300000039 50.00 2026-10-13
fgok run --date 2026-10-14 --now "2026-10-14 10:00"
eq "retry" "$(st 11)" "503: to be retried"
has "$(sqlg "SELECT last_error FROM messages WHERE contact_id = 11")" "UNAVAILABLE" "with FCM's code"
sim_control '{"fail_5xx": 0}'

# 429 QUOTA_EXCEEDED with Retry-After: temporary, not retried before the
# provider's time is up, then sent.
sim_control '{"fail_429": 1.0, "retry_after": 120}'
customer 3300000041; contact 13 3300000041 push tokG0000000000000013
bill B41 3300000041 50.00 2026-10-14
fgok run --date 2026-10-15 --now "2026-10-15 10:00"
eq "retry" "$(st 13)" "429: to be retried"
has "$(sqlg "SELECT last_error FROM messages WHERE contact_id = 13")" "QUOTA_EXCEEDED" "with FCM's code"
eq "1" "$(sqlg "SELECT next_attempt_at >= '2026-10-15 02:02:00' FROM messages WHERE contact_id = 13")" \
   "not before Retry-After (times are UTC: 10:02 in Hangzhou; $(sqlg "SELECT next_attempt_at FROM messages WHERE contact_id = 13"))"
sim_control '{"fail_429": 0}'
fgok dispatch --now "2026-10-15 10:01"
eq "retry" "$(st 13)" "still waiting a minute later"
fgok dispatch --now "2026-10-15 10:03"
eq "accepted" "$(st 13)" "sent once Retry-After has passed"

# HTTP/2 where the endpoint offers it: through nghttpx (TLS, h2 by ALPN)
# in front of the simulator, twenty pushes share one connection as
# multiplexed streams; with http2 = no they go as HTTP/1.1.
server_cert srv IP:127.0.0.1
# (by its path: /usr/sbin is not on an ordinary user's PATH)
[ -x /usr/sbin/nghttpx ] || fail "nghttpx is not installed (scripts/bootstrap.sh installs nghttp2-proxy)"
peer_start "nghttpx on 127.0.0.1:18931" "$work/h2-error.log" /usr/sbin/nghttpx --conf=/dev/null \
	--frontend='127.0.0.1,18931' --backend="127.0.0.1,$sim_port" --workers=1 --no-ocsp \
	--accesslog-file="$work/h2-access.log" --accesslog-format='$alpn $remote_port $status $method $path' \
	--errorlog-file="$work/h2-error.log" "$work/srv.key" "$work/srv.pem"
wait_listening 18931 "nghttpx on 127.0.0.1:18931"
push_conf "$work/fcm.json" https://127.0.0.1:18931 "ca_file = $work/ca.pem"
h2_customer() { customer "33000001$1"; contact "1$1" "33000001$1" push "tokH2000000000000$1"; bill "B1$1" "33000001$1" 20.00 2026-10-14; }
for_range 41 61 h2_customer
fgok run --date 2026-10-15 --now "2026-10-15 10:00"
eq "20" "$(sqlg "SELECT COUNT(*) FROM messages WHERE contact_id BETWEEN 141 AND 160 AND state = 'accepted'")" "twenty pushes over TLS"
sends=$(grep -c 'messages:send' "$work/h2-access.log")
[ "$sends" -ge 20 ] || fail "only $sends pushes reached nghttpx"
eq "$sends" "$(grep 'messages:send' "$work/h2-access.log" | grep -c '^h2 ')" "every push as HTTP/2"
conns=$(grep 'messages:send' "$work/h2-access.log" | cut -d' ' -f2 | sort -u | wc -l | tr -d ' ')
[ "$conns" -le 2 ] || fail "twenty pushes took $conns connections: not multiplexed"
echo "     $sends pushes over $conns HTTP/2 connection(s)"
: >"$work/h2-access.log"
push_conf "$work/fcm.json" https://127.0.0.1:18931 "ca_file = $work/ca.pem
http2 = no"
customer 3300000199; contact 199 3300000199 push tokH1000000000000199; bill B199 3300000199 20.00 2026-10-15
fgok run --date 2026-10-16 --now "2026-10-16 10:00"
eq "accepted" "$(st 199)" "sent with http2 = no"
has "$(grep 'messages:send' "$work/h2-access.log")" "http/1.1 " "as HTTP/1.1"

# A key file without a private key is refused at start-up, with the line.
printf '{"client_email": "x@y", "token_uri": "http://127.0.0.1:1/token"}\n' >"$work/bad.json"
push_conf "$work/bad.json"
if fg dispatch --now "2026-10-14 10:00" >"$work/bad.out" 2>"$work/bad.err"; then fail "a bad key file was accepted"; fi
has "$(cat "$work/bad.err")" "feegate.ini:" "the config line"
has "$(cat "$work/bad.err")" "service_account_file: $work/bad.json: client_email, private_key and token_uri are needed" "why"
hasnt "$(cat "$work"/*.err)" "BEGIN PRIVATE KEY" "the key never logged"
hasnt "$(cat "$work"/*.err)" "tokA0000000000000001" "nor a device token"
has "$(fg audit verify)" "chain intact" "audit chain"
done_ok
