# peers.sh: the peers a script starts (the provider simulator, smtp-sink,
# the SMTP and TLS peers, Kannel and its fake SMSC, nghttpx, Chromium, a
# proxy), started, watched and stopped by PID. Sourced by
# tests/integration/lib.sh (and through it the fault suite),
# scripts/demo.sh and the benchmarks; POSIX sh.
#
#   peer_start NAME LOG CMD [ARG...]
#       CMD in the background, its stdout and stderr appended to LOG,
#       stdin from /dev/null; its PID in $peer_pid. NAME says which peer
#       in every message ("smtp-sink on 127.0.0.1:18801").
#   peer_port NAME PORT   wait (10 s) until the peer NAME accepts TCP on
#                         127.0.0.1:PORT; stops at once if a peer died
#   peer_http NAME URL    wait (10 s) until URL answers HTTP, likewise
#   peer_wait NAME PORT PROBE...   likewise until PROBE succeeds
#   peers_check           0 when every peer started is still running;
#                         else 1 with $peers_problem saying which peer
#                         stopped, how, and the last line of its log
#   peers_alive           peers_check, or peer_fail "$peers_problem"
#   peer_stop NAME|PID    SIGTERM, up to 5 s, SIGKILL; forgotten
#   peer_forget NAME|PID  no longer watched nor stopped here (the script
#                         stops it itself, or expects it to end)
#   peers_stop            every peer still here (the scripts' EXIT trap)
#   sink_user             the -u that Postfix's smtp-sink needs
#
# peer_fail MSG is called where a wait or a check fails: by default it
# prints MSG and exits 1; a script may define its own after sourcing.
#
# Peers run as the user running the script, so they work from any
# directory that user can write, whatever its mode and the umask. The one
# that would drop privileges, smtp-sink (it refuses to run as root
# without -u), is told to stay that user.

peers=""
peer_tab=$(printf '\t')

peer_fail() {
	echo "$*" >&2
	exit 1
}

peer_start() {
	_pname=$1
	_plog=$2
	shift 2
	"$@" >>"$_plog" 2>&1 </dev/null &
	peer_pid=$!
	peers="$peers$peer_pid$peer_tab$_pname$peer_tab$_plog
"
}

# peer_log_end LOG: the last non-empty line of LOG (carriage returns, as
# smtp-sink's counters use, end lines too).
peer_log_end() {
	[ -s "$1" ] || { echo "(nothing)"; return 0; }
	tr '\r' '\n' <"$1" | sed '/^[[:space:]]*$/d' | tail -n 1
}

peers_check() {
	peers_problem=""
	while IFS="$peer_tab" read -r _ppid _pname _plog; do
		[ -n "$_ppid" ] || continue
		kill -0 "$_ppid" 2>/dev/null && continue
		# The exit status, where this shell started it (not in a $(...)).
		_pst=""
		if wait "$_ppid" 2>/dev/null; then _pst="exit status 0"; else
			_prc=$?
			if [ "$_prc" -gt 128 ] && [ "$_prc" -ne 255 ]; then
				_pst="killed by signal $((_prc - 128))"
			elif [ "$_prc" -ne 127 ]; then
				_pst="exit status $_prc"
			fi
		fi
		peers_problem="$peers_problem${peers_problem:+; }$_pname (pid $_ppid) has stopped${_pst:+ ($_pst)}; $_plog ends: $(peer_log_end "$_plog")"
	done <<EOF
$peers
EOF
	[ -z "$peers_problem" ]
}

peers_alive() {
	peers_check || peer_fail "$peers_problem"
}

# peer_wait NAME PORT PROBE...: until PROBE succeeds, 10 s at most, and
# the listening socket on 127.0.0.1:PORT is the peer's own (ss): another
# program on a port the peer could not take answers the probe too. A peer
# that stops meanwhile ends the wait at once.
peer_wait() {
	_pwname=$1
	_pwport=$2
	shift 2
	_pi=0
	peer_held_by=""
	until "$@" && peer_holds "$_pwname" "$_pwport"; do
		peers_alive
		_pi=$((_pi + 1))
		[ $_pi -lt 100 ] || peer_fail "$_pwname does not answer on 127.0.0.1:$_pwport after 10 s$peer_held_by"
		sleep 0.1
	done
}
# peer_holds NAME PORT: the peer named NAME listens on PORT; if not,
# $peer_held_by says who does. Whoever answers is taken for it where NAME
# is not a peer (feegate's own serve, say) or ss (iproute2) is missing.
peer_holds() {
	peer_held_by=""
	command -v ss >/dev/null 2>&1 || return 0
	_phss=$(ss -ltnpH "sport = :$2" 2>/dev/null)
	_phnamed=0
	while IFS="$peer_tab" read -r _ppid _pname _plog; do
		[ "$_pname" = "$1" ] || continue
		_phnamed=1
		case "$_phss" in *"pid=$_ppid,"*) return 0 ;; esac
	done <<EOF
$peers
EOF
	[ $_phnamed = 1 ] || return 0
	[ -z "$_phss" ] || peer_held_by="; port $2 is held by another program: $(printf '%s' "$_phss" | sed 's/.*users://' | head -n 1)"
	return 1
}
# curl's exit code 7 is "could not connect"; any other means a peer
# answered, whatever it thought of the request.
peer_accepts() {
	curl -s -m 0.5 -o /dev/null "telnet://127.0.0.1:$1" </dev/null
	[ $? -ne 7 ]
}
peer_answers() {
	curl -s -m 2 -o /dev/null "$1" </dev/null
}
peer_port() { peer_wait "$1" "$2" peer_accepts "$2"; }
peer_http() {
	peer_wait "$1" "$(printf '%s' "$2" | sed 's|^[a-z]*://[^:/]*:\([0-9]*\).*|\1|')" peer_answers "$2"
}

# peer_take NAME|PID: remove the peers so named (or with that PID) from
# the list; their PIDs in $peer_taken.
peer_take() {
	_pkeep=""
	peer_taken=""
	while IFS="$peer_tab" read -r _ppid _pname _plog; do
		[ -n "$_ppid" ] || continue
		if [ "$_ppid" = "$1" ] || [ "$_pname" = "$1" ]; then
			peer_taken="$peer_taken $_ppid"
		else
			_pkeep="$_pkeep$_ppid$peer_tab$_pname$peer_tab$_plog
"
		fi
	done <<EOF
$peers
EOF
	peers=$_pkeep
}

# peer_kill PID...: SIGTERM, up to 5 s, then SIGKILL; reaped.
peer_kill() {
	for _ppid in "$@"; do kill "$_ppid" 2>/dev/null || true; done
	for _ppid in "$@"; do
		_pi=0
		while kill -0 "$_ppid" 2>/dev/null && [ $_pi -lt 50 ]; do
			sleep 0.1
			_pi=$((_pi + 1))
		done
		kill -9 "$_ppid" 2>/dev/null || true
		wait "$_ppid" 2>/dev/null || true
	done
}

peer_stop() {
	peer_take "$1"
	[ -z "$peer_taken" ] || peer_kill $peer_taken
}
peer_forget() { peer_take "$1"; }

peers_stop() {
	_pall=""
	while IFS="$peer_tab" read -r _ppid _pname _plog; do
		[ -z "$_ppid" ] || _pall="$_pall $_ppid"
	done <<EOF
$peers
EOF
	peers=""
	[ -z "$_pall" ] || peer_kill $_pall
}

sink_user() {
	[ "$(id -u)" -ne 0 ] || printf -- '-u %s' "$(id -un)"
}
