# feegate: one entry point for building, testing, the demo and benchmarks.
#
#   make            build bin/feegate
#   make demo       install what is missing, build, run 45 nights of sample data
#   make test       install what is missing, build, unit tests under ASan+UBSan,
#                   integration tests against a private MariaDB
#   make bench      install what is missing, build, run the benchmarks
#                   (scripts/bench.sh; docs/performance.md) and print the tables
#   make bench-plan N=1000000   time one night's planning at scale
#   make bench-province [N=10000000]   two nights of a province, planned
#                   and sent (scripts/bench-province.sh; 45-55 min)
#   make bench-claim [N=1000000]   what a claim costs with N messages queued
#   make bench-metrics [N=10000000] [Q=100000]   a /metrics scrape's cost
#                   with N message rows, Q of them due
#   make fuzz FUZZ_SECONDS=60   run the libFuzzer targets (tests/fuzz/)
#   make faults [FAULTS="sigkill four"]   the fault suite (scripts/faults.sh)
#   make install [PREFIX=/usr/local] [DESTDIR=]   the binary, templates, SQL,
#                   units and an example configuration (never overwritten)
#
# CPPFLAGS, CFLAGS and LDFLAGS from the environment are honoured (so
# dpkg-buildflags' hardening reaches the binary).

CC      ?= cc
# The one place the version is kept (`feegate --version`, the package).
VERSION := $(shell cat VERSION)
PREFIX  ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share/feegate
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
MANDIR  ?= $(PREFIX)/share/man
PKGS    := libmariadb jansson inih libcrypto libssl libcurl libmicrohttpd libesmtp-1.0 libsodium zlib libsystemd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lev -lpthread

WARN    := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
# Includes name their layer: "base/util.h", "channels/channel.h"
# (docs/internals.md, Layout; scripts/check-layers.sh keeps them downwards).
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -g $(WARN) -I. -Igateway -Ibuild/gen $(PKG_CFLAGS)
# Each object's header dependencies, written as it compiles (build/**/*.d).
DEPFLAGS := -MMD -MP
CFLAGS  ?= -O2
SAN     := -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

GATEWAY_SRCS := $(wildcard gateway/*/*.c) $(wildcard channels/*.c)
GEN_SRCS     := build/gen/migrations.c
LIB_SRCS     := $(GATEWAY_SRCS) $(GEN_SRCS)
UNIT_SRCS    := $(wildcard tests/unit/*_test.c)

OBJ      := $(patsubst %.c,build/obj/%.o,$(LIB_SRCS))
SAN_OBJ  := $(patsubst %.c,build/san/%.o,$(LIB_SRCS))
UNIT_BINS := $(patsubst tests/unit/%.c,build/san/tests/%,$(UNIT_SRCS))

.PHONY: all test test-only unit integration demo bootstrap db-start db-stop \
        check-source format golden bench bench-plan bench-province bench-claim bench-metrics \
        clean fuzz fuzz-smoke faults install deb test-package test-scale FORCE

all: bin/feegate bin/feegate-sim

bin/feegate: $(OBJ) build/obj/gateway/main.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# main.c knows the version and where its data is: the checkout for
# bin/feegate, DATADIR for the binary `make install` installs (its own
# main.o, made again at each install: PREFIX may have changed), and the
# locales' wording: each beside its templates in the checkout,
# SYSCONFDIR/feegate/strings.ini (the operator's to edit) when installed.
MAIN_DEFS = -DFEEGATE_VERSION='"$(VERSION)"' -DFEEGATE_DATADIR='"$(1)"' \
            -DFEEGATE_STRINGS='"$(2)"'
build/obj/gateway/main.o build/san/gateway/main.o: VERSION
build/obj/gateway/main.o build/san/gateway/main.o: CPPFLAGS += $(call MAIN_DEFS,$(CURDIR),)

build/install/feegate: $(OBJ) FORCE
	@mkdir -p $(@D)
	@echo "  CC      gateway/main.c (DATADIR $(DATADIR))"
	@$(CC) $(CPPFLAGS) $(call MAIN_DEFS,$(DATADIR),$(SYSCONFDIR)/feegate/strings.ini) \
		$(CFLAGS_BASE) $(CFLAGS) -c -o build/install/main.o gateway/main.c
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJ) build/install/main.o $(PKG_LIBS)

FORCE:

# The manual pages: feegate(8) written by hand, feegate.ini(5) made from
# the configuration's commented example (its one reference).
build/install/feegate.8: man/feegate.8 VERSION FORCE
	@mkdir -p $(@D)
	sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@DATADIR@|$(DATADIR)|g' $< >$@

build/install/feegate.ini.5: etc/feegate.ini.example scripts/man-ini.sh VERSION
	@mkdir -p $(@D)
	scripts/man-ini.sh $(VERSION) <$< >$@

# Every locale's wording in one file with a section each, for /etc.
build/install/strings.ini: $(wildcard templates/*/strings.ini)
	@mkdir -p $(@D)
	{ echo "; The fixed wording of feegate's messages, a [section] a locale:"; \
	  echo "; edit it for your utility (feegate.ini(5), [templates] strings)."; \
	  for f in $^; do l=$${f#templates/}; printf '\n[%s]\n' "$${l%/strings.ini}"; \
	  cat "$$f"; done; } >$@

install: build/install/feegate build/install/feegate.8 build/install/feegate.ini.5 \
	build/install/strings.ini
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(DATADIR)/sql/billing \
		$(DESTDIR)$(DATADIR)/sql/gateway $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/feegate $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(MANDIR)/man5
	install -m 755 build/install/feegate $(DESTDIR)$(SBINDIR)/feegate
	install -m 644 build/install/feegate.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 build/install/feegate.ini.5 $(DESTDIR)$(MANDIR)/man5/
	for d in templates/*/; do \
		install -d $(DESTDIR)$(DATADIR)/$$d && \
		install -m 644 $$(ls -d $$d* | grep -v /strings.ini) \
			$(DESTDIR)$(DATADIR)/$$d || exit 1; \
	done
	install -m 644 sql/grants.sql $(DESTDIR)$(DATADIR)/sql/
	install -m 644 sql/billing/*.sql $(DESTDIR)$(DATADIR)/sql/billing/
	install -m 644 sql/gateway/*.sql $(DESTDIR)$(DATADIR)/sql/gateway/
	install -d $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	install -m 644 scripts/systemd/feegate.logrotate \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d/feegate
	for u in scripts/systemd/*.service scripts/systemd/*.timer; do \
		sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $$u > $(DESTDIR)$(UNITDIR)/$${u##*/} && \
		chmod 644 $(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; \
	done
	@# An example configuration and the wording, never over ones there.
	[ -e $(DESTDIR)$(SYSCONFDIR)/feegate/feegate.ini ] || \
		install -m 640 etc/feegate.ini.example \
			$(DESTDIR)$(SYSCONFDIR)/feegate/feegate.ini
	[ -e $(DESTDIR)$(SYSCONFDIR)/feegate/strings.ini ] || \
		install -m 644 build/install/strings.ini \
			$(DESTDIR)$(SYSCONFDIR)/feegate/strings.ini

# The Debian package, built from a copy of the tracked source in
# build/deb/src (dpkg-buildpackage writes beside the source tree: build/deb),
# then checked by lintian (errors fail). debian/changelog's version must be
# VERSION's.
deb:
	scripts/bootstrap.sh package
	@v=$$(dpkg-parsechangelog -l debian/changelog -S Version); [ "$$v" = "$(VERSION)" ] || \
		{ echo "make deb: debian/changelog says $$v, VERSION $(VERSION)"; exit 1; }
	rm -rf build/deb && mkdir -p build/deb/src
	git ls-files -co --exclude-standard -z | grep -zv '^var/' | \
		xargs -0 cp --parents -t build/deb/src
	cd build/deb/src && dpkg-buildpackage -us -uc -b
	lintian --fail-on error build/deb/*.changes
	@ls build/deb/*.deb

# Installs the package on this machine (as root), runs a night with it
# against the private MariaDB, then purges it (tests/integration/p_package.sh).
test-package: deb
	tests/integration/run.sh p_package

# /metrics with 10,000,000 message rows (tests/integration/s_metrics.sh,
# about two minutes); run by .ci/run.
test-scale: bin/feegate bin/feegate-san bin/feegate-sim
	tests/integration/run.sh s_metrics

# The provider simulator (tests/sim/): tests, demo and benchmarks.
bin/feegate-sim: tests/sim/sim.c tests/sim/fcm.c tests/sim/sim.h
	@mkdir -p $(@D)
	@echo "  CCLD    $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS_BASE) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c,$^) $(PKG_LIBS)

# The ASan+UBSan build of the daemon; the integration tests run it.
bin/feegate-san: $(SAN_OBJ) build/san/gateway/main.o
	@mkdir -p $(@D)
	$(CC) $(SAN) -o $@ $^ $(PKG_LIBS)

build/obj/%.o: %.c | build/gen/migrations.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS_BASE) $(DEPFLAGS) $(CFLAGS) -c -o $@ $<

build/san/%.o: %.c | build/gen/migrations.c
	@mkdir -p $(@D)
	@echo "  CC san  $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS_BASE) $(DEPFLAGS) $(SAN) -c -o $@ $<

MIGRATION_SQL := $(sort $(wildcard sql/gateway/*.sql))
build/gen/migrations.c: $(MIGRATION_SQL) build/gen/migrations.list \
		sql/grants.sql scripts/embed-sql.sh
	@mkdir -p $(@D)
	scripts/embed-sql.sh $(MIGRATION_SQL) sql/grants.sql > $@.tmp && mv $@.tmp $@

# The migrations' names, written again only when they differ: a migration
# removed (a branch switched to one without it) leaves every prerequisite
# older than migrations.c, which would keep building the removed one in.
build/gen/migrations.list: FORCE
	@mkdir -p $(@D)
	@echo "$(MIGRATION_SQL)" | cmp -s - $@ || echo "$(MIGRATION_SQL)" > $@

build/san/tests/%: tests/unit/%.c $(SAN_OBJ)
	@mkdir -p $(@D)
	@echo "  CCLD    $@"
	@$(CC) $(CFLAGS_BASE) $(DEPFLAGS) $(SAN) -Itests/unit -o $@ $< $(SAN_OBJ) \
		$(PKG_LIBS) $(shell pkg-config --libs cmocka 2>/dev/null)

# The commands a newcomer runs install what is missing first, then start
# again so that pkg-config sees the libraries just installed.
test:
	scripts/bootstrap.sh
	$(MAKE) test-only

test-only: all bin/feegate-san check-source unit integration fuzz-smoke
	@echo "make test: all passed"

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

integration: bin/feegate bin/feegate-san bin/feegate-sim
	tests/integration/run.sh

# libFuzzer targets (clang): the template renderer, the notice API's
# validation, the configuration parser, the receipt parsers, the address
# validator, phone search and address masking. `make fuzz` runs
# each for FUZZ_SECONDS on a copy of its seed corpus (tests/fuzz/corpus/);
# `make test` runs each briefly (fuzz-smoke).
FUZZ_CC      := clang
FUZZ_FLAGS   := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
                -fno-sanitize-recover=all
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_OBJ     := $(patsubst %.c,build/fuzz/%.o,$(LIB_SRCS))
FUZZ_SECONDS ?= 60
.SECONDARY: $(FUZZ_OBJ)

build/fuzz/%.o: %.c | build/gen/migrations.c
	@mkdir -p $(@D)
	@echo "  CC fuzz $<"
	@$(FUZZ_CC) $(CPPFLAGS) $(CFLAGS_BASE) $(DEPFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	@mkdir -p $(@D)
	@echo "  CCLD    $@"
	@$(FUZZ_CC) $(CFLAGS_BASE) $(DEPFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS)

fuzz: $(FUZZ_TARGETS)
	@scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: $(FUZZ_TARGETS)
	@scripts/fuzz.sh 5 $(FUZZ_TARGETS)

# The fault suite (about 20 minutes): scripts/faults.sh, one table.
faults:
	@scripts/bootstrap.sh >/dev/null
	@scripts/faults.sh $(FAULTS)

demo:
	scripts/bootstrap.sh
	$(MAKE) all
	scripts/demo.sh

bootstrap:
	scripts/bootstrap.sh

db-start:
	scripts/db.sh start

db-stop:
	scripts/db.sh stop

# Banned string functions (see STYLE.md) and formatting.
FORMATTED = $(wildcard gateway/*.c gateway/*/*.[ch] channels/*.[ch] tests/unit/*.c tests/sim/*.[ch] tests/fuzz/*.c tests/peers/*/*.c)
check-source:
	@if grep -nE '\b(strcpy|sprintf|strcat|gets|atoi)[[:space:]]*\(' \
		gateway/*.c gateway/*/*.[ch] channels/*.[ch] tests/unit/*.c tests/sim/*.c \
		tests/peers/*/*.c 2>/dev/null \
		| grep -vE ':[[:space:]]*(/?\*|//)'; then \
		echo "check-source: banned function (use str_copy, snprintf, sbuf, parse_ll)"; exit 1; fi
	@echo "check-source: no banned functions"
	@scripts/check-layers.sh
	@scripts/check-docs.py
	@clang-format --dry-run -Werror $(FORMATTED) || \
		{ echo "check-source: run 'make format' (.clang-format)"; exit 1; }
	@echo "check-source: formatted"
	@mkdir -p build/docs
	@sed -n '/^```c$$/,/^```$$/p' docs/new-provider.md | sed '1d;$$d' >build/docs/sms_acme.c
	@test -s build/docs/sms_acme.c || \
		{ echo "check-source: no C example in docs/new-provider.md"; exit 1; }
	@$(CC) $(CFLAGS_BASE) $(CFLAGS) -c -o build/docs/sms_acme.o build/docs/sms_acme.c || \
		{ echo "check-source: docs/new-provider.md's adapter example does not compile"; exit 1; }
	@echo "check-source: docs/new-provider.md's adapter example compiles"

format:
	clang-format -i $(FORMATTED)

# Rewrite the golden files of the template tests after a deliberate wording
# change; read `git diff tests/data` before committing.
golden: build/san/tests/template_test
	FEEGATE_UPDATE_GOLDEN=1 build/san/tests/template_test

bench:
	scripts/bootstrap.sh
	$(MAKE) all
	scripts/bench.sh

bench-plan: bin/feegate
	scripts/bench-plan.sh $(or $(N),1000000)

bench-province:
	scripts/bootstrap.sh
	scripts/bench-province.sh $(or $(N),10000000)

bench-claim: bin/feegate
	scripts/bench-claim.sh $(or $(N),1000000)

bench-metrics: bin/feegate
	scripts/bench-metrics.sh $(or $(N),10000000) $(or $(Q),100000)

clean:
	rm -rf build bin

# Header dependencies of what was built (-MMD -MP above).
-include $(shell find build -path build/deb -prune -o -name '*.d' -type f -print 2>/dev/null)
