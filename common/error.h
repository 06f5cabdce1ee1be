/* Error values and messages.
 *
 * Library functions return an mn_status. On failure they also leave a message in the
 * calling thread's error buffer (mn_error_message), written where the fault was found
 * and prefixed with context by each caller that knows more (the file, the record).
 * Only programs print the message and exit; library code never calls exit().
 *
 *     mn_status shard_reader_open(...) {
 *         MN_RETURN_ERROR_IF(size < 16, MN_ERR_FORMAT, "%s: %zu bytes, too short", path, size);
 *         MN_FORWARD_IF_ERROR(read_footer(...));
 *         return MN_OK;
 *     }
 */
#ifndef MNEMO_COMMON_ERROR_H
#define MNEMO_COMMON_ERROR_H

#include <stddef.h>

typedef enum mn_status {
    MN_OK = 0,
    MN_ERR_ARG,         /* an invalid argument or option value */
    MN_ERR_IO,          /* the operating system refused a file or device operation */
    MN_ERR_NOMEM,       /* an allocation failed */
    MN_ERR_FORMAT,      /* input does not follow its format */
    MN_ERR_CORRUPT,     /* a checksum or an internal invariant of stored data failed */
    MN_ERR_LIMIT,       /* a size bound was exceeded (a line, a footer, a message) */
    MN_ERR_NOT_FOUND,   /* a file, key or record does not exist */
    MN_ERR_UNSUPPORTED, /* valid input that this version cannot handle */
    MN_ERR_MPI,         /* an MPI call failed */
    MN_ERR_STATE,       /* the call is not valid in the object's current state */
    MN_ERR_EXTERNAL,    /* a library (zstd, libarchive, ...) reported a failure */
    MN_ERR_MISMATCH,    /* two things that must agree do not (tokenizer hash, config) */
    MN_ERR_INTERRUPTED, /* stopped by a signal or a request to stop */
    MN_STATUS_COUNT
} mn_status;

/* Short stable name of a status ("io", "format", ...), for messages and reports. */
const char *mn_status_name(mn_status status);

/* The calling thread's last error message; "" when none was set. */
const char *mn_error_message(void);

/* Sets the thread's error message from a printf format and returns `status`.
 * Passing MN_OK is a programming error. */
mn_status mn_error(mn_status status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* As mn_error, then appends ": <strerror(errno)>" (errno as it was on entry). */
mn_status mn_error_errno(mn_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefixes the current message with "<context>: " and returns `status` unchanged;
 * used when forwarding an error to add what the caller knows. */
mn_status mn_error_context(mn_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Forgets the thread's error message. */
void mn_error_clear(void);

/* Returns `status` with message `fmt` when `cond` holds. */
#define MN_RETURN_ERROR_IF(cond, status, ...)       \
    do {                                            \
        if (cond)                                   \
            return mn_error((status), __VA_ARGS__); \
    } while (0)

/* Evaluates an mn_status expression and returns it from the caller when it failed. */
#define MN_FORWARD_IF_ERROR(expr)      \
    do {                               \
        mn_status mn__status = (expr); \
        if (mn__status != MN_OK)       \
            return mn__status;         \
    } while (0)

/* As MN_FORWARD_IF_ERROR, prefixing the message with a context string. */
#define MN_FORWARD_IF_ERROR_CTX(expr, ...)                    \
    do {                                                      \
        mn_status mn__status = (expr);                        \
        if (mn__status != MN_OK)                              \
            return mn_error_context(mn__status, __VA_ARGS__); \
    } while (0)

/* For functions that release resources on failure: stores the status in `var` and jumps. */
#define MN_GOTO_IF_ERROR(var, expr, label) \
    do {                                   \
        (var) = (expr);                    \
        if ((var) != MN_OK)                \
            goto label;                    \
    } while (0)

#endif
