/* A stand-alone driver for LLVMFuzzerTestOneInput targets, used where libFuzzer is not
 * available (gcc builds). It runs every seed file, then seeded random mutations of them
 * (bit flips, byte changes, insertions, deletions, truncations, splices) for a bounded
 * time. The mutation stream is fixed by --seed, so a failure reproduces; the input that
 * crashed is written to ARTIFACT_DIR/crash-<run> before the process dies.
 *
 *   fuzz_target [--seconds S] [--runs N] [--seed X] [--artifact-dir DIR] SEED_DIR_OR_FILE...
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/io.h"
#include "common/rng.h"
#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct seed {
    uint8_t *data;
    size_t size;
} seed;

static seed *seeds;
static size_t seed_count;
static const uint8_t *current_data;
static size_t current_size;
static unsigned long long current_run;
static char artifact_dir[2048] = ".";

static void write_crash(int sig) {
    char path[2200];
    snprintf(path, sizeof path, "%s/crash-%llu", artifact_dir, current_run);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        ssize_t ignored = write(fd, current_data, current_size);
        (void)ignored;
        close(fd);
    }
    static const char note[] = "fuzz driver: crashing input saved in artifact dir\n";
    ssize_t ignored = write(2, note, sizeof note - 1);
    (void)ignored;
    signal(sig, SIG_DFL);
    raise(sig);
}

static void add_seed(const char *path) {
    uint8_t *data;
    size_t size;
    if (mn_read_file(path, 64u << 20, &data, &size) != MN_OK)
        return;
    seeds = realloc(seeds, (seed_count + 1) * sizeof *seeds);
    if (seeds == NULL)
        abort();
    seeds[seed_count++] = (seed){data, size};
}

static void add_path(const char *path) {
    DIR *dir = opendir(path);
    if (dir == NULL) { /* a file */
        add_seed(path);
        return;
    }
    struct dirent *entry;
    char **names = NULL;
    size_t count = 0;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        names = realloc(names, (count + 1) * sizeof *names);
        if (names == NULL || (names[count] = strdup(entry->d_name)) == NULL)
            abort();
        count++;
    }
    closedir(dir);
    /* Sorted, so the mutation stream does not depend on directory order. */
    for (size_t i = 0; i + 1 < count; i++)
        for (size_t j = i + 1; j < count; j++)
            if (strcmp(names[i], names[j]) > 0) {
                char *t = names[i];
                names[i] = names[j];
                names[j] = t;
            }
    for (size_t i = 0; i < count; i++) {
        char *child = mn_path_join(path, names[i]);
        if (child != NULL)
            add_seed(child);
        free(child);
        free(names[i]);
    }
    free(names);
}

static size_t mutate(mn_rng *rng, uint8_t *buf, size_t size, size_t capacity) {
    int rounds = 1 + (int)mn_rng_below(rng, 4);
    for (int r = 0; r < rounds; r++) {
        switch (mn_rng_below(rng, 7)) {
            case 0: /* flip a bit */
                if (size)
                    buf[mn_rng_below(rng, size)] ^= (uint8_t)(1u << mn_rng_below(rng, 8));
                break;
            case 1: /* set a byte to an interesting value */
                if (size) {
                    static const uint8_t interesting[] = {0,   1,   0x7f, 0x80, 0xff, '\n',
                                                          '"', '{', '}',  0xc0, 0xef};
                    buf[mn_rng_below(rng, size)] =
                        interesting[mn_rng_below(rng, sizeof interesting)];
                }
                break;
            case 2: /* random byte */
                if (size)
                    buf[mn_rng_below(rng, size)] = (uint8_t)mn_rng_u64(rng);
                break;
            case 3: /* insert random bytes */
                if (size < capacity) {
                    size_t at = mn_rng_below(rng, size + 1);
                    size_t n = 1 + mn_rng_below(rng, capacity - size < 16 ? capacity - size : 16);
                    memmove(buf + at + n, buf + at, size - at);
                    for (size_t i = 0; i < n; i++)
                        buf[at + i] = (uint8_t)mn_rng_u64(rng);
                    size += n;
                }
                break;
            case 4: /* delete a range */
                if (size) {
                    size_t at = mn_rng_below(rng, size);
                    size_t n = 1 + mn_rng_below(rng, size - at < 64 ? size - at : 64);
                    memmove(buf + at, buf + at + n, size - at - n);
                    size -= n;
                }
                break;
            case 5: /* truncate */
                if (size)
                    size = mn_rng_below(rng, size);
                break;
            case 6: /* overwrite a 4 or 8-byte little-endian field with an extreme value */
                if (size >= 8) {
                    static const uint64_t extremes[] = {
                        0, 1, 0xffffffffull, 0x7fffffffull, UINT64_MAX, 1ull << 32, 1ull << 63};
                    uint64_t v = extremes[mn_rng_below(rng, 7)];
                    size_t width = mn_rng_below(rng, 2) ? 8 : 4;
                    memcpy(buf + mn_rng_below(rng, size - width + 1), &v, width);
                }
                break;
        }
    }
    return size;
}

int main(int argc, char **argv) {
    double seconds = 10;
    unsigned long long max_runs = 0, seed_value = 1;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (i + 1 >= argc)
            break;
        if (strcmp(argv[i], "--seconds") == 0)
            seconds = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--runs") == 0)
            max_runs = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--seed") == 0)
            seed_value = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--artifact-dir") == 0)
            snprintf(artifact_dir, sizeof artifact_dir, "%s", argv[i + 1]);
    }
    for (; i < argc; i++)
        add_path(argv[i]);
    mn_make_dirs(artifact_dir);
    signal(SIGSEGV, write_crash);
    signal(SIGABRT, write_crash);
    signal(SIGBUS, write_crash);
    signal(SIGFPE, write_crash);
    signal(SIGILL, write_crash);

    for (size_t s = 0; s < seed_count; s++) {
        current_data = seeds[s].data;
        current_size = seeds[s].size;
        LLVMFuzzerTestOneInput(seeds[s].data, seeds[s].size);
        current_run++;
    }
    enum { CAPACITY = 1 << 20 };
    uint8_t *buf = malloc(CAPACITY);
    if (buf == NULL)
        return 1;
    mn_rng rng;
    mn_rng_seed(&rng, seed_value);
    double start = mn_now();
    while (mn_now() - start < seconds && (max_runs == 0 || current_run < max_runs)) {
        size_t size = 0;
        if (seed_count) {
            const seed *from = &seeds[mn_rng_below(&rng, seed_count)];
            size = from->size < CAPACITY ? from->size : CAPACITY;
            memcpy(buf, from->data, size);
            if (seed_count > 1 && mn_rng_below(&rng, 8) == 0) { /* splice with another seed */
                const seed *other = &seeds[mn_rng_below(&rng, seed_count)];
                size_t at = size ? mn_rng_below(&rng, size) : 0;
                size_t take = other->size < CAPACITY - at ? other->size : CAPACITY - at;
                size_t from_at = other->size ? mn_rng_below(&rng, other->size) : 0;
                take = take < other->size - from_at ? take : other->size - from_at;
                memcpy(buf + at, other->data + from_at, take);
                size = at + take > size ? at + take : size;
            }
        } else {
            size = mn_rng_below(&rng, 256);
            for (size_t k = 0; k < size; k++)
                buf[k] = (uint8_t)mn_rng_u64(&rng);
        }
        size = mutate(&rng, buf, size, CAPACITY);
        /* A copy of exactly `size` bytes, so reads past the end are caught by ASan. */
        uint8_t *input = malloc(size ? size : 1);
        if (input == NULL)
            return 1;
        memcpy(input, buf, size);
        current_data = input;
        current_size = size;
        LLVMFuzzerTestOneInput(input, size);
        free(input);
        current_run++;
    }
    printf("fuzz driver: %llu runs over %zu seeds in %.1f s, no crash\n", current_run, seed_count,
           mn_now() - start);
    for (size_t s = 0; s < seed_count; s++)
        free(seeds[s].data);
    free(seeds);
    free(buf);
    return 0;
}
