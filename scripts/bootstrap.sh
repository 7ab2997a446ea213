#!/bin/sh
# bootstrap.sh: install what feegate needs to build, test and run its demo.
# Debian packages only; idempotent (installs nothing when all are present);
# uses sudo when not run as root.
set -eu

PACKAGES="
build-essential pkg-config time clang-format clang iproute2
mariadb-server mariadb-client libmariadb-dev
kannel kannel-extras apache2-utils curl postfix nghttp2-proxy openssl python3-aiosmtpd
chromium python3-websocket fonts-wqy-microhei
libcurl4-openssl-dev libesmtp-dev libev-dev libmicrohttpd-dev
libjansson-dev libinih-dev libssl-dev libsodium-dev libcmocka-dev zlib1g-dev
libsystemd-dev groff-base man-db
"

# `bootstrap.sh package`: also what `make deb` and `make test-package`
# need (Debian's packaging tools and lintian).
case "${1:-}" in
package) PACKAGES="$PACKAGES debhelper dpkg-dev lintian" ;;
esac

missing=""
for p in $PACKAGES; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$st" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "bootstrap: all packages present"
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "bootstrap: need root or sudo to install:$missing" >&2
	exit 1
fi

echo "bootstrap: installing:$missing"
# Postfix is here for its smtp-sink (the tests' SMTP server): installed
# unconfigured, so no mail system starts listening on port 25.
echo "postfix postfix/main_mailer_type select No configuration" |
	$SUDO debconf-set-selections
$SUDO apt-get update -qq
# The packaged MariaDB service is not started here: feegate runs its own
# private server under var/ (scripts/db.sh).
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	--no-install-recommends $missing
# nghttpx is here for the tests (an HTTP/2 front for the simulator), which
# start their own; the packaged service is not wanted.
if command -v systemctl >/dev/null 2>&1 && systemctl is-enabled --quiet nghttpx 2>/dev/null; then
	$SUDO systemctl disable --now nghttpx >/dev/null 2>&1 || true
fi
