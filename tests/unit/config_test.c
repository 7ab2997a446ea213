/*
 * config_test.c: every mistake in the configuration file is reported with
 * the file, the line and the key at fault; secrets never appear.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/config.h"

static char dir[64];

static const char *
write_file(const char *name, const char *content)
{
	static char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(content, fp);
	fclose(fp);
	return path;
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/feegate-config-test-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	unsetenv("FEEGATE_DB_SOCKET");
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_defaults_and_values(void **state)
{
	struct config cfg;
	struct fg_err err;
	const char *p =
		write_file("ok.ini", "; comment\n"
				     "[database]\n"
				     "socket = /run/mysqld/mysqld.sock\n"
				     "gateway_schema = gw_1\n"
				     "\n"
				     "[dunning]\n"
				     "grace_days = 3\n"
				     "min_amount = 5.5\n"
				     "channel_order = push, sms\n"
				     "[schedule]\n"
				     "nightly_at = 02:30\n"
				     "[costs]\n"
				     "sms = 0.045\n"
				     "voice = 0.12\n");

	(void)state;
	assert_int_equal(config_load(&cfg, p, &err), 0);
	assert_string_equal(cfg.db.socket, "/run/mysqld/mysqld.sock");
	assert_string_equal(cfg.db.gateway_schema, "gw_1");
	assert_string_equal(cfg.db.billing_schema, "billing");
	assert_int_equal(cfg.dunning.grace_days, 3);
	assert_int_equal(cfg.dunning.step_days, 7);
	assert_int_equal(cfg.dunning.notices, 3);
	assert_int_equal(cfg.dunning.min_amount, 550);
	assert_int_equal(cfg.db.lock_timeout, 600);
	assert_int_equal(cfg.dunning.late_fee_ppm, 0);
	assert_int_equal(cfg.sms.max_parts, 3);
	/* push first, then sms, the rest after. */
	assert_int_equal(cfg.dunning.channel_rank[CHANNEL_PUSH], 1);
	assert_int_equal(cfg.dunning.channel_rank[CHANNEL_SMS], 2);
	assert_int_equal(cfg.dunning.channel_rank[CHANNEL_EMAIL], 0);
	assert_int_equal(cfg.dunning.channel_rank[CHANNEL_VOICE], 0);
	assert_int_equal(cfg.costs.unit[CHANNEL_SMS], 45000);
	assert_int_equal(cfg.costs.unit[CHANNEL_VOICE], 120000);
	assert_int_equal(cfg.costs.unit[CHANNEL_EMAIL], 0);
	assert_int_equal(cfg.voice.max_attempts, 3);
	assert_int_equal(cfg.voice.retry_after, 1800);
	assert_int_equal(cfg.schedule.nightly_minute, 2 * 60 + 30);
	config_free(&cfg);
}

/* Each broken file and what the message must name. */
static void
test_mistakes_table(void **state)
{
	static const struct {
		const char *content;
		const char *expect;
	} cases[] = {
		{"[database]\nsocket = /s\n[dunning]\nstep_days = 0\n",
		 "bad.ini:4: [dunning] step_days: must be a whole number from 1 "
		 "to 365 (got '0')"},
		{"[database]\nsocket = /s\nnotices = 3\n",
		 "bad.ini:3: [database] notices: unknown key"},
		{"[database]\nsocket = /s\n[dunnig]\nnotices = 3\n",
		 "bad.ini:4: unknown section [dunnig]"},
		{"[database]\nsocket = /s\n[dunning]\nmin_amount = 1.005\n",
		 "bad.ini:4: [dunning] min_amount: must be a positive amount"},
		{"[database]\nsocket = /s\n[dunning]\nmin_amount = -1\n",
		 "bad.ini:4: [dunning] min_amount"},
		{"[database]\nsocket = /s\n[dunning]\nnotices = three\n",
		 "bad.ini:4: [dunning] notices"},
		{"[database]\nsocket = /s\ngateway_schema = gw; DROP\n",
		 "bad.ini:3: [database] gateway_schema: a schema name"},
		{"[database]\nsocket = /s\nthis line has no equals sign\n",
		 "bad.ini:3: syntax error"},
		{"[database]\nsocket = /s\n[log]\nlevel = loud\n",
		 "bad.ini:4: [log] level: must be error, warn, info or debug"},
		{"[dunning]\nnotices = 3\n",
		 "bad.ini: [database]: set socket or host"},
		{"[database]\nsocket = /s\ngateway_schema = same\n"
		 "billing_schema = same\n",
		 "must differ"},
		{"[database]\nsocket = /s\npassword = x\npassword_file = /y\n",
		 "password and password_file are both set"},
		{"[database]\nsocket = /s\nport = 70000\n",
		 "bad.ini:3: [database] port"},
		{"[database]\nsocket = /s\n[dunning]\ntimezone = Mars/Olympus\n",
		 "[dunning] timezone: 'Mars/Olympus' is not a time zone"},
		{"[database]\nsocket = /s\n[dunning]\ntimezone = ../../etc/passwd\n",
		 "[dunning] timezone"},
		{"[database]\nsocket = /s\n[dunning]\nlate_fee_per_day = 0.5\n",
		 "bad.ini:4: [dunning] late_fee_per_day: must be a rate like 0.001"},
		{"[database]\nsocket = /s\n[sms]\nmax_parts = 0\n",
		 "bad.ini:4: [sms] max_parts"},
		{"[database]\nsocket = /s\n[dunning]\nchannel_order = push,fax\n",
		 "[dunning] channel_order: 'fax' is not a channel"},
		{"[database]\nsocket = /s\n[dunning]\nchannel_order = sms,push,sms\n",
		 "[dunning] channel_order: 'sms' named twice"},
		{"[database]\nsocket = /s\n[dunning]\nchannel_order = ,\n",
		 "[dunning] channel_order: empty"},
		{"[database]\nsocket = /s\n[costs]\nsms = 0.0451234\n",
		 "bad.ini:4: [costs] sms: must be an amount in yuan like 0.045"},
		{"[database]\nsocket = /s\n[costs]\nvoice = -1\n",
		 "bad.ini:4: [costs] voice"},
		{"[database]\nsocket = /s\n[voice]\nmax_attempts = 11\n",
		 "bad.ini:4: [voice] max_attempts"},
	};
	struct config cfg;
	struct fg_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *p = write_file("bad.ini", cases[i].content);

		err.msg[0] = '\0';
		assert_int_equal(config_load(&cfg, p, &err), -1);
		if (strstr(err.msg, cases[i].expect) == NULL)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i,
				 err.msg, cases[i].expect);
		config_free(&cfg);
	}
}

static void
test_missing_file(void **state)
{
	struct config cfg;
	struct fg_err err;

	(void)state;
	assert_int_equal(config_load(&cfg, "/nonexistent/feegate.ini", &err),
			 -1);
	assert_non_null(
		strstr(err.msg, "/nonexistent/feegate.ini: cannot open"));
	config_free(&cfg);
}

/* The password comes from its file, and a wrong value elsewhere never
 * echoes it. */
static void
test_password_file(void **state)
{
	struct config cfg;
	struct fg_err err;
	char content[256];
	const char *pw;

	(void)state;
	pw = write_file("pw", "s3cret-Pa55\n");
	chmod(pw, 0600);
	snprintf(content, sizeof(content),
		 "[database]\nsocket = /s\npassword_file = %s\n", pw);
	assert_int_equal(config_load(&cfg, write_file("pw.ini", content), &err),
			 0);
	assert_string_equal(cfg.db.password, "s3cret-Pa55");
	config_free(&cfg);

	assert_int_equal(
		config_load(&cfg,
			    write_file("pw2.ini",
				       "[database]\nsocket = /s\n"
				       "password = s3cret-Pa55\n"
				       "lock_timeout = s3cret-Pa55x\n"),
			    &err),
		-1);
	assert_null(strstr(err.msg, "s3cret-Pa55\n"));
	config_free(&cfg);
}

/* [costs] and [channels] take a key for every channel kind (kinds.h),
 * each into its own slot; channel_order names any of them. */
static void
test_every_kind(void **state)
{
	struct config cfg;
	struct fg_err err;
	struct sbuf ini, order;
	int k;

	(void)state;
	sbuf_init(&ini);
	sbuf_init(&order);
	sbuf_adds(&ini, "[database]\nsocket = /s\n[costs]\n");
	for (k = 0; k < CHANNEL_KINDS; k++) {
		sbuf_addf(&ini, "%s = 0.%03d\n", channel_kinds[k].name, k + 1);
		sbuf_addf(&order, "%s%s", k ? "," : "",
			  channel_kinds[CHANNEL_KINDS - 1 - k].name);
	}
	sbuf_addf(&ini, "[dunning]\nchannel_order = %s\n", order.s);
	assert_int_equal(config_load(&cfg, write_file("kinds.ini", ini.s),
				     &err),
			 0);
	for (k = 0; k < CHANNEL_KINDS; k++) {
		assert_int_equal(cfg.costs.unit[k], (k + 1) * 1000);
		assert_int_equal(cfg.dunning.channel_rank[k],
				 CHANNEL_KINDS - k);
		assert_null(cfg.channels.provider[k]);
	}
	config_free(&cfg);
	sbuf_free(&ini);
	sbuf_free(&order);
}

/* etc/feegate.ini.example, the configuration reference: it loads as it
 * is, and it names (set or commented out) every key the binary takes. */
struct named {
	char *text; /* "section.key\n" for every key line of the example */
	int missing;
};

static void
named_check(const char *section, const char *name, void *arg)
{
	struct named *n = arg;
	char want[128];

	snprintf(want, sizeof(want), "\n%s.%s\n", section, name);
	if (strstr(n->text, want) == NULL) {
		print_error("etc/feegate.ini.example: [%s] %s is not named\n",
			    section, name);
		n->missing++;
	}
}

static void
test_example(void **state)
{
	const char *path = "etc/feegate.ini.example";
	char line[512], section[64] = "", key[64];
	struct named n = {NULL, 0};
	struct config cfg;
	struct fg_err err;
	struct sbuf keys;
	FILE *fp;

	(void)state;
	if (config_load(&cfg, path, &err) != 0)
		fail_msg("%s", err.msg);
	config_free(&cfg);
	fp = fopen(path, "r");
	assert_non_null(fp);
	sbuf_init(&keys);
	sbuf_adds(&keys, "\n");
	while (fgets(line, sizeof(line), fp) != NULL) {
		const char *l = line[0] == ';' ? line + 1 : line;

		if (sscanf(l, "[%63[^]]]", section) == 1)
			continue;
		if (sscanf(l, "%63[a-z_] =", key) == 1 &&
		    strstr(l, " =") == l + strlen(key))
			sbuf_addf(&keys, "%s.%s\n", section, key);
	}
	fclose(fp);
	n.text = keys.s;
	config_keys(named_check, &n);
	assert_int_equal(n.missing, 0);
	sbuf_free(&keys);
}

static void
test_env_socket(void **state)
{
	struct config cfg;
	struct fg_err err;

	(void)state;
	setenv("FEEGATE_DB_SOCKET", "/tmp/x.sock", 1);
	assert_int_equal(config_load(&cfg, NULL, &err), 0);
	assert_string_equal(cfg.db.socket, "/tmp/x.sock");
	config_free(&cfg);
	unsetenv("FEEGATE_DB_SOCKET");
}

static void
note_change(const char *section, const char *key, void *arg)
{
	sbuf_addf(arg, "[%s] %s;", section, key);
}

/* What a reload names: every key set differently, set in one file only,
 * a provider's key or a provider of its own; nothing that is the same
 * (a default written out is the default). */
static void
test_changes(void **state)
{
	struct config a, b;
	struct fg_err err;
	struct sbuf out;
	char pa[128];

	(void)state;
	snprintf(pa, sizeof(pa), "%s",
		 write_file("a.ini",
			    "[database]\nsocket = /s\nlock_timeout = 60\n"
			    "[dispatch]\nbatch = 100\n"
			    "[provider:sim]\ntype = http\nrate = 5\n"
			    "[provider:old]\ntype = http\n"));
	assert_int_equal(config_load(&a, pa, &err), 0);
	assert_int_equal(
		config_load(
			&b,
			write_file(
				"b.ini",
				"[database]\nsocket = /s\nlock_timeout = 61\n"
				"[dispatch]\nbatch = 100\n"
				"[templates]\nstrings = /etc/x.ini\n"
				"[provider:sim]\ntype = http\nrate = 7\n"
				"url = http://x/\n"
				"[provider:new]\ntype = smtp\n"),
			&err),
		0);
	sbuf_init(&out);
	sbuf_adds(&out, "");
	assert_int_equal(config_changes(&a, &b, note_change, &out), 6);
	assert_string_equal(out.s, "[database] lock_timeout;"
				   "[templates] strings;"
				   "[provider:sim] rate;[provider:sim] url;"
				   "[provider:old] type;[provider:new] type;");
	out.len = 0;
	out.s[0] = '\0';
	assert_int_equal(config_changes(&a, &a, note_change, &out), 0);
	assert_string_equal(out.s, "");
	sbuf_free(&out);
	config_free(&a);
	config_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_values),
		cmocka_unit_test(test_mistakes_table),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_password_file),
		cmocka_unit_test(test_env_socket),
		cmocka_unit_test(test_every_kind),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_changes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
