#define _GNU_SOURCE
#include "import_manifest.h"
#include "values.h"

#include <stdlib.h>
#include <string.h>

bool image_user_is_root(const char *user)
{
        if (!user || !*user)
                return true;
        size_t n = strcspn(user, ":");
        return (n == 4 && !strncmp(user, "root", 4)) || (n == 1 && user[0] == '0');
}

/* A value the manifest can hold: one line. A line break would end the value
 * and let the image's config write keys and sections of its own (a WorkingDir
 * "/w\n[mounts]\nbind = /:/host" binds the host's root). */
static bool one_line(const char *s)
{
        return !strpbrk(s, "\r\n");
}

/* The command as [process] needs it: absolute, or a name to look up in PATH;
 * "./run.sh" is made absolute from the working directory. */
static char *command_path(const char *word, const char *workdir)
{
        if (word[0] == '/' || !strchr(word, '/'))
                return xstrdup(word);
        const char *dir = workdir && workdir[0] == '/' ? workdir : "/";
        return xasprintf("%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
                         word + (strncmp(word, "./", 2) ? 0 : 2));
}

/* A manifest's value is one line: a word with a line break (a multi-line
 * "sh -c" script) cannot be written. */
static bool on_one_line(const struct strv *words)
{
        for (size_t i = 0; i < words->len; i++)
                if (strpbrk(words->items[i], "\r\n"))
                        return false;
        return true;
}

/* Entrypoint then Cmd, as Docker joins them. */
static void print_command(FILE *out, const struct image_config *c)
{
        struct strv words = {0};
        for (size_t i = 0; i < c->entrypoint.len; i++)
                strv_push(&words, c->entrypoint.items[i]);
        for (size_t i = 0; i < c->cmd.len; i++)
                strv_push(&words, c->cmd.items[i]);
        bool lines = true;
        for (size_t i = 0; i < words.len; i++)
                lines &= one_line(words.items[i]);
        if (!words.len || !lines) {
                fprintf(out, "; %s: give it after --\n",
                        words.len
                            ? "left out: the image's command (Entrypoint, Cmd) has a line break"
                            : "the image names no command (Entrypoint, Cmd)");
                free(words.items);
                return;
        }
        if (!on_one_line(&words)) {
                fprintf(out, "; left out: the image's command (Entrypoint, Cmd) holds a line "
                             "break, which a manifest cannot hold: give it after --\n");
                free(words.items);
                return;
        }
        char *cmd = command_path(words.items[0], c->workdir);
        char *escaped = escape_dollars(cmd);
        fprintf(out, "command = %s\n", escaped);
        free(escaped);
        free(cmd);
        if (words.len > 1) {
                fprintf(out, "args =");
                for (size_t i = 1; i < words.len; i++) {
                        char *q = quote_word(words.items[i]);
                        fprintf(out, " %s", q);
                        free(q);
                }
                fputc('\n', out);
        }
        free(words.items); /* the words are the config's */
}

static void print_env(FILE *out, const struct image_config *c)
{
        for (size_t i = 0; i < c->env.len; i++) {
                const char *e = c->env.items[i];
                const char *eq = strchr(e, '=');
                if (!eq || !is_env_name(e, (size_t)(eq - e)) || !one_line(e)) {
                        fprintf(out,
                                "; left out: an Env entry that is not NAME=VALUE on one line\n");
                        continue;
                }
                char *escaped = escape_dollars(e);
                fprintf(out, "env = %s\n", escaped);
                free(escaped);
        }
}

static void print_user(FILE *out, const struct image_config *c)
{
        fprintf(out, "\n[user]\n");
        if (image_user_is_root(c->user)) {
                fprintf(out, "uid = 0\ngid = 0\n");
                return;
        }
        /* Only the caller's own id can be mapped without a setuid helper. */
        fprintf(out,
                "; the image asks for User \"%s\"; qrun maps only your own id, so the "
                "command runs as you\nuid = self\n",
                one_line(c->user) ? c->user : "(with a line break)");
}

void import_manifest_print(FILE *out, const char *rootfs, const struct image_config *c,
                           const char *source)
{
        char *path = escape_dollars(rootfs);
        fprintf(out, "# Written by qrun import from %s.\n\n[rootfs]\npath = %s\n", source, path);
        free(path);
        print_user(out, c);
        fprintf(out, "\n[mounts]\nproc = true\ndev = minimal\n\n[process]\n");
        print_command(out, c);
        if (c->workdir && *c->workdir && !one_line(c->workdir)) {
                fprintf(out, "; left out: WorkingDir has a line break\n");
        } else if (c->workdir && *c->workdir) {
                char *cwd = escape_dollars(c->workdir);
                fprintf(out, "cwd = %s%s\n", c->workdir[0] == '/' ? "" : "/", cwd);
                free(cwd);
        }
        print_env(out, c);
}
