/* The JSON reader and writer (core/json.c): exact integers at the 64-bit
 * limits, strict numbers, UTF-8 and \u escapes, the nesting limit, duplicate
 * keys, error offsets, and the one escaping rule of the writer. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tfckpt/internal/json.h"

static tfckpt__json *parse(const char *text, size_t len, tfckpt__err *err) {
  tfckpt__json *v = NULL;
  tfckpt__err_clear(err);
  if (tfckpt__json_parse(text, len, "JSON", 0, 0, &v, err) != TFCKPT_OK) return NULL;
  return v;
}

/* text must be refused with a message containing `frag`. */
static void refused(const char *text, size_t len, const char *frag) {
  tfckpt__err err;
  tfckpt__json *v = parse(text, len, &err);
  CHECK(v == NULL);
  if (v) fprintf(stderr, "  accepted: %.*s\n", (int)len, text);
  else CHECK_CONTAINS(err.msg, frag);
  CHECK_EQ(err.code, v ? 0 : TFCKPT_ECORRUPT);
  tfckpt__json_free(v);
}
#define REFUSED(lit, frag) refused(lit, sizeof lit - 1, frag)
#define PARSE(lit, err) parse(lit, sizeof lit - 1, err)

static void test_integers(void) {
  tfckpt__err err;
  tfckpt__json *v = PARSE("[18446744073709551615, -9223372036854775808, 9223372036854775807, "
                          "18446744073709551616, -9223372036854775809, 1.0, 1e3, -0, 9007199254740993]",
                          &err);
  CHECK(v != NULL);
  if (!v) return;
  CHECK_EQ(v->n, 9);
  uint64_t u = 0;
  int64_t i = 0;
  CHECK(tfckpt__json_u64(&v->items[0], &u) && u == UINT64_MAX);
  CHECK(!tfckpt__json_i64(&v->items[0], &i)); /* beyond int64 */
  CHECK(tfckpt__json_i64(&v->items[1], &i) && i == INT64_MIN);
  CHECK(!tfckpt__json_u64(&v->items[1], &u)); /* negative */
  CHECK(tfckpt__json_i64(&v->items[2], &i) && i == INT64_MAX);
  CHECK(tfckpt__json_u64(&v->items[2], &u) && u == (uint64_t)INT64_MAX);
  /* one past each limit: still a number, but no longer an exact integer */
  CHECK(!tfckpt__json_u64(&v->items[3], &u) && !tfckpt__json_i64(&v->items[3], &i));
  CHECK(v->items[3].num.d == 18446744073709551616.0);
  CHECK(!tfckpt__json_u64(&v->items[4], &u) && !tfckpt__json_i64(&v->items[4], &i));
  /* fractions and exponents are not integers, even when whole */
  CHECK(!tfckpt__json_i64(&v->items[5], &i) && v->items[5].num.d == 1.0);
  CHECK(!tfckpt__json_i64(&v->items[6], &i) && v->items[6].num.d == 1000.0);
  CHECK(tfckpt__json_i64(&v->items[7], &i) && i == 0 && signbit(v->items[7].num.d));
  /* 2^53 + 1 has no double; the integer is still exact */
  CHECK(tfckpt__json_u64(&v->items[8], &u) && u == 9007199254740993ull);
  tfckpt__buf b = {0};
  tfckpt__json_write(&b, v);
  tfckpt__buf_append(&b, "", 1);
  CHECK(!strcmp((char *)b.data, "[18446744073709551615,-9223372036854775808,9223372036854775807,"
                                "1.8446744073709552e+19,-9.223372036854776e+18,1,1000,-0,"
                                "9007199254740993]"));
  tfckpt__buf_free(&b);
  tfckpt__json_free(v);
}

static void test_numbers(void) {
  tfckpt__err err;
  tfckpt__json *v = PARSE("[0.1, -2.5e-3, 1E+2, 4.9e-324, 1e-400]", &err);
  CHECK(v != NULL);
  if (v) {
    CHECK(v->items[0].num.d == 0.1);
    CHECK(v->items[1].num.d == -2.5e-3);
    CHECK(v->items[2].num.d == 100.0);
    CHECK(v->items[3].num.d == 4.9e-324);
    CHECK(v->items[4].num.d == 0.0); /* underflow rounds to zero, like strtod */
  }
  tfckpt__json_free(v);
  REFUSED("1e400", "number out of range at byte 0");
  REFUSED("-1e400", "number out of range");
  REFUSED("01", "leading zero");
  REFUSED("1.", "digit expected after '.'");
  REFUSED(".5", "bad value");
  REFUSED("+1", "bad value");
  REFUSED("-", "bad value");
  REFUSED("1e", "digit expected in exponent");
  REFUSED("NaN", "bad value");
  REFUSED("Infinity", "bad value");
  REFUSED("[1 2]", "expected ',' or ']' at byte 3");
}

static void test_strings(void) {
  tfckpt__err err;
  tfckpt__json *v = PARSE("[\"caf\\u00e9\", \"\\ud83d\\ude00\", \"\\\"\\\\\\/\\b\\f\\n\\r\\t\", "
                          "\"a\\u0000b\", \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]",
                          &err);
  CHECK(v != NULL);
  if (v) {
    CHECK_EQ(v->n, 5);
    CHECK(!strcmp(v->items[0].str, "caf\xc3\xa9"));
    CHECK(!strcmp(v->items[1].str, "\xf0\x9f\x98\x80"));
    CHECK(!strcmp(v->items[2].str, "\"\\/\b\f\n\r\t"));
    CHECK(v->items[3].len == 3 && !memcmp(v->items[3].str, "a\0b", 3));
    CHECK(!strcmp(v->items[4].str, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  } else {
    printf("  %s\n", err.msg);
  }
  tfckpt__json_free(v);
  /* lone surrogates */
  REFUSED("\"\\ud800\"", "high surrogate without a low one at byte 1");
  REFUSED("\"\\udc00\"", "lone low surrogate");
  REFUSED("\"\\ud800\\u0041\"", "high surrogate without a low one");
  REFUSED("\"\\ud800\\ud800\"", "high surrogate without a low one");
  REFUSED("\"\\ud800x\"", "high surrogate without a low one");
  REFUSED("\"\\u12g4\"", "four hex digits");
  REFUSED("\"\\x41\"", "bad escape");
  /* invalid UTF-8: a stray byte, an overlong '/', an encoded surrogate,
   * a truncated sequence, a code point above U+10FFFF, a stray continuation */
  REFUSED("\"\xff\"", "invalid UTF-8 in string at byte 1");
  REFUSED("\"\xc0\xaf\"", "invalid UTF-8");
  REFUSED("\"\xe0\x80\xaf\"", "invalid UTF-8");
  REFUSED("\"\xed\xa0\x80\"", "invalid UTF-8");
  REFUSED("\"\xe2\x82\"", "invalid UTF-8");
  REFUSED("\"\xf4\x90\x80\x80\"", "invalid UTF-8");
  REFUSED("\"\x80\"", "invalid UTF-8");
  REFUSED("\"a\tb\"", "control character in string at byte 2");
  REFUSED("\"abc", "unterminated string at byte 4");
  CHECK(tfckpt__utf8_valid("caf\xc3\xa9", 5));
  CHECK(!tfckpt__utf8_valid("\xed\xa0\x80", 3));
}

static void test_structure(void) {
  tfckpt__err err;
  /* the nesting limit: 64 levels are read, 65 are not */
  char deep[2 * 100000 + 1];
  for (int d = 64; d <= 65; d++) {
    memset(deep, '[', (size_t)d);
    memset(deep + d, ']', (size_t)d);
    tfckpt__json *v = parse(deep, 2 * (size_t)d, &err);
    CHECK((v != NULL) == (d == TFCKPT__JSON_MAX_DEPTH));
    if (!v) CHECK_CONTAINS(err.msg, "nesting too deep at byte 64");
    tfckpt__json_free(v);
  }
  memset(deep, '[', 100000); /* far deeper: refused, no recursion */
  refused(deep, 100000, "nesting too deep");
  memset(deep, '{', 1);
  for (int i = 0; i < 70; i++) memcpy(deep + 1 + 5 * i, "\"a\":{", 5);
  refused(deep, 1 + 5 * 70, "nesting too deep");

  /* duplicate keys: the tree refuses them (small and large objects) */
  REFUSED("{\"a\": 1, \"b\": 2, \"a\": 3}", "duplicate key \"a\" at byte 22");
  char big[4096];
  size_t n = 0;
  big[n++] = '{';
  for (int i = 0; i < 100; i++) n += (size_t)snprintf(big + n, sizeof big - n, "\"k%d\":%d,", i, i);
  n += (size_t)snprintf(big + n, sizeof big - n, "\"k42\":0}");
  refused(big, n, "duplicate key \"k42\"");
  /* ... while the pull reader reports each key and leaves the policy to its caller */
  tfckpt__json_reader r;
  tfckpt__json_token t;
  tfckpt__err_clear(&err);
  tfckpt__json_reader_init(&r, "{\"a\":1,\"a\":[2,{}]}", 18, "hdr", 8, &err);
  int keys = 0, rc, types[16], nt = 0;
  while (!(rc = tfckpt__json_next(&r, &t)) && t.type != TFCKPT__JSON_END && nt < 16) {
    types[nt++] = t.type;
    if (t.type == TFCKPT__JSON_KEY) keys += !strcmp(t.str, "a");
  }
  CHECK_EQ(rc, TFCKPT_OK);
  CHECK_EQ(keys, 2);
  CHECK_EQ(nt, 10);
  CHECK_EQ(types[6], TFCKPT__JSON_OBJECT_BEGIN);
  tfckpt__json_reader_free(&r);
  /* skip() consumes a whole container; messages carry the base offset */
  tfckpt__json_reader_init(&r, "[[1,[2]],3,x]", 13, "hdr", 8, &err);
  CHECK(!tfckpt__json_next(&r, &t) && t.type == TFCKPT__JSON_ARRAY_BEGIN);
  CHECK(!tfckpt__json_next(&r, &t) && !tfckpt__json_skip(&r, &t));
  CHECK(!tfckpt__json_next(&r, &t) && t.type == TFCKPT__JSON_NUMBER && t.num.u == 3);
  CHECK(tfckpt__json_next(&r, &t) == TFCKPT_ECORRUPT);
  CHECK_CONTAINS(err.msg, "hdr: bad value at byte 19");
  CHECK(tfckpt__json_next(&r, &t) == TFCKPT_ECORRUPT); /* errors are sticky */
  tfckpt__json_reader_free(&r);

  REFUSED("", "unexpected end at byte 0");
  REFUSED("[1,]", "bad value at byte 3");
  REFUSED("{\"a\":1,}", "expected a key (a string) at byte 7");
  REFUSED("{\"a\" 1}", "expected ':'");
  REFUSED("{1:2}", "expected a key");
  REFUSED("[1] [2]", "trailing characters");
  REFUSED("tru", "bad value");
  REFUSED("[", "unexpected end at byte 1");
  tfckpt__json *v = PARSE(" {\"x\": [true, false, null, {}, []], \"y\": \"\"} \n", &err);
  CHECK(v != NULL);
  if (v) {
    const tfckpt__json *x = tfckpt__json_get(v, "x");
    CHECK(x && x->type == TFCKPT__JSON_ARRAY_BEGIN && x->n == 5);
    CHECK(tfckpt__json_get(v, "z") == NULL);
    tfckpt__buf b = {0};
    tfckpt__json_write(&b, v);
    tfckpt__buf_append(&b, "", 1);
    CHECK(!strcmp((char *)b.data, "{\"x\":[true,false,null,{},[]],\"y\":\"\"}"));
    tfckpt__buf_free(&b);
  }
  tfckpt__json_free(v);
  /* an array element after an object member carries no key (the fuzzer's
   * first find: a stale key length) */
  v = PARSE("{\"a\": [{\"bb\": 1}, 2]}", &err);
  CHECK(v && v->n == 1 && v->items[0].klen == 1 && v->items[0].n == 2);
  if (v && v->items[0].n == 2) {
    CHECK(v->items[0].items[0].klen == 0 && v->items[0].items[0].key == NULL);
    CHECK(v->items[0].items[1].klen == 0 && v->items[0].items[1].key == NULL);
    CHECK(v->items[0].items[0].items[0].klen == 2);
  }
  tfckpt__json_free(v);
  /* the value cap of the tree */
  tfckpt__json *w = NULL;
  CHECK(tfckpt__json_parse("[1,2,3]", 7, "JSON", 0, 3, &w, &err) == TFCKPT_ECORRUPT);
  CHECK_CONTAINS(err.msg, "too many values");
}

/* What the writer makes of s[0..n). */
static char *text_of(const char *s, size_t n, int bytes) {
  tfckpt__buf b = {0};
  if (bytes) tfckpt__json_put_bytes(&b, (const uint8_t *)s, n);
  else tfckpt__json_put_str(&b, s, n);
  tfckpt__buf_append(&b, "", 1);
  return (char *)b.data;
}

static void test_writer(void) {
  /* a name with é, a control character, a quote and a backslash */
  const char name[] = "caf\xc3\xa9/k\x01\"\\";
  const char want[] = "\"caf\xc3\xa9/k\\u0001\\\"\\\\\"";
  char *got = text_of(name, sizeof name - 1, 0);
  CHECK(!strcmp(got, want));
  if (strcmp(got, want)) printf("  got %s\n", got);
  free(got);
  /* the FILE* writer writes the very same bytes */
  char *mem = NULL;
  size_t memlen = 0;
  FILE *f = open_memstream(&mem, &memlen);
  CHECK(f != NULL);
  if (f) {
    tfckpt__json_fput_str(f, name, sizeof name - 1);
    fclose(f);
    CHECK(memlen == sizeof want - 1 && !memcmp(mem, want, memlen));
    free(mem);
  }
  /* short escapes, DEL, and invalid UTF-8 as U+FFFD (one per bad byte) */
  got = text_of("\b\f\n\r\t\x7f", 6, 0);
  CHECK(!strcmp(got, "\"\\b\\f\\n\\r\\t\\u007f\""));
  free(got);
  got = text_of("a\xff" "b\xc3\xe2\x82\xac\xed\xa0\x80", 10, 0);
  CHECK(!strcmp(got, "\"a\\ufffdb\\ufffd\xe2\x82\xac\\ufffd\\ufffd\\ufffd\""));
  if (strcmp(got, "\"a\\ufffdb\\ufffd\xe2\x82\xac\\ufffd\\ufffd\\ufffd\"")) printf("  got %s\n", got);
  free(got);
  got = text_of("a\0b", 3, 0);
  CHECK(!strcmp(got, "\"a\\u0000b\""));
  free(got);
  /* binary payloads: every byte its own code point */
  got = text_of("\x00\xff\xc3\xa9\"", 5, 1);
  CHECK(!strcmp(got, "\"\\u0000\\u00ff\\u00c3\\u00a9\\\"\""));
  free(got);
  /* whatever the writer produces, the reader takes back */
  got = text_of("x\xff\x01\xf0\x9f\x98\x80", 7, 0);
  tfckpt__err err;
  tfckpt__json *v = parse(got, strlen(got), &err);
  CHECK(v && !strcmp(v->str, "x\xef\xbf\xbd\x01\xf0\x9f\x98\x80"));
  tfckpt__json_free(v);
  free(got);

  tfckpt__buf b = {0};
  tfckpt__json_put_f64(&b, 0.1);
  tfckpt__buf_append(&b, " ", 1);
  tfckpt__json_put_f64(&b, NAN);
  tfckpt__buf_append(&b, " ", 1);
  tfckpt__json_put_f64(&b, -INFINITY);
  tfckpt__buf_append(&b, " ", 1);
  tfckpt__json_put_f64(&b, 1e300);
  tfckpt__buf_append(&b, " ", 1);
  tfckpt__json_put_i64(&b, INT64_MIN);
  tfckpt__buf_append(&b, " ", 1);
  tfckpt__json_put_u64(&b, UINT64_MAX);
  tfckpt__buf_append(&b, "", 1);
  CHECK(!strcmp((char *)b.data, "0.1 null null 1e+300 -9223372036854775808 18446744073709551615"));
  if (strcmp((char *)b.data, "0.1 null null 1e+300 -9223372036854775808 18446744073709551615"))
    printf("  got %s\n", (char *)b.data);
  tfckpt__buf_free(&b);
}

int main(void) {
  test_integers();
  test_numbers();
  test_strings();
  test_structure();
  test_writer();
  return tu_finish();
}
