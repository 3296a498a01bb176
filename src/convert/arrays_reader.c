/* Readers for .npz, .npy and .safetensors.  The whole file is mapped; every
 * offset and size read from it is checked against the mapping's size before
 * use, so a malformed file is an error message, never a crash or a huge
 * allocation. */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "convert/internal.h"
#include "tfckpt/internal/file.h"
#include "tensor/tensor_impl.h"

enum { FMT_NPZ = 1, FMT_NPY, FMT_ST };

/* Deflate cannot expand data by more than ~1032:1; a member claiming more is
 * lying about its size (zip bomb or corruption) and is refused up front. */
#define DEFLATE_MAX_RATIO 1032u

typedef struct aent {
  char *name;
  tfckpt_dtype dtype;
  int rank;
  int64_t *dims; /* rank entries, malloc'd: archives may hold many arrays */
  int big_endian, fortran;
  uint64_t data_off;   /* file offset of the member / tensor bytes */
  uint64_t nbytes;     /* value bytes */
  /* zip */
  int method;
  uint32_t crc;
  uint64_t csize, usize, hdr_len;
} aent;

struct tfckpt_arrays_reader {
  tfckpt__err err;
  int format;
  char *path;
  tfckpt__mapped map;
  aent *e;
  size_t n;
  char **meta;
  size_t nmeta;
};

const char *tfckpt_arrays_reader_errmsg(const tfckpt_arrays_reader *r) {
  return r ? tfckpt__err_text(&r->err) : "out of memory";
}
const char *tfckpt_arrays_reader_format(const tfckpt_arrays_reader *r) {
  return r->format == FMT_NPZ ? "npz" : r->format == FMT_NPY ? "npy" : "safetensors";
}
int64_t tfckpt_arrays_reader_count(const tfckpt_arrays_reader *r) { return (int64_t)r->n; }
const char *tfckpt_arrays_reader_name(const tfckpt_arrays_reader *r, int64_t i) {
  return i >= 0 && (size_t)i < r->n ? r->e[i].name : NULL;
}
int tfckpt_arrays_reader_info(const tfckpt_arrays_reader *r, int64_t i, tfckpt_dtype *dtype, int *rank,
                              const int64_t **dims) {
  if (i < 0 || (size_t)i >= r->n) return TFCKPT_EINVAL;
  *dtype = r->e[i].dtype;
  *rank = r->e[i].rank;
  *dims = r->e[i].dims;
  return TFCKPT_OK;
}
int64_t tfckpt_arrays_reader_num_metadata(const tfckpt_arrays_reader *r) { return (int64_t)r->nmeta; }
int tfckpt_arrays_reader_metadata(const tfckpt_arrays_reader *r, int64_t k, const char **key,
                                  const char **value) {
  if (k < 0 || (size_t)k >= r->nmeta) return TFCKPT_EINVAL;
  *key = r->meta[2 * k];
  *value = r->meta[2 * k + 1];
  return TFCKPT_OK;
}

static int grow(tfckpt_arrays_reader *r, size_t *cap) {
  if (r->n < *cap) return TFCKPT_OK;
  size_t c = *cap ? *cap * 2 : 16;
  aent *e = realloc(r->e, c * sizeof *e);
  if (!e) return tfckpt__seterr(&r->err, TFCKPT_ENOMEM, "out of memory");
  r->e = e;
  *cap = c;
  memset(&r->e[r->n], 0, sizeof r->e[r->n]);
  return TFCKPT_OK;
}

static int set_from_npy(tfckpt_arrays_reader *r, aent *e, const tfckpt_npy_info *h) {
  if (h->rank && !(e->dims = malloc((size_t)h->rank * sizeof *e->dims)))
    return tfckpt__seterr(&r->err, TFCKPT_ENOMEM, "out of memory");
  if (h->rank) memcpy(e->dims, h->dims, (size_t)h->rank * sizeof *e->dims);
  e->dtype = h->dtype;
  e->rank = h->rank;
  e->big_endian = h->big_endian;
  e->fortran = h->fortran_order;
  e->nbytes = h->nbytes;
  e->hdr_len = h->header_len;
  return TFCKPT_OK;
}

/* ---- .npy ---------------------------------------------------------------- */

static int open_npy(tfckpt_arrays_reader *r) {
  const uint8_t *p = r->map.data;
  size_t size = r->map.size;
  tfckpt_npy_info h;
  char msg[256];
  int rc = tfckpt_npy_parse_header(p, size, &h, msg, sizeof msg);
  if (rc) return tfckpt__seterr(&r->err, rc, "%s: %s", r->path, msg);
  if (h.nbytes > size - h.header_len)
    return tfckpt__seterr(&r->err, TFCKPT_ECORRUPT,
                         "%s: header declares %llu bytes of values but the file holds %zu",
                         r->path, (unsigned long long)h.nbytes, size - h.header_len);
  size_t cap = 0;
  if ((rc = grow(r, &cap))) return rc;
  aent *e = &r->e[0];
  char *b = strdup(r->path);
  if (!b) return tfckpt__seterr(&r->err, TFCKPT_ENOMEM, "out of memory");
  char *base = basename(b);
  size_t bl = strlen(base);
  if (bl > 4 && !strcmp(base + bl - 4, ".npy")) base[bl - 4] = '\0';
  e->name = strdup(base);
  free(b);
  if (!e->name) return tfckpt__seterr(&r->err, TFCKPT_ENOMEM, "out of memory");
  r->n = 1;
  if ((rc = set_from_npy(r, e, &h))) return rc;
  e->data_off = h.header_len;
  e->method = -1;
  return TFCKPT_OK;
}

/* ---- .npz ---------------------------------------------------------------- */

#define ZIP_LOCAL_SIG 0x04034b50u
#define ZIP_CENTRAL_SIG 0x02014b50u
#define ZIP_EOCD_SIG 0x06054b50u
#define ZIP64_EOCD_SIG 0x06064b50u
#define ZIP64_LOCATOR_SIG 0x07064b50u

/* Inflates the first min(cap, usize) bytes of a deflated member into out. */
static int inflate_prefix(const uint8_t *src, uint64_t csize, uint8_t *out, size_t cap,
                          size_t *got) {
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, -15) != Z_OK) return TFCKPT_ENOMEM;
  zs.next_in = (Bytef *)(uintptr_t)src;
  zs.avail_in = csize > (1u << 30) ? (1u << 30) : (uInt)csize;
  zs.next_out = out;
  zs.avail_out = (uInt)cap;
  int zr = inflate(&zs, Z_SYNC_FLUSH);
  *got = cap - zs.avail_out;
  inflateEnd(&zs);
  return zr == Z_OK || zr == Z_STREAM_END || zr == Z_BUF_ERROR ? TFCKPT_OK : TFCKPT_ECORRUPT;
}

static int npz_member(tfckpt_arrays_reader *r, aent *e, const char *zname) {
  const uint8_t *p = r->map.data;
  size_t size = r->map.size;
  uint64_t lo = e->data_off; /* local header offset for now */
  if (lo > size || size - lo < 30 || tfckpt__get_u32le(p + lo) != ZIP_LOCAL_SIG)
    return tfckpt__seterr(&r->err, TFCKPT_ECORRUPT, "%s: member %s: bad local header offset %llu",
                         r->path, zname, (unsigned long long)lo);
  uint64_t start = lo + 30 + tfckpt__get_u16le(p + lo + 26) + tfckpt__get_u16le(p + lo + 28);
  if (start > size || e->csize > size - start)
    return tfckpt__seterr(&r->err, TFCKPT_ECORRUPT,
                         "%s: member %s: %llu bytes at offset %llu run past the end of the file "
                         "(%zu bytes)",
                         r->path, zname, (unsigned long long)e->csize, (unsigned long long)start,
                         size);
  if (tfckpt__get_u16le(p + lo + 6) & 1)
    return tfckpt__seterr(&r->err, TFCKPT_EUNSUPPORTED, "%s: member %s is encrypted", r->path, zname);
  e->data_off = start;
  tfckpt_npy_info h;
  char msg[256];
  int rc;
  if (e->method == 0) {
    if (e->csize != e->usize)
      return tfckpt__seterr(&r->err, TFCKPT_ECORRUPT,
                           "%s: member %s: stored sizes differ (%llu vs %llu)", r->path, zname,
                           (unsigned long long)e->csize, (unsigned long long)e->usize);
    rc = tfckpt_npy_parse_header(p + start, e->csize, &h, msg, sizeof msg);
  } else {
    if (e->usize / DEFLATE_MAX_RATIO > e->csize + 1)
      return tfckpt__seterr(&r->err, TFCKPT_ECORRUPT,
                           "%s: member %s: declared size %llu is impossible for %llu compressed "
                           "bytes",
                           r->path, zname, (unsigned long long)e->usize,
                           (unsigned long long)e->csize);
    uint8_t small[4096];
    size_t got;
    if (inflate_prefix(p + start, e->csize, small, sizeof small, &got))
      return tfckpt__seterr(&r->err, TFCKPT_ECORRUPT, "%s: member %s: bad deflate data", r->path,
                           zname);
    rc = tfckpt_npy_parse_header(small, got, &h, msg, sizeof msg);
    if (rc == TFCKPT_ECORRUPT && got == sizeof small) { /* a long header */
      size_t cap = (1u << 20) + 16;
      uint8_t *big = malloc(cap);
      if (!big) return tfckpt__seterr(&r->err, TFCKPT_ENOMEM, "out of memory");
      if (inflate_prefix(p + start, e->csize, big, cap, &got) == TFCKPT_OK)
        rc = tfckpt_npy_parse_header(big, got, &h, msg, sizeof msg);
      free(big);
    }
  }
  if (rc) return tfckpt__seterr(&r->err, rc, "%s: member %s: %s", r->path, zname, msg);
  if (h.header_len + h.nbytes != e->usize)
    return tfckpt__seterr(&r->err, TFCKPT_ECORRUPT,
                         "%s: member %s: .npy header declares %llu bytes of values but the member "
                         "holds %llu",
                         r->path, zname, (unsigned long long)h.nbytes,
                         (unsigned long long)(e->usize - h.header_len));
  return set_from_npy(r, e, &h);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int open_npz(tfckpt_arrays_reader *r) {
  const uint8_t *p = r->map.data;
  size_t size = r->map.size;
  if (size < 22) return tfckpt__seterr(&r->err, TFCKPT_ECORRUPT, "%s: too short for a zip", r->path);
  size_t eocd = SIZE_MAX;
  size_t lowest = size >= 22 + 65535 ? size - 22 - 65535 : 0;
  for (size_t i = size - 22 + 1; i-- > lowest;)
    if (tfckpt__get_u32le(p + i) == ZIP_EOCD_SIG && i + 22 + tfckpt__get_u16le(p + i + 20) <= size) {
      eocd = i;
      break;
    }
  if (eocd == SIZE_MAX)
    return tfckpt__seterr(&r->err, TFCKPT_ECORRUPT, "%s: no zip end-of-central-directory record",
                         r->path);
  uint64_t n = tfckpt__get_u16le(p + eocd + 10), cd_size = tfckpt__get_u32le(p + eocd + 12),
           cd_off = tfckpt__get_u32le(p + eocd + 16);
  if (eocd >= 20 && tfckpt__get_u32le(p + eocd - 20) == ZIP64_LOCATOR_SIG) {
    uint64_t z = tfckpt__get_u64le(p + eocd - 20 + 8);
    if (z > size || size - z < 56 || tfckpt__get_u32le(p + z) != ZIP64_EOCD_SIG)
      return tfckpt__seterr(&r->err, TFCKPT_ECORRUPT, "%s: bad zip64 end record offset %llu",
                           r->path, (unsigned long long)z);
    n = tfckpt__get_u64le(p + z + 32);
    cd_size = tfckpt__get_u64le(p + z + 40);
    cd_off = tfckpt__get_u64le(p + z + 48);
  }
  if (cd_off > size || cd_size > size - cd_off)
    return tfckpt__seterr(&r->err, TFCKPT_ECORRUPT,
                         "%s: central directory (%llu bytes at %llu) runs past the end of the "
                         "file (%zu bytes)",
                         r->path, (unsigned long long)cd_size, (unsigned long long)cd_off, size);
  if (n > cd_size / 46)
    return tfckpt__seterr(&r->err, TFCKPT_ECORRUPT,
                         "%s: %llu entries cannot fit in a %llu-byte central directory", r->path,
                         (unsigned long long)n, (unsigned long long)cd_size);
  size_t cap = 0;
  uint64_t at = cd_off, end = cd_off + cd_size;
  for (uint64_t k = 0; k < n; k++) {
    if (end - at < 46 || tfckpt__get_u32le(p + at) != ZIP_CENTRAL_SIG)
      return tfckpt__seterr(&r->err, TFCKPT_ECORRUPT, "%s: bad central directory entry at %llu",
                           r->path, (unsigned long long)at);
    uint32_t nl = tfckpt__get_u16le(p + at + 28), xl = tfckpt__get_u16le(p + at + 30), cl = tfckpt__get_u16le(p + at + 32);
    if (end - at - 46 < (uint64_t)nl + xl + cl)
      return tfckpt__seterr(&r->err, TFCKPT_ECORRUPT,
                           "%s: central directory entry at %llu runs past the directory", r->path,
                           (unsigned long long)at);
    const char *zn = (const char *)p + at + 46;
    int rc = grow(r, &cap);
    if (rc) return rc;
    aent *e = &r->e[r->n];
    memset(e, 0, sizeof *e);
    char *zname = strndup(zn, nl);
    if (!zname) return tfckpt__seterr(&r->err, TFCKPT_ENOMEM, "out of memory");
    e->method = (int)tfckpt__get_u16le(p + at + 10);
    e->crc = tfckpt__get_u32le(p + at + 16);
    e->csize = tfckpt__get_u32le(p + at + 20);
    e->usize = tfckpt__get_u32le(p + at + 24);
    e->data_off = tfckpt__get_u32le(p + at + 42);
    /* zip64 extra: the fields that are 0xffffffff above, in this order */
    const uint8_t *x = p + at + 46 + nl, *xe = x + xl;
    while (xe - x >= 4) {
      uint32_t id = tfckpt__get_u16le(x), len = tfckpt__get_u16le(x + 2);
      if ((size_t)(xe - x - 4) < len) break;
      if (id == 1) {
        const uint8_t *f = x + 4, *fe = f + len;
        uint64_t *fields[3] = {&e->usize, &e->csize, &e->data_off};
        for (int j = 0; j < 3; j++)
          if (*fields[j] == 0xffffffffu) {
            if (fe - f < 8) {
              free(zname);
              return tfckpt__seterr(&r->err, TFCKPT_ECORRUPT, "%s: member %.*s: short zip64 field",
                                   r->path, (int)nl, zn);
            }
            *fields[j] = tfckpt__get_u64le(f);
            f += 8;
          }
      }
      x += 4 + len;
    }
    at += 46 + (uint64_t)nl + xl + cl;
    if (nl && zn[nl - 1] == '/') { /* a folder entry (zname may be cut at a NUL) */
      free(zname);
      continue;
    }
    if (e->method != 0 && e->method != 8) {
      rc = tfckpt__seterr(&r->err, TFCKPT_EUNSUPPORTED,
                         "%s: member %s uses zip compression method %d (only stored and deflated "
                         "are supported)",
                         r->path, zname, e->method);
      free(zname);
      return rc;
    }
    if (strlen(zname) != nl || nl < 5 || strcmp(zname + nl - 4, ".npy")) {
      rc = tfckpt__seterr(&r->err, TFCKPT_EUNSUPPORTED, "%s: member \"%s\" is not a .npy array",
                         r->path, zname);
      free(zname);
      return rc;
    }
    rc = npz_member(r, e, zname);
    if (rc) {
      free(zname);
      return rc;
    }
    zname[nl - 4] = '\0';
    e->name = zname;
    r->n++;
  }
  /* numpy silently keeps one of two same-named members; refuse instead */
  const char **names = malloc((r->n ? r->n : 1) * sizeof *names);
  if (!names) return tfckpt__seterr(&r->err, TFCKPT_ENOMEM, "out of memory");
  for (size_t i = 0; i < r->n; i++) names[i] = r->e[i].name;
  qsort(names, r->n, sizeof *names, cmp_str);
  for (size_t i = 1; i < r->n; i++)
    if (!strcmp(names[i], names[i - 1])) {
      int rc = tfckpt__seterr(&r->err, TFCKPT_ECORRUPT, "%s: member %s.npy appears twice", r->path,
                             names[i]);
      free(names);
      return rc;
    }
  free(names);
  return TFCKPT_OK;
}

/* ---- .safetensors ----------------------------------------------------------- */

static int open_st(tfckpt_arrays_reader *r) {
  const uint8_t *p = r->map.data;
  size_t size = r->map.size;
  if (size < 8) return tfckpt__seterr(&r->err, TFCKPT_ECORRUPT, "%s: too short for safetensors", r->path);
  uint64_t hn = tfckpt__get_u64le(p);
  if (hn > CV_ST_MAX_HEADER)
    return tfckpt__seterr(&r->err, TFCKPT_ERANGE,
                         "%s: safetensors header length %llu exceeds the %u-byte limit", r->path,
                         (unsigned long long)hn, CV_ST_MAX_HEADER);
  if (hn > size - 8)
    return tfckpt__seterr(&r->err, TFCKPT_ECORRUPT,
                         "%s: safetensors header length %llu runs past the end of the file (%zu "
                         "bytes)",
                         r->path, (unsigned long long)hn, size);
  cv_st_entry *se;
  size_t ns;
  int rc = cv_st_parse_header(p + 8, (size_t)hn, size - 8 - hn, &se, &ns, &r->meta, &r->nmeta,
                              &r->err);
  if (rc) return tfckpt__err_prefix(&r->err, "%s", r->path);
  r->e = calloc(ns ? ns : 1, sizeof *r->e);
  if (!r->e) {
    cv_st_free(se, ns, NULL, 0);
    return tfckpt__seterr(&r->err, TFCKPT_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < ns; i++) {
    aent *e = &r->e[i];
    e->name = se[i].name;
    se[i].name = NULL;
    e->dtype = se[i].dtype;
    e->rank = se[i].rank;
    e->dims = se[i].dims;
    se[i].dims = NULL;
    e->data_off = 8 + hn + se[i].begin;
    e->nbytes = se[i].end - se[i].begin;
    e->method = -1;
  }
  r->n = ns;
  cv_st_free(se, ns, NULL, 0);
  return TFCKPT_OK;
}

int tfckpt_arrays_reader_open(const char *path, tfckpt_arrays_reader **out) {
  tfckpt_arrays_reader *r = calloc(1, sizeof *r);
  *out = r;
  if (!r) return TFCKPT_ENOMEM;
  if (!(r->path = strdup(path))) return tfckpt__seterr(&r->err, TFCKPT_ENOMEM, "out of memory");
  if (!tfckpt__host_is_le())
    return tfckpt__seterr(&r->err, TFCKPT_EUNSUPPORTED, "big-endian hosts are not supported");
  int rc = tfckpt__map_file(path, &r->map, &r->err);
  if (rc) return rc;
  const uint8_t *p = r->map.data;
  size_t size = r->map.size;
  if (size >= 6 && !memcmp(p, "\x93NUMPY", 6)) {
    r->format = FMT_NPY;
    return open_npy(r);
  }
  if (size >= 4 && (tfckpt__get_u32le(p) == ZIP_LOCAL_SIG || tfckpt__get_u32le(p) == ZIP_EOCD_SIG)) {
    r->format = FMT_NPZ;
    return open_npz(r);
  }
  if (size >= 9 && p[8] == '{') {
    r->format = FMT_ST;
    return open_st(r);
  }
  size_t l = strlen(path);
  if (l > 12 && !strcmp(path + l - 12, ".safetensors")) {
    r->format = FMT_ST;
    return open_st(r);
  }
  return tfckpt__seterr(&r->err, TFCKPT_EUNSUPPORTED,
                       "%s: not a .npy, .npz or .safetensors file (unrecognised first bytes)", path);
}

void tfckpt_arrays_reader_close(tfckpt_arrays_reader *r) {
  if (!r) return;
  for (size_t i = 0; i < r->n; i++) {
    free(r->e[i].name);
    free(r->e[i].dims);
  }
  free(r->e);
  cv_st_free(NULL, 0, r->meta, r->nmeta);
  tfckpt__mapped_close(&r->map);
  free(r->path);
  free(r);
}

/* ---- values ------------------------------------------------------------------ */

static void swap_bytes(uint8_t *p, uint64_t nbytes, size_t unit) {
  for (uint64_t i = 0; i + unit <= nbytes; i += unit)
    for (size_t a = 0, b = unit - 1; a < b; a++, b--) {
      uint8_t t = p[i + a];
      p[i + a] = p[i + b];
      p[i + b] = t;
    }
}

/* Copies column-major `src` into row-major `dst`. */
static void from_fortran(uint8_t *dst, const uint8_t *src, int rank, const int64_t *dims, size_t es,
                         int64_t n) {
  int64_t idx[TFCKPT_MAX_RANK] = {0}, stride[TFCKPT_MAX_RANK];
  int64_t s = 1;
  for (int d = 0; d < rank; d++) stride[d] = s, s *= dims[d];
  int64_t off = 0;
  for (int64_t i = 0; i < n; i++) {
    memcpy(dst + (size_t)i * es, src + (size_t)off * es, es);
    for (int d = rank - 1; d >= 0; d--) {
      off += stride[d];
      if (++idx[d] < dims[d]) break;
      off -= stride[d] * dims[d];
      idx[d] = 0;
    }
  }
}

int tfckpt_arrays_reader_get(tfckpt_arrays_reader *r, int64_t i, tfckpt_tensor **out) {
  *out = NULL;
  if (!r->map.data && r->n) return tfckpt__seterr(&r->err, TFCKPT_EINVAL, "reader not open");
  if (i < 0 || (size_t)i >= r->n)
    return tfckpt__seterr(&r->err, TFCKPT_EINVAL, "tensor index %lld out of range", (long long)i);
  const aent *e = &r->e[i];
  const uint8_t *p = r->map.data;
  uint8_t *inflated = NULL;
  const uint8_t *vals;
  if (e->method >= 0) { /* zip member: check the CRC of what we use */
    const uint8_t *member = p + e->data_off;
    if (e->method == 8) {
      if (e->usize > SIZE_MAX || !(inflated = malloc(e->usize ? (size_t)e->usize : 1)))
        return tfckpt__seterr(&r->err, TFCKPT_ENOMEM, "%s: member %s.npy: out of memory", r->path,
                             e->name);
      z_stream zs;
      memset(&zs, 0, sizeof zs);
      int zr = inflateInit2(&zs, -15);
      uint64_t in_left = e->csize, out_left = e->usize;
      zs.next_in = (Bytef *)(uintptr_t)member;
      zs.next_out = inflated;
      while (zr == Z_OK) {
        if (!zs.avail_in && in_left) {
          zs.avail_in = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
          in_left -= zs.avail_in;
        }
        if (!zs.avail_out && out_left) {
          zs.avail_out = out_left > (1u << 30) ? (1u << 30) : (uInt)out_left;
          out_left -= zs.avail_out;
        }
        zr = inflate(&zs, Z_NO_FLUSH);
        if (zr == Z_BUF_ERROR && !zs.avail_out && !out_left) break; /* more data than declared */
        if (zr == Z_BUF_ERROR && !zs.avail_in && !in_left) break;
      }
      uint64_t produced = zs.total_out;
      inflateEnd(&zs);
      if (zr != Z_STREAM_END || produced != e->usize) {
        free(inflated);
        return tfckpt__seterr(&r->err, TFCKPT_ECORRUPT,
                             "%s: member %s.npy: deflate data is corrupt or does not match its "
                             "declared size %llu",
                             r->path, e->name, (unsigned long long)e->usize);
      }
      member = inflated;
    }
    uint32_t crc = cv_crc32(0, member, (size_t)e->usize);
    if (crc != e->crc) {
      free(inflated);
      return tfckpt__seterr(&r->err, TFCKPT_ECHECKSUM,
                           "%s: member %s.npy: CRC-32 mismatch (stored %08x, computed %08x)",
                           r->path, e->name, e->crc, crc);
    }
    vals = member + e->hdr_len;
  } else {
    vals = p + e->data_off;
  }
  tfckpt_tensor *t;
  int rc = tfckpt__tensor_shell(e->dtype, e->rank, e->dims, &t);
  if (rc) {
    free(inflated);
    return tfckpt__seterr(&r->err, rc, "%s: %s: cannot make a tensor of this shape", r->path, e->name);
  }
  if (t->nbytes != e->nbytes) {
    free(inflated);
    tfckpt_tensor_free(t);
    return tfckpt__seterr(&r->err, TFCKPT_ECORRUPT, "%s: %s: size mismatch", r->path, e->name);
  }
  if (!inflated && !e->big_endian && !(e->fortran && e->rank > 1)) {
    t->data = (void *)(uintptr_t)vals; /* a view of the mapping */
    t->owns_data = 0;
    *out = t;
    return TFCKPT_OK;
  }
  t->data = malloc(t->nbytes ? t->nbytes : 1);
  t->owns_data = 1;
  if (!t->data) {
    free(inflated);
    tfckpt_tensor_free(t);
    return tfckpt__seterr(&r->err, TFCKPT_ENOMEM, "%s: %s: out of memory", r->path, e->name);
  }
  size_t es = tfckpt_dtype_size(e->dtype);
  if (e->fortran && e->rank > 1) from_fortran(t->data, vals, e->rank, e->dims, es, t->n);
  else memcpy(t->data, vals, t->nbytes);
  if (e->big_endian)
    swap_bytes(t->data, t->nbytes,
               e->dtype == TFCKPT_COMPLEX64 || e->dtype == TFCKPT_COMPLEX128 ? es / 2 : es);
  free(inflated);
  *out = t;
  return TFCKPT_OK;
}
