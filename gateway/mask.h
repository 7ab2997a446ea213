/*
 * mask.h: how a phone number, e-mail address or push token is shown in logs,
 * audit details and to call-centre agents. The same rule is the CASE
 * expression of the notice_log view (sql/gateway/001_foundation.sql); the
 * integration suite checks that the two agree.
 *
 *   sms, voice (9+ characters): all but the last 8 kept (at most 6), 4
 *                                masked, last 4 kept:
 *                                +8613812345678 -> +86138****5678; a long
 *                                malformed one from billing keeps no more:
 *                                +8613812345678<x> -> +86138****8<x>
 *   email (local part not empty): first character, ***, then @domain:
 *                                 zhang.wei@example.com -> z***@example.com
 *   push (9+ characters):         first 6 characters then ***
 *   anything else:                one * per character, at most 8
 *
 * Lengths count characters (UTF-8 code points), as SQL's CHAR_LENGTH does.
 */
#ifndef FEEGATE_MASK_H
#define FEEGATE_MASK_H

#include <stddef.h>

/* A new string; the caller frees it. */
char *mask_address(const char *channel, const char *address);

/* A provider's or server's text about a message ("550 <zhang.wei@...>:
 * user unknown", "The 'To' number 8613812345678 is not valid") masked in
 * place before it reaches a log, the audit trail or the database: every
 * occurrence of the address (any case), and for a phone number of its
 * digits without the leading '+', becomes mask_address(); line breaks
 * become spaces and trailing blanks go. Cut to size - 1 bytes. */
void mask_in_text(const char *channel, const char *address, char *text,
		  size_t size);

#endif
