#!/bin/sh
# The peers the tests, the demo and the benchmarks start (scripts/peers.sh):
# they work in a directory only the user running them can enter, and one
# that stops is noticed at once, named, with the last line of its log.
. "$(dirname "$0")/lib.sh"

# smtp-sink keeps mail under a directory of mode 0700 (as a clone under
# mktemp -d or a home directory is): it must not drop to a user who
# cannot enter it.
chmod 700 "$work"
start_sink 19801
printf 'Subject: t_peers\r\n\r\nhello\r\n' >"$work/letter"
curl -s -m 10 "smtp://127.0.0.1:19801" --mail-from a@example.cn --mail-rcpt b@example.cn -T "$work/letter" ||
	fail "smtp-sink did not take a message"
peers_alive
eq "1" "$(ls "$work/mail" | wc -l | tr -d ' ')" "smtp-sink kept the message under a 0700 directory"
has "$(cat "$work"/mail/19801.*)" "hello" "as sent"

# A peer that stops is named, with how it ended and its log's last line.
peer_start "a peer that gives up" "$work/gives-up.log" sh -c 'echo starting; echo "fatal: cannot go on" >&2; exit 3'
gone=$peer_pid
sleep 0.5
if peers_check; then fail "a stopped peer was not noticed"; fi
eq "a peer that gives up (pid $gone) has stopped (exit status 3); $work/gives-up.log ends: fatal: cannot go on" \
	"$peers_problem" "what is said of it"
peer_forget "a peer that gives up"
peers_check || fail "a forgotten peer is still watched: $peers_problem"

# ... and any assertion that fails afterwards says so first.
out=$( (peers=""; bg_pids=""
	peer_start "a peer that was killed" "$work/killed.log" sleep 60
	kill -9 "$peer_pid"
	sleep 0.2
	eq "1" "2" "the step after") 2>&1) && fail "the assertion did not fail"
has "$out" "FAIL t_peers: a peer that was killed (pid " "the peer named first"
has "$out" "has stopped (killed by signal 9); $work/killed.log ends: (nothing); then: the step after: expected [1], got [2]" \
	"how it ended, then the assertion"

# A simulator that cannot take its port stops the wait at once, naming
# itself and why, rather than after the wait's 10 s.
start_sim 19830
t0=$(date +%s)
out=$( (peers=""; bg_pids=""; start_sim 19830) 2>&1) && fail "a second simulator on a taken port started"
[ $(($(date +%s) - t0)) -le 3 ] || fail "a dead peer took $(($(date +%s) - t0)) s to be noticed"
has "$out" "the simulator on 127.0.0.1:19830 (pid " "the simulator named"
has "$out" "has stopped (exit status 1); $work/sim.log ends: " "how it ended"
has "$(peer_log_end "$work/sim.log")" "ddress already in use" "its log says why"
peers_alive
done_ok
