#include "common/io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/mem.h"

void (*mn__atomic_step_hook)(int step) = NULL;

static void atomic_step(int step) {
    if (mn__atomic_step_hook != NULL)
        mn__atomic_step_hook(step);
}

static void atomic_release(mn_atomic_file *file) {
    free(file->path);
    free(file->tmp_path);
    *file = (mn_atomic_file){0};
}

mn_status mn_atomic_open(mn_atomic_file *file, const char *path) {
    *file = (mn_atomic_file){0};
    file->path = mn_strdup(path);
    file->tmp_path = mn_asprintf("%s.tmp", path);
    if (file->path == NULL || file->tmp_path == NULL) {
        atomic_release(file);
        return MN_ERR_NOMEM;
    }
    file->fp = fopen(file->tmp_path, "wb");
    if (file->fp == NULL) {
        mn_status status = mn_error_errno(MN_ERR_IO,
                                          "cannot create %s (is the output directory "
                                          "writable?)",
                                          file->tmp_path);
        atomic_release(file);
        return status;
    }
    atomic_step(1);
    return MN_OK;
}

mn_status mn_atomic_write(mn_atomic_file *file, const void *data, size_t len) {
    return mn_fwrite_all(file->fp, data, len, file->tmp_path);
}

mn_status mn_atomic_commit(mn_atomic_file *file) {
    MN_RETURN_ERROR_IF(file->fp == NULL, MN_ERR_STATE, "atomic file is not open");
    mn_status status = MN_OK;
    if (fflush(file->fp) != 0)
        status = mn_error_errno(MN_ERR_IO, "cannot write %s", file->tmp_path);
    atomic_step(2);
    if (status == MN_OK && fsync(fileno(file->fp)) != 0)
        status = mn_error_errno(MN_ERR_IO, "cannot fsync %s", file->tmp_path);
    atomic_step(3);
    if (fclose(file->fp) != 0 && status == MN_OK)
        status = mn_error_errno(MN_ERR_IO, "cannot close %s", file->tmp_path);
    file->fp = NULL;
    if (status == MN_OK && rename(file->tmp_path, file->path) != 0)
        status = mn_error_errno(MN_ERR_IO, "cannot rename %s to %s", file->tmp_path, file->path);
    if (status != MN_OK) {
        unlink(file->tmp_path);
        atomic_release(file);
        return status;
    }
    atomic_step(4);
    status = mn_fsync_parent(file->path);
    atomic_step(5);
    atomic_release(file);
    return status;
}

void mn_atomic_abort(mn_atomic_file *file) {
    if (file->fp != NULL)
        fclose(file->fp);
    if (file->tmp_path != NULL)
        unlink(file->tmp_path);
    atomic_release(file);
}

mn_status mn_write_file_atomic(const char *path, const void *data, size_t len) {
    mn_atomic_file file;
    MN_FORWARD_IF_ERROR(mn_atomic_open(&file, path));
    mn_status status = mn_atomic_write(&file, data, len);
    if (status != MN_OK) {
        mn_atomic_abort(&file);
        return status;
    }
    return mn_atomic_commit(&file);
}

mn_status mn_read_file(const char *path, size_t max_size, uint8_t **data, size_t *size) {
    *data = NULL;
    *size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return mn_error_errno(errno == ENOENT ? MN_ERR_NOT_FOUND : MN_ERR_IO, "cannot open %s",
                              path);
    struct stat st;
    mn_status status = MN_OK;
    if (fstat(fd, &st) != 0)
        status = mn_error_errno(MN_ERR_IO, "cannot stat %s", path);
    else if (!S_ISREG(st.st_mode))
        status = mn_error(MN_ERR_ARG, "%s is not a regular file", path);
    else if ((uint64_t)st.st_size > max_size)
        status = mn_error(MN_ERR_LIMIT, "%s is %lld bytes, more than the %zu allowed here", path,
                          (long long)st.st_size, max_size);
    uint8_t *buffer = NULL;
    if (status == MN_OK && (buffer = mn_malloc((size_t)st.st_size + 1)) == NULL)
        status = MN_ERR_NOMEM;
    if (status == MN_OK)
        status = mn_read_full(fd, buffer, (size_t)st.st_size, path);
    close(fd);
    if (status != MN_OK) {
        free(buffer);
        return status;
    }
    buffer[st.st_size] = 0;
    *data = buffer;
    *size = (size_t)st.st_size;
    return MN_OK;
}

mn_status mn_map_file(mn_mapped_file *map, const char *path) {
    *map = (mn_mapped_file){0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return mn_error_errno(errno == ENOENT ? MN_ERR_NOT_FOUND : MN_ERR_IO, "cannot open %s",
                              path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        mn_status status = mn_error_errno(MN_ERR_IO, "cannot stat %s", path);
        close(fd);
        return status;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return mn_error(MN_ERR_ARG, "%s is not a regular file", path);
    }
    if (st.st_size == 0) {
        close(fd);
        return MN_OK;
    }
    void *data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int saved = errno;
    close(fd); /* the mapping keeps the file alive */
    errno = saved;
    if (data == MAP_FAILED)
        return mn_error_errno(MN_ERR_IO, "cannot mmap %s", path);
    map->data = data;
    map->size = (size_t)st.st_size;
    return MN_OK;
}

void mn_unmap_file(mn_mapped_file *map) {
    if (map->data != NULL)
        munmap((void *)map->data, map->size);
    *map = (mn_mapped_file){0};
}

mn_status mn_write_full(int fd, const void *data, size_t len, const char *name) {
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return mn_error_errno(MN_ERR_IO, "cannot write %s", name);
        p += n;
        len -= (size_t)n;
    }
    return MN_OK;
}

mn_status mn_read_full(int fd, void *data, size_t len, const char *name) {
    uint8_t *p = data;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return mn_error_errno(MN_ERR_IO, "cannot read %s", name);
        if (n == 0)
            return mn_error(MN_ERR_FORMAT, "%s: unexpected end of file (%zu bytes missing)", name,
                            len);
        p += n;
        len -= (size_t)n;
    }
    return MN_OK;
}

mn_status mn_fwrite_all(FILE *fp, const void *data, size_t len, const char *name) {
    if (len > 0 && fwrite(data, 1, len, fp) != len)
        return mn_error_errno(MN_ERR_IO, "cannot write %s (disk full?)", name);
    return MN_OK;
}

mn_status mn_make_dirs(const char *path) {
    char *copy = mn_strdup(path);
    if (copy == NULL)
        return MN_ERR_NOMEM;
    mn_status status = MN_OK;
    size_t len = strlen(copy);
    for (size_t i = 1; i <= len && status == MN_OK; i++) {
        if (copy[i] != '/' && copy[i] != '\0')
            continue;
        char saved = copy[i];
        copy[i] = '\0';
        if (mkdir(copy, 0777) != 0 && errno != EEXIST)
            status = mn_error_errno(MN_ERR_IO, "cannot create directory %s", copy);
        else if (!mn_is_directory(copy))
            status = mn_error(MN_ERR_IO, "%s exists and is not a directory", copy);
        copy[i] = saved;
    }
    free(copy);
    return status;
}

mn_status mn_fsync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return mn_error_errno(MN_ERR_IO, "cannot open directory %s", dir);
    mn_status status = MN_OK;
    if (fsync(fd) != 0 && errno != EINVAL) /* some file systems cannot fsync directories */
        status = mn_error_errno(MN_ERR_IO, "cannot fsync directory %s", dir);
    close(fd);
    return status;
}

mn_status mn_fsync_parent(const char *path) {
    char dir[4096];
    mn_path_dirname(path, dir, sizeof dir);
    return mn_fsync_dir(dir);
}

mn_status mn_remove_tree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? MN_OK : mn_error_errno(MN_ERR_IO, "cannot stat %s", path);
    if (S_ISDIR(st.st_mode)) {
        DIR *dir = opendir(path);
        if (dir == NULL)
            return mn_error_errno(MN_ERR_IO, "cannot open directory %s", path);
        struct dirent *entry;
        mn_status status = MN_OK;
        while (status == MN_OK && (entry = readdir(dir)) != NULL) {
            if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
                continue;
            char *child = mn_path_join(path, entry->d_name);
            status = child ? mn_remove_tree(child) : MN_ERR_NOMEM;
            free(child);
        }
        closedir(dir);
        MN_FORWARD_IF_ERROR(status);
        if (rmdir(path) != 0)
            return mn_error_errno(MN_ERR_IO, "cannot remove directory %s", path);
        return MN_OK;
    }
    if (unlink(path) != 0 && errno != ENOENT)
        return mn_error_errno(MN_ERR_IO, "cannot remove %s", path);
    return MN_OK;
}

bool mn_path_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

bool mn_is_directory(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

mn_status mn_file_size(const char *path, uint64_t *size) {
    struct stat st;
    if (stat(path, &st) != 0)
        return mn_error_errno(errno == ENOENT ? MN_ERR_NOT_FOUND : MN_ERR_IO, "cannot stat %s",
                              path);
    *size = (uint64_t)st.st_size;
    return MN_OK;
}

char *mn_path_join(const char *dir, const char *name) {
    if (dir == NULL || *dir == '\0' || name[0] == '/')
        return mn_strdup(name);
    size_t len = strlen(dir);
    return mn_asprintf("%s%s%s", dir, dir[len - 1] == '/' ? "" : "/", name);
}

void mn_path_dirname(const char *path, char *out, size_t size) {
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(out, size, ".");
    else if (slash == path)
        snprintf(out, size, "/");
    else
        snprintf(out, size, "%.*s", (int)(slash - path), path);
}
