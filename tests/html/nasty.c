/*
 * nasty.c - a test program of tests/html/html.sh: marks whose labels try to
 * break out of the page's JSON <script> ("</script>", "<!--", U+2028,
 * quotes, backslashes, invalid UTF-8), two leak sites with distinct names,
 * a thread left running at exit, and a growing heap for the timeline.
 */
#include <leaktrace.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void nap(long ms) { struct timespec t = { ms / 1000, (ms % 1000) * 1000000L }; nanosleep(&t, NULL); }
static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;

static void *stuck_worker(void *arg)
{
    pthread_mutex_lock(&gate);   /* never unlocked by main */
    return arg;
}

__attribute__((noinline)) static void *html_leak_alpha(size_t n) { return malloc(n); }
__attribute__((noinline)) static char *html_leak_beta(const char *s) { return strdup(s); }

int main(void)
{
    static void *keep[64];
    pthread_mutex_lock(&gate);
    pthread_t t;
    pthread_create(&t, NULL, stuck_worker, NULL);
    leaktrace_mark("</script><script>document.title='pwned'</script>");
    for (int i = 0; i < 40; i++) {
        keep[i] = html_leak_alpha(1000);
        nap(5);
    }
    leaktrace_mark("<!-- \xe2\x80\xa8 line\xe2\x80\xa9sep \"q\" \\ \xff end");
    for (int i = 40; i < 50; i++) {
        keep[i] = html_leak_beta("a string that leaks");
        nap(5);
    }
    keep[0] = NULL;   /* still leaked: the pointer is gone */
    return 0;
}
