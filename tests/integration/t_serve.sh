#!/bin/sh
# The daemon: `serve` runs the nightly pass at [schedule] nightly_at on its
# own, and the outage pass between nights; keeps sending, reopens its log on
# SIGHUP and stops cleanly on SIGTERM.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 18730 "-d 20"
send_conf 18725 "
[schedule]
nightly_at = 09:30

[outage]
check_every = 5

[log]
file = $work/feegate.log
level = debug"
customer S1; contact 1 S1 sms +8613800009901; bill S1-1 S1 60.00 2026-10-01

"$FEEGATE_BIN" -c "$conf" serve --now "2026-10-02 09:45" >"$work/serve.out" 2>"$work/serve.err" &
serve=$!
bg_pids="$bg_pids $serve"
i=0
until [ "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'delivered'")" = 1 ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "the nightly pass did not run and send: $(tail -5 "$work/feegate.log")"; sleep 0.1
done
eq "2026-10-02" "$(sqlg "SELECT business_date FROM nights")" "nightly pass for the day at nightly_at"
has "$(cat "$work/feegate.log")" "serve: nightly pass 2026-10-02 started" "logged to the log file"

# Log rotation: move the file, SIGHUP, the daemon writes a new one.
mv "$work/feegate.log" "$work/feegate.log.1"
kill -HUP "$serve"
sleep 0.3
customer S2; contact 2 S2 sms +8613800009902; bill S2-1 S2 60.00 2026-10-01
fgok plan --date 2026-10-02
i=0
until [ -s "$work/feegate.log" ] && grep -q "msg=2 " "$work/feegate.log"; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "no new log file after SIGHUP"; sleep 0.1
done
hasnt "$(cat "$work/feegate.log.1")" "msg=2 " "the old file is left alone"

# Between nights, billing records a temporary outage: the daemon's outage
# pass (every check_every seconds) notices it and sends at once.
sqlb "INSERT INTO billing_outages (outage_id, kind, area, starts_at, ends_at)
      VALUES ('T1', 'temporary', '近江社区', '2026-10-02 14:00', '2026-10-02 16:00')"
sqlb "INSERT INTO billing_outage_accounts VALUES ('T1', 'S1')"
i=0
until [ "$(sim_count +8613800009901)" = 2 ]; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "no outage pass between nights: $(tail -5 "$work/feegate.log")"; sleep 0.1
done
has "$(tail -1 "$work/sim.tsv")" "临时检修停电" "the temporary outage notice"
has "$(cat "$work/feegate.log")" "serve: outage pass 2026-10-02" "logged"
eq "2026-10-02" "$(sqlg "SELECT GROUP_CONCAT(business_date) FROM nights")" "and no second night"

kill -TERM "$serve"
wait "$serve" || fail "serve did not exit 0 on SIGTERM"
has "$(cat "$work/feegate.log")" "dispatch: stopping" "clean stop logged"
grep -q Sanitizer "$work/serve.err" && fail "sanitizer report: $(cat "$work/serve.err")"
has "$(fg audit verify)" "chain intact" "audit chain"
done_ok
