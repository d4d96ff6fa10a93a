/*
 * json_read.h - a small, strict JSON reader (RFC 8259) that builds an
 * immutable tree (DOM) the analyzer can query: heap dumps written with
 * `--format json` are read back with it by `leaktrace diff`, `pprof` and
 * `flamegraph`. The writer side is json.h.
 *
 * Input files may be hostile. The parser never recurses (an explicit stack
 * of at most LT_JSON_MAX_DEPTH open containers), never reads outside
 * text[0..len), does not need a NUL terminator, and takes time linear in
 * the input (object keys are sorted once per object: O(n log n) at worst).
 *
 * What is accepted (and nothing else):
 *   - exactly one JSON value, with optional whitespace (space, tab, LF, CR)
 *     around it; a leading UTF-8 byte order mark is skipped;
 *   - strings of well-formed UTF-8 (no overlongs, no encoded surrogates,
 *     nothing above U+10FFFF) without raw control characters; escapes
 *     \" \\ \/ \b \f \n \r \t \uXXXX, surrogate pairs combined into one
 *     code point; lone surrogates and \u0000 are errors, so every string is
 *     a NUL-free C string;
 *   - numbers per the JSON grammar (no leading zeros, no '+', no bare '.',
 *     no NaN/Infinity). A number written without fraction or exponent is
 *     kept exactly when it fits in uint64_t (non-negative) or int64_t
 *     (negative; "-0" is the integer 0); any other number is a double
 *     (correctly rounded by strtod in the C locale); a number whose
 *     magnitude overflows a double is an error, underflow gives 0;
 *   - duplicate keys in one object are an error (the position given is the
 *     second occurrence).
 * Limits: nesting depth LT_JSON_MAX_DEPTH (200 open arrays/objects), at most
 * UINT32_MAX elements per array/object and bytes per string.
 *
 * Errors are LT_E_CORRUPT with err->offset the byte offset of the problem
 * and err->msg "line L, column C: what is wrong" (lines counted by '\n'
 * from 1, columns in bytes from 1), or LT_E_NOMEM.
 *
 * The whole tree lives in one arena owned by the root; every pointer
 * obtained from the accessors stays valid until lt_json_free(root). The
 * accessors are total: passing NULL or a value of the wrong kind returns
 * NULL / 0 / -1 as documented, so lookups can be chained without checks
 * (lt_jv_u64(lt_jv_get(lt_jv_at(arr, i), "size"), &size)).
 */
#ifndef LT_JSON_READ_H
#define LT_JSON_READ_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define LT_JSON_MAX_DEPTH 200

typedef enum { LT_JV_NULL, LT_JV_BOOL, LT_JV_NUM, LT_JV_STR, LT_JV_ARR, LT_JV_OBJ } lt_jv_kind_t;

/* A JSON value (16 bytes, layout private to json_read.c). */
typedef struct lt_jv lt_jv_t;

/* Parses text[0..len) (text may be NULL when len is 0). Returns the root,
 * to be released with lt_json_free, or NULL with *err filled (err may be
 * NULL when the details are not wanted; it is left untouched on success). */
lt_jv_t *lt_json_parse(const char *text, size_t len, lt_err_t *err);

/* Frees a whole tree. v must be NULL or a root returned by lt_json_parse
 * (never a value obtained from an accessor). */
void lt_json_free(lt_jv_t *v);

/* The kind of v; LT_JV_NULL when v is NULL. */
lt_jv_kind_t lt_jv_kind(const lt_jv_t *v);

/* The value of member key (a C string, compared bytewise with the decoded
 * key) of object obj, in O(log n); NULL if obj is not an object or has no
 * such member. */
const lt_jv_t *lt_jv_get(const lt_jv_t *obj, const char *key);

/* Number of elements of an array / members of an object; 0 otherwise. */
size_t lt_jv_len(const lt_jv_t *arr_or_obj);

/* Element i of array arr, in O(1); NULL if arr is not an array or i is out
 * of range. */
const lt_jv_t *lt_jv_at(const lt_jv_t *arr, size_t i);

/* Member i of object obj in document order: returns its key and sets *val
 * (if val is not NULL) to its value; NULL (and *val NULL) if obj is not an
 * object or i is out of range. */
const char *lt_jv_member(const lt_jv_t *obj, size_t i, const lt_jv_t **val);

/* The decoded UTF-8 string (NUL-terminated, no NUL inside); NULL if v is
 * not a string. */
const char *lt_jv_str(const lt_jv_t *v);

/* Integer accessors: succeed (0, *out set) only for numbers written as
 * integers (no fraction, no exponent) that fit the type; otherwise -1 and
 * *out is left untouched. lt_jv_u64 thus accepts only non-negative ones. */
int lt_jv_u64(const lt_jv_t *v, uint64_t *out);
int lt_jv_i64(const lt_jv_t *v, int64_t *out);

/* Any number, converted to double (large integers may round): 0, or -1 if
 * v is not a number. */
int lt_jv_f64(const lt_jv_t *v, double *out);

/* true -> 1, false -> 0; -1 if v is not a boolean. */
int lt_jv_bool(const lt_jv_t *v, int *out);

#endif
