#!/bin/sh
# The staff pages in a real browser (headless Chromium driven over the
# DevTools protocol by tests/peers/browser.py): redirected to log in, log
# in through the form, the session cookie as the browser keeps it, search
# by phone, open the customer, what an agent sees (masked) and what a
# supervisor sees after revealing with a reason; screenshots of the
# customer page are kept for a reviewer (var/test/t_browser/*.png).
. "$(dirname "$0")/lib.sh"
CHROMIUM=/usr/bin/chromium
[ -x $CHROMIUM ] || fail "chromium is not installed (scripts/bootstrap.sh installs it)"
/usr/bin/python3 -c 'import websocket' 2>/dev/null ||
	fail "python3-websocket is not installed (scripts/bootstrap.sh installs it)"
fresh_schemas
start_sim 19630 "-d 20"
send_conf 19625 "
[web]
port = 19631"
customer 3300008901 0 G1 "<script>alert(1)</script>周明"
contact 1 3300008901 sms +8613800008901
bill B1 3300008901 150.00 2026-10-01
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
printf 'agent-password-1\n' | fgok staff add li.na --role agent --name "李娜"
printf 'super-password-1\n' | fgok staff add zhao --role supervisor --name "赵强"

"$FEEGATE_BIN" -c "$conf" serve --now "2026-10-02 11:00" >"$work/serve.out" 2>"$work/serve.err" &
bg_pids="$bg_pids $!"
wait_listening 19631 "the staff pages"
rm -rf "$work/chrome"
peer_start chromium "$work/chrome.log" $CHROMIUM --headless=new --no-sandbox --disable-gpu \
	--no-first-run --no-default-browser-check --disable-background-networking --disable-component-update \
	--disable-sync --remote-debugging-address=127.0.0.1 --remote-debugging-port=19632 \
	--user-data-dir="$work/chrome" about:blank
wait_listening 19632 chromium
web=http://127.0.0.1:19631
# browse NAME: run the steps on stdin, output in $work/NAME.out
browse() {
	/usr/bin/python3 "$top/tests/peers/browser.py" 19632 >"$work/$1.out" 2>"$work/$1.err" ||
		fail "browser session $1: $(cat "$work/$1.err")"
}
# block NAME STEP: what one step printed
block() { awk -v s="== $2" '$0 == s { on = 1; next } /^== / { on = 0 } on' "$work/$1.out"; }

browse agent <<EOF
goto $web/customer/3300008901
url
fill input[name=user] li.na
fill input[name=password] agent-password-1
click form[action="/login"] button
url
text home
cookies
fill input[name=q] 13800008901
click form[action="/search"] button
text search
click a[href="/customer/3300008901"]
text customer
html
screenshot $work/customer-agent.png
click form[action="/logout"] button
url
EOF
has "$(block agent url | head -1)" "$web/login" "no session: sent to the login page"
eq "$web/" "$(block agent url | sed -n 2p)" "logged in through the form"
has "$(block agent 'text home')" "客户查询 Customer search" "the search page"
has "$(block agent cookies)" "fg_session httpOnly=True sameSite=Strict" "the cookie as the browser keeps it"
search=$(block agent 'text search')
has "$search" "3300008901" "search by phone finds the account"
hasnt "$search" "13800008901" "and does not show the number"
cust=$(block agent 'text customer')
has "$cust" "+86138****8901" "the agent sees the number masked"
hasnt "$cust" "8613800008901" "never in full"
has "$cust" "<script>alert(1)</script>周明" "billing's name shown as text, not run"
hasnt "$(block agent html)" "<script>alert" "no markup from billing in the page"
hasnt "$cust" "Reveal" "no reveal form for an agent"
eq "$web/login" "$(block agent url | sed -n 3p)" "logged out"
[ "$(head -c 8 "$work/customer-agent.png" | od -An -c | tr -d ' \n')" = '211PNG\r\n032\n' ] ||
	fail "the agent's screenshot is not a PNG"

browse supervisor <<EOF
goto $web/login
fill input[name=user] zhao
fill input[name=password] super-password-1
click form[action="/login"] button
goto $web/customer/3300008901
fill input[name=contact_id] 1
fill input[name=reason] 客户来电要求核实预留号码
click form[action="/customer/3300008901/reveal"] button
text revealed
screenshot $work/customer-supervisor.png
goto $web/reports?from=2026-10-01&to=2026-10-31
text reports
screenshot $work/reports.png
EOF
sup=$(block supervisor 'text revealed')
has "$sup" "+8613800008901 (已查看 revealed)" "the supervisor sees the number after giving a reason"
has "$(sqlg "SELECT detail FROM audit_log WHERE event = 'address_revealed'")" '"reason":"客户来电要求核实预留号码"' \
   "the reveal and its reason are audited"
[ -s "$work/customer-supervisor.png" ] || fail "no supervisor screenshot"
has "$(block supervisor 'text reports')" "每晚消息 Messages per night" "the reports page renders"
[ -s "$work/reports.png" ] || fail "no reports screenshot"
echo "     screenshots: $work/customer-agent.png $work/customer-supervisor.png $work/reports.png"
done_ok
