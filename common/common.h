/* Everything in common/, for files that use several parts of it. */
#ifndef MNEMO_COMMON_COMMON_H
#define MNEMO_COMMON_COMMON_H

#include "common/cli.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/io.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/mpi_helpers.h"
#include "common/program.h"
#include "common/progress.h"
#include "common/rng.h"
#include "common/stats.h"
#include "common/util.h"

#endif
