/* Progress of long work across ranks, printed by rank 0 with rates and an ETA.
 *
 *     mn_progress_field fields[] = {{"files", MN_UNIT_COUNT}, {"input", MN_UNIT_BYTES},
 *                                   {"docs", MN_UNIT_COUNT}};
 *     mn_progress *p;
 *     // every rank passes its own share of the total of field 1; the totals are summed
 *     MN_FORWARD_IF_ERROR(mn_progress_begin(&p, "ingest", MPI_COMM_WORLD, fields, 3, 1,
 *                                           my_input_bytes));
 *     ... mn_progress_add(p, 1, bytes_read); mn_progress_tick(p); ...
 *     MN_FORWARD_IF_ERROR(mn_progress_end(p, NULL));   // collective; prints the final line
 *
 * prints lines such as
 *     ingest: files 12 (3.1/s) | input 1.20 GiB (56.7 MiB/s) | docs 123k (9.8k/s) | 41.3% | ETA
 * 3m12s
 *
 * Non-root ranks send their counters to rank 0 at most once per interval with a
 * non-blocking send on a private communicator; rank 0 drains them on its own ticks. No
 * rank ever waits for another before mn_progress_end, so a slow rank does not slow the
 * others. Interval: MNEMO_PROGRESS_INTERVAL seconds (default 10; 0 prints every tick).
 */
#ifndef MNEMO_COMMON_PROGRESS_H
#define MNEMO_COMMON_PROGRESS_H

#include <mpi.h>
#include <stddef.h>

#include "common/error.h"

enum { MN_PROGRESS_MAX_FIELDS = 6 };

typedef enum mn_unit { MN_UNIT_COUNT = 0, MN_UNIT_BYTES = 1 } mn_unit;

typedef struct mn_progress_field {
    const char *name;
    mn_unit unit;
} mn_progress_field;

typedef struct mn_progress mn_progress;

/* Collective over comm (MPI_COMM_NULL or MPI not running: local only). `eta_field` is the
 * field whose total is known; `local_total` is this rank's share of it (0 when unknown). */
mn_status mn_progress_begin(mn_progress **progress, const char *label, MPI_Comm comm,
                            const mn_progress_field *fields, int field_count, int eta_field,
                            double local_total);
/* Adds to this rank's counter of `field`. Cheap: no I/O, no MPI. */
void mn_progress_add(mn_progress *progress, int field, double amount);
/* Sends (non-root) or prints (root) when the interval has passed. Cheap otherwise. */
void mn_progress_tick(mn_progress *progress);
/* Adds to the global total of the ETA field after begin (e.g. work discovered later). */
void mn_progress_add_total(mn_progress *progress, double amount);
/* Collective: gathers the final counters, prints the summary on rank 0, frees. When
 * `totals` is not NULL, rank 0 receives the global value of every field in it. */
mn_status mn_progress_end(mn_progress *progress, double *totals);
/* The global value of a field as rank 0 last saw it (root) or this rank's value (others). */
double mn_progress_value(const mn_progress *progress, int field);

/* --- Arithmetic, exposed for tests --- */

/* Seconds left for `remaining` units at `rate` units/s; -1 when unknown (rate <= 0). */
double mn_eta_seconds(double remaining, double rate);

/* A rate smoothed by an exponential moving average with time constant `tau` seconds,
 * updated with cumulative counts at given times. The first update sets the origin. */
typedef struct mn_rate {
    double tau;
    double last_time;
    double last_value;
    double rate;
    int samples;
} mn_rate;

void mn_rate_init(mn_rate *rate, double tau);
void mn_rate_update(mn_rate *rate, double now, double cumulative);

#endif
