/*
 * channels_test.c: each adapter's reading of its provider's answers, one
 * table an adapter: what the provider (or the network) said, and the
 * result it must come to: delivered to the provider (OK), this
 * message's end (PERMFAIL), or try again (TEMPFAIL), with provider_wide
 * when the trouble is the provider's, and the code recorded. Answers
 * are as the providers document them, and as other carriers and relays
 * word them.
 */
#include <curl/curl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "channels/classify.h"

#define OK   DELIVERY_OK
#define TEMP DELIVERY_TEMPFAIL
#define PERM DELIVERY_PERMFAIL

struct answer {
	int curl_code; /* CURLE_OK: an HTTP answer came */
	long status;
	const char *body;
	int retry_after;
	/* the result */
	enum delivery_status want;
	int provider_wide;
	const char *code; /* recorded as the result's code */
	const char *ref;  /* the provider's reference (OK), or NULL */
};

static void
run(const char *adapter,
    void (*classify)(const struct httpc_response *, struct delivery_result *),
    const struct answer *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct httpc_response r = {0};
		struct delivery_result res;

		r.curl_code = a[i].curl_code;
		r.error = a[i].curl_code != CURLE_OK ? "it went wrong" : NULL;
		r.status = a[i].status;
		r.body = a[i].body;
		r.body_len = strlen(a[i].body);
		r.retry_after = a[i].retry_after;
		memset(&res, 0x5a, sizeof(res));
		classify(&r, &res);
		if (res.status != a[i].want ||
		    res.provider_wide != a[i].provider_wide ||
		    strcmp(res.code, a[i].code) != 0 ||
		    (a[i].ref != NULL && strcmp(res.ref, a[i].ref) != 0) ||
		    (a[i].want == TEMP && res.retry_after != a[i].retry_after))
			fail_msg("%s, answer %zu (%ld %s): got %d wide=%d "
				 "code=%s ref=%s retry_after=%d",
				 adapter, i, a[i].status, a[i].body, res.status,
				 res.provider_wide, res.code, res.ref,
				 res.retry_after);
	}
}

static void
test_kannel(void **state)
{
	static const struct answer a[] = {
		{0, 202, "0: Accepted for delivery", 0, OK, 0, "HTTP 202",
		 NULL},
		{0, 200, "Sent.", 0, OK, 0, "HTTP 200", NULL},
		{0, 403, "Authorization failed for sendsms", 0, TEMP, 1,
		 "HTTP 403", NULL},
		{0, 400, "Missing receiver number, rejected", 0, PERM, 0,
		 "HTTP 400", NULL},
		{0, 400, "Empty receiver number not allowed, rejected", 0, PERM,
		 0, "HTTP 400", NULL},
		/* smsbox's white- and black-lists: this number, every time */
		{0, 400,
		 "Number(s) has/have been denied by white- and/or "
		 "black-lists.",
		 0, PERM, 0, "HTTP 400", NULL},
		{0, 400,
		 "Number(s) has/have been denied by white-and/or "
		 "black-lists.",
		 0, PERM, 0, "HTTP 400", NULL},
		/* the sendsms-user has no sender: every message, not this one */
		{0, 400, "Sender missing and no global set, rejected", 0, TEMP,
		 1, "HTTP 400", NULL},
		{0, 503, "Temporal failure, try again later.", 30, TEMP, 1,
		 "HTTP 503", NULL},
		{0, 500, "internal error", 0, TEMP, 0, "HTTP 500", NULL},
		{CURLE_OPERATION_TIMEDOUT, 0, "", 0, TEMP, 0, "timeout", NULL},
		{CURLE_COULDNT_CONNECT, 0, "", 0, TEMP, 1, "network", NULL},
		{CURLE_RECV_ERROR, 0, "", 0, TEMP, 0, "network", NULL},
	};

	(void)state;
	run("kannel", sms_kannel_classify, a, FG_NELEM(a));
}

static void
test_http(void **state)
{
	static const struct answer a[] = {
		{0, 200, "{\"id\": \"m-1\"}", 0, OK, 0, "HTTP 200", "m-1"},
		{0, 202, "{\"id\": \"m-2\", \"status\": \"queued\"}", 0, OK, 0,
		 "HTTP 202", "m-2"},
		{0, 400,
		 "{\"error\": {\"code\": \"invalid_number\", \"message\": "
		 "\"not a number\"}}",
		 0, PERM, 0, "invalid_number", NULL},
		{0, 403, "{\"error\": {\"code\": \"opted_out\"}}", 0, PERM, 0,
		 "opted_out", NULL},
		{0, 429, "{\"error\": {\"code\": \"throttled\"}}", 5, TEMP, 1,
		 "throttled", NULL},
		{0, 401, "{\"error\": {\"code\": \"bad_token\"}}", 0, TEMP, 1,
		 "bad_token", NULL},
		{0, 500, "<html>Internal Server Error</html>", 0, TEMP, 0,
		 "HTTP 500", NULL},
		{0, 400, "{\"error\": \"a string, not an object\"}", 0, TEMP, 0,
		 "HTTP 400", NULL},
		{CURLE_COULDNT_RESOLVE_HOST, 0, "", 0, TEMP, 1, "network",
		 NULL},
	};

	(void)state;
	run("http", sms_http_classify, a, FG_NELEM(a));
}

static void
test_twilio(void **state)
{
	static const struct answer sms[] = {
		{0, 201, "{\"sid\": \"SM123\", \"status\": \"queued\"}", 0, OK,
		 0, "HTTP 201", "SM123"},
		{0, 400,
		 "{\"code\": 21211, \"message\": \"Invalid 'To' Phone "
		 "Number\"}",
		 0, PERM, 0, "21211", NULL},
		{0, 400, "{\"code\": 21610, \"message\": \"unsubscribed\"}", 0,
		 PERM, 0, "21610", NULL},
		{0, 401, "{\"code\": 20003, \"message\": \"Authenticate\"}", 0,
		 TEMP, 1, "20003", NULL},
		{0, 429, "{\"code\": 20429, \"message\": \"Too Many\"}", 10,
		 TEMP, 1, "20429", NULL},
		/* a calls-only code: not this message's end on SMS */
		{0, 400, "{\"code\": 21217, \"message\": \"not a phone\"}", 0,
		 TEMP, 0, "21217", NULL},
		{0, 502, "Bad Gateway", 0, TEMP, 0, "HTTP 502", NULL},
	};
	static const struct answer voice[] = {
		{0, 201, "{\"sid\": \"CA9\"}", 0, OK, 0, "HTTP 201", "CA9"},
		{0, 400, "{\"code\": 21217, \"message\": \"not a phone\"}", 0,
		 PERM, 0, "21217", NULL},
		{0, 400, "{\"code\": 13224, \"message\": \"invalid number\"}",
		 0, PERM, 0, "13224", NULL},
		{0, 400, "{\"code\": 21614, \"message\": \"not a mobile\"}", 0,
		 TEMP, 0, "21614", NULL},
	};

	(void)state;
	run("twilio sms", sms_twilio_classify, sms, FG_NELEM(sms));
	run("twilio voice", voice_twilio_classify, voice, FG_NELEM(voice));
}

static void
test_fcm(void **state)
{
	static const struct answer a[] = {
		{0, 200, "{\"name\": \"projects/p/messages/0:1\"}", 0, OK, 0,
		 "HTTP 200", "projects/p/messages/0:1"},
		{0, 404,
		 "{\"error\": {\"code\": 404, \"status\": \"NOT_FOUND\", "
		 "\"details\": [{\"@type\": \"type.googleapis.com/"
		 "google.firebase.fcm.v1.FcmError\", \"errorCode\": "
		 "\"UNREGISTERED\"}]}}",
		 0, PERM, 0, "UNREGISTERED", NULL},
		{0, 400,
		 "{\"error\": {\"status\": \"INVALID_ARGUMENT\", \"message\": "
		 "\"bad token\"}}",
		 0, PERM, 0, "INVALID_ARGUMENT", NULL},
		{0, 429,
		 "{\"error\": {\"status\": \"RESOURCE_EXHAUSTED\", "
		 "\"details\": [{\"errorCode\": \"QUOTA_EXCEEDED\"}]}}",
		 60, TEMP, 1, "QUOTA_EXCEEDED", NULL},
		{0, 503, "{\"error\": {\"status\": \"UNAVAILABLE\"}}", 0, TEMP,
		 1, "UNAVAILABLE", NULL},
		{0, 401, "{\"error\": {\"status\": \"UNAUTHENTICATED\"}}", 0,
		 TEMP, 1, "UNAUTHENTICATED", NULL},
		{0, 500, "", 0, TEMP, 0, "HTTP 500", NULL},
		{0, 500, "{\"error\": {\"status\": \"INTERNAL\"}}", 0, TEMP, 0,
		 "INTERNAL", NULL},
	};

	(void)state;
	run("fcm", push_fcm_classify, a, FG_NELEM(a));
}

static void
test_smtp(void **state)
{
	static const struct {
		int code;
		const char *text;
		int enh[3];
		enum delivery_status want;
		int provider_wide;
		const char *rcode;
	} a[] = {
		{250,
		 "2.0.0 Ok: queued as 4F1",
		 {2, 0, 0},
		 OK,
		 0,
		 "SMTP 250 2.0.0"},
		{550,
		 "5.1.1 <x@example.com>: Recipient address rejected",
		 {5, 1, 1},
		 PERM,
		 0,
		 "SMTP 550 5.1.1"},
		/* the enhanced code only in the text (no ENHANCEDSTATUSCODES) */
		{550,
		 "5.1.1 user unknown",
		 {0, 0, 0},
		 PERM,
		 0,
		 "SMTP 550 5.1.1"},
		{552,
		 "5.2.2 mailbox full",
		 {5, 2, 2},
		 PERM,
		 0,
		 "SMTP 552 5.2.2"},
		{452,
		 "4.2.2 mailbox full, try later",
		 {4, 2, 2},
		 TEMP,
		 0,
		 "SMTP 452 4.2.2"},
		/* the relay's own policy: not this address's fault */
		{554,
		 "5.7.1 Relay access denied",
		 {5, 7, 1},
		 TEMP,
		 1,
		 "SMTP 554 5.7.1"},
		{550,
		 "5.7.1 Service unavailable; client host blocked",
		 {5, 7, 1},
		 TEMP,
		 1,
		 "SMTP 550 5.7.1"},
		{451,
		 "4.3.0 Temporary lookup failure",
		 {4, 3, 0},
		 TEMP,
		 1,
		 "SMTP 451 4.3.0"},
		{535,
		 "Authentication credentials invalid",
		 {0, 0, 0},
		 TEMP,
		 1,
		 "SMTP 535"},
		{421,
		 "Service not available, closing channel",
		 {0, 0, 0},
		 TEMP,
		 0,
		 "SMTP 421"},
		{550,
		 "Requested action not taken",
		 {0, 0, 0},
		 PERM,
		 0,
		 "SMTP 550"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < FG_NELEM(a); i++) {
		struct delivery_result res;

		memset(&res, 0x5a, sizeof(res));
		email_smtp_classify(a[i].code, a[i].text, a[i].enh[0],
				    a[i].enh[1], a[i].enh[2], &res);
		if (res.status != a[i].want ||
		    res.provider_wide != a[i].provider_wide ||
		    strcmp(res.code, a[i].rcode) != 0)
			fail_msg("smtp, reply %zu (%d %s): got %d wide=%d "
				 "code=%s",
				 i, a[i].code, a[i].text, res.status,
				 res.provider_wide, res.code);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kannel), cmocka_unit_test(test_http),
		cmocka_unit_test(test_twilio), cmocka_unit_test(test_fcm),
		cmocka_unit_test(test_smtp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
