/*
 * outfile.h - how the analyzer creates the files it writes (-o of every
 * command, ci's --json, --junit and --write-baseline). Reports hold stack
 * traces, paths and command lines of the traced program, so:
 *   - a new file is created with mode 0600 (before the umask): readable by
 *     its owner only;
 *   - a symbolic link is never followed (O_NOFOLLOW): a link planted where
 *     the output goes (in /tmp, say) is refused with a message;
 *   - heap dumps (LT_OUT_EXCL) never replace an existing file; other
 *     outputs replace an existing regular file (its mode is kept), as a
 *     report re-run is expected to;
 *   - close-on-exec; the directory is used as it is (never created or
 *     chmod'ed).
 */
#ifndef LT_OUTFILE_H
#define LT_OUTFILE_H

#include <stdio.h>

#include "error.h"

#define LT_OUT_EXCL 1u     /* refuse an existing file */

/* Opens path for writing under the rules above. what names the content for
 * messages ("the heap dump"). Returns the stream, or NULL with err filled
 * (LT_E_IO; the message names the file, the reason and what to do). */
FILE *lt_outfile_open(const char *path, unsigned flags, const char *what, lt_err_t *err);

#endif
