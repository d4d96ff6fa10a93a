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

/* Length of the well-formed UTF-8 sequence at p (RFC 3629 table: no
 * overlongs, no surrogates, nothing above U+10FFFF), or 0. */
size_t lt_utf8_seq_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0) lo = 0xa0;
        if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0) lo = 0x90;
        if (c == 0xf4) hi = 0x8f;
    } else return 0;
    if ((size_t)(end - p) < len) return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (size_t k = 2; k < len; k++)
        if ((p[k] & 0xc0) != 0x80) return 0;
    return len;
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
            int len = (int)lt_utf8_seq_len(p, end);
            if (len) { fwrite(p, 1, (size_t)len, j->out); p += len; }
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
/* 15 significant digits (times in seconds keep their nanoseconds); JSON
 * has no NaN or infinity: those become null. */
void lt_json_f64(lt_json_t *j, const char *k, double v)
{
    key(j, k);
    if (v != v || v > 1.7e308 || v < -1.7e308) fputs("null", j->out);
    else fprintf(j->out, "%.15g", v);
}
void lt_json_bool(lt_json_t *j, const char *k, int v) { key(j, k); fputs(v ? "true" : "false", j->out); }
void lt_json_null(lt_json_t *j, const char *k) { key(j, k); fputs("null", j->out); }
void lt_json_finish(lt_json_t *j) { fputc('\n', j->out); }
