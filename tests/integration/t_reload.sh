#!/bin/sh
# SIGHUP to serve reads again what can change without a restart: the
# templates and each locale's wording, the API's tokens, a provider's
# credentials file and rate; a key that needs a restart is named in the
# log; a reload that
# fails (a template that does not load, a configuration that does not
# parse) keeps what is in effect and says why, and serve goes on.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 19490 "-d 10"
mkdir -p "$work/tpl"
cp -r "$top/templates/zh-CN" "$top/templates/en" "$work/tpl/"
send_conf 19491 "
[schedule]
nightly_at = 23:59

[templates]
dir = $work/tpl

$(api_sections)"
# The provider insists on a bearer token, kept in a file.
printf 'tok-A\n' >"$work/sms.token"
chmod 600 "$work/sms.token"
sed -i "/^type = http\$/a token_file = $work/sms.token" "$conf"
sim_control '{"token": "tok-A"}'
customer 3300009401 0 G1 "冯涛"; contact 1 3300009401 sms +8613800009401
api_client billing notices:write
billing=$token

serve_api "2026-10-02 10:00" 19491 "$billing"
api="http://127.0.0.1:19491"
call() { api_call "$@"; }
# notice N: one repair notice through the API; its SMS as the provider got it.
notice() {
	call "$billing" POST /api/v1/notices "{\"account_no\": \"3300009401\", \"kind\": \"repair_progress\",
		\"data\": {\"ticket\": \"T$1\", \"status\": \"ok\"}, \"idempotency_key\": \"k$1\"}"
	case "$code" in 20?) ;; *) fail "notice $1: $code $(cat "$work/resp")" ;; esac
	i=0
	until [ "$(sim_count +8613800009401)" -ge "$1" ]; do
		peers_alive
		i=$((i + 1)); [ $i -lt 100 ] || fail "notice $1 not sent"; sleep 0.1
	done
	sms=$(awk -F'\t' -v n="$1" '$3 == "+8613800009401" && ++i == n { print $5 }' "$work/sim.tsv")
}
# hup WHAT: SIGHUP, until the log has said WHAT.
hup() {
	kill -HUP "$serve"
	i=0
	until grep -q "$1" "$work/feegate.log"; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "no '$1' in the log after SIGHUP: $(tail -5 "$work/feegate.log")"
		sleep 0.1
	done
}

notice 1
has "$sms" "【国网杭州供电公司】" "signed as configured"
crm=$(fg token add crm --scope timeline:read)
call "$crm" GET /api/v1/accounts/3300009401/timeline
eq "401" "$code" "a token added after the start is not known yet"

# The wording, a token, the provider's rotated credentials, the rate,
# and a key that needs a restart.
sed -i 's/^signature = 【国网杭州供电公司】/signature = 【改后供电】/' "$work/tpl/zh-CN/strings.ini"
printf 'tok-B\n' >"$work/sms.token"
sim_control '{"token": "tok-B"}'
sed -i 's/^rate = 500$/rate = 7/; s/^lock_timeout = 60$/lock_timeout = 61/' "$conf"
hup "reload: .* read again"
has "$(cat "$work/feegate.log")" "reload: provider=sim rate=7 concurrency=8" "the new rate in effect"
has "$(cat "$work/feegate.log")" "reload: provider=sim: credentials read again" "the token file read again"
hasnt "$(cat "$work/feegate.log")" "tok-B" "the token never logged"
has "$(cat "$work/feegate.log")" "reload: [database] lock_timeout changed: it takes effect when serve starts again" \
    "a key a reload cannot change, named"
hasnt "$(cat "$work/feegate.log")" "[templates] dir changed" "nothing else named"
call "$crm" GET /api/v1/accounts/3300009401/timeline
eq "200" "$code" "the new token opens the timeline"
notice 2
has "$sms" "【改后供电】" "the new wording sent, with the provider's new token"

# A template that does not load: nothing changes, the log says why.
printf '{{signature}}Hi {{nmae}}\n' >"$work/tpl/zh-CN/repair_progress.sms"
sed -i 's/^signature = 【改后供电】/signature = 【不该用】/' "$work/tpl/zh-CN/strings.ini"
hup "reload: .*repair_progress.sms:1: unknown variable {{nmae}}"
has "$(grep nmae "$work/feegate.log")" "; the configuration in effect is kept" "kept, said"
notice 3
has "$sms" "【改后供电】" "the templates in effect kept"
hasnt "$sms" "nmae" "not the broken one"

# A configuration that does not parse: kept, said, serve goes on.
cp "$conf" "$work/good.ini"
printf '[dispatch]\nlease = -5\n' >>"$conf"
hup "lease.*; the configuration in effect is kept"
cp "$work/good.ini" "$conf"
kill -0 "$serve" || fail "serve stopped after a failed reload"
call "$crm" GET /api/v1/accounts/3300009401/timeline
eq "200" "$code" "the tokens in effect kept"

kill -TERM "$serve"
wait "$serve" || fail "serve did not exit 0"
grep -q Sanitizer "$work/serve.err" && fail "sanitizer report: $(cat "$work/serve.err")"
done_ok
