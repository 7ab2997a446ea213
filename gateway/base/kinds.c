/*
 * kinds.c: see kinds.h.
 */
#include "base/kinds.h"

#include <string.h>

static const struct kind_part sms_parts[] = {{"sms", PART_TEXT, 0, ""}};
static const struct kind_part email_parts[] = {
	{"email.subject", PART_TEXT, 0, "Subject: "},
	{"email.txt", PART_TEXT, 1, "\n-- text/plain --\n"},
	{"email.html", PART_HTML, 1, "\n-- text/html --\n"},
};
static const struct kind_part voice_parts[] = {{"voice", PART_XML, 0, ""}};
static const struct kind_part push_parts[] = {{"push", PART_JSON, 0, ""}};

#define PARTS(p) .parts = p, .nparts = sizeof(p) / sizeof((p)[0])

const struct channel_kind_info channel_kinds[CHANNEL_KINDS] = {
	[CHANNEL_SMS] = {.name = "sms",
			 .address = ADDRESS_MOBILE,
			 .calling_window = 1,
			 .receipts = 1,
			 .brief = 1,
			 .units = "parts",
			 .cost_rank = 1,
			 PARTS(sms_parts)},
	[CHANNEL_EMAIL] = {.name = "email",
			   .address = ADDRESS_EMAIL,
			   .units = "e-mails",
			   .cost_rank = 2,
			   PARTS(email_parts)},
	[CHANNEL_VOICE] = {.name = "voice",
			   .address = ADDRESS_PHONE,
			   .calling_window = 1,
			   .receipts = 1,
			   .retries_address = 1,
			   .spoken = 1,
			   .units = "calls",
			   .cost_rank = 3,
			   PARTS(voice_parts)},
	[CHANNEL_PUSH] = {.name = "push",
			  .address = ADDRESS_TOKEN,
			  .units = "pushes",
			  .cost_rank = 0,
			  PARTS(push_parts)},
};

int
channel_kind_find(const char *name)
{
	int k;

	for (k = 0; k < CHANNEL_KINDS; k++)
		if (strcmp(channel_kinds[k].name, name) == 0)
			return k;
	return -1;
}

const struct channel_kind_info *
channel_kind_of(const char *name)
{
	int k = channel_kind_find(name);

	return k < 0 ? NULL : &channel_kinds[k];
}

const struct channel_kind_info *
channel_kind_of_part(const char *suffix, const struct kind_part **part)
{
	size_t k, i;

	for (k = 0; k < CHANNEL_KINDS; k++)
		for (i = 0; i < channel_kinds[k].nparts; i++)
			if (strcmp(channel_kinds[k].parts[i].suffix, suffix) ==
			    0) {
				if (part != NULL)
					*part = &channel_kinds[k].parts[i];
				return &channel_kinds[k];
			}
	return NULL;
}

static int
in_set(const struct channel_kind_info *c, const char *set, size_t n)
{
#define IS(s) (n == sizeof(s) - 1 && memcmp(set, s, n) == 0)
	if (IS("all") || IS("by_cost"))
		return 1;
	if (IS("phone"))
		return c->address == ADDRESS_MOBILE ||
		       c->address == ADDRESS_PHONE;
	if (IS("mobile"))
		return c->address == ADDRESS_MOBILE;
	if (IS("email"))
		return c->address == ADDRESS_EMAIL;
	if (IS("token"))
		return c->address == ADDRESS_TOKEN;
	if (IS("unreported"))
		return !c->receipts;
	return -1;
#undef IS
}

int
channel_kind_set(const char *set, size_t n, int kinds[CHANNEL_KINDS],
		 int *count)
{
	int by_cost = n == 7 && memcmp(set, "by_cost", 7) == 0;
	int k, r;

	*count = 0;
	for (r = 0; r < CHANNEL_KINDS; r++)
		for (k = 0; k < CHANNEL_KINDS; k++) {
			int in;

			if (by_cost ? channel_kinds[k].cost_rank != r : r != 0)
				continue;
			if ((in = in_set(&channel_kinds[k], set, n)) < 0)
				return -1;
			if (in)
				kinds[(*count)++] = k;
		}
	return 0;
}
