/* Files: atomic replace, whole-file reads with a bound, read-only mappings, directories.
 *
 * Atomic replace (the only way mnemo publishes an output):
 *     mn_atomic_file out;
 *     MN_FORWARD_IF_ERROR(mn_atomic_open(&out, "shard-00001.mtok"));   // writes NAME.tmp
 *     ... mn_atomic_write(&out, data, n) or fprintf(out.fp, ...) ...
 *     MN_FORWARD_IF_ERROR(mn_atomic_commit(&out));  // fflush, fsync, rename, fsync directory
 * A process killed at any point leaves either the previous NAME (or none) or the complete
 * new one, never a partial NAME; a stale NAME.tmp is truncated by the next open.
 */
#ifndef MNEMO_COMMON_IO_H
#define MNEMO_COMMON_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"

typedef struct mn_atomic_file {
    FILE *fp;       /* open on tmp_path; usable with stdio directly */
    char *path;     /* the final name */
    char *tmp_path; /* path + ".tmp" */
} mn_atomic_file;

mn_status mn_atomic_open(mn_atomic_file *file, const char *path);
mn_status mn_atomic_write(mn_atomic_file *file, const void *data, size_t len);
/* Publishes the file; on failure the old file (if any) is untouched and the tmp removed. */
mn_status mn_atomic_commit(mn_atomic_file *file);
/* Discards the tmp file; safe on a zeroed or already finished mn_atomic_file. */
void mn_atomic_abort(mn_atomic_file *file);
/* open + write + commit of one buffer. */
mn_status mn_write_file_atomic(const char *path, const void *data, size_t len);

/* Test hook: when set, called at each step of open/commit with a step number (1 after the
 * tmp is created, 2 after data is flushed, 3 after fsync, 4 after rename, 5 after the
 * directory fsync) so a test can kill the process there. NULL in production. */
extern void (*mn__atomic_step_hook)(int step);

/* Reads a whole file into a new NUL-terminated buffer (free with free()); fails with
 * MN_ERR_LIMIT, naming the file, when it is larger than `max_size`. */
mn_status mn_read_file(const char *path, size_t max_size, uint8_t **data, size_t *size);

/* A read-only mapping of a whole file; an empty file maps to data == NULL, size == 0. */
typedef struct mn_mapped_file {
    const uint8_t *data;
    size_t size;
} mn_mapped_file;

mn_status mn_map_file(mn_mapped_file *map, const char *path);
void mn_unmap_file(mn_mapped_file *map);

/* write()/read() until all `len` bytes are done, retrying on EINTR; `name` is for messages.
 * mn_read_full reports MN_ERR_FORMAT ("unexpected end") when the file ends early. */
mn_status mn_write_full(int fd, const void *data, size_t len, const char *name);
mn_status mn_read_full(int fd, void *data, size_t len, const char *name);
/* fwrite with a checked result. */
mn_status mn_fwrite_all(FILE *fp, const void *data, size_t len, const char *name);

/* mkdir -p; existing directories are fine. */
mn_status mn_make_dirs(const char *path);
/* fsync a directory so a rename or a new entry in it survives a crash. */
mn_status mn_fsync_dir(const char *dir);
/* fsync the directory that contains `path`. */
mn_status mn_fsync_parent(const char *path);
/* Removes a file or a whole directory tree; a missing path is fine. */
mn_status mn_remove_tree(const char *path);

bool mn_path_exists(const char *path);
bool mn_is_directory(const char *path);
mn_status mn_file_size(const char *path, uint64_t *size);
/* Joins two path parts with one '/'; returns a new string or NULL (error set). */
char *mn_path_join(const char *dir, const char *name);
/* Writes the directory part of `path` ("." when there is none) into out. */
void mn_path_dirname(const char *path, char *out, size_t size);

#endif
