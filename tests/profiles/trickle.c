/* trickle.c - a slow program, as a service is: every millisecond for
 * SECONDS s (default 2), 20 blocks allocated and freed, and every 50th kept
 * (a leak of about 1,000 blocks a second). Its chunks are small (one every
 * 50 ms): the case frames across chunks (format 1.7) are for. Prints the
 * number of blocks it kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void *kept[1 << 16];

int main(int argc, char **argv)
{
    int ms = (argc > 1 ? atoi(argv[1]) : 2) * 1000, nkept = 0;
    struct timespec ts = { 0, 1000 * 1000 };
    for (int i = 0; i < ms; i++) {
        for (int k = 0; k < 20; k++) {
            char *b = malloc(64 + (size_t)((i + k) % 7) * 16);
            if (!b) return 1;
            memset(b, 'x', 16);
            if ((i * 20 + k) % 50 == 0 && nkept < (1 << 16)) kept[nkept++] = b;
            else free(b);
        }
        nanosleep(&ts, NULL);
    }
    printf("%d\n", nkept);
    return 0;
}
