/* Unit tests: value parsers, ${} expansion, args word splitting. */
#define _GNU_SOURCE
#include "tap.h"
#include "values.h"

#include <stdlib.h>

static struct diag diag_for(void)
{
        return (struct diag){.loc = {"t.ini", 7, "s", "k"}};
}

static void test_bool(void)
{
        const char *truthy[] = {"true", "TRUE", "yes", "On", "1"};
        const char *falsy[] = {"false", "no", "OFF", "0"};
        for (size_t i = 0; i < 5; i++) {
                struct diag d = diag_for();
                bool v = false;
                tap_ok(parse_bool(&d, truthy[i], &v) && v, truthy[i]);
        }
        for (size_t i = 0; i < 4; i++) {
                struct diag d = diag_for();
                bool v = true;
                tap_ok(parse_bool(&d, falsy[i], &v) && !v, falsy[i]);
        }
        struct diag d = diag_for();
        bool v;
        capture_begin();
        bool ok = parse_bool(&d, "maybe", &v);
        tap_is_str(
            capture_end(),
            "t.ini:7: [s] k: expected a boolean (true/false/yes/no/on/off/1/0), got \"maybe\"",
            "bool: error names file, line, section and key");
        tap_ok(!ok && d.errors == 1, "bool: failure counted");
}

static void test_numbers(void)
{
        struct diag d = diag_for();
        uint64_t v;
        tap_ok(parse_number(&d, "1024", 1 << 20, &v) && v == 1024, "number 1024");
        capture_begin();
        tap_ok(!parse_number(&d, "12x", 100, &v), "number rejects 12x");
        tap_ok(!parse_number(&d, "-1", 100, &v), "number rejects -1");
        tap_ok(!parse_number(&d, "101", 100, &v), "number rejects above max");
        tap_ok(!parse_number(&d, "99999999999999999999999", UINT64_MAX, &v), "number overflow");
        tap_ok(!parse_number(&d, "", 100, &v), "number rejects empty");
        const char *msgs = capture_end();
        tap_ok(strstr(msgs, "t.ini:7: [s] k: 101 is too large (at most 100)") != NULL,
               "number: too-large message");

        tap_ok(parse_size(&d, "4096", &v) && v == 4096, "size 4096");
        tap_ok(parse_size(&d, "512K", &v) && v == 512 * 1024, "size 512K");
        tap_ok(parse_size(&d, "64m", &v) && v == 64ull << 20, "size 64m");
        tap_ok(parse_size(&d, "2G", &v) && v == 2ull << 30, "size 2G");
        tap_ok(parse_size(&d, "1T", &v) && v == 1ull << 40, "size 1T");
        capture_begin();
        tap_ok(!parse_size(&d, "2GB", &v), "size rejects 2GB");
        tap_ok(!parse_size(&d, "K", &v), "size rejects K");
        tap_ok(!parse_size(&d, "99999999999T", &v), "size overflow");
        capture_end();

        tap_ok(parse_duration_ms(&d, "90s", &v) && v == 90000, "duration 90s");
        tap_ok(parse_duration_ms(&d, "5m", &v) && v == 300000, "duration 5m");
        tap_ok(parse_duration_ms(&d, "2h", &v) && v == 7200000, "duration 2h");
        tap_ok(parse_duration_ms(&d, "250ms", &v) && v == 250, "duration 250ms");
        tap_ok(parse_duration_ms(&d, "7", &v) && v == 7000, "duration bare number is seconds");
        capture_begin();
        tap_ok(!parse_duration_ms(&d, "5y", &v), "duration rejects 5y");
        tap_ok(!parse_duration_ms(&d, "1.5s", &v), "duration rejects 1.5s");
        const char *m = capture_end();
        tap_ok(strstr(m, "unknown duration unit in \"5y\" (use ms, s, m or h)") != NULL,
               "duration unit message");

        mode_t mask;
        tap_ok(parse_umask(&d, "022", &mask) && mask == 022, "umask 022");
        tap_ok(parse_umask(&d, "0077", &mask) && mask == 077, "umask 0077");
        capture_begin();
        tap_ok(!parse_umask(&d, "0999", &mask), "umask rejects 0999");
        tap_ok(!parse_umask(&d, "1777", &mask), "umask rejects 1777");
        capture_end();
}

static void test_expand(void)
{
        setenv("QT_NAME", "world", 1);
        setenv("QT_EMPTY", "", 1);
        unsetenv("QT_UNSET");
        struct {
                const char *in, *out;
        } good[] = {
            {"plain", "plain"},
            {"hello ${QT_NAME}!", "hello world!"},
            {"${QT_UNSET:-fallback}", "fallback"},
            {"${QT_EMPTY:-used for empty}", "used for empty"},
            {"${QT_EMPTY}", ""},
            {"cost $$5", "cost $5"},
            {"${QT_NAME}${QT_NAME}", "worldworld"},
            {"${QT_UNSET:-}", ""},
        };
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                struct diag d = diag_for();
                char *out = NULL;
                bool ok = expand_vars(&d, good[i].in, &out);
                tap_ok(ok, good[i].in);
                tap_is_str(out, good[i].out, "expanded value");
                free(out);
        }
        struct {
                const char *in, *msg;
        } bad[] = {
            {"${QT_UNSET}", "t.ini:7: [s] k: ${QT_UNSET} is not set in the environment (use "
                            "${QT_UNSET:-default})"},
            {"$HOME", "t.ini:7: [s] k: a lone $ (write ${NAME} to expand a variable, $$ for a $)"},
            {"${QT_NAME", "t.ini:7: [s] k: unterminated ${ (missing })"},
            {"${1BAD}", "t.ini:7: [s] k: bad variable name \"1BAD\" in ${...}"},
            {"${QT_NAME:=x}",
             "t.ini:7: [s] k: unsupported ${NAME:...} form (only ${NAME:-default})"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct diag d = diag_for();
                char *out = NULL;
                capture_begin();
                bool ok = expand_vars(&d, bad[i].in, &out);
                tap_is_str(capture_end(), bad[i].msg, bad[i].in);
                tap_ok(!ok, "rejected");
        }
}

static void check_words(const char *in, const char *const *expected, size_t n)
{
        struct diag d = diag_for();
        struct strv words = {0};
        bool ok = split_words(&d, in, &words);
        bool same = ok && words.len == n;
        for (size_t i = 0; same && i < n; i++)
                same = !strcmp(words.items[i], expected[i]);
        tap_ok(same, in);
        if (!same)
                for (size_t i = 0; i < words.len; i++)
                        printf("#   word %zu: \"%s\"\n", i, words.items[i]);
        /* Quoting each word must give it back unchanged. */
        for (size_t i = 0; ok && i < words.len; i++) {
                char *q = quote_word(words.items[i]);
                struct strv back = {0};
                tap_ok(split_words(&d, q, &back) && back.len == 1 &&
                           !strcmp(back.items[0], words.items[i]),
                       "quote_word round trip");
                strv_free(&back);
                free(q);
        }
        strv_free(&words);
}

static void test_words(void)
{
        setenv("QT_SPACES", "a b  c", 1);
        check_words("", NULL, 0);
        check_words("  one   two\tthree ", (const char *const[]){"one", "two", "three"}, 3);
        check_words("'single $QT quoted' \"double ${QT_SPACES}\"",
                    (const char *const[]){"single $QT quoted", "double a b  c"}, 2);
        check_words("${QT_SPACES}", (const char *const[]){"a b  c"}, 1);
        check_words("a\\ b \\\"q\\\"", (const char *const[]){"a b", "\"q\""}, 2);
        check_words("\"\" ''", (const char *const[]){"", ""}, 2);
        check_words("pre'mid'\"post\"", (const char *const[]){"premidpost"}, 1);
        check_words("\"esc \\\" \\\\ \\$\" $$", (const char *const[]){"esc \" \\ $", "$"}, 2);
        check_words("-c 'echo $$ $(id -u)'", (const char *const[]){"-c", "echo $$ $(id -u)"}, 2);

        const char *bad[][2] = {
            {"'open", "t.ini:7: [s] k: unterminated ' quote"},
            {"\"open", "t.ini:7: [s] k: unterminated \" quote"},
            {"trailing\\", "t.ini:7: [s] k: trailing backslash"},
            {"$(id)", "t.ini:7: [s] k: a lone $ (write ${NAME} to expand a variable, $$ for a $)"},
        };
        for (size_t i = 0; i < 4; i++) {
                struct diag d = diag_for();
                struct strv words = {0};
                capture_begin();
                bool ok = split_words(&d, bad[i][0], &words);
                tap_is_str(capture_end(), bad[i][1], bad[i][0]);
                tap_ok(!ok, "rejected");
                strv_free(&words);
        }
        char *e = escape_dollars("a$b$$");
        tap_is_str(e, "a$$b$$$$", "escape_dollars");
        free(e);
}

static void test_nearest(void)
{
        const char *keys[] = {"command", "args", "cwd", "env", "env_keep", "hostname", "umask"};
        tap_is_str(nearest_word("comand", keys, 7), "command", "nearest: comand");
        tap_is_str(nearest_word("env_kep", keys, 7), "env_keep", "nearest: env_kep");
        tap_is_str(nearest_word("HOSTNAME", keys, 7), "hostname", "nearest: case-insensitive");
        tap_is_str(nearest_word("zzzzzzzz", keys, 7), NULL, "nearest: nothing close");
}

int main(void)
{
        test_bool();
        test_numbers();
        test_expand();
        test_words();
        test_nearest();
        return tap_done();
}
