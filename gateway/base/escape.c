/*
 * escape.c: see escape.h.
 */
#include "base/escape.h"

#include <stdio.h>

void
escape_add(struct sbuf *b, const char *s, enum part_format format)
{
	char u[8];

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		switch (format) {
		case PART_TEXT:
			sbuf_add(b, s, 1);
			continue;
		case PART_HTML:
		case PART_XML:
			if (c == '&')
				sbuf_adds(b, "&amp;");
			else if (c == '<')
				sbuf_adds(b, "&lt;");
			else if (c == '>')
				sbuf_adds(b, "&gt;");
			else if (c == '"')
				sbuf_adds(b, "&quot;");
			else if (c == '\'')
				sbuf_adds(b, format == PART_HTML ? "&#39;"
								 : "&apos;");
			else
				sbuf_add(b, s, 1);
			continue;
		case PART_JSON:
			if (c == '"' || c == '\\') {
				sbuf_add(b, "\\", 1);
				sbuf_add(b, s, 1);
			} else if (c < 0x20) {
				snprintf(u, sizeof(u), "\\u%04x", c);
				sbuf_adds(b, u);
			} else {
				sbuf_add(b, s, 1);
			}
			continue;
		}
	}
}

void
escape_label(struct sbuf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			sbuf_add(b, "\\", 1);
		if (*s == '\n')
			sbuf_adds(b, "\\n");
		else
			sbuf_add(b, s, 1);
	}
}
