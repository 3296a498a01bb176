/* Writers for .npz (zip of .npy members), a directory of .npy files and
 * .safetensors.  Each streams one tensor at a time into a temporary output
 * that _finish renames into place. */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "convert/internal.h"
#include "tfckpt/internal/atomic_file.h"
#include "tfckpt/internal/file.h"
#include "tfckpt/internal/json.h"
#include "tensor/tensor_impl.h"

/* Zip constants (PKWARE APPNOTE 6.3). */
#define ZIP_LOCAL_SIG 0x04034b50u
#define ZIP_CENTRAL_SIG 0x02014b50u
#define ZIP_EOCD_SIG 0x06054b50u
#define ZIP64_EOCD_SIG 0x06064b50u
#define ZIP64_LOCATOR_SIG 0x07064b50u
#define ZIP_MAX32 0xffffffffu
/* Members at least this large get zip64 local headers: the compressed size
 * of a deflated member is only known afterwards and may exceed the input. */
#define ZIP64_THRESHOLD 0xf0000000u
#define DOS_DATE_1980 0x0021 /* 1980-01-01: reproducible output */

typedef struct zent {
  char *name;
  uint32_t crc;
  uint64_t csize, usize, off;
  int method, zip64_local;
} zent;

typedef struct name_set {
  char **slot;
  size_t cap, n;
} name_set;

struct tfckpt_arrays_writer {
  tfckpt__err err;
  int format;
  tfckpt_arrays_options o;
  char *path;
  tfckpt__atomic_file out;
  int finished;
  int broken; /* a failure left a partial member behind: only close is allowed */
  name_set names;
  /* npz */
  zent *z;
  size_t nz, zcap;
  /* npy dir */
  char *tmpdir;
  /* safetensors */
  cv_st_entry *s;
  size_t ns, scap, next;
  uint64_t data_total;
  int header_written;
  char **meta;
  size_t nmeta;
};

void tfckpt_arrays_options_init(tfckpt_arrays_options *o) { memset(o, 0, sizeof *o); }

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;
  while (*s) h = (h ^ (uint8_t)*s++) * 1099511628211ull;
  return h;
}
/* Adds name; 1 if it was new, 0 if present, -1 on OOM. */
static int name_set_add(name_set *s, const char *name) {
  if (s->n * 2 >= s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    char **slot = calloc(cap, sizeof *slot);
    if (!slot) return -1;
    for (size_t i = 0; i < s->cap; i++)
      if (s->slot[i]) {
        size_t k = hash_str(s->slot[i]) & (cap - 1);
        while (slot[k]) k = (k + 1) & (cap - 1);
        slot[k] = s->slot[i];
      }
    free(s->slot);
    s->slot = slot;
    s->cap = cap;
  }
  size_t k = hash_str(name) & (s->cap - 1);
  while (s->slot[k]) {
    if (!strcmp(s->slot[k], name)) return 0;
    k = (k + 1) & (s->cap - 1);
  }
  if (!(s->slot[k] = strdup(name))) return -1;
  s->n++;
  return 1;
}
static void name_set_free(name_set *s) {
  for (size_t i = 0; i < s->cap; i++) free(s->slot[i]);
  free(s->slot);
}

int tfckpt_arrays_supports(tfckpt_arrays_format format, tfckpt_dtype dtype, const tfckpt_arrays_options *o,
                           const char **why) {
  const char *r = NULL;
  if (format == TFCKPT_ARRAYS_SAFETENSORS) {
    if (!cv_st_dtype_name(dtype))
      r = dtype == TFCKPT_COMPLEX64 || dtype == TFCKPT_COMPLEX128
              ? "safetensors has no complex dtype"
              : dtype == TFCKPT_STRING || dtype == TFCKPT_VARIANT
                    ? "safetensors holds only fixed-size numbers"
                    : "safetensors has no such dtype";
  } else if (dtype == TFCKPT_BFLOAT16) {
    if (!o || !o->bf16_as_float32) r = "bfloat16 has no numpy dtype (use --bf16-as float32)";
  } else if (!tfckpt_npy_descr(dtype)) {
    r = dtype == TFCKPT_STRING
            ? "numpy files cannot hold variable-length byte strings without pickle"
            : "numpy has no such dtype";
  }
  if (why) *why = r;
  return r == NULL;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  remove(p);
  return 0;
}

static int dir_is_empty(const char *path) {
  int empty = 1;
  DIR *d = opendir(path);
  if (!d) return 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      empty = 0;
      break;
    }
  closedir(d);
  return empty;
}

/* The reason at the end of a message ("...: No such file or directory"). */
static const char *reason_of(const char *msg) {
  const char *why = strrchr(msg, ':');
  return why && why[1] ? why + 2 : msg;
}

/* Restates a failed open in terms of what the user named (`what`: the output
 * path or the variable), keeping the system's reason. */
static int open_failed(tfckpt_arrays_writer *w, int rc, const char *what, const char *doing) {
  char reason[256];
  snprintf(reason, sizeof reason, "%s", reason_of(w->err.msg));
  return tfckpt__seterr(&w->err, rc, "%s: %s: %s", what, doing, reason);
}

int tfckpt_arrays_writer_open(const char *path, tfckpt_arrays_format format, const tfckpt_arrays_options *o,
                              tfckpt_arrays_writer **out) {
  int rc;
  tfckpt_arrays_writer *w = calloc(1, sizeof *w);
  *out = w;
  if (!w) return TFCKPT_ENOMEM;
  w->out.fd = -1;
  w->format = format;
  if (o) w->o = *o;
  if (!(w->path = strdup(path))) return tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory");
  if (!tfckpt__host_is_le())
    return tfckpt__seterr(&w->err, TFCKPT_EUNSUPPORTED, "big-endian hosts are not supported");
  if (w->o.compress < 0 || w->o.compress > 9)
    return tfckpt__seterr(&w->err, TFCKPT_EINVAL, "compression level %d is not 0..9", w->o.compress);
  switch (format) {
    case TFCKPT_ARRAYS_NPZ:
    case TFCKPT_ARRAYS_SAFETENSORS:
      if ((rc = tfckpt__atomic_open_ex(&w->out, path, TFCKPT__ATOMIC_BUFFERED, NULL, &w->err)))
        return open_failed(w, rc, path, "cannot create output");
      return TFCKPT_OK;
    case TFCKPT_ARRAYS_NPY_DIR: {
      struct stat st;
      if (stat(path, &st) == 0 && (!S_ISDIR(st.st_mode) || !dir_is_empty(path)))
        return tfckpt__seterr(&w->err, TFCKPT_EEXIST,
                             "%s: already exists (the .npy directory must be new or empty)", path);
      /* the same temporary naming as files: one pattern to clean up after a crash */
      for (int attempt = 0; attempt < 16; attempt++) {
        free(w->tmpdir);
        if (!(w->tmpdir = tfckpt__temp_name(path)))
          return tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory");
        if (mkdir(w->tmpdir, 0755) == 0) return TFCKPT_OK;
        if (errno != EEXIST) break;
      }
      int e = errno;
      free(w->tmpdir);
      w->tmpdir = NULL;
      return tfckpt__seterr(&w->err, TFCKPT_EIO, "%s: cannot create output directory: %s", path,
                           strerror(e));
    }
    default:
      return tfckpt__seterr(&w->err, TFCKPT_EINVAL, "unknown output format %d", format);
  }
}

const char *tfckpt_arrays_writer_errmsg(const tfckpt_arrays_writer *w) {
  return w ? tfckpt__err_text(&w->err) : "out of memory";
}

static int check_usable(tfckpt_arrays_writer *w) {
  if (w->finished) return tfckpt__seterr(&w->err, TFCKPT_EINVAL, "writer already finished");
  if (w->broken) return w->err.code ? w->err.code : TFCKPT_EIO;
  if (w->out.fd < 0 && !w->tmpdir)
    return tfckpt__seterr(&w->err, w->err.code ? w->err.code : TFCKPT_EINVAL,
                         "%s", w->err.code ? w->err.msg : "writer not open");
  return TFCKPT_OK;
}

int tfckpt_arrays_writer_set_metadata(tfckpt_arrays_writer *w, const char *key, const char *value) {
  int rc = check_usable(w);
  if (rc) return rc;
  if (w->format != TFCKPT_ARRAYS_SAFETENSORS)
    return tfckpt__seterr(&w->err, TFCKPT_EINVAL, "only safetensors files hold metadata");
  if (w->header_written)
    return tfckpt__seterr(&w->err, TFCKPT_EINVAL, "metadata must be set before the first tensor");
  char **m = realloc(w->meta, (w->nmeta + 1) * 2 * sizeof *m);
  if (!m) return tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory");
  w->meta = m;
  m[2 * w->nmeta] = strdup(key);
  m[2 * w->nmeta + 1] = strdup(value);
  w->nmeta++;
  if (!m[2 * w->nmeta - 2] || !m[2 * w->nmeta - 1])
    return tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory");
  return TFCKPT_OK;
}

static int add_name(tfckpt_arrays_writer *w, const char *name) {
  if (!name || !*name) return tfckpt__seterr(&w->err, TFCKPT_EINVAL, "empty tensor name");
  int k = name_set_add(&w->names, name);
  if (k < 0) return tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory");
  if (k == 0) return tfckpt__seterr(&w->err, TFCKPT_EEXIST, "%s: tensor added twice", name);
  return TFCKPT_OK;
}

int tfckpt_arrays_writer_declare(tfckpt_arrays_writer *w, const char *name, tfckpt_dtype dtype, int rank,
                                 const int64_t *dims) {
  int rc = check_usable(w);
  if (rc || w->format != TFCKPT_ARRAYS_SAFETENSORS) return rc;
  if (w->header_written)
    return tfckpt__seterr(&w->err, TFCKPT_EINVAL, "%s: declared after the first tensor was added",
                         name);
  const char *why;
  if (!tfckpt_arrays_supports(w->format, dtype, &w->o, &why))
    return tfckpt__seterr(&w->err, TFCKPT_EUNSUPPORTED, "%s: %s tensor: %s", name,
                         tfckpt_dtype_name(dtype), why);
  if (rank < 0 || rank > TFCKPT_MAX_RANK)
    return tfckpt__seterr(&w->err, TFCKPT_EUNSUPPORTED, "%s: rank %d", name, rank);
  if (!strcmp(name, "__metadata__"))
    return tfckpt__seterr(&w->err, TFCKPT_EINVAL, "a tensor cannot be called __metadata__");
  if (!tfckpt__utf8_valid(name, strlen(name)))
    return tfckpt__seterr(&w->err, TFCKPT_EINVAL, "%s: name is not valid UTF-8", name);
  if ((rc = add_name(w, name))) return rc;
  uint64_t n = 1;
  for (int i = 0; i < rank; i++) {
    if (dims[i] < 0 || (dims[i] && n > UINT64_MAX / (uint64_t)dims[i]))
      return tfckpt__seterr(&w->err, TFCKPT_ERANGE, "%s: bad shape", name);
    n *= (uint64_t)dims[i];
  }
  uint64_t es = tfckpt_dtype_size(dtype);
  if (n > (UINT64_MAX - w->data_total) / es)
    return tfckpt__seterr(&w->err, TFCKPT_ERANGE, "%s: too large", name);
  if (w->ns == w->scap) {
    size_t cap = w->scap ? w->scap * 2 : 64;
    cv_st_entry *s = realloc(w->s, cap * sizeof *s);
    if (!s) return tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory");
    w->s = s;
    w->scap = cap;
  }
  cv_st_entry *e = &w->s[w->ns];
  memset(e, 0, sizeof *e);
  if (!(e->name = strdup(name))) return tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory");
  e->dtype = dtype;
  if (rank && !(e->dims = malloc((size_t)rank * sizeof *dims))) {
    free(e->name);
    return tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory");
  }
  e->rank = rank;
  if (rank) memcpy(e->dims, dims, (size_t)rank * sizeof *dims);
  e->begin = w->data_total;
  e->end = e->begin + n * es;
  w->data_total = e->end;
  w->ns++;
  return TFCKPT_OK;
}

static int st_write_header(tfckpt_arrays_writer *w) {
  size_t len;
  char *h = cv_st_format_header(w->s, w->ns, w->meta, w->nmeta, &len, &w->err);
  if (!h) return w->err.code;
  uint8_t n8[8];
  tfckpt__put_u64le(n8, len);
  int rc = tfckpt__atomic_write(&w->out, n8, 8, &w->err);
  if (!rc) rc = tfckpt__atomic_write(&w->out, h, len, &w->err);
  free(h);
  w->header_written = 1;
  return rc;
}

/* ---- sinks ---------------------------------------------------------------- */

typedef struct zsink {
  tfckpt_arrays_writer *w;
  uint32_t crc;
  z_stream *zs;
  uint8_t *zbuf;
} zsink;

/* Values streamed into one output file; a failure's message stays in `err`
 * for the caller to restate per tensor. */
typedef struct file_sink {
  tfckpt__atomic_file *f;
  tfckpt__err err;
} file_sink;

static const char *sink_reason(const file_sink *s) {
  return s->err.code ? reason_of(s->err.msg) : "unsupported conversion";
}

static int out_sink(void *ctx, const void *p, size_t n) {
  file_sink *s = ctx;
  return tfckpt__atomic_write(s->f, p, n, &s->err) ? TFCKPT_EIO : TFCKPT_OK;
}

#define ZBUF (256u << 10)
static int deflate_out(zsink *s, int flush) {
  do {
    s->zs->next_out = s->zbuf;
    s->zs->avail_out = ZBUF;
    int zr = deflate(s->zs, flush);
    if (zr == Z_STREAM_ERROR) return TFCKPT_EIO;
    size_t have = ZBUF - s->zs->avail_out;
    if (have && tfckpt__atomic_write(&s->w->out, s->zbuf, have, &s->w->err)) return TFCKPT_EIO;
  } while (s->zs->avail_out == 0 || (flush == Z_FINISH && s->zs->avail_in));
  return TFCKPT_OK;
}

static int zip_sink(void *ctx, const void *p, size_t n) {
  zsink *s = ctx;
  const uint8_t *q = p;
  for (size_t left = n; left;) { /* zlib takes uInt lengths */
    uInt k = left > (1u << 30) ? (1u << 30) : (uInt)left;
    s->crc = cv_crc32(s->crc, q, k);
    if (s->zs) {
      s->zs->next_in = (Bytef *)(uintptr_t)q;
      s->zs->avail_in = k;
      if (deflate_out(s, Z_NO_FLUSH)) return TFCKPT_EIO;
    } else if (tfckpt__atomic_write(&s->w->out, q, k, &s->w->err)) {
      return TFCKPT_EIO;
    }
    q += k;
    left -= k;
  }
  return TFCKPT_OK;
}

/* ---- npz ------------------------------------------------------------------ */

static int npz_add(tfckpt_arrays_writer *w, const char *name, const tfckpt_tensor *t,
                   const cv_layout *lay, const uint8_t *hdr, size_t hlen) {
  if (w->nz == w->zcap) {
    size_t cap = w->zcap ? w->zcap * 2 : 64;
    zent *z = realloc(w->z, cap * sizeof *z);
    if (!z) return tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory");
    w->z = z;
    w->zcap = cap;
  }
  zent *e = &w->z[w->nz];
  memset(e, 0, sizeof *e);
  e->name = tfckpt__strdupf("%s.npy", name);
  if (!e->name) return tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory");
  w->nz++;
  size_t nlen = strlen(e->name);
  if (nlen > 0xffff) return tfckpt__seterr(&w->err, TFCKPT_ERANGE, "%s: name too long for zip", name);
  e->usize = hlen + lay->nbytes;
  e->off = w->out.size;
  e->method = w->o.compress ? 8 : 0;
  e->zip64_local = w->o.force_zip64 || e->usize >= ZIP64_THRESHOLD;
  int utf8 = 0;
  for (size_t i = 0; i < nlen; i++)
    if ((uint8_t)e->name[i] >= 0x80) utf8 = 1;
  if (utf8 && !tfckpt__utf8_valid(e->name, nlen)) utf8 = 0;
  uint8_t lh[30 + 20];
  tfckpt__put_u32le(lh, ZIP_LOCAL_SIG);
  tfckpt__put_u16le(lh + 4, e->zip64_local ? 45 : 20);
  tfckpt__put_u16le(lh + 6, utf8 ? 0x800 : 0);
  tfckpt__put_u16le(lh + 8, (uint32_t)e->method);
  tfckpt__put_u16le(lh + 10, 0);
  tfckpt__put_u16le(lh + 12, DOS_DATE_1980);
  tfckpt__put_u32le(lh + 14, 0); /* crc, patched below */
  tfckpt__put_u32le(lh + 18, e->zip64_local ? ZIP_MAX32 : 0);
  tfckpt__put_u32le(lh + 22, e->zip64_local ? ZIP_MAX32 : (uint32_t)e->usize);
  tfckpt__put_u16le(lh + 26, (uint32_t)nlen);
  tfckpt__put_u16le(lh + 28, e->zip64_local ? 20 : 0);
  int rc = tfckpt__atomic_write(&w->out, lh, 30, &w->err);
  if (!rc) rc = tfckpt__atomic_write(&w->out, e->name, nlen, &w->err);
  if (!rc && e->zip64_local) {
    uint8_t x[20];
    tfckpt__put_u16le(x, 1);
    tfckpt__put_u16le(x + 2, 16);
    tfckpt__put_u64le(x + 4, e->usize);
    tfckpt__put_u64le(x + 12, 0);
    rc = tfckpt__atomic_write(&w->out, x, 20, &w->err);
  }
  if (rc) return rc;
  uint64_t data_start = w->out.size;
  z_stream zs;
  zsink s = {w, 0, NULL, NULL};
  if (e->method == 8) {
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, w->o.compress, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      return tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "deflateInit failed");
    s.zs = &zs;
    s.zbuf = malloc(ZBUF);
    if (!s.zbuf) {
      deflateEnd(&zs);
      return tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory");
    }
  }
  rc = zip_sink(&s, hdr, hlen);
  if (!rc) rc = cv_stream_values(t, lay->file_dtype, zip_sink, &s);
  if (!rc && s.zs) {
    s.zs->next_in = NULL;
    s.zs->avail_in = 0;
    rc = deflate_out(&s, Z_FINISH);
  }
  if (s.zs) {
    deflateEnd(&zs);
    free(s.zbuf);
  }
  if (rc) return w->err.code ? w->err.code : tfckpt__seterr(&w->err, TFCKPT_EIO, "%s: write failed", name);
  e->crc = s.crc;
  e->csize = w->out.size - data_start;
  if (!e->zip64_local && e->csize >= ZIP_MAX32)
    return tfckpt__seterr(&w->err, TFCKPT_ERANGE, "%s: compressed member exceeds 4 GiB", name);
  uint8_t p[8];
  tfckpt__put_u32le(p, e->crc);
  rc = tfckpt__atomic_pwrite(&w->out, p, 4, e->off + 14, &w->err);
  if (!rc && !e->zip64_local) {
    tfckpt__put_u32le(p, (uint32_t)e->csize);
    rc = tfckpt__atomic_pwrite(&w->out, p, 4, e->off + 18, &w->err);
  } else if (!rc) {
    tfckpt__put_u64le(p, e->csize);
    rc = tfckpt__atomic_pwrite(&w->out, p, 8, e->off + 30 + nlen + 12, &w->err);
  }
  return rc;
}

static int npz_finish(tfckpt_arrays_writer *w) {
  uint64_t cd_start = w->out.size;
  int rc = TFCKPT_OK;
  for (size_t i = 0; i < w->nz && !rc; i++) {
    const zent *e = &w->z[i];
    size_t nlen = strlen(e->name);
    int f = w->o.force_zip64;
    int big_u = f || e->usize >= ZIP_MAX32, big_c = f || e->csize >= ZIP_MAX32,
        big_o = f || e->off >= ZIP_MAX32;
    uint8_t x[4 + 24];
    size_t xl = 0;
    if (big_u || big_c || big_o) {
      xl = 4;
      if (big_u) tfckpt__put_u64le(x + xl, e->usize), xl += 8;
      if (big_c) tfckpt__put_u64le(x + xl, e->csize), xl += 8;
      if (big_o) tfckpt__put_u64le(x + xl, e->off), xl += 8;
      tfckpt__put_u16le(x, 1);
      tfckpt__put_u16le(x + 2, (uint32_t)(xl - 4));
    }
    int utf8 = 0;
    for (size_t k = 0; k < nlen; k++)
      if ((uint8_t)e->name[k] >= 0x80) utf8 = 1;
    if (utf8 && !tfckpt__utf8_valid(e->name, nlen)) utf8 = 0;
    uint8_t c[46];
    tfckpt__put_u32le(c, ZIP_CENTRAL_SIG);
    tfckpt__put_u16le(c + 4, (3u << 8) | 45); /* made by: unix */
    tfckpt__put_u16le(c + 6, xl || e->zip64_local ? 45 : 20);
    tfckpt__put_u16le(c + 8, utf8 ? 0x800 : 0);
    tfckpt__put_u16le(c + 10, (uint32_t)e->method);
    tfckpt__put_u16le(c + 12, 0);
    tfckpt__put_u16le(c + 14, DOS_DATE_1980);
    tfckpt__put_u32le(c + 16, e->crc);
    tfckpt__put_u32le(c + 20, big_c ? ZIP_MAX32 : (uint32_t)e->csize);
    tfckpt__put_u32le(c + 24, big_u ? ZIP_MAX32 : (uint32_t)e->usize);
    tfckpt__put_u16le(c + 28, (uint32_t)nlen);
    tfckpt__put_u16le(c + 30, (uint32_t)xl);
    tfckpt__put_u16le(c + 32, 0);
    tfckpt__put_u16le(c + 34, 0);
    tfckpt__put_u16le(c + 36, 0);
    tfckpt__put_u32le(c + 38, 0100644u << 16);
    tfckpt__put_u32le(c + 42, big_o ? ZIP_MAX32 : (uint32_t)e->off);
    rc = tfckpt__atomic_write(&w->out, c, 46, &w->err);
    if (!rc) rc = tfckpt__atomic_write(&w->out, e->name, nlen, &w->err);
    if (!rc && xl) rc = tfckpt__atomic_write(&w->out, x, xl, &w->err);
  }
  if (rc) return rc;
  uint64_t cd_size = w->out.size - cd_start, n = w->nz;
  int z64 = w->o.force_zip64 || n >= 0xffff || cd_size >= ZIP_MAX32 || cd_start >= ZIP_MAX32;
  if (z64) {
    uint64_t eocd64 = w->out.size;
    uint8_t r[56 + 20];
    tfckpt__put_u32le(r, ZIP64_EOCD_SIG);
    tfckpt__put_u64le(r + 4, 44);
    tfckpt__put_u16le(r + 12, (3u << 8) | 45);
    tfckpt__put_u16le(r + 14, 45);
    tfckpt__put_u32le(r + 16, 0);
    tfckpt__put_u32le(r + 20, 0);
    tfckpt__put_u64le(r + 24, n);
    tfckpt__put_u64le(r + 32, n);
    tfckpt__put_u64le(r + 40, cd_size);
    tfckpt__put_u64le(r + 48, cd_start);
    tfckpt__put_u32le(r + 56, ZIP64_LOCATOR_SIG);
    tfckpt__put_u32le(r + 60, 0);
    tfckpt__put_u64le(r + 64, eocd64);
    tfckpt__put_u32le(r + 72, 1);
    if ((rc = tfckpt__atomic_write(&w->out, r, sizeof r, &w->err))) return rc;
  }
  uint8_t e[22];
  tfckpt__put_u32le(e, ZIP_EOCD_SIG);
  tfckpt__put_u16le(e + 4, 0);
  tfckpt__put_u16le(e + 6, 0);
  tfckpt__put_u16le(e + 8, n >= 0xffff || z64 ? 0xffff : (uint32_t)n);
  tfckpt__put_u16le(e + 10, n >= 0xffff || z64 ? 0xffff : (uint32_t)n);
  tfckpt__put_u32le(e + 12, cd_size >= ZIP_MAX32 || z64 ? ZIP_MAX32 : (uint32_t)cd_size);
  tfckpt__put_u32le(e + 16, cd_start >= ZIP_MAX32 || z64 ? ZIP_MAX32 : (uint32_t)cd_start);
  tfckpt__put_u16le(e + 20, 0);
  return tfckpt__atomic_write(&w->out, e, 22, &w->err);
}

/* ---- npy dir ---------------------------------------------------------------- */

/* DIR/<scope>/<leaf>.npy, creating the scope folders; refuses names whose
 * components could escape the directory. */
static int npy_dir_path(tfckpt_arrays_writer *w, const char *name, char **out) {
  *out = NULL;
  for (const char *p = name;;) {
    const char *q = strchr(p, '/');
    size_t n = q ? (size_t)(q - p) : strlen(p);
    if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
      return tfckpt__seterr(&w->err, TFCKPT_EINVAL,
                           "%s: name has an empty, '.' or '..' path component and cannot be a "
                           "file name",
                           name);
    if (n > 250) /* + ".npy" must fit NAME_MAX */
      return tfckpt__seterr(&w->err, TFCKPT_ERANGE,
                           "%.40s...: a path component of %zu bytes is too long for a file name "
                           "(use --format npz or safetensors)",
                           name, n);
    if (!q) break;
    p = q + 1;
  }
  char *path = tfckpt__strdupf("%s/%s.npy", w->tmpdir, name);
  if (!path) return tfckpt__seterr(&w->err, TFCKPT_ENOMEM, "out of memory");
  for (char *s = path + strlen(w->tmpdir) + 1; (s = strchr(s, '/')); s++) {
    *s = '\0';
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
      int e = errno;
      *s = '/';
      tfckpt__seterr(&w->err, TFCKPT_EIO, "%s: cannot create folder for it: %s", name, strerror(e));
      free(path);
      return w->err.code;
    }
    *s = '/';
  }
  *out = path;
  return TFCKPT_OK;
}

static int npy_dir_add(tfckpt_arrays_writer *w, const char *name, const tfckpt_tensor *t,
                       const cv_layout *lay, const uint8_t *hdr, size_t hlen) {
  char *path;
  int rc = npy_dir_path(w, name, &path);
  if (rc) return rc;
  /* in place: the folder as a whole is the temporary, and O_EXCL catches
   * two names mapping to one file */
  tfckpt__atomic_file o;
  rc = tfckpt__atomic_open_ex(&o, path, TFCKPT__ATOMIC_IN_PLACE | TFCKPT__ATOMIC_BUFFERED, NULL,
                              &w->err);
  if (rc == TFCKPT_EEXIST)
    tfckpt__seterr(&w->err, rc, "%s: two tensors map to the same file name", name);
  else if (rc) /* name the variable, not the temporary path */
    open_failed(w, rc, name, "cannot create its .npy file");
  free(path);
  if (rc) {
    tfckpt__atomic_release(&o);
    return rc;
  }
  file_sink s = {&o, {0, ""}};
  rc = tfckpt__atomic_write(&o, hdr, hlen, &s.err);
  if (!rc) rc = cv_stream_values(t, lay->file_dtype, out_sink, &s);
  if (rc) tfckpt__seterr(&w->err, rc, "%s: write failed: %s", name, sink_reason(&s));
  if (!rc) rc = tfckpt__atomic_commit(&o, &w->err);
  tfckpt__atomic_release(&o);
  return rc;
}

/* ---- dispatch ----------------------------------------------------------------- */

int tfckpt_arrays_writer_add(tfckpt_arrays_writer *w, const char *name, const tfckpt_tensor *t) {
  int rc = check_usable(w);
  if (rc) return rc;
  if (!name || !*name) return tfckpt__seterr(&w->err, TFCKPT_EINVAL, "empty tensor name");
  if (w->format == TFCKPT_ARRAYS_SAFETENSORS) {
    if (w->next >= w->ns || strcmp(w->s[w->next].name, name))
      return tfckpt__seterr(&w->err, TFCKPT_EINVAL,
                           "%s: safetensors tensors must be declared first and added in the "
                           "declared order",
                           name);
    const cv_st_entry *e = &w->s[w->next];
    if (e->dtype != t->dtype || e->rank != t->rank ||
        (t->rank && memcmp(e->dims, t->dims, (size_t)t->rank * sizeof *t->dims)))
      return tfckpt__seterr(&w->err, TFCKPT_EINVAL, "%s: dtype or shape differs from its declaration",
                           name);
    if (!w->header_written && (rc = st_write_header(w))) return rc;
    file_sink s = {&w->out, {0, ""}};
    if ((rc = cv_stream_values(t, t->dtype, out_sink, &s))) {
      w->broken = 1;
      return tfckpt__seterr(&w->err, rc, "%s: write failed: %s", name, sink_reason(&s));
    }
    w->next++;
    return TFCKPT_OK;
  }
  cv_layout lay;
  if ((rc = cv_npy_layout(t, name, w->o.bf16_as_float32, &lay, &w->err))) return rc;
  if ((rc = add_name(w, name))) return rc;
  uint8_t hdr[128 + 22 * TFCKPT_MAX_RANK];
  long h = tfckpt_npy_header(lay.file_dtype, t->rank, t->dims, hdr, sizeof hdr);
  if (h < 0)
    return tfckpt__seterr(&w->err, (int)h, "%s: rank %d is more than numpy allows", name, t->rank);
  if (w->format == TFCKPT_ARRAYS_NPZ) rc = npz_add(w, name, t, &lay, hdr, (size_t)h);
  else rc = npy_dir_add(w, name, t, &lay, hdr, (size_t)h);
  if (rc) w->broken = w->format == TFCKPT_ARRAYS_NPZ;
  return rc;
}

int tfckpt_arrays_writer_finish(tfckpt_arrays_writer *w) {
  int rc = check_usable(w);
  if (rc) return rc;
  if (w->format == TFCKPT_ARRAYS_NPY_DIR) {
    struct stat st;
    if (stat(w->path, &st) == 0) {
      if (!S_ISDIR(st.st_mode) || rmdir(w->path) != 0)
        return tfckpt__seterr(&w->err, TFCKPT_EEXIST, "%s: already exists", w->path);
    }
    if (rename(w->tmpdir, w->path) != 0)
      return tfckpt__seterr(&w->err, TFCKPT_EIO, "%s: rename failed: %s", w->path, strerror(errno));
    free(w->tmpdir);
    w->tmpdir = NULL;
    if ((rc = tfckpt__fsync_dir(w->path, &w->err))) return rc;
    w->finished = 1;
    return TFCKPT_OK;
  }
  if (w->format == TFCKPT_ARRAYS_SAFETENSORS) {
    if (w->next < w->ns)
      return tfckpt__seterr(&w->err, TFCKPT_EINVAL, "%s: declared but never added",
                           w->s[w->next].name);
    if (!w->header_written && (rc = st_write_header(w))) return rc;
  } else if ((rc = npz_finish(w))) {
    return rc;
  }
  if ((rc = tfckpt__atomic_commit(&w->out, &w->err))) return rc;
  if ((rc = tfckpt__fsync_dir(w->path, &w->err))) return rc;
  w->finished = 1;
  return TFCKPT_OK;
}

void tfckpt_arrays_writer_close(tfckpt_arrays_writer *w) {
  if (!w) return;
  tfckpt__atomic_release(&w->out);
  if (w->tmpdir) nftw(w->tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  free(w->tmpdir);
  for (size_t i = 0; i < w->nz; i++) free(w->z[i].name);
  free(w->z);
  cv_st_free(w->s, w->ns, w->meta, w->nmeta);
  name_set_free(&w->names);
  free(w->path);
  free(w);
}
