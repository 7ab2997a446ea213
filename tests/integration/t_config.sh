#!/bin/sh
# `feegate config check` checks what serve checks before it starts (the
# file, the templates, every provider, the schema's version and billing's
# contract) and starts nothing; `config show` prints the configuration
# in effect, loadable again, with no secret in it.
. "$(dirname "$0")/lib.sh"
fresh_schemas
sim_port=19951
smsconf="
[channels]
sms = sim

[receipts]
port = 19952
public_url = http://127.0.0.1:19952

$(sms_section sim)"
write_conf "$smsconf"
fgok config check
has "$(cat "$work/last.out")" "the configuration, the templates and the providers of 1 channel are usable" "the file"
has "$(cat "$work/last.out")" "the gateway schema $gschema is current and billing schema $bschema meets the contract" "the database"
hasnt "$(cat "$work/last.out")" "Listening" "nothing started"

# What it refuses, each with exit status 2 and what is at fault.
check_refuses() { # WHAT EXPECTED-TEXT [ARGS]
	what=$1 text=$2
	shift 2
	rc=0
	fg config check "$@" >"$work/check.out" 2>&1 || rc=$?
	eq "2" "$rc" "$what: exit status 2"
	has "$(cat "$work/check.out")" "$text" "$what: named"
}
write_conf "$smsconf
rate = fast"
check_refuses "a provider's key" "$conf:"
has "$(cat "$work/check.out")" "[provider:sim] rate" "the key"
mkdir -p "$work/tpl/zh-CN"
write_conf "$smsconf
[templates]
dir = $work/tpl"
check_refuses "templates missing" "$work/tpl"
write_conf "[channels]"
check_refuses "no channel" "[channels]: no provider configured"
write_conf "$smsconf"
sqlb "ALTER TABLE billing_bills DROP COLUMN due_date"
check_refuses "billing's contract" "billing_bills.due_date: no such column"
fgok config check --offline
hasnt "$(cat "$work/last.out")" "contract" "--offline: no database"

# config show: every key, defaults too; no secret; loads again to itself.
write_conf "$smsconf
[provider:relay]
type = http
url = https://gw-user:Sekr1t-Url@sms.example.cn/v1/sms"
fgok config show
shown=$(cat "$work/last.out")
has "$shown" "step_days = 7" "a default"
has "$shown" "gateway_schema = $gschema" "a value given"
has "$shown" "url = https://gw-user:***@sms.example.cn/v1/sms" "a URL's password hidden"
hasnt "$shown" "$APP_PASSWORD" "the database password is not shown"
hasnt "$shown" "Sekr1t-Url" "nor the URL's"
has "$shown" "password = (given here, not shown)" "but said to be set"
printf '%s\n' "$APP_PASSWORD" >"$work/db.password"
chmod 600 "$work/db.password"
sed -e "s|^password = .*|password_file = $work/db.password|" "$conf" >"$work/fromfile.ini"
"$FEEGATE_BIN" -c "$work/fromfile.ini" config show >"$work/fromfile.out"
has "$(cat "$work/fromfile.out")" ";password = (from $work/db.password)" "a password from its file: the file named"
sed -e 's|^;password = .*||' -e 's|^password = .*||' -e 's|https://gw-user:\*\*\*@|https://gw-user:x@|' \
	"$work/last.out" >"$work/shown.ini"
"$FEEGATE_BIN" -c "$work/shown.ini" config show >"$work/again.out" || fail "config show's output does not load"
eq "$(sed 1d "$work/last.out" | grep -v '^;*password =\|^url = https')" \
   "$(sed 1d "$work/again.out" | grep -v '^;*password =\|^url = https')" "shown, loaded, shown again: the same"
done_ok
