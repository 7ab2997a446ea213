#!/bin/sh
# serve under systemd's Type=notify (sd_notify through $NOTIFY_SOCKET):
# READY=1 only once it listens (and the database and billing were
# checked before), STATUS lines, WATCHDOG=1 at half WATCHDOG_USEC from
# the event loop, STOPPING=1 on SIGTERM. A bad configuration exits 2,
# the status the unit's RestartPreventExitStatus names.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 18770 "-d 20"
send_conf 18775 "
[schedule]
nightly_at = 23:00"
# Three calls due that no provider takes (no voice channel here).
sqlg "INSERT INTO messages (notice_id, account_no, channel, contact_id, address, state, created_on, priority)
      SELECT 1000 + seq, 'V1', 'voice', 1000 + seq, '+8613900000001', 'queued', '2026-10-01', 0 FROM seq_1_to_3"
sockf="$work/notify.sock"
# A datagram socket like systemd's: each message one line of the file.
/usr/bin/python3 - "$sockf" "$work/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
with open(sys.argv[2], "a") as out:
    try:
        while True:
            m = s.recv(4096).decode()
            out.write(m.replace("\n", "|") + "\n")
            out.flush()
            if "STOPPING=1" in m:
                break
    except socket.timeout:
        pass
PY
listener=$!
bg_pids="$bg_pids $listener"
i=0
until [ -S "$sockf" ]; do i=$((i + 1)); [ $i -lt 50 ] || fail "no notify socket"; sleep 0.1; done
NOTIFY_SOCKET="$sockf" WATCHDOG_USEC=400000 "$FEEGATE_BIN" -c "$conf" serve --now "2026-10-01 09:45" \
	>"$work/serve.out" 2>"$work/serve.err" &
serve=$!
bg_pids="$bg_pids $serve"
i=0
until grep -q "READY=1" "$work/notify.log" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "no READY=1: $(cat "$work/serve.err")"; sleep 0.1
done
# Ready means listening: the receipt server answers at once.
eq "200" "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:18775/healthz)" "listening when READY=1 came"
sleep 1.2
watchdogs=$(grep -c "^WATCHDOG=1$" "$work/notify.log" || true)
[ "$watchdogs" -ge 3 ] || fail "WATCHDOG=1 every 0.2 s: $watchdogs in 1.2 s"
has "$(grep READY "$work/notify.log")" "STATUS=sending" "a status with READY"
# A second later the queue due, as the health thread counted it.
due=3
grep -q "^STATUS=sending: $due due (oldest [0-9]* s), [0-9]* sent, [0-9]* failed; last night " "$work/notify.log" ||
	fail "no STATUS with the $due due: $(grep STATUS "$work/notify.log")"
kill -TERM "$serve"
wait "$serve" || fail "serve did not exit 0 on SIGTERM"
i=0
until grep -q "STOPPING=1" "$work/notify.log"; do i=$((i + 1)); [ $i -lt 50 ] || fail "no STOPPING=1"; sleep 0.1; done
wait "$listener" || true
grep -q Sanitizer "$work/serve.err" && fail "sanitizer report: $(cat "$work/serve.err")"

# A bad configuration: exit status 2, what RestartPreventExitStatus=2
# keeps systemd from starting again every 5 s.
printf '[database]\nsocket = %s\n[dispatch]\nlease = -5\n' "$sock" >"$work/bad.ini"
rc=0
NOTIFY_SOCKET="$sockf" "$FEEGATE_BIN" -c "$work/bad.ini" serve >/dev/null 2>&1 || rc=$?
eq "2" "$rc" "a bad configuration: exit status 2"
done_ok
