/*
 * money.h: amounts of money as whole cents (fen) in a long long; never
 * floating point. Text form is the database's DECIMAL form: "-1234.50".
 */
#ifndef FEEGATE_MONEY_H
#define FEEGATE_MONEY_H

#include <stddef.h>

#define MONEY_MAX_CENTS 999999999999999LL /* DECIMAL(17,2) */

/* Parse "123", "123.4" or "123.45" (optionally with a leading '-'), at most
 * two decimals, nothing else. */
int money_parse(const char *s, long long *cents);
/* A rate like "0.001" (at most six decimals, not negative) as parts per
 * million: 1000. */
int ppm_parse(const char *s, long long *ppm);
/* The rate as ppm_parse reads it, no trailing zeros: 1000 -> "0.001". */
void ppm_format(long long ppm, char *buf, size_t len);
/* cents * ppm / 1e6 * days, rounded half up to whole cents. */
long long money_apply_rate(long long cents, long long ppm, long long days);

/* "1234.50" into buf (at least 24 bytes). */
void money_format(long long cents, char *buf, size_t len);
/* "1,234.50" with thousands separators, for people. */
void money_format_grouped(long long cents, char *buf, size_t len);

#endif
