/* [limits]: resource limits for the command, and the wall-clock timeout the
 * monitor enforces. */
#ifndef QRUN_RESOURCE_LIMITS_H
#define QRUN_RESOURCE_LIMITS_H

#include "diag.h"
#include "values.h"

#include <stdint.h>

enum {
        LIMIT_NOFILE,
        LIMIT_NPROC,
        LIMIT_AS,
        LIMIT_FSIZE,
        LIMIT_CPU,
        LIMIT_CORE,
        LIMIT_STACK,
        LIMIT_COUNT
};

struct limits_config {
        struct limit_value rlimit[LIMIT_COUNT];
        struct loc rlimit_loc[LIMIT_COUNT]; /* where each was set; file NULL: inherited */
        uint64_t timeout_ms;                /* 0: none */
        struct loc timeout_loc;
};

extern const struct section_def limits_section;

/* The fewest descriptors qrun's own setup may need (mount mode with /dev,
 * /proc, binds and Landlock uses 11 at once), with some margin. */
#define QRUN_MIN_NOFILE 16

/* Refuses to start, with a clear message, when the caller's open-file limit is
 * below QRUN_MIN_NOFILE: failing later would blame whichever open came first. */
void limits_check_caller(void);

/* Sets soft and hard limits to the configured values. */
void limits_apply(const struct limits_config *l);

#endif
