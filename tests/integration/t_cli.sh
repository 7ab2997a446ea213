#!/bin/sh
# The command line: exit codes (0 done, 1 runtime failure, 2 usage or
# configuration), errors that name the file, line or key, `log` by account
# or phone number with addresses masked, JSON shapes, and the notice_log
# view masking addresses exactly as feegate does.
. "$(dirname "$0")/lib.sh"
fresh_schemas

# Usage and configuration mistakes: exit 2.
run_rc 2 "unknown command" fg frobnicate
has "$out" "unknown command 'frobnicate'" "names the command"
run_rc 2 "bad date" fg run --date 2026-02-30
has "$out" "'2026-02-30' is not a date" "names the date"
run_rc 2 "unknown option" fg run --dat 2026-10-01
run_rc 2 "bad task state" fg tasks --state lost
run_rc 2 "log without an account" fg log
printf '[database]\nsocket = %s\n[dunning]\nstep_days = seven\n' "$sock" >"$work/bad.ini"
run_rc 2 "bad value" "$FEEGATE_BIN" -c "$work/bad.ini" run
has "$out" "bad.ini:4: [dunning] step_days: must be a whole number" "file, line and key"
printf '[database]\nsocket = %s\npassword = hunter2\npasswd = x\n' "$sock" >"$work/bad.ini"
run_rc 2 "unknown key" "$FEEGATE_BIN" -c "$work/bad.ini" run
has "$out" "bad.ini:4: [database] passwd: unknown key" "names the key"
hasnt "$out" "hunter2" "never echoes the password"
run_rc 2 "missing config file" "$FEEGATE_BIN" -c "$work/none.ini" run
has "$out" "none.ini: cannot open" "names the file"
replay_configs >"$work/configs"
echo "     hostile configurations refused: $(cat "$work/configs")"

# Runtime failures: exit 1, with the reason.
printf '[database]\nsocket = %s/nowhere.sock\nuser = root\n' "$work" >"$work/nodb.ini"
run_rc 1 "database unreachable" "$FEEGATE_BIN" -c "$work/nodb.ini" run --date 2026-10-01
has "$out" "db: connect to $work/nowhere.sock as root" "says where it tried"
mysql_cli -e "DROP DATABASE IF EXISTS it_cli_empty; CREATE DATABASE it_cli_empty"
printf '[database]\nsocket = %s\nuser = root\ngateway_schema = it_cli_empty\nbilling_schema = %s\n' "$sock" "$bschema" >"$work/empty.ini"
run_rc 1 "schema not migrated" "$FEEGATE_BIN" -c "$work/empty.ini" run --date 2026-10-01
has "$out" "run \`feegate db migrate\`" "tells the operator what to do"
mysql_cli -e "DROP DATABASE it_cli_empty"
run_rc 0 "migrate again" fg_admin db migrate
has "$out" "nothing to do" "migrate is idempotent"

# log by account and by phone number; masked either way.
customer C1 0 G2 "张伟"
contact 1 C1 sms +8613912345678
contact 2 C1 email zhang.wei@example.com 2
bill C1-1 C1 123.45 2026-10-01
night 2026-10-02
run_rc 0 "log account" fg log C1
has "$out" "张伟" "name"
has "$out" "+86139****5678" "masked number"
hasnt "$out" "13912345678" "no full number"
run_rc 0 "log by phone" fg log 13912345678
has "$out" "account C1" "11-digit mobile finds the account"
run_rc 0 "log by E.164" fg log +8613912345678
has "$out" "account C1" "E.164 finds the account"
hasnt "$out" "13912345678" "no full number in a phone search"
run_rc 1 "unknown account" fg log NOPE
has "$out" "no account or phone number 'NOPE'" "says so"

run_rc 0 "log --json" fg log C1 --json
has "$out" '"account_no": "C1"' "account_no"
has "$out" '"opened_on": "2026-10-02"' "case opened_on"
has "$out" '"sent_on": "2026-10-02"' "notice sent_on"
has "$out" '"address": "+86139****5678"' "message address masked"
has "$out" '"tasks": []' "tasks array"
hasnt "$out" "13912345678" "no full number in JSON"

run_rc 0 "report" fg report
has "$out" "dunning cases opened     1" "report counts cases"
has "$out" "#1: 1" "report counts notices by step"
run_rc 0 "report --json" fg report --json
eq "1 1 1 2026-10-02" "$(printf '%s' "$out" | python3 -c 'import json, sys
r = json.load(sys.stdin)
print(r["cases"]["opened"], r["notices"][0]["seq"], r["notices"][0]["sent"], r["to"])')" \
   "report --json: cases opened, notice #1 sent, the range"

# template render: a sample customer, or one from billing with its balance.
run_rc 0 "template render sample" fg template render dunning_1 sms --locale en --date 2026-10-12
has "$out" "Dear Zhang Wei, ¥1,234.50 on acct 3300****23 (Aug, Sep 2026) is 22 days overdue" "sample notice"
has "$out" "-- 3 SMS parts, UCS-2" "part count (UCS-2 for the 【signature】)"
run_rc 0 "template render for an account" fg template render dunning_2 sms --account C1 --date 2026-10-11
has "$out" "张伟客户您好：您的户号****电费¥123.45（2026年9月）已逾期10天" "rendered from billing"
has "$out" "UCS-2" "Chinese is UCS-2"
run_rc 2 "unknown template" fg template render dunning_9 sms
has "$out" "no zh-CN/dunning_9.sms" "names the template"
run_rc 1 "unknown account" fg template render dunning_1 sms --account NOPE
mkdir -p "$work/tpl"
cp -r "$top/templates/zh-CN" "$top/templates/en" "$work/tpl/"
printf 'Hi {{nmae}}\n' >"$work/tpl/en/dunning_2.sms"
printf '[templates]\ndir = %s/tpl\n' "$work" >>"$conf"
run_rc 2 "bad template refused at start" fg template render dunning_1 sms
has "$out" "tpl/en/dunning_2.sms:1: unknown variable {{nmae}}" "names file and line"
write_conf

# The notice_log view masks exactly as feegate does (mask.c).
n=100
while read -r ch addr; do
	n=$((n + 1))
	sqlg "INSERT INTO messages (notice_id, case_id, account_no, channel, contact_id, address, created_on)
	      VALUES (1, 1, 'C1', $(q "$ch"), $n, $(q "$addr"), '2026-10-02')"
done <<'ADDRS'
sms +8613812345678
voice +8657112345678
sms +4420712345
sms 12345678
email zhang.wei@example.com
email 王伟@example.com
email no-at-sign
push fcm:0123456789abcdef
push short
fax +8613812345678
ADDRS
view=$(sqlg "SELECT address_masked FROM notice_log WHERE account_no = 'C1' AND message_id > 1 ORDER BY message_id")
mine=$(fg log C1 --json | sed -n 's/^ *"address": "\(.*\)",$/\1/p' | tail -n +2)
eq "$view" "$mine" "notice_log view and feegate mask addresses alike"
done_ok
