/* A small JSON reader for model.json: objects, arrays, strings (with \uXXXX
 * escapes to UTF-8), numbers, true/false/null.  Depth-limited, so a hostile
 * file cannot exhaust the stack. */
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"
#include "tfckpt/internal/buf.h"
#include "tfckpt/data.h"

#define MAX_DEPTH 64

typedef struct {
  const char *p, *end, *start;
  tfckpt__err *err;
} parser;

static int fail(parser *ps, const char *what) {
  return tfckpt__seterr(ps->err, TFCKPT_ECORRUPT, "JSON: %s at offset %zu", what,
                       (size_t)(ps->p - ps->start));
}

static void ws(parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
    ps->p++;
}

void nn_json_free(nn_json *j) {
  if (!j) return;
  free(j->str);
  for (size_t i = 0; i < j->n; i++) {
    if (j->keys) free(j->keys[i]);
    nn_json_free(j->items[i]);
  }
  free(j->keys);
  free(j->items);
  free(j);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int parse_string(parser *ps, char **out) {
  ps->p++; /* opening quote */
  tfckpt__buf s = {0};
  for (;;) {
    if (ps->p >= ps->end) {
      tfckpt__buf_free(&s);
      return fail(ps, "unterminated string");
    }
    unsigned char c = (unsigned char)*ps->p++;
    char buf[4];
    size_t n = 1;
    if (c == '"') break;
    if (c < 0x20) {
      tfckpt__buf_free(&s);
      return fail(ps, "control character in string");
    }
    if (c == '\\') {
      if (ps->p >= ps->end) break;
      char e = *ps->p++;
      switch (e) {
        case '"': case '\\': case '/': buf[0] = e; break;
        case 'b': buf[0] = '\b'; break;
        case 'f': buf[0] = '\f'; break;
        case 'n': buf[0] = '\n'; break;
        case 'r': buf[0] = '\r'; break;
        case 't': buf[0] = '\t'; break;
        case 'u': {
          unsigned v = 0;
          for (int i = 0; i < 4; i++) {
            int h = ps->p < ps->end ? hexval(*ps->p) : -1;
            if (h < 0) {
              tfckpt__buf_free(&s);
              return fail(ps, "bad \\u escape");
            }
            v = v * 16 + (unsigned)h;
            ps->p++;
          }
          /* Surrogates are kept as individual 3-byte sequences: model.json
           * never holds them, and nothing here depends on them. */
          if (v < 0x80) buf[0] = (char)v;
          else if (v < 0x800) buf[0] = (char)(0xC0 | (v >> 6)), buf[1] = (char)(0x80 | (v & 0x3F)), n = 2;
          else
            buf[0] = (char)(0xE0 | (v >> 12)), buf[1] = (char)(0x80 | ((v >> 6) & 0x3F)),
            buf[2] = (char)(0x80 | (v & 0x3F)), n = 3;
          break;
        }
        default:
          tfckpt__buf_free(&s);
          return fail(ps, "bad escape");
      }
    } else {
      buf[0] = (char)c;
    }
    tfckpt__buf_append(&s, buf, n);
  }
  if (!(*out = tfckpt__buf_detach(&s)))
    return tfckpt__seterr(ps->err, TFCKPT_ENOMEM, "out of memory");
  return TFCKPT_OK;
}

static int append(parser *ps, nn_json *j, char *key, nn_json *item) {
  if ((j->n & (j->n - 1)) == 0) { /* grow at powers of two */
    size_t nc = j->n ? 2 * j->n : 1;
    nn_json **ni = realloc(j->items, nc * sizeof *ni);
    if (ni) j->items = ni;
    if (ni && j->type == NNJ_OBJ) {
      char **nk = realloc(j->keys, nc * sizeof *nk);
      if (nk) j->keys = nk;
      else ni = NULL;
    }
    if (!ni) {
      free(key);
      nn_json_free(item);
      return tfckpt__seterr(ps->err, TFCKPT_ENOMEM, "out of memory");
    }
  }
  if (j->type == NNJ_OBJ) j->keys[j->n] = key;
  j->items[j->n++] = item;
  return TFCKPT_OK;
}

static int parse_value(parser *ps, nn_json **out, int depth) {
  ws(ps);
  if (ps->p >= ps->end) return fail(ps, "unexpected end");
  if (depth > MAX_DEPTH) return fail(ps, "nesting too deep");
  nn_json *j = calloc(1, sizeof *j);
  if (!j) return tfckpt__seterr(ps->err, TFCKPT_ENOMEM, "out of memory");
  int rc = TFCKPT_OK;
  char c = *ps->p;
  if (c == '{' || c == '[') {
    char close = c == '{' ? '}' : ']';
    j->type = c == '{' ? NNJ_OBJ : NNJ_ARR;
    ps->p++;
    ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
      ps->p++;
    } else {
      for (;;) {
        char *key = NULL;
        if (j->type == NNJ_OBJ) {
          ws(ps);
          if (ps->p >= ps->end || *ps->p != '"') { rc = fail(ps, "expected a key"); break; }
          if ((rc = parse_string(ps, &key))) break;
          ws(ps);
          if (ps->p >= ps->end || *ps->p != ':') { free(key); rc = fail(ps, "expected ':'"); break; }
          ps->p++;
        }
        nn_json *item;
        if ((rc = parse_value(ps, &item, depth + 1))) { free(key); break; }
        if ((rc = append(ps, j, key, item))) break;
        ws(ps);
        if (ps->p < ps->end && *ps->p == ',') { ps->p++; continue; }
        if (ps->p < ps->end && *ps->p == close) { ps->p++; break; }
        rc = fail(ps, "expected ',' or a closing bracket");
        break;
      }
    }
  } else if (c == '"') {
    j->type = NNJ_STR;
    rc = parse_string(ps, &j->str);
  } else if (ps->end - ps->p >= 4 && !memcmp(ps->p, "true", 4)) {
    j->type = NNJ_BOOL, j->num = 1, ps->p += 4;
  } else if (ps->end - ps->p >= 5 && !memcmp(ps->p, "false", 5)) {
    j->type = NNJ_BOOL, ps->p += 5;
  } else if (ps->end - ps->p >= 4 && !memcmp(ps->p, "null", 4)) {
    j->type = NNJ_NULL, ps->p += 4;
  } else {
    char buf[64];
    size_t n = 0;
    while (ps->p + n < ps->end && n < sizeof buf - 1 && strchr("+-0123456789.eE", ps->p[n])) n++;
    memcpy(buf, ps->p, n);
    buf[n] = 0;
    j->type = NNJ_NUM;
    /* tfckpt_parse_double is strtod in the C locale, whatever the process locale */
    if (!n || tfckpt_parse_double(buf, n, &j->num)) rc = fail(ps, "bad value");
    else ps->p += n;
  }
  if (rc) {
    nn_json_free(j);
    return rc;
  }
  *out = j;
  return TFCKPT_OK;
}

int nn_json_parse(const char *text, size_t len, nn_json **out, tfckpt__err *err) {
  parser ps = {text, text + len, text, err};
  *out = NULL;
  nn_json *j;
  int rc = parse_value(&ps, &j, 0);
  if (rc) return rc;
  ws(&ps);
  if (ps.p != ps.end) {
    nn_json_free(j);
    return fail(&ps, "trailing characters");
  }
  *out = j;
  return TFCKPT_OK;
}

const nn_json *nn_json_get(const nn_json *obj, const char *key) {
  if (!obj || obj->type != NNJ_OBJ) return NULL;
  for (size_t i = 0; i < obj->n; i++)
    if (!strcmp(obj->keys[i], key)) return obj->items[i];
  return NULL;
}
