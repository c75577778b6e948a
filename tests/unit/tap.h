/* A minimal TAP producer for qrun's unit tests, plus stderr capture so tests
 * can assert the exact diagnostics. */
#ifndef QRUN_TAP_H
#define QRUN_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int tap_count, tap_failed;

static void tap_ok(int pass, const char *name)
{
        tap_count++;
        printf("%sok %d - %s\n", pass ? "" : "not ", tap_count, name);
        if (!pass)
                tap_failed++;
        fflush(stdout);
}

__attribute__((unused)) static void tap_is_str(const char *got, const char *expected,
                                               const char *name)
{
        int pass = got && expected ? !strcmp(got, expected) : got == expected;
        tap_ok(pass, name);
        if (!pass)
                printf("#   got:      \"%s\"\n#   expected: \"%s\"\n", got ? got : "(null)",
                       expected ? expected : "(null)");
}

__attribute__((unused)) static void tap_is_num(unsigned long long got, unsigned long long expected,
                                               const char *name)
{
        tap_ok(got == expected, name);
        if (got != expected)
                printf("#   got: %llu, expected: %llu\n", got, expected);
}

static int tap_done(void)
{
        printf("1..%d\n", tap_count);
        return tap_failed != 0;
}

/* Redirects stderr into a temporary file until capture_end(), which returns
 * what was written (static buffer, without the trailing newline). */
static int capture_saved_fd = -1;
static FILE *capture_file;

__attribute__((unused)) static void capture_begin(void)
{
        fflush(stderr);
        capture_file = tmpfile();
        capture_saved_fd = dup(2);
        dup2(fileno(capture_file), 2);
}

__attribute__((unused)) static const char *capture_end(void)
{
        static char buf[8192];
        fflush(stderr);
        dup2(capture_saved_fd, 2);
        close(capture_saved_fd);
        rewind(capture_file);
        size_t n = fread(buf, 1, sizeof(buf) - 1, capture_file);
        fclose(capture_file);
        while (n && buf[n - 1] == '\n')
                n--;
        buf[n] = '\0';
        return buf;
}

#endif
