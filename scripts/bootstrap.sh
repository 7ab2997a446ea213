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
libsystemd-dev groff-base man-db prometheus
"

# `bootstrap.sh package`: also what `make deb` and `make test-package`
# need (Debian's packaging tools, lintian, devscripts' hardening-check).
case "${1:-}" in
package) PACKAGES="$PACKAGES debhelper dpkg-dev lintian devscripts" ;;
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
# No package's own service starts on install (Debian's policy-rc.d: 101,
# "action forbidden"): feegate's tests and demo start what they need on
# 127.0.0.1 themselves, and Prometheus (here for promtool) would listen
# on every address. One already there is left as it is.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\n# feegate bootstrap.sh: removed when it ends\nexit 101\n' |
		$SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod 755 /usr/sbin/policy-rc.d
	trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
# The packaged MariaDB service is not started here: feegate runs its own
# private server under var/ (scripts/db.sh).
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	--no-install-recommends $missing
# nghttpx is here for the tests (an HTTP/2 front for the simulator), which
# start their own, and Prometheus for promtool: neither packaged service
# is wanted at the next boot either.
for svc in nghttpx prometheus; do
	if command -v systemctl >/dev/null 2>&1 && systemctl is-enabled --quiet $svc 2>/dev/null; then
		$SUDO systemctl disable --now $svc >/dev/null 2>&1 || true
	fi
done
