/*
 * dates.c: see dates.h.
 */
#include "base/dates.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
date_valid(const char *s)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};
	int y, m, d, i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 2000 || y > 2199 || m < 1 || m > 12 || d < 1)
		return 0;
	return d <= mdays[m - 1] + (m == 2 && leap(y));
}

int
time_local_now(const char *tz, char out[TIME_LEN])
{
	char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	time_t now = time(NULL);
	struct tm tm;
	int rc = 0;

	setenv("TZ", tz, 1);
	tzset();
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(out, TIME_LEN, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		rc = -1;
	if (old != NULL) {
		setenv("TZ", old, 1);
		free(old);
	} else {
		unsetenv("TZ");
	}
	tzset();
	return rc;
}

int
date_today(const char *tz, char out[DATE_LEN])
{
	char now[TIME_LEN];

	if (time_local_now(tz, now) != 0)
		return -1;
	memcpy(out, now, DATE_LEN - 1);
	out[DATE_LEN - 1] = '\0';
	return 0;
}

void
time_now_utc(char out[TIME_LEN])
{
	/* Called for every audit row: the seconds are formatted only when
	 * they change, the microseconds by hand. */
	static __thread time_t last_sec = -1;
	static __thread char base[20];
	struct timespec ts;
	struct tm tm;
	long us;
	int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != last_sec) {
		gmtime_r(&ts.tv_sec, &tm);
		strftime(base, sizeof(base), "%Y-%m-%d %H:%M:%S", &tm);
		last_sec = ts.tv_sec;
	}
	memcpy(out, base, 19);
	out[19] = '.';
	us = ts.tv_nsec / 1000;
	for (i = 25; i >= 20; i--) {
		out[i] = (char)('0' + us % 10);
		us /= 10;
	}
	out[26] = '\0';
}

/* Days since 1970-01-01 of a valid YYYY-MM-DD (Howard Hinnant's
 * days_from_civil). */
long
date_days(const char *date)
{
	long y = strtol(date, NULL, 10);
	unsigned m = (unsigned)strtoul(date + 5, NULL, 10);
	unsigned d = (unsigned)strtoul(date + 8, NULL, 10);
	long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

double
wall_clock(double offset)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + offset;
}

void
wall_text(double w, char now[TIME_LEN], char date[DATE_LEN], int *minute)
{
	time_t t = (time_t)w;
	struct tm tm;
	char base[24];

	gmtime_r(&t, &tm);
	strftime(base, sizeof(base), "%Y-%m-%d %H:%M:%S", &tm);
	if (now != NULL)
		snprintf(now, TIME_LEN, "%s.%06d", base,
			 (int)((w - (double)t) * 1e6) % 1000000);
	localtime_r(&t, &tm);
	if (date != NULL)
		strftime(date, DATE_LEN, "%Y-%m-%d", &tm);
	if (minute != NULL)
		*minute = tm.tm_hour * 60 + tm.tm_min;
}
