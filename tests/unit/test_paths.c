/* Unit tests: path helpers (paths.h), the PATH walk the command's exec uses. */
#define _GNU_SOURCE
#include "paths.h"
#include "tap.h"

/* Every candidate of one walk, joined with '|'. */
static const char *walk(const char *path, const char *name, size_t size)
{
        static char out[512];
        char buf[64];
        out[0] = '\0';
        const char *list = path;
        while (path_search_next(&list, name, buf, size)) {
                if (out[0])
                        strcat(out, "|");
                strcat(out, buf);
        }
        tap_ok(list == NULL, "the walk ends with the list consumed");
        return out;
}

static void test_path_search(void)
{
        tap_is_str(walk("/usr/bin:/bin", "true", 64), "/usr/bin/true|/bin/true", "two entries");
        tap_is_str(walk("/bin", "sh", 64), "/bin/sh", "one entry");
        tap_is_str(walk(":/bin", "sh", 64), "sh|/bin/sh", "empty first entry: the cwd");
        tap_is_str(walk("/a::/b", "x", 64), "/a/x|x|/b/x", "empty middle entry: the cwd");
        tap_is_str(walk("/bin:", "sh", 64), "/bin/sh", "a trailing ':' adds nothing");
        tap_is_str(walk("", "sh", 64), "sh", "empty PATH: the cwd");
        /* "/usr/bin/true" is 13 characters: it needs 14 bytes with its NUL. */
        tap_is_str(walk("/usr/bin:/b", "true", 14), "/usr/bin/true|/b/true", "exactly fits");
        tap_is_str(walk("/usr/bin:/b", "true", 13), "/b/true", "one byte short: skipped");
        tap_is_str(walk("/very/long/directory", "x", 8), "", "nothing fits: no candidate");
}

int main(void)
{
        test_path_search();
        return tap_done();
}
