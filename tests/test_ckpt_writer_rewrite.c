/* `tfckpt rewrite` on every V2 fixture (spec_synthetic included): the output
 * .index and .data-* files must be byte-identical to the input.  The known
 * exceptions are listed with their exact reason and everything else about
 * them is still checked:
 *   - snappy-compressed index data blocks (TF's open-source writer never
 *     compresses; neither does ours): data files identical, and the decoded
 *     index entries (keys and BundleEntryProto bytes) identical;
 *   - an index whose data file is missing: rewrite fails with a message
 *     naming the data file and leaves no output behind. */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/coding.h"
#include "tfckpt/internal/file.h"
#include "format/table.h"
#include "harness.h"

typedef struct kv_list {
  char **keys, **vals;
  size_t *klen, *vlen;
  size_t n, cap;
} kv_list;

static int collect(void *ctx, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl) {
  kv_list *l = ctx;
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 64;
    l->keys = realloc(l->keys, l->cap * sizeof *l->keys);
    l->vals = realloc(l->vals, l->cap * sizeof *l->vals);
    l->klen = realloc(l->klen, l->cap * sizeof *l->klen);
    l->vlen = realloc(l->vlen, l->cap * sizeof *l->vlen);
  }
  l->keys[l->n] = malloc(kl + 1);
  if (kl) memcpy(l->keys[l->n], k, kl);
  l->vals[l->n] = malloc(vl + 1);
  if (vl) memcpy(l->vals[l->n], v, vl);
  l->klen[l->n] = kl;
  l->vlen[l->n] = vl;
  l->n++;
  return 0;
}

static void kv_free(kv_list *l) {
  for (size_t i = 0; i < l->n; i++) free(l->keys[i]), free(l->vals[i]);
  free(l->keys), free(l->vals), free(l->klen), free(l->vlen);
}

static int read_entries(const char *path, kv_list *out) {
  tfckpt__mapped m;
  tfckpt__err err = {0, ""};
  memset(out, 0, sizeof *out);
  if (tfckpt__map_file(path, &m, &err)) return -1;
  tfckpt__table *t;
  int rc = tfckpt__table_open(m.data, m.size, path, &t, &err);
  if (!rc) {
    rc = tfckpt__table_foreach(t, collect, out, &err);
    tfckpt__table_close(t);
  }
  tfckpt__mapped_close(&m);
  return rc;
}

/* Number of data blocks stored with compression type 1 (Snappy): read the
 * footer's index handle, walk the (uncompressed) index block entries and
 * look at each data block's trailer byte. */
static int snappy_blocks(const char *path) {
  tfckpt__mapped m;
  tfckpt__err err = {0, ""};
  if (tfckpt__map_file(path, &m, &err) || m.size < 48) return -1;
  const uint8_t *f = m.data + m.size - 48, *end = m.data + m.size;
  uint64_t moff, msz, ioff, isz;
  const uint8_t *p = tfckpt__get_varint64(f, end, &moff);
  p = p ? tfckpt__get_varint64(p, end, &msz) : NULL;
  p = p ? tfckpt__get_varint64(p, end, &ioff) : NULL;
  p = p ? tfckpt__get_varint64(p, end, &isz) : NULL;
  int n = 0;
  if (!p || ioff + isz + 5 > m.size || m.data[ioff + isz] != 0) {
    tfckpt__mapped_close(&m);
    return -1;
  }
  const uint8_t *b = m.data + ioff, *bend = b + isz;
  uint32_t nrestarts = tfckpt__get_u32le(bend - 4);
  const uint8_t *limit = bend - 4 - 4 * (size_t)nrestarts;
  while (b < limit) {
    uint32_t shared, unshared, vlen;
    b = tfckpt__get_varint32(b, limit, &shared);
    b = b ? tfckpt__get_varint32(b, limit, &unshared) : NULL;
    b = b ? tfckpt__get_varint32(b, limit, &vlen) : NULL;
    if (!b) break;
    const uint8_t *v = b + unshared;
    uint64_t off, sz;
    const uint8_t *q = tfckpt__get_varint64(v, v + vlen, &off);
    q = q ? tfckpt__get_varint64(q, v + vlen, &sz) : NULL;
    if (q && off + sz < m.size && m.data[off + sz] == 1) n++;
    b = v + vlen;
  }
  tfckpt__mapped_close(&m);
  return n;
}

static int files_equal(const char *a, const char *b) {
  tfckpt__mapped ma, mb;
  tfckpt__err err = {0, ""};
  if (tfckpt__map_file(a, &ma, &err)) return 0;
  if (tfckpt__map_file(b, &mb, &err)) {
    tfckpt__mapped_close(&ma);
    return 0;
  }
  int eq = ma.size == mb.size && (!ma.size || !memcmp(ma.data, mb.data, ma.size));
  tfckpt__mapped_close(&ma);
  tfckpt__mapped_close(&mb);
  return eq;
}

/* Fixtures that cannot come out identical, and why. */
static const struct {
  const char *dir;
  const char *reason;
} kExpected[] = {
    {"savedmodel_tf1_serving_half_plus_two_cpu", "snappy"},
    {"savedmodel_tf2_serving_half_plus_two", "snappy"},
    {"savedmodel_tfdf_bool", "snappy"},
    {"index_only_missing_data_td3", "missing-data"},
};

static const char *expected_reason(const char *rel) {
  for (size_t i = 0; i < sizeof kExpected / sizeof kExpected[0]; i++)
    if (!strncmp(rel, kExpected[i].dir, strlen(kExpected[i].dir))) return kExpected[i].reason;
  return NULL;
}

static int n_identical, n_snappy, n_missing, n_total;

static void check_one(const char *bin, const char *fixtures, const char *rel_prefix,
                      const char *outdir) {
  char in[4096], out[4096], cmd[12000], a[4200], b[4200];
  snprintf(in, sizeof in, "%s/%s", fixtures, rel_prefix);
  snprintf(out, sizeof out, "%s/out", outdir);
  snprintf(cmd, sizeof cmd, "'%s' rewrite --quiet '%s' '%s' 2>'%s/stderr'", bin, in, out, outdir);
  int status = system(cmd);
  const char *reason = expected_reason(rel_prefix);
  n_total++;
  if (reason && !strcmp(reason, "missing-data")) {
    CHECK(status != 0);
    char errpath[4200];
    snprintf(errpath, sizeof errpath, "%s/stderr", outdir);
    size_t len;
    char *msg = NULL;
    tfckpt__err err = {0, ""};
    tfckpt__read_file(errpath, 1 << 20, &msg, &len, &err);
    CHECK_CONTAINS(msg, "data file missing");
    free(msg);
    unlink(errpath);
    CHECK_EQ(tu_count_files(outdir, NULL), 0); /* nothing left behind */
    printf("%-70s not rewritable: its data file is missing (error reported, no output)\n",
           rel_prefix);
    n_missing++;
    return;
  }
  if (!CHECKF(status == 0, "%s: rewrite failed (status %d)", rel_prefix, status)) return;
  /* every input data file is identical to its output twin */
  DIR *d = opendir(outdir);
  struct dirent *e;
  int ndata = 0, data_ok = 1;
  while ((e = readdir(d))) {
    if (strncmp(e->d_name, "out.data-", 9)) continue;
    ndata++;
    snprintf(a, sizeof a, "%s%s", in, e->d_name + 3);
    snprintf(b, sizeof b, "%s/%s", outdir, e->d_name);
    if (!CHECKF(files_equal(a, b), "%s: %s differs", rel_prefix, e->d_name)) data_ok = 0;
  }
  closedir(d);
  CHECK(ndata > 0);
  snprintf(a, sizeof a, "%s.index", in);
  snprintf(b, sizeof b, "%s.index", out);
  int index_same = files_equal(a, b);
  if (!reason) {
    if (CHECKF(index_same, "%s: .index differs from TensorFlow's", rel_prefix) && data_ok) {
      n_identical++;
      printf("%-70s byte-identical (.index + %d data file%s)\n", rel_prefix, ndata,
             ndata > 1 ? "s" : "");
    }
  } else {
    /* the snappy fixtures: the reason must really hold, and the entries match */
    int ns = snappy_blocks(a);
    CHECK(ns > 0);
    CHECK(!index_same);
    CHECK_EQ(snappy_blocks(b), 0);
    kv_list x, y;
    CHECK_EQ(read_entries(a, &x), 0);
    CHECK_EQ(read_entries(b, &y), 0);
    CHECK_EQ(x.n, y.n);
    for (size_t i = 0; i < x.n && i < y.n; i++)
      CHECKF(x.klen[i] == y.klen[i] && !memcmp(x.keys[i], y.keys[i], x.klen[i]) &&
                 x.vlen[i] == y.vlen[i] && !memcmp(x.vals[i], y.vals[i], x.vlen[i]),
             "%s: index entry %zu differs", rel_prefix, i);
    kv_free(&x);
    kv_free(&y);
    n_snappy++;
    printf("%-70s data identical; .index differs only because TF's file has %d "
           "snappy-compressed block%s (our writer, like TF's, never compresses): all %zu "
           "decoded entries identical\n",
           rel_prefix, ns, ns > 1 ? "s" : "", x.n);
  }
  /* clean for the next fixture */
  d = opendir(outdir);
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    snprintf(b, sizeof b, "%s/%s", outdir, e->d_name);
    unlink(b);
  }
  closedir(d);
}

/* Every *.index under dir, as a prefix relative to the fixtures root. */
static void walk(const char *bin, const char *root, const char *rel, const char *outdir) {
  char path[4096];
  snprintf(path, sizeof path, "%s%s%s", root, *rel ? "/" : "", rel);
  DIR *d = opendir(path);
  if (!d) return;
  struct dirent *e;
  char **names = NULL;
  size_t n = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    names = realloc(names, (n + 1) * sizeof *names);
    names[n++] = strdup(e->d_name);
  }
  closedir(d);
  for (size_t i = 0; i < n; i++) {
    char sub[4096], full[4200];
    snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", names[i]);
    snprintf(full, sizeof full, "%s/%s", root, sub);
    size_t len = strlen(sub);
    if (tfckpt__is_dir(full)) {
      walk(bin, root, sub, outdir);
    } else if (len > 6 && !strcmp(sub + len - 6, ".index")) {
      sub[len - 6] = 0;
      check_one(bin, root, sub, outdir);
    }
    free(names[i]);
  }
  free(names);
}

int main(void) {
  const char *fixtures = getenv("TFCKPT_FIXTURES"), *bin = getenv("TFCKPT_BIN");
  if (!fixtures || !bin) {
    fprintf(stderr, "TFCKPT_FIXTURES and TFCKPT_BIN must be set (run through ctest)\n");
    return 1;
  }
  char *outdir = tu_mkdtemp();
  walk(bin, fixtures, "", outdir);
  printf("%d V2 fixtures: %d byte-identical, %d identical except snappy index blocks, "
         "%d unreadable (missing data)\n",
         n_total, n_identical, n_snappy, n_missing);
  /* 21 TF-written indexes + 3 spec_synthetic ones */
  CHECK_EQ(n_total, 24);
  CHECK_EQ(n_identical, 20);
  CHECK_EQ(n_snappy, 3);
  CHECK_EQ(n_missing, 1);
  free(outdir);
  return tu_finish();
}
