/*
 * mask.h: how a phone number, e-mail address or push token is shown in logs,
 * audit details and to call-centre agents. The same rule in SQL is
 * MASKED_ADDRESS (store/views.h), for the notice_log view and `purge`; the
 * integration suite checks that the two agree.
 *
 * By the form of the channel's addresses (kinds.h):
 *   phones (9+ characters):      all but the last 8 kept (at most 6), 4
 *                                masked, last 4 kept:
 *                                +8613812345678 -> +86138****5678; a long
 *                                malformed one from billing keeps no more:
 *                                +8613812345678<x> -> +86138****8<x>
 *   e-mail (local part not empty): first character, ***, then @domain:
 *                                 zhang.wei@example.com -> z***@example.com
 *   tokens (9+ characters):       first 6 characters then ***
 *   anything else:                one * per character, at most 8
 *
 * Lengths count characters (UTF-8 code points), as SQL's CHAR_LENGTH does.
 */
#ifndef FEEGATE_MASK_H
#define FEEGATE_MASK_H

#include <stddef.h>

#include "base/kinds.h"

/* Not the form of any channel's addresses: masked whole. */
#define ADDRESS_UNKNOWN (-1)

/* A new string; the caller frees it. */
char *mask_address(const char *channel, const char *address);
/* The same for an address of form (a phone number typed into a search). */
char *mask_address_as(enum address_form form, const char *address);

/*
 * A provider's, relay's or server's text masked in place before it reaches
 * a log, the audit trail, the database or a page; cut to size - 1 bytes,
 * line breaks made spaces, trailing blanks gone. The one function every
 * path that keeps or prints such text uses.
 *
 * About one message (address not NULL), every form in which the address
 * may be quoted:
 *   - the address itself, in any letter case;
 *   - a phone number (a channel of phones; E.164) written in any way that ends with
 *     7 or more of its digits: with or without '+' and the country code,
 *     with a trunk or international prefix of zeros (0, 00), digits in
 *     groups between spaces, '-', '.', '/' or parentheses, ASCII or
 *     fullwidth digits; shown as mask_address() shows those digits (with
 *     '+' only where the text had one): "136 7319 3639" -> "136****3639";
 *     also joined to other digits, by a separator ("MSG-20261002-86136...":
 *     a grouped run is looked at again after each group) or glued in one
 *     run that holds all its digits but the country code
 *     ("2026100213673193639" -> "20261****3639");
 *   - an e-mail address's local part standing alone as a word, any case,
 *     when it has 3 characters or more: "zhang.wei" -> "z***".
 * About no one address (address NULL: a receipt that names no message),
 * every number of 7 digits or more and every e-mail address.
 */
void mask_in_text(const char *channel, const char *address, char *text,
		  size_t size);

#endif
