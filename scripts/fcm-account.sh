#!/bin/sh
# fcm-account.sh KEY.pem TOKEN_URL: a service-account key file, as Google
# issues them, for talking to the provider simulator's FCM API (the demo,
# scripts/bench-send.sh push, the tests). KEY.pem is an RSA private key in
# PEM; if it does not exist it is generated, with its public key beside it
# as KEY.pub.pem (give that to `feegate-sim -k`). The JSON goes to stdout.
# Never use these keys for anything but the simulator.
set -eu
[ $# -eq 2 ] || { echo "usage: scripts/fcm-account.sh KEY.pem TOKEN_URL" >&2; exit 2; }
key=$1
if [ ! -f "$key" ]; then
	(umask 077 && openssl genrsa -out "$key" 2048 2>/dev/null)
	openssl rsa -in "$key" -pubout -out "${key%.pem}.pub.pem" 2>/dev/null
fi
printf '{"type": "service_account", "project_id": "sgcc-hz-app", "private_key_id": "k1",\n'
printf ' "private_key": "%s",\n' "$(awk '{ printf "%s\\n", $0 }' "$key")"
printf ' "client_email": "feegate@sgcc-hz-app.iam.gserviceaccount.com",\n'
printf ' "token_uri": "%s"}\n' "$2"
