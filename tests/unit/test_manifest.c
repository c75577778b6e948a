/* Unit tests: the manifest parser, --set overrides, validation, --check output. */
#define _GNU_SOURCE
#include "tap.h"
#include "config.h"
#include "manifest.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>

static char dir[256];    /* a scratch directory holding manifests */
static char rootfs[300]; /* a directory with bin/ and tmp/, used as a rootfs */

static const char *write_manifest(const char *name, const char *text)
{
        static char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *f = fopen(path, "w");
        fputs(text, f);
        fclose(f);
        return path;
}

/* Loads, applies overrides and validates like the launcher; returns the
 * number of errors and leaves the diagnostics in *messages. */
static unsigned load(struct config *cfg, const char *path, const char *const *sets,
                     const char **messages)
{
        struct diag d = {0};
        if (cfg->manifest_dir)
                config_free(cfg);
        config_init(cfg);
        capture_begin();
        manifest_load(cfg, path, &d);
        for (; sets && *sets; sets++)
                manifest_override(cfg, *sets, &d);
        if (d.errors == 0) {
                manifest_validate(cfg, &d);
                config_resolve(cfg, &d);
                config_check(cfg, &d);
        }
        *messages = capture_end();
        return d.errors;
}

static void test_full_manifest(void)
{
        char text[2048];
        setenv("QT_JOB", "job-42", 1);
        setenv("QT_KEEP_ME", "kept", 1);
        setenv("QT_PREFIX_A", "a", 1);
        snprintf(text, sizeof(text),
                 "# a comment\n"
                 "; another\n"
                 "[rootfs]\n"
                 "path = %s\n"
                 "\n"
                 "  [user]\n"
                 "  uid = 0\n"
                 "  gid = self\n"
                 "[namespaces]\n"
                 "pid = no\n"
                 "ipc = off\n"
                 "uts = 1\n"
                 "net = true\n"
                 "[process]\n"
                 "command = sh\n"
                 "args = -c 'echo \"$@\"' \"${QT_JOB}\" x\\ y\n"
                 "cwd = /tmp\n"
                 "env = JOB=${QT_JOB}\n"
                 "env = EMPTY=\n"
                 "env = PATH=/bin\n"
                 "env_keep = QT_KEEP_ME\n"
                 "env_keep = QT_PREFIX_*\n"
                 "hostname = node-${QT_JOB}\n"
                 "umask = 027\n"
                 "[limits]\n"
                 "nofile = 256\n"
                 "nproc = 100\n"
                 "as = 1G\n"
                 "fsize = 10M\n"
                 "cpu = 2m\n"
                 "core = 0\n"
                 "stack = 8M\n"
                 "timeout = 90s\n",
                 rootfs);
        struct config cfg = {0};
        const char *msgs;
        unsigned errors = load(&cfg, write_manifest("full.ini", text), NULL, &msgs);
        tap_is_num(errors, 0, "full manifest: no errors");
        tap_is_str(msgs, "", "full manifest: no messages");
        tap_is_str(cfg.rootfs.path, rootfs, "rootfs.path");
        tap_ok(cfg.user.uid == ID_ROOT && cfg.user.gid == ID_SELF, "uid 0, gid self");
        tap_ok(!cfg.ns.pid && !cfg.ns.ipc && cfg.ns.uts && cfg.ns.net, "namespace booleans");
        tap_is_num(cfg.process.argv.len, 5, "argv length");
        tap_is_str(cfg.process.argv.items[0], "sh", "argv[0]");
        tap_is_str(cfg.process.argv.items[2], "echo \"$@\"", "argv[2]: single quotes literal");
        tap_is_str(cfg.process.argv.items[3], "job-42", "argv[3]: expanded in double quotes");
        tap_is_str(cfg.process.argv.items[4], "x y", "argv[4]: backslash-escaped blank");
        tap_is_str(cfg.process.cwd, "/tmp", "cwd");
        tap_is_str(cfg.process.hostname, "node-job-42", "hostname expanded");
        tap_ok(cfg.process.umask_loc.file && cfg.process.umask == 027, "umask");
        /* The environment: kept variables first, then explicit ones. */
        int found_keep = 0, found_prefix = 0, found_job = 0, found_empty = 0, paths = 0;
        for (size_t i = 0; i < cfg.process.envp.len; i++) {
                const char *e = cfg.process.envp.items[i];
                found_keep += !strcmp(e, "QT_KEEP_ME=kept");
                found_prefix += !strcmp(e, "QT_PREFIX_A=a");
                found_job += !strcmp(e, "JOB=job-42");
                found_empty += !strcmp(e, "EMPTY=");
                paths += !strncmp(e, "PATH=", 5);
                tap_ok(strncmp(e, "HOME=", 5) != 0 || !strcmp(e, "HOME=/root"),
                       "caller's HOME is not passed (HOME=/root for uid 0)");
        }
        tap_ok(found_keep && found_prefix && found_job && found_empty, "environment entries");
        tap_is_num(paths, 1, "one PATH (the explicit one, no default)");
        tap_is_num(cfg.limits.rlimit[LIMIT_NOFILE].value, 256, "nofile");
        tap_is_num(cfg.limits.rlimit[LIMIT_AS].value, 1ull << 30, "as");
        tap_is_num(cfg.limits.rlimit[LIMIT_FSIZE].value, 10ull << 20, "fsize");
        tap_is_num(cfg.limits.rlimit[LIMIT_CPU].value, 120, "cpu in seconds");
        tap_ok(cfg.limits.rlimit_loc[LIMIT_CORE].file && cfg.limits.rlimit[LIMIT_CORE].value == 0,
               "core 0");
        tap_is_num(cfg.limits.timeout_ms, 90000, "timeout");

        /* --check output parses back to the same configuration. */
        char *printed = NULL, *reprinted = NULL;
        size_t len;
        FILE *out = open_memstream(&printed, &len);
        manifest_print(&cfg, out);
        fclose(out);
        const char *again = write_manifest("again.ini", printed);
        struct config cfg2 = {0};
        errors = load(&cfg2, again, NULL, &msgs);
        tap_is_num(errors, 0, "printed configuration parses");
        out = open_memstream(&reprinted, &len);
        manifest_print(&cfg2, out);
        fclose(out);
        /* Only the first line (the file name) may differ. */
        tap_is_str(strchr(reprinted, '\n'), strchr(printed, '\n'), "print is a fixed point");
        free(printed);
        free(reprinted);
        config_free(&cfg);
        config_free(&cfg2);
}

static void test_defaults_and_relative_path(void)
{
        mkdir(rootfs, 0755);
        struct config cfg = {0};
        const char *msgs;
        write_manifest("rel.ini", "[rootfs]\npath = img\n[process]\ncommand = /bin/true\n");
        char img[600];
        snprintf(img, sizeof(img), "%s/img", dir);
        mkdir(img, 0755);
        unsigned errors = load(&cfg,
                               write_manifest("rel.ini", "[rootfs]\npath = img\n[process]\n"
                                                         "command = /bin/true\n"),
                               NULL, &msgs);
        tap_is_num(errors, 0, "relative rootfs: no errors");
        tap_is_str(cfg.rootfs.path, img, "relative rootfs path is relative to the manifest");
        tap_ok(cfg.ns.pid && cfg.ns.ipc && cfg.ns.uts && !cfg.ns.net, "namespace defaults");
        tap_ok(cfg.user.uid == ID_SELF && cfg.user.gid == ID_SELF, "ids default to self");
        tap_is_str(cfg.process.cwd, "/", "cwd defaults to /");
        tap_ok(!cfg.process.umask_loc.file, "umask inherited by default");
        tap_is_num(cfg.limits.timeout_ms, 0, "no timeout by default");
        tap_ok(cfg.process.env_defaults, "env_defaults defaults to true");
        bool path = false, home = false;
        for (size_t i = 0; i < cfg.process.envp.len; i++) {
                const char *e = cfg.process.envp.items[i];
                path |=
                    !strcmp(e, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
                home |= !strcmp(e, "HOME=/");
        }
        tap_ok(path && home, "environment: the default PATH and HOME=/");
        config_free(&cfg);
        errors = load(&cfg,
                      write_manifest("rel.ini", "[rootfs]\npath = img\n[process]\n"
                                                "command = /bin/true\nenv_defaults = false\n"),
                      NULL, &msgs);
        tap_is_num(errors, 0, "env_defaults = false: no errors");
        tap_is_num(cfg.process.envp.len, 1, "env_defaults = false: only PATH");
        tap_is_str(cfg.process.envp.items[0],
                   "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                   "default PATH");
        config_free(&cfg);
}

static void test_overrides(void)
{
        struct config cfg = {0};
        const char *msgs;
        char text[512];
        snprintf(text, sizeof(text),
                 "[rootfs]\npath = %s\n[process]\ncommand = /bin/true\nenv = A=1\n", rootfs);
        const char *sets[] = {"process.command=/bin/false", "process.env=A=2",   "process.env=B=3",
                              "namespaces.net=yes",         "limits.timeout=5m", NULL};
        unsigned errors = load(&cfg, write_manifest("set.ini", text), sets, &msgs);
        tap_is_num(errors, 0, "--set: no errors");
        tap_is_str(cfg.process.argv.items[0], "/bin/false", "--set replaces a single value");
        tap_is_str(cfg.process.env.items[0], "A=2", "--set replaces an env entry by name");
        tap_is_str(cfg.process.env.items[1], "B=3", "--set adds an env entry");
        tap_ok(cfg.ns.net, "--set boolean");
        tap_is_num(cfg.limits.timeout_ms, 300000, "--set duration");

        const char *bad[][2] = {
            {"process.cwd", "--set: expected SECTION.KEY=VALUE, got \"process.cwd\""},
            {"cwd=/", "--set: expected SECTION.KEY=VALUE, got \"cwd=/\""},
            {"proces.cwd=/", "--set: unknown section [proces] (did you mean [process]?)"},
            {"process.cdw=/", "--set: [process] cdw: unknown key (did you mean \"cwd\"?)"},
            {"process.cwd=tmp",
             "--set: [process] cwd: must be an absolute path inside the container, got \"tmp\""},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                const char *one[] = {bad[i][0], NULL};
                errors = load(&cfg, write_manifest("set.ini", text), one, &msgs);
                tap_is_str(msgs, bad[i][1], bad[i][0]);
                tap_is_num(errors, 1, "one error");
        }
        /* A relative rootfs on the command line is relative to the current directory. */
        const char *rel[] = {"rootfs.path=.", NULL};
        errors = load(&cfg, write_manifest("set.ini", text), rel, &msgs);
        char cwd[512];
        getcwd(cwd, sizeof(cwd));
        char expected[600];
        snprintf(expected, sizeof(expected), "%s/.", cwd);
        tap_is_str(cfg.rootfs.path, expected, "--set rootfs.path is relative to the cwd");
        config_free(&cfg);
}

static void test_errors(void)
{
        struct {
                const char *text, *expected;
        } cases[] = {
            {"[process]\ncommand = /bin/true\ncommand = /bin/false\n",
             "E.ini:3: [process] command: set twice (first on line 2); only repeatable keys may "
             "appear more than once"},
            {"[process]\ncomand = x\n",
             "E.ini:2: [process] comand: unknown key (did you mean \"command\"?)"},
            {"[process]\ncommand = x\nnofile = 3\n",
             "E.ini:3: [process] nofile: unknown key here (it belongs in [limits])"},
            {"[limit]\n", "E.ini:1: unknown section [limit] (did you mean [limits]?)"},
            {"[network]\n", "E.ini:1: unknown section [network] (known: [rootfs], [user], "
                            "[namespaces], [mounts], [gpu], [process], [limits], [seccomp], "
                            "[landlock])"},
            {"command = x\n",
             "E.ini:1: \"command\" is outside any section (add a [section] line above it)"},
            {"[process]\ncommand\n", "E.ini:2: expected KEY = VALUE, got \"command\""},
            {"[process]\ncommand: /bin/true\n",
             "E.ini:2: expected KEY = VALUE, got \"command: /bin/true\""},
            {"[process\n", "E.ini:1: expected ] at the end of the section name"},
            {"[process] x\n", "E.ini:1: unexpected text after ]"},
            {"[process]\n= x\n", "E.ini:2: missing key name before ="},
            {"[process]\nenv = A=1\nenv = A=2\n", "E.ini:3: [process] env: A is set twice"},
            {"[process]\nenv_keep = 9X\n",
             "E.ini:2: [process] env_keep: expected a variable name or a prefix such as "
             "SLURM_*, got \"9X\""},
            {"[process]\ncommand = bin/true\n",
             "E.ini:2: [process] command: \"bin/true\" must be an absolute path or a name to "
             "look up in PATH"},
            {"[user]\nuid = 1000\n",
             "E.ini:2: [user] uid: expected \"self\" or 0, got \"1000\" (only your own id can "
             "be mapped without a setuid helper)"},
            {"[limits]\ntimeout = 0\n",
             "E.ini:2: [limits] timeout: must be longer than 0 (leave it out for no timeout)"},
            {"[limits]\ncpu = 1500ms\n",
             "E.ini:2: [limits] cpu: cpu time is counted in whole seconds, got \"1500ms\""},
            {"[limits]\nas = lots\n",
             "E.ini:2: [limits] as: expected a size such as 4096, 512K, 64M or 2G, got \"lots\""},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct config cfg = {0};
                const char *msgs;
                char name[64];
                snprintf(name, sizeof(name), "E.ini");
                char path[512];
                snprintf(path, sizeof(path), "%s/%s", dir, name);
                write_manifest(name, cases[i].text);
                /* Diagnostics name the file as given: load through a relative path. */
                chdir(dir);
                unsigned errors = load(&cfg, "E.ini", NULL, &msgs);
                tap_is_str(msgs, cases[i].expected, cases[i].expected);
                tap_ok(errors >= 1, "counted as an error");
                config_free(&cfg);
        }
}

static void test_validation(void)
{
        struct config cfg = {0};
        const char *msgs;
        char text[512];
        chdir(dir);
        write_manifest("V.ini", "[process]\ncommand = /bin/true\n");
        tap_ok(load(&cfg, "V.ini", NULL, &msgs) == 1, "missing rootfs path is an error");
        tap_is_str(msgs,
                   "V.ini: [rootfs] path: missing: set it to the directory to run in (or / for the "
                   "host root)",
                   "missing rootfs message");

        write_manifest("V.ini", "[rootfs]\npath = /nonexistent/rootfs\n[process]\ncommand = x\n");
        load(&cfg, "V.ini", NULL, &msgs);
        tap_is_str(msgs, "V.ini:2: [rootfs] path: /nonexistent/rootfs: No such file or directory",
                   "nonexistent rootfs");

        write_manifest("V.ini", "[rootfs]\npath = V.ini\n[process]\ncommand = x\n");
        load(&cfg, "V.ini", NULL, &msgs);
        char expected[600];
        snprintf(expected, sizeof(expected),
                 "V.ini:2: [rootfs] path: %s/V.ini: not a directory, and not a SquashFS image (no "
                 "hsqs magic)",
                 dir);
        tap_is_str(msgs, expected, "rootfs is a file that is not an image");

        snprintf(text, sizeof(text), "[rootfs]\npath = %s\n[process]\ncwd = /nowhere\n", rootfs);
        write_manifest("V.ini", text);
        load(&cfg, "V.ini", NULL, &msgs);
        tap_is_str(msgs,
                   "V.ini: [process] command: missing: set it in the manifest or give the command "
                   "after --\n"
                   "V.ini:4: [process] cwd: /nowhere: No such file or directory inside the rootfs",
                   "missing command and cwd outside the rootfs");

        snprintf(text, sizeof(text), "[rootfs]\npath = %s\n[process]\nargs = a\n", rootfs);
        write_manifest("V.ini", text);
        load(&cfg, "V.ini", NULL, &msgs);
        tap_is_str(msgs, "V.ini:4: [process] args: args without a command", "args without command");

        snprintf(text, sizeof(text),
                 "[rootfs]\npath = %s\n[namespaces]\nuts = false\n[process]\ncommand = x\n"
                 "hostname = box\n",
                 rootfs);
        write_manifest("V.ini", text);
        load(&cfg, "V.ini", NULL, &msgs);
        tap_is_str(msgs,
                   "V.ini:7: [process] hostname: needs a uts namespace ([namespaces] uts = true)",
                   "hostname without uts");

        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_max != RLIM_INFINITY) {
                snprintf(text, sizeof(text),
                         "[rootfs]\npath = %s\n[process]\ncommand = x\n[limits]\nnofile = %llu\n",
                         rootfs, (unsigned long long)rl.rlim_max + 1);
                write_manifest("V.ini", text);
                load(&cfg, "V.ini", NULL, &msgs);
                snprintf(expected, sizeof(expected),
                         "V.ini:6: [limits] nofile: the value exceeds your hard limit of %llu, "
                         "which an unprivileged process cannot raise",
                         (unsigned long long)rl.rlim_max);
                tap_is_str(msgs, expected, "rlimit above the hard limit");
        }
        config_free(&cfg);
}

static void test_files(void)
{
        struct config cfg = {0};
        const char *msgs;
        chdir(dir);
        tap_ok(load(&cfg, "missing.ini", NULL, &msgs) == 1, "missing manifest");
        tap_is_str(msgs, "missing.ini: No such file or directory", "missing manifest message");
        mkdir("adir.ini", 0755);
        load(&cfg, "adir.ini", NULL, &msgs);
        tap_is_str(msgs, "adir.ini: is a directory, not a manifest", "directory as manifest");
        mkfifo("fifo.ini", 0644);
        load(&cfg, "fifo.ini", NULL, &msgs);
        tap_is_str(msgs, "fifo.ini: not a regular file", "FIFO as manifest (no hang)");
        FILE *f = fopen("big.ini", "w");
        for (int i = 0; i < 70000; i++)
                fputs("# padding line\n", f);
        fclose(f);
        load(&cfg, "big.ini", NULL, &msgs);
        tap_is_str(msgs, "big.ini: too large (1050000 bytes; a manifest is at most 1048576)",
                   "oversized manifest");
        f = fopen("nul.ini", "w");
        fwrite("[process]\ncommand = a\0b\n", 1, 24, f);
        fclose(f);
        load(&cfg, "nul.ini", NULL, &msgs);
        tap_is_str(msgs, "nul.ini:2: contains a NUL byte (is this a binary file?)", "NUL byte");
        f = fopen("long.ini", "w");
        fputs("[process]\nargs = ", f);
        for (int i = 0; i < 5000; i++)
                fputc('a', f);
        fputc('\n', f);
        fclose(f);
        load(&cfg, "long.ini", NULL, &msgs);
        tap_is_str(msgs, "long.ini:2: line too long (at most 4096 bytes)", "overlong line");
        f = fopen("garbage.ini", "w");
        for (int i = 0; i < 100; i++)
                fprintf(f, "garbage %d\n", i);
        fclose(f);
        unsigned errors = load(&cfg, "garbage.ini", NULL, &msgs);
        tap_is_num(errors, 100, "every garbage line counted");
        tap_ok(strstr(msgs, "garbage.ini:20: expected KEY = VALUE") != NULL &&
                   strstr(msgs, "garbage.ini:21:") == NULL &&
                   strstr(msgs, "qrun: 80 more errors not shown") == NULL,
               "only the first 20 printed");
        config_free(&cfg);
}

/* Landlock rights per grant and ABI: rights a kernel does not know are dropped
 * (it refuses unknown bits), and a rule on a file holds only file rights. */
static void test_landlock_rights(void)
{
        enum { EXECUTE = 1 << 0, WRITE_FILE = 1 << 1, READ_FILE = 1 << 2, READ_DIR = 1 << 3 };
        enum { MAKE_CHAR = 1 << 6, MAKE_BLOCK = 1 << 11, REFER = 1 << 13, TRUNCATE = 1 << 14 };
        enum { IOCTL_DEV = 1 << 15 };
        tap_ok(landlock_handled_rights(0) == 0, "landlock: no ABI, no rights");
        tap_ok(landlock_handled_rights(1) == 0x1fff, "landlock: ABI 1 handles bits 0-12");
        tap_ok(landlock_handled_rights(2) == (0x1fff | REFER), "landlock: ABI 2 adds REFER");
        tap_ok(landlock_handled_rights(4) == (0x1fff | REFER | TRUNCATE),
               "landlock: ABI 3 and 4 add TRUNCATE");
        tap_ok(landlock_handled_rights(7) == 0xffff, "landlock: ABI 5 and later add IOCTL_DEV");
        tap_ok(landlock_rights(GRANT_READ, 7, true) == (READ_FILE | READ_DIR),
               "landlock: read on a directory: read files and list");
        tap_ok(landlock_rights(GRANT_READ, 7, false) == READ_FILE,
               "landlock: read on a file: read it");
        tap_ok(landlock_rights(GRANT_EXEC, 7, false) == (READ_FILE | EXECUTE),
               "landlock: exec on a file: read and execute");
        uint64_t write = landlock_rights(GRANT_WRITE, 7, true);
        tap_ok((write & (WRITE_FILE | READ_FILE | REFER | TRUNCATE | IOCTL_DEV)) ==
                       (WRITE_FILE | READ_FILE | REFER | TRUNCATE | IOCTL_DEV) &&
                   !(write & (EXECUTE | MAKE_CHAR | MAKE_BLOCK)),
               "landlock: write: read, write, create; never execute or make devices");
        tap_ok(landlock_rights(GRANT_WRITE, 1, true) == (write & 0x1fff),
               "landlock: write under ABI 1 drops REFER, TRUNCATE and IOCTL_DEV");
        tap_ok(landlock_rights(GRANT_WRITE, 7, false) ==
                   (WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV),
               "landlock: write on a file: only file rights");
}

/* Join mode's derived settings, keep_fds, and PMIx's directory. */
static void test_join(void)
{
        struct config cfg = {0};
        const char *msgs;
        char text[600];
        snprintf(text, sizeof(text), "[rootfs]\npath = %s\n[process]\ncommand = /bin/true\n",
                 rootfs);
        int fd = open("/dev/null", O_RDONLY);
        char keep[64];
        snprintf(keep, sizeof(keep), "process.keep_fds=%d", fd);
        setenv("PMIX_SERVER_TMPDIR", dir, 1);
        const char *sets[] = {"namespaces.join=k1", keep, NULL};
        unsigned errors = load(&cfg, write_manifest("join.ini", text), sets, &msgs);
        tap_is_num(errors, 0, "join: no errors");
        tap_is_str(msgs, "", "join: no messages");
        tap_is_str(cfg.ns.join_key, "k1", "join = k1: the key");
        tap_ok(!cfg.ns.pid && cfg.ns.ipc, "join: no pid namespace, an ipc one");
        tap_ok(cfg.mounts.enabled && cfg.mounts.dev == DEV_MINIMAL,
               "join: mount mode, dev = minimal");
        tap_is_num(cfg.process.env_preset, ENV_PRESET_HPC, "join: env_preset = hpc");
        tap_ok(cfg.process.nkeep_fds == 1 && cfg.process.keep_fds[0] == fd, "keep_fds");
        tap_ok(cfg.mounts.nbinds == 1 && !strcmp(cfg.mounts.binds[0].dst, dir) &&
                   !strcmp(cfg.mounts.binds[0].src, dir),
               "PMIX_SERVER_TMPDIR is bound at its path");
        tap_ok(cfg.mounts.ntmpfs == 1 &&
                   !strncmp(dir, cfg.mounts.tmpfs[0].dst, strlen(cfg.mounts.tmpfs[0].dst)),
               "... on a tmpfs over its parent, which the rootfs has without it");
        unsetenv("PMIX_SERVER_TMPDIR");
        setenv("SLURM_JOB_ID", "5", 1);
        setenv("SLURM_STEP_ID", "1", 1);
        const char *autos[] = {"namespaces.join=auto", "process.env_preset=none", NULL};
        errors = load(&cfg, write_manifest("join.ini", text), autos, &msgs);
        tap_is_str(cfg.ns.join_key, "slurm-5.1", "join = auto: the Slurm step");
        tap_is_num(cfg.process.env_preset, ENV_PRESET_NONE, "env_preset = none stays");
        unsetenv("SLURM_JOB_ID");
        unsetenv("SLURM_STEP_ID");
        close(fd);
        config_free(&cfg);
}

int main(void)
{
        snprintf(dir, sizeof(dir), "/tmp/qrun-unit.XXXXXX");
        if (!mkdtemp(dir))
                return perror("mkdtemp"), 1;
        snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
        mkdir(rootfs, 0755);
        char sub[400];
        snprintf(sub, sizeof(sub), "%s/tmp", rootfs);
        mkdir(sub, 0755);
        test_full_manifest();
        test_defaults_and_relative_path();
        test_overrides();
        test_errors();
        test_validation();
        test_files();
        test_landlock_rights();
        test_join();
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        return tap_done() | (system(cmd) != 0);
}
