#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

double mn_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double mn_wall_clock(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

mn_status mn_parse_int64(const char *text, int64_t *out) {
    MN_RETURN_ERROR_IF(text == NULL || *text == '\0', MN_ERR_ARG, "expected an integer, got ''");
    errno = 0;
    char *end = NULL;
    long long value = strtoll(text, &end, 0);
    MN_RETURN_ERROR_IF(errno == ERANGE, MN_ERR_ARG, "integer '%s' is out of range", text);
    MN_RETURN_ERROR_IF(end == text || *end != '\0', MN_ERR_ARG, "expected an integer, got '%s'",
                       text);
    *out = value;
    return MN_OK;
}

mn_status mn_parse_double(const char *text, double *out) {
    MN_RETURN_ERROR_IF(text == NULL || *text == '\0', MN_ERR_ARG, "expected a number, got ''");
    errno = 0;
    char *end = NULL;
    double value = strtod(text, &end);
    MN_RETURN_ERROR_IF(end == text || *end != '\0', MN_ERR_ARG, "expected a number, got '%s'",
                       text);
    MN_RETURN_ERROR_IF(errno == ERANGE || !isfinite(value), MN_ERR_ARG,
                       "number '%s' is out of range", text);
    *out = value;
    return MN_OK;
}

/* A non-negative number followed by a unit suffix scaled by powers of `base`. */
static mn_status parse_scaled(const char *text, double base, const char *what, uint64_t *out) {
    MN_RETURN_ERROR_IF(text == NULL || *text == '\0', MN_ERR_ARG, "expected a %s, got ''", what);
    errno = 0;
    char *end = NULL;
    double value = strtod(text, &end);
    MN_RETURN_ERROR_IF(end == text || errno == ERANGE || !isfinite(value) || value < 0, MN_ERR_ARG,
                       "expected a %s such as 64M, got '%s'", what, text);
    double scale = 1;
    if (*end != '\0') {
        static const char units[] = "KMGTP";
        const char *unit = strchr(units, toupper((unsigned char)*end));
        MN_RETURN_ERROR_IF(unit == NULL, MN_ERR_ARG, "unknown unit in %s '%s' (use K, M, G, T)",
                           what, text);
        for (const char *u = units; u <= unit; u++)
            scale *= base;
        end++;
        if (strcasecmp(end, "ib") == 0 || strcasecmp(end, "b") == 0)
            end += strlen(end);
        MN_RETURN_ERROR_IF(*end != '\0', MN_ERR_ARG, "trailing characters in %s '%s'", what, text);
    }
    double scaled = value * scale;
    MN_RETURN_ERROR_IF(scaled >= 18446744073709551615.0, MN_ERR_ARG, "%s '%s' is too large", what,
                       text);
    MN_RETURN_ERROR_IF(scaled != floor(scaled), MN_ERR_ARG, "%s '%s' is not a whole number", what,
                       text);
    *out = (uint64_t)scaled;
    return MN_OK;
}

mn_status mn_parse_size(const char *text, uint64_t *out) {
    return parse_scaled(text, 1024.0, "size", out);
}

mn_status mn_parse_count(const char *text, uint64_t *out) {
    return parse_scaled(text, 1000.0, "count", out);
}

char *mn_format_bytes(char *out, size_t size, double bytes) {
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int u = 0;
    while (fabs(bytes) >= 1024.0 && u < 5) {
        bytes /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(out, size, "%.0f B", bytes);
    else
        snprintf(out, size, "%.*f %s",
                 fabs(bytes) < 10    ? 2
                 : fabs(bytes) < 100 ? 1
                                     : 0,
                 bytes, units[u]);
    return out;
}

char *mn_format_count(char *out, size_t size, double count) {
    static const char *const units[] = {"", "k", "M", "G", "T", "P"};
    int u = 0;
    while (fabs(count) >= 1000.0 && u < 5) {
        count /= 1000.0;
        u++;
    }
    if (u == 0)
        snprintf(out, size, "%.0f", count);
    else
        snprintf(out, size, "%.*f%s",
                 fabs(count) < 10    ? 2
                 : fabs(count) < 100 ? 1
                                     : 0,
                 count, units[u]);
    return out;
}

char *mn_format_duration(char *out, size_t size, double secs) {
    if (!(secs >= 0) || secs > 1e9) {
        snprintf(out, size, "--");
        return out;
    }
    uint64_t s = (uint64_t)llround(secs);
    uint64_t h = s / 3600, m = (s / 60) % 60;
    if (h > 0)
        snprintf(out, size, "%lluh%02llum%02llus", (unsigned long long)h, (unsigned long long)m,
                 (unsigned long long)(s % 60));
    else if (m > 0)
        snprintf(out, size, "%llum%02llus", (unsigned long long)m, (unsigned long long)(s % 60));
    else
        snprintf(out, size, "%llus", (unsigned long long)s);
    return out;
}
