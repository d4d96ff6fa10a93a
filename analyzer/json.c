/*
 * json.c - see json.h. Strings are escaped per RFC 8259; bytes that are
 * not valid UTF-8 are written as \u00XX so the output always parses.
 */
#include <string.h>

#include "json.h"

void lt_json_init(lt_json_t *j, FILE *out, int pretty)
{
    memset(j, 0, sizeof *j);
    j->out = out;
    j->pretty = pretty;
    j->first[0] = 1;
}

static void indent(lt_json_t *j)
{
    if (!j->pretty) return;
    fputc('\n', j->out);
    for (int i = 0; i < j->depth; i++) fputs("  ", j->out);
}

static void raw_str(lt_json_t *j, const char *s, size_t n)
{
    fputc('"', j->out);
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p;
        if (c == '"' || c == '\\') { fputc('\\', j->out); fputc((int)c, j->out); p++; }
        else if (c == '\n') { fputs("\\n", j->out); p++; }
        else if (c == '\t') { fputs("\\t", j->out); p++; }
        else if (c == '\r') { fputs("\\r", j->out); p++; }
        else if (c < 0x20 || c == 0x7f) { fprintf(j->out, "\\u%04x", c); p++; }
        else if (c < 0x80) { fputc((int)c, j->out); p++; }
        else {
            /* Pass valid UTF-8 sequences through, escape stray bytes. */
            int len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
            int ok = len && p + len <= end;
            for (int k = 1; ok && k < len; k++) ok = (p[k] & 0xc0) == 0x80;
            if (ok) { fwrite(p, 1, (size_t)len, j->out); p += len; }
            else { fprintf(j->out, "\\u%04x", c); p++; }
        }
    }
    fputc('"', j->out);
}

static void key(lt_json_t *j, const char *k)
{
    if (!j->first[j->depth]) fputc(',', j->out);
    j->first[j->depth] = 0;
    if (j->depth) indent(j);
    if (k) {
        raw_str(j, k, strlen(k));
        fputs(j->pretty ? ": " : ":", j->out);
    }
}

static void open_(lt_json_t *j, const char *k, int c)
{
    key(j, k);
    fputc(c, j->out);
    if (j->depth < 63) j->depth++;
    j->first[j->depth] = 1;
}

static void close_(lt_json_t *j, int c)
{
    int empty = j->first[j->depth];
    if (j->depth) j->depth--;
    if (!empty) indent(j);
    fputc(c, j->out);
}

void lt_json_begin_obj(lt_json_t *j, const char *k) { open_(j, k, '{'); }
void lt_json_end_obj(lt_json_t *j) { close_(j, '}'); }
void lt_json_begin_arr(lt_json_t *j, const char *k) { open_(j, k, '['); }
void lt_json_end_arr(lt_json_t *j) { close_(j, ']'); }

void lt_json_strn(lt_json_t *j, const char *k, const char *v, size_t n)
{
    key(j, k);
    if (v) raw_str(j, v, n); else fputs("null", j->out);
}

void lt_json_str(lt_json_t *j, const char *k, const char *v) { lt_json_strn(j, k, v, v ? strlen(v) : 0); }
void lt_json_u64(lt_json_t *j, const char *k, uint64_t v) { key(j, k); fprintf(j->out, "%llu", (unsigned long long)v); }
void lt_json_i64(lt_json_t *j, const char *k, int64_t v) { key(j, k); fprintf(j->out, "%lld", (long long)v); }
void lt_json_f64(lt_json_t *j, const char *k, double v) { key(j, k); fprintf(j->out, "%.6g", v); }
void lt_json_bool(lt_json_t *j, const char *k, int v) { key(j, k); fputs(v ? "true" : "false", j->out); }
void lt_json_null(lt_json_t *j, const char *k) { key(j, k); fputs("null", j->out); }
void lt_json_finish(lt_json_t *j) { fputc('\n', j->out); }
