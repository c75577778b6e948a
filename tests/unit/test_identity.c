/* The identity files' text: finding an id, adding the user's line. */
#include "tap.h"
#include "identity.h"

#include <stdlib.h>
#include <string.h>

static void test_has_id(void)
{
        const char *pw = "root:x:0:0:root:/root:/bin/sh\n"
                         "# a comment:x:1000:\n"
                         "bad line\n"
                         "alice:x:10000:100:Alice:/home/alice:/bin/bash";
        size_t len = strlen(pw);
        tap_ok(identity_has_id(pw, len, 0), "uid 0 is there");
        tap_ok(identity_has_id(pw, len, 10000), "the last line, without a newline, counts");
        tap_ok(!identity_has_id(pw, len, 1000),
               "a comment line does not count (getpwuid skips it)");
        tap_ok(!identity_has_id(pw, len, 100), "the fourth field (gid) is not the uid");
        tap_ok(!identity_has_id(pw, len, 1), "a prefix of a number does not match");
        tap_ok(!identity_has_id("x:x:1", 5, 1), "a field without the ':' after it does not count");
        tap_ok(identity_has_id("g:x:995:\n", 9, 995), "a group line");
        tap_ok(!identity_has_id("", 0, 0), "an empty file has nobody");
}

static void test_add_line(void)
{
        size_t n;
        char *out =
            identity_add_line("root:x:0:0::/root:/bin/sh", 25, 999, "u:x:999:995:u:/:/bin/sh", &n);
        tap_is_str(out, "root:x:0:0::/root:/bin/sh\nu:x:999:995:u:/:/bin/sh\n",
                   "a missing final newline is added before the line");
        tap_is_num(n, strlen(out), "the length is the text's");
        free(out);
        out = identity_add_line("root:x:0:0::/root:/bin/sh\n", 26, 0, "r:x:0:0:r:/:/bin/sh", &n);
        tap_ok(out == NULL && n == 0, "an id already there: nothing to add");
        out = identity_add_line("", 0, 5, "g:x:5:", &n);
        tap_is_str(out, "g:x:5:\n", "an empty file gets the line alone");
        free(out);
        char *line = identity_passwd_line("qrun-test", 999, 995, "/");
        tap_is_str(line, "qrun-test:x:999:995:qrun-test:/:/bin/sh", "the passwd line");
        free(line);
        line = identity_group_line("staff", 50);
        tap_is_str(line, "staff:x:50:", "the group line");
        free(line);
}

int main(void)
{
        test_has_id();
        test_add_line();
        return tap_done();
}
