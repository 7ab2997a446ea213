#!/bin/sh
# The Debian package as an operator meets it (`make test-package`, after
# `make deb`): installed on this machine with apt-get, it says its
# version, has its manual pages, makes its user and directories, keeps
# /etc/feegate/feegate.ini readable by root and feegate's group only,
# enables serve and the audit check without starting anything; a night
# runs with the installed binary, its templates and the operator's
# /etc/feegate/strings.ini against the private MariaDB. Purged, it leaves
# nothing but the feegate user (Debian keeps system users).
FEEGATE_BIN=/usr/sbin/feegate
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || fail_now "installs a package: run as root"
version=$(cat "$top/VERSION")
deb="$top/build/deb/feegate_${version}_$(dpkg --print-architecture).deb"
[ -f "$deb" ] || fail_now "$deb: not built (make deb)"
case "$(dpkg-query -W -f='${db:Status-Abbrev}' feegate 2>/dev/null || true)" in
[ir]i*) fail_now "feegate is installed on this machine; the test installs and purges it: apt-get purge feegate first" ;;
esac
# Everything of feegate's outside this checkout, before and after.
traces() {
	find /etc /usr /var -xdev \( -path /var/cache/apt -o -path /var/lib/dpkg \
		-o -path /var/lib/apt -o -path /var/log/apt -o -path /var/tmp \) -prune \
		-o -iname '*feegate*' -print 2>/dev/null | grep -v "^$top/" | sort
}
traces >"$work/before"
purge() { DEBIAN_FRONTEND=noninteractive apt-get purge -y -q feegate >"$work/purge.out" 2>&1; }
exit_hooks="$exit_hooks purge"

DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$deb" \
	>"$work/install.out" 2>&1 || fail_now "apt-get install: $(tail -20 "$work/install.out")"
eq "feegate $version" "$(feegate --version)" "the installed binary's version"
# devscripts' hardening-check: PIE, stack protector, FORTIFY, RELRO,
# BIND_NOW. Not control-flow protection: Debian 12's own C start files
# (Scrt1.o, crti.o, crtn.o) carry no IBT/SHSTK property, so no program
# linked on it has one, though every feegate object is built with
# -fcf-protection (`ld -z cet-report=warning` names those three).
out=$(hardening-check --nocfprotection /usr/sbin/feegate 2>&1) || fail "hardening-check: $out"
eq "$version" "$(dpkg-query -W -f='${Version}' feegate)" "the package's version"
eq "/usr/share/man/man8/feegate.8.gz" "$(man -w feegate)" "man -w feegate"
eq "/usr/share/man/man5/feegate.ini.5.gz" "$(man -w 5 feegate.ini)" "man -w 5 feegate.ini"

# Its user, its directories, its configuration's permissions.
has "$(getent passwd feegate)" ":/var/lib/feegate:/usr/sbin/nologin" "the feegate system user"
eq "750 feegate feegate" "$(stat -c '%a %U %G' /var/lib/feegate)" "/var/lib/feegate"
eq "750 feegate adm" "$(stat -c '%a %U %G' /var/log/feegate)" "/var/log/feegate"
eq "640 root feegate" "$(stat -c '%a %U %G' /etc/feegate/feegate.ini)" "feegate.ini: root and feegate's group"
conffiles=$(dpkg-query -W -f='${Conffiles}' feegate)
for f in /etc/feegate/feegate.ini /etc/feegate/strings.ini /etc/logrotate.d/feegate; do
	has "$conffiles" " $f " "$f is a conffile"
done
# Enabled (systemd's symlinks, made whether or not systemd runs here),
# not started; the nightly and purge timers are for sites without serve:
# installed, not enabled.
eq "/lib/systemd/system/feegate.service" \
   "$(readlink /etc/systemd/system/multi-user.target.wants/feegate.service)" "feegate.service enabled"
for t in feegate-audit-verify.timer feegate-audit-verify-full.timer; do
	eq "/lib/systemd/system/$t" "$(readlink "/etc/systemd/system/timers.target.wants/$t")" "$t enabled"
done
for t in feegate-night.timer feegate-purge.timer; do
	[ -f "/lib/systemd/system/$t" ] || fail "$t not installed"
	[ ! -e "/etc/systemd/system/timers.target.wants/$t" ] || fail "$t enabled"
done
eq "" "$(pgrep -u feegate || true)" "nothing started"

# The operator's part: the configuration in /etc/feegate (read without
# -c), the wording edited in /etc/feegate/strings.ini.
fresh_schemas
sms_accounts 20
start_sim 18950
send_conf 18951
cp "$conf" /etc/feegate/feegate.ini
sed -i 's/^signature = 【国网杭州供电公司】/signature = 【包测试供电】/' /etc/feegate/strings.ini
eq "640 root feegate" "$(stat -c '%a %U %G' /etc/feegate/feegate.ini)" "an edit keeps the permissions"
out=$(runuser -u feegate -- feegate config check --offline 2>&1) || fail "config check as feegate: $out"
has "$out" "/etc/feegate/feegate.ini: the configuration, the templates" "feegate's user reads its configuration"
# At a set hour: by the wall clock the night would fall outside the calling
# window (08:00-21:00 in Shanghai) half the day, and send nothing.
feegate run --date 2026-10-02 --now "2026-10-02 10:00" >"$work/night.out" 2>"$work/night.err" ||
	fail_now "the night with the installed binary: $(tail -20 "$work/night.err")"
eq "20" "$(wc -l <"$work/sim.tsv")" "the night's SMS reached the provider"
eq "20" "$(grep -c '【包测试供电】' "$work/sim.tsv")" "signed from /etc/feegate/strings.ini"
eq "0" "$(find /usr/share/feegate/templates -name strings.ini | wc -l)" "no wording under /usr/share"
eq "20" "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'delivered'")" "delivered, receipts in"

# Purged: nothing of feegate's is left but its user.
purge || fail_now "apt-get purge: $(tail -20 "$work/purge.out")"
exit_hooks=""
eq "" "$(dpkg-query -W -f='${db:Status-Abbrev}' feegate 2>/dev/null | tr -d ' ' || true)" "no longer known to dpkg"
traces >"$work/after"
eq "" "$(diff "$work/before" "$work/after" || true)" "nothing of feegate's left"
eq "" "$(dpkg-statoverride --list /etc/feegate/feegate.ini || true)" "no stat override left"
has "$(getent passwd feegate)" "feegate:" "the system user stays (Debian policy)"
done_ok
