#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static char program_name[64] = "mnemo";
static int log_rank = 0;
static int log_world = 1;
static mn_log_level log_level = MN_LOG_LEVEL_INFO;

static const char *const level_names[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};

void mn_log_init(const char *program) {
    if (program != NULL) {
        const char *slash = strrchr(program, '/');
        snprintf(program_name, sizeof program_name, "%s", slash ? slash + 1 : program);
    }
    const char *env = getenv("MNEMO_LOG");
    if (env == NULL || *env == '\0')
        return;
    static const struct {
        const char *name;
        mn_log_level level;
    } names[] = {{"error", MN_LOG_LEVEL_ERROR},
                 {"warn", MN_LOG_LEVEL_WARN},
                 {"warning", MN_LOG_LEVEL_WARN},
                 {"info", MN_LOG_LEVEL_INFO},
                 {"debug", MN_LOG_LEVEL_DEBUG}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(env, names[i].name) == 0) {
            log_level = names[i].level;
            return;
        }
    }
    fprintf(stderr, "%s: MNEMO_LOG=%s is not a level (error, warn, info, debug); using info\n",
            program_name, env);
}

void mn_log_set_rank(int rank, int world) {
    log_rank = rank;
    log_world = world;
}

int mn_log_rank(void) {
    return log_rank;
}

int mn_log_world(void) {
    return log_world;
}

const char *mn_log_program(void) {
    return program_name;
}

void mn_log_set_level(mn_log_level level) {
    log_level = level;
}

bool mn_log_enabled(mn_log_level level) {
    return level <= log_level;
}

void mn_logv(mn_log_level level, const char *fmt, va_list args) {
    if (!mn_log_enabled(level))
        return;
    char line[4096];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(line, sizeof line, "%Y-%m-%d %H:%M:%S", &tm);
    if (log_world > 1)
        n += (size_t)snprintf(line + n, sizeof line - n, ".%03ld %s r%d/%d %s ",
                              (long)(tv.tv_usec / 1000), program_name, log_rank, log_world,
                              level_names[level]);
    else
        n += (size_t)snprintf(line + n, sizeof line - n, ".%03ld %s %s ", (long)(tv.tv_usec / 1000),
                              program_name, level_names[level]);
    if (n < sizeof line) {
        int m = vsnprintf(line + n, sizeof line - n, fmt, args);
        n = m < 0 ? n : n + (size_t)m;
    }
    if (n > sizeof line - 2) {
        n = sizeof line - 2;
        memcpy(line + n - 3, "...", 3);
    }
    line[n++] = '\n';
    /* One write: lines of different threads and ranks never interleave mid-line. */
    ssize_t ignored = write(STDERR_FILENO, line, n);
    (void)ignored;
}

void mn_log(mn_log_level level, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    mn_logv(level, fmt, args);
    va_end(args);
}

#define MN_DEFINE_LOG_FUNCTION(name, level, root_only) \
    void name(const char *fmt, ...) {                  \
        if (root_only && log_rank != 0)                \
            return;                                    \
        va_list args;                                  \
        va_start(args, fmt);                           \
        mn_logv(level, fmt, args);                     \
        va_end(args);                                  \
    }

MN_DEFINE_LOG_FUNCTION(mn_error_log, MN_LOG_LEVEL_ERROR, 0)
MN_DEFINE_LOG_FUNCTION(mn_warn, MN_LOG_LEVEL_WARN, 0)
MN_DEFINE_LOG_FUNCTION(mn_info, MN_LOG_LEVEL_INFO, 0)
MN_DEFINE_LOG_FUNCTION(mn_debug, MN_LOG_LEVEL_DEBUG, 0)
MN_DEFINE_LOG_FUNCTION(mn_warn0, MN_LOG_LEVEL_WARN, 1)
MN_DEFINE_LOG_FUNCTION(mn_info0, MN_LOG_LEVEL_INFO, 1)
