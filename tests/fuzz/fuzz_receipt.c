/*
 * fuzz_receipt.c: the receipt parsers of the adapters that take receipts
 * (generic HTTP JSON, Kannel's dlr-url, Twilio's signed callbacks for SMS
 * and calls) on any request: the first byte picks the adapter, the rest is
 * the body, also read as a form and as the query string. A parser answers
 * a receipt or a refusal with a reason, and never crashes.
 */
#include <ev.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/config.h"
#include "channels/channel.h"
#include "net/httpc.h"
#include "net/httpd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char conf[] =
	"[database]\nsocket = /nonexistent\n\n"
	"[receipts]\npublic_url = https://feegate.example\n\n"
	"[provider:gen]\ntype = http\nurl = http://127.0.0.1:1/v1/sms\n\n"
	"[provider:kan]\ntype = kannel\nurl = http://127.0.0.1:1/cgi-bin/"
	"sendsms\nusername = u\npassword_file = %s\n\n"
	"[provider:tws]\ntype = twilio\naccount_sid = AC1\n"
	"auth_token_file = %s\nfrom = +8610000\napi_url = http://127.0.0.1:1\n\n"
	"[provider:twv]\ntype = twilio\naccount_sid = AC1\n"
	"auth_token_file = %s\nfrom = +8657100\napi_url = http://127.0.0.1:1\n";

static struct channel *channels[4];

static void
open_all(void)
{
	static struct config cfg;
	struct channel_env env = {0};
	char secret[] = "/tmp/feegate-fuzz-secret-XXXXXX";
	char path[] = "/tmp/feegate-fuzz-receipt-XXXXXX";
	struct fg_err err;
	FILE *fp;
	int fd;

	fd = mkstemp(secret);
	if (fd < 0 || write(fd, "s3cret\n", 7) != 7)
		abort();
	close(fd);
	fd = mkstemp(path);
	fp = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (fp == NULL)
		abort();
	fprintf(fp, conf, secret, secret, secret);
	fclose(fp);
	if (config_load(&cfg, path, &err) != 0) {
		fprintf(stderr, "fuzz_receipt: %s\n", err.msg);
		abort();
	}
	unlink(path);
	env.loop = ev_default_loop(0);
	env.http = httpc_new(env.loop);
	env.public_url = cfg.receipts.public_url;
	env.config_path = cfg.path;
	channels[0] = channel_open(&cfg, "gen", CHANNEL_SMS, &env, &err);
	channels[1] = channel_open(&cfg, "kan", CHANNEL_SMS, &env, &err);
	channels[2] = channel_open(&cfg, "tws", CHANNEL_SMS, &env, &err);
	channels[3] = channel_open(&cfg, "twv", CHANNEL_VOICE, &env, &err);
	unlink(secret);
	if (!channels[0] || !channels[1] || !channels[2] || !channels[3]) {
		fprintf(stderr, "fuzz_receipt: %s\n", err.msg);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kv_list form = {0}, headers = {0};
	struct http_request req = {0};
	struct channel *ch;
	struct receipt r[4];
	int n;
	struct fg_err err;
	char *body;

	if (channels[0] == NULL)
		open_all();
	if (size < 1)
		return 0;
	ch = channels[data[0] % 4];
	body = malloc(size);
	memcpy(body, data + 1, size - 1);
	body[size - 1] = '\0';
	httpd_parse_form(body, size - 1, &form);
	kv_add(&headers, "X-Twilio-Signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	kv_add(&headers, "Content-Type", "application/x-www-form-urlencoded");
	req.method = "POST";
	req.url = "/receipts/x?id=1&t=abc";
	req.path = "/receipts/x";
	req.query = form.kv; /* the same pairs as the query string too */
	req.nquery = form.n;
	req.form = form.kv;
	req.nform = form.n;
	req.headers = headers.kv;
	req.nheaders = headers.n;
	req.body = body;
	req.body_len = size - 1;
	memset(r, 0, sizeof(r));
	n = ch->ops->receipt(ch, &req, r, FG_NELEM(r), &err);
	if (n < 0 && err.msg[0] == '\0')
		abort(); /* a refusal says why */
	if (n == 0 || n > (int)FG_NELEM(r))
		abort(); /* at least one, never more than room for */
	kv_free(&form);
	kv_free(&headers);
	free(body);
	return 0;
}
