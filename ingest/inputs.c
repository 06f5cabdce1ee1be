/* Input discovery (inputs.h). */
#include "ingest/inputs.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/io.h"
#include "common/mem.h"

typedef struct found_file {
    char *path;
    uint64_t size;
    uint64_t device;
    uint64_t inode;
} found_file;

typedef struct walk {
    const ingest_inputs_options *options;
    found_file *files;
    size_t count, capacity;
    mn_map64 visited_dirs; /* mix(device) ^ inode of directories already walked */
    char **stack;          /* directories still to walk */
    size_t depth, stack_capacity;
} walk;

static mn_status add_file(walk *w, const char *path, const struct stat *st) {
    if (w->count == w->capacity) {
        size_t capacity = w->capacity ? w->capacity * 2 : 256;
        void *files = w->files;
        MN_FORWARD_IF_ERROR(mn_realloc_array(&files, capacity, sizeof *w->files));
        w->files = files;
        w->capacity = capacity;
    }
    char *copy = mn_strdup(path);
    MN_RETURN_ERROR_IF(copy == NULL, MN_ERR_NOMEM, "%s", mn_error_message());
    w->files[w->count++] =
        (found_file){copy, (uint64_t)st->st_size, (uint64_t)st->st_dev, (uint64_t)st->st_ino};
    return MN_OK;
}

static mn_status push_dir(walk *w, const char *path, const struct stat *st) {
    uint64_t key = mn_mix64((uint64_t)st->st_dev) ^ (uint64_t)st->st_ino;
    if (mn_map64_get(&w->visited_dirs, key) != NULL)
        return MN_OK; /* walked already (a link back up the tree, or a second name) */
    MN_FORWARD_IF_ERROR(mn_map64_put(&w->visited_dirs, key, 1));
    if (w->depth == w->stack_capacity) {
        size_t capacity = w->stack_capacity ? w->stack_capacity * 2 : 64;
        void *stack = w->stack;
        MN_FORWARD_IF_ERROR(mn_realloc_array(&stack, capacity, sizeof *w->stack));
        w->stack = stack;
        w->stack_capacity = capacity;
    }
    char *copy = mn_strdup(path);
    MN_RETURN_ERROR_IF(copy == NULL, MN_ERR_NOMEM, "%s", mn_error_message());
    w->stack[w->depth++] = copy;
    return MN_OK;
}

static bool included(const ingest_inputs_options *options, const char *name) {
    if (options->n_include == 0)
        return true;
    for (size_t i = 0; i < options->n_include; i++)
        if (fnmatch(options->include[i], name, 0) == 0)
            return true;
    return false;
}

static mn_status walk_dir(walk *w, const char *dir_path) {
    DIR *dir = opendir(dir_path);
    if (dir == NULL)
        return mn_error_errno(MN_ERR_IO, "cannot list the input directory %s", dir_path);
    mn_status status = MN_OK;
    size_t dir_len = strlen(dir_path);
    while (dir_len > 1 && dir_path[dir_len - 1] == '/')
        dir_len--;
    mn_buf path = {0};
    for (;;) {
        errno = 0;
        struct dirent *entry = readdir(dir);
        if (entry == NULL) {
            if (errno != 0)
                status = mn_error_errno(MN_ERR_IO, "cannot list the input directory %s", dir_path);
            break;
        }
        const char *name = entry->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        if (name[0] == '.' && !w->options->include_hidden)
            continue;
        mn_buf_clear(&path);
        MN_GOTO_IF_ERROR(status, mn_buf_append(&path, dir_path, dir_len), done);
        if (!(dir_len == 1 && dir_path[0] == '/'))
            MN_GOTO_IF_ERROR(status, mn_buf_append_byte(&path, '/'), done);
        MN_GOTO_IF_ERROR(status, mn_buf_append(&path, name, strlen(name)), done);
        struct stat st;
        if (stat((const char *)path.data, &st) != 0) {
            if (errno == ENOENT || errno == ELOOP)
                continue; /* a dangling or looping symbolic link names no input */
            status = mn_error_errno(MN_ERR_IO, "cannot read the input %s", (char *)path.data);
            break;
        }
        if (S_ISDIR(st.st_mode))
            MN_GOTO_IF_ERROR(status, push_dir(w, (const char *)path.data, &st), done);
        else if (S_ISREG(st.st_mode) && included(w->options, name))
            MN_GOTO_IF_ERROR(status, add_file(w, (const char *)path.data, &st), done);
    }
done:
    mn_buf_free(&path);
    closedir(dir);
    return status;
}

/* A named path: a regular file is taken whatever its name; a directory is walked. */
static mn_status add_path(walk *w, const char *path, const char *argument) {
    struct stat st;
    if (stat(path, &st) != 0)
        return mn_error_errno(errno == ENOENT ? MN_ERR_NOT_FOUND : MN_ERR_IO,
                              "input %s: cannot read it (check the path; inputs are files, "
                              "directories or glob patterns)",
                              argument);
    if (S_ISDIR(st.st_mode)) {
        size_t before = w->count;
        if (mn_map64_get(&w->visited_dirs, mn_mix64((uint64_t)st.st_dev) ^ (uint64_t)st.st_ino))
            return MN_OK; /* named twice */
        MN_FORWARD_IF_ERROR(push_dir(w, path, &st));
        while (w->depth > 0) {
            char *dir = w->stack[--w->depth];
            mn_status status = walk_dir(w, dir);
            free(dir);
            MN_FORWARD_IF_ERROR(status);
        }
        MN_RETURN_ERROR_IF(w->count == before, MN_ERR_NOT_FOUND,
                           "input directory %s holds no input files%s", path,
                           w->options->n_include > 0 ? " matching the include patterns" : "");
        return MN_OK;
    }
    MN_RETURN_ERROR_IF(!S_ISREG(st.st_mode), MN_ERR_ARG,
                       "input %s is neither a regular file nor a directory", path);
    return add_file(w, path, &st);
}

static bool has_glob_characters(const char *s) {
    return strpbrk(s, "*?[{") != NULL;
}

static int compare_identity(const void *a, const void *b) {
    const found_file *x = a, *y = b;
    if (x->device != y->device)
        return x->device < y->device ? -1 : 1;
    if (x->inode != y->inode)
        return x->inode < y->inode ? -1 : 1;
    return strcmp(x->path, y->path);
}

static int compare_path(const void *a, const void *b) {
    return strcmp(((const found_file *)a)->path, ((const found_file *)b)->path);
}

static void walk_free(walk *w) {
    for (size_t i = 0; i < w->count; i++)
        free(w->files[i].path);
    free(w->files);
    for (size_t i = 0; i < w->depth; i++)
        free(w->stack[i]);
    free(w->stack);
    mn_map64_free(&w->visited_dirs);
}

mn_status ingest_inputs_collect(const char *const *args, size_t n_args,
                                const ingest_inputs_options *options, ingest_inputs *inputs) {
    static const ingest_inputs_options defaults = {0};
    walk w = {.options = options != NULL ? options : &defaults};
    memset(inputs, 0, sizeof *inputs);
    mn_status status = MN_OK;
    MN_RETURN_ERROR_IF(n_args == 0, MN_ERR_ARG, "no inputs given");
    for (size_t i = 0; i < n_args && status == MN_OK; i++) {
        const char *arg = args[i];
        if (arg[0] == '\0') {
            status = mn_error(MN_ERR_ARG, "an input path is empty");
            break;
        }
        if (mn_path_exists(arg) || !has_glob_characters(arg)) {
            status = add_path(&w, arg, arg);
            continue;
        }
        glob_t matches;
        int rc = glob(arg, GLOB_BRACE | GLOB_ERR, NULL, &matches);
        if (rc == GLOB_NOMATCH) {
            status = mn_error(MN_ERR_NOT_FOUND,
                              "input pattern %s matches no file (check the pattern; quote it "
                              "so that the shell does not expand it)",
                              arg);
        } else if (rc != 0) {
            status = mn_error(rc == GLOB_NOSPACE ? MN_ERR_NOMEM : MN_ERR_IO,
                              "input pattern %s: cannot read a directory it names", arg);
        } else {
            for (size_t k = 0; k < matches.gl_pathc && status == MN_OK; k++)
                status = add_path(&w, matches.gl_pathv[k], arg);
        }
        if (rc != GLOB_NOMATCH)
            globfree(&matches);
    }
    if (status != MN_OK) {
        walk_free(&w);
        return status;
    }
    /* One entry per file: the smallest of its paths. */
    qsort(w.files, w.count, sizeof *w.files, compare_identity);
    size_t kept = 0;
    for (size_t i = 0; i < w.count; i++) {
        if (kept > 0 && w.files[kept - 1].device == w.files[i].device &&
            w.files[kept - 1].inode == w.files[i].inode) {
            free(w.files[i].path);
            continue;
        }
        w.files[kept++] = w.files[i];
    }
    w.count = kept;
    qsort(w.files, w.count, sizeof *w.files, compare_path);
    inputs->items = w.count ? mn_calloc(w.count, sizeof *inputs->items) : NULL;
    if (w.count > 0 && inputs->items == NULL) {
        walk_free(&w);
        return MN_ERR_NOMEM;
    }
    for (size_t i = 0; i < w.count; i++) {
        inputs->items[i].path = w.files[i].path;
        inputs->items[i].size = w.files[i].size;
        inputs->total_bytes += w.files[i].size;
    }
    inputs->count = w.count;
    w.count = 0; /* the paths now belong to inputs */
    walk_free(&w);
    return MN_OK;
}

void ingest_inputs_free(ingest_inputs *inputs) {
    for (size_t i = 0; i < inputs->count; i++)
        free(inputs->items[i].path);
    free(inputs->items);
    memset(inputs, 0, sizeof *inputs);
}
