/* Clocks, number parsing with units, human-readable formatting. */
#ifndef MNEMO_COMMON_UTIL_H
#define MNEMO_COMMON_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Seconds on a monotonic clock (for rates and timeouts). */
double mn_now(void);
/* Seconds since the Unix epoch (for timestamps in metrics and events). */
double mn_wall_clock(void);

/* Parses a whole string as a signed 64-bit integer ("-12", "0x1f"). */
mn_status mn_parse_int64(const char *text, int64_t *out);
/* Parses a whole string as a finite double ("3e-4"). */
mn_status mn_parse_double(const char *text, double *out);
/* Parses a byte size with an optional binary suffix: "4096", "64K", "256M", "1.5G", "2TiB".
 * K/M/G/T (with or without "B" or "iB") are powers of 1024. */
mn_status mn_parse_size(const char *text, uint64_t *out);
/* Parses a count with an optional decimal suffix: "50000", "10k", "2.5M", "1G" (powers of
 * 1000), as used for token and document counts. */
mn_status mn_parse_count(const char *text, uint64_t *out);

/* Formats into `out` (at least 32 bytes) and returns it. */
char *mn_format_bytes(char *out, size_t size, double bytes);   /* "1.23 GiB" */
char *mn_format_count(char *out, size_t size, double count);   /* "12.3M"    */
char *mn_format_duration(char *out, size_t size, double secs); /* "1h02m03s", "--" when < 0 */

#endif
