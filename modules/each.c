#define _GNU_SOURCE
#include "each.h"
#include "fail.h"
#include "init.h"
#include "namespaces.h"
#include "process.h"
#include "values.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- reading TASKS ---- */

static bool is_task_line(const char *line)
{
        line += strspn(line, " \t");
        return *line && *line != '#';
}

void each_read_tasks(int fd, struct each_list *tasks, struct diag *d)
{
        FILE *in = fdopen(dup(fd), "r");
        if (!in)
                fail("each", errno, "unable to read the tasks from stdin");
        size_t cap = 0, size = 0;
        char *line = NULL;
        ssize_t n;
        for (unsigned number = 1; (n = getline(&line, &size, in)) >= 0; number++) {
                if (n > 0 && line[n - 1] == '\n')
                        line[n - 1] = '\0';
                if (!is_task_line(line))
                        continue;
                struct each_task t = {.number = number};
                d->loc = (struct loc){"stdin", number, NULL, NULL};
                if (!split_words(d, line, &t.argv) || !t.argv.len) {
                        strv_free(&t.argv);
                        continue;
                }
                if (tasks->len == cap) {
                        cap = cap ? 2 * cap : 64;
                        tasks->items = xrealloc(tasks->items, cap * sizeof(*tasks->items));
                }
                tasks->items[tasks->len++] = t;
        }
        if (ferror(in))
                fail("each", errno, "unable to read the tasks from stdin");
        free(line);
        fclose(in);
}

void each_task_enter(const struct each_task *t, struct process_config *p)
{
        for (int fd = 0; fd < 3; fd++)
                if (dup2(t->stdio[fd], fd) < 0)
                        fail("each", errno, "dup2 of task %u's descriptor %d", t->number, fd);
        p->argv = t->argv;
}

/* ---- running them ---- */

/* With [task N] prefixes: one of a task's output pipes, cut into lines. */
struct stream {
        int fd;  /* the pipe's read end; -1: closed */
        int out; /* where its lines go: qrun's stdout or stderr */
        size_t len;
        char buf[4096];
};

struct slot {
        struct each_task *task; /* NULL: free */
        void *stack;            /* its tasks' first processes run there, one at a time */
        pid_t pid;
        int errors;           /* the error pipe's read end */
        int err_file;         /* --output: DIR/N.err, where qrun's own errors go too */
        uint64_t deadline_us; /* 0: none */
        int stage;            /* 0 running, 1 SIGTERM sent, 2 SIGKILL sent */
        bool stopped;         /* by SIGINT or SIGTERM, not by its timeout */
        struct stream streams[2];
};

struct run {
        const struct each_options *o;
        struct each_list *tasks;
        each_start_fn start;
        void *arg;
        size_t next; /* the first task not started */
        struct slot *slots;
        unsigned nslots, running;
        int signals, null, dir; /* signalfd, /dev/null, --output's directory */
        unsigned succeeded, failed, first_failed;
        int first_status;
        int stop_signal; /* SIGINT or SIGTERM once received */
};

static unsigned usable_cpus(void)
{
        cpu_set_t set;
        if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
                return (unsigned)CPU_COUNT(&set); /* a Slurm job's cpuset, not the host's */
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        return n > 0 ? (unsigned)n : 1;
}

static void write_line(int out, unsigned number, const char *text, size_t len)
{
        char line[sizeof(((struct stream *)0)->buf) + 32];
        int n = snprintf(line, sizeof(line), "[task %u] ", number);
        memcpy(line + n, text, len);
        line[(size_t)n + len] = '\n';
        write_all(out, line, (size_t)n + len + 1);
}

/* Writes the complete lines in s's buffer (all of it when flush or full). */
static void emit_lines(struct stream *s, unsigned number, bool flush)
{
        size_t start = 0;
        for (size_t i = 0; i < s->len; i++)
                if (s->buf[i] == '\n') {
                        write_line(s->out, number, s->buf + start, i - start);
                        start = i + 1;
                }
        if (start < s->len && (flush || (start == 0 && s->len == sizeof(s->buf)))) {
                write_line(s->out, number, s->buf + start, s->len - start);
                start = s->len;
        }
        memmove(s->buf, s->buf + start, s->len - start);
        s->len -= start;
}

/* Reads what the pipe holds now; at its end (or the task's: drain), flushes
 * the last partial line and closes it. Decides nothing on errno (the tasks'
 * first processes share it): the pipe does not block, and every signal we
 * take is blocked, so a failed read means "nothing now". */
static void read_stream(struct stream *s, unsigned number, bool drain)
{
        for (;;) {
                ssize_t n = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);
                if (n > 0) {
                        s->len += (size_t)n;
                        emit_lines(s, number, false);
                        continue;
                }
                if (n < 0 && !drain)
                        return;
                break; /* end of file, or nothing more now that the task is gone */
        }
        emit_lines(s, number, true);
        close(s->fd);
        s->fd = -1;
}

static int open_output(const struct run *r, unsigned number, const char *what)
{
        char name[32];
        snprintf(name, sizeof(name), "%u.%s", number, what);
        int fd = openat(r->dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fd < 0)
                fail("each", errno, "unable to create %s/%s", r->o->output, name);
        return fd;
}

/* A pipe for one of the task's outputs: the write end for the task, the read
 * end (non-blocking) for s. */
static int open_stream(struct stream *s, int out)
{
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0)
                fail("each", errno, "unable to create a pipe for a task's output");
        if (fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0)
                fail("each", errno, "fcntl(O_NONBLOCK) of a task's output pipe");
        *s = (struct stream){.fd = fds[0], .out = out, .len = 0};
        return fds[1];
}

/* How often a task's set-up is looked at while we wait for it. */
#define SET_UP_SLICE_MS 200

/* Waits until the task's command has exec'd: its set-up runs in our memory
 * (each_start_fn), where nothing of ours may run beside it. Every slice, what
 * must end it all the same: SIGINT or SIGTERM (left pending, for
 * read_signals), or the task's timeout. A set-up that hangs (a bind from a
 * file server that does not answer) is then killed, and its end ends the
 * wait, so that qrun still stops, or the next task starts. */
static void wait_set_up(struct run *r, struct slot *s)
{
        bool timed_out = false;
        while (!namespaces_wait_started(&s->task->started, SET_UP_SLICE_MS)) {
                sigset_t pending;
                bool stop = sigpending(&pending) == 0 &&
                            (sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM));
                bool late = s->deadline_us && now_us() >= s->deadline_us;
                if ((stop || late) && s->stage < 2) {
                        kill(s->pid, SIGKILL);
                        s->stage = 2;       /* finish_task: a timeout, unless on_signal stops it */
                        s->deadline_us = 0; /* check_deadlines: nothing more to send */
                        timed_out = !stop;
                }
        }
        if (timed_out) /* now that nothing runs beside us */
                warn("timeout", 0, "task %u: %llu ms elapsed in its set-up: killed",
                     s->task->number, (unsigned long long)r->o->timeout_ms);
}

static void start_task(struct run *r, struct slot *s)
{
        struct each_task *t = &r->tasks->items[r->next++];
        void *stack = s->stack; /* free: its last task's first process was reaped */
        if (!stack && !(stack = namespaces_stack()))
                fail("each", errno, "unable to map a stack for a task's first process");
        *s = (struct slot){
            .task = t, .stack = stack, .err_file = -1, .streams = {{.fd = -1}, {.fd = -1}}};
        t->stdio[0] = r->null;
        if (r->dir >= 0) {
                t->stdio[1] = open_output(r, t->number, "out");
                t->stdio[2] = s->err_file = open_output(r, t->number, "err");
        } else {
                t->stdio[1] = open_stream(&s->streams[0], STDOUT_FILENO);
                t->stdio[2] = open_stream(&s->streams[1], STDERR_FILENO);
        }
        if (r->o->timeout_ms)
                s->deadline_us = now_us() + r->o->timeout_ms * 1000;
        s->pid = r->start(r->arg, t, s->stack, &s->errors);
        wait_set_up(r, s);
        close(t->stdio[1]);
        if (s->err_file < 0)
                close(t->stdio[2]);
        r->running++;
}

static void record(struct run *r, unsigned number, int status)
{
        if (status == 0) {
                r->succeeded++;
                return;
        }
        if (!r->failed++) {
                r->first_failed = number;
                r->first_status = status;
        }
}

/* The task's container has exited (wait status): its last output, its
 * reported failure, its exit status. */
static void finish_task(struct run *r, struct slot *s, int wstatus)
{
        unsigned number = s->task->number;
        for (int i = 0; i < 2; i++)
                if (s->streams[i].fd >= 0)
                        read_stream(&s->streams[i], number, true);
        char prefix[32] = ""; /* none in the task's own .err file */
        if (s->err_file < 0)
                snprintf(prefix, sizeof(prefix), "[task %u] ", number);
        int reported =
            fail_pipe_collect(s->errors, s->err_file >= 0 ? s->err_file : STDERR_FILENO, prefix);
        if (s->err_file >= 0)
                close(s->err_file);
        int status = reported >= 0 ? reported : exit_code_of(wstatus);
        if (s->stage > 0 && !s->stopped)
                status = EXIT_TIMEOUT;
        if (!s->stopped)
                record(r, number, status);
        s->task = NULL;
        r->running--;
}

static void reap(struct run *r)
{
        int wstatus;
        pid_t pid;
        while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0)
                for (unsigned i = 0; i < r->nslots; i++)
                        if (r->slots[i].task && r->slots[i].pid == pid)
                                finish_task(r, &r->slots[i], wstatus);
}

/* SIGTERM now (every process of the task), SIGKILL after the grace time. */
static void escalate(struct run *r, struct slot *s)
{
        bool term = s->stage == 0;
        signal_container(s->pid, r->o->child_is_init, term ? SIGTERM : SIGKILL);
        s->stage = term ? 1 : 2;
        s->deadline_us = term ? now_us() + TIMEOUT_GRACE_MS * 1000ull : 0;
}

static void check_deadlines(struct run *r)
{
        uint64_t now = now_us();
        for (unsigned i = 0; i < r->nslots; i++) {
                struct slot *s = &r->slots[i];
                if (!s->task || !s->deadline_us || now < s->deadline_us)
                        continue;
                if (s->stage == 0)
                        warn("timeout", 0, "task %u: %llu ms elapsed: sending SIGTERM",
                             s->task->number, (unsigned long long)r->o->timeout_ms);
                else
                        warn("timeout", 0, "task %u: still running %d ms later: sending SIGKILL",
                             s->task->number, TIMEOUT_GRACE_MS);
                escalate(r, s);
        }
}

/* SIGINT, SIGTERM: stop every task (a second one: kill them) and start no
 * new one. The others are forwarded to every task's first process. */
static void on_signal(struct run *r, int sig)
{
        bool stop = sig == SIGINT || sig == SIGTERM;
        if (stop && !r->stop_signal)
                warn("each", 0, "%s: stopping the running tasks, starting no new one",
                     strsignal(sig));
        for (unsigned i = 0; i < r->nslots; i++) {
                struct slot *s = &r->slots[i];
                if (!s->task)
                        continue;
                if (!stop) {
                        kill(s->pid, sig);
                        continue;
                }
                s->stopped = true;
                if (r->stop_signal)
                        s->stage = 1; /* a second signal: SIGKILL now */
                if (s->stage < 2)
                        escalate(r, s);
        }
        if (stop)
                r->stop_signal = sig;
}

static void read_signals(struct run *r)
{
        struct signalfd_siginfo info;
        while (read(r->signals, &info, sizeof(info)) == (ssize_t)sizeof(info)) {
                int sig = (int)info.ssi_signo;
                if (sig == SIGCHLD)
                        reap(r);
                else if (sig != SIGRTMIN + 1) /* init's own, never forwarded */
                        on_signal(r, sig);
        }
}

static int poll_timeout_ms(const struct run *r)
{
        uint64_t first = 0;
        for (unsigned i = 0; i < r->nslots; i++) {
                uint64_t d = r->slots[i].task ? r->slots[i].deadline_us : 0;
                if (d && (!first || d < first))
                        first = d;
        }
        if (!first)
                return -1;
        uint64_t now = now_us();
        return first <= now ? 0 : (int)((first - now + 999) / 1000);
}

/* Waits for a signal, output or a deadline, and handles what came. */
static void wait_events(struct run *r)
{
        struct pollfd pfds[1 + 2 * r->nslots];
        struct stream *streams[1 + 2 * r->nslots];
        unsigned owner[1 + 2 * r->nslots], n = 1;
        pfds[0] = (struct pollfd){r->signals, POLLIN, 0};
        for (unsigned i = 0; i < r->nslots; i++)
                for (int k = 0; k < 2 && r->slots[i].task; k++)
                        if (r->slots[i].streams[k].fd >= 0) {
                                streams[n] = &r->slots[i].streams[k];
                                owner[n] = r->slots[i].task->number;
                                pfds[n] = (struct pollfd){streams[n]->fd, POLLIN, 0};
                                n++;
                        }
        /* No EINTR: every signal we take is blocked (read from r->signals). */
        if (poll(pfds, n, poll_timeout_ms(r)) < 0)
                fail("each", errno, "poll");
        for (unsigned i = 1; i < n; i++)
                if (pfds[i].revents)
                        read_stream(streams[i], owner[i], false);
        if (pfds[0].revents)
                read_signals(r); /* after the output: finishing a task drains its pipes */
        check_deadlines(r);
}

static bool may_start(const struct run *r)
{
        return !r->stop_signal && (r->o->keep_going || !r->failed) && r->next < r->tasks->len;
}

static void open_descriptors(struct run *r)
{
        r->signals = signals_fd();
        if (r->signals < 0)
                fail("each", errno, "signalfd");
        r->null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (r->null < 0)
                fail("each", errno, "unable to open /dev/null for the tasks' stdin");
        r->dir = -1;
        if (!r->o->output)
                return;
        if (mkdir(r->o->output, 0777) < 0 && errno != EEXIST)
                fail("each", errno, "unable to create %s", r->o->output);
        r->dir = open(r->o->output, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (r->dir < 0)
                fail("each", errno, "unable to open %s", r->o->output);
}

static int summary(const struct run *r)
{
        size_t total = r->tasks->len, not_started = total - r->next;
        unsigned stopped = (unsigned)(r->next - r->succeeded - r->failed);
        char first[96] = "";
        if (r->failed)
                snprintf(first, sizeof(first), " (first: task %u, exit status %d)", r->first_failed,
                         r->first_status);
        warn("each", 0, "%zu task%s: %u succeeded, %u failed%s, %u stopped, %zu not started", total,
             total == 1 ? "" : "s", r->succeeded, r->failed, first, stopped, not_started);
        if (r->stop_signal)
                return 128 + r->stop_signal;
        return r->failed ? r->first_status : 0;
}

int each_run(const struct each_options *o, struct each_list *tasks, each_start_fn start, void *arg)
{
        struct run r = {.o = o, .tasks = tasks, .start = start, .arg = arg};
        r.nslots = o->jobs ? o->jobs : usable_cpus();
        if (r.nslots > tasks->len)
                r.nslots = tasks->len ? (unsigned)tasks->len : 1;
        r.slots = xmalloc(r.nslots * sizeof(*r.slots));
        memset(r.slots, 0, r.nslots * sizeof(*r.slots));
        open_descriptors(&r);
        for (;;) {
                for (unsigned i = 0; i < r.nslots && may_start(&r); i++)
                        if (!r.slots[i].task)
                                start_task(&r, &r.slots[i]);
                if (!r.running)
                        break;
                wait_events(&r);
        }
        return summary(&r);
}
