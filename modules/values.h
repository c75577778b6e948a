/* Parsers for manifest value types. Each returns false after reporting through diag. */
#ifndef QRUN_VALUES_H
#define QRUN_VALUES_H

#include "common.h"
#include "diag.h"

#include <stdint.h>
#include <sys/types.h>

/* How a number-or-unlimited value (a [limits] rlimit) is read. */
enum value_unit { UNIT_COUNT, UNIT_BYTES, UNIT_SECONDS };

struct limit_value {
        bool unlimited;
        uint64_t value; /* in the unit's base: a count, bytes or seconds */
};

/* "unlimited", or a number in unit (seconds: a duration in whole seconds);
 * values at or above RLIM_INFINITY are refused. */
bool parse_limit(struct diag *d, const char *s, enum value_unit unit, struct limit_value *out);

/* true/false/yes/no/on/off/1/0, case-insensitive. */
bool parse_bool(struct diag *d, const char *s, bool *out);

/* A decimal number no larger than max. */
bool parse_number(struct diag *d, const char *s, uint64_t max, uint64_t *out);

/* A byte count with an optional binary suffix K, M, G or T (1K = 1024). */
bool parse_size(struct diag *d, const char *s, uint64_t *out);

/* A duration: a number with unit ms, s, m or h (a bare number means seconds).
 * Result in milliseconds. */
bool parse_duration_ms(struct diag *d, const char *s, uint64_t *out);

/* An octal file-mode mask from 0 to 0777, such as 022 or 0027. */
bool parse_umask(struct diag *d, const char *s, mode_t *out);

/* True if s is a valid environment variable name ([A-Za-z_][A-Za-z0-9_]*). */
bool is_env_name(const char *s, size_t len);

/* Expands ${NAME} and ${NAME:-default} from the caller's environment; $$ is a
 * literal $. A lone $ or an unset name without a default is an error. */
bool expand_vars(struct diag *d, const char *in, char **out);

/* Splits an `args` value into words, shell style: blanks separate words, '...'
 * is literal, "..." allows \" \\ \$ and expansion, \ escapes one character
 * outside quotes. ${...} is expanded in unquoted and double-quoted text and the
 * result is never split again. */
bool split_words(struct diag *d, const char *in, struct strv *out);

/* Quotes a word so that split_words() gives it back unchanged. Caller frees. */
char *quote_word(const char *word);

/* Escapes $ as $$ so that expand_vars() gives s back unchanged. Caller frees. */
char *escape_dollars(const char *s);

/* The candidate closest to word by edit distance, or NULL if none is close. */
const char *nearest_word(const char *word, const char *const *candidates, size_t n);

#endif
