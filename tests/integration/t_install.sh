#!/bin/sh
# `make install` as an operator or a package build runs it: from a copy
# of the source, with dpkg-buildflags' hardening in CPPFLAGS, CFLAGS and
# LDFLAGS, into a PREFIX of its own. The binary says its version, finds
# its templates in the data directory built in (not beside itself), has
# the hardening, refuses an unknown command before reading any
# configuration, and answers --help; the units name the installed paths;
# a second install keeps the operator's configuration.
. "$(dirname "$0")/lib.sh"
src="$work/src" pfx="$work/prefix" etc="$work/etc"
mkdir -p "$src"
(cd "$top" && git ls-files -co --exclude-standard -z | grep -zv '^var/' |
	xargs -0 cp --parents -t "$src")
eval "$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --export=sh)"
export CPPFLAGS CFLAGS LDFLAGS
(cd "$src" && make -s -j2 install PREFIX="$pfx" SYSCONFDIR="$etc" UNITDIR="$work/units") \
	>"$work/install.out" 2>&1 || fail_now "make install failed: $(tail -20 "$work/install.out")"
bin="$pfx/sbin/feegate"
eq "feegate $(cat "$top/VERSION")" "$("$bin" --version)" "--version: the VERSION file's"

# Hardening (what hardening-check looks for).
dyn=$(readelf -d "$bin")
has "$dyn" "BIND_NOW" "linked with -z now"
has "$(readelf -lW "$bin")" "GNU_RELRO" "read-only relocations"
has "$(readelf -hW "$bin")" "DYN (Position-Independent Executable" "position independent"
syms=$(readelf --dyn-syms -W "$bin")
has "$syms" "__stack_chk_fail" "stack protector"
has "$syms" "__snprintf_chk" "FORTIFY_SOURCE"

# Templates from DATADIR: the source copy is gone, the installed ones used.
rm -rf "$src"
eq "$(find "$top/templates" -mindepth 2 -type f ! -name strings.ini | wc -l)" \
   "$(find "$pfx/share/feegate/templates" -type f | wc -l)" "every template installed"
out=$("$bin" -c "$etc/feegate/feegate.ini" template render dunning_1 sms --locale en)
has "$out" "Zhang Wei" "rendered from the installed templates"
# The wording is the operator's, in SYSCONFDIR: one file, a section a
# locale, read by the installed binary without being named.
has "$out" "【State Grid Hangzhou】" "the English signature from $etc/feegate/strings.ini"
sed -i 's/^signature = 【State Grid Hangzhou】/signature = 【Grid Op】/' "$etc/feegate/strings.ini"
out=$("$bin" -c "$etc/feegate/feegate.ini" template render dunning_1 sms --locale en)
has "$out" "【Grid Op】" "an edit of strings.ini is what is sent"
out=$("$bin" -c "$etc/feegate/feegate.ini" template render dunning_1 sms --locale zh-CN)
has "$out" "【国网杭州供电公司】" "the zh-CN section"
for f in sql/grants.sql sql/billing/contract.sql; do
	[ -f "$pfx/share/feegate/$f" ] || fail "$f not installed"
done

# The command line before any configuration.
rc=0
"$bin" -c /nonexistent/feegate.ini nosuch >"$work/out" 2>&1 || rc=$?
eq "2" "$rc" "unknown command: exit status 2"
has "$(cat "$work/out")" "unknown command 'nosuch'" "named"
hasnt "$(cat "$work/out")" "/nonexistent" "before the configuration is read"
out=$("$bin" -c /nonexistent/feegate.ini log --help)
has "$out" "log ACCOUNT|PHONE [--json]" "COMMAND --help: its usage, without a configuration"
hasnt "$out" "report [--from D]" "and only its own"
out=$("$bin" --help)
for c in db config run dispatch serve plan escalate billing tasks log report audit purge token staff bounce template; do
	has "$out" "
  $c " "--help lists $c"
done

# The manual pages: found, warning-free, feegate(8) naming every command.
for page in man8/feegate.8 man5/feegate.ini.5; do
	[ -f "$pfx/share/man/$page" ] || fail "$page not installed"
	warn=$(groff -man -ww -z "$pfx/share/man/$page" 2>&1) || true
	eq "" "$warn" "$page: no groff warnings"
done
eq "$pfx/share/man/man8/feegate.8" "$(man -w -M "$pfx/share/man" feegate)" "man -w feegate"
render() { groff -man -Tutf8 -P-cbou -rLL=200n "$1"; }
page=$(render "$pfx/share/man/man8/feegate.8")
for c in $(printf '%s\n' "$out" | sed -n 's/^  \([a-z]*\) .*/\1/p' | sort -u); do
	has "$page" "
       $c " "feegate(8) documents $c"
done
has "$page" "feegate $(cat "$top/VERSION")" "feegate(8): the version"
has "$page" "$pfx/share/feegate/templates" "feegate(8): the installed data directory"
ini=$(render "$pfx/share/man/man5/feegate.ini.5")
has "$ini" "step_days = 7" "feegate.ini(5): the example's keys"

# Units name what was installed.
has "$(cat "$work/units/feegate.service")" "ExecStart=$bin -c $etc/feegate/feegate.ini serve" "serve's unit"
has "$(cat "$work/units/feegate-night.service")" "ExecStart=$bin -c $etc/feegate/feegate.ini run" "the night's unit"
has "$(cat "$work/units/feegate-audit-verify.service")" "ExecStart=$bin -c $etc/feegate/feegate.ini audit verify --since-last" \
    "the daily audit check, from the last"
has "$(cat "$work/units/feegate-audit-verify-full.service")" "ExecStart=$bin -c $etc/feegate/feegate.ini audit verify
" "the weekly audit check, the whole chain"
hasnt "$(cat "$work/units/"*)" "@SBINDIR@" "no placeholder left"
hasnt "$(cat "$work/units/"*)" "@SYSCONFDIR@" "no placeholder left"
# systemd's own checks: every unit verifies (the man pages it names
# found), and the services' exposure is 2.0 or lower.
out=$(cd "$work/units" && MANPATH="$pfx/share/man" systemd-analyze verify ./*.service ./*.timer 2>&1) ||
	fail "systemd-analyze verify: $out"
eq "" "$out" "systemd-analyze verify: nothing to say"
for u in "$work/units/"*.service; do
	score=$(systemd-analyze security --offline=true "$u" 2>&1 |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	[ -n "$score" ] || fail "no exposure score for $u"
	awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || fail "${u##*/}: exposure $score, above 2.0"
done
has "$(cat "$work/units/feegate.service")" "RestartPreventExitStatus=2" "a bad configuration is not restarted"
has "$(cat "$work/units/feegate.service")" "Type=notify" "serve tells systemd when it is ready"

# The operator's configuration survives the next install.
echo "; the operator's" >>"$etc/feegate/feegate.ini"
(cd "$top" && make -s install PREFIX="$pfx" SYSCONFDIR="$etc" UNITDIR="$work/units") >/dev/null 2>&1 ||
	fail_now "second make install failed"
eq "; the operator's" "$(tail -1 "$etc/feegate/feegate.ini")" "the configuration is not overwritten"
has "$(cat "$etc/feegate/strings.ini")" "【Grid Op】" "nor the wording"
done_ok
