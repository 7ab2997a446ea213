#!/bin/sh
# billing-replica.sh start SCHEMA | sync | stop | status: billing on a
# server of its own, as most utilities keep it, replicated into the
# gateway's server (docs/billing-contract.md, "Billing on its own server").
#
# start SCHEMA  starts a second private MariaDB, the billing server (data
#               under $FEEGATE_VAR/billing-primary, 127.0.0.1:PORT, binary
#               log on), and makes the private MariaDB of db.sh, the
#               gateway's server, its replica for SCHEMA alone: a
#               replication connection CONN with replicate_wild_do_table =
#               SCHEMA.%, from the billing server's current binlog position.
#               What is then done to SCHEMA on the billing server reaches
#               the gateway's server; the gateway's own schema stays local
#               and writable. Prints FEEGATE_BILLING_SOCKET=<its socket>.
# sync          waits (at most 30 s) until the replica has applied all that
#               the billing server has written.
# stop          stops and forgets the replication connection, then the
#               billing server.
# status        both threads of the connection and its lag.
#
# PORT is $FEEGATE_BILLING_PORT (13307), CONN $FEEGATE_BILLING_CONNECTION
# (billing): [database] billing_replica in feegate.ini. The gateway's
# server does not start replication by itself after a restart (db.sh's
# skip-slave-start): run `start` again.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
var=${FEEGATE_VAR:-$top/var}
mkdir -p "$var"
var=$(cd "$var" && pwd)
port=${FEEGATE_BILLING_PORT:-13307}
conn=${FEEGATE_BILLING_CONNECTION:-billing}
pvar=$var/billing-primary

die() { echo "billing-replica.sh: $*" >&2; exit 1; }

# The billing server: db.sh's server, listening on 127.0.0.1 and logging
# its changes in row format for a replica.
primary() {
	mkdir -p "$pvar"
	FEEGATE_VAR=$pvar FEEGATE_DB_PORT=$port FEEGATE_DB_CNF="server_id = 11
log_bin = billing-bin
binlog_format = ROW
gtid_domain_id = 11
innodb_buffer_pool_size = 256M
innodb_log_file_size = 64M" "$top/scripts/db.sh" "$@"
}
sock_of() { sed -n 's/^FEEGATE_DB_SOCKET=//p'; }
gw_sock=$(FEEGATE_VAR=$var "$top/scripts/db.sh" start | sock_of)
cli() { mariadb --no-defaults --default-character-set=utf8mb4 --socket="$1" -uroot --batch --skip-column-names -e "$2"; }
gw() { cli "$gw_sock" "SET @@default_master_connection = '$conn'; $1"; }

# "FILE POSITION" of the billing server's binary log, now.
binlog_pos() { cli "$1" "SHOW MASTER STATUS" | awk 'NR == 1 { print $1, $2 }'; }

# One field of the connection's status ("" when it does not exist).
slave_field() {
	mariadb --no-defaults --socket="$gw_sock" -uroot --vertical \
		-e "SHOW SLAVE '$conn' STATUS" 2>/dev/null | sed -n "s/^ *$1: //p"
}

start() {
	schema=$1
	case $schema in
	"" | *[!A-Za-z0-9_]*) die "start: SCHEMA is letters, digits and '_'" ;;
	esac
	psock=$(primary start | sock_of)
	[ -n "$psock" ] || die "the billing server did not start"
	running=$(cli "$psock" "SELECT @@port")
	[ "$running" = "$port" ] || die "the billing server already runs on port $running, not $port: run '$0 stop' first"
	if [ ! -s "$pvar/repl.password" ]; then
		(umask 077 && od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$pvar/repl.password")
	fi
	pw=$(cat "$pvar/repl.password")
	cli "$psock" "CREATE USER IF NOT EXISTS 'feegate_repl'@'127.0.0.1' IDENTIFIED BY '$pw';
		GRANT REPLICATION SLAVE ON *.* TO 'feegate_repl'@'127.0.0.1'"
	set -- $(binlog_pos "$psock")
	[ $# -eq 2 ] || die "the billing server has no binary log"
	gw "STOP SLAVE" 2>/dev/null || true
	gw "CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = $port,
		MASTER_USER = 'feegate_repl', MASTER_PASSWORD = '$pw',
		MASTER_USE_GTID = no, MASTER_LOG_FILE = '$1', MASTER_LOG_POS = $2,
		MASTER_CONNECT_RETRY = 1, MASTER_HEARTBEAT_PERIOD = 1;
		SET GLOBAL replicate_wild_do_table = '$schema.%';
		START SLAVE"
	i=0
	while [ "$(slave_field Slave_IO_Running)" != Yes ] || [ "$(slave_field Slave_SQL_Running)" != Yes ]; do
		i=$((i + 1))
		[ $i -le 300 ] || die "replication did not start within 30 s: IO $(slave_field Slave_IO_Running) (error $(slave_field Last_IO_Errno)), SQL $(slave_field Slave_SQL_Running) (error $(slave_field Last_SQL_Errno))"
		sleep 0.1
	done
	echo "FEEGATE_BILLING_SOCKET=$psock"
}

sync() {
	psock=$(primary start | sock_of)
	set -- $(binlog_pos "$psock")
	r=$(gw "SELECT MASTER_POS_WAIT('$1', $2, 30, '$conn')")
	case $r in
	NULL) die "sync: replication $conn is not running" ;;
	-1) die "sync: the replica did not catch up within 30 s" ;;
	esac
}

stop() {
	gw "STOP SLAVE; RESET SLAVE ALL" 2>/dev/null || true
	primary stop
}

status() {
	io=$(slave_field Slave_IO_Running)
	[ -n "$io" ] || { echo "billing-replica.sh: no replication connection $conn"; return 3; }
	echo "billing-replica.sh: $conn: IO $io, SQL $(slave_field Slave_SQL_Running), $(slave_field Seconds_Behind_Master) s behind"
}

case "${1:-}" in
start) [ $# -eq 2 ] || die "usage: $0 start SCHEMA"; start "$2" ;;
sync) sync ;;
stop) stop ;;
status) status ;;
*) echo "usage: $0 start SCHEMA | sync | stop | status" >&2; exit 2 ;;
esac
