/*
 * progress.c - the progress line on stderr (see progress.h). State is
 * process-wide: the analyzer reads one file at a time on one thread.
 */
#include <string.h>
#include <time.h>

#include "progress.h"

static struct {
    int on;
    FILE *out;
    int drawn;              /* a line is on the screen */
    const char *path;       /* the file being read (pointer compared) */
    double start, last;     /* when reading it started, last redraw */
} st;

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void lt_progress_enable(int on, FILE *out)
{
    st.on = on && out;
    st.out = out;
    st.drawn = 0;
    st.path = NULL;
}

int lt_progress_enabled(void) { return st.on; }

/* 1234567 -> "1.2 MiB" */
static void human_bytes(char *buf, size_t n, uint64_t v)
{
    static const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    double d = (double)v;
    int u = 0;
    while (d >= 1024 && u < 4) { d /= 1024; u++; }
    if (u == 0) snprintf(buf, n, "%llu B", (unsigned long long)v);
    else snprintf(buf, n, "%.1f %s", d, unit[u]);
}

static void human_rate(char *buf, size_t n, double v)
{
    if (v >= 1e6) snprintf(buf, n, "%.1fM", v / 1e6);
    else if (v >= 1e3) snprintf(buf, n, "%.0fk", v / 1e3);
    else snprintf(buf, n, "%.0f", v);
}

void lt_progress_begin(const char *path)
{
    if (!st.on) return;
    st.path = path;
    st.start = mono_s();
    st.last = 0;
}

void lt_progress_update(const char *path, uint64_t pos, uint64_t size, uint64_t events)
{
    if (!st.on) return;
    double now = mono_s();
    if (path != st.path) lt_progress_begin(path);
    if (st.last && now - st.last < 0.1) return;
    st.last = now;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char done[32], total[32], rate[48];
    human_bytes(done, sizeof done, pos);
    human_bytes(total, sizeof total, size);
    double el = now - st.start;
    if (el > 0.001) {
        rate[0] = ',';
        rate[1] = ' ';
        human_rate(rate + 2, sizeof rate - 2, (double)events / el);
        strcat(rate, " events/s");
    } else rate[0] = '\0';
    unsigned pct = size ? (unsigned)(pos >= size ? 100 : pos * 100 / size) : 0;
    /* \r and erase to the end of the line, then the line; no newline. */
    fprintf(st.out, "\r\033[Kleaktrace: reading %.40s %3u%% (%s of %s)%s", base, pct, done, total, rate);
    fflush(st.out);
    st.drawn = 1;
}

void lt_progress_done(void)
{
    if (!st.on) return;
    if (st.drawn) {
        fputs("\r\033[K", st.out);
        fflush(st.out);
    }
    st.drawn = 0;
    st.path = NULL;
}
