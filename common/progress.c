#include "common/progress.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "common/mpi_helpers.h"
#include "common/util.h"

enum { TAG_UPDATE = 1, TAG_FINAL = 2 };

struct mn_progress {
    char label[64];
    mn_progress_field fields[MN_PROGRESS_MAX_FIELDS];
    int field_count;
    int eta_field;
    MPI_Comm comm; /* private duplicate, or MPI_COMM_NULL when local */
    int rank, world;
    double total; /* global total of the ETA field */
    double interval;
    double start, last_report;
    double local[MN_PROGRESS_MAX_FIELDS];
    /* Root: the latest counters of every rank. Others: the buffer of the pending send. */
    double *per_rank;
    double send_buffer[MN_PROGRESS_MAX_FIELDS];
    MPI_Request pending;
    int finals_received; /* root: ranks whose FINAL has arrived */
    mn_rate rates[MN_PROGRESS_MAX_FIELDS];
};

double mn_eta_seconds(double remaining, double rate) {
    if (!(rate > 0) || !(remaining >= 0))
        return remaining <= 0 ? 0 : -1;
    return remaining / rate;
}

void mn_rate_init(mn_rate *rate, double tau) {
    *rate = (mn_rate){.tau = tau};
}

void mn_rate_update(mn_rate *rate, double now, double cumulative) {
    if (rate->samples == 0) {
        rate->last_time = now;
        rate->last_value = cumulative;
        rate->samples = 1;
        return;
    }
    double dt = now - rate->last_time;
    if (dt <= 0)
        return;
    double instant = (cumulative - rate->last_value) / dt;
    /* The first measured interval sets the rate; later ones blend in with weight
     * 1 - exp(-dt/tau), so the estimate follows changes within about tau seconds
     * whatever the reporting interval. */
    if (rate->samples == 1)
        rate->rate = instant;
    else
        rate->rate += (1.0 - exp(-dt / rate->tau)) * (instant - rate->rate);
    rate->samples++;
    rate->last_time = now;
    rate->last_value = cumulative;
}

static double progress_interval(void) {
    const char *env = getenv("MNEMO_PROGRESS_INTERVAL");
    double value;
    if (env != NULL && mn_parse_double(env, &value) == MN_OK && value >= 0)
        return value;
    return 10.0;
}

mn_status mn_progress_begin(mn_progress **out, const char *label, MPI_Comm comm,
                            const mn_progress_field *fields, int field_count, int eta_field,
                            double local_total) {
    MN_RETURN_ERROR_IF(field_count < 1 || field_count > MN_PROGRESS_MAX_FIELDS, MN_ERR_ARG,
                       "progress needs 1 to %d fields", MN_PROGRESS_MAX_FIELDS);
    MN_RETURN_ERROR_IF(eta_field < 0 || eta_field >= field_count, MN_ERR_ARG,
                       "progress ETA field %d out of range", eta_field);
    mn_progress *p = mn_calloc(1, sizeof *p);
    if (p == NULL)
        return MN_ERR_NOMEM;
    snprintf(p->label, sizeof p->label, "%s", label);
    memcpy(p->fields, fields, (size_t)field_count * sizeof *fields);
    p->field_count = field_count;
    p->eta_field = eta_field;
    p->comm = MPI_COMM_NULL;
    p->world = 1;
    p->pending = MPI_REQUEST_NULL;
    p->interval = progress_interval();
    p->start = p->last_report = mn_now();
    p->total = local_total;
    mn_status status = MN_OK;
    if (comm != MPI_COMM_NULL && mn_mpi_active()) {
        status = mn_mpi_check(MPI_Comm_dup(comm, &p->comm), "MPI_Comm_dup");
        if (status == MN_OK) {
            MPI_Comm_rank(p->comm, &p->rank);
            MPI_Comm_size(p->comm, &p->world);
            status = mn_mpi_check(
                MPI_Allreduce(&local_total, &p->total, 1, MPI_DOUBLE, MPI_SUM, p->comm),
                "MPI_Allreduce");
        }
    }
    if (status == MN_OK && p->rank == 0) {
        p->per_rank = mn_calloc((size_t)p->world * MN_PROGRESS_MAX_FIELDS, sizeof(double));
        if (p->per_rank == NULL)
            status = MN_ERR_NOMEM;
    }
    for (int f = 0; f < field_count; f++)
        mn_rate_init(&p->rates[f], 30.0);
    if (p->comm != MPI_COMM_NULL)
        status = mn_mpi_agree(status, p->comm);
    if (status != MN_OK) {
        if (p->comm != MPI_COMM_NULL)
            MPI_Comm_free(&p->comm);
        free(p->per_rank);
        free(p);
        return status;
    }
    *out = p;
    return MN_OK;
}

void mn_progress_add(mn_progress *p, int field, double amount) {
    if (field >= 0 && field < p->field_count)
        p->local[field] += amount;
}

void mn_progress_add_total(mn_progress *p, double amount) {
    p->total += amount;
}

double mn_progress_value(const mn_progress *p, int field) {
    if (field < 0 || field >= p->field_count)
        return 0;
    if (p->rank != 0)
        return p->local[field];
    double sum = p->local[field];
    for (int r = 1; r < p->world; r++)
        sum += p->per_rank[(size_t)r * MN_PROGRESS_MAX_FIELDS + (size_t)field];
    return sum;
}

static void format_amount(char *out, size_t size, mn_unit unit, double value) {
    if (unit == MN_UNIT_BYTES)
        mn_format_bytes(out, size, value);
    else
        mn_format_count(out, size, value);
}

static void progress_print(mn_progress *p, double now, int final) {
    char line[1024];
    size_t n = (size_t)snprintf(line, sizeof line, "%s:", p->label);
    double elapsed = now - p->start;
    for (int f = 0; f < p->field_count && n < sizeof line; f++) {
        double value = mn_progress_value(p, f);
        mn_rate_update(&p->rates[f], now, value);
        double rate = final ? (elapsed > 0 ? value / elapsed : 0) : p->rates[f].rate;
        char amount[32], speed[32];
        format_amount(amount, sizeof amount, p->fields[f].unit, value);
        format_amount(speed, sizeof speed, p->fields[f].unit, rate);
        n += (size_t)snprintf(line + n, sizeof line - n, "%s %s %s (%s/s)", f ? " |" : "",
                              p->fields[f].name, amount, speed);
    }
    if (n < sizeof line && p->total > 0) {
        double done = mn_progress_value(p, p->eta_field);
        double percent = 100.0 * done / p->total;
        char eta[32], took[32];
        if (final)
            n += (size_t)snprintf(line + n, sizeof line - n, " | %.1f%% | took %s", percent,
                                  mn_format_duration(took, sizeof took, elapsed));
        else
            n += (size_t)snprintf(
                line + n, sizeof line - n, " | %.1f%% | ETA %s", percent,
                mn_format_duration(eta, sizeof eta,
                                   mn_eta_seconds(p->total - done, p->rates[p->eta_field].rate)));
    } else if (n < sizeof line && final) {
        char took[32];
        snprintf(line + n, sizeof line - n, " | took %s",
                 mn_format_duration(took, sizeof took, elapsed));
    }
    mn_info("%s", line);
}

/* Root: takes the messages that have arrived (wait_for_finals false), or every message
 * until each other rank's FINAL has come (true). A FINAL may arrive during an ordinary tick,
 * when a rank ends before rank 0, so the count of FINALs lives in the struct. */
static void progress_receive(mn_progress *p, bool wait_for_finals) {
    for (;;) {
        MPI_Status st;
        if (wait_for_finals) {
            if (p->finals_received == p->world - 1)
                return;
        } else {
            int ready = 0;
            MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, p->comm, &ready, &st);
            if (!ready)
                return;
        }
        double values[MN_PROGRESS_MAX_FIELDS];
        MPI_Recv(values, MN_PROGRESS_MAX_FIELDS, MPI_DOUBLE, MPI_ANY_SOURCE, MPI_ANY_TAG, p->comm,
                 &st);
        memcpy(p->per_rank + (size_t)st.MPI_SOURCE * MN_PROGRESS_MAX_FIELDS, values, sizeof values);
        if (st.MPI_TAG == TAG_FINAL)
            p->finals_received++;
    }
}

void mn_progress_tick(mn_progress *p) {
    double now = mn_now();
    if (now - p->last_report < p->interval)
        return;
    p->last_report = now;
    if (p->rank == 0) {
        if (p->comm != MPI_COMM_NULL)
            progress_receive(p, false);
        progress_print(p, now, 0);
        return;
    }
    /* Skip this report if the previous one is still in flight: never queue up. */
    int done = 1;
    if (p->pending != MPI_REQUEST_NULL)
        MPI_Test(&p->pending, &done, MPI_STATUS_IGNORE);
    if (!done)
        return;
    memcpy(p->send_buffer, p->local, sizeof p->send_buffer);
    MPI_Isend(p->send_buffer, MN_PROGRESS_MAX_FIELDS, MPI_DOUBLE, 0, TAG_UPDATE, p->comm,
              &p->pending);
}

mn_status mn_progress_end(mn_progress *p, double *totals) {
    mn_status status = MN_OK;
    if (p->comm != MPI_COMM_NULL) {
        if (p->rank == 0) {
            /* Messages from one rank arrive in order, so each rank's FINAL comes after
             * (and overrides) its last UPDATE. */
            progress_receive(p, true);
        } else {
            if (p->pending != MPI_REQUEST_NULL)
                MPI_Wait(&p->pending, MPI_STATUS_IGNORE);
            status = mn_mpi_check(
                MPI_Send(p->local, MN_PROGRESS_MAX_FIELDS, MPI_DOUBLE, 0, TAG_FINAL, p->comm),
                "MPI_Send");
        }
    }
    if (p->rank == 0) {
        progress_print(p, mn_now(), 1);
        for (int f = 0; totals != NULL && f < p->field_count; f++)
            totals[f] = mn_progress_value(p, f);
    }
    if (p->comm != MPI_COMM_NULL)
        MPI_Comm_free(&p->comm);
    free(p->per_rank);
    free(p);
    return status;
}
