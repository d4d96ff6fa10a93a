/*
 * json.h - a minimal streaming JSON writer (objects, arrays, escaped
 * strings, integers) for the --format json outputs. Formatting only.
 */
#ifndef LT_JSON_H
#define LT_JSON_H

#include <stdint.h>
#include <stdio.h>

typedef struct lt_json {
    FILE *out;
    int depth;
    int first[64];   /* per nesting level: no comma needed yet */
    int pretty;
} lt_json_t;

void lt_json_init(lt_json_t *j, FILE *out, int pretty);
void lt_json_begin_obj(lt_json_t *j, const char *key);   /* key NULL inside arrays / at top */
void lt_json_end_obj(lt_json_t *j);
void lt_json_begin_arr(lt_json_t *j, const char *key);
void lt_json_end_arr(lt_json_t *j);
void lt_json_str(lt_json_t *j, const char *key, const char *v);  /* v NULL -> null */
void lt_json_strn(lt_json_t *j, const char *key, const char *v, size_t n);
void lt_json_u64(lt_json_t *j, const char *key, uint64_t v);
void lt_json_i64(lt_json_t *j, const char *key, int64_t v);
void lt_json_f64(lt_json_t *j, const char *key, double v);
void lt_json_bool(lt_json_t *j, const char *key, int v);
void lt_json_null(lt_json_t *j, const char *key);
/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF) ending before end, or 0. Shared
 * with the reader (json_read.c). */
size_t lt_utf8_seq_len(const unsigned char *p, const unsigned char *end);
/* Ends the document with a newline. */
void lt_json_finish(lt_json_t *j);

#endif
