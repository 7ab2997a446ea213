/*
 * web.c: see web.h. One libmicrohttpd thread with its own database
 * connection: a call centre's few dozen agents are served one request at a
 * time, each a handful of indexed queries.
 */
#include "serve/web.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/dates.h"
#include "base/escape.h"
#include "base/log.h"
#include "base/mask.h"
#include "base/money.h"
#include "net/httpd.h"
#include "store/audit.h"
#include "store/db.h"
#include "store/report.h"
#include "store/staff.h"
#include "store/tasks.h"
#include "store/timeline.h"

#define WEB_MAX_BODY    16384
#define COOKIE          "fg_session"
#define FAIL_WINDOW_MIN 15 /* minutes failures are counted over */
#define FAIL_PER_USER   5
#define FAIL_PER_REMOTE 20

struct web {
	struct MHD_Daemon *mhd;
	const struct config *cfg;
	struct db db;
	double now_offset;
};

/* A request as the pages see it. */
struct req {
	struct web *w;
	struct MHD_Connection *c;
	const char *method, *path;
	struct kv_list query, form;
	char remote[64];
	char now[TIME_LEN];  /* UTC, as the database keeps times */
	char date[DATE_LEN]; /* the local business date */
	/* The session, when there is one. */
	struct staff_member who;
	char csrf[33];
	int logged_in;
};

/* --- HTML ------------------------------------------------------------ */

/* Text from anywhere (billing, staff, providers) into the page: cleaned
 * to UTF-8 without control characters, then escaped. */
static void
esc(struct sbuf *b, const char *s)
{
	char *clean = utf8_clean(s ? s : "", s ? strlen(s) : 0, 1);

	escape_add(b, clean, PART_HTML);
	free(clean);
}

static void
page_start(struct sbuf *b, const struct req *r, const char *title)
{
	sbuf_adds(b, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head>"
		     "<meta charset=\"utf-8\"><title>");
	esc(b, title);
	sbuf_adds(
		b,
		" · feegate</title><style>"
		"body{font-family:sans-serif;margin:1.5em;max-width:70em}"
		"table{border-collapse:collapse}"
		"td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}"
		".late{color:#a00}.muted{color:#666}"
		"</style></head><body>\n");
	if (r->logged_in) {
		sbuf_adds(b, "<form method=\"post\" action=\"/logout\" "
			     "style=\"float:right\">");
		esc(b, r->who.display_name);
		sbuf_adds(b, " (");
		esc(b, r->who.role);
		sbuf_adds(b, ") <input type=\"hidden\" name=\"csrf\" value=\"");
		esc(b, r->csrf);
		sbuf_adds(b, "\"><button>退出 Log out</button></form>"
			     "<p><a href=\"/\">查询 Search</a> · "
			     "<a href=\"/tasks\">收费任务 Tasks</a> · "
			     "<a href=\"/reports\">报表 Reports</a></p>\n");
	}
	sbuf_adds(b, "<h1>");
	esc(b, title);
	sbuf_adds(b, "</h1>\n");
}

static enum MHD_Result
send_page(struct req *r, unsigned int status, struct sbuf *b)
{
	enum MHD_Result ret;

	sbuf_adds(b, "</body></html>\n");
	ret = httpd_reply(r->c, status, "text/html; charset=utf-8", b->s,
			  b->len, "Cache-Control", "no-store",
			  "X-Frame-Options", "DENY", "Content-Security-Policy",
			  "default-src 'none'; style-src 'unsafe-inline'; "
			  "img-src data:; form-action 'self'",
			  NULL);
	sbuf_free(b);
	return ret;
}

static enum MHD_Result
redirect(struct req *r, const char *to, const char *cookie)
{
	return httpd_reply(r->c, 303, "text/plain", "", 0, "Location", to,
			   cookie ? "Set-Cookie" : NULL, cookie, NULL);
}

static enum MHD_Result
message_page(struct req *r, unsigned int status, const char *title,
	     const char *text)
{
	struct sbuf b;

	sbuf_init(&b);
	page_start(&b, r, title);
	sbuf_adds(&b, "<p>");
	esc(&b, text);
	sbuf_adds(&b, "</p>\n");
	return send_page(r, status, &b);
}

/* --- the access log --------------------------------------------------- */

static void
access_log(struct req *r, const char *action, const char *account,
	   const char *detail)
{
	struct fg_err err;

	if (db_exec(&r->w->db,
		    "INSERT INTO access_log (at, staff_id, username, remote,"
		    " action, account_no, detail)"
		    " VALUES (?, NULLIF(?, 0), ?, ?, ?, ?, ?)",
		    DB_ARGS(DB_STR(r->now), DB_INT((long long)r->who.id),
			    DB_STR(r->who.username), DB_STR(r->remote),
			    DB_STR(action), account ? DB_STR(account) : DB_NULL,
			    detail ? DB_STR(detail) : DB_NULL),
		    NULL, &err) != 0)
		log_warnx("web: access log: %s", err.msg);
}

/* --- sessions --------------------------------------------------------- */

/* Session tokens from libsodium, which cannot fail once started. */
static void
random_token(char *out, size_t bytes)
{
	unsigned char buf[32];

	randombytes_buf(buf, bytes);
	hex_encode(buf, bytes, out);
	sodium_memzero(buf, sizeof(buf));
}

static int
session_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct req *r = arg;

	(void)err;
	r->who.id = strtoull(row->val[0], NULL, 10);
	str_copy(r->who.username, row->val[1], sizeof(r->who.username));
	str_copy(r->who.display_name, row->val[2], sizeof(r->who.display_name));
	str_copy(r->who.role, row->val[3], sizeof(r->who.role));
	str_copy(r->who.grid_id, row->val[4] ? row->val[4] : "",
		 sizeof(r->who.grid_id));
	str_copy(r->csrf, row->val[5], sizeof(r->csrf));
	r->logged_in = 1;
	return 0;
}

/* The session of the cookie, if it is alive: touched, and r->who set. */
static int
session_load(struct req *r, struct fg_err *err)
{
	const char *tok =
		MHD_lookup_connection_value(r->c, MHD_COOKIE_KIND, COOKIE);
	char hash[65];

	if (tok == NULL || strlen(tok) != 64)
		return 0;
	sha256_hex(tok, strlen(tok), hash);
	if (db_query(&r->w->db, DB_BUFFERED,
		     "SELECT t.staff_id, t.username, t.display_name, t.role,"
		     " t.grid_id, s.csrf"
		     " FROM staff_sessions s JOIN staff t"
		     "  ON t.staff_id = s.staff_id"
		     " WHERE s.token_hash = ? AND t.disabled = 0"
		     "  AND s.last_seen > DATE_SUB(?, INTERVAL ? MINUTE)"
		     "  AND s.created_at > DATE_SUB(?, INTERVAL ? HOUR)",
		     DB_ARGS(DB_STR(hash), DB_STR(r->now),
			     DB_INT(r->w->cfg->web.idle_minutes),
			     DB_STR(r->now),
			     DB_INT(r->w->cfg->web.session_hours)),
		     session_cb, r, err) != 0)
		return -1;
	if (r->logged_in &&
	    db_exec(&r->w->db,
		    "UPDATE staff_sessions SET last_seen = ?"
		    " WHERE token_hash = ?",
		    DB_ARGS(DB_STR(r->now), DB_STR(hash)), NULL, err) != 0)
		return -1;
	return 0;
}

static int
csrf_ok(const struct req *r)
{
	const char *given = kv_get(&r->form, "csrf");

	return r->logged_in && given != NULL && strlen(given) == 32 &&
	       CRYPTO_memcmp(given, r->csrf, 32) == 0;
}

static char *
cookie(const struct req *r, const char *value, int max_age)
{
	return xasprintf("%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s", COOKIE,
			 value, r->w->cfg->web.secure_cookies ? "; Secure" : "",
			 max_age == 0 ? "; Max-Age=0" : "");
}

/* --- pages ------------------------------------------------------------- */

static enum MHD_Result
login_form(struct req *r, unsigned int status, const char *problem)
{
	struct sbuf b;

	sbuf_init(&b);
	page_start(&b, r, "登录 Log in");
	if (problem != NULL) {
		sbuf_adds(&b, "<p class=\"late\">");
		esc(&b, problem);
		sbuf_adds(&b, "</p>\n");
	}
	sbuf_adds(&b, "<form method=\"post\" action=\"/login\">"
		      "<p><label>用户名 User <input name=\"user\" "
		      "autocomplete=\"username\" required></label></p>"
		      "<p><label>密码 Password <input name=\"password\" "
		      "type=\"password\" autocomplete=\"current-password\" "
		      "required></label></p>"
		      "<p><button>登录 Log in</button></p></form>\n");
	return send_page(r, status, &b);
}

/* The login form has no session, so no CSRF token: a login posted from
 * another site's page (login CSRF: the agent working under the
 * attacker's account) is told by the Origin a browser sends with every
 * POST, which must name this server (the Host it was asked as). Clients
 * that send no Origin (scripts) are not browsers on another page. */
static int
same_origin(const struct req *r)
{
	const char *origin =
		MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "Origin");
	const char *host =
		MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "Host");

	if (origin == NULL)
		return 1;
	if (strncmp(origin, "https://", 8) == 0)
		origin += 8;
	else if (strncmp(origin, "http://", 7) == 0)
		origin += 7;
	else
		return 0; /* "null" (a sandboxed page), or worse */
	return host != NULL && strcasecmp(origin, host) == 0;
}

/* Failed logins within FAIL_WINDOW_MIN by the user name or the remote
 * address (column: "username" or "remote"). */
static int
failures(struct req *r, const char *column, const char *value, long *n,
	 struct fg_err *err)
{
	char sql[200], v[16];
	int found;

	snprintf(sql, sizeof(sql),
		 "SELECT COUNT(*) FROM staff_login_failures WHERE %s = ?"
		 "  AND at > DATE_SUB(?, INTERVAL ? MINUTE)",
		 strcmp(column, "remote") == 0 ? "remote" : "username");
	if (db_query_value(&r->w->db, sql,
			   DB_ARGS(DB_STR(value), DB_STR(r->now),
				   DB_INT(FAIL_WINDOW_MIN)),
			   v, sizeof(v), &found, err) != 0)
		return -1;
	*n = strtol(v, NULL, 10);
	return 0;
}

static enum MHD_Result
login(struct req *r)
{
	const char *user = kv_get(&r->form, "user");
	const char *pw = kv_get(&r->form, "password");
	char tok[65], hash[65], csrf[33], *set;
	struct staff_member m;
	struct fg_err err;
	enum MHD_Result ret;
	int rc;
	long by_user = 0, by_remote = 0;

	if (!same_origin(r)) {
		access_log(r, "login_cross_site", NULL, NULL);
		return message_page(r, 403, "请求被拒绝 Refused",
				    "从其他网站提交的登录 A login posted from "
				    "another site");
	}
	if (user == NULL || pw == NULL || strlen(user) > 64)
		return login_form(r, 400,
				  "用户名和密码 User and password, please");
	if (failures(r, "username", user, &by_user, &err) != 0 ||
	    failures(r, "remote", r->remote, &by_remote, &err) != 0)
		goto trouble;
	if (by_user >= FAIL_PER_USER || by_remote >= FAIL_PER_REMOTE) {
		str_copy(r->who.username, user, sizeof(r->who.username));
		access_log(r, "login_throttled", NULL, NULL);
		return login_form(r, 429,
				  "登录失败次数过多，请15分钟后再试 Too many "
				  "failed logins: try again in 15 minutes");
	}
	rc = staff_check_password(&r->w->db, user, pw, &m, &err);
	if (rc < 0)
		goto trouble;
	if (rc == 0) {
		if (db_exec(&r->w->db,
			    "INSERT INTO staff_login_failures (username,"
			    " remote, at) VALUES (?, ?, ?)",
			    DB_ARGS(DB_STR(user), DB_STR(r->remote),
				    DB_STR(r->now)),
			    NULL, &err) != 0)
			goto trouble;
		str_copy(r->who.username, user, sizeof(r->who.username));
		access_log(r, "login_failed", NULL, NULL);
		return login_form(
			r, 401,
			"用户名或密码不正确 Wrong user name or password");
	}
	random_token(tok, 32);
	random_token(csrf, 16);
	sha256_hex(tok, strlen(tok), hash);
	if (db_exec(&r->w->db,
		    "INSERT INTO staff_sessions (token_hash, staff_id, csrf,"
		    " created_at, last_seen) VALUES (?, ?, ?, ?, ?)",
		    DB_ARGS(DB_STR(hash), DB_INT((long long)m.id), DB_STR(csrf),
			    DB_STR(r->now), DB_STR(r->now)),
		    NULL, &err) != 0)
		goto trouble;
	r->who = m;
	access_log(r, "login", NULL, NULL);
	set = cookie(r, tok, -1);
	sodium_memzero(tok, sizeof(tok));
	ret = redirect(r, "/", set);
	free(set);
	return ret;
trouble:
	log_warnx("web: login: %s", err.msg);
	return message_page(r, 503, "请稍后再试 Try again",
			    "数据库暂时不可用 The database is unavailable");
}

static enum MHD_Result
logout(struct req *r)
{
	const char *tok =
		MHD_lookup_connection_value(r->c, MHD_COOKIE_KIND, COOKIE);
	char hash[65], *set;
	struct fg_err err;
	enum MHD_Result ret;

	if (tok != NULL && strlen(tok) == 64) {
		sha256_hex(tok, strlen(tok), hash);
		if (db_exec(&r->w->db,
			    "DELETE FROM staff_sessions WHERE token_hash = ?",
			    DB_ARGS(DB_STR(hash)), NULL, &err) != 0)
			log_warnx("web: logout: %s", err.msg);
	}
	access_log(r, "logout", NULL, NULL);
	set = cookie(r, "", 0);
	ret = redirect(r, "/login", set);
	free(set);
	return ret;
}

static void
search_form(struct sbuf *b, const struct req *r)
{
	/* A POST: a phone number is never in a URL (proxy logs, history,
	 * Referer), and the session's CSRF token goes with it. */
	sbuf_adds(b, "<form method=\"post\" action=\"/search\">"
		     "<input type=\"hidden\" name=\"csrf\" value=\"");
	esc(b, r->csrf);
	sbuf_adds(b, "\"><p><label>户号或电话 Account or phone <input "
		     "name=\"q\" required></label> <button>查询 Search</button>"
		     "</p></form>\n");
}

static enum MHD_Result
home(struct req *r)
{
	struct sbuf b;

	sbuf_init(&b);
	page_start(&b, r, "客户查询 Customer search");
	search_form(&b, r);
	return send_page(r, 200, &b);
}

/* Only the accounts of grid: a collector's search. */
static int
grid_only(struct db *db, const char *grid, json_t *accounts, struct fg_err *err)
{
	size_t i;
	int found;

	for (i = json_array_size(accounts); i-- > 0;) {
		const char *acct = json_string_value(
			json_object_get(json_array_get(accounts, i),
					"account_no"));
		char v[8];

		if (db_query_value(
			    db,
			    "SELECT 1 FROM (SELECT ? AS k) p"
			    " JOIN {B}.billing_customers c"
			    "  ON {=customers.account_no c.account_no p.k}"
			    " WHERE {T customers.grid_id c.grid_id} = ?",
			    DB_ARGS(DB_STR(acct), DB_STR(grid)), v, sizeof(v),
			    &found, err) != 0)
			return -1;
		if (!found)
			json_array_remove(accounts, i);
	}
	return 0;
}

static enum MHD_Result
search(struct req *r)
{
	const char *q = kv_get(&r->form, "q");
	char phone[32], *shown;
	json_t *accounts = json_array(), *a;
	struct fg_err err;
	struct sbuf b;
	size_t i;
	int found = 0, collector = strcmp(r->who.role, "collector") == 0;

	if (q == NULL || *q == '\0' || strlen(q) > 64) {
		json_decref(accounts);
		return redirect(r, "/", NULL);
	}
	/* An account number first; else a phone number, matched against the
	 * stored number but never shown in full. */
	if (timeline_exists(&r->w->db, q, &found, &err) != 0)
		goto trouble;
	if (found) {
		json_array_append_new(accounts,
				      json_pack("{s:s}", "account_no", q));
		shown = xstrdup(q);
	} else if (timeline_phone_query(q, phone, sizeof(phone))) {
		if (timeline_find_accounts(&r->w->db, phone, accounts, &err) !=
		    0)
			goto trouble;
		shown = mask_address_as(ADDRESS_PHONE, phone);
	} else {
		shown = xstrdup("(not an account or phone number)");
	}
	/* A collector finds only the customers of the grid they work (and
	 * opens none of them: no customer pages for collectors). */
	if (collector &&
	    grid_only(&r->w->db, r->who.grid_id, accounts, &err) != 0) {
		free(shown);
		goto trouble;
	}
	access_log(r, "search", NULL, shown);
	sbuf_init(&b);
	page_start(&b, r, "查询结果 Search results");
	search_form(&b, r);
	sbuf_adds(&b, "<p>查询 Searched: ");
	esc(&b, shown);
	free(shown);
	sbuf_adds(&b, "</p>\n<ul>\n");
	json_array_foreach(accounts, i, a)
	{
		const char *acct =
			json_string_value(json_object_get(a, "account_no"));

		if (collector) {
			sbuf_adds(&b, "<li>");
			esc(&b, acct);
			sbuf_adds(&b, "</li>\n");
			continue;
		}
		sbuf_adds(&b, "<li><a href=\"/customer/");
		esc(&b, acct);
		sbuf_adds(&b, "\">");
		esc(&b, acct);
		sbuf_adds(&b, "</a></li>\n");
	}
	if (json_array_size(accounts) == 0)
		sbuf_adds(&b, "<li>没有找到 Nothing found</li>\n");
	sbuf_adds(&b, "</ul>\n");
	json_decref(accounts);
	return send_page(r, 200, &b);
trouble:
	json_decref(accounts);
	log_warnx("web: search: %s", err.msg);
	return message_page(r, 503, "请稍后再试 Try again",
			    "数据库暂时不可用 The database is unavailable");
}

static const char *
str_of(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

/* Under a message: each attempt and receipt the audit trail holds for it
 * (time, what, provider's code, reference, text). */
static void
message_events(struct sbuf *b, const json_t *audit, json_int_t message_id)
{
	const json_t *e, *d;
	size_t i;

	json_array_foreach(audit, i, e)
	{
		const char *ev = str_of(e, "event");

		if (json_integer_value(json_object_get(e, "message_id")) !=
			    message_id ||
		    (strcmp(ev, "message_attempt") != 0 &&
		     strcmp(ev, "receipt") != 0))
			continue;
		d = json_object_get(e, "detail");
		sbuf_adds(b, "<tr class=\"muted\"><td></td><td colspan=\"7\">");
		esc(b, str_of(e, "at"));
		sbuf_adds(b, " · ");
		esc(b, strcmp(ev, "receipt") == 0 ? "回执 receipt"
						  : "发送 attempt");
		sbuf_adds(b, " · ");
		esc(b, str_of(d, strcmp(ev, "receipt") == 0 ? "status"
							    : "result"));
		sbuf_adds(b, " · ");
		esc(b, str_of(d, "code"));
		if (*str_of(d, "ref")) {
			sbuf_adds(b, " · ");
			esc(b, str_of(d, "ref"));
		}
		if (*str_of(d, "text")) {
			sbuf_adds(b, " · ");
			esc(b, str_of(d, "text"));
		}
		sbuf_adds(b, "</td></tr>\n");
	}
}

static void
messages_table(struct sbuf *b, const json_t *n, const json_t *audit)
{
	const json_t *m;
	size_t k;

	if (json_array_size(json_object_get(n, "messages")) == 0)
		return;
	sbuf_adds(b, "<table><tr><th>消息 Message</th><th>渠道 Channel</th>"
		     "<th>地址 Address</th><th>状态 State</th>"
		     "<th>尝试 Attempts</th><th>服务商编号 Provider ref</th>"
		     "<th>错误 Error</th><th>更新 Updated (UTC)</th></tr>\n");
	json_array_foreach(json_object_get(n, "messages"), k, m)
	{
		sbuf_addf(b, "<tr><td>%lld</td><td>",
			  (long long)json_integer_value(
				  json_object_get(m, "message_id")));
		esc(b, str_of(m, "channel"));
		sbuf_adds(b, "</td><td>");
		esc(b, str_of(m, "address"));
		sbuf_adds(b, "</td><td>");
		esc(b, str_of(m, "state"));
		sbuf_addf(b, "</td><td>%lld</td><td>",
			  (long long)json_integer_value(
				  json_object_get(m, "attempts")));
		esc(b, str_of(m, "provider_ref"));
		sbuf_adds(b, "</td><td>");
		esc(b, str_of(m, "last_error"));
		sbuf_adds(b, "</td><td>");
		esc(b, str_of(m, "updated_at"));
		sbuf_adds(b, "</td></tr>\n");
		message_events(b, audit,
			       json_integer_value(
				       json_object_get(m, "message_id")));
	}
	sbuf_adds(b, "</table>\n");
}

static enum MHD_Result customer(struct req *r, const char *account);

struct contacts_ctx {
	struct sbuf *b;
	const struct req *r;
	const char *reveal; /* the contact_id to show in full, or NULL */
};

static int
contact_row(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct contacts_ctx *x = arg;
	int full = x->reveal != NULL && strcmp(row->val[0], x->reveal) == 0;
	char *masked = mask_address(row->val[1] ? row->val[1] : "",
				    row->val[2] ? row->val[2] : "");

	(void)err;
	sbuf_adds(x->b, "<tr><td>");
	esc(x->b, row->val[0]);
	sbuf_adds(x->b, "</td><td>");
	esc(x->b, row->val[1]);
	sbuf_adds(x->b, "</td><td>");
	esc(x->b, full ? row->val[2] : masked);
	if (full)
		sbuf_adds(x->b, " <b class=\"late\">(已查看 revealed)</b>");
	sbuf_adds(x->b, "</td><td>");
	esc(x->b, row->val[3]);
	sbuf_adds(x->b, "</td><td>");
	esc(x->b, row->val[4]);
	sbuf_adds(x->b, "</td><td>");
	sbuf_adds(x->b, strcmp(row->val[5], "0") ? "是 yes" : "否 no");
	sbuf_adds(x->b, "</td></tr>\n");
	free(masked);
	return 0;
}

/* The customer's contacts, masked (one in full after a supervisor's
 * reveal), and for a supervisor the form to reveal one. */
static int
contacts_section(const struct req *r, const char *account, struct sbuf *b,
		 struct fg_err *err)
{
	struct contacts_ctx x = {b, r, NULL};

	if (strcmp(r->method, "POST") == 0)
		x.reveal = kv_get(&r->form, "contact_id");
	sbuf_adds(b, "<h2>联系方式 Contacts</h2>\n<table><tr><th>编号 Id</th>"
		     "<th>渠道 Channel</th><th>地址 Address</th>"
		     "<th>角色 Role</th><th>优先级 Priority</th>"
		     "<th>同意 Consent</th></tr>\n");
	if (db_query(&r->w->db, DB_BUFFERED,
		     "SELECT c.contact_id, c.channel, c.address, c.role,"
		     " c.priority, c.consent"
		     " FROM (SELECT ? AS k) p JOIN {B}.billing_contacts c"
		     "  ON {=contacts.account_no c.account_no p.k}"
		     " ORDER BY c.priority, c.contact_id",
		     DB_ARGS(DB_STR(account)), contact_row, &x, err) != 0)
		return -1;
	sbuf_adds(b, "</table>\n");
	if (strcmp(r->who.role, "supervisor") != 0)
		return 0;
	sbuf_adds(b, "<form method=\"post\" action=\"/customer/");
	esc(b, account);
	sbuf_adds(b, "/reveal\"><p>查看完整号码 Reveal in full: <label>编号 Id "
		     "<input name=\"contact_id\" size=\"8\" required></label> "
		     "<label>原因 Reason <input name=\"reason\" size=\"40\" "
		     "minlength=\"5\" maxlength=\"200\" required></label> "
		     "<input type=\"hidden\" name=\"csrf\" value=\"");
	esc(b, r->csrf);
	sbuf_adds(b, "\"><button>查看 Reveal</button></p></form>\n");
	return 0;
}

/* A supervisor reveals one contact's address, with a reason: an audit
 * row and an access-log row, then the page with it in full. */
static enum MHD_Result
reveal(struct req *r, const char *account)
{
	const char *id = kv_get(&r->form, "contact_id");
	const char *reason = kv_get(&r->form, "reason");
	struct audit_batch *w;
	struct fg_err err;
	char v[8], *clean, *detail;
	json_t *d;
	int found;

	if (strcmp(r->who.role, "supervisor") != 0) {
		access_log(r, "reveal_refused", account, NULL);
		return message_page(
			r, 403, "无权限 Not allowed",
			"只有主管可以查看完整号码 Only a supervisor "
			"may reveal a number");
	}
	if (id == NULL || reason == NULL || strlen(id) > 19 ||
	    strspn(id, "0123456789") != strlen(id) || !*id ||
	    utf8_len(reason, strlen(reason)) < 5 || strlen(reason) > 600)
		return message_page(
			r, 400, "请填写原因 A reason, please",
			"联系方式编号和至少5个字的原因 A contact id "
			"and a reason of at least 5 characters");
	if (db_query_value(&r->w->db,
			   "SELECT 1 FROM (SELECT ? AS k) p"
			   " JOIN {B}.billing_contacts c"
			   "  ON {=contacts.account_no c.account_no p.k}"
			   " WHERE c.contact_id = ?",
			   DB_ARGS(DB_STR(account),
				   DB_INT(strtoll(id, NULL, 10))),
			   v, sizeof(v), &found, &err) != 0)
		goto trouble;
	if (!found)
		return message_page(r, 404, "没有这个联系方式 No such contact",
				    id);
	clean = utf8_clean(reason, strlen(reason), 1);
	d = json_pack("{s:s, s:I, s:s}", "staff", r->who.username, "contact_id",
		      (json_int_t)strtoll(id, NULL, 10), "reason", clean);
	free(clean);
	detail = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	w = audit_batch_new();
	audit_batch_add(w, "address_revealed", account, 0, 0, 0, 0, detail);
	free(detail);
	if (db_begin(&r->w->db, &err) != 0 ||
	    audit_batch_write(&r->w->db, w, "web", r->date, &err) != 0 ||
	    db_commit(&r->w->db, &err) != 0) {
		db_rollback(&r->w->db);
		audit_batch_free(w);
		goto trouble;
	}
	audit_batch_free(w);
	access_log(r, "reveal", account, id);
	return customer(r, account);
trouble:
	log_warnx("web: reveal: %s", err.msg);
	return message_page(r, 503, "请稍后再试 Try again",
			    "数据库暂时不可用 The database is unavailable");
}

static int
check_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct sbuf *b = arg;

	(void)err;
	sbuf_adds(b,
		  strcmp(row->val[1], "1") == 0
			  ? "<span id=\"chain\">审计链完整 Chain intact</span>"
			  : "<span id=\"chain\" class=\"late\">审计链被改动 "
			    "CHAIN BROKEN</span>");
	sbuf_adds(b, " (");
	esc(b, row->val[3]);
	sbuf_adds(b, "; ");
	esc(b, row->val[2]);
	sbuf_adds(b, " rows; checked ");
	esc(b, row->val[0]);
	sbuf_adds(b, " UTC)");
	return 0;
}

/* How the chain stood at the last `feegate audit verify`. */
static void
audit_status(struct req *r, struct sbuf *b)
{
	struct fg_err err;
	size_t before = b->len;

	if (db_query(&r->w->db, DB_BUFFERED,
		     "SELECT DATE_FORMAT(checked_at, '%Y-%m-%d %H:%i:%s'),"
		     " intact, rows_seen, summary FROM audit_checks"
		     " ORDER BY check_id DESC LIMIT 1",
		     DB_NOARGS, check_cb, b, &err) != 0)
		log_warnx("web: audit status: %s", err.msg);
	if (b->len == before)
		sbuf_adds(b, "<span id=\"chain\">审计链尚未检查 Chain not "
			     "checked yet (feegate audit verify)</span>");
}

/* A notice's state as an agent reads it (timeline.c's notice_status):
 * "已送达 · 7天后仍未缴费 delivered · unpaid after 7 days". */
static void
notice_words(struct sbuf *b, const json_t *n)
{
	sbuf_adds(b, "<span class=\"status\">");
	esc(b, str_of(n, "status_zh"));
	sbuf_adds(b, " ");
	esc(b, str_of(n, "status"));
	sbuf_adds(b, "</span>");
}

/* A section's heading, and "None" under it when its list is empty; the
 * list. */
static const json_t *
section_start(struct sbuf *b, const json_t *t, const char *key,
	      const char *title)
{
	const json_t *list = json_object_get(t, key);

	sbuf_addf(b, "<h2>%s</h2>\n", title);
	if (json_array_size(list) == 0)
		sbuf_adds(b, "<p class=\"muted\">无 None</p>\n");
	return list;
}

/* The customer's dunning cases, each with its notices and messages. */
static void
cases_section(struct sbuf *b, const json_t *t)
{
	const json_t *list, *c, *n;
	size_t i, j;

	list = section_start(b, t, "cases", "催缴 Dunning cases");
	json_array_foreach(list, i, c)
	{
		sbuf_addf(b, "<h3>案件 Case %lld · ",
			  (long long)json_integer_value(
				  json_object_get(c, "case_id")));
		esc(b, str_of(c, "state"));
		sbuf_adds(b, " · 开立 opened ");
		esc(b, str_of(c, "opened_on"));
		sbuf_adds(b, "</h3>\n");
		json_array_foreach(json_object_get(c, "notices"), j, n)
		{
			sbuf_addf(b, "<p>通知 Notice %lld · ",
				  (long long)json_integer_value(
					  json_object_get(n, "seq")));
			esc(b, str_of(n, "sent_on"));
			sbuf_adds(b, " · ");
			notice_words(b, n);
			sbuf_adds(b, "</p>\n");
			messages_table(b, n, json_object_get(t, "audit"));
		}
	}
}

/* Outage and service notices, with their messages. */
static void
notices_section(struct sbuf *b, const json_t *t)
{
	const json_t *list, *n;
	size_t i;

	list = section_start(b, t, "notices",
			     "停电及服务通知 Outage and service notices");
	json_array_foreach(list, i, n)
	{
		sbuf_adds(b, "<p>");
		esc(b, str_of(n, "sent_on"));
		sbuf_adds(b, " · ");
		esc(b, str_of(n, "kind"));
		sbuf_adds(b, " ");
		esc(b, str_of(n, "outage_id"));
		sbuf_adds(b, " · ");
		notice_words(b, n);
		if (json_is_true(json_object_get(n, "late_notice")))
			sbuf_adds(b, " <span class=\"late\">迟发 LATE</span>");
		sbuf_adds(b, "</p>\n");
		messages_table(b, n, json_object_get(t, "audit"));
	}
}

/* Collection tasks raised for the customer. */
static void
tasks_section(struct sbuf *b, const json_t *t)
{
	const json_t *list, *e;
	size_t i;

	list = section_start(b, t, "tasks", "收费任务 Collection tasks");
	json_array_foreach(list, i, e)
	{
		sbuf_addf(b, "<p>任务 Task %lld · ",
			  (long long)json_integer_value(
				  json_object_get(e, "task_id")));
		esc(b, str_of(e, "state"));
		sbuf_adds(b, " · 网格 grid ");
		esc(b, str_of(e, "grid_id"));
		sbuf_adds(b, " · 欠费 owing ");
		esc(b, str_of(e, "amount_due"));
		sbuf_adds(b, "</p>\n");
	}
}

static enum MHD_Result
customer(struct req *r, const char *account)
{
	const json_t *cust;
	struct fg_err err;
	json_t *t;
	struct sbuf b;
	int found = 0;

	if (strcmp(r->who.role, "collector") == 0)
		return message_page(r, 403, "无权限 Not allowed",
				    "收费员只查看本网格的任务 Collectors see "
				    "their grid's tasks");
	t = timeline_build(&r->w->db, account, &found, &err);
	if (t == NULL) {
		log_warnx("web: customer: %s", err.msg);
		return message_page(r, 503, "请稍后再试 Try again",
				    "数据库暂时不可用 The database is "
				    "unavailable");
	}
	if (!found) {
		json_decref(t);
		return message_page(r, 404, "没有这个户号 No such account",
				    account);
	}
	access_log(r, "view", account, NULL);
	sbuf_init(&b);
	page_start(&b, r, "客户 Customer");
	cust = json_object_get(t, "customer");
	sbuf_adds(&b, "<p>户号 Account <b>");
	esc(&b, account);
	/* <bdi>: a right-to-left override in billing's name (U+202E) turns
	 * only the name around, not the rest of the line. */
	sbuf_adds(&b, "</b> <bdi>");
	esc(&b, str_of(cust, "name"));
	sbuf_adds(&b, "</bdi> · ");
	esc(&b, str_of(cust, "segment"));
	sbuf_adds(&b, " · 网格 grid ");
	esc(&b, str_of(cust, "grid_id"));
	sbuf_adds(&b, "</p>\n");
	if (contacts_section(r, account, &b, &err) != 0) {
		json_decref(t);
		sbuf_free(&b);
		log_warnx("web: contacts: %s", err.msg);
		return message_page(r, 503, "请稍后再试 Try again",
				    "数据库暂时不可用 The database is "
				    "unavailable");
	}
	cases_section(&b, t);
	notices_section(&b, t);
	tasks_section(&b, t);
	sbuf_addf(&b,
		  "<h2>审计记录 Audit trail</h2>\n<p>%zu 条 events for "
		  "this customer. ",
		  json_array_size(json_object_get(t, "audit")));
	json_decref(t);
	audit_status(r, &b);
	sbuf_adds(&b, "</p>\n");
	return send_page(r, 200, &b);
}

/* The form that filters the tasks; a collector's grid is fixed. */
static void
tasks_filter(struct sbuf *b, const char *state, const char *grid, int collector)
{
	size_t i;

	sbuf_adds(b, "<form method=\"get\" action=\"/tasks\"><p>");
	if (!collector) {
		sbuf_adds(b, "<label>网格 Grid <input name=\"grid\" value=\"");
		esc(b, grid ? grid : "");
		sbuf_adds(b, "\"></label> ");
	} else {
		sbuf_adds(b, "网格 Grid ");
		esc(b, grid);
		sbuf_adds(b, " ");
	}
	sbuf_adds(b, "<label>状态 State <select name=\"state\">"
		     "<option value=\"\">全部 all</option>");
	for (i = 0; i < 4; i++) {
		static const char *const st[] = {"open", "assigned", "done",
						 "cancelled"};

		sbuf_addf(b, "<option%s>%s</option>",
			  state && strcmp(state, st[i]) == 0 ? " selected" : "",
			  st[i]);
	}
	sbuf_adds(b, "</select></label> <button>筛选 Filter</button></p>"
		     "</form>\n<table><tr><th>任务 Task</th><th>户号 Account"
		     "</th><th>网格 Grid</th><th>欠费 Owing</th>"
		     "<th>失败通知 Failed</th><th>已送达 Delivered</th>"
		     "<th>状态 State</th><th>创建 Created</th></tr>\n");
}

/* One row a task; an agent's link to the customer. */
static void
tasks_rows(struct sbuf *b, const json_t *tasks, int collector)
{
	const json_t *e;
	size_t i;

	json_array_foreach(tasks, i, e)
	{
		const char *acct = str_of(e, "account_no");

		sbuf_addf(b, "<tr><td>%lld</td><td>",
			  (long long)json_integer_value(
				  json_object_get(e, "task_id")));
		if (!collector) {
			sbuf_adds(b, "<a href=\"/customer/");
			esc(b, acct);
			sbuf_adds(b, "\">");
		}
		esc(b, acct);
		sbuf_adds(b, collector ? "</td><td>" : "</a></td><td>");
		esc(b, str_of(e, "grid_id"));
		sbuf_adds(b, "</td><td>");
		esc(b, str_of(e, "amount_due"));
		sbuf_addf(b, "</td><td>%lld</td><td>%lld</td><td>",
			  (long long)json_integer_value(
				  json_object_get(e, "notices_failed")),
			  (long long)json_integer_value(
				  json_object_get(e, "notices_delivered")));
		esc(b, str_of(e, "state"));
		sbuf_adds(b, "</td><td>");
		esc(b, str_of(e, "created_on"));
		sbuf_adds(b, "</td></tr>\n");
	}
}

/* A page of the staff's task list: TASKS_WEB_PAGE tasks in task order,
 * and a link to the next page when there are more. */
#define TASKS_WEB_PAGE 100

static enum MHD_Result
tasks_page(struct req *r)
{
	const char *after = kv_get(&r->query, "after");
	int collector = strcmp(r->who.role, "collector") == 0;
	struct tasks_query q = {0};
	unsigned long long next = 0;
	struct fg_err err;
	json_t *tasks;
	char *buf = NULL;
	size_t len = 0;
	struct sbuf b;
	long long v;
	FILE *f;
	int rc;

	q.state = kv_get(&r->query, "state");
	q.grid = kv_get(&r->query, "grid");
	q.limit = TASKS_WEB_PAGE;
	if (q.state != NULL &&
	    (*q.state == '\0' || !tasks_valid_state(q.state)))
		q.state = NULL;
	if (q.grid != NULL && (*q.grid == '\0' || strlen(q.grid) > 32))
		q.grid = NULL;
	if (after != NULL && parse_ll(after, 0, LLONG_MAX, &v) == 0)
		q.after = (unsigned long long)v;
	/* A collector sees the tasks of the grid they work, whatever the
	 * address bar says. */
	if (collector)
		q.grid = r->who.grid_id;
	f = open_memstream(&buf, &len);
	if (f == NULL)
		return message_page(r, 503, "请稍后再试 Try again", "memory");
	rc = tasks_print(&r->w->db, &q, 1, f, &next, &err);
	fclose(f);
	tasks = rc == 0 ? json_loadb(buf, len, 0, NULL) : NULL;
	free(buf);
	if (tasks == NULL) {
		log_warnx("web: tasks: %s", rc ? err.msg : "bad JSON");
		return message_page(r, 503, "请稍后再试 Try again",
				    "数据库暂时不可用 The database is "
				    "unavailable");
	}
	access_log(r, "tasks", NULL, q.grid);
	sbuf_init(&b);
	page_start(&b, r, "收费任务 Collection tasks");
	tasks_filter(&b, q.state, q.grid, collector);
	tasks_rows(&b, tasks, collector);
	sbuf_adds(&b, "</table>\n");
	if (json_array_size(tasks) == 0)
		sbuf_adds(&b, "<p class=\"muted\">无 None</p>\n");
	if (next != 0) {
		char *more = tasks_next_query(&q, next);

		sbuf_adds(&b, "<p><a rel=\"next\" href=\"/tasks?");
		esc(&b, more);
		sbuf_adds(&b, "\">下一页 Next page</a></p>\n");
		free(more);
	}
	json_decref(tasks);
	return send_page(r, 200, &b);
}

/* A bar chart as inline SVG: one bar per value, labels under some. */
static void
svg_bars(struct sbuf *b, const char *title, const char *const *labels,
	 const long long *values, size_t n)
{
	const int w = 760, h = 210, top = 10, base = 150;
	long long max = 1;
	size_t i, every = n > 15 ? (n + 14) / 15 : 1;
	double bw;

	for (i = 0; i < n; i++)
		if (values[i] > max)
			max = values[i];
	bw = n ? (double)(w - 40) / (double)n : 0;
	if (bw > 40)
		bw = 40;
	sbuf_addf(b,
		  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		  "height=\"%d\" role=\"img\"><title>",
		  w, h);
	esc(b, title);
	sbuf_addf(b,
		  "</title><line x1=\"30\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		  "stroke=\"#999\"/><text x=\"0\" y=\"%d\" "
		  "font-size=\"10\">%lld</text>",
		  base, w, base, top + 8, max);
	for (i = 0; i < n; i++) {
		double bh = (double)values[i] * (base - top) / (double)max;

		sbuf_addf(b,
			  "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			  "height=\"%.1f\" fill=\"#3a6ea5\"><title>",
			  32 + bw * (double)i, base - bh, bw > 2 ? bw - 1 : bw,
			  bh);
		esc(b, labels[i]);
		sbuf_addf(b, ": %lld</title></rect>", values[i]);
		if (i % every == 0) {
			sbuf_addf(b,
				  "<text x=\"%.1f\" y=\"%d\" font-size=\"9\" "
				  "transform=\"rotate(45 %.1f %d)\">",
				  32 + bw * (double)i, base + 10,
				  32 + bw * (double)i, base + 10);
			esc(b, labels[i]);
			sbuf_adds(b, "</text>");
		}
	}
	sbuf_adds(b, "</svg>\n");
}

static const char *
row_cell(const json_t *rows, size_t r, size_t c)
{
	const char *v =
		json_string_value(json_array_get(json_array_get(rows, r), c));

	return v ? v : "";
}

/* Micro-yuan per unit of a channel ([costs]). */
static long long
unit_cost(const struct config *cfg, const char *channel)
{
	int k = channel_kind_find(channel);

	return k < 0 ? 0 : cfg->costs.unit[k];
}

/* Messages per night: a chart of the totals, then the table by channel
 * with what each cost ([costs]). */
static void
reports_nights(struct sbuf *b, const struct config *cfg, json_t *nights)
{
	const char **labels =
		xcalloc(json_array_size(nights) + 1, sizeof(*labels));
	long long *values =
		xcalloc(json_array_size(nights) + 1, sizeof(*values));
	long long total = 0;
	char money[48];
	size_t i, n = 0;

	for (i = 0; i < json_array_size(nights); i++) {
		const char *day = row_cell(nights, i, 0);

		if (n == 0 || strcmp(labels[n - 1], day) != 0)
			labels[n++] = day;
		values[n - 1] += strtoll(row_cell(nights, i, 2), NULL, 10);
	}
	sbuf_adds(b, "<h2>每晚消息 Messages per night</h2>\n");
	svg_bars(b, "messages per night", labels, values, n);
	free(labels);
	free(values);
	sbuf_adds(b, "<table id=\"nights\"><tr><th>日期 Night</th>"
		     "<th>渠道 Channel</th><th>消息 Messages</th>"
		     "<th>送达 Delivered</th><th>已发出 Accepted</th>"
		     "<th>失败 Failed</th>"
		     "<th>计费 Units</th><th>费用 Cost (¥)</th></tr>\n");
	for (i = 0; i < json_array_size(nights); i++) {
		const char *ch = row_cell(nights, i, 1);
		long long units = strtoll(row_cell(nights, i, 5), NULL, 10);
		long long micro = units * unit_cost(cfg, ch);

		total += micro;
		money_format_grouped((micro + 5000) / 10000, money,
				     sizeof(money));
		sbuf_adds(b, "<tr><td>");
		esc(b, row_cell(nights, i, 0));
		sbuf_adds(b, "</td><td>");
		esc(b, ch);
		sbuf_addf(b,
			  "</td><td>%s</td><td>%s</td><td>%s</td><td>%s"
			  "</td><td>%lld</td><td>%s</td></tr>\n",
			  row_cell(nights, i, 2), row_cell(nights, i, 3),
			  row_cell(nights, i, 6), row_cell(nights, i, 4), units,
			  money);
	}
	money_format_grouped((total + 5000) / 10000, money, sizeof(money));
	sbuf_addf(b,
		  "</table>\n<p>合计费用 Total cost ¥<b id=\"cost\">%s</b> "
		  "([costs])</p>\n",
		  money);
}

/* How the cases opened in the range ended, as a table and a chart. */
static void
reports_recovery(struct sbuf *b, json_t *rec)
{
	const char **rl = xcalloc(json_array_size(rec) + 1, sizeof(*rl));
	long long *rv = xcalloc(json_array_size(rec) + 1, sizeof(*rv));
	long long cases = 0;
	size_t i;

	sbuf_adds(b, "<h2>回收 Recovery</h2>\n<p>开立于此期间的案件如何"
		     "结束 How the cases opened in the range ended: "
		     "paid after notice N, after the manual task, or "
		     "still open</p>\n<table id=\"recovery\">"
		     "<tr><th>结果 Outcome</th><th>案件 Cases</th>"
		     "<th>占比 Share</th></tr>\n");
	for (i = 0; i < json_array_size(rec); i++)
		cases += strtoll(row_cell(rec, i, 1), NULL, 10);
	for (i = 0; i < json_array_size(rec); i++) {
		rl[i] = row_cell(rec, i, 0);
		rv[i] = strtoll(row_cell(rec, i, 1), NULL, 10);
		sbuf_adds(b, "<tr><td>");
		esc(b, rl[i]);
		sbuf_addf(b, "</td><td>%lld</td><td>%.1f%%</td></tr>\n", rv[i],
			  100.0 * (double)rv[i] / (double)cases);
	}
	sbuf_adds(b, "</table>\n");
	svg_bars(b, "cases by outcome", rl, rv, json_array_size(rec));
	free(rl);
	free(rv);
}

/* Contacts that failed for good, for billing to correct; addresses
 * masked. */
static void
reports_blocked(struct sbuf *b, json_t *blocked)
{
	size_t i;
	int c;

	sbuf_adds(b, "<h2>待更正的联系方式 Contacts to correct</h2>\n"
		     "<table id=\"blocked\"><tr><th>编号 Id</th>"
		     "<th>户号 Account</th><th>渠道 Channel</th>"
		     "<th>地址 Address</th><th>原因 Reason</th>"
		     "<th>自 Since</th><th>失败 Failures</th></tr>\n");
	for (i = 0; i < json_array_size(blocked); i++) {
		char *masked = mask_address(row_cell(blocked, i, 2),
					    row_cell(blocked, i, 3));

		sbuf_adds(b, "<tr><td>");
		esc(b, row_cell(blocked, i, 0));
		sbuf_adds(b, "</td><td><a href=\"/customer/");
		esc(b, row_cell(blocked, i, 1));
		sbuf_adds(b, "\">");
		esc(b, row_cell(blocked, i, 1));
		sbuf_adds(b, "</a></td><td>");
		esc(b, row_cell(blocked, i, 2));
		sbuf_adds(b, "</td><td>");
		esc(b, masked);
		/* reason, since, failures */
		for (c = 4; c <= 6; c++) {
			sbuf_adds(b, "</td><td>");
			esc(b, row_cell(blocked, i, (size_t)c));
		}
		sbuf_adds(b, "</td></tr>\n");
		free(masked);
	}
	sbuf_adds(b, "</table>\n");
}

static enum MHD_Result
reports(struct req *r)
{
	const char *from = kv_get(&r->query, "from");
	const char *to = kv_get(&r->query, "to");
	char f[DATE_LEN], t[DATE_LEN];
	struct fg_err err;
	struct sbuf b;
	json_t *d;

	if (strcmp(r->who.role, "collector") == 0)
		return message_page(r, 403, "无权限 Not allowed",
				    "收费员只查看本网格的任务 Collectors see "
				    "their grid's tasks");
	str_copy(t, to && date_valid(to) ? to : r->date, sizeof(t));
	if (from && date_valid(from)) {
		str_copy(f, from, sizeof(f));
	} else {
		time_t x = (time_t)date_days(t) * 86400 - 30 * 86400;
		struct tm tm;

		gmtime_r(&x, &tm);
		strftime(f, sizeof(f), "%Y-%m-%d", &tm);
	}
	d = report_data(&r->w->db, f, t, &err);
	if (d == NULL) {
		log_warnx("web: reports: %s", err.msg);
		return message_page(r, 503, "请稍后再试 Try again",
				    "数据库暂时不可用 The database is "
				    "unavailable");
	}
	access_log(r, "reports", NULL, f);
	sbuf_init(&b);
	page_start(&b, r, "报表 Reports");
	sbuf_addf(&b,
		  "<form method=\"get\" action=\"/reports\"><p><label>从 From "
		  "<input name=\"from\" value=\"%s\"></label> <label>到 To "
		  "<input name=\"to\" value=\"%s\"></label> <button>查看 "
		  "Show</button></p></form>\n",
		  f, t);
	reports_nights(&b, r->w->cfg, json_object_get(d, "nights"));
	reports_recovery(&b, json_object_get(d, "recovery"));
	reports_blocked(&b, json_object_get(d, "blocked"));
	json_decref(d);
	return send_page(r, 200, &b);
}

/* --- dispatch ------------------------------------------------------------ */

/* UTC for the database; the local date (the daemon runs in [dunning]
 * timezone) for audit rows. */
static void
clock_now(const struct web *w, char now[TIME_LEN], char date[DATE_LEN])
{
	time_t t = time(NULL) + (time_t)w->now_offset;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(now, TIME_LEN, "%Y-%m-%d %H:%M:%S", &tm);
	localtime_r(&t, &tm);
	strftime(date, DATE_LEN, "%Y-%m-%d", &tm);
}

static enum MHD_Result
route(struct req *r)
{
	struct fg_err err;
	int post = strcmp(r->method, "POST") == 0;

	if (strcmp(r->path, "/login") == 0)
		return post ? login(r) : login_form(r, 200, NULL);
	if (session_load(r, &err) != 0) {
		log_warnx("web: session: %s", err.msg);
		return message_page(r, 503, "请稍后再试 Try again",
				    "数据库暂时不可用 The database is "
				    "unavailable");
	}
	if (!r->logged_in)
		return redirect(r, "/login", NULL);
	if (post && !csrf_ok(r)) {
		access_log(r, "csrf_refused", NULL, r->path);
		return message_page(r, 403, "请求被拒绝 Refused",
				    "表单已过期，请重新打开页面 The form is "
				    "stale: open the page again");
	}
	if (post && strcmp(r->path, "/logout") == 0)
		return logout(r);
	if (!post && strcmp(r->path, "/") == 0)
		return home(r);
	if (post && strcmp(r->path, "/search") == 0)
		return search(r);
	/* (a search by URL is not one: the number would be in the URL) */
	if (!post && strcmp(r->path, "/search") == 0)
		return redirect(r, "/", NULL);
	if (!post && strncmp(r->path, "/customer/", 10) == 0 &&
	    strlen(r->path + 10) > 0 && strlen(r->path + 10) <= 32)
		return customer(r, r->path + 10);
	if (post && strncmp(r->path, "/customer/", 10) == 0) {
		const char *slash = strchr(r->path + 10, '/');
		char account[40];

		if (slash != NULL && strcmp(slash, "/reveal") == 0 &&
		    slash - (r->path + 10) > 0 &&
		    slash - (r->path + 10) <= 32) {
			snprintf(account, sizeof(account), "%.*s",
				 (int)(slash - (r->path + 10)), r->path + 10);
			return reveal(r, account);
		}
	}
	if (!post && strcmp(r->path, "/tasks") == 0)
		return tasks_page(r);
	if (!post && strcmp(r->path, "/reports") == 0)
		return reports(r);
	return message_page(r, 404, "没有这个页面 Not found", r->path);
}

/*
 * The client's address into r->remote: the connection's, or, when that is
 * one of [web] trusted_proxies, what X-Forwarded-For says, read from the
 * right: the first address that is not itself a trusted proxy (a client
 * can write anything on the left; only the proxies' own additions count).
 * A malformed hop stops the reading: the last one believed is kept.
 */
static void
client_address(struct req *r, const struct in_addr *peer)
{
	const char *xff;
	char copy[512], *p;

	inet_ntop(AF_INET, peer, r->remote, sizeof(r->remote));
	if (!config_trusted_proxy(r->w->cfg, ntohl(peer->s_addr)) ||
	    (xff = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND,
					       "X-Forwarded-For")) == NULL)
		return;
	str_copy(copy, xff, sizeof(copy));
	while (copy[0] != '\0') {
		struct in_addr a;
		struct in6_addr a6;
		char *hop;

		p = strrchr(copy, ',');
		hop = p != NULL ? p + 1 : copy;
		while (*hop == ' ' || *hop == '\t')
			hop++;
		hop[strcspn(hop, " \t")] = '\0';
		if (inet_pton(AF_INET, hop, &a) == 1) {
			str_copy(r->remote, hop, sizeof(r->remote));
			if (!config_trusted_proxy(r->w->cfg, ntohl(a.s_addr)))
				return;
		} else if (inet_pton(AF_INET6, hop, &a6) == 1) {
			str_copy(r->remote, hop, sizeof(r->remote));
			return;
		} else {
			return;
		}
		if (p == NULL)
			return;
		*p = '\0';
	}
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
       const char *version, const char *upload, size_t *upload_size,
       void **con_cls)
{
	struct web *w = cls;
	struct httpd_body *cn;
	const union MHD_ConnectionInfo *ci;
	struct req r;
	enum MHD_Result ret;

	(void)version;
	if (httpd_receive(c, con_cls, upload, upload_size, WEB_MAX_BODY, &cn))
		return MHD_YES;
	memset(&r, 0, sizeof(r));
	r.w = w;
	r.c = c;
	r.method = method;
	r.path = url;
	clock_now(w, r.now, r.date);
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr->sa_family == AF_INET)
		client_address(&r,
			       &((const struct sockaddr_in *)ci->client_addr)
					->sin_addr);
	if (cn->too_big)
		return message_page(&r, 413, "太大 Too large",
				    "请求太大 The request is too large");
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, httpd_collect,
				  &r.query);
	httpd_parse_form(cn->body.s, cn->body.len, &r.form);
	ret = route(&r);
	kv_free(&r.query);
	kv_free(&r.form);
	return ret;
}

struct web *
web_start(const struct config *cfg, double now_offset, struct fg_err *err)
{
	struct web *w = xcalloc(1, sizeof(*w));

	w->cfg = cfg;
	w->now_offset = now_offset;
	if (sodium_init() < 0) {
		err_set(err, "web: libsodium cannot start");
		free(w);
		return NULL;
	}
	if (db_connect(&w->db, cfg, 1, err) != 0) {
		free(w);
		return NULL;
	}
	w->mhd = httpd_start("[web]", cfg->web.listen, cfg->web.port, 128u, 0,
			     handle, w, err);
	if (w->mhd == NULL) {
		db_close(&w->db);
		free(w);
		return NULL;
	}
	return w;
}

void
web_stop(struct web *w)
{
	if (w == NULL)
		return;
	MHD_stop_daemon(w->mhd);
	db_close(&w->db);
	free(w);
}
