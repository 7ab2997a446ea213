#!/bin/sh
# The staff pages of `serve` (over HTTP with curl; the browser tests come
# with the rest of the pages): no page without a session, login with
# Argon2id passwords, cookies HttpOnly and SameSite=Strict with only a hash
# in the database, failed logins throttled, CSRF on POST, search by account
# and by phone, a customer page that never shows a full number and escapes
# what billing wrote, a supervisor's reveal with a reason (audited) that
# an agent cannot do, collectors kept to their grid's tasks, disabled staff
# logged out, and every search and view in the access log.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 19530 "-d 20"
send_conf 19525 "
[web]
port = 19531

[costs]
sms = 0.045

[log]
file = $work/feegate.log"
customer 3300008901 0 G1 "<script>alert(1)</script>周明"
contact 1 3300008901 sms +8613800008901
bill B1 3300008901 150.00 2026-10-01
customer 3300008902 0 G1 "吴刚"
contact 2 3300008902 sms +8613900008902
bill B2 3300008902 80.00 2026-10-01
sim_control '{"invalid_prefix": "+8613900008902"}'
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
eq "delivered failed_permanent" "$(sqlg "SELECT GROUP_CONCAT(state ORDER BY message_id SEPARATOR ' ') FROM messages")" \
   "a notice to look at, and a number that does not exist"

printf 'agent-password-1\n' | fgok staff add li.na --role agent --name "李娜"
printf 'super-password-1\n' | fgok staff add zhao --role supervisor
printf 'collect-password\n' | fgok staff add qian --role collector --grid G1
printf 'x\n' | fg staff add short --role agent >/dev/null 2>&1 && fail "a one-letter password was taken"
fgok staff list
has "$(cat "$work/last.out")" "li.na                agent" "staff list"
has "$(sqlg "SELECT pw_hash FROM staff WHERE username = 'li.na'")" '$argon2id$' "Argon2id hash"

"$FEEGATE_BIN" -c "$conf" serve --now "2026-10-02 11:00" >"$work/serve.out" 2>"$work/serve.err" &
serve=$!
bg_pids="$bg_pids $serve"
wait_listening 19531 "the staff pages"
web="http://127.0.0.1:19531"
# get PATH [JAR]: status in $code, page in $page, headers in $work/h.
get() {
	code=$(curl -s -D "$work/h" -o "$work/page" -w '%{http_code}' -b "${2:-$work/jar}" -c "${2:-$work/jar}" "$web$1")
	page=$(cat "$work/page")
}
# post PATH DATA [JAR]
post() {
	code=$(curl -s -D "$work/h" -o "$work/page" -w '%{http_code}' -b "${3:-$work/jar}" -c "${3:-$work/jar}" \
		--data "$2" "$web$1")
	page=$(cat "$work/page")
}
csrf() { sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' "$work/page" | head -1; }

# Nothing without a session.
for p in / /search?q=3300008901 /customer/3300008901; do
	get "$p" "$work/nobody"
	eq "303" "$code" "GET $p without a session"
	has "$(cat "$work/h")" "Location: /login" "GET $p: to the login page"
done
post /logout "csrf=x" "$work/nobody"
eq "303" "$code" "POST without a session"

# A login posted from another site's page (login CSRF): refused by its
# Origin; from this server's own page, taken.
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Origin: http://evil.example' \
	--data "user=li.na&password=agent-password-1" "$web/login")
eq "403" "$code" "a login posted from another site"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Origin: null' \
	--data "user=li.na&password=agent-password-1" "$web/login")
eq "403" "$code" "a login from a sandboxed page"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Origin: $web" \
	--data "user=zhao&password=super-password-1" "$web/login")
eq "303" "$code" "a login from this server's own page"

# A wrong password.
post /login "user=li.na&password=wrong-password" "$work/bad"
eq "401" "$code" "a wrong password"
has "$page" "Wrong user name or password" "says so"
post /login "user=nobody&password=whatever-pass" "$work/bad"
eq "401" "$code" "an unknown user: the same answer"

# Logged in.
post /login "user=li.na&password=agent-password-1"
eq "303" "$code" "logged in"
set_cookie=$(grep -i '^Set-Cookie:' "$work/h")
has "$set_cookie" "HttpOnly" "cookie HttpOnly"
has "$set_cookie" "SameSite=Strict" "cookie SameSite=Strict"
hasnt "$set_cookie" "Secure" "no Secure flag without TLS"
token=$(awk '$6 == "fg_session" { print $7 }' "$work/jar")
eq "64" "${#token}" "a 256-bit token"
eq "0" "$(sqlg "SELECT COUNT(*) FROM staff_sessions WHERE token_hash = '$token'")" "the database keeps only its hash"
eq "1" "$(sqlg "SELECT COUNT(*) FROM staff_sessions WHERE token_hash = SHA2('$token', 256)")" "its SHA-256"

# Search by account and by phone (a POST: no number in a URL); the
# customer page.
search() {  # search Q [JAR]: from the home page's form, its CSRF token
	get / "${2:-$work/jar}"
	post /search "csrf=$(csrf)&q=$1" "${2:-$work/jar}"
}
search 3300008901
eq "200" "$code" "search by account"
has "$page" 'href="/customer/3300008901"' "links the customer"
search 13800008901
has "$page" 'href="/customer/3300008901"' "search by phone finds the account"
hasnt "$page" "13800008901" "the searched number is not shown in full"
has "$page" "+86138****8901" "it is shown masked"
get "/search?q=13800008901"
eq "303" "$code" "a search by URL is none"
has "$(cat "$work/h")" "Location: /" "back to the form"
post /search "q=13800008901"
eq "403" "$code" "a search without the form's token"
get /customer/3300008901
eq "200" "$code" "the customer page"
has "$page" "+86138****8901" "the message's address, masked"
hasnt "$page" "8613800008901" "never in full"
has "$page" "&lt;script&gt;alert(1)&lt;/script&gt;周明" "billing's name escaped"
hasnt "$page" "<script>" "no markup from billing"
has "$page" "delivered" "the message's state"
has "$(grep -i '^Content-Security-Policy:' "$work/h")" "default-src 'none'" "no scripts, no external resources"
has "$(cat "$work/h")" "X-Content-Type-Options: nosniff" "no content sniffing"
has "$(cat "$work/h")" "Referrer-Policy: same-origin" "no page's address handed to another site"
has "$page" "发送 attempt · Sent · HTTP 202 · sim-1" "each attempt, with the provider's code and reference"
has "$page" "回执 receipt · delivered · DELIVRD · sim-1" "each receipt"
has "$page" "Chain not checked yet" "the audit chain: not checked yet"
eq "search,search,view" "$(sqlg "SELECT GROUP_CONCAT(action ORDER BY id) FROM access_log WHERE username = 'li.na' AND action IN ('search', 'view')")" \
   "searches and views in the access log"
eq "3300008901" "$(sqlg "SELECT account_no FROM access_log WHERE action = 'view'")" "with the account viewed"
hasnt "$(sqlg "SELECT GROUP_CONCAT(detail) FROM access_log")" "13800008901" "no full number in the access log"

# CSRF: a POST without the session's token is refused; with it, logout.
post /logout "csrf=00000000000000000000000000000000"
eq "403" "$code" "logout with a forged CSRF token"
get /
eq "200" "$code" "still logged in"
token_csrf=$(csrf)
eq "32" "${#token_csrf}" "the page carries the CSRF token"
post /logout "csrf=$token_csrf"
eq "303" "$code" "logout"
get /
eq "303" "$code" "logged out"
eq "0" "$(sqlg "SELECT COUNT(*) FROM staff_sessions s JOIN staff t USING (staff_id) WHERE t.username = 'li.na'")" "session gone"

# Collectors do not see customer pages.
post /login "user=qian&password=collect-password" "$work/qian"
get /customer/3300008901 "$work/qian"
eq "403" "$code" "a collector on a customer page"
# A collector's search finds the customers of their grid only, unlinked.
customer 3300008903 0 G2 "郑伟"; contact 3 3300008903 sms +8613800008903
search 13800008903 "$work/qian"
eq "200" "$code" "a collector's search"
hasnt "$page" "3300008903" "another grid's customer is not found"
search 13800008901 "$work/qian"
has "$page" "<li>3300008901</li>" "a customer of the collector's grid, without a link"
post /login "user=zhao&password=super-password-1" "$work/z3"
search 13800008903 "$work/z3"
has "$page" 'href="/customer/3300008903"' "a supervisor finds the other grid's customer"

# A supervisor may reveal one number in full, with a reason: an audit row.
printf 'sun-password-12\n' | fgok staff add sun --role supervisor
post /login "user=sun&password=sun-password-12" "$work/sun"
get /customer/3300008901 "$work/sun"
has "$page" 'action="/customer/3300008901/reveal"' "the supervisor's reveal form"
c=$(csrf)
post /customer/3300008901/reveal "csrf=$c&contact_id=1&reason=ok" "$work/sun"
eq "400" "$code" "a reveal without a real reason"
post /customer/3300008901/reveal "csrf=$c&contact_id=1&reason=%E5%AE%A2%E6%88%B7%E6%9D%A5%E7%94%B5%E6%A0%B8%E5%AE%9E%E5%8F%B7%E7%A0%81" "$work/sun"
eq "200" "$code" "revealed"
has "$page" "+8613800008901 <b" "the number in full, marked"
eq '{"staff":"sun","contact_id":1,"reason":"客户来电核实号码"}' \
   "$(sqlg "SELECT detail FROM audit_log WHERE event = 'address_revealed' AND account_no = '3300008901'")" \
   "the reveal is an audit row, with who and why"
has "$(fg audit verify)" "chain intact" "and the chain holds"
eq "1" "$(sqlg "SELECT COUNT(*) FROM access_log WHERE action = 'reveal' AND username = 'sun'")" "and in the access log"
get /customer/3300008901 "$work/sun"
hasnt "$page" "8613800008901" "once: the next view is masked again"
has "$page" '<span id="chain">审计链完整 Chain intact</span>' "the chain as the last audit verify found it"
post /login "user=li.na&password=agent-password-1" "$work/li2"
get / "$work/li2"
c=$(csrf)
get /customer/3300008901 "$work/li2"
hasnt "$page" "/reveal" "an agent has no reveal form"
post /customer/3300008901/reveal "csrf=$c&contact_id=1&reason=just+curious+here" "$work/li2"
eq "403" "$code" "an agent cannot reveal"
hasnt "$page" "8613800008901" "and sees nothing in full"

# Tasks: a collector sees the grid they work, whatever they ask for.
sqlg "INSERT INTO collection_tasks (account_no, case_id, grid_id, amount_due, notices_failed, notices_delivered, reason, created_on)
      VALUES ('3300008901', 801, 'G1', 150.00, 3, 3, 'three notices failed', '2026-10-02'),
             ('3300009902', 802, 'G2', 75.50, 3, 0, 'three notices failed', '2026-10-02')" >/dev/null
get "/tasks?grid=G2" "$work/qian"
eq "200" "$code" "the collector's task list"
has "$page" "3300008901" "their grid's task"
hasnt "$page" "3300009902" "not another grid's, even when asked"
hasnt "$page" 'href="/customer/' "and no customer links"
get "/tasks?grid=G2&state=open" "$work/li2"
has "$page" "3300009902" "an agent filters by grid"
hasnt "$page" "3300008901" "only that grid"

# Reports: the figures as the database has them, charts as inline SVG.
# One of the two customers pays after notice 1.
pay B2
fgok plan --date 2026-10-03
get "/reports?from=2026-10-01&to=2026-10-31" "$work/li2"
eq "200" "$code" "reports"
row=$(sqlg "SELECT CONCAT_WS('|', COUNT(*), SUM(state = 'delivered'), SUM(state = 'failed_permanent'),
                   SUM(IF(provider_ref IS NULL, 0, parts)), SUM(state = 'accepted')) FROM messages WHERE created_on = '2026-10-02'")
units=$(echo "$row" | cut -d'|' -f4)
cost=$(awk -v u="$units" 'BEGIN { printf "%.2f", u * 0.045 }')
has "$page" "<tr><td>2026-10-02</td><td>sms</td><td>$(echo "$row" | cut -d'|' -f1)</td><td>$(echo "$row" | cut -d'|' -f2)</td><td>$(echo "$row" | cut -d'|' -f5)</td><td>$(echo "$row" | cut -d'|' -f3)</td><td>$units</td><td>$cost</td></tr>" \
   "a night's messages, delivered, accepted, failed, units and cost"
has "$page" "Total cost ¥<b id=\"cost\">$cost</b>" "the total cost"
open=$(sqlg "SELECT COUNT(*) FROM dunning_cases WHERE state = 'open'")
share=$(awk -v o="$open" -v t="$(sqlg "SELECT COUNT(*) FROM dunning_cases")" 'BEGIN { printf "%.1f", 100 * o / t }')
has "$page" "<tr><td>open</td><td>$open</td><td>$share%</td></tr>" "recovery: open cases and their share"
eq "1" "$(sqlg "SELECT COUNT(*) FROM dunning_cases WHERE close_reason = 'paid' AND step = 1")" "one paid after notice 1"
has "$page" "<tr><td>notice 1</td><td>1</td><td>50.0%</td></tr>" "recovery: paid after notice 1, and its share"
has "$page" "<svg xmlns=" "charts as inline SVG"
has "$page" "+86139****8902" "the number to correct, masked"
hasnt "$page" "8613900008902" "never in full"
has "$page" "$(sqlg "SELECT reason FROM contact_blocks")" "with its reason"
get /reports "$work/qian"
eq "403" "$code" "collectors see no reports"

# Disabling an account ends its sessions.
post /login "user=zhao&password=super-password-1" "$work/zhao"
get / "$work/zhao"
eq "200" "$code" "supervisor logged in"
fgok staff disable zhao
get / "$work/zhao"
eq "303" "$code" "disabled: logged out"
post /login "user=zhao&password=super-password-1" "$work/zhao"
eq "401" "$code" "and cannot log in"

# Five failures for a name in 15 minutes: even the right password waits.
for i in 1 2 3 4; do post /login "user=li.na&password=guess-$i-xxxxx" "$work/bad"; done
post /login "user=li.na&password=agent-password-1" "$work/bad"
eq "429" "$code" "throttled after five failures"
has "$page" "Too many failed logins" "says so"
eq "1" "$(sqlg "SELECT COUNT(*) FROM access_log WHERE action = 'login_throttled'")" "recorded"

# Idle sessions end.
get / "$work/li2"
eq "200" "$code" "an active session"
sqlg "UPDATE staff_sessions s JOIN staff t USING (staff_id) SET s.last_seen = s.last_seen - INTERVAL 16 MINUTE
      WHERE t.username = 'li.na'" >/dev/null
get / "$work/li2"
eq "303" "$code" "16 minutes idle: logged out"
# A busy session ends too, session_hours (12) after its login.
post /login "user=sun&password=sun-password-12" "$work/long"
get / "$work/long"
eq "200" "$code" "a new supervisor session"
tok=$(awk '$6 == "fg_session" { print $7 }' "$work/long")
[ ${#tok} -eq 64 ] || fail "no session cookie in the jar"
sqlg "UPDATE staff_sessions SET created_at = created_at - INTERVAL 13 HOUR
      WHERE token_hash = '$(printf '%s' "$tok" | sha256sum | cut -d' ' -f1)'" >/dev/null
get / "$work/long"
eq "303" "$code" "13 hours after login, however busy: logged out"

# A tampered audit trail shows on the customer page once verified.
sqlg "UPDATE audit_log SET detail = '{}' WHERE seq = 2" >/dev/null
fg audit verify >/dev/null && fail "audit verify missed the change"
get /customer/3300008901 "$work/sun"
has "$page" "CHAIN BROKEN" "a broken chain is shown to staff"

kill -TERM "$serve"
wait "$serve" || fail "serve did not exit 0"
hasnt "$(cat "$work/feegate.log" "$work/serve.err")" "agent-password-1" "no password in the log"
hasnt "$(cat "$work/feegate.log" "$work/serve.err")" "$token" "no session token in the log"
grep -q Sanitizer "$work/serve.err" && fail "sanitizer report: $(cat "$work/serve.err")"
done_ok
