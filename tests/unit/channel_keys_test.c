/*
 * channel_keys_test.c: what channel_open refuses in a [provider:NAME]
 * section before an adapter's open runs, from the keys each adapter
 * declares: keys it does not take, values not of their form (URL,
 * number in range, yes/no, a path), needed keys missing (two or more
 * named together), each with FILE:LINE; and a good section opens.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/config.h"
#include "channels/channel.h"

static const struct {
	enum channel_kind kind;
	const char *section; /* after "[provider:p]\n" */
	const char *expect;  /* NULL: it opens */
} cases[] = {
	{CHANNEL_SMS, "type = http\n",
	 "keys.ini:4: [provider:p] url: an http:// or https:// URL is needed"},
	{CHANNEL_SMS, "type = http\nurl = ftp://sms.example.cn/\n",
	 "keys.ini:5: [provider:p] url: must be an http:// or https:// URL "
	 "(got 'ftp://sms.example.cn/')"},
	{CHANNEL_SMS, "type = http\nurl = https://sms.example.cn/\nbatch = 0\n",
	 "keys.ini:6: [provider:p] batch: must be a whole number from 1 to"},
	{CHANNEL_SMS,
	 "type = http\nurl = https://sms.example.cn/\nbatch = 1e3\n",
	 "[provider:p] batch: must be a whole number"},
	{CHANNEL_SMS,
	 "type = http\nurl = https://sms.example.cn/\ncolour = red\n",
	 "keys.ini:6: [provider:p] colour: unknown key for type http"},
	{CHANNEL_SMS,
	 "type = http\nurl = https://sms.example.cn/\nrate = fast\n",
	 "[provider:p] rate: must be a number from 0 to"},
	{CHANNEL_SMS,
	 "type = http\nurl = https://sms.example.cn/\nbatch = 100\n", NULL},
	{CHANNEL_SMS, "type = twilio\nfrom = +8610000000\n",
	 "keys.ini:4: [provider:p]: account_sid and auth_token_file are needed"},
	{CHANNEL_VOICE,
	 "type = twilio\naccount_sid = AC1\nfrom = +8657195598\n",
	 "[provider:p] auth_token_file: the file holding the auth token is "
	 "needed"},
	{CHANNEL_VOICE,
	 "type = twilio\naccount_sid = AC1\nauth_token_file = /t\n"
	 "from = +8657195598\nrepeat = 4\n",
	 "keys.ini:8: [provider:p] repeat: must be a whole number from 1 to 3 "
	 "(got '4')"},
	{CHANNEL_SMS,
	 "type = kannel\nurl = http://127.0.0.1:13013/cgi-bin/sendsms\n"
	 "username = u\npassword_file =\n",
	 "[provider:p] password_file: must be a path (got '')"},
	{CHANNEL_SMS, "type = kannel\nurl = http://k/\n",
	 "[provider:p]: username and password_file are needed"},
	{CHANNEL_PUSH,
	 "type = fcm\nproject_id = sgcc-hz\nservice_account_file = /k.json\n"
	 "http2 = maybe\n",
	 "keys.ini:7: [provider:p] http2: must be yes or no (got 'maybe')"},
	{CHANNEL_PUSH, "type = fcm\n",
	 "[provider:p]: project_id and service_account_file are needed"},
	{CHANNEL_EMAIL,
	 "type = smtp\nhost = relay\nfrom = a@example.cn\nport = 0\n",
	 "keys.ini:7: [provider:p] port: must be a whole number from 1 to "
	 "65535 (got '0')"},
	{CHANNEL_EMAIL,
	 "type = smtp\nhost = relay\nfrom = a@example.cn\ndsn = perhaps\n",
	 "[provider:p] dsn: must be yes or no (got 'perhaps')"},
	{CHANNEL_EMAIL, "type = smtp\nhost = relay\n",
	 "keys.ini:4: [provider:p] from: one address"},
};

static void
test_table(void **state)
{
	char dir[] = "/tmp/feegate-keys-test-XXXXXX", path[64];
	const struct channel_env env = {NULL, NULL, "http://127.0.0.1:1",
					"keys.ini"};
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/keys.ini", dir);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config cfg;
		struct channel *ch;
		struct fg_err err;
		FILE *fp = fopen(path, "w");

		assert_non_null(fp);
		fprintf(fp, "[database]\nsocket = /s\n[provider:p]\n%s",
			cases[i].section);
		fclose(fp);
		if (config_load(&cfg, path, &err) != 0)
			fail_msg("case %zu: %s", i, err.msg);
		err.msg[0] = '\0';
		ch = channel_open(&cfg, "p", cases[i].kind, &env, &err);
		if (cases[i].expect == NULL) {
			if (ch == NULL)
				fail_msg("case %zu: refused: %s", i, err.msg);
			channel_close(ch);
		} else if (ch != NULL) {
			fail_msg("case %zu: opened", i);
		} else if (strstr(err.msg, cases[i].expect) == NULL) {
			fail_msg("case %zu: got \"%s\", want \"%s\"", i,
				 err.msg, cases[i].expect);
		}
		config_free(&cfg);
	}
	unlink(path);
	rmdir(dir);
}

/* docs/providers.md names every key an adapter takes, as "key =" in an
 * example or as `key` in the text: no key undocumented. */
static void
test_documented(void **state)
{
	const struct channel_ops *const *ops;
	const struct provider_key *k;
	char *doc, want[96];
	FILE *fp = fopen("docs/providers.md", "r");
	long n;
	int missing = 0;

	(void)state;
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	doc = calloc(1, (size_t)n + 1);
	assert_non_null(doc);
	assert_int_equal(fread(doc, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	for (ops = channel_adapters(); *ops != NULL; ops++)
		for (k = (*ops)->keys; k != NULL && k->name != NULL; k++) {
			char alt[96];

			snprintf(want, sizeof(want), "%s =", k->name);
			snprintf(alt, sizeof(alt), "`%s`", k->name);
			if (strstr(doc, want) == NULL &&
			    strstr(doc, alt) == NULL) {
				print_error("docs/providers.md: %s's key %s is "
					    "not named\n",
					    (*ops)->name, k->name);
				missing++;
			}
		}
	free(doc);
	assert_int_equal(missing, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_documented),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
