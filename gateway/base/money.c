/*
 * money.c: see money.h.
 */
#include "base/money.h"

#include <stdio.h>
#include <string.h>

int
money_parse(const char *s, long long *cents)
{
	long long whole = 0, frac = 0;
	int neg = 0, ndigits = 0, nfrac = 0;

	if (s == NULL)
		return -1;
	if (*s == '-')
		neg = 1, s++;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (++ndigits > 15)
			return -1;
		whole = whole * 10 + (*s - '0');
	}
	if (ndigits == 0)
		return -1;
	if (*s == '.') {
		s++;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (++nfrac > 2)
				return -1;
			frac = frac * 10 + (*s - '0');
		}
		if (nfrac == 0)
			return -1;
		if (nfrac == 1)
			frac *= 10;
	}
	if (*s != '\0')
		return -1;
	*cents = (whole * 100 + frac) * (neg ? -1 : 1);
	return 0;
}

void
money_format(long long cents, char *buf, size_t len)
{
	unsigned long long a = cents < 0 ? 0ULL - (unsigned long long)cents
					 : (unsigned long long)cents;

	snprintf(buf, len, "%s%llu.%02llu", cents < 0 ? "-" : "", a / 100,
		 a % 100);
}

void
money_format_grouped(long long cents, char *buf, size_t len)
{
	char plain[32], out[48];
	const char *dot;
	size_t i, n, o = 0, start;

	money_format(cents, plain, sizeof(plain));
	start = plain[0] == '-' ? 1 : 0;
	if (start)
		out[o++] = '-';
	dot = strchr(plain, '.');
	n = (size_t)(dot - plain) - start;
	for (i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = plain[start + i];
	}
	snprintf(out + o, sizeof(out) - o, "%s", dot);
	snprintf(buf, len, "%s", out);
}

void
ppm_format(long long ppm, char *buf, size_t len)
{
	size_t n;

	snprintf(buf, len, "%lld.%06lld", ppm / 1000000, ppm % 1000000);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
}

int
ppm_parse(const char *s, long long *ppm)
{
	long long whole = 0, frac = 0;
	int nfrac = 0, ndigits = 0;

	if (s == NULL)
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (++ndigits > 6)
			return -1;
		whole = whole * 10 + (*s - '0');
	}
	if (ndigits == 0)
		return -1;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++) {
			if (++nfrac > 6)
				return -1;
			frac = frac * 10 + (*s - '0');
		}
		if (nfrac == 0)
			return -1;
	}
	if (*s != '\0')
		return -1;
	while (nfrac++ < 6)
		frac *= 10;
	*ppm = whole * 1000000 + frac;
	return 0;
}

long long
money_apply_rate(long long cents, long long ppm, long long days)
{
	/* In millionths of a cent; amounts and rates are bounded by the
	 * configuration (cents < 1e15, ppm <= 1e5, days < 1e4): no overflow
	 * for any balance a utility has, checked by the caller's limits. */
	__int128 v = (__int128)cents * ppm * days;

	return (long long)((v + 500000) / 1000000);
}
