/* The user's private runtime directory and the detached helper processes
 * that live there: the SquashFS image servers (squashfs.c) and the holders
 * of joined namespaces (join.c). Each is found through a socket NAME.sock in
 * the directory and elected under a lock NAME.lock. */
#ifndef QRUN_RUNDIR_H
#define QRUN_RUNDIR_H

#include "fail.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

/* $XDG_RUNTIME_DIR/qrun when that directory is the user's (su and sudo often
 * pass on another user's), else /tmp/qrun-UID: created 0700 if missing, and
 * refused unless it is the user's and nobody else may enter it. An O_RDONLY
 * descriptor of it, or -1 with f. */
int rundir_open(struct failure *f);

/* The path rundir_open() takes (not created, not checked). */
void rundir_path(char *path, size_t size);

/* The address of NAME.sock, through the directory's descriptor (no path
 * length limit, no race on the directory's path). */
void rundir_socket_address(struct sockaddr_un *a, int dir, const char *name);

/* A SOCK_SEQPACKET socket listening on NAME.sock; -1 with f. */
int rundir_listen(int dir, const char *name, struct failure *f);

/* Connects to NAME.sock and checks that the user serves it: the connected
 * socket (close-on-exec), its server's credentials in *peer; or -1 with f
 * (*absent: nobody listens there, none yet or one ending). what names the
 * server in messages. */
int rundir_connect(int dir, const char *name, const char *what, struct ucred *peer, bool *absent,
                   struct failure *f);

/* NAME.lock, opened (created if missing) and locked exclusively. A lock file
 * that its last user removed while this waited for it is let go and the
 * current one taken instead, so that holding the returned descriptor always
 * means holding the file NAME.lock names. -1 with f. */
int rundir_lock(int dir, const char *name, struct failure *f);

/* A connection on listener from the user (the id as the caller's user
 * namespace maps it), or -1: none pending, or someone else's (closed). */
int rundir_accept(int listener);

/* recvmsg() of one message of at most size bytes into buf, with room for
 * control_size bytes of ancillary data (descriptors arrive close-on-exec),
 * retried on EINTR; the first control message in *cm (NULL if none). */
ssize_t rundir_receive(int c, void *buf, size_t size, void *control, size_t control_size,
                       struct cmsghdr **cm);

/* For a server or holder whose last client has gone: true, with the lock
 * held, when no launch is starting one (it would hold the lock, and may be
 * about to connect) and none is waiting on listener; it may then end. */
bool rundir_may_end(int lock, int listener);

/* An ending holder's last step, holding NAME.lock as lock (rundir_may_end):
 * removes NAME.sock, then NAME.lock (a launch waiting for the lock then takes
 * a new one: rundir_lock), unless lock is no longer the file NAME.lock names. */
void rundir_remove(int dir, const char *name, int lock);

/* Removes the socket and lock of every PREFIX* holder or server that died
 * without removing them (SIGKILLed: by Slurm at a step's end, the OOM
 * killer), found by nobody listening on its socket, each under its own lock
 * taken without waiting: a live one, or one a launch is starting, is left
 * alone. own: the caller's NAME, whose lock it holds. */
void rundir_sweep(int dir, const char *prefix, const char *own);

/* Closes every descriptor but the n in keep (which it sorts). */
void close_all_but(int *keep, size_t n);

/* Forks a process detached from the caller: every descriptor but the n in
 * keep closed, a new session (it stays the caller's child, and outlives it).
 * It runs run(arg, ready), which must not return, where ready is the write
 * end of a pipe whose read end this returns (close-on-exec); -1 with f. */
int spawn_detached(int *keep, size_t n, void (*run)(void *arg, int ready), void *arg,
                   struct failure *f);

/* In a detached process: stdio on /dev/null, cwd /, no blocked signals,
 * SIGPIPE ignored, and TITLE (which may be long) in ps instead of the argv it
 * inherited; 0 or -1 with errno. */
int detach_stdio_and_title(const char *title);

/* FNV-1a over data, from h (0xcbf29ce484222325 to start). */
uint64_t fnv1a(uint64_t h, const void *data, size_t size);

#endif
