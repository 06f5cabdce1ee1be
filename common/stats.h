/* Named counters that every rank fills and that are combined across ranks.
 *
 *     mn_stats *stats = mn_stats_create();
 *     mn_stats_add(stats, "docs.in", 1);
 *     mn_stats_add(stats, "bad.json", 1);           // a counter only some ranks see
 *     mn_stats_max_f64(stats, "seconds.slowest", t);
 *     mn_stats_reduce(stats, MPI_COMM_WORLD);       // collective; every rank gets the totals
 *
 * Ranks may hold different sets of names: the reduction merges them by name, so a
 * counter seen on one rank only still reaches the total. Entries are kept sorted by name
 * after a reduction, so reports list them in the same order whatever the rank count.
 */
#ifndef MNEMO_COMMON_STATS_H
#define MNEMO_COMMON_STATS_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef enum mn_stat_op { MN_STAT_SUM = 0, MN_STAT_MAX = 1, MN_STAT_MIN = 2 } mn_stat_op;
typedef enum mn_stat_type { MN_STAT_INT = 0, MN_STAT_REAL = 1 } mn_stat_type;

typedef struct mn_stat {
    char *name;
    mn_stat_op op;
    mn_stat_type type;
    int64_t i; /* value when type == MN_STAT_INT */
    double d;  /* value when type == MN_STAT_REAL */
} mn_stat;

typedef struct mn_stats {
    mn_stat *items;
    size_t count;
    size_t capacity;
} mn_stats;

mn_stats *mn_stats_create(void); /* NULL on allocation failure (error set) */
void mn_stats_free(mn_stats *stats);

/* Creates the counter on first use. Using one name with two ops or types is an error. */
mn_status mn_stats_add(mn_stats *stats, const char *name, int64_t delta);
mn_status mn_stats_add_f64(mn_stats *stats, const char *name, double delta);
mn_status mn_stats_max(mn_stats *stats, const char *name, int64_t value);
mn_status mn_stats_max_f64(mn_stats *stats, const char *name, double value);
mn_status mn_stats_min(mn_stats *stats, const char *name, int64_t value);

/* Value of a counter, 0 when absent. */
int64_t mn_stats_get(const mn_stats *stats, const char *name);
double mn_stats_get_f64(const mn_stats *stats, const char *name);
const mn_stat *mn_stats_find(const mn_stats *stats, const char *name);

/* Collective over `comm`: afterwards every rank holds the combined counters (sums summed in
 * rank order, so doubles are deterministic for a given rank count). */
mn_status mn_stats_reduce(mn_stats *stats, MPI_Comm comm);

#endif
