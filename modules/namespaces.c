#define _GNU_SOURCE
#include "namespaces.h"
#include "common.h"
#include "config.h"
#include "errpipe.h"
#include "manifest.h"
#include "values.h"

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- [namespaces] keys: four booleans, addressed by offset ---- */

static bool parse_ns(struct config *cfg, const struct key_def *key, const char *value,
                     struct diag *d)
{
        return parse_bool(d, value, (bool *)((char *)&cfg->ns + key->arg));
}

static void print_ns(const struct config *cfg, const struct key_def *key, FILE *out)
{
        print_bool(out, key->name, *(const bool *)((const char *)&cfg->ns + key->arg));
}

static const struct key_def namespaces_keys[] = {
    {"pid", 0, parse_ns, print_ns, offsetof(struct ns_config, pid)},
    {"ipc", 0, parse_ns, print_ns, offsetof(struct ns_config, ipc)},
    {"uts", 0, parse_ns, print_ns, offsetof(struct ns_config, uts)},
    {"net", 0, parse_ns, print_ns, offsetof(struct ns_config, net)},
};

const struct section_def namespaces_section = {"namespaces", namespaces_keys,
                                               ARRAY_SIZE(namespaces_keys), NULL};

/* ---- actions ---- */

int namespaces_clone_flags(const struct ns_config *ns)
{
        return (ns->pid ? CLONE_NEWPID : 0) | (ns->ipc ? CLONE_NEWIPC : 0) |
               (ns->uts ? CLONE_NEWUTS : 0) | (ns->net ? CLONE_NEWNET : 0);
}

void namespaces_setup_network(const struct ns_config *ns)
{
        if (!ns->net)
                return;
        uint64_t started = step_start();
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = {0};
        strcpy(ifr.ifr_name, "lo");
        if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                die("netns", errno, "unable to read the loopback interface");
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                die("netns", errno, "unable to bring up the loopback interface");
        close(fd);
        verbose_step("netns", started, "loopback up");
}

void namespaces_set_hostname(const struct ns_config *ns, const char *hostname)
{
        if (!ns->uts || !hostname)
                return;
        if (sethostname(hostname, strlen(hostname)) < 0)
                fail(EXIT_QRUN_FAILED, "uts", errno, "unable to set the hostname to \"%s\"",
                     hostname);
}
