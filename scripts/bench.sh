#!/bin/sh
# bench.sh: `make bench`. Seven benchmarks, each run FEEGATE_BENCH_RUNS times
# (default 3), each printing one table of medians and ranges:
#
#  1. nightly pass at scale: N customers (FEEGATE_BENCH_SIZES, default
#     "100000 1000000"; about 28% owe money on the first night), SMS to the
#     provider simulator with 20 ms latency and receipts 10 ms after
#     acceptance (the http adapter's batch form, FEEGATE_BENCH_BATCH
#     messages a request, default 100, FEEGATE_BENCH_INFLIGHT in flight,
#     default 512); plan time, dispatch rate (first message marked to the last
#     attempt's audit row committed), receipts/s, peak resident memory;
#  2. SMS side by side with Kannel 1.4.5 (tests/peers/kannel/): the same
#     number of messages (a) straight into Kannel's sendsms by `ab -k` with
#     delivery reports on, in-memory and spool store, (b) through feegate's
#     `kannel` adapter into that Kannel, (c) through feegate's `http` adapter
#     into the simulator (no latency, receipts on), one message a request
#     and in batches;
#  3. e-mail side by side with Postfix: the same messages by feegate's
#     e-mail channel and by Postfix's smtp-source into one smtp-sink;
#  4. scale-out: 1, 2 and 4 dispatchers on one database (20 ms latency);
#     messages/s and messages the simulator received twice;
#  5. (section deploy) a night as deployed, at each of FEEGATE_BENCH_SIZES:
#     every channel configured, the demo's mix of contacts, an outage's
#     urgent notices mid-night, `feegate serve` sending
#     (scripts/bench-deploy.sh): messages/s per channel and overall;
#  6. the claim whatever is configured: one channel's night with only that
#     channel configured, and with all four;
#  7. one provider answering in 2 s beside the others: their rates.
#
# Everything listens on 127.0.0.1; everything started is stopped by PID.
# Uses the private MariaDB (scripts/db.sh); schemas bench_billing and
# bench_feegate are dropped and recreated. Raw figures: var/bench/all/.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
RUNS=${FEEGATE_BENCH_RUNS:-3}
SIZES=${FEEGATE_BENCH_SIZES:-100000 1000000}
SIDE=${FEEGATE_BENCH_SIDE:-100000} # customers for benchmarks 2-4
PORT=${FEEGATE_BENCH_PORT:-18940}  # 18940-18949 and 13200-13299
SECTIONS=${FEEGATE_BENCH_SECTIONS:-scale kannel email scaleout deploy}
# The http adapter's batch form (messages a request) and the messages in
# flight, for benchmarks 1, 2 (c) and 4.
BATCH=${FEEGATE_BENCH_BATCH:-100}
INFLIGHT=${FEEGATE_BENCH_INFLIGHT:-512}
KANNEL_DIR=${FEEGATE_KANNEL_PEER:-$top/tests/peers/kannel}

. scripts/bench-lib.sh # builds, starts the database: $sock
out=var/bench/all
rm -rf "$out"
mkdir -p "$out"
# Peers (simulator, Kannel, smtp-sink, the DLR sink): scripts/peers.sh.
. scripts/peers.sh
peer_fail() { echo "bench: $*" >&2; exit 1; }
trap peers_stop EXIT
say() { echo "== $*" >&2; }
# median (min-max) of the numbers in a file, one per line
stat() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		f = (m >= 100 || m == int(m)) ? "%.0f" : "%.2f"
		printf(f " (" f "-" f ")\n", m, v[1], v[NR]) }'
}
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# conf FILE CHANNEL PROVIDER-SECTION [RECEIPT_PORT]: a config with one
# channel that waits up to 300 s for receipts.
conf() { bench_conf "$1" "$2" "$3" "${4:-$((PORT + 1))}" 300; }

# plan CONF: a fresh gateway schema and the first night planned; the time
# and peak memory go to $run.plan.
plan() {
	sql -e "DROP DATABASE IF EXISTS bench_feegate"
	$feegate -c "$1" db migrate >/dev/null
	/usr/bin/time -f '%e %M' -o "$run.plan" $feegate -c "$1" plan --date 2026-10-01 >/dev/null
}

# dispatch CONF [N]: N dispatchers (default 1) at once until all is sent
# and (receipt_wait) the receipts are in; wall time and the largest peak
# memory to $run.dispatch. Dispatcher i > 0 runs with CONF-i (its own
# receipt port).
dispatch() {
	k=${2:-1}
	t0=$(date +%s.%N)
	dp=""
	i=0
	while [ $i -lt "$k" ]; do
		c=$1
		[ $i -eq 0 ] || c=$1-$i
		/usr/bin/time -f '%e %M %U %S' -o "$run.time$i" $feegate -c "$c" dispatch --now "2026-10-01 10:00" \
			>"$run.out$i" 2>"$run.err$i" &
		dp="$dp $!"
		i=$((i + 1))
	done
	for p in $dp; do wait "$p" || { echo "bench: a dispatcher failed: $(tail -2 "$run.err0")" >&2; exit 1; }; done
	t1=$(date +%s.%N)
	peers_alive
	kb=$(cat "$run".time* | awk '$2 > m { m = $2 } END { print m }')
	fcpu=$(cat "$run".time* | awk '{ c += $3 + $4 } END { printf "%.2f", c }')
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') $kb $fcpu" >"$run.dispatch"
}

# measure: from the gateway schema, "messages dispatch_rate receipts
# receipts_rate" for the run just made: messages accepted per second from
# the dispatchers' start ($t0) to the last attempt's audit row, and
# receipts applied per second from the start to the last receipt. (The
# audit trail's clock is the real one; the messages' is --now's.)
measure() {
	left=$(sql -N bench_feegate -e "SELECT COUNT(*) FROM messages WHERE state NOT IN ('accepted', 'delivered')")
	[ "$left" -eq 0 ] || {
		echo "bench: $left messages not sent in $run; see $run.err0:" >&2
		tail -3 "$run.err0" >&2
		exit 1
	}
	sql -N bench_feegate -e "
	SELECT m.n,
	  ROUND(m.n / (TIMESTAMPDIFF(MICROSECOND, FROM_UNIXTIME($t0), a.last) / 1e6)),
	  r.n, IF(r.n > 0, ROUND(r.n / (TIMESTAMPDIFF(MICROSECOND, FROM_UNIXTIME($t0), r.last) / 1e6)), 0)
	FROM (SELECT COUNT(*) n FROM messages
	      WHERE state IN ('accepted', 'delivered')) m,
	     (SELECT MAX(at) last FROM audit_log WHERE event = 'message_attempt') a,
	     (SELECT COUNT(*) n, MIN(at) first, MAX(at) last FROM audit_log WHERE event = 'receipt') r"
}

sim() { # sim ARGS...: the provider simulator on PORT
	rm -f "$run.sim.tsv"
	peer_start "the simulator on 127.0.0.1:$PORT" "$run.sim.log" bin/feegate-sim -p "$PORT" -o "$run.sim.tsv" "$@"
	simpid=$peer_pid
	peer_http "the simulator on 127.0.0.1:$PORT" "http://127.0.0.1:$PORT/_stats"
}
sim_stat() { curl -s "http://127.0.0.1:$PORT/_stats" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }

http_provider() { # http_provider CONCURRENCY [BATCH]
	printf '[provider:peer]\ntype = http\nurl = http://127.0.0.1:%s/v1/sms\nconcurrency = %s\n' "$PORT" "$1"
	[ -z "${2:-}" ] || printf 'batch = %s\n' "$2"
}

# ---------------------------------------------------------------- 1. scale
bench_scale() {
	conf "$out/scale.ini" sms "$(http_provider "$INFLIGHT" "$BATCH")"
	for n in $SIZES; do
		bench_data "$n"
		r=1
		while [ "$r" -le "$RUNS" ]; do
			run=$out/scale-$n-$r
			say "scale: $n customers, run $r of $RUNS"
			plan "$out/scale.ini"
			sim -l 20 -d 10 -r 32
			db0=$(cpu "$dbpid")
			sim0=$(cpu "$simpid")
			dispatch "$out/scale.ini"
			db1=$(cpu "$dbpid")
			sim1=$(cpu "$simpid")
			peer_stop $simpid
			read -r ps pkb <"$run.plan"
			read -r ds dkb fcpu <"$run.dispatch"
			measure >"$run.measure"
			set -- $(cat "$run.measure")
			echo "$ps" >>"$out/scale-$n.plan"
			echo "$2" >>"$out/scale-$n.rate"
			echo "$4" >>"$out/scale-$n.receipts"
			echo $(( (pkb > dkb ? pkb : dkb) / 1024 )) >>"$out/scale-$n.rss"
			echo "$1" >"$out/scale-$n.messages"
			# CPU microseconds per message, sending and its receipt
			awk -v m="$1" -v f="$fcpu" -v d0="$db0" -v d1="$db1" -v s0="$sim0" -v s1="$sim1" \
				'BEGIN { printf "%.0f %.0f %.0f\n", f * 1e6 / m, (d1 - d0) * 1e6 / m, (s1 - s0) * 1e6 / m }' >"$run.cpu"
			read -r cf cd cs <"$run.cpu"
			echo "$cf" >>"$out/scale-$n.cpu-feegate"
			echo "$cd" >>"$out/scale-$n.cpu-mariadb"
			echo "$cs" >>"$out/scale-$n.cpu-sim"
			say "   plan $ps s, $1 messages at $2/s, $3 receipts at $4/s, dispatch ${ds} s"
			r=$((r + 1))
		done
	done
	{
		echo
		echo "1. Nightly pass at scale (SMS, http adapter in batches of $BATCH, $INFLIGHT messages in flight; simulator: 20 ms latency, receipts in batches of 100; $RUNS runs: median (range))"
		echo
		echo "| customers | messages | plan s | messages/s | receipts/s | peak RSS MB | CPU µs per message: feegate | MariaDB | simulator |"
		echo "|---|---|---|---|---|---|---|---|---|"
		for n in $SIZES; do
			echo "| $n | $(cat "$out/scale-$n.messages") | $(stat "$out/scale-$n.plan") |" \
				"$(stat "$out/scale-$n.rate") | $(stat "$out/scale-$n.receipts") | $(stat "$out/scale-$n.rss") |" \
				"$(stat "$out/scale-$n.cpu-feegate") | $(stat "$out/scale-$n.cpu-mariadb") | $(stat "$out/scale-$n.cpu-sim") |"
		done
		echo
		echo "CPU: user + system seconds of the dispatcher, the database server and the simulator while the messages and their receipts went, per message; the machine has 2 cores (2,000,000 µs of CPU a second)."
	} >>"$out/tables.md"
}

# --------------------------------------------------------------- 2. kannel
KBASE=13200
# kannel_start STORE: bearerbox, the fake SMSC and smsbox on fresh ports
# (Kannel does not reuse a port in TIME_WAIT), with the peer's nodelay.so:
# Kannel never sets TCP_NODELAY between smsbox and bearerbox, and
# Nagle's algorithm against delayed ACKs held each of feegate's requests
# 30-60 ms whenever the link went quiet between bursts (798 messages/s
# instead of 3,700; the load generator's steady stream hid it).
kannel_start() {
	KBASE=$((KBASE + 10))
	kd=$out/kannel-$KBASE
	mkdir -p "$kd/spool"
	tests/peers/kannel-conf.sh "$KBASE" "$top/$kd" bench benchpw "$1" >"$kd/kannel.conf"
	peer_start "Kannel's bearerbox" "$kd/bb.out" \
		env LD_PRELOAD="$top/$out/nodelay.so" /usr/sbin/bearerbox -v 2 "$kd/kannel.conf"
	kpids=$peer_pid
	peer_http "Kannel's bearerbox" "http://127.0.0.1:$KBASE/status?password=statuspw"
	peer_start "Kannel's fake SMSC" "$kd/fake.out" \
		/usr/lib/kannel/test/fakesmsc -H 127.0.0.1 -r $((KBASE + 2)) -m 0 '100 200 text nop'
	kpids="$kpids $peer_pid"
	sleep 0.3
	peer_start "Kannel's smsbox" "$kd/sb.out" \
		env LD_PRELOAD="$top/$out/nodelay.so" /usr/sbin/smsbox -v 2 "$kd/kannel.conf"
	kpids="$kpids $peer_pid"
	peer_http "Kannel's smsbox" "http://127.0.0.1:$((KBASE + 3))/cgi-bin/sendsms"
	ksend=http://127.0.0.1:$((KBASE + 3))/cgi-bin/sendsms
}
kannel_stop() { for p in $kpids; do peer_stop "$p"; done; }

bench_kannel() {
	for b in bearerbox smsbox; do
		[ -x /usr/sbin/$b ] || { echo "bench: Kannel missing (scripts/bootstrap.sh)" >&2; exit 1; }
	done
	command -v ab >/dev/null || { echo "bench: ab missing (apache2-utils; scripts/bootstrap.sh)" >&2; exit 1; }
	[ -f "$KANNEL_DIR/dlrsink.c" ] || { echo "bench: $KANNEL_DIR/dlrsink.c missing (FEEGATE_KANNEL_PEER)" >&2; exit 1; }
	cc -O2 -o "$out/dlrsink" "$KANNEL_DIR/dlrsink.c" $(pkg-config --cflags --libs libmicrohttpd) -lpthread
	cc -O2 -shared -fPIC -o "$out/nodelay.so" "$KANNEL_DIR/nodelay.c" -ldl
	bench_data "$SIDE"
	conf "$out/kannel.ini" sms "[provider:peer]
type = kannel
url = http://127.0.0.1:13213/cgi-bin/sendsms
username = bench
from = 95598
password_file = $top/$out/kannel.pw
concurrency = 50"
	printf 'benchpw\n' >"$out/kannel.pw"
	chmod 600 "$out/kannel.pw"
	conf "$out/own.ini" sms "$(http_provider 50)"
	conf "$out/ownb.ini" sms "$(http_provider "$INFLIGHT" "$BATCH")"
	run=$out/kannel-count
	plan "$out/own.ini"
	n=$(sql -N bench_feegate -e "SELECT COUNT(*) FROM messages WHERE state = 'queued'")
	dport=$((PORT + 2))
	dlr="http%3A%2F%2F127.0.0.1%3A$dport%2Fdlr%3Fid%3D%25I%26status%3D%25d"
	r=1
	while [ "$r" -le "$RUNS" ]; do
		# (c) twice: one message a request, and in batches
		for cc in c cb; do
			ini=$out/own.ini
			[ "$cc" = c ] || ini=$out/ownb.ini
			run=$out/kannel-$cc-$r
			say "kannel ($cc): $n messages through feegate's http adapter into the simulator, run $r"
			plan "$ini"
			sim -d 10 -r 32
			dispatch "$ini"
			peer_stop $simpid
			measure >"$run.measure"
			set -- $(cat "$run.measure")
			echo "$2" >>"$out/kannel-$cc.accepted"
			echo "$4" >>"$out/kannel-$cc.receipts"
		done
		# The load generator sends one of the notices feegate sent (two
		# UCS-2 parts), so that Kannel carries the same parts.
		text=$(sql -N bench_feegate -e "SELECT body FROM message_texts ORDER BY message_id LIMIT 1" |
			python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.stdin.read().rstrip("\n"), safe=""))')
		for store in memory spool; do
			run=$out/kannel-a-$store-$r
			say "kannel (a): $n messages by ab -k -c 50 into Kannel ($store store), run $r"
			kannel_start $store
			peer_start "the DLR sink on 127.0.0.1:$dport" "$run.dlrsink" "$out/dlrsink" "$dport" "$run.dlr"
			dlrpid=$peer_pid
			t0=$(date +%s.%N)
			ab -k -c 50 -n "$n" "$ksend?username=bench&password=benchpw&from=95598&to=8613800000000&charset=UTF-8&coding=2&text=$text&dlr-mask=1&dlr-url=$dlr" >"$run.ab" 2>&1
			t1=$(date +%s.%N)
			i=0
			while [ "$(sed -n 's/^total=\([0-9]*\).*/\1/p' "$run.dlr" 2>/dev/null || echo 0)" -lt "$n" ] && [ $i -lt 600 ]; do
				sleep 0.1
				i=$((i + 1))
			done
			# the sink's own clock of the last report (its file is
			# written once a second)
			t2=$(sed -n 's/.* last=\([0-9.]*\).*/\1/p' "$run.dlr")
			awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f\n", n / (b - a) }' >>"$out/kannel-a-$store.accepted"
			awk -v n="$n" -v a="$t0" -v b="$t2" 'BEGIN { printf "%.0f\n", n / (b - a) }' >>"$out/kannel-a-$store.delivered"
			peer_stop $dlrpid
			kannel_stop
		done
		run=$out/kannel-b-$r
		say "kannel (b): the same through feegate's kannel adapter, run $r"
		kannel_start memory
		sed -i "s#^url = http://127.0.0.1:[0-9]*/cgi-bin/sendsms#url = $ksend#" "$out/kannel.ini"
		plan "$out/kannel.ini"
		dispatch "$out/kannel.ini"
		measure >"$run.measure"
		set -- $(cat "$run.measure")
		echo "$2" >>"$out/kannel-b.accepted"
		echo "$4" >>"$out/kannel-b.receipts"
		kannel_stop
		r=$((r + 1))
	done
	am=$(median "$out/kannel-a-memory.accepted")
	as=$(median "$out/kannel-a-spool.accepted")
	bm=$(median "$out/kannel-b.accepted")
	cm=$(median "$out/kannel-c.accepted")
	cb=$(median "$out/kannel-cb.accepted")
	{
		echo
		echo "2. SMS side by side with Kannel 1.4.5 ($n notices of two UCS-2 parts, 50 concurrent requests, delivery reports on, Kannel with TCP_NODELAY (nodelay.so); $RUNS runs: median (range))"
		echo
		echo "| path | accepted msg/s | delivered (report back) msg/s |"
		echo "|---|---|---|"
		echo "| (a) ab -k into Kannel, in-memory store | $(stat "$out/kannel-a-memory.accepted") | $(stat "$out/kannel-a-memory.delivered") |"
		echo "| (a) ab -k into Kannel, spool store | $(stat "$out/kannel-a-spool.accepted") | $(stat "$out/kannel-a-spool.delivered") |"
		echo "| (b) feegate kannel adapter into Kannel (in-memory) | $(stat "$out/kannel-b.accepted") | $(stat "$out/kannel-b.receipts") |"
		echo "| (c) feegate http adapter into the simulator, one message a request (50 at once) | $(stat "$out/kannel-c.accepted") | $(stat "$out/kannel-c.receipts") |"
		echo "| (c) the same in batches of $BATCH ($INFLIGHT messages in flight; receipts in batches of 100) | $(stat "$out/kannel-cb.accepted") | $(stat "$out/kannel-cb.receipts") |"
		echo
		echo "Ratios of medians: (b)/(a, in-memory) = $(ratio "$bm" "$am") (target >= 0.80);" \
			"(c)/(a, in-memory) = $(ratio "$cb" "$am") in batches, $(ratio "$cm" "$am") one a request (target >= 1);" \
			"(c)/(a, spool) = $(ratio "$cb" "$as") in batches, $(ratio "$cm" "$as") one a request (target >= 3)."
		echo "feegate's figures include its durable outbox and audit trail (fsync at every commit)."
	} >>"$out/tables.md"
}

# ---------------------------------------------------------------- 3. email
bench_email() {
	[ -x /usr/sbin/smtp-sink ] && [ -x /usr/sbin/smtp-source ] ||
		{ echo "bench: smtp-sink/smtp-source missing (postfix; scripts/bootstrap.sh)" >&2; exit 1; }
	bench_data "$SIDE"
	sport=$((PORT + 3))
	conf "$out/email.ini" email "[provider:peer]
type = smtp
host = 127.0.0.1
port = $sport
from = 国网杭州供电公司 <noreply@example.cn>
workers = 4
per_session = 20"
	r=1
	while [ "$r" -le "$RUNS" ]; do
		run=$out/email-$r
		peer_start "smtp-sink on 127.0.0.1:$sport" "$run.sink" /usr/sbin/smtp-sink $(sink_user) -c "127.0.0.1:$sport" 256
		sink=$peer_pid
		peer_port "smtp-sink on 127.0.0.1:$sport" "$sport"
		plan "$out/email.ini"
		n=$(sql -N bench_feegate -e "SELECT COUNT(*) FROM messages WHERE state = 'queued'")
		say "email: $n messages by feegate, run $r"
		dispatch "$out/email.ini"
		measure >"$run.measure"
		set -- $(cat "$run.measure")
		echo "$2" >>"$out/email-feegate.rate"
		size=$(sql -N bench_feegate -e "SELECT ROUND(AVG(LENGTH(body)) * 3) FROM message_texts")
		say "email: $n messages of $size bytes by smtp-source (4 sessions), run $r"
		t0=$(date +%s.%N)
		/usr/sbin/smtp-source -s 4 -m "$n" -l "$size" -f noreply@example.cn -t a@example.cn -d "127.0.0.1:$sport" >"$run.source" 2>&1
		t1=$(date +%s.%N)
		awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f\n", n / (b - a) }' >>"$out/email-postfix.rate"
		peer_stop $sink
		r=$((r + 1))
	done
	{
		echo
		echo "3. E-mail side by side with Postfix ($n messages into one smtp-sink, 4 sessions at once; $RUNS runs: median (range))"
		echo
		echo "| sender | messages/s |"
		echo "|---|---|"
		echo "| Postfix smtp-source (-s 4 -d: one connection per session) | $(stat "$out/email-postfix.rate") |"
		echo "| feegate e-mail channel (4 workers, 20 messages a session) | $(stat "$out/email-feegate.rate") |"
		echo
		echo "Ratio of medians: feegate / Postfix = $(ratio "$(median "$out/email-feegate.rate")" "$(median "$out/email-postfix.rate")") (target >= 0.5)."
	} >>"$out/tables.md"
}

# ------------------------------------------------------------ 4. scale-out
bench_scaleout() {
	bench_data "$SIDE"
	for k in 1 2 4; do
		# The provider's capacity stays $INFLIGHT messages at once,
		# shared.
		conf "$out/out.ini" sms "$(http_provider $((INFLIGHT / k)) "$BATCH")"
		for i in 1 2 3; do
			conf "$out/out.ini-$i" sms "$(http_provider $((INFLIGHT / k)) "$BATCH")" $((PORT + 4 + i))
		done
		r=1
		while [ "$r" -le "$RUNS" ]; do
			run=$out/out-$k-$r
			plan "$out/out.ini"
			n=$(sql -N bench_feegate -e "SELECT COUNT(*) FROM messages WHERE state = 'queued'")
			say "scale-out: $n messages, $k dispatchers, run $r"
			sim -l 20 -d 10 -r 32
			dispatch "$out/out.ini" "$k"
			dup=$(sim_stat duplicates)
			peer_stop $simpid
			measure >"$run.measure"
			set -- $(cat "$run.measure")
			echo "$2" >>"$out/out-$k.rate"
			echo "$dup" >>"$out/out-$k.dup"
			r=$((r + 1))
		done
	done
	{
		echo
		echo "4. Scale-out: dispatchers on one database ($n SMS in batches of $BATCH, simulator 20 ms latency, receipts; $INFLIGHT messages in flight in all, shared; $RUNS runs: median (range))"
		echo
		echo "| dispatchers | messages/s | received twice (all runs) |"
		echo "|---|---|---|"
		for k in 1 2 4; do
			echo "| $k | $(stat "$out/out-$k.rate") | $(awk '{ s += $1 } END { print s + 0 }' "$out/out-$k.dup") |"
		done
	} >>"$out/tables.md"
}

# ---------------------------------------------------------------- 5. deploy
# deploy_run NAME N [VAR=VALUE...]: scripts/bench-deploy.sh N with those
# settings; its line to $out/NAME.lines.
deploy_run() {
	name=$1
	n=$2
	shift 2
	say "deploy: $n customers $*"
	env FEEGATE_BENCH_OUT="$out/deploy" FEEGATE_BENCH_PORT=$PORT "$@" scripts/bench-deploy.sh "$n" \
		>>"$out/$name.lines" 2>"$out/deploy.err" ||
		{ echo "bench: bench-deploy.sh failed: $(tail -3 "$out/deploy.err")" >&2; exit 1; }
	tail -1 "$out/$name.lines" >&2
}
# deploy_col NAME KEY [rate|count|value]: the median (range) of KEY over
# NAME's lines (KEY=COUNT@RATE or KEY=VALUE).
deploy_col() {
	what=${3:-rate}
	awk -v k="$2" -v w="$what" '{
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] != k) continue
			split(kv[2], cr, "@")
			print (w == "rate" ? cr[2] : cr[1])
		} }' "$out/$1.lines" >"$out/$1.$2.$what"
	stat "$out/$1.$2.$what"
}
bench_deploy() {
	for n in $SIZES; do
		r=1
		while [ "$r" -le "$RUNS" ]; do
			deploy_run "deploy-$n" "$n"
			r=$((r + 1))
		done
	done
	for q in sms email; do
		for c in queued all; do
			r=1
			while [ "$r" -le "$RUNS" ]; do
				deploy_run "claim-$q-$c" "$SIDE" FEEGATE_BENCH_OUTAGE=0 FEEGATE_BENCH_QUEUE=$q FEEGATE_BENCH_CONFIGURE=$c
				r=$((r + 1))
			done
		done
	done
	for s in none sms email push; do
		r=1
		while [ "$r" -le "$RUNS" ]; do
			slow=""
			[ "$s" = none ] || slow=$s:2
			deploy_run "slow-$s" "$SIDE" FEEGATE_BENCH_OUTAGE=0 FEEGATE_BENCH_SLOW=$slow
			r=$((r + 1))
		done
	done
	{
		echo
		echo "5. A night as deployed: every channel configured (SMS by the generic API in batches of 100, e-mail to smtp-sink, voice by the Twilio API, push by FCM v1; 20 ms an answer, receipts), each customer's channel in the order push, e-mail, voice, SMS; a third of the way through, a temporary outage of N/5 accounts (at most 50,000) whose urgent notices serve's outage pass (every 5 s) queues on top; \`feegate serve\` sends. $RUNS runs: median (range)"
		echo
		echo "| customers | messages: night + urgent | plan s | SMS msg/s | e-mail | voice | push | urgent msg/s | outage seen to last urgent s | overall msg/s | receipts/s | serve RSS MB | CPU µs/message: feegate | MariaDB | simulator |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
		for n in $SIZES; do
			d=deploy-$n
			tot=$(deploy_col "$d" overall count | cut -d' ' -f1)
			urg=$(deploy_col "$d" urgent count | cut -d' ' -f1)
			echo "| $n | $((tot - urg)) + $urg | $(deploy_col "$d" plan_s value) | $(deploy_col "$d" sms) | $(deploy_col "$d" email) |" \
				"$(deploy_col "$d" voice) | $(deploy_col "$d" push) | $(deploy_col "$d" urgent) | $(deploy_col "$d" urgent_last_s value) |" \
				"$(deploy_col "$d" overall) | $(deploy_col "$d" receipts) | $(deploy_col "$d" peak_rss_mb value) |" \
				"$(deploy_col "$d" feegate value) | $(deploy_col "$d" mariadb value) | $(deploy_col "$d" sim value) |"
		done
		echo
		echo "A channel's msg/s: its share of the night over the seconds from serve's start to its last message (urgent ones are claimed first, so each channel's night ends after them); urgent: from the first urgent message to the last."
		echo
		echo "6. The claim, whatever is configured ($SIDE customers, one channel's messages queued, no outage; $RUNS runs: median (range))"
		echo
		echo "| queued | only that channel configured: msg/s | all four configured: msg/s |"
		echo "|---|---|---|"
		for q in sms email; do
			echo "| $q only | $(deploy_col "claim-$q-queued" overall) | $(deploy_col "claim-$q-all" overall) |"
		done
		echo
		echo "7. A slow provider beside the others ($SIDE customers, the mix of 5 without the outage; one provider answering in 2 s; $RUNS runs: median (range) of the others' msg/s)"
		echo
		echo "| slow provider | SMS msg/s | e-mail | voice | push |"
		echo "|---|---|---|---|---|"
		for s in none sms email push; do
			row="| $s |"
			for c in sms email voice push; do
				if [ "$c" = "$s" ]; then row="$row (slow: $(deploy_col "slow-$s" "$c")) |"
				else row="$row $(deploy_col "slow-$s" "$c") |"; fi
			done
			echo "$row"
		done
	} >>"$out/tables.md"
}

start=$(date +%s)
: >"$out/tables.md"
for s in $SECTIONS; do
	case $s in
	scale) bench_scale ;;
	kannel) bench_kannel ;;
	email) bench_email ;;
	scaleout) bench_scaleout ;;
	deploy) bench_deploy ;;
	*) echo "bench: unknown section $s" >&2; exit 2 ;;
	esac
done
peers_stop
{
	echo
	echo "Machine: $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB; MariaDB $(sql -N -e 'SELECT VERSION()');" \
		"bench took $(( $(date +%s) - start )) s."
} >>"$out/tables.md"
cat "$out/tables.md"
