/* Corruption test over every fixture checkpoint (issue 7, item 2).
 *
 * Each V2 bundle and V1 file is copied to a temporary directory and damaged
 * in place, one case at a time, then restored:
 *   - truncation at every table block boundary (start, end of contents, end
 *     of trailer) of the index / V1 file, at the footer, at up to 64 tensor
 *     starts (evenly spread) of each data file, and at pseudo-random lengths;
 *   - pseudo-random single-byte changes (xor with a random non-zero byte);
 *   - pseudo-random multi-byte changes (scattered bytes, or a burst overwritten
 *     with random bytes).
 * After every change the checkpoint is opened, listed, verified and fully read
 * through the C API.  A case may end as
 *   correct   every variable listed as before and every value equal;
 *   error     open or a read failed with a message naming the file;
 *   checksum  open (table block CRC) or a read/verify reported a checksum
 *             mismatch;
 * and must never end with a value or listing silently different from the
 * original, a crash, or a hang (SIGALRM after 30 s per case).  A sample of the
 * cases also runs the CLI (ls, verify, dump) and checks it exits 0 or 1 with a
 * message.  Every pseudo-random choice comes from a fixed seed per file.
 *
 * TFCKPT_QUICK=1 runs fewer cases (sanitizer CI). */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/rng.h"
#include "harness.h"
#include "tfckpt/reader.h"
#include "tfckpt/tensor.h"

enum { K_CORRECT, K_ERROR, K_CHECKSUM, K_NKINDS };
enum { M_TRUNC, M_SINGLE, M_MULTI, M_NMUT };
static const char *const kind_name[K_NKINDS] = {"correct", "clear error", "checksum mismatch"};
static const char *const mut_name[M_NMUT] = {"truncation", "single-byte change",
                                             "multi-byte change"};

typedef struct var_base {
  char *name;
  tfckpt_dtype dtype;
  int rank;
  int64_t dims[16];
  uint8_t *bytes; /* canonical value bytes; NULL when the original read failed */
  size_t nbytes;
} var_base;

typedef struct ckfile {
  char *path;     /* copy in the temporary directory */
  uint8_t *orig;  /* original contents */
  size_t size;
  int is_table;   /* index file or V1 file */
} ckfile;

typedef struct ckpt {
  char *label;     /* fixture-relative name, for messages */
  char *open_path; /* prefix (V2) or file (V1) in the temporary directory */
  char *base;      /* basename every message should mention */
  ckfile files[8];
  int nfiles;
  var_base *vars;
  int64_t nvars;
} ckpt;

typedef struct run_stats {
  long count[M_NMUT][K_NKINDS];
  long failures, cli_runs;
  int quiet; /* the self-check's expected failure is not printed */
} run_stats;

/* ---- deterministic pseudo-random numbers ------------------------------- */

/* the library's splitmix64 step, so the corruptions of a file stay the
 * ones earlier runs tested */
static uint64_t rng_next(uint64_t *s) { return tfckpt__splitmix64(s); }
static uint64_t rng_seed(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
  return h;
}

/* ---- a hang guard ------------------------------------------------------- */

static char g_case[512];
static void on_alarm(int sig) {
  (void)sig;
  static const char m[] = "test_ckpt_reader_corruption: case did not finish within 30 s: ";
  (void)!write(2, m, sizeof m - 1);
  (void)!write(2, g_case, strlen(g_case));
  (void)!write(2, "\n", 1);
  _exit(3);
}

/* ---- canonical value bytes ---------------------------------------------- */

static uint8_t *tensor_bytes(const tfckpt_tensor *t, size_t *n) {
  int dt = tfckpt_tensor_dtype(t);
  if (dt != TFCKPT_STRING && dt != TFCKPT_VARIANT) {
    *n = tfckpt_tensor_nbytes(t);
    uint8_t *b = malloc(*n ? *n : 1);
    if (b && *n) memcpy(b, tfckpt_tensor_data(t), *n);
    return b;
  }
  /* strings: (u64 length, bytes) per element */
  int64_t ne = tfckpt_tensor_num_elements(t);
  size_t cap = 64, len = 0;
  uint8_t *b = malloc(cap);
  for (int64_t i = 0; b && i < ne; i++) {
    const uint8_t *p = NULL;
    size_t l = 0;
    if (tfckpt_tensor_get_string(t, i, &p, &l) != TFCKPT_OK) {
      free(b);
      return NULL;
    }
    while (len + 8 + l > cap) {
      cap *= 2;
      uint8_t *nb = realloc(b, cap);
      if (!nb) {
        free(b);
        return NULL;
      }
      b = nb;
    }
    uint64_t l64 = l;
    memcpy(b + len, &l64, 8);
    if (l) memcpy(b + len + 8, p, l);
    len += 8 + l;
  }
  *n = len;
  return b;
}

/* ---- one check of the (possibly damaged) checkpoint --------------------- */

static int msg_ok(const ckpt *c, const char *msg) {
  return msg && *msg && strstr(msg, c->base) != NULL;
}

static void failf(run_stats *st, const char *what, const char *detail) {
  st->failures++;
  if (!st->quiet && st->failures <= 30) fprintf(stderr, "FAIL [%s] %s: %s\n", g_case, what, detail);
}

/* Opens, lists, verifies and reads everything; returns the case's kind. */
static int check_ckpt(const ckpt *c, run_stats *st) {
  tfckpt_reader *r = NULL;
  int rc = tfckpt_reader_open(c->open_path, &r);
  if (rc != TFCKPT_OK) {
    if (!msg_ok(c, tfckpt_reader_errmsg(r))) failf(st, "open error without the file name",
                                                   tfckpt_reader_errmsg(r));
    tfckpt_reader_close(r);
    return rc == TFCKPT_ECHECKSUM ? K_CHECKSUM : K_ERROR; /* table block CRC */
  }
  int kind = K_CORRECT;
  int64_t n = tfckpt_reader_num_variables(r);
  if (n != c->nvars) {
    char d[128];
    snprintf(d, sizeof d, "%lld variables listed, the original has %lld", (long long)n,
             (long long)c->nvars);
    failf(st, "listing silently differs", d);
    tfckpt_reader_close(r);
    return K_CORRECT;
  }
  for (int64_t i = 0; i < n; i++) {
    const var_base *b = &c->vars[i];
    tfckpt_var_info v;
    if (tfckpt_reader_var(r, i, &v) != TFCKPT_OK) {
      failf(st, "tfckpt_reader_var failed", b->name);
      continue;
    }
    int same = !strcmp(v.name, b->name) && v.dtype == b->dtype && v.rank == b->rank;
    for (int k = 0; same && k < v.rank && k < 16; k++) same = v.dims[k] == b->dims[k];
    if (!same) {
      failf(st, "variable silently differs from the original", b->name);
      continue;
    }
    int vrc = tfckpt_reader_verify(r, i);
    if (vrc != TFCKPT_OK) {
      if (vrc == TFCKPT_ECHECKSUM) kind = K_CHECKSUM;
      else if (kind == K_CORRECT) kind = K_ERROR;
      if (!msg_ok(c, tfckpt_reader_errmsg(r)))
        failf(st, "verify error without the file name", tfckpt_reader_errmsg(r));
    }
    tfckpt_tensor *t = NULL;
    int grc = tfckpt_reader_get_tensor_at(r, i, &t);
    if (grc == TFCKPT_OK) {
      size_t nb = 0;
      uint8_t *bytes = tensor_bytes(t, &nb);
      if (!b->bytes) failf(st, "a read succeeded where the original's failed", b->name);
      else if (!bytes || nb != b->nbytes || memcmp(bytes, b->bytes, nb))
        failf(st, "VALUE SILENTLY DIFFERENT from the original", b->name);
      else if (vrc != TFCKPT_OK)
        failf(st, "verify failed but the read returned the original values", b->name);
      free(bytes);
      tfckpt_tensor_free(t);
    } else {
      if (grc == TFCKPT_ECHECKSUM) kind = K_CHECKSUM;
      else if (kind == K_CORRECT) kind = K_ERROR;
      if (!msg_ok(c, tfckpt_reader_errmsg(r)))
        failf(st, "read error without the file name", tfckpt_reader_errmsg(r));
    }
  }
  tfckpt_reader_close(r);
  return kind;
}

/* ---- the CLI on a sample of cases --------------------------------------- */

static void run_cli(const ckpt *c, run_stats *st, const char *tmpdir) {
  const char *bin = getenv("TFCKPT_BIN");
  if (!bin || access(bin, X_OK) != 0) return;
  static const char *const cmds[] = {"ls", "verify", "dump"};
  for (int k = 0; k < 3; k++) {
    char errf[1024], outf[1024], cmd[4096];
    snprintf(errf, sizeof errf, "%s/cli.err", tmpdir);
    snprintf(outf, sizeof outf, "%s/cli.out", tmpdir);
    const char *ao = getenv("ASAN_OPTIONS"), *uo = getenv("UBSAN_OPTIONS");
    /* sanitizer reports must not look like the CLI's own exit status 1 */
    snprintf(cmd, sizeof cmd,
             "ASAN_OPTIONS='%s%sexitcode=99' UBSAN_OPTIONS='%s%sexitcode=99' '%s' %s '%s' "
             ">'%s' 2>'%s'",
             ao ? ao : "", ao ? ":" : "", uo ? uo : "", uo ? ":" : "", bin, cmds[k],
             c->open_path, outf, errf);
    int w = system(cmd);
    st->cli_runs++;
    char detail[1200];
    if (w == -1 || !WIFEXITED(w) || (WEXITSTATUS(w) != 0 && WEXITSTATUS(w) != 1)) {
      snprintf(detail, sizeof detail, "tfckpt %s: wait status %d (see %s)", cmds[k], w, errf);
      failf(st, "CLI crashed or misbehaved", detail);
      continue;
    }
    if (WEXITSTATUS(w) == 1) {
      size_t n = 0;
      uint8_t *e = tu_read_file(errf, &n);
      char want[64];
      snprintf(want, sizeof want, "tfckpt %s: ", cmds[k]);
      /* verify reports damaged tensors on stdout ("FAILED  name: ...") */
      size_t on = 0;
      uint8_t *o = k == 1 ? tu_read_file(outf, &on) : NULL;
      int reported = o && memmem(o, on, "FAILED", 6);
      free(o);
      if (!reported && (!e || n == 0 || !memmem(e, n, want, strlen(want)))) {
        snprintf(detail, sizeof detail, "tfckpt %s exited 1 without a message", cmds[k]);
        failf(st, "CLI error unclear", detail);
      }
      free(e);
    }
  }
}

/* ---- setting up one checkpoint ----------------------------------------- */

static int add_file(ckpt *c, const char *src, const char *tmpdir, int is_table) {
  if (c->nfiles == 8) return -1;
  ckfile *f = &c->files[c->nfiles];
  const char *slash = strrchr(src, '/');
  f->path = tu_path(tmpdir, slash ? slash + 1 : src);
  f->orig = tu_read_file(src, &f->size);
  f->is_table = is_table;
  if (!f->orig || tu_write_file(f->path, f->orig, f->size)) return -1;
  c->nfiles++;
  return 0;
}

static int load_baseline(ckpt *c) {
  tfckpt_reader *r = NULL;
  if (tfckpt_reader_open(c->open_path, &r) != TFCKPT_OK) {
    fprintf(stderr, "%s: the original does not open: %s\n", c->label, tfckpt_reader_errmsg(r));
    tfckpt_reader_close(r);
    return -1;
  }
  c->nvars = tfckpt_reader_num_variables(r);
  c->vars = calloc((size_t)c->nvars + 1, sizeof *c->vars);
  for (int64_t i = 0; i < c->nvars; i++) {
    var_base *b = &c->vars[i];
    tfckpt_var_info v;
    tfckpt_reader_var(r, i, &v);
    b->name = strdup(v.name);
    b->dtype = v.dtype;
    b->rank = v.rank;
    for (int k = 0; k < v.rank && k < 16; k++) b->dims[k] = v.dims[k];
    tfckpt_tensor *t;
    if (tfckpt_reader_get_tensor_at(r, i, &t) == TFCKPT_OK) {
      b->bytes = tensor_bytes(t, &b->nbytes);
      tfckpt_tensor_free(t);
    }
  }
  tfckpt_reader_close(r);
  return 0;
}

static void free_ckpt(ckpt *c) {
  for (int i = 0; i < c->nfiles; i++) {
    free(c->files[i].path);
    free(c->files[i].orig);
  }
  for (int64_t i = 0; i < c->nvars; i++) {
    free(c->vars[i].name);
    free(c->vars[i].bytes);
  }
  free(c->vars);
  free(c->label);
  free(c->open_path);
  free(c->base);
}

/* ---- table block boundaries --------------------------------------------- */

static const uint8_t *varint(const uint8_t *p, const uint8_t *end, uint64_t *v) {
  *v = 0;
  for (int s = 0; p < end && s < 64; s += 7) {
    uint8_t b = *p++;
    *v |= (uint64_t)(b & 0x7f) << s;
    if (b < 0x80) return p;
  }
  return NULL;
}

/* Appends the offsets where each block of the table starts and ends (with
 * and without its trailer): the index block's handles, the index and
 * metaindex blocks themselves and the footer. */
static size_t table_boundaries(const uint8_t *d, size_t size, uint64_t *out, size_t cap) {
  size_t n = 0;
#define PUT(x) do { if (n < cap) out[n++] = (x); } while (0)
  if (size < 48) return 0;
  const uint8_t *p = d + size - 48, *e = d + size - 8;
  uint64_t mo, ms, io, is;
  if (!(p = varint(p, e, &mo)) || !(p = varint(p, e, &ms)) || !(p = varint(p, e, &io)) ||
      !(p = varint(p, e, &is)))
    return 0;
  PUT(size - 48);
  PUT(mo); PUT(mo + ms); PUT(mo + ms + 5);
  PUT(io); PUT(io + is); PUT(io + is + 5);
  if (io + is + 5 > size || is < 4 || d[io + is] != 0) return n; /* compressed index */
  const uint8_t *blk = d + io;
  uint32_t nrest = (uint32_t)blk[is - 4] | (uint32_t)blk[is - 3] << 8 |
                   (uint32_t)blk[is - 2] << 16 | (uint32_t)blk[is - 1] << 24;
  if ((uint64_t)nrest * 4 + 4 > is) return n;
  const uint8_t *q = blk, *qe = blk + is - 4 - 4 * (uint64_t)nrest;
  while (q && q < qe) {
    uint64_t shared, nonshared, vlen, bo, bs;
    if (!(q = varint(q, qe, &shared)) || !(q = varint(q, qe, &nonshared)) ||
        !(q = varint(q, qe, &vlen)))
      break;
    if (nonshared > (uint64_t)(qe - q) || vlen > (uint64_t)(qe - q) - nonshared) break;
    q += nonshared;
    const uint8_t *v = q, *ve = q + vlen;
    if ((v = varint(v, ve, &bo)) && varint(v, ve, &bs)) {
      PUT(bo); PUT(bo + bs); PUT(bo + bs + 5);
    }
    q += vlen;
  }
#undef PUT
  return n;
}

/* Tensor start offsets in data file `shard`. */
static size_t data_boundaries(const char *open_path, int shard, uint64_t *out, size_t cap) {
  tfckpt_reader *r = NULL;
  size_t n = 0;
  if (tfckpt_reader_open(open_path, &r) == TFCKPT_OK) {
    for (int64_t i = 0; i < tfckpt_reader_num_variables(r); i++) {
      tfckpt_var_info v;
      tfckpt_reader_var(r, i, &v);
      if (v.num_slices == 0 && v.shard == shard && n < cap) out[n++] = (uint64_t)v.offset;
      for (int k = 0; k < v.num_slices; k++) {
        tfckpt_slice_info si;
        if (tfckpt_reader_slice(r, i, k, &si) == TFCKPT_OK && si.shard == shard && n < cap)
          out[n++] = (uint64_t)si.offset;
      }
    }
  }
  tfckpt_reader_close(r);
  return n;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* ---- running the cases -------------------------------------------------- */

typedef struct budget {
  int random_truncs;
  int table_bounds, data_bounds; /* boundaries used per file (0: all) */
  int singles_table, multis_table, singles_data, multis_data;
  int cli_every;
} budget;

static long g_caseno;

static void finish_case(const ckpt *c, run_stats *st, int mut) {
  alarm(30);
  int kind = check_ckpt(c, st);
  alarm(0);
  st->count[mut][kind]++;
  g_caseno++;
}

static void restore(const ckfile *f, uint64_t from, uint64_t to) {
  int fd = open(f->path, O_WRONLY);
  if (fd < 0 || pwrite(fd, f->orig + from, to - from, (off_t)from) != (ssize_t)(to - from)) {
    perror(f->path);
    exit(2);
  }
  close(fd);
}

static void run_file(ckpt *c, int fi, const budget *bg, run_stats *st, const char *tmpdir) {
  ckfile *f = &c->files[fi];
  uint64_t seed = rng_seed(f->path + strlen(tmpdir));
  const char *fname = strrchr(f->path, '/') + 1;

  /* truncations */
  size_t cap = 4096, n = 0;
  uint64_t *len = malloc(cap * sizeof *len);
  if (f->is_table) {
    n = table_boundaries(f->orig, f->size, len, cap - 64);
  } else {
    int shard = 0;
    const char *d = strstr(fname, ".data-");
    if (d) shard = atoi(d + 6);
    n = data_boundaries(c->open_path, shard, len, cap - 64);
  }
  qsort(len, n, sizeof *len, cmp_u64);
  /* an evenly spread sample of the boundaries (quick mode; tensor starts) */
  int bcap = f->is_table ? bg->table_bounds : bg->data_bounds;
  if (bcap && n > (size_t)bcap) {
    size_t step = n / (size_t)bcap + 1, m = 0;
    for (size_t i = 0; i < n; i += step) len[m++] = len[i];
    n = m;
  }
  len[n++] = 0;
  len[n++] = 1;
  if (f->size > 1) len[n++] = f->size - 1;
  for (int i = 0; i < bg->random_truncs; i++) len[n++] = rng_next(&seed) % f->size;
  qsort(len, n, sizeof *len, cmp_u64);
  for (size_t i = 0; i < n; i++) {
    if (len[i] >= f->size || (i > 0 && len[i] == len[i - 1])) continue;
    snprintf(g_case, sizeof g_case, "%s: %s truncated to %llu bytes", c->label, fname,
             (unsigned long long)len[i]);
    if (tu_truncate(f->path, (long long)len[i])) exit(2);
    finish_case(c, st, M_TRUNC);
    if ((g_caseno % bg->cli_every) == 0) run_cli(c, st, tmpdir);
    restore(f, len[i], f->size);
  }
  free(len);

  /* byte changes */
  int singles = f->is_table ? bg->singles_table : bg->singles_data;
  int multis = f->is_table ? bg->multis_table : bg->multis_data;
  int fd = open(f->path, O_WRONLY);
  if (fd < 0) exit(2);
  for (int i = 0; i < singles + multis; i++) {
    int multi = i >= singles;
    uint64_t lo, hi;
    if (!multi) {
      uint64_t pos = rng_next(&seed) % f->size;
      uint8_t b = f->orig[pos] ^ (uint8_t)(1 + rng_next(&seed) % 255);
      (void)!pwrite(fd, &b, 1, (off_t)pos);
      lo = pos;
      hi = pos + 1;
      snprintf(g_case, sizeof g_case, "%s: %s byte %llu changed", c->label, fname,
               (unsigned long long)pos);
    } else if (rng_next(&seed) & 1) {
      /* a burst of 2..32 random bytes */
      uint64_t blen = 2 + rng_next(&seed) % 31;
      if (blen > f->size) blen = f->size;
      lo = rng_next(&seed) % (f->size - blen + 1);
      hi = lo + blen;
      uint8_t buf[32];
      for (uint64_t k = 0; k < blen; k++) buf[k] = (uint8_t)rng_next(&seed);
      (void)!pwrite(fd, buf, blen, (off_t)lo);
      snprintf(g_case, sizeof g_case, "%s: %s bytes %llu..%llu overwritten", c->label, fname,
               (unsigned long long)lo, (unsigned long long)hi - 1);
    } else {
      /* 2..8 scattered bytes */
      int k = 2 + (int)(rng_next(&seed) % 7);
      lo = f->size;
      hi = 0;
      for (int j = 0; j < k; j++) {
        uint64_t pos = rng_next(&seed) % f->size;
        uint8_t b = f->orig[pos] ^ (uint8_t)(1 + rng_next(&seed) % 255);
        (void)!pwrite(fd, &b, 1, (off_t)pos);
        if (pos < lo) lo = pos;
        if (pos + 1 > hi) hi = pos + 1;
      }
      snprintf(g_case, sizeof g_case, "%s: %s %d bytes changed in %llu..%llu", c->label, fname,
               k, (unsigned long long)lo, (unsigned long long)hi - 1);
    }
    finish_case(c, st, multi ? M_MULTI : M_SINGLE);
    if ((g_caseno % bg->cli_every) == 0) run_cli(c, st, tmpdir);
    if (pwrite(fd, f->orig + lo, hi - lo, (off_t)lo) != (ssize_t)(hi - lo)) exit(2);
  }
  close(fd);
}

/* ---- finding the fixtures ----------------------------------------------- */

static char **g_found;
static size_t g_nfound, g_capfound;

static int find_index(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)ftw;
  size_t l = strlen(path);
  if (flag == FTW_F && l > 6 && !strcmp(path + l - 6, ".index")) {
    if (g_nfound == g_capfound) {
      g_capfound = g_capfound ? 2 * g_capfound : 32;
      g_found = realloc(g_found, g_capfound * sizeof *g_found);
    }
    g_found[g_nfound++] = strndup(path, l - 6);
  }
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void) {
  const char *fx = getenv("TFCKPT_FIXTURES");
  if (!fx) {
    fprintf(stderr, "test_ckpt_reader_corruption: TFCKPT_FIXTURES not set\n");
    return 1;
  }
  int quick = getenv("TFCKPT_QUICK") && atoi(getenv("TFCKPT_QUICK")) > 0;
  /* full: every table block boundary, 64 tensor starts per data file */
  budget bg = quick ? (budget){4, 12, 8, 24, 12, 12, 6, 97}
                    : (budget){24, 0, 64, 400, 200, 200, 100, 211};
  signal(SIGALRM, on_alarm);
  nftw(fx, find_index, 16, FTW_PHYS);
  qsort(g_found, g_nfound, sizeof *g_found, cmp_str);
  static const char *const v1_files[] = {
      "v1_serving_session_bundle_half_plus_two/export-00000-of-00001",
      "v1_serving_bad_half_plus_two/export", "v1_acrobot_tf0x/model.ckpt",
      "spec_synthetic/v1_slices/model.ckpt-5"};
  size_t nv1 = sizeof v1_files / sizeof v1_files[0];

  run_stats st;
  memset(&st, 0, sizeof st);
  int checkpoints = 0;
  time_t t0 = time(NULL);
  for (size_t k = 0; k < g_nfound + nv1; k++) {
    char *tmp = tu_mkdtemp();
    ckpt c;
    memset(&c, 0, sizeof c);
    int ok = 0;
    if (k < g_nfound) {
      const char *prefix = g_found[k];
      c.label = strdup(prefix + strlen(fx) + (prefix[strlen(fx)] == '/'));
      const char *b = strrchr(prefix, '/') + 1;
      c.base = strdup(b);
      c.open_path = tu_path(tmp, b);
      char buf[4096];
      snprintf(buf, sizeof buf, "%s.index", prefix);
      ok = add_file(&c, buf, tmp, 1) == 0;
      for (int s = 0; ok; s++) {
        /* data files: <prefix>.data-NNNNN-of-MMMMM */
        DIR *dir;
        char dpath[4096];
        snprintf(dpath, sizeof dpath, "%.*s", (int)(b - prefix - 1), prefix);
        if (!(dir = opendir(dpath))) break;
        struct dirent *de;
        char want[1024];
        snprintf(want, sizeof want, "%s.data-%05d-of-", b, s);
        int found = 0;
        while ((de = readdir(dir)))
          if (!strncmp(de->d_name, want, strlen(want))) {
            snprintf(buf, sizeof buf, "%s/%s", dpath, de->d_name);
            found = 1;
            break;
          }
        closedir(dir);
        if (!found) break;
        ok = add_file(&c, buf, tmp, 0) == 0;
      }
      if (c.nfiles == 1) ok = 0; /* index only (index_only_missing_data_td3): nothing to read */
    } else {
      const char *rel = v1_files[k - g_nfound];
      c.label = strdup(rel);
      const char *b = strrchr(rel, '/') + 1;
      c.base = strdup(b);
      c.open_path = tu_path(tmp, b);
      ok = add_file(&c, tu_fixture(rel), tmp, 1) == 0;
    }
    if (ok && load_baseline(&c) == 0) {
      if (checkpoints == 0) {
        /* the check must notice a value that differs: pretend the original
         * held something else and expect exactly one failure */
        int64_t v = 0;
        while (v < c.nvars && (!c.vars[v].bytes || !c.vars[v].nbytes)) v++;
        CHECK(v < c.nvars);
        if (v < c.nvars) {
          run_stats probe;
          memset(&probe, 0, sizeof probe);
          probe.quiet = 1;
          snprintf(g_case, sizeof g_case, "self-check (one failure expected)");
          c.vars[v].bytes[0] ^= 1;
          check_ckpt(&c, &probe);
          c.vars[v].bytes[0] ^= 1;
          CHECK_EQ(probe.failures, 1);
        }
      }
      checkpoints++;
      for (int fi = 0; fi < c.nfiles; fi++) run_file(&c, fi, &bg, &st, tmp);
    } else if (ok) {
      st.failures++;
    }
    free_ckpt(&c);
    tu_rmtree(tmp);
    free(tmp);
  }
  for (size_t k = 0; k < g_nfound; k++) free(g_found[k]);
  free(g_found);

  long total = 0;
  printf("test_ckpt_reader_corruption: %d checkpoints, %s mode, %lds\n", checkpoints,
         quick ? "quick" : "full", (long)(time(NULL) - t0));
  for (int m = 0; m < M_NMUT; m++) {
    long n = 0;
    for (int k = 0; k < K_NKINDS; k++) n += st.count[m][k];
    total += n;
    printf("  %-20s %6ld cases:", mut_name[m], n);
    for (int k = 0; k < K_NKINDS; k++) printf("  %s %ld", kind_name[k], st.count[m][k]);
    printf("\n");
  }
  printf("  total %ld cases, %ld CLI runs, %ld failures\n", total, st.cli_runs, st.failures);
  CHECK(checkpoints >= 20);
  CHECK(total > (quick ? 1000 : 5000));
  CHECK_EQ(st.failures, 0);
  return tu_finish();
}
