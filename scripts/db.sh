#!/bin/sh
# db.sh start|stop|status: a private MariaDB server for development, tests
# and the demo. Data under $FEEGATE_VAR/db (default: var/db in the checkout),
# unix socket only (skip-networking), root without a password over the socket.
# `start` is idempotent and prints FEEGATE_DB_SOCKET=<absolute path>.
# FEEGATE_DB_PORT=N listens on 127.0.0.1:N too (a replication source must);
# FEEGATE_DB_CNF adds lines to the server's configuration (later lines win).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
var=${FEEGATE_VAR:-$top/var}
mkdir -p "$var"
var=$(cd "$var" && pwd)
dir=$var/db
data=$dir/data
sock=$dir/mysqld.sock
pidf=$dir/mysqld.pid
cnf=$dir/my.cnf
errlog=$dir/mysqld.err

die() { echo "db.sh: $*" >&2; exit 1; }

# sun_path holds 107 bytes: from a deep checkout, put the socket in a short
# directory of its own under /tmp, named after the data directory.
if [ ${#sock} -ge 100 ]; then
	short=/tmp/feegate-$(printf '%s' "$dir" | cksum | cut -d' ' -f1)
	mkdir -p "$short"
	chmod 700 "$short"
	sock=$short/mysqld.sock
fi

find_bin() {
	for b in "$@"; do
		for d in /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin; do
			[ -x "$d/$b" ] && { echo "$d/$b"; return 0; }
		done
	done
	return 1
}

alive() {
	[ -S "$sock" ] || return 1
	"$ADMIN" --no-defaults --socket="$sock" -uroot ping >/dev/null 2>&1
}

MARIADBD=$(find_bin mariadbd mysqld) || die "mariadbd not found; run scripts/bootstrap.sh"
ADMIN=$(find_bin mariadb-admin mysqladmin) || die "mariadb-admin not found; run scripts/bootstrap.sh"
INSTALL=$(find_bin mariadb-install-db mysql_install_db) || die "mariadb-install-db not found"

write_cnf() {
	user_line=""
	[ "$(id -u)" -eq 0 ] && user_line="user = root"
	cat >"$cnf" <<CNF
[mariadbd]
$user_line
datadir = $data
socket = $sock
pid-file = $pidf
log-error = $errlog
$(if [ -n "${FEEGATE_DB_PORT:-}" ]; then
	printf 'bind-address = 127.0.0.1\nport = %s\n' "$FEEGATE_DB_PORT"
else
	echo skip-networking
fi)
skip-name-resolve
skip-slave-start
character-set-server = utf8mb4
collation-server = utf8mb4_unicode_ci
default-time-zone = '+00:00'
innodb_buffer_pool_size = 4G
innodb_log_file_size = 2G
innodb_log_buffer_size = 64M
max_allowed_packet = 256M
tmp_table_size = 256M
max_heap_table_size = 256M
max_connections = 200
performance_schema = ${FEEGATE_DB_PERFSCHEMA:-OFF}
performance-schema-consumer-events-statements-current = ON
${FEEGATE_DB_CNF:-}
CNF
}

start() {
	if alive; then
		echo "FEEGATE_DB_SOCKET=$sock"
		return 0
	fi
	mkdir -p "$dir"
	write_cnf
	if [ ! -d "$data/mysql" ]; then
		rm -rf "$data"
		"$INSTALL" --defaults-file="$cnf" --auth-root-authentication-method=normal \
			--skip-test-db >"$dir/install.log" 2>&1 ||
			die "mariadb-install-db failed; see $dir/install.log"
	fi
	rm -f "$sock"
	# setsid: the server outlives this shell and its terminal.
	setsid "$MARIADBD" --defaults-file="$cnf" </dev/null >/dev/null 2>&1 &
	i=0
	while ! alive; do
		i=$((i + 1))
		kill -0 $! 2>/dev/null || die "the server stopped as it started; $errlog ends: $(errlog_end)"
		[ $i -le 300 ] || die "server did not start within 30 s; $errlog ends: $(errlog_end)"
		sleep 0.1
	done
	echo "FEEGATE_DB_SOCKET=$sock"
}

stop() {
	alive || { [ -f "$pidf" ] || { echo "db.sh: not running"; return 0; }; }
	pid=$(cat "$pidf" 2>/dev/null || true)
	"$ADMIN" --no-defaults --socket="$sock" -uroot shutdown >/dev/null 2>&1 ||
		{ [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; }
	i=0
	while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le 300 ] || die "server $pid did not stop within 30 s"
		sleep 0.1
	done
	echo "db.sh: stopped"
}

# The last line of the server's error log: why it stopped or did not start.
errlog_end() {
	[ -s "$errlog" ] || { echo "(empty)"; return 0; }
	sed '/^[[:space:]]*$/d' "$errlog" | tail -n 1
}

status() {
	if alive; then
		echo "db.sh: running, pid $(cat "$pidf" 2>/dev/null), FEEGATE_DB_SOCKET=$sock"
	else
		echo "db.sh: the private MariaDB is not running; $errlog ends: $(errlog_end)"
		return 3
	fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
