#!/bin/sh
# postfix.sh start DIR PORT DOMAIN=RELAYPORT...: a private Postfix (Debian's
# postfix, as root) on 127.0.0.1:PORT with its configuration, queue and log
# under DIR, relaying each DOMAIN to the SMTP server on 127.0.0.1:RELAYPORT
# and to nowhere else. Mail is tried once (maximal_queue_lifetime = 0): a
# refusal or a deferral at the next hop is returned to the envelope sender
# at once as a real Postfix DSN. Prints the master's PID.
# postfix.sh stop DIR: stops it.
#
# DIR must be where the postfix user can reach (not under a 0700 checkout).
# The system's Postfix is not touched: no /etc/postfix/main.cf is needed.
set -eu
# Postfix's daemons read what is here as the postfix user, whatever the
# caller's umask (CI runs under 077).
umask 022
cmd=$1 dir=$2
case "$cmd" in
stop)
	postfix -c "$dir/conf" stop >/dev/null 2>&1 || true
	exit 0
	;;
start) ;;
*)
	echo "usage: postfix.sh start DIR PORT DOMAIN=RELAYPORT... | stop DIR" >&2
	exit 2
	;;
esac
port=$3
shift 3
[ "$(id -u)" -eq 0 ] || { echo "postfix.sh: Postfix starts only as root" >&2; exit 1; }
mkdir -p "$dir/conf" "$dir/queue" "$dir/data"
chmod 755 "$dir"
chown postfix "$dir/data"
domains=""
: >"$dir/conf/transport"
for d in "$@"; do
	domains="$domains ${d%%=*}"
	printf '%s smtp:[127.0.0.1]:%s\n' "${d%%=*}" "${d#*=}" >>"$dir/conf/transport"
done
cat >"$dir/conf/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mta.feegate.test
mydomain = feegate.test
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains =$domains
transport_maps = texthash:$dir/conf/transport
default_transport = error:5.4.6 no route here
smtpd_relay_restrictions = permit_mynetworks, reject
maximal_queue_lifetime = 0
bounce_queue_lifetime = 0
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
smtp_dns_support_level = disabled
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
alias_maps =
local_recipient_maps =
biff = no
CF
# Debian's services, the SMTP listener on PORT, nothing chrooted.
sed -e "s/^smtp      inet  n       -       y/127.0.0.1:$port inet n - n/" \
	-e 's/^\([a-z]*[ ]*unix[- ]*[ ]*[-n]*[ ]*[-n]*[ ]*\)y/\1n/' \
	/etc/postfix/master.cf >"$dir/conf/master.cf"
postfix -c "$dir/conf" start >/dev/null 2>&1 || {
	echo "postfix.sh: Postfix did not start; its log:" >&2
	tail -5 "$dir/maillog" >&2 2>/dev/null || true
	exit 1
}
i=0
until [ -s "$dir/queue/pid/master.pid" ]; do
	i=$((i + 1))
	[ $i -lt 50 ] || { echo "postfix.sh: no master.pid" >&2; exit 1; }
	sleep 0.1
done
tr -d ' ' <"$dir/queue/pid/master.pid"
