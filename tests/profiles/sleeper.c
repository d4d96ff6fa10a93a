/* sleeper.c - allocates a block every 10 ms for 0.4 s (samples test). */
#include <stdlib.h>
#include <time.h>
int main(void)
{
    struct timespec ts = { 0, 10 * 1000 * 1000 };
    for (int i = 0; i < 40; i++) { (void)malloc(1000); nanosleep(&ts, NULL); }
    return 0;
}
