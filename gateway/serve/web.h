/*
 * web.h: the call-centre's staff pages, served by `feegate serve` on
 * [web] listen:port (its own listener: providers' receipts and the notice
 * API never share it). Plain server-rendered HTML, no scripts, no external
 * fonts; Chinese and English labels side by side.
 *
 *   GET  /login, POST /login    user name and password (staff.h); five
 *                               failures for a name, or twenty from an
 *                               address, in 15 minutes: 429 for a while
 *   POST /logout
 *   GET  /                      search by account or phone number
 *   GET  /search?q=             accounts by account number or phone
 *   GET  /customer/ACCOUNT      one customer's timeline, numbers masked
 *
 * A session is a random 256-bit token in an HttpOnly, SameSite=Strict
 * cookie (Secure with [web] secure_cookies), known to the database only by
 * its SHA-256, ended after [web] idle_minutes idle, by logout, or when the
 * account is disabled or its password changed. Every POST carries the
 * session's CSRF token. Every search and page view is written to
 * access_log. Collectors see no customer pages.
 */
#ifndef FEEGATE_WEB_H
#define FEEGATE_WEB_H

#include "base/config.h"
#include "base/util.h"

struct web;

/* Start listening; NULL with err when it cannot. now_offset: --now. */
struct web *web_start(const struct config *cfg, double now_offset,
		      struct fg_err *err);
void web_stop(struct web *w);

#endif
