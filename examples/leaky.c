/*
 * leaky.c - the bundled example: a tiny "config loader" with two real
 * leaks of the kinds people ship every day. `./quickstart.sh` builds it,
 * runs it under the tracer and prints the report.
 *
 *   1. load_config() forgets to free the line buffer getline() grew when
 *      it returns early on a comment-only file (an error-path leak).
 *   2. intern_key() keeps a strdup'd copy of every key in a table that
 *      main() clears at exit without freeing them (grows with the input).
 * Everything else is freed, so the report should show exactly these two.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    char *key;
    char *value;
    struct entry *next;
};

static char *interned[64];
static int ninterned;

/* Leak 2: the copies in interned[] are never freed. */
__attribute__((noinline)) static const char *intern_key(const char *k)
{
    for (int i = 0; i < ninterned; i++)
        if (!strcmp(interned[i], k)) return interned[i];
    if (ninterned == 64) return k;
    interned[ninterned] = strdup(k);
    return interned[ninterned++];
}

__attribute__((noinline)) static struct entry *parse_line(const char *line)
{
    const char *eq = strchr(line, '=');
    if (!eq) return NULL;
    struct entry *e = calloc(1, sizeof *e);
    char key[128];
    size_t kl = (size_t)(eq - line) < sizeof key - 1 ? (size_t)(eq - line) : sizeof key - 1;
    memcpy(key, line, kl);
    key[kl] = '\0';
    e->key = (char *)intern_key(key);
    e->value = strdup(eq + 1);
    return e;
}

__attribute__((noinline)) static struct entry *load_config(FILE *f)
{
    char *line = NULL;
    size_t cap = 0;
    struct entry *head = NULL;
    ssize_t n;
    int seen = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] == '\n') line[n - 1] = '\0';
        if (line[0] == '#') continue;
        seen++;
        struct entry *e = parse_line(line);
        if (e) { e->next = head; head = e; }
    }
    if (!seen) return NULL;   /* Leak 1: `line` is not freed on this path. */
    free(line);
    return head;
}

static void free_config(struct entry *e)
{
    while (e) {
        struct entry *next = e->next;
        free(e->value);
        free(e);   /* e->key is interned: not ours to free (and nobody does) */
        e = next;
    }
}

int main(void)
{
    const char *good = "name=leaktrace\nmode=demo\nlevel=3\n";
    const char *only_comments = "# nothing here\n# still nothing\n";
    for (int round = 0; round < 3; round++) {
        FILE *f = fmemopen((void *)good, strlen(good), "r");
        struct entry *cfg = load_config(f);
        fclose(f);
        int count = 0;
        for (struct entry *e = cfg; e; e = e->next) count++;
        printf("round %d: %d settings\n", round, count);
        free_config(cfg);

        f = fmemopen((void *)only_comments, strlen(only_comments), "r");
        cfg = load_config(f);
        fclose(f);
        printf("round %d: comments-only file gives %s\n", round, cfg ? "settings" : "nothing");
    }
    ninterned = 0;                          /* Leak 2: the table forgets its copies */
    memset(interned, 0, sizeof interned);   /* without freeing them */
    return 0;
}
