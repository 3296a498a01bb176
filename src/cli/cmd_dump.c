/* tfckpt dump: every tensor's name, dtype, shape and all values as text.
 *
 * Format (docs/dump-format.md):
 *   # tfckpt dump 1
 *   # checkpoint: <prefix>
 *   tensor "<name as a JSON string>" <dtype> [<d0>,<d1>,...] <elements>
 *   <values: one line per row of the last dimension, separated by spaces>
 *   ...
 * Floats are written so that they read back exactly; strings are one JSON
 * string per line; complex values are Python literals ("1+2j"); bool is 1/0. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_paths.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "tfckpt/internal/atomic_file.h"
#include "tfckpt/internal/json.h"
#include "tfckpt/numfmt.h"

static const cli_opt dump_args[] = {CLI_ARG_CHECKPOINT, {0}};

static const cli_opt dump_opts[] = {
    {"--output", "-o", "FILE", "write to FILE (atomically) instead of standard output", 0},
    {0},
};

#define OUTBUF (1u << 20)

typedef struct out {
  tfckpt__atomic_file file; /* used when writing to a file */
  int to_file;
  char *buf;
  size_t len;
  int failed;
  tfckpt__err err;
  tfckpt__buf scratch; /* one JSON string at a time */
} out;

/* Writes n bytes straight to the output (the file or standard output). */
static void out_write(out *o, const char *data, size_t n) {
  if (o->failed || !n) return;
  if (o->to_file) {
    if (tfckpt__atomic_write(&o->file, data, n, &o->err)) o->failed = 1;
  } else if (fwrite(data, 1, n, stdout) != n) {
    tfckpt__seterr(&o->err, TFCKPT_EIO, "write error on standard output");
    o->failed = 1;
  }
}

static void out_flush(out *o) {
  out_write(o, o->buf, o->len);
  o->len = 0;
}

static inline void out_need(out *o, size_t n) {
  if (o->len + n > OUTBUF) out_flush(o);
}

static void out_str(out *o, const char *s, size_t n) {
  if (n > OUTBUF / 2) {
    out_flush(o);
    out_write(o, s, n);
    return;
  }
  out_need(o, n);
  memcpy(o->buf + o->len, s, n);
  o->len += n;
}

/* Names follow the one JSON string rule of every command (so dump and
 * ls --json print a name alike); string values are binary, one code point
 * per byte (docs/dump-format.md).  A value is escaped in slices (each
 * without its own quotes) so a huge element needs no huge scratch buffer;
 * byte-wise escaping makes any cut safe. */
#define JSON_SLICE (1u << 16)
static int escape(out *o, const uint8_t *s, size_t n, int bytes) {
  o->scratch.len = 0;
  if (bytes) tfckpt__json_put_bytes(&o->scratch, s, n);
  else tfckpt__json_put_str(&o->scratch, (const char *)s, n);
  if (!o->scratch.oom) return 1;
  tfckpt__seterr(&o->err, TFCKPT_ENOMEM, "out of memory");
  o->failed = 1;
  return 0;
}

static void out_json(out *o, const uint8_t *s, size_t n, int bytes) {
  if (!bytes || n <= JSON_SLICE) {
    if (escape(o, s, n, bytes)) out_str(o, (const char *)o->scratch.data, o->scratch.len);
    return;
  }
  out_str(o, "\"", 1);
  for (size_t at = 0; at < n && !o->failed; at += JSON_SLICE) {
    size_t k = n - at < JSON_SLICE ? n - at : JSON_SLICE;
    if (escape(o, s + at, k, 1)) /* without the slice's own quotes */
      out_str(o, (const char *)o->scratch.data + 1, o->scratch.len - 2);
  }
  out_str(o, "\"", 1);
}

static size_t fmt_value(const tfckpt_tensor *t, int64_t i, char *b) {
  const uint8_t *p = (const uint8_t *)tfckpt_tensor_data(t);
  int dt = tfckpt_tensor_dtype(t);
  switch (dt) {
    case TFCKPT_FLOAT: {
      float f;
      memcpy(&f, p + 4 * i, 4);
      return tfckpt_fmt_f32(f, b);
    }
    case TFCKPT_DOUBLE: {
      double d;
      memcpy(&d, p + 8 * i, 8);
      return tfckpt_fmt_f64(d, b);
    }
    case TFCKPT_HALF:
    case TFCKPT_BFLOAT16: {
      uint16_t h;
      memcpy(&h, p + 2 * i, 2);
      return tfckpt_fmt_f32(dt == TFCKPT_HALF ? tfckpt_half_to_float(h) : tfckpt_bf16_to_float(h), b);
    }
    case TFCKPT_COMPLEX64: {
      float c[2];
      memcpy(c, p + 8 * i, 8);
      size_t n = tfckpt_fmt_f32(c[0], b);
      if (!signbit(c[1]) && !isnan(c[1])) b[n++] = '+';
      n += tfckpt_fmt_f32(c[1], b + n);
      b[n++] = 'j';
      b[n] = '\0';
      return n;
    }
    case TFCKPT_COMPLEX128: {
      double c[2];
      memcpy(c, p + 16 * i, 16);
      return (size_t)snprintf(b, 2 * TFCKPT_NUMFMT_MAX, "%.17g%+.17gj", c[0], c[1]);
    }
    case TFCKPT_UINT64: {
      uint64_t v;
      memcpy(&v, p + 8 * i, 8);
      return tfckpt_fmt_u64(v, b);
    }
    case TFCKPT_INT64: {
      int64_t v;
      memcpy(&v, p + 8 * i, 8);
      return tfckpt_fmt_i64(v, b);
    }
    default:
      /* every other fixed-size dtype is an integer of at most 32 bits;
       * float8 types are written as their raw byte */
      if (dt >= TFCKPT_FLOAT8_E5M2 && dt <= TFCKPT_FLOAT8_E5M2FNUZ) return tfckpt_fmt_u64(p[i], b);
      return tfckpt_fmt_i64((int64_t)tfckpt_tensor_get_double(t, i), b);
  }
}

/* float32 values [from, to) of a tensor whose rows have `row` elements,
 * formatted into buf (room for 16 bytes per value). */
typedef struct f32_job {
  const uint8_t *data;
  int64_t from, to, row;
  char *buf;
  size_t len;
} f32_job;

static void *format_f32(void *arg) {
  f32_job *j = arg;
  char *p = j->buf;
  for (int64_t i = j->from; i < j->to; i++) {
    float f;
    memcpy(&f, j->data + 4 * i, 4);
    p += tfckpt_fmt_f32(f, p);
    *p++ = (i + 1) % j->row ? ' ' : '\n';
  }
  j->len = (size_t)(p - j->buf);
  return NULL;
}

/* Large float32 tensors are the bulk of every dump: two threads format
 * alternate blocks while the output stays in order. */
#define F32_BLOCK (1 << 19)
static int dump_f32_parallel(out *o, const tfckpt_tensor *t, int64_t n, int64_t row) {
  char *bufs = malloc(2 * (size_t)F32_BLOCK * 16);
  if (!bufs) return 0; /* the one-thread loop needs no extra memory */
  for (int64_t i = 0; i < n && !o->failed; i += 2 * F32_BLOCK) {
    f32_job a = {tfckpt_tensor_data(t), i, i + F32_BLOCK < n ? i + F32_BLOCK : n, row, bufs, 0};
    f32_job b = {tfckpt_tensor_data(t), a.to, a.to + F32_BLOCK < n ? a.to + F32_BLOCK : n, row,
                 bufs + (size_t)F32_BLOCK * 16, 0};
    pthread_t th;
    int threaded = b.from < b.to && pthread_create(&th, NULL, format_f32, &b) == 0;
    format_f32(&a);
    if (threaded) pthread_join(th, NULL);
    else if (b.from < b.to) format_f32(&b);
    out_flush(o);
    out_write(o, a.buf, a.len);
    out_write(o, b.buf, b.len);
  }
  free(bufs);
  return 1;
}

static void dump_tensor(out *o, const char *name, const tfckpt_tensor *t) {
  char head[128];
  int rank = tfckpt_tensor_rank(t);
  const int64_t *dims = tfckpt_tensor_dims(t);
  int64_t n = tfckpt_tensor_num_elements(t);
  out_str(o, "tensor ", 7);
  out_json(o, (const uint8_t *)name, strlen(name), 0);
  int k = snprintf(head, sizeof head, " %s [", tfckpt_dtype_name(tfckpt_tensor_dtype(t)));
  out_str(o, head, (size_t)k);
  for (int d = 0; d < rank; d++) {
    k = snprintf(head, sizeof head, "%s%lld", d ? "," : "", (long long)dims[d]);
    out_str(o, head, (size_t)k);
  }
  k = snprintf(head, sizeof head, "] %lld\n", (long long)n);
  out_str(o, head, (size_t)k);
  int dt = tfckpt_tensor_dtype(t);
  if (dt == TFCKPT_STRING || dt == TFCKPT_VARIANT) {
    for (int64_t i = 0; i < n && !o->failed; i++) {
      const uint8_t *s;
      size_t len;
      tfckpt_tensor_get_string(t, i, &s, &len);
      out_json(o, s, len, 1);
      out_str(o, "\n", 1);
    }
    return;
  }
  int64_t row = rank ? dims[rank - 1] : 1;
  if (row <= 0) return;
  if (dt == TFCKPT_FLOAT && n >= F32_BLOCK && dump_f32_parallel(o, t, n, row)) return;
  for (int64_t i = 0; i < n && !o->failed; i++) {
    out_need(o, 2 * TFCKPT_NUMFMT_MAX + 2);
    o->len += fmt_value(t, i, o->buf + o->len);
    o->buf[o->len++] = (i + 1) % row ? ' ' : '\n';
  }
}

static int cmd_dump(int argc, char **argv) {
  const char *path = NULL, *outpath = NULL;
  cli_parser p;
  cli_parser_init(&p, &cli_cmd_dump, argc, argv);
  for (int k; (k = cli_next(&p)) != CLI_END;) {
    if (k == CLI_HELP) return EXIT_OK;
    if (k == CLI_ERROR) return EXIT_USAGE;
    if (k == CLI_ARG) path = p.value;
    else if (cli_is(&p, "--output")) outpath = p.value;
  }
  if (!path) {
    cli_print_usage(stderr, &cli_cmd_dump);
    return EXIT_USAGE;
  }
  tfckpt_reader *r = cli_open("dump", path);
  if (!r) return EXIT_FAIL;
  out o = {.to_file = outpath != NULL};
  o.file.fd = -1;
  int status = EXIT_FAIL;
  o.buf = malloc(OUTBUF);
  if (!o.buf) {
    cli_error("dump", "out of memory");
    goto done;
  }
  if (outpath && cli_refuse_input_file("dump", outpath, r)) goto done;
  if (outpath && tfckpt__atomic_open(&o.file, outpath, NULL, &o.err)) {
    cli_error("dump", "%s", tfckpt__err_text(&o.err));
    goto done;
  }
  int64_t nvars = tfckpt_reader_num_variables(r);
  cli_progress prog;
  double total = (double)tfckpt_reader_data_bytes(r);
  cli_progress_start(&prog, "dump", outpath && total > 64e6 ? total : 0);
  char head[64];
  out_str(&o, "# tfckpt dump 1\n# checkpoint: ", 30);
  out_str(&o, tfckpt_reader_prefix(r), strlen(tfckpt_reader_prefix(r)));
  int k = snprintf(head, sizeof head, "\n# variables: %lld\n", (long long)nvars);
  out_str(&o, head, (size_t)k);
  double done_bytes = 0;
  for (int64_t i = 0; i < nvars && !o.failed; i++) {
    tfckpt_var_info v;
    tfckpt_reader_var(r, i, &v);
    tfckpt_tensor *t;
    if (tfckpt_reader_get_tensor_at(r, i, &t) != TFCKPT_OK) {
      cli_progress_end(&prog);
      cli_error("dump", "%s", tfckpt_reader_errmsg(r));
      goto done;
    }
    dump_tensor(&o, v.name, t);
    tfckpt_tensor_free(t);
    done_bytes += (double)v.nbytes;
    cli_progress_update(&prog, done_bytes);
  }
  out_flush(&o);
  cli_progress_end(&prog);
  if (!o.failed && outpath &&
      (tfckpt__atomic_sync(&o.file, &o.err) || tfckpt__atomic_commit(&o.file, &o.err) ||
       tfckpt__fsync_dir(outpath, &o.err)))
    o.failed = 1;
  if (!o.failed && !outpath && fflush(stdout) != 0) {
    tfckpt__seterr(&o.err, TFCKPT_EIO, "write error on standard output");
    o.failed = 1;
  }
  if (o.failed) {
    cli_error("dump", "%s", tfckpt__err_text(&o.err));
    goto done;
  }
  status = EXIT_OK;
done:
  if (outpath) tfckpt__atomic_release(&o.file);
  free(o.buf);
  tfckpt__buf_free(&o.scratch);
  tfckpt_reader_close(r);
  return status;
}

const cli_command cli_cmd_dump = {
    .name = "dump",
    .run = cmd_dump,
    .summary = "write every tensor's values to a text file",
    .usage = "CHECKPOINT [-o FILE]",
    .about = "Writes every tensor's name, dtype, shape and all of its values as text\n"
             "(format: docs/dump-format.md).  Without -o the text goes to standard output.\n"
             "The output file is written under a temporary name and renamed when complete.\n",
    .args = dump_args,
    .groups = {{NULL, dump_opts}},
};
