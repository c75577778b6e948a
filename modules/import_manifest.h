/* The manifest `qrun import --manifest FILE` writes: the image's rootfs, and
 * its command, arguments, environment, working directory and user as the
 * image's config gives them, so that `qrun FILE` runs the image as its author
 * meant (mount mode with /proc and a minimal /dev, as Docker gives). */
#ifndef QRUN_IMPORT_MANIFEST_H
#define QRUN_IMPORT_MANIFEST_H

#include "fail.h"
#include "image.h"

#include <stdio.h>

/* Writes the manifest text for rootfs (as the manifest should name it). */
void import_manifest_print(FILE *out, const char *rootfs, const struct image_config *c,
                           const char *source);

/* True when the image's User means root (empty, "root", "0", "0:0", ...). */
bool image_user_is_root(const char *user);

#endif
