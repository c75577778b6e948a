/* The manifest parser and validator: any bytes, then --set assignments (after
 * a NUL byte, one per line). Nothing may crash, leak or trip a sanitizer, and
 * a manifest that loads must print. */
#include "config.h"
#include "manifest.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* libFuzzer's entry point (libFuzzer ships no header declaring it). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const uint8_t *nul = memchr(data, '\0', size);
        size_t text = nul ? (size_t)(nul - data) : size;
        static char path[96];
        snprintf(path, sizeof(path), "/tmp/qrun-fuzz.%d.ini", (int)getpid());
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || (text && write(fd, data, text) != (ssize_t)text))
                abort();
        close(fd);

        struct config cfg;
        struct diag d = {0};
        config_init(&cfg);
        manifest_load(&cfg, path, &d);
        if (nul) {
                char *sets = strndup((const char *)nul + 1, size - text - 1);
                for (char *line = strtok(sets, "\n"); line; line = strtok(NULL, "\n"))
                        manifest_override(&cfg, line, &d);
                free(sets);
        }
        if (d.errors == 0) {
                manifest_validate(&cfg, &d);
                config_resolve(&cfg, &d);
                config_check(&cfg, &d);
        }
        if (d.errors == 0) {
                FILE *out = fopen("/dev/null", "w");
                manifest_print(&cfg, out);
                fclose(out);
        }
        config_free(&cfg);
        return 0;
}
