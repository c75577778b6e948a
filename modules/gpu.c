#define _GNU_SOURCE
#include "gpu.h"
#include "config.h"
#include "ldcache.h"
#include "manifest.h"
#include "paths.h"
#include "rundir.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The driver's user-space libraries, by name without ".so..." (as
 * nvidia-container-toolkit and Apptainer's nvliblist.conf list them): compute,
 * management, video, and the vendor parts of OpenGL, EGL, Vulkan and OptiX.
 * Never libglvnd's generic libGL, libEGL or libOpenCL: those belong to the
 * image. docs/gpu.md lists them too. Sorted (strcmp) for bsearch. */
static const char *const driver_libraries[] = {
    "libEGL_nvidia",
    "libGLESv1_CM_nvidia",
    "libGLESv2_nvidia",
    "libGLX_nvidia",
    "libcuda",
    "libcudadebugger",
    "libnvcuvid",
    "libnvidia-allocator",
    "libnvidia-api",
    "libnvidia-cbl",
    "libnvidia-cfg",
    "libnvidia-compiler",
    "libnvidia-egl-gbm",
    "libnvidia-egl-wayland",
    "libnvidia-eglcore",
    "libnvidia-encode",
    "libnvidia-fatbinaryloader",
    "libnvidia-fbc",
    "libnvidia-glcore",
    "libnvidia-glsi",
    "libnvidia-glvkspirv",
    "libnvidia-gpucomp",
    "libnvidia-gtk2",
    "libnvidia-gtk3",
    "libnvidia-ifr",
    "libnvidia-ml",
    "libnvidia-ngx",
    "libnvidia-nscq",
    "libnvidia-nvvm",
    "libnvidia-opencl",
    "libnvidia-opticalflow",
    "libnvidia-pkcs11",
    "libnvidia-pkcs11-openssl3",
    "libnvidia-ptxjitcompiler",
    "libnvidia-rtcore",
    "libnvidia-tls",
    "libnvidia-vksc-core",
    "libnvidia-wayland-client",
    "libnvoptix",
    "libvdpau_nvidia",
};

/* Programs bound into DIR/bin: nvidia-smi as found in the caller's PATH, the
 * others when they are beside it. */
static const char *const driver_programs[] = {"nvidia-smi", "nvidia-debugdump",
                                              "nvidia-cuda-mps-control", "nvidia-cuda-mps-server"};

/* Always bound when present; /dev/nvidiactl must be. */
static const char *const control_nodes[] = {"/dev/nvidiactl", "/dev/nvidia-uvm",
                                            "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset"};
static const char *const control_dirs[] = {"/dev/nvidia-caps", "/dev/nvidia-caps-imex-channels"};
/* Bound when present and when their target can be had in the rootfs. */
static const char *const optional_paths[] = {
    "/lib/firmware/nvidia", "/run/nvidia-persistenced/socket", "/run/nvidia-fabricmanager/socket"};

/* ---- [gpu] keys ---- */

/* all, none, or NAME[,NAME...]: GPU numbers, or CDI device names. */
static bool check_devices(const char *value, struct diag *d)
{
        static const char name_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789_.:-";
        const char *p = value;
        do {
                size_t n = strspn(p, name_chars);
                if (n == 0 || (p[n] && p[n] != ','))
                        return diag_error(d,
                                          "expected all, none or a comma-separated list such as "
                                          "0,1, got \"%s\"",
                                          value);
                p += n + (p[n] == ',');
        } while (*p);
        return true;
}

static const char *const nvidia_names[] = {"auto", "true", "false", NULL};

static const struct key_def gpu_keys[] = {
    {"nvidia", KEY_ENUM, .offset = CFG(gpu.nvidia), .loc = CFG(gpu.nvidia_loc),
     .names = nvidia_names},
    {"devices", KEY_STRING, .offset = CFG(gpu.devices), .loc = CFG(gpu.devices_loc),
     .check = check_devices},
    {"cdi", KEY_HOST_PATH, .offset = CFG(gpu.cdi), .loc = CFG(gpu.cdi_loc),
     .unset = "not set (the devices and the driver are found on the host)"},
    {"ldcache", KEY_HOST_PATH, .offset = CFG(gpu.ldcache), .loc = CFG(gpu.ldcache_loc)},
    {"dir", KEY_INSIDE_PATH, .offset = CFG(gpu.dir), .loc = CFG(gpu.dir_loc)},
};

static bool is_number_list(const char *s)
{
        return strspn(s, "0123456789,") == strlen(s);
}

static bool validate_gpu(const struct config *cfg, struct diag *d)
{
        const struct gpu_config *g = &cfg->gpu;
        bool ok = true;
        if (g->cdi && g->nvidia == GPU_FALSE)
                ok = diag_error_at(d, g->cdi_loc, "a CDI spec with nvidia = false: remove one");
        if (!g->cdi && strcmp(g->devices, "all") && strcmp(g->devices, "none") &&
            !is_number_list(g->devices))
                ok = diag_error_at(d, g->devices_loc,
                                   "expected all, none or GPU numbers such as 0,1 (names are for "
                                   "a CDI spec), got \"%s\"",
                                   g->devices);
        if (!strcmp(g->dir, "/"))
                ok = diag_error_at(d, g->dir_loc, "must be a directory below /");
        return ok;
}

/* Appends printf output to the note's buffer. */
static void note_add(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note_add(char *buf, size_t size, const char *fmt, ...)
{
        size_t used = strlen(buf);
        va_list ap;
        va_start(ap, fmt);
        if (used < size)
                vsnprintf(buf + used, size - used, fmt, ap);
        va_end(ap);
}

/* Why --check expects a library to be skipped at launch, or "". */
static const char *library_note(const char *path)
{
        char link[8];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        bool native = fd >= 0 && gpu_elf_native(fd);
        if (fd >= 0)
                close(fd);
        if (!native)
                return " (skipped: not this machine's ELF)";
        if (readlink(path, link, sizeof(link)) > 0 && link[0] == '/')
                return " (skipped: an absolute link, which its directory's bind cannot follow)";
        return "";
}

/* One line per kind of bind, "; " before each but the first. */
static void note_binds(const struct gpu_config *g, char *buf, size_t size)
{
        static const char *const heads[] = {"devices:", "libraries into ", "programs into ",
                                            "also, if the rootfs has room:", "links into "};
        static const char *const subdirs[] = {"", "/lib64:", "/bin:", "", "/lib64:"};
        for (int kind = GPU_DEVICE; kind <= GPU_LINK; kind++) {
                bool any = false;
                for (size_t i = 0; i < g->nbinds; i++) {
                        const struct gpu_bind *b = &g->binds[i];
                        if ((int)b->kind != kind)
                                continue;
                        if (!any) {
                                note_add(buf, size, "\n; %s%s%s", heads[kind],
                                         *subdirs[kind] ? g->dir : "", subdirs[kind]);
                        }
                        any = true;
                        note_add(buf, size, " %s%s", b->dst,
                                 kind == GPU_LIBRARY ? library_note(b->src) : "");
                }
        }
}

static const char *gpu_note(const struct config *cfg)
{
        static char note[8192] __attribute__((section(".lbss"))); /* see arena.c */
        const struct gpu_config *g = &cfg->gpu;
        note[0] = '\0';
        note_add(note, sizeof(note), "%s", g->why ? g->why : "off");
        note_binds(g, note, sizeof(note));
        for (size_t i = 0; i < g->host_dirs.len; i++)
                note_add(note, sizeof(note),
                         "\n; %s read-only at %s/.host/%zu (the links point there)",
                         g->host_dirs.items[i], g->dir, i);
        for (size_t i = 0; i < g->not_run.len; i++)
                note_add(note, sizeof(note), "\n; CDI hook not run: %s", g->not_run.items[i]);
        if (g->ldcache_skipped)
                note_add(note, sizeof(note),
                         "\n; left out: %u entries of %s for another ABI (such as 32-bit)",
                         g->ldcache_skipped, g->ldcache);
        return note;
}

const struct section_def gpu_section = {"gpu", gpu_keys, ARRAY_SIZE(gpu_keys), validate_gpu, 0,
                                        0,     gpu_note};

void gpu_config_init(struct gpu_config *g)
{
        *g = (struct gpu_config){.nvidia = GPU_AUTO};
        g->devices = xstrdup("all");
        g->ldcache = xstrdup("/etc/ld.so.cache");
        g->dir = xstrdup("/usr/local/nvidia");
}

void gpu_config_free(struct gpu_config *g)
{
        /* nvidia, devices, cdi, ldcache and dir are the key table's (config_free) */
        for (size_t i = 0; i < g->nbinds; i++) {
                free(g->binds[i].src);
                free(g->binds[i].dst);
        }
        free(g->binds);
        strv_free(&g->host_dirs);
        strv_free(&g->env);
        strv_free(&g->lib_dirs);
        strv_free(&g->not_run);
        free(g->made_dir);
}

void gpu_add(struct gpu_config *g, enum gpu_kind kind, bool dir, char *src, char *dst)
{
        g->binds = xrealloc(g->binds, (g->nbinds + 1) * sizeof(*g->binds));
        g->binds[g->nbinds++] = (struct gpu_bind){kind, dir, -1, src, dst};
}

bool gpu_elf_native(int fd)
{
        unsigned char h[EI_NIDENT + 4];
        if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h, ELFMAG, SELFMAG))
                return false;
        uint16_t machine;
        memcpy(&machine, h + EI_NIDENT + 2, sizeof(machine));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        const int data = ELFDATA2LSB;
#else
        const int data = ELFDATA2MSB;
#endif
#if defined(__x86_64__)
        const int native_machine = EM_X86_64;
#elif defined(__aarch64__)
        const int native_machine = EM_AARCH64;
#elif defined(__powerpc64__)
        const int native_machine = EM_PPC64;
#elif defined(__i386__)
        const int native_machine = EM_386;
#else
#error "qrun: the ELF machine of this architecture is not known to gpu.c"
#endif
        return h[EI_CLASS] == (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) &&
               h[EI_DATA] == data && machine == native_machine;
}

/* ---- resolving ---- */

static bool is_char_device(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISCHR(st.st_mode);
}

static struct loc key_loc(const struct config *cfg, struct loc at, const char *key)
{
        return at.file ? at : (struct loc){cfg->manifest_path, 0, "gpu", key};
}

/* Whether the GPU is on (*on), with the reason in g->why; false after
 * reporting nvidia = true on a machine without one. */
static bool gpu_wanted(const struct config *cfg, struct gpu_config *g, struct diag *d, bool *on)
{
        *on = false;
        if (g->nvidia == GPU_FALSE) {
                g->why = "off (nvidia = false)";
                return true;
        }
        if (g->cdi) {
                *on = true;
                g->why = "on: the devices, mounts and environment of the CDI spec";
                return true;
        }
        struct stat st;
        int err = stat("/dev/nvidiactl", &st) < 0 ? errno : S_ISCHR(st.st_mode) ? 0 : ENODEV;
        *on = err == 0;
        if (*on) {
                g->why = g->nvidia == GPU_AUTO ? "on: /dev/nvidiactl exists (nvidia = auto)"
                                               : "on (nvidia = true)";
                return true;
        }
        g->why = "off: no /dev/nvidiactl (nvidia = auto)";
        if (g->nvidia == GPU_AUTO)
                return true;
        return diag_error_at(d, key_loc(cfg, g->nvidia_loc, "nvidia"),
                             "true, but this machine has no NVIDIA GPU (/dev/nvidiactl: %s)",
                             strerror(err));
}

/* The control nodes and capability directories that exist. */
static void add_control(struct gpu_config *g)
{
        for (size_t i = 0; i < ARRAY_SIZE(control_nodes); i++)
                if (is_char_device(control_nodes[i]))
                        gpu_add(g, GPU_DEVICE, false, xstrdup(control_nodes[i]),
                                xstrdup(control_nodes[i]));
        for (size_t i = 0; i < ARRAY_SIZE(control_dirs); i++) {
                struct stat st;
                if (stat(control_dirs[i], &st) == 0 && S_ISDIR(st.st_mode))
                        gpu_add(g, GPU_DEVICE, true, xstrdup(control_dirs[i]),
                                xstrdup(control_dirs[i]));
        }
}

static int compare_numbers(const void *a, const void *b)
{
        long x = *(const long *)a, y = *(const long *)b;
        return (x > y) - (x < y);
}

/* devices = all: every /dev/nvidiaN, in number order. */
static bool add_all_gpus(const struct config *cfg, struct gpu_config *g, struct diag *d)
{
        DIR *dir = opendir("/dev");
        if (!dir)
                return diag_error_at(d, key_loc(cfg, g->devices_loc, "devices"), "/dev: %s",
                                     strerror(errno));
        long numbers[256];
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(dir)) && n < ARRAY_SIZE(numbers)) {
                const char *digits = e->d_name + 6;
                if (!strncmp(e->d_name, "nvidia", 6) && *digits &&
                    strspn(digits, "0123456789") == strlen(digits) && strlen(digits) < 6)
                        numbers[n++] = atol(digits);
        }
        closedir(dir);
        qsort(numbers, n, sizeof(*numbers), compare_numbers);
        for (size_t i = 0; i < n; i++) {
                char *path = xasprintf("/dev/nvidia%ld", numbers[i]);
                if (is_char_device(path))
                        gpu_add(g, GPU_DEVICE, false, path, xstrdup(path));
                else
                        free(path);
        }
        return true;
}

/* devices = 0,1: those, each of which must exist. */
static bool add_listed_gpus(const struct config *cfg, struct gpu_config *g, struct diag *d)
{
        bool ok = true;
        char *list = xstrdup(g->devices), *save = NULL;
        for (char *n = strtok_r(list, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
                char *path = xasprintf("/dev/nvidia%s", n);
                errno = 0;
                if (is_char_device(path)) {
                        gpu_add(g, GPU_DEVICE, false, path, xstrdup(path));
                        continue;
                }
                ok = diag_error_at(d, key_loc(cfg, g->devices_loc, "devices"), "GPU %s: %s: %s", n,
                                   path, errno ? strerror(errno) : "not a character device");
                free(path);
        }
        free(list);
        return ok;
}

static int compare_stem(const void *key, const void *elem)
{
        return strcmp(key, *(const char *const *)elem);
}

bool gpu_already_bound(const struct gpu_config *g, enum gpu_kind kind, const char *dst)
{
        for (size_t i = 0; i < g->nbinds; i++)
                if (g->binds[i].kind == kind && !strcmp(g->binds[i].dst, dst))
                        return true;
        return false;
}

/* Adds the library at path under name, and its directory to bind. The
 * cache names the soname link (libcuda.so.1 -> libcuda.so.550.54.14): a link
 * to a name in the same directory keeps working in that directory's bind. */
void gpu_add_library(struct gpu_config *g, const char *path, const char *name)
{
        char *file = xstrdup(path);
        size_t len = (size_t)(strrchr(file, '/') - file);
        char *dir = len ? xasprintf("%.*s", (int)len, file) : xstrdup("/");
        size_t i = 0;
        while (i < g->host_dirs.len && strcmp(g->host_dirs.items[i], dir))
                i++;
        if (i == g->host_dirs.len)
                strv_push(&g->host_dirs, dir);
        else
                free(dir);
        gpu_add(g, GPU_LIBRARY, false, file, xstrdup(name));
        g->binds[g->nbinds - 1].host_dir = (int)i;
}

/* One cache entry: a driver library of this architecture, under the name
 * programs ask for (the first entry of a name wins, as in ld.so). */
static int on_cache_entry(void *arg, const struct ldcache_entry *e)
{
        struct gpu_config *g = arg;
        /* Most of the cache's 1,000-odd names are rejected on one letter:
         * every driver library is libE*, libG*, libc*, libn* or libv*. */
        if (strncmp(e->key, "lib", 3) || !e->key[3] || !strchr("EGcnv", e->key[3]))
                return 0;
        const char *so = strstr(e->key, ".so");
        char stem[64];
        if (!so || (so[3] && so[3] != '.') || (size_t)(so - e->key) >= sizeof(stem) ||
            strchr(e->key, '/') || e->value[0] != '/' || e->hwcap)
                return 0;
        memcpy(stem, e->key, (size_t)(so - e->key));
        stem[so - e->key] = '\0';
        if (!bsearch(stem, driver_libraries, ARRAY_SIZE(driver_libraries),
                     sizeof(driver_libraries[0]), compare_stem))
                return 0;
        if (e->flags != ldcache_native_flags)
                g->ldcache_skipped++;
        else if (!gpu_already_bound(g, GPU_LIBRARY, e->key))
                gpu_add_library(g, e->value, e->key);
        return 0;
}

/* The cache file's identity, and what qrun looks for in it: its index
 * (gpu_cache.c) is good for this file as long as ldconfig has not replaced
 * it, and for this qrun's list of names. */
static uint64_t index_key(const char *path, const struct stat *st)
{
        uint64_t h = fnv1a(0xcbf29ce484222325ULL, path, strlen(path) + 1);
        const uint64_t id[] = {st->st_dev,
                               st->st_ino,
                               (uint64_t)st->st_size,
                               (uint64_t)st->st_mtim.tv_sec,
                               (uint64_t)st->st_mtim.tv_nsec,
                               (uint64_t)st->st_ctim.tv_sec,
                               (uint64_t)st->st_ctim.tv_nsec,
                               (uint64_t)ldcache_native_flags};
        h = fnv1a(h, id, sizeof(id));
        for (size_t i = 0; i < ARRAY_SIZE(driver_libraries); i++)
                h = fnv1a(h, driver_libraries[i], strlen(driver_libraries[i]) + 1);
        return h ? h : 1;
}

/* The driver's libraries, through the host's ld.so.cache: from the index
 * an earlier launch kept of this very cache file, else by reading it. */
static bool find_libraries(const struct config *cfg, struct gpu_config *g, struct diag *d)
{
        uint64_t started = step_start();
        struct loc at = key_loc(cfg, g->ldcache_loc, "ldcache");
        const unsigned char *buf;
        size_t len;
        struct stat st;
        size_t before = g->nbinds;
        if (stat(g->ldcache, &st) < 0)
                return diag_error_at(d, at, "%s: %s", g->ldcache, strerror(errno));
        g->index_key = index_key(g->ldcache, &st);
        g->index_read = gpu_index_read(g);
        if (g->index_read) {
                verbose_step("ldcache", started, "%s: %lld bytes, %zu driver libraries (its index)",
                             g->ldcache, (long long)st.st_size, g->nbinds - before);
                return true;
        }
        if (ldcache_map(g->ldcache, &buf, &len) < 0)
                return diag_error_at(d, at, "%s: %s", g->ldcache, strerror(errno));
        int rc = ldcache_parse(buf, len, on_cache_entry, g);
        ldcache_unmap(buf, len);
        if (rc < 0)
                return diag_error_at(d, at,
                                     "%s: not an ld.so.cache qrun can read (glibc 2.2 or later "
                                     "writes one)",
                                     g->ldcache);
        verbose_step("ldcache", started, "%s: %zu bytes, %zu driver libraries", g->ldcache, len,
                     g->nbinds - before);
        return true;
}

bool gpu_has_dir_content(const struct gpu_config *g)
{
        for (size_t i = 0; i < g->nbinds; i++)
                if (g->binds[i].kind == GPU_LIBRARY || g->binds[i].kind == GPU_PROGRAM ||
                    g->binds[i].kind == GPU_LINK)
                        return true;
        return false;
}

/* nvidia-smi in the caller's PATH, and its companions beside it (the
 * driver installs them together): one PATH walk, not four. */
static void find_programs(struct gpu_config *g)
{
        const char *list = getenv("PATH") ? getenv("PATH") : "/usr/local/bin:/usr/bin:/bin";
        char found[4096];
        struct stat st;
        bool any = false;
        while (!any && path_search_next(&list, driver_programs[0], found, sizeof(found)))
                any = found[0] == '/' && stat(found, &st) == 0 && S_ISREG(st.st_mode);
        if (!any)
                return;
        gpu_add(g, GPU_PROGRAM, false, xstrdup(found), xstrdup(driver_programs[0]));
        size_t dir = (size_t)(strrchr(found, '/') - found);
        for (size_t i = 1; i < ARRAY_SIZE(driver_programs); i++) {
                char *path = xasprintf("%.*s/%s", (int)dir, found, driver_programs[i]);
                if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
                        gpu_add(g, GPU_PROGRAM, false, path, xstrdup(driver_programs[i]));
                else
                        free(path);
        }
}

static void add_optional(struct gpu_config *g)
{
        for (size_t i = 0; i < ARRAY_SIZE(optional_paths); i++) {
                struct stat st;
                if (stat(optional_paths[i], &st) == 0)
                        gpu_add(g, GPU_OPTIONAL, S_ISDIR(st.st_mode), xstrdup(optional_paths[i]),
                                xstrdup(optional_paths[i]));
        }
}

/* The GPU needs a mount namespace: chroot mode becomes mount mode, and /dev a
 * tmpfs of qrun's (dev = minimal) unless [mounts] dev says otherwise. */
static void imply_mount_mode(struct config *cfg)
{
        struct mounts_config *m = &cfg->mounts;
        if (!m->enabled) {
                m->enabled = true;
                m->implied_by = "[gpu] (chroot mode cannot bind the GPU)";
        }
        if (!m->dev_loc.file)
                m->dev = DEV_MINIMAL;
}

bool gpu_resolve(struct config *cfg, struct diag *d)
{
        struct gpu_config *g = &cfg->gpu;
        bool on;
        if (!gpu_wanted(cfg, g, d, &on))
                return false;
        if (!on)
                return true;
        if (!cfg->rootfs.path || cfg->rootfs.fd < 0)
                return false; /* the rootfs was reported */
        if (rootfs_is_host(&cfg->rootfs)) {
                g->why = "on: host mode, the host's devices and driver are there as they are";
                return true;
        }
        bool ok;
        if (g->cdi) {
                ok = cdi_load(cfg, d);
        } else {
                add_control(g);
                ok = !strcmp(g->devices, "none")  ? true
                     : !strcmp(g->devices, "all") ? add_all_gpus(cfg, g, d)
                                                  : add_listed_gpus(cfg, g, d);
                ok = find_libraries(cfg, g, d) && ok;
                find_programs(g);
                add_optional(g);
        }
        g->enabled = true;
        imply_mount_mode(cfg);
        return ok;
}

/* ---- the environment ---- */

static bool has_kind(const struct gpu_config *g, enum gpu_kind kind)
{
        for (size_t i = 0; i < g->nbinds; i++)
                if (g->binds[i].kind == kind)
                        return true;
        return false;
}

/* NAME=first:old, or NAME=first when NAME was not set; last: old:first. */
static void extend_list(struct strv *envp, const char *name, const char *add, bool last)
{
        char *probe = xasprintf("%s=", name);
        ssize_t i = process_env_find(envp, probe);
        free(probe);
        if (i < 0) {
                strv_push(envp, xasprintf("%s=%s", name, add));
                return;
        }
        const char *old = envp->items[i] + strlen(name) + 1;
        char *value =
            last ? xasprintf("%s=%s:%s", name, old, add) : xasprintf("%s=%s:%s", name, add, old);
        free(envp->items[i]);
        envp->items[i] = value;
}

void gpu_extend_environment(const struct gpu_config *g, struct process_config *p)
{
        if (!g->enabled)
                return;
        for (size_t i = 0; i < g->env.len; i++)
                if (process_env_find(&p->envp, g->env.items[i]) < 0)
                        strv_push(&p->envp, xstrdup(g->env.items[i]));
        for (size_t i = g->lib_dirs.len; i > 0; i--)
                extend_list(&p->envp, "LD_LIBRARY_PATH", g->lib_dirs.items[i - 1], false);
        if (has_kind(g, GPU_LIBRARY) || has_kind(g, GPU_LINK)) {
                char *dir = xasprintf("%s/lib64", g->dir);
                extend_list(&p->envp, "LD_LIBRARY_PATH", dir, false);
                free(dir);
        }
        if (has_kind(g, GPU_PROGRAM)) {
                char *dir = xasprintf("%s/bin", g->dir);
                extend_list(&p->envp, "PATH", dir, true);
                free(dir);
        }
}

/* ---- checks ---- */

bool gpu_check(const struct config *cfg, struct diag *d)
{
        const struct gpu_config *g = &cfg->gpu;
        if (!g->enabled || rootfs_dir_fd(&cfg->rootfs) < 0)
                return true; /* an image's contents are checked at launch */
        bool ok = true;
        if (has_kind(g, GPU_LIBRARY) || has_kind(g, GPU_PROGRAM) || has_kind(g, GPU_LINK))
                ok = mounts_check_target(cfg, g->dir, true, key_loc(cfg, g->dir_loc, "dir"), d);
        for (size_t i = 0; i < g->nbinds; i++)
                if (g->binds[i].kind == GPU_DEVICE)
                        ok = mounts_check_target(cfg, g->binds[i].dst, g->binds[i].dir,
                                                 key_loc(cfg, g->nvidia_loc, "nvidia"), d) &&
                             ok;
        return ok;
}
