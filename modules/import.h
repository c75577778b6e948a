/* qrun import: turns an OCI or Docker image, or a rootfs tarball, into a
 * directory (or a SquashFS file) qrun can run, as an unprivileged user.
 *
 *   qrun import [-q] [--force] [--manifest FILE] [--squashfs] SOURCE DEST
 *
 * The work happens in a hidden sibling of DEST that is renamed into place at
 * the end: an import that fails or is interrupted (SIGINT, SIGTERM, SIGHUP)
 * leaves neither DEST nor the work directory behind. SIGKILL cannot be caught:
 * it leaves the work directory, .DEST.qrun-import.XXXXXX, for the user to
 * remove, and no DEST (tests/integration/import_hostile.t checks both). */
#ifndef QRUN_IMPORT_H
#define QRUN_IMPORT_H

/* argv[0] is "import". Returns the exit status. */
int import_main(int argc, char **argv);

#endif
