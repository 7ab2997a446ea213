/*
 * scrape.c: see scrape.h.
 */
#include "serve/scrape.h"

#include <stdlib.h>
#include <string.h>

#include "base/dates.h"
#include "base/log.h"
#include "net/httpd.h"
#include "send/metrics.h"
#include "serve/api.h"
#include "store/db.h"

struct scrape {
	const struct config *cfg;
	struct MHD_Daemon *mhd;
	struct db db;      /* used on the listener's one thread only */
	int open;          /* loopback: no token asked */
	double now_offset; /* serve --now: the queue due as serve sees it */
};

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
       const char *version, const char *upload, size_t *upload_size,
       void **con_cls)
{
	struct scrape *s = cls;
	struct httpd_body *cn;
	char now[TIME_LEN], date[DATE_LEN];
	struct fg_err err;
	struct sbuf out;
	const char *who;
	enum MHD_Result ret;

	(void)version;
	if (httpd_receive(c, con_cls, upload, upload_size, 0, &cn))
		return MHD_YES;
	if (strcmp(url, "/metrics") != 0)
		return httpd_reply(c, 404, "text/plain", "no such endpoint\n",
				   17, NULL);
	if (strcmp(method, "GET") != 0)
		return httpd_reply(c, 405, "text/plain", "use GET\n", 8, NULL);
	if (!s->open &&
	    !(api_scopes(s->cfg,
			 MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     "Authorization"),
			 &who) &
	      API_SCOPE_METRICS_READ)) {
		metrics_api_refused(0);
		return httpd_reply(c, 401, "text/plain",
				   "a token with metrics:read is needed\n", 36,
				   "WWW-Authenticate",
				   "Bearer realm=\"feegate\"", NULL);
	}
	wall_text(wall_clock(s->now_offset), now, date, NULL);
	sbuf_init(&out);
	if (metrics_render(&s->db, now, &out, &err) != 0) {
		log_warnx("metrics: %s", err.msg);
		sbuf_free(&out);
		return httpd_reply(c, 503, "text/plain", "try again\n", 10,
				   NULL);
	}
	ret = httpd_reply(c, 200, "text/plain; version=0.0.4", out.s, out.len,
			  NULL);
	sbuf_free(&out);
	return ret;
}

struct scrape *
scrape_start(const struct config *cfg, double now_offset, struct fg_err *err)
{
	struct scrape *s = xcalloc(1, sizeof(*s));

	s->cfg = cfg;
	s->now_offset = now_offset;
	s->open = strncmp(cfg->metrics.listen, "127.", 4) == 0;
	if (db_connect(&s->db, cfg, 1, err) != 0) {
		free(s);
		return NULL;
	}
	s->mhd = httpd_start("[metrics]", cfg->metrics.listen,
			     cfg->metrics.port, 16u, 0, handle, s, err);
	if (s->mhd == NULL) {
		db_close(&s->db);
		free(s);
		return NULL;
	}
	if (!s->open && !config_api_enabled(cfg))
		log_warnx("metrics: listening on %s, which is not loopback, "
			  "and no token can open it: give Prometheus one "
			  "(feegate token add prometheus --scope metrics:read)",
			  cfg->metrics.listen);
	return s;
}

void
scrape_stop(struct scrape *s)
{
	if (s == NULL)
		return;
	MHD_stop_daemon(s->mhd);
	db_close(&s->db);
	free(s);
}
