/*
 * escape.h: text put into HTML, XML or JSON, escaped for it: the staff
 * pages (HTML), the templates' values (each part's format, kinds.h); and
 * label values of /metrics.
 */
#ifndef FEEGATE_ESCAPE_H
#define FEEGATE_ESCAPE_H

#include "base/kinds.h"
#include "base/util.h"

/* s (NUL-terminated) appended to b as format takes it: PART_TEXT as it
 * is; PART_HTML and PART_XML with & < > " ' as entities (' as &#39; in
 * HTML, &apos; in XML); PART_JSON with " and \ escaped and control
 * characters as \u00XX (the text of a JSON string). */
void escape_add(struct sbuf *b, const char *s, enum part_format format);

/* s appended to b as a label value of Prometheus' text format takes it:
 * backslash, double quote and line feed as \\, \" and \n. */
void escape_label(struct sbuf *b, const char *s);

#endif
