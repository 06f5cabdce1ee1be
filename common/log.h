/* Rank-aware logging to stderr with levels and timestamps.
 *
 * Every line carries the time, the program, the rank (when there is more than one) and
 * the level:  "2026-11-22 10:00:00.123 mnemo-ingest r1/4 WARN  skipped line 7 of a.jsonl"
 * The level comes from MNEMO_LOG (error, warn, info, debug; default info).
 * mn_info0 and friends print from rank 0 only, for messages every rank would repeat.
 * A line is written with one write() so lines of concurrent threads do not interleave.
 */
#ifndef MNEMO_COMMON_LOG_H
#define MNEMO_COMMON_LOG_H

#include <stdarg.h>
#include <stdbool.h>

typedef enum mn_log_level {
    MN_LOG_LEVEL_ERROR = 0,
    MN_LOG_LEVEL_WARN = 1,
    MN_LOG_LEVEL_INFO = 2,
    MN_LOG_LEVEL_DEBUG = 3,
} mn_log_level;

/* Sets the program name shown in log lines and reads MNEMO_LOG. Safe to call again. */
void mn_log_init(const char *program);
/* Records this process's rank; mn_mpi_init calls it. */
void mn_log_set_rank(int rank, int world);
int mn_log_rank(void);
int mn_log_world(void);
const char *mn_log_program(void);
void mn_log_set_level(mn_log_level level);
bool mn_log_enabled(mn_log_level level);

void mn_log(mn_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mn_logv(mn_log_level level, const char *fmt, va_list args);

void mn_error_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mn_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mn_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mn_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Rank 0 only. */
void mn_warn0(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mn_info0(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
