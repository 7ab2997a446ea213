#!/bin/sh
# kannel-conf.sh PORT DIR USER PASSWORD [spool]: a Kannel 1.4.5 configuration
# on stdout for t_kannel and scripts/bench.sh: bearerbox admin on PORT,
# smsbox link PORT+1, fake SMSC PORT+2, sendsms PORT+3, all on 127.0.0.1;
# logs (and with "spool" the spool store) under DIR; one sendsms user.
# In-memory store unless "spool". KANNEL_BLACK_LIST: a regular expression
# of numbers the sendsms-user may not send to (black-list-regex). dlrsink.c and nodelay.c for the benchmark
# are in tests/peers/kannel/.
set -eu
port=$1 dir=$2 user=$3 password=$4
black=""
[ -z "${KANNEL_BLACK_LIST:-}" ] || black="black-list-regex = \"$KANNEL_BLACK_LIST\""
store=""
if [ "${5:-}" = spool ]; then
	store="store-type = spool
store-location = \"$dir/spool\""
fi
cat <<CONF
group = core
admin-port = $port
admin-interface = 127.0.0.1
admin-password = adminpw
status-password = statuspw
admin-deny-ip = "*.*.*.*"
admin-allow-ip = "127.0.0.1"
smsbox-port = $((port + 1))
smsbox-interface = 127.0.0.1
box-deny-ip = "*.*.*.*"
box-allow-ip = "127.0.0.1"
log-file = "$dir/bearerbox.log"
log-level = 1
dlr-storage = internal
sms-incoming-queue-limit = -1
sms-outgoing-queue-limit = -1
$store

group = smsc
smsc = fake
smsc-id = FAKE
port = $((port + 2))
our-host = 127.0.0.1
connect-allow-ip = 127.0.0.1

group = smsbox
smsbox-id = box
bearerbox-host = 127.0.0.1
bearerbox-port = $((port + 1))
sendsms-port = $((port + 3))
sendsms-interface = 127.0.0.1
log-file = "$dir/smsbox.log"
log-level = 1

group = sendsms-user
username = $user
password = $password
user-deny-ip = "*.*.*.*"
user-allow-ip = "127.0.0.1"
max-messages = 3
concatenation = true
$black

group = smsbox-route
smsbox-id = box
smsc-id = FAKE

group = sms-service
keyword = default
text = "No service specified"
CONF
