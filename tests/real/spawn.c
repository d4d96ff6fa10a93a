/* spawn.c - starts a child that execs PROG, in one of three ways, and
 * allocates before and after: for tests/run_real_programs.sh (docs/tracer.md:
 * "vfork children and posix_spawn are handled: their exec does not end the
 * parent's trace"; a failed exec just continues).
 *
 * usage: spawn vfork|fork|posix_spawn PROG
 *   child: execve(PROG) and, if that fails, _exit(127)
 *   prints "MODE PROG: status N" (the child's exit status) and exits 0.
 *   Allocates 100 blocks of its own (50 before the child, 50 after) and
 *   leaks them. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
void *kept[100];

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: spawn vfork|fork|posix_spawn PROG\n");
        return 2;
    }
    const char *mode = argv[1];
    char *child_argv[] = { argv[2], NULL };
    for (int i = 0; i < 50; i++) kept[i] = malloc(100 + (size_t)i);
    int st = 0;
    pid_t pid = -1;
    if (!strcmp(mode, "vfork")) {
        pid = vfork();
        if (pid == 0) {
            execve(argv[2], child_argv, environ);
            _exit(127);
        }
    } else if (!strcmp(mode, "fork")) {
        pid = fork();
        if (pid == 0) {
            execve(argv[2], child_argv, environ);
            _exit(127);
        }
    } else if (!strcmp(mode, "posix_spawn")) {
        int rc = posix_spawn(&pid, argv[2], NULL, NULL, child_argv, environ);
        if (rc != 0) {
            pid = -1;
            st = 127 << 8; /* glibc reports a failed exec here, like the others */
        }
    } else {
        fprintf(stderr, "spawn: unknown mode %s\n", mode);
        return 2;
    }
    if (pid > 0) waitpid(pid, &st, 0);
    for (int i = 50; i < 100; i++) kept[i] = malloc(100 + (size_t)i);
    printf("%s %s: status %d\n", mode, argv[2], WEXITSTATUS(st));
    return 0;
}
