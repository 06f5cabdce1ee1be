#include "common/error.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { MN_ERROR_CAPACITY = 2048 };

static _Thread_local char error_buffer[MN_ERROR_CAPACITY];

static const char *const status_names[MN_STATUS_COUNT] = {
    [MN_OK] = "ok",
    [MN_ERR_ARG] = "argument",
    [MN_ERR_IO] = "io",
    [MN_ERR_NOMEM] = "out-of-memory",
    [MN_ERR_FORMAT] = "format",
    [MN_ERR_CORRUPT] = "corrupt",
    [MN_ERR_LIMIT] = "limit",
    [MN_ERR_NOT_FOUND] = "not-found",
    [MN_ERR_UNSUPPORTED] = "unsupported",
    [MN_ERR_MPI] = "mpi",
    [MN_ERR_STATE] = "state",
    [MN_ERR_EXTERNAL] = "external",
    [MN_ERR_MISMATCH] = "mismatch",
    [MN_ERR_INTERRUPTED] = "interrupted",
};

const char *mn_status_name(mn_status status) {
    if ((unsigned)status >= MN_STATUS_COUNT)
        return "unknown";
    return status_names[status];
}

const char *mn_error_message(void) {
    return error_buffer;
}

void mn_error_clear(void) {
    error_buffer[0] = '\0';
}

mn_status mn_error(mn_status status, const char *fmt, ...) {
    assert(status != MN_OK);
    va_list args;
    va_start(args, fmt);
    vsnprintf(error_buffer, sizeof error_buffer, fmt, args);
    va_end(args);
    return status;
}

mn_status mn_error_errno(mn_status status, const char *fmt, ...) {
    assert(status != MN_OK);
    int saved_errno = errno;
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(error_buffer, sizeof error_buffer, fmt, args);
    va_end(args);
    if (n >= 0 && (size_t)n < sizeof error_buffer)
        snprintf(error_buffer + n, sizeof error_buffer - (size_t)n, ": %s", strerror(saved_errno));
    errno = saved_errno;
    return status;
}

mn_status mn_error_context(mn_status status, const char *fmt, ...) {
    char previous[MN_ERROR_CAPACITY];
    memcpy(previous, error_buffer, sizeof previous);
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(error_buffer, sizeof error_buffer, fmt, args);
    va_end(args);
    if (n >= 0 && (size_t)n < sizeof error_buffer && previous[0] != '\0')
        snprintf(error_buffer + n, sizeof error_buffer - (size_t)n, ": %s", previous);
    return status;
}
