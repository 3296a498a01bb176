#include "format/state.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tfckpt/internal/buf.h"
#include "tfckpt/internal/file.h"

/* The state file is a few lines; anything larger is not one. */
#define STATE_MAX_SIZE (16u << 20)

void tfckpt_state_free(tfckpt_state *s) {
  free(s->model_checkpoint_path);
  for (size_t i = 0; i < s->npaths; i++) free(s->all_paths[i]);
  free(s->all_paths);
  free(s->timestamps);
  memset(s, 0, sizeof *s);
}

typedef struct lexer {
  const char *p, *end;
  int line;
} lexer;

static void skip_space(lexer *lx) {
  while (lx->p < lx->end) {
    if (*lx->p == '#') {
      while (lx->p < lx->end && *lx->p != '\n') lx->p++;
    } else if (isspace((unsigned char)*lx->p)) {
      if (*lx->p == '\n') lx->line++;
      lx->p++;
    } else {
      break;
    }
  }
}

/* Parses a quoted string with C escapes into a malloc'd buffer. */
static char *parse_quoted(lexer *lx, size_t *len) {
  char q = *lx->p++;
  tfckpt__buf out = {0};
  while (lx->p < lx->end && *lx->p != q) {
    char c = *lx->p++;
    if (c == '\n') break;
    if (c == '\\' && lx->p < lx->end) {
      char e = *lx->p++;
      switch (e) {
        case 'n': c = '\n'; break;
        case 't': c = '\t'; break;
        case 'r': c = '\r'; break;
        case 'a': c = '\a'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'v': c = '\v'; break;
        case 'x': {
          int v = 0, k = 0;
          while (k < 2 && lx->p < lx->end && isxdigit((unsigned char)*lx->p)) {
            char h = *lx->p++;
            v = v * 16 + (isdigit((unsigned char)h) ? h - '0' : (tolower(h) - 'a' + 10));
            k++;
          }
          c = (char)v;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            int v = e - '0', k = 1;
            while (k < 3 && lx->p < lx->end && *lx->p >= '0' && *lx->p <= '7')
              v = v * 8 + (*lx->p++ - '0'), k++;
            c = (char)v;
          } else {
            c = e; /* \" \\ \' \? */
          }
      }
    }
    tfckpt__buf_append_byte(&out, (uint8_t)c);
  }
  if (lx->p >= lx->end || *lx->p != q) {
    tfckpt__buf_free(&out);
    return (char *)-1; /* unterminated */
  }
  lx->p++;
  *len = out.len;
  return tfckpt__buf_detach(&out);
}

int tfckpt__state_parse(const char *text, size_t len, const char *name, tfckpt_state *out,
                       tfckpt__err *err) {
  memset(out, 0, sizeof *out);
  lexer lx = {text, text + len, 1};
  for (;;) {
    skip_space(&lx);
    if (lx.p >= lx.end) break;
    const char *id = lx.p;
    while (lx.p < lx.end && (isalnum((unsigned char)*lx.p) || *lx.p == '_')) lx.p++;
    size_t idlen = (size_t)(lx.p - id);
    if (idlen == 0) goto syntax;
    skip_space(&lx);
    if (lx.p >= lx.end || *lx.p != ':') goto syntax;
    lx.p++;
    skip_space(&lx);
    if (lx.p >= lx.end) goto syntax;
#define IS(s) (idlen == sizeof(s) - 1 && !memcmp(id, s, idlen))
    if (IS("model_checkpoint_path") || IS("all_model_checkpoint_paths")) {
      if (*lx.p != '"' && *lx.p != '\'') goto syntax;
      size_t slen;
      char *s = parse_quoted(&lx, &slen);
      if (s == (char *)-1) {
        tfckpt_state_free(out);
        return tfckpt__seterr(err, TFCKPT_ECORRUPT, "%s:%d: unterminated string", name, lx.line);
      }
      if (!s) goto oom;
      if (strlen(s) != slen) {
        /* "\000" would silently cut the path short */
        free(s);
        tfckpt_state_free(out);
        return tfckpt__seterr(err, TFCKPT_ECORRUPT, "%s:%d: a checkpoint path contains a NUL byte",
                              name, lx.line);
      }
      if (IS("model_checkpoint_path")) {
        free(out->model_checkpoint_path);
        out->model_checkpoint_path = s;
      } else {
        char **np = realloc(out->all_paths, (out->npaths + 1) * sizeof *np);
        if (!np) {
          free(s);
          goto oom;
        }
        out->all_paths = np;
        out->all_paths[out->npaths++] = s;
      }
    } else if (IS("all_model_checkpoint_timestamps") || IS("last_preserved_timestamp")) {
      char *endp;
      char buf[64];
      size_t k = 0;
      while (lx.p + k < lx.end && k < sizeof buf - 1 && !isspace((unsigned char)lx.p[k]) &&
             lx.p[k] != '#')
        k++;
      memcpy(buf, lx.p, k);
      buf[k] = '\0';
      double v = strtod(buf, &endp);
      if (endp == buf || *endp) goto syntax;
      lx.p += k;
      if (IS("last_preserved_timestamp")) {
        out->last_preserved_timestamp = v;
        out->has_last_preserved = 1;
      } else {
        double *nt = realloc(out->timestamps, (out->ntimestamps + 1) * sizeof *nt);
        if (!nt) goto oom;
        out->timestamps = nt;
        out->timestamps[out->ntimestamps++] = v;
      }
    } else {
      /* unknown field: skip its value (a token or a quoted string) */
      if (*lx.p == '"' || *lx.p == '\'') {
        size_t slen;
        char *s = parse_quoted(&lx, &slen);
        if (s == (char *)-1) goto syntax;
        if (!s) goto oom;
        free(s);
      } else {
        while (lx.p < lx.end && !isspace((unsigned char)*lx.p)) lx.p++;
      }
    }
#undef IS
  }
  return TFCKPT_OK;
syntax:
  tfckpt_state_free(out);
  return tfckpt__seterr(err, TFCKPT_ECORRUPT, "%s:%d: not a checkpoint state file (syntax error)",
                       name, lx.line);
oom:
  tfckpt_state_free(out);
  return tfckpt__seterr(err, TFCKPT_ENOMEM, "%s: out of memory", name);
}

int tfckpt__state_read(const char *path, tfckpt_state *out, tfckpt__err *err) {
  char *text;
  size_t len;
  memset(out, 0, sizeof *out);
  int rc = tfckpt__read_file(path, STATE_MAX_SIZE, &text, &len, err);
  if (rc) return rc;
  rc = tfckpt__state_parse(text, len, path, out, err);
  free(text);
  return rc;
}

char *tfckpt__state_quote(const char *s) {
  size_t n = strlen(s);
  char *out = malloc(4 * n + 3);
  if (!out) return NULL;
  size_t k = 0;
  out[k++] = '"';
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
      case '"': out[k++] = '\\', out[k++] = '"'; break;
      case '\\': out[k++] = '\\', out[k++] = '\\'; break;
      case '\n': out[k++] = '\\', out[k++] = 'n'; break;
      case '\r': out[k++] = '\\', out[k++] = 'r'; break;
      case '\t': out[k++] = '\\', out[k++] = 't'; break;
      case '\'': out[k++] = '\\', out[k++] = '\''; break;
      default:
        if (*p < 0x20 || *p >= 0x7f) k += (size_t)sprintf(out + k, "\\%03o", *p);
        else out[k++] = (char)*p;
    }
  }
  out[k++] = '"';
  out[k] = '\0';
  return out;
}

/* Appends `name: "value"` with the value quoted as text protos quote it. */
static void put_quoted(tfckpt__buf *b, const char *name, const char *value) {
  char *q = tfckpt__state_quote(value);
  if (!q) b->oom = 1;
  else tfckpt__buf_appendf(b, "%s: %s\n", name, q);
  free(q);
}

char *tfckpt_state_format(const tfckpt_state *s) {
  tfckpt__buf b = {0};
  if (s->model_checkpoint_path) put_quoted(&b, "model_checkpoint_path", s->model_checkpoint_path);
  for (size_t i = 0; i < s->npaths; i++)
    put_quoted(&b, "all_model_checkpoint_paths", s->all_paths[i]);
  for (size_t i = 0; i < s->ntimestamps; i++)
    tfckpt__buf_appendf(&b, "all_model_checkpoint_timestamps: %.17g\n", s->timestamps[i]);
  if (s->has_last_preserved)
    tfckpt__buf_appendf(&b, "last_preserved_timestamp: %.17g\n", s->last_preserved_timestamp);
  return tfckpt__buf_detach(&b);
}

int tfckpt_state_read(const char *path, tfckpt_state *out) {
  tfckpt__err err = {0};
  return tfckpt__state_read(path, out, &err);
}

int tfckpt_state_parse(const char *text, size_t len, const char *name, tfckpt_state *out) {
  tfckpt__err err = {0};
  return tfckpt__state_parse(text, len, name, out, &err);
}
