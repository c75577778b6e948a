/* [gpu]: NVIDIA GPUs in the container, without a setuid helper or
 * nvidia-container-cli. On when the manifest asks (nvidia = true, cdi = FILE)
 * or, by default (auto), when the host has /dev/nvidiactl. Then:
 *   - the device nodes (/dev/nvidiactl, -uvm, -uvm-tools, -modeset, the chosen
 *     /dev/nvidiaN, /dev/nvidia-caps) are bound at their own paths, without
 *     nodev (opening them is the point);
 *   - the driver's user-space libraries, found through the host's ld.so.cache
 *     (read by ldcache.c, no ldconfig binary) and checked for the running
 *     architecture's ELF machine, appear under the names programs ask for in
 *     DIR/lib64, first on LD_LIBRARY_PATH: links into read-only binds of the
 *     directories holding them (DIR/.host/N), one bind per directory instead
 *     of one per library (40 binds cost more than the launch's budget);
 *     nvidia-smi and friends are bound into DIR/bin, on PATH; DIR is a
 *     directory made once per node in the runtime directory (gpu_cache.c),
 *     with the links and mount points in it, bound read-only;
 *   - the firmware directory and the persistenced and fabric manager sockets
 *     at their own paths when the host has them;
 *   - or, with cdi = FILE, the devices, mounts and environment a Container
 *     Device Interface spec lists (cdi.c).
 * Binding needs a mount namespace: the GPU turns chroot mode into mount mode
 * (and gives it dev = minimal unless [mounts] dev is set). In host mode
 * (path = /) the host's devices and libraries are already there: nothing is
 * done.
 *
 * gpu.c: the section, finding what to bind (resolve) and checking it;
 * cdi.c: reading a CDI spec; gpu_cache.c: the cache's index and the library
 * directory, kept per node; mount_tree.c's mount_gpu(): the binds. */
#ifndef QRUN_GPU_H
#define QRUN_GPU_H

#include "common.h"
#include "diag.h"

#include <stdbool.h>
#include <stdint.h>

struct config;
struct process_config;

enum gpu_nvidia { GPU_AUTO, GPU_TRUE, GPU_FALSE };

enum gpu_kind {
        GPU_DEVICE,   /* a device node, or a directory of them: at its own path, not nodev */
        GPU_LIBRARY,  /* a driver library src: the link DIR/lib64/dst to it in its directory's
                         bind (host_dir), if its ELF is ours */
        GPU_PROGRAM,  /* nvidia-smi and friends: read-only into DIR/bin as dst */
        GPU_OPTIONAL, /* firmware, sockets: read-only at their own path, when a target can be had */
        GPU_LINK,     /* CDI: a symlink dst in DIR/lib64 to src (a library the spec mounts) */
};

struct gpu_bind {
        enum gpu_kind kind;
        bool dir;     /* the source is a directory */
        int host_dir; /* GPU_LIBRARY: src's directory, g->host_dirs[host_dir] */
        char *src;    /* on the host (GPU_LINK: inside the container) */
        char
            *dst; /* GPU_DEVICE, GPU_OPTIONAL: inside; GPU_LIBRARY, GPU_PROGRAM, GPU_LINK: a name */
};

struct gpu_config {
        int nvidia; /* enum gpu_nvidia */
        struct loc nvidia_loc;
        char *devices; /* all, none, or a comma-separated list */
        struct loc devices_loc;
        char *cdi;
        struct loc cdi_loc;
        char *ldcache;
        struct loc ldcache_loc;
        char *dir;
        struct loc dir_loc;
        /* Resolved. */
        bool enabled;    /* something is bound */
        const char *why; /* why it is on, or off */
        struct gpu_bind *binds;
        size_t nbinds;
        struct strv host_dirs;    /* the libraries' directories: read-only at DIR/.host/N */
        struct strv env;          /* NAME=VALUE to add (CDI) */
        struct strv lib_dirs;     /* more LD_LIBRARY_PATH entries (CDI's update-ldcache folders) */
        struct strv not_run;      /* CDI hooks qrun does not run */
        unsigned ldcache_skipped; /* cache entries of another architecture */
        /* Kept in the runtime directory (gpu_cache.c). */
        uint64_t index_key; /* the ld.so.cache's identity; 0: no cache was read (CDI) */
        bool index_read;    /* the libraries came from the cache's index, not a scan */
        char *made_dir;     /* the library directory to bind at DIR (gpu_prepare) */
        bool dir_made;      /* by this launch, holding dir_files, dir_skipped */
        unsigned dir_files, dir_skipped;
};

extern const struct section_def gpu_section;

/* The defaults, before the manifest is read. */
void gpu_config_init(struct gpu_config *g);
void gpu_config_free(struct gpu_config *g);

/* Resolve step, after the rootfs is opened and before [mounts] resolves:
 * decides whether the GPU is on, finds the devices and the driver (or reads
 * the CDI spec), and turns on mount mode. Reports what cannot be had. */
bool gpu_resolve(struct config *cfg, struct diag *d);

/* Resolve step, after the environment is built: LD_LIBRARY_PATH, PATH and
 * the CDI spec's variables (those the manifest sets win). */
void gpu_extend_environment(const struct gpu_config *g, struct process_config *p);

/* Check step: the targets of DIR and of the device nodes in the rootfs. */
bool gpu_check(const struct config *cfg, struct diag *d);

/* True when fd is an ELF file for the architecture qrun runs on (class,
 * byte order and machine), as ld.so would load it. */
bool gpu_elf_native(int fd);

/* CDI (cdi.c): adds the spec's devices, mounts, environment and library
 * folders for the devices [gpu] devices selects. */
bool cdi_load(struct config *cfg, struct diag *d);

/* Monitor step, after the manifest is checked and before any namespace
 * (gpu_cache.c): finds or makes, in the runtime directory, the library
 * directory the container binds at DIR, and keeps the ld.so.cache index
 * when the cache had to be scanned. 0, or -1 with e. */
struct failure;
int gpu_prepare(struct gpu_config *g, struct failure *e);

/* Resolve step: the libraries from the index of g->index_key's cache, if
 * there is a sound one; false (nothing added) if not. */
bool gpu_index_read(struct gpu_config *g);

/* The same from an index's text (NUL-terminated; cut into pieces): its
 * header, then one "SRC\tNAME" line a library; false, adding nothing, if any
 * part is malformed. Separate for tests/fuzz/fuzz_gpu_index.c. */
bool gpu_index_parse(struct gpu_config *g, char *text);

/* A driver library at path (the host's), under name in DIR/lib64. */
void gpu_add_library(struct gpu_config *g, const char *path, const char *name);

/* Something goes into DIR (libraries, programs, links). */
bool gpu_has_dir_content(const struct gpu_config *g);

/* Adds one bind to g (takes src and dst). */
void gpu_add(struct gpu_config *g, enum gpu_kind kind, bool dir, char *src, char *dst);

/* Something of this kind is already bound at dst inside. */
bool gpu_already_bound(const struct gpu_config *g, enum gpu_kind kind, const char *dst);

#endif
