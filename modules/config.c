#include "config.h"
#include "common.h"
#include "join.h"
#include "manifest.h"

#include <unistd.h>

#include <stdlib.h>

void config_init(struct config *cfg)
{
        *cfg = (struct config){0};
        cfg->rootfs.fd = -1;
        cfg->rootfs.linger_ms = 30000; /* back-to-back launches share the image's cache */
        cfg->ns = (struct ns_config){.pid = true, .ipc = true, .uts = true, .net = false};
        cfg->process.cwd = xstrdup("/");
        cfg->process.env_defaults = true;
        cfg->user.passwd = true;
        cfg->mounts.read_only_tmpfs = true;
        cfg->process.pmi_fd = -1;
        cfg->seccomp.profile = xstrdup("default");
        cfg->landlock.required = true;
        gpu_config_init(&cfg->gpu);
}

bool config_resolve(struct config *cfg, struct diag *d)
{
        /* Everything after it looks inside the rootfs through this descriptor. */
        bool ok = rootfs_open(&cfg->rootfs, d);
        /* Before [mounts]: the GPU turns chroot mode into mount mode. */
        ok = gpu_resolve(cfg, d) && ok;
        /* Before mounts (join mode implies mount mode) and the environment. */
        ok = join_resolve(cfg, d) && ok;
        /* Before the environment (HOME) and the cwd check (workdir). */
        ok = mounts_resolve(cfg, d) && ok;
        ok = process_build_argv(cfg, d) && ok;
        bool home_bound = cfg->mounts.enabled && cfg->mounts.home;
        userns_resolve_identity(&cfg->user, home_bound);
        process_build_environment(&cfg->process, &cfg->user, home_bound);
        gpu_extend_environment(&cfg->gpu, &cfg->process); /* the manifest's env wins */
        ok = seccomp_resolve(&cfg->seccomp, cfg->user.fakeroot, cfg->manifest_path, d) && ok;
        return ok;
}

bool config_check(const struct config *cfg, struct diag *d)
{
        bool ok = rootfs_check(cfg, d);
        ok = mounts_check(cfg, d) && ok;
        ok = gpu_check(cfg, d) && ok;
        ok = process_check(cfg, d) && ok;
        ok = process_check_fds(cfg, d) && ok;
        ok = landlock_check(cfg, d) && ok;
        userns_check_identity(cfg, d); /* a warning, not a problem */
        return ok;
}

void config_free(struct config *cfg)
{
        manifest_free_values(cfg); /* strings, paths and lists the key tables describe */
        free(cfg->manifest_dir);
        free(cfg->ns.join_key);
        if (cfg->rootfs.fd >= 0)
                close(cfg->rootfs.fd);
        process_config_free(&cfg->process);
        free(cfg->user.name);
        free(cfg->user.home);
        free(cfg->user.group);
        seccomp_config_free(&cfg->seccomp);
        mounts_config_free(&cfg->mounts);
        gpu_config_free(&cfg->gpu);
        landlock_config_free(&cfg->landlock);
        *cfg = (struct config){0};
}
