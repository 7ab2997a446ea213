/*
 * dates.h: business dates ("YYYY-MM-DD") and wall-clock times.
 */
#ifndef FEEGATE_DATES_H
#define FEEGATE_DATES_H

#include <stddef.h>

#define DATE_LEN 11 /* "YYYY-MM-DD" and NUL */
#define TIME_LEN 32 /* "YYYY-MM-DD HH:MM:SS.uuuuuu" and NUL, with room */

/* A real calendar date between 2000-01-01 and 2199-12-31, exactly in the
 * form YYYY-MM-DD. */
int date_valid(const char *s);
/* Days since 1970-01-01 of a valid YYYY-MM-DD. */
long date_days(const char *date);
/* Today's date in the time zone tz (an IANA name such as Asia/Shanghai). */
int date_today(const char *tz, char out[DATE_LEN]);
/* The wall-clock time there, "YYYY-MM-DD HH:MM:SS". */
int time_local_now(const char *tz, char out[TIME_LEN]);
/* The current UTC time with microseconds, as MariaDB's DATETIME(6) prints
 * it. */
void time_now_utc(char out[TIME_LEN]);

/* The wall clock in seconds since the epoch, offset seconds ahead (--now
 * moves a process's clock). */
double wall_clock(double offset);
/* Wall time w as UTC text for SQL, and (each MAY be NULL) the business
 * date and the minute of the day where the utility is: the process runs
 * in [dunning] timezone. */
void wall_text(double w, char now[TIME_LEN], char date[DATE_LEN], int *minute);

#endif
