/* The JSON reader and writer (rules: include/tfckpt/internal/json.h).
 *
 * The pull reader keeps its container nesting in a fixed array, so hostile
 * depth costs neither stack nor heap; the tree builder and the tree walks
 * are bounded by the same limit. */
#include "tfckpt/internal/json.h"

#include <locale.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "tfckpt/numfmt.h"

enum { S_VALUE, S_OBJ_FIRST, S_ARR_FIRST, S_KEY, S_AFTER, S_DONE, S_ERROR };

/* Length of the valid UTF-8 sequence at s[0..n) (1..4), or 0 when the
 * bytes there are not one: overlong forms, surrogates, code points above
 * U+10FFFF, stray continuation bytes and truncated sequences all count as
 * invalid. */
static size_t utf8_seq(const uint8_t *s, size_t n) {
  uint8_t c = s[0];
  if (c < 0x80) return 1;
  size_t k;
  uint32_t cp, min;
  if (c >= 0xc2 && c <= 0xdf) k = 2, cp = c & 0x1f, min = 0x80;
  else if ((c & 0xf0) == 0xe0) k = 3, cp = c & 0x0f, min = 0x800;
  else if (c >= 0xf0 && c <= 0xf4) k = 4, cp = c & 0x07, min = 0x10000;
  else return 0;
  if (n < k) return 0;
  for (size_t i = 1; i < k; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return k;
}

int tfckpt__utf8_valid(const char *s, size_t n) {
  const uint8_t *u = (const uint8_t *)s;
  for (size_t i = 0; i < n;) {
    size_t k = utf8_seq(u + i, n - i);
    if (!k) return 0;
    i += k;
  }
  return 1;
}

/* strtod must not see the process locale (a "," decimal point would cut
 * "0.5" short).  One C locale is made on first use and kept. */
static locale_t c_locale(void) {
  static _Atomic(locale_t) cached;
  locale_t l = atomic_load(&cached);
  if (l) return l;
  locale_t mine = newlocale(LC_ALL_MASK, "C", (locale_t)0);
  if (!mine) return (locale_t)0;
  locale_t expected = (locale_t)0;
  if (!atomic_compare_exchange_strong(&cached, &expected, mine)) {
    freelocale(mine);
    return expected;
  }
  return mine;
}

/* ---- pull reader ---- */

int tfckpt__json_fail(tfckpt__json_reader *r, size_t off, const char *msg) {
  if (r->state != S_ERROR)
    tfckpt__seterr(r->err, TFCKPT_ECORRUPT, "%s: %s at byte %zu", r->what, msg, r->base + off);
  r->state = S_ERROR;
  return TFCKPT_ECORRUPT;
}

static int fail_here(tfckpt__json_reader *r, const char *msg) {
  return tfckpt__json_fail(r, (size_t)(r->p - r->start), msg);
}

void tfckpt__json_reader_init(tfckpt__json_reader *r, const char *text, size_t len,
                             const char *what, size_t base, tfckpt__err *err) {
  memset(r, 0, sizeof *r);
  r->start = r->p = text;
  r->end = text + len;
  r->what = what ? what : "JSON";
  r->base = base;
  r->err = err;
  r->state = S_VALUE;
}

void tfckpt__json_reader_free(tfckpt__json_reader *r) { tfckpt__buf_free(&r->str); }

static void skip_ws(tfckpt__json_reader *r) {
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t')) r->p++;
}

static int hex4(const char *p, uint32_t *v) {
  uint32_t x = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    x <<= 4;
    if (c >= '0' && c <= '9') x |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f') x |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') x |= (uint32_t)(c - 'A' + 10);
    else return -1;
  }
  *v = x;
  return 0;
}

static void put_utf8(tfckpt__buf *b, uint32_t cp) {
  uint8_t u[4];
  size_t k;
  if (cp < 0x80) u[0] = (uint8_t)cp, k = 1;
  else if (cp < 0x800) u[0] = (uint8_t)(0xc0 | cp >> 6), u[1] = (uint8_t)(0x80 | (cp & 63)), k = 2;
  else if (cp < 0x10000)
    u[0] = (uint8_t)(0xe0 | cp >> 12), u[1] = (uint8_t)(0x80 | ((cp >> 6) & 63)),
    u[2] = (uint8_t)(0x80 | (cp & 63)), k = 3;
  else
    u[0] = (uint8_t)(0xf0 | cp >> 18), u[1] = (uint8_t)(0x80 | ((cp >> 12) & 63)),
    u[2] = (uint8_t)(0x80 | ((cp >> 6) & 63)), u[3] = (uint8_t)(0x80 | (cp & 63)), k = 4;
  tfckpt__buf_append(b, u, k);
}

/* The string at r->p (its opening quote) decoded into r->str. */
static int read_string(tfckpt__json_reader *r, tfckpt__json_token *t) {
  tfckpt__buf *b = &r->str;
  b->len = 0;
  r->p++;
  for (;;) {
    const char *run = r->p;
    while (r->p < r->end) {
      unsigned char c = (unsigned char)*r->p;
      if (c == '"' || c == '\\' || c < 0x20) break;
      if (c < 0x80) {
        r->p++;
        continue;
      }
      size_t k = utf8_seq((const uint8_t *)r->p, (size_t)(r->end - r->p));
      if (!k) return fail_here(r, "invalid UTF-8 in string");
      r->p += k;
    }
    tfckpt__buf_append(b, run, (size_t)(r->p - run));
    if (r->p >= r->end) return fail_here(r, "unterminated string");
    unsigned char c = (unsigned char)*r->p;
    if (c == '"') break;
    if (c < 0x20) return fail_here(r, "control character in string");
    /* a backslash */
    if (r->end - r->p < 2) {
      r->p = r->end;
      return fail_here(r, "unterminated string");
    }
    char e = r->p[1], ch;
    switch (e) {
      case '"': ch = '"'; break;
      case '\\': ch = '\\'; break;
      case '/': ch = '/'; break;
      case 'b': ch = '\b'; break;
      case 'f': ch = '\f'; break;
      case 'n': ch = '\n'; break;
      case 'r': ch = '\r'; break;
      case 't': ch = '\t'; break;
      case 'u': {
        uint32_t cp, lo;
        if (r->end - r->p < 6 || hex4(r->p + 2, &cp)) return fail_here(r, "bad escape: \\u needs four hex digits");
        if (cp >= 0xdc00 && cp <= 0xdfff) return fail_here(r, "bad escape: lone low surrogate");
        if (cp >= 0xd800 && cp <= 0xdbff) {
          if (r->end - r->p < 12 || r->p[6] != '\\' || r->p[7] != 'u' || hex4(r->p + 8, &lo) ||
              lo < 0xdc00 || lo > 0xdfff)
            return fail_here(r, "bad escape: high surrogate without a low one");
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          r->p += 6;
        }
        r->p += 6;
        put_utf8(b, cp);
        continue;
      }
      default:
        return fail_here(r, "bad escape in string");
    }
    tfckpt__buf_append(b, &ch, 1);
    r->p += 2;
  }
  r->p++; /* closing quote */
  tfckpt__buf_append(b, "", 1);
  if (b->oom) {
    r->state = S_ERROR;
    return tfckpt__seterr(r->err, TFCKPT_ENOMEM, "%s: out of memory", r->what);
  }
  t->str = (const char *)b->data;
  t->len = b->len - 1;
  return TFCKPT_OK;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int read_number(tfckpt__json_reader *r, tfckpt__json_num *num) {
  const char *s = r->p, *p = r->p, *e = r->end;
  int neg = 0, integer = 1, overflow = 0;
  uint64_t mag = 0;
  if (p < e && *p == '-') neg = 1, p++;
  if (p >= e || !is_digit(*p)) return fail_here(r, "bad value");
  if (*p == '0') {
    p++;
    if (p < e && is_digit(*p)) return fail_here(r, "leading zero in number");
  } else {
    while (p < e && is_digit(*p)) {
      unsigned dgt = (unsigned)(*p++ - '0');
      if (mag > (UINT64_MAX - dgt) / 10) overflow = 1;
      else mag = mag * 10 + dgt;
    }
  }
  if (p < e && *p == '.') {
    integer = 0;
    p++;
    if (p >= e || !is_digit(*p)) {
      r->p = p;
      return fail_here(r, "digit expected after '.'");
    }
    while (p < e && is_digit(*p)) p++;
  }
  if (p < e && (*p == 'e' || *p == 'E')) {
    integer = 0;
    p++;
    if (p < e && (*p == '+' || *p == '-')) p++;
    if (p >= e || !is_digit(*p)) {
      r->p = p;
      return fail_here(r, "digit expected in exponent");
    }
    while (p < e && is_digit(*p)) p++;
  }
  num->flags = 0;
  num->u = 0;
  if (integer && !overflow && (!neg || mag <= (uint64_t)1 << 63)) {
    /* exact, and the conversion rounds as strtod would */
    if (neg) {
      num->u = 0 - mag;
      num->flags = TFCKPT__JSON_I64;
      num->d = -(double)mag;
    } else {
      num->u = mag;
      num->flags = TFCKPT__JSON_U64 | (mag <= (uint64_t)INT64_MAX ? TFCKPT__JSON_I64 : 0);
      num->d = (double)mag;
    }
  } else {
    size_t n = (size_t)(p - s);
    char small[64], *buf = n < sizeof small ? small : malloc(n + 1);
    if (!buf) {
      r->state = S_ERROR;
      return tfckpt__seterr(r->err, TFCKPT_ENOMEM, "%s: out of memory", r->what);
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    locale_t l = c_locale();
    num->d = l ? strtod_l(buf, NULL, l) : strtod(buf, NULL);
    if (buf != small) free(buf);
    if (isinf(num->d)) return fail_here(r, "number out of range");
  }
  r->p = p;
  return TFCKPT_OK;
}

static int literal(tfckpt__json_reader *r, const char *word, size_t n) {
  if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n)) return 0;
  r->p += n;
  return 1;
}

/* After a complete value: inside a container wait for ',' or its end. */
static void value_done(tfckpt__json_reader *r) { r->state = r->depth ? S_AFTER : S_DONE; }

int tfckpt__json_next(tfckpt__json_reader *r, tfckpt__json_token *t) {
  memset(t, 0, sizeof *t);
  for (;;) {
    if (r->state == S_ERROR) return r->err && r->err->code ? r->err->code : TFCKPT_ECORRUPT;
    skip_ws(r);
    t->off = (size_t)(r->p - r->start);
    int at_end = r->p >= r->end;
    char c = at_end ? 0 : *r->p;
    switch (r->state) {
      case S_DONE:
        if (!at_end) return fail_here(r, "trailing characters after the JSON value");
        t->type = TFCKPT__JSON_END;
        return TFCKPT_OK;
      case S_AFTER: {
        char open = r->stack[r->depth - 1];
        if (at_end) return fail_here(r, "unexpected end");
        if (c == ',') {
          r->p++;
          r->state = open == '{' ? S_KEY : S_VALUE;
          continue;
        }
        if (c == (open == '{' ? '}' : ']')) {
          r->p++;
          r->depth--;
          value_done(r);
          t->type = open == '{' ? TFCKPT__JSON_OBJECT_END : TFCKPT__JSON_ARRAY_END;
          return TFCKPT_OK;
        }
        return fail_here(r, open == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
      }
      case S_OBJ_FIRST:
      case S_ARR_FIRST:
        if (!at_end && c == (r->state == S_OBJ_FIRST ? '}' : ']')) {
          r->state = S_AFTER;
          continue;
        }
        r->state = r->state == S_OBJ_FIRST ? S_KEY : S_VALUE;
        continue;
      case S_KEY: {
        if (at_end) return fail_here(r, "unexpected end");
        if (c != '"') return fail_here(r, "expected a key (a string)");
        int rc = read_string(r, t);
        if (rc) return rc;
        skip_ws(r);
        if (r->p >= r->end) return fail_here(r, "unexpected end");
        if (*r->p != ':') return fail_here(r, "expected ':'");
        r->p++;
        r->state = S_VALUE;
        t->type = TFCKPT__JSON_KEY;
        return TFCKPT_OK;
      }
      default: /* S_VALUE */
        break;
    }
    if (at_end) return fail_here(r, "unexpected end");
    if (c == '{' || c == '[') {
      if (r->depth >= TFCKPT__JSON_MAX_DEPTH) return fail_here(r, "nesting too deep");
      r->stack[r->depth++] = c;
      r->p++;
      r->state = c == '{' ? S_OBJ_FIRST : S_ARR_FIRST;
      t->type = c == '{' ? TFCKPT__JSON_OBJECT_BEGIN : TFCKPT__JSON_ARRAY_BEGIN;
      return TFCKPT_OK;
    }
    int rc = TFCKPT_OK;
    if (c == '"') {
      t->type = TFCKPT__JSON_STRING;
      rc = read_string(r, t);
    } else if (c == '-' || is_digit(c)) {
      t->type = TFCKPT__JSON_NUMBER;
      rc = read_number(r, &t->num);
    } else if (literal(r, "true", 4)) {
      t->type = TFCKPT__JSON_TRUE;
    } else if (literal(r, "false", 5)) {
      t->type = TFCKPT__JSON_FALSE;
    } else if (literal(r, "null", 4)) {
      t->type = TFCKPT__JSON_NULL;
    } else {
      return fail_here(r, "bad value");
    }
    if (rc) return rc;
    value_done(r);
    return TFCKPT_OK;
  }
}

int tfckpt__json_skip(tfckpt__json_reader *r, const tfckpt__json_token *t) {
  if (t->type != TFCKPT__JSON_OBJECT_BEGIN && t->type != TFCKPT__JSON_ARRAY_BEGIN) return TFCKPT_OK;
  int depth = r->depth; /* the container t opened is the innermost one */
  tfckpt__json_token u;
  while (r->depth >= depth) {
    int rc = tfckpt__json_next(r, &u);
    if (rc) return rc;
  }
  return TFCKPT_OK;
}

/* ---- tree ---- */

static void free_members(tfckpt__json *v) {
  for (size_t i = 0; i < v->n; i++) free_members(&v->items[i]);
  free(v->items);
  free(v->key);
  free(v->str);
}

void tfckpt__json_free(tfckpt__json *v) {
  if (!v) return;
  free_members(v);
  free(v);
}

static int key_cmp(const void *a, const void *b) {
  const tfckpt__json *x = *(const tfckpt__json *const *)a, *y = *(const tfckpt__json *const *)b;
  if (x->klen != y->klen) return x->klen < y->klen ? -1 : 1;
  int c = memcmp(x->key, y->key, x->klen);
  if (c) return c;
  return x->off < y->off ? -1 : x->off > y->off;
}

/* The later of two members sharing a key, or NULL. */
static const tfckpt__json *find_duplicate(const tfckpt__json *o, int *oom) {
  if (o->n < 2) return NULL;
  if (o->n <= 8) {
    for (size_t i = 1; i < o->n; i++)
      for (size_t j = 0; j < i; j++)
        if (o->items[i].klen == o->items[j].klen &&
            !memcmp(o->items[i].key, o->items[j].key, o->items[i].klen))
          return &o->items[i];
    return NULL;
  }
  const tfckpt__json **idx = malloc(o->n * sizeof *idx);
  if (!idx) {
    *oom = 1;
    return NULL;
  }
  for (size_t i = 0; i < o->n; i++) idx[i] = &o->items[i];
  qsort(idx, o->n, sizeof *idx, key_cmp);
  const tfckpt__json *dup = NULL;
  for (size_t i = 1; i < o->n && !dup; i++)
    if (idx[i]->klen == idx[i - 1]->klen && !memcmp(idx[i]->key, idx[i - 1]->key, idx[i]->klen))
      dup = idx[i];
  free(idx);
  return dup;
}

static char *dup_bytes(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

int tfckpt__json_parse(const char *text, size_t len, const char *what, size_t base,
                      size_t max_values, tfckpt__json **out, tfckpt__err *err) {
  tfckpt__json_reader r;
  tfckpt__json_reader_init(&r, text, len, what, base, err);
  tfckpt__json *root = calloc(1, sizeof *root), *stack[TFCKPT__JSON_MAX_DEPTH];
  int sp = 0, rc = root ? TFCKPT_OK : TFCKPT_ENOMEM, have_root = 0;
  char *key = NULL;
  size_t klen = 0, count = 0;
  *out = NULL;
  while (!rc) {
    tfckpt__json_token t;
    if ((rc = tfckpt__json_next(&r, &t))) break;
    if (t.type == TFCKPT__JSON_END) break;
    if (t.type == TFCKPT__JSON_KEY) {
      if (!(key = dup_bytes(t.str, t.len))) rc = TFCKPT_ENOMEM;
      klen = t.len;
      continue;
    }
    if (t.type == TFCKPT__JSON_OBJECT_END || t.type == TFCKPT__JSON_ARRAY_END) {
      tfckpt__json *o = stack[--sp];
      int oom = 0;
      const tfckpt__json *d = t.type == TFCKPT__JSON_OBJECT_END ? find_duplicate(o, &oom) : NULL;
      if (oom) {
        rc = TFCKPT_ENOMEM;
      } else if (d) {
        char msg[128];
        snprintf(msg, sizeof msg, "duplicate key \"%.*s\"", d->klen > 64 ? 64 : (int)d->klen, d->key);
        rc = tfckpt__json_fail(&r, d->off, msg);
      }
      continue;
    }
    if (max_values && ++count > max_values) {
      rc = tfckpt__json_fail(&r, t.off, "too many values");
      break;
    }
    tfckpt__json *v;
    if (!have_root) {
      v = root;
      have_root = 1;
    } else {
      tfckpt__json *p = stack[sp - 1];
      if (p->n == p->cap) {
        size_t nc = p->cap ? 2 * p->cap : 4;
        tfckpt__json *ni = realloc(p->items, nc * sizeof *ni);
        if (!ni) {
          rc = TFCKPT_ENOMEM;
          break;
        }
        p->items = ni;
        p->cap = nc;
      }
      v = &p->items[p->n++];
      memset(v, 0, sizeof *v);
      v->key = key, v->klen = klen;
      key = NULL, klen = 0; /* array elements that follow have no key */
    }
    v->type = t.type;
    v->off = t.off;
    if (t.type == TFCKPT__JSON_STRING) {
      if (!(v->str = dup_bytes(t.str, t.len))) rc = TFCKPT_ENOMEM;
      v->len = t.len;
    } else if (t.type == TFCKPT__JSON_NUMBER) {
      v->num = t.num;
    } else if (t.type == TFCKPT__JSON_OBJECT_BEGIN || t.type == TFCKPT__JSON_ARRAY_BEGIN) {
      stack[sp++] = v; /* the reader's depth limit bounds sp */
    }
  }
  free(key);
  tfckpt__json_reader_free(&r);
  if (rc) {
    if (rc == TFCKPT_ENOMEM && (!err || err->code != TFCKPT_ENOMEM))
      tfckpt__seterr(err, TFCKPT_ENOMEM, "%s: out of memory", r.what);
    tfckpt__json_free(root);
    return rc;
  }
  *out = root;
  return TFCKPT_OK;
}

const tfckpt__json *tfckpt__json_get(const tfckpt__json *v, const char *key) {
  if (!v || v->type != TFCKPT__JSON_OBJECT_BEGIN) return NULL;
  size_t n = strlen(key);
  for (size_t i = 0; i < v->n; i++)
    if (v->items[i].klen == n && !memcmp(v->items[i].key, key, n)) return &v->items[i];
  return NULL;
}

int tfckpt__json_i64(const tfckpt__json *v, int64_t *out) {
  if (!v || v->type != TFCKPT__JSON_NUMBER || !(v->num.flags & TFCKPT__JSON_I64)) return 0;
  /* two's complement back to signed without implementation-defined casts */
  *out = v->num.u <= (uint64_t)INT64_MAX ? (int64_t)v->num.u
                                         : -(int64_t)(0 - v->num.u - 1) - 1;
  return 1;
}

int tfckpt__json_u64(const tfckpt__json *v, uint64_t *out) {
  if (!v || v->type != TFCKPT__JSON_NUMBER || !(v->num.flags & TFCKPT__JSON_U64)) return 0;
  *out = v->num.u;
  return 1;
}

/* ---- writer ---- */

/* Either a growable buffer or a FILE* behind a small staging buffer. */
typedef struct sink {
  tfckpt__buf *b;
  FILE *f;
  size_t n;
  char tmp[512];
} sink;

static void sink_flush(sink *k) {
  if (k->f && k->n) fwrite(k->tmp, 1, k->n, k->f);
  k->n = 0;
}

static void put(sink *k, const void *s, size_t n) {
  if (k->b) {
    tfckpt__buf_append(k->b, s, n);
    return;
  }
  if (k->n + n > sizeof k->tmp) {
    sink_flush(k);
    if (n > sizeof k->tmp) {
      fwrite(s, 1, n, k->f);
      return;
    }
  }
  memcpy(k->tmp + k->n, s, n);
  k->n += n;
}

static void put_escape(sink *k, uint8_t c) {
  static const char hex[] = "0123456789abcdef";
  char e[6] = {'\\', 0};
  switch (c) {
    case '"': e[1] = '"'; break;
    case '\\': e[1] = '\\'; break;
    case '\b': e[1] = 'b'; break;
    case '\f': e[1] = 'f'; break;
    case '\n': e[1] = 'n'; break;
    case '\r': e[1] = 'r'; break;
    case '\t': e[1] = 't'; break;
    default:
      e[1] = 'u', e[2] = '0', e[3] = '0', e[4] = hex[c >> 4], e[5] = hex[c & 15];
      put(k, e, 6);
      return;
  }
  put(k, e, 2);
}

static int plain(uint8_t c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; }

static void write_text(sink *k, const uint8_t *s, size_t n) {
  put(k, "\"", 1);
  size_t run = 0, i = 0;
  while (i < n) {
    uint8_t c = s[i];
    if (plain(c)) {
      i++;
      continue;
    }
    if (c >= 0x80) {
      size_t l = utf8_seq(s + i, n - i);
      if (l) {
        i += l;
        continue;
      }
    }
    put(k, s + run, i - run);
    if (c >= 0x80) put(k, "\\ufffd", 6);
    else put_escape(k, c);
    run = ++i;
  }
  put(k, s + run, i - run);
  put(k, "\"", 1);
}

void tfckpt__json_put_str(tfckpt__buf *b, const char *s, size_t n) {
  sink k = {.b = b};
  write_text(&k, (const uint8_t *)s, n);
}

void tfckpt__json_fput_str(FILE *f, const char *s, size_t n) {
  sink k = {.f = f};
  write_text(&k, (const uint8_t *)s, n);
  sink_flush(&k);
}

void tfckpt__json_put_bytes(tfckpt__buf *b, const uint8_t *s, size_t n) {
  sink k = {.b = b};
  put(&k, "\"", 1);
  size_t run = 0;
  for (size_t i = 0; i < n; i++) {
    if (plain(s[i])) continue;
    put(&k, s + run, i - run);
    put_escape(&k, s[i]);
    run = i + 1;
  }
  put(&k, s + run, n - run);
  put(&k, "\"", 1);
}

static void write_f64(sink *k, double v) {
  char buf[TFCKPT_NUMFMT_MAX];
  if (!isfinite(v)) {
    put(k, "null", 4);
    return;
  }
  put(k, buf, tfckpt_fmt_f64(v, buf));
}

void tfckpt__json_put_f64(tfckpt__buf *b, double v) {
  sink k = {.b = b};
  write_f64(&k, v);
}

void tfckpt__json_fput_f64(FILE *f, double v) {
  sink k = {.f = f};
  write_f64(&k, v);
  sink_flush(&k);
}

void tfckpt__json_put_i64(tfckpt__buf *b, int64_t v) {
  char buf[TFCKPT_NUMFMT_MAX];
  tfckpt__buf_append(b, buf, tfckpt_fmt_i64(v, buf));
}

void tfckpt__json_put_u64(tfckpt__buf *b, uint64_t v) {
  char buf[TFCKPT_NUMFMT_MAX];
  tfckpt__buf_append(b, buf, tfckpt_fmt_u64(v, buf));
}

/* Recursion is bounded: every tree comes from tfckpt__json_parse, whose
 * depth is at most TFCKPT__JSON_MAX_DEPTH. */
void tfckpt__json_write(tfckpt__buf *b, const tfckpt__json *v) {
  switch (v->type) {
    case TFCKPT__JSON_OBJECT_BEGIN:
    case TFCKPT__JSON_ARRAY_BEGIN: {
      int obj = v->type == TFCKPT__JSON_OBJECT_BEGIN;
      tfckpt__buf_append(b, obj ? "{" : "[", 1);
      for (size_t i = 0; i < v->n; i++) {
        if (i) tfckpt__buf_append(b, ",", 1);
        if (obj) {
          tfckpt__json_put_str(b, v->items[i].key, v->items[i].klen);
          tfckpt__buf_append(b, ":", 1);
        }
        tfckpt__json_write(b, &v->items[i]);
      }
      tfckpt__buf_append(b, obj ? "}" : "]", 1);
      break;
    }
    case TFCKPT__JSON_STRING: tfckpt__json_put_str(b, v->str, v->len); break;
    case TFCKPT__JSON_NUMBER: {
      int64_t i;
      if (v->num.flags & TFCKPT__JSON_U64) tfckpt__json_put_u64(b, v->num.u);
      else if ((v->num.flags & TFCKPT__JSON_I64) && v->num.u == 0) tfckpt__buf_append(b, "-0", 2);
      else if (tfckpt__json_i64(v, &i)) tfckpt__json_put_i64(b, i);
      else tfckpt__json_put_f64(b, v->num.d);
      break;
    }
    case TFCKPT__JSON_TRUE: tfckpt__buf_append(b, "true", 4); break;
    case TFCKPT__JSON_FALSE: tfckpt__buf_append(b, "false", 5); break;
    default: tfckpt__buf_append(b, "null", 4); break;
  }
}
