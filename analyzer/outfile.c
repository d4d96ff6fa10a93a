/*
 * outfile.c - creating the analyzer's output files safely (see outfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

FILE *lt_outfile_open(const char *path, unsigned flags, const char *what, lt_err_t *err)
{
    int of = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | ((flags & LT_OUT_EXCL) ? O_EXCL : 0);
    int fd = open(path, of, 0600);
    if (fd < 0) {
        int e = errno;
        struct stat st;
        if (e == ELOOP || (e == EEXIST && lstat(path, &st) == 0 && S_ISLNK(st.st_mode)))
            LT_ERR_SET(err, LT_E_IO, -1, "cannot write %s to '%s': it is a symbolic link, and leaktrace never writes "
                                         "through one (give the link's target, or another name)", what, path);
        else if (e == EEXIST)
            LT_ERR_SET(err, LT_E_IO, -1, "cannot write %s to '%s': the file exists, and leaktrace never overwrites "
                                         "one (remove it, or choose another name)", what, path);
        else
            LT_ERR_SET(err, LT_E_IO, -1, "cannot write %s to '%s': %s", what, path, strerror(e));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && ftruncate(fd, 0) != 0) {
        int e = errno;
        close(fd);
        LT_ERR_SET(err, LT_E_IO, -1, "cannot write %s to '%s': cannot truncate it: %s", what, path, strerror(e));
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        LT_ERR_SET(err, LT_E_IO, -1, "cannot write %s to '%s': %s", what, path, strerror(e));
    }
    return f;
}
