#!/bin/sh
# The staff pages behind the call centre's TLS proxy: X-Forwarded-For is
# believed only from [web] trusted_proxies, read from the right (what a
# client writes on the left does not count); the client's address goes to
# the lockout and the access log, so twenty failed logins from one
# attacker lock out that address, not every agent behind the proxy.
# Without trusted_proxies the header is ignored; a malformed entry is
# refused at start-up.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 19380
customer 3300009001
printf 'agent-password-1\n' | fgok staff add li.na --role agent
printf 'agent-password-2\n' | fgok staff add wu.fang --role agent
web="http://127.0.0.1:19381"
# login USER PASSWORD XFF: the status in $code.
login() {
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Forwarded-For: $3" \
		--data "user=$1&password=$2" "$web/login")
}
serve_web() {
	"$FEEGATE_BIN" -c "$conf" serve --now "2026-10-02 10:00" >"$work/serve.out" 2>"$work/serve.err" &
	serve=$!
	bg_pids="$bg_pids $serve"
	wait_listening 19381 "the staff pages"
}
stop_web() { kill -TERM "$serve"; wait "$serve" || fail "serve's exit status"; }

send_conf 19382 "
[web]
port = 19381
trusted_proxies = 127.0.0.1, 10.20.0.0/16"
serve_web
# An attacker behind the proxy: twenty failures, then that address waits.
for i in $(seq 1 20); do login "guess$i" "wrong-password-$i" "198.51.100.66"; done
login li.na agent-password-1 "198.51.100.66"
eq "429" "$code" "the attacker's address is locked out, even with a right password"
# The agents behind the same proxy are not.
login li.na agent-password-1 "198.51.100.7"
eq "303" "$code" "an agent at another address logs in"
login wu.fang agent-password-2 "10.20.3.4, 198.51.100.8"
eq "303" "$code" "another agent, through two proxies"
eq "198.51.100.7 198.51.100.8" \
   "$(sqlg "SELECT GROUP_CONCAT(remote ORDER BY id SEPARATOR ' ') FROM access_log WHERE action = 'login'")" \
   "the access log has each client's address (the inner proxy 10.20.3.4 is trusted too)"
eq "20" "$(sqlg "SELECT COUNT(*) FROM staff_login_failures WHERE remote = '198.51.100.66'")" "the failures counted against the attacker"
# What a client writes on the left is not believed: the right-most hop
# that is not a trusted proxy is the client.
login li.na agent-password-1 "203.0.113.9, 198.51.100.9"
eq "303" "$code" "a forged left part"
eq "198.51.100.9" "$(sqlg "SELECT remote FROM access_log WHERE action = 'login' ORDER BY id DESC LIMIT 1")" \
   "the address the proxy saw, not the forged one"
stop_web

# Without trusted_proxies the header means nothing.
send_conf 19382 "
[web]
port = 19381"
serve_web
login li.na agent-password-1 "198.51.100.77"
eq "303" "$code" "logged in"
eq "127.0.0.1" "$(sqlg "SELECT remote FROM access_log WHERE action = 'login' ORDER BY id DESC LIMIT 1")" \
   "the connection's own address"
stop_web

write_conf "
[web]
port = 19381
trusted_proxies = 10.0.0.0/33"
rc=0
fg log 3300009001 >"$work/out" 2>&1 || rc=$?
eq "2" "$rc" "a malformed proxy: refused at start-up"
has "$(cat "$work/out")" "[web] trusted_proxies: '10.0.0.0/33' is not an IPv4 address or CIDR" "naming it"
done_ok
