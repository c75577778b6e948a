/* [gpu] cdi = FILE: a Container Device Interface spec (the JSON that
 * `nvidia-ctk cdi generate --format=json` writes) as the list of what to
 * give the container: the device nodes, mounts and environment of its
 * top-level containerEdits and of the devices [gpu] devices selects. qrun
 * runs no hook program: it does what NVIDIA's update-ldcache hook is for
 * itself (its folders go on LD_LIBRARY_PATH, and each mounted library gets
 * the names the host's ld.so.cache knows it by, as links in DIR/lib64), and
 * lists the other hooks in --check. */
#define _GNU_SOURCE
#include "config.h"
#include "gpu.h"
#include "ldcache.h"
#include "values.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

struct cdi_ctx {
        struct config *cfg;
        struct diag *d;
        size_t first_bind; /* the spec's binds in cfg->mounts start here */
};

static bool cdi_error(struct cdi_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool cdi_error(struct cdi_ctx *c, const char *fmt, ...)
{
        char what[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        return diag_error_at(c->d, c->cfg->gpu.cdi_loc, "%s: %s", c->cfg->gpu.cdi, what);
}

static const char *string_of(const json_t *obj, const char *key)
{
        return json_string_value(json_object_get(obj, key));
}

static bool add_env(struct cdi_ctx *c, const json_t *env)
{
        struct strv *v = &c->cfg->gpu.env;
        size_t i;
        const json_t *item;
        json_array_foreach(env, i, item)
        {
                const char *s = json_string_value(item);
                const char *eq = s ? strchr(s, '=') : NULL;
                if (!eq || !is_env_name(s, (size_t)(eq - s)))
                        return cdi_error(c, "env: expected NAME=VALUE strings");
                if (process_env_find(v, s) < 0)
                        strv_push(v, xstrdup(s));
        }
        return true;
}

static bool add_device_nodes(struct cdi_ctx *c, const json_t *nodes)
{
        struct gpu_config *g = &c->cfg->gpu;
        size_t i;
        const json_t *node;
        json_array_foreach(nodes, i, node)
        {
                const char *path = string_of(node, "path");
                const char *host = string_of(node, "hostPath");
                struct stat st;
                if (!path || path[0] != '/' || (host && host[0] != '/'))
                        return cdi_error(c, "deviceNodes: each needs an absolute path");
                if (!host)
                        host = path;
                if (stat(host, &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
                        return cdi_error(c, "device node %s: %s", host,
                                         errno ? strerror(errno) : "not a device");
                if (!gpu_already_bound(g, GPU_DEVICE, path))
                        gpu_add(g, GPU_DEVICE, false, xstrdup(host), xstrdup(path));
        }
        return true;
}

static bool has_option(const json_t *mount, const char *option)
{
        size_t i;
        const json_t *o;
        json_array_foreach(json_object_get(mount, "options"), i, o)
        {
                if (json_string_value(o) && !strcmp(json_string_value(o), option))
                        return true;
        }
        return false;
}

static bool add_mounts(struct cdi_ctx *c, const json_t *mounts)
{
        size_t i;
        const json_t *m;
        json_array_foreach(mounts, i, m)
        {
                const char *host = string_of(m, "hostPath");
                const char *inside = string_of(m, "containerPath");
                const char *type = string_of(m, "type");
                if (!host || !inside || host[0] != '/' || inside[0] != '/')
                        return cdi_error(c, "mounts: each needs an absolute hostPath and "
                                            "containerPath");
                if (type && strcmp(type, "bind"))
                        return cdi_error(c, "mount of %s: type %s (qrun makes binds only)", inside,
                                         type);
                mounts_add_bind(&c->cfg->mounts, xstrdup(host), xstrdup(inside),
                                has_option(m, "ro"), c->cfg->gpu.cdi_loc);
        }
        return true;
}

/* update-ldcache's folders go on LD_LIBRARY_PATH; other hooks are listed. */
static void add_hooks(struct cdi_ctx *c, const json_t *hooks)
{
        struct gpu_config *g = &c->cfg->gpu;
        size_t i;
        const json_t *h;
        json_array_foreach(hooks, i, h)
        {
                const json_t *args = json_object_get(h, "args");
                bool ldcache = false;
                char text[512] = "";
                for (size_t k = 0; k < json_array_size(args); k++) {
                        const char *a = json_string_value(json_array_get(args, k));
                        const char *next = json_string_value(json_array_get(args, k + 1));
                        ldcache |= a && !strcmp(a, "update-ldcache");
                        if (a && next && !strcmp(a, "--folder") && next[0] == '/')
                                strv_push(&g->lib_dirs, xstrdup(next));
                        size_t used = strlen(text);
                        snprintf(text + used, sizeof(text) - used, "%s%s", k ? " " : "",
                                 a ? a : "?");
                }
                if (!ldcache)
                        strv_push(&g->not_run, xstrdup(text[0] ? text : "(no args)"));
        }
}

static bool apply_edits(struct cdi_ctx *c, const json_t *edits)
{
        static const char *const lists[] = {"env", "deviceNodes", "mounts", "hooks"};
        if (!edits)
                return true;
        if (!json_is_object(edits))
                return cdi_error(c, "containerEdits is not an object");
        for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
                const json_t *list = json_object_get(edits, lists[i]);
                if (list && !json_is_array(list))
                        return cdi_error(c, "containerEdits: %s is not an array", lists[i]);
        }
        bool ok = add_env(c, json_object_get(edits, "env"));
        ok = ok && add_device_nodes(c, json_object_get(edits, "deviceNodes"));
        ok = ok && add_mounts(c, json_object_get(edits, "mounts"));
        add_hooks(c, json_object_get(edits, "hooks"));
        return ok;
}

static const json_t *find_device(const json_t *devices, const char *name)
{
        size_t i;
        const json_t *dev;
        json_array_foreach(devices, i, dev)
        {
                const char *n = string_of(dev, "name");
                if (n && !strcmp(n, name))
                        return dev;
        }
        return NULL;
}

/* devices = all (the spec's "all" device if it has one, else every one),
 * none, or a list of the spec's device names. */
static bool apply_devices(struct cdi_ctx *c, const json_t *devices)
{
        const char *want = c->cfg->gpu.devices;
        if (!strcmp(want, "none"))
                return true;
        const json_t *all = find_device(devices, "all");
        if (!strcmp(want, "all") && all)
                return apply_edits(c, json_object_get(all, "containerEdits"));
        bool ok = true;
        if (!strcmp(want, "all")) {
                size_t i;
                const json_t *dev;
                json_array_foreach(devices, i, dev)
                {
                        ok = ok && apply_edits(c, json_object_get(dev, "containerEdits"));
                }
                return ok;
        }
        char *list = xstrdup(want), *save = NULL;
        for (char *n = strtok_r(list, ",", &save); n && ok; n = strtok_r(NULL, ",", &save)) {
                const json_t *dev = find_device(devices, n);
                ok = dev ? apply_edits(c, json_object_get(dev, "containerEdits"))
                         : cdi_error(c, "no device named \"%s\" ([gpu] devices)", n);
        }
        free(list);
        return ok;
}

/* ---- soname links for the libraries the spec mounts ---- */

struct link_scan {
        struct cdi_ctx *c;
        char **real; /* realpath of each of the spec's bind sources, NULL if none */
};

/* "libcuda.so.1" and "libcuda.so.550.54" share the stem "libcuda". */
static size_t stem_length(const char *name)
{
        const char *so = strstr(name, ".so");
        return so ? (size_t)(so - name) : 0;
}

static int on_entry(void *arg, const struct ldcache_entry *e)
{
        struct link_scan *s = arg;
        struct mounts_config *m = &s->c->cfg->mounts;
        size_t len = stem_length(e->key);
        if (!len || e->flags != ldcache_native_flags || e->hwcap || strchr(e->key, '/'))
                return 0;
        for (size_t i = s->c->first_bind; i < m->nbinds; i++) {
                const char *base = strrchr(m->binds[i].dst, '/') + 1;
                char real[PATH_MAX];
                if (!s->real[i - s->c->first_bind] || stem_length(base) != len ||
                    strncmp(base, e->key, len) || !strcmp(base, e->key) ||
                    !realpath(e->value, real) || strcmp(real, s->real[i - s->c->first_bind]))
                        continue;
                gpu_add(&s->c->cfg->gpu, GPU_LINK, false, xstrdup(m->binds[i].dst),
                        xstrdup(e->key));
                break;
        }
        return 0;
}

/* Each mounted library also answers, in DIR/lib64, to the names the host's
 * cache gives the same file (libcuda.so.1 for libcuda.so.550.54.14): what
 * the update-ldcache hook's ldconfig run would have linked. */
static void add_links(struct cdi_ctx *c)
{
        struct mounts_config *m = &c->cfg->mounts;
        size_t n = m->nbinds - c->first_bind;
        const unsigned char *buf;
        size_t len;
        if (n == 0 || ldcache_map(c->cfg->gpu.ldcache, &buf, &len) < 0)
                return; /* no cache: the spec's own paths still work */
        struct link_scan s = {c, xmalloc(n * sizeof(char *))};
        for (size_t i = 0; i < n; i++) {
                const char *base = strrchr(m->binds[c->first_bind + i].dst, '/') + 1;
                s.real[i] =
                    stem_length(base) ? realpath(m->binds[c->first_bind + i].src, NULL) : NULL;
        }
        ldcache_parse(buf, len, on_entry, &s);
        for (size_t i = 0; i < n; i++)
                free(s.real[i]);
        free(s.real);
        ldcache_unmap(buf, len);
}

/* The spec's text: a regular file of at most 4 MiB (not /dev/zero, not a
 * FIFO that never ends). NULL with errno (EINVAL, EFBIG). */
static char *read_spec(const char *path, size_t *len)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0)
                return NULL;
        if (fstat(fd, &st) < 0) {
                close_keep_errno(fd);
                return NULL;
        }
        if (!S_ISREG(st.st_mode) || st.st_size > (4 << 20)) {
                close(fd);
                errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
                return NULL;
        }
        char *text = xmalloc((size_t)st.st_size + 1);
        ssize_t n = read(fd, text, (size_t)st.st_size);
        close_keep_errno(fd);
        if (n < 0) {
                free(text);
                return NULL;
        }
        *len = (size_t)n;
        return text;
}

bool cdi_load(struct config *cfg, struct diag *d)
{
        struct cdi_ctx c = {cfg, d, cfg->mounts.nbinds};
        size_t len;
        char *text = read_spec(cfg->gpu.cdi, &len);
        if (!text)
                return cdi_error(&c, "%s",
                                 errno == EFBIG    ? "larger than 4 MiB: not a CDI spec"
                                 : errno == EINVAL ? "not a regular file"
                                                   : strerror(errno));
        json_error_t err;
        json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
        free(text);
        if (!root)
                return cdi_error(&c,
                                 "line %d: %s (qrun reads CDI specs in JSON: nvidia-ctk cdi "
                                 "generate --format=json)",
                                 err.line, err.text);
        bool ok = true;
        if (!json_is_object(root) || !string_of(root, "cdiVersion") || !string_of(root, "kind"))
                ok = cdi_error(&c, "not a CDI spec (no cdiVersion and kind)");
        else if (json_object_get(root, "devices") &&
                 !json_is_array(json_object_get(root, "devices")))
                ok = cdi_error(&c, "devices is not an array");
        ok = ok && apply_edits(&c, json_object_get(root, "containerEdits"));
        ok = ok && apply_devices(&c, json_object_get(root, "devices"));
        json_decref(root);
        if (ok)
                add_links(&c);
        return ok;
}
