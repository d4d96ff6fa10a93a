/*
 * shmroot.c - a root in a private mapping of a file under /dev/shm (a
 * tmpfs; a program or library run from there has its data segment mapped
 * the same way): the only pointer to a 1000-byte block is stored there,
 * then exit(). The block is reachable (tests/reach/reach.sh).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
    char path[64];
    snprintf(path, sizeof path, "/dev/shm/leaktrace-shmroot.%d", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || ftruncate(fd, 4096) != 0) {
        perror(path);
        return 1;
    }
    void **root = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    close(fd);
    unlink(path);
    if (root == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    char *p = malloc(1000);
    memset(p, 7, 1000);
    root[0] = p;
    p = NULL;
    exit(0);
}
