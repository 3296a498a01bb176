/* One reader shared by several threads (include/tfckpt/reader.h, "Threads"):
 * every value read equals a single-threaded read through a second reader,
 * and right after each failing call, tfckpt_reader_errmsg() and
 * tfckpt_errmsg() name the calling thread's own bad name, however the other
 * threads' calls interleave.  The shared reader is not used before the
 * threads start, so its lazy data-file mapping happens under contention.
 * Run it under TSan too (README: -DTFCKPT_TSAN=ON). */
#include <inttypes.h>
#include <pthread.h>

#include "harness.h"
#include "tfckpt/reader.h"

enum { NTHREADS = 6 };

static const char *const fixtures[] = {
    "tf1_sharded_t2t_transformer",                       /* 2 data files, 250 tensors */
    "spec_synthetic/partitioned_sharded/model.ckpt-100", /* assembled, owned tensors */
    "spec_synthetic/all_dtypes",                         /* strings, float16, bfloat16 */
    "v1_acrobot_tf0x",                                   /* the V1 backend */
};

typedef struct {
  tfckpt_reader *r;  /* shared by all threads */
  int64_t nvars;
  const char **names;
  tfckpt_tensor **ref; /* read single-threaded through another reader */
  int iters;
  pthread_barrier_t start;
} shared;

typedef struct {
  shared *s;
  int id;
  long reads, failures_seen;
} worker;

static int same_tensor(const tfckpt_tensor *a, const tfckpt_tensor *b) {
  if (tfckpt_tensor_dtype(a) != tfckpt_tensor_dtype(b) ||
      tfckpt_tensor_rank(a) != tfckpt_tensor_rank(b) ||
      tfckpt_tensor_num_elements(a) != tfckpt_tensor_num_elements(b))
    return 0;
  int rank = tfckpt_tensor_rank(a);
  if (rank && memcmp(tfckpt_tensor_dims(a), tfckpt_tensor_dims(b), (size_t)rank * sizeof(int64_t)))
    return 0;
  if (tfckpt_tensor_dtype(a) != TFCKPT_STRING)
    return tfckpt_tensor_nbytes(a) == tfckpt_tensor_nbytes(b) &&
           !memcmp(tfckpt_tensor_data(a), tfckpt_tensor_data(b), tfckpt_tensor_nbytes(a));
  for (int64_t i = 0; i < tfckpt_tensor_num_elements(a); i++) {
    const uint8_t *x, *y;
    size_t nx, ny;
    if (tfckpt_tensor_get_string(a, i, &x, &nx) || tfckpt_tensor_get_string(b, i, &y, &ny) ||
        nx != ny || (nx && memcmp(x, y, nx)))
      return 0;
  }
  return 1;
}

/* The call just made failed with ENOTFOUND for `bad`; both messages must
 * quote this thread's name (the quotes keep "missing-1-1" from matching a
 * message about "missing-1-10"). */
static void check_own_message(shared *s, int rc, const char *bad) {
  char quoted[96];
  snprintf(quoted, sizeof quoted, "\"%s\"", bad);
  CHECK_EQ(rc, TFCKPT_ENOTFOUND);
  CHECK_CONTAINS(tfckpt_reader_errmsg(s->r), quoted);
  CHECK_CONTAINS(tfckpt_errmsg(), quoted);
}

static void *work(void *arg) {
  worker *w = arg;
  shared *s = w->s;
  pthread_barrier_wait(&s->start);
  for (int i = 0; i < s->iters; i++) {
    /* threads walk the variables at different strides, so they collide on
     * some and not on others */
    int64_t v = ((int64_t)w->id * 31 + (int64_t)i * (2 * w->id + 1)) % s->nvars;
    const char *name = s->names[v];
    tfckpt_tensor *t = NULL;
    int rc = (i & 1) ? tfckpt_reader_get_tensor_at(s->r, v, &t)
                     : tfckpt_reader_get_tensor(s->r, name, &t);
    if (CHECKF(rc == TFCKPT_OK, "thread %d: %s: %s", w->id, name, tfckpt_reader_errmsg(s->r)))
      CHECKF(same_tensor(t, s->ref[v]), "thread %d: %s differs from the single-threaded read",
             w->id, name);
    tfckpt_tensor_free(t);
    w->reads++;

    const tfckpt_tensor *ref = s->ref[v];
    if (tfckpt_tensor_dtype(ref) != TFCKPT_STRING) {
      size_t n = tfckpt_tensor_nbytes(ref);
      uint8_t *buf = malloc(n ? n : 1);
      rc = tfckpt_reader_read_into(s->r, name, buf, n);
      if (CHECKF(rc == TFCKPT_OK, "thread %d: read_into %s: %s", w->id, name,
                 tfckpt_reader_errmsg(s->r)))
        CHECK_MEM(buf, tfckpt_tensor_data(ref), n);
      free(buf);
      w->reads++;
    }
    if (i % 16 == 0) CHECK_EQ(tfckpt_reader_verify(s->r, v), TFCKPT_OK);

    char bad[64];
    snprintf(bad, sizeof bad, "missing-%d-%d", w->id, i);
    t = NULL;
    check_own_message(s, tfckpt_reader_get_tensor(s->r, bad, &t), bad);
    CHECK(t == NULL);
    /* a success in between must not let another thread's failure show */
    char quoted[80];
    snprintf(quoted, sizeof quoted, "\"%s\"", bad);
    CHECK_EQ(tfckpt_reader_has_tensor(s->r, name), 1);
    CHECK_CONTAINS(tfckpt_reader_errmsg(s->r), quoted);
    uint8_t one[8];
    snprintf(bad, sizeof bad, "missing-%d-%d-into", w->id, i);
    check_own_message(s, tfckpt_reader_read_into(s->r, bad, one, sizeof one), bad);
    w->failures_seen += 2;
  }
  return NULL;
}

static void run_fixture(const char *rel, int iters) {
  const char *path = tu_fixture(rel);
  shared s = {.iters = iters};
  tfckpt_reader *ref_reader;
  if (!CHECKF(tfckpt_reader_open(path, &ref_reader) == TFCKPT_OK, "%s", path)) return;
  if (!CHECKF(tfckpt_reader_open(path, &s.r) == TFCKPT_OK, "%s", path)) {
    tfckpt_reader_close(ref_reader);
    return;
  }
  s.nvars = tfckpt_reader_num_variables(ref_reader);
  CHECK_EQ(tfckpt_reader_num_variables(s.r), s.nvars);
  CHECK(s.nvars > 0);
  s.names = calloc((size_t)s.nvars + 1, sizeof *s.names);
  s.ref = calloc((size_t)s.nvars + 1, sizeof *s.ref);
  int ok = s.nvars > 0;
  for (int64_t i = 0; i < s.nvars; i++) {
    tfckpt_var_info info;
    ok &= CHECK_EQ(tfckpt_reader_var(ref_reader, i, &info), TFCKPT_OK);
    s.names[i] = info.name;
    ok &= CHECKF(tfckpt_reader_get_tensor_at(ref_reader, i, &s.ref[i]) == TFCKPT_OK, "%s: %s",
                 info.name, tfckpt_reader_errmsg(ref_reader));
  }
  if (ok) {
    pthread_t tid[NTHREADS];
    worker w[NTHREADS];
    pthread_barrier_init(&s.start, NULL, NTHREADS);
    for (int t = 0; t < NTHREADS; t++) {
      w[t] = (worker){.s = &s, .id = t};
      CHECK_EQ(pthread_create(&tid[t], NULL, work, &w[t]), 0);
    }
    long reads = 0, fails = 0;
    for (int t = 0; t < NTHREADS; t++) {
      CHECK_EQ(pthread_join(tid[t], NULL), 0);
      reads += w[t].reads;
      fails += w[t].failures_seen;
    }
    pthread_barrier_destroy(&s.start);
    printf("%-52s %3" PRId64 " variables, %d threads: %ld reads, %ld failing calls\n", rel,
           s.nvars, NTHREADS, reads, fails);
  }
  for (int64_t i = 0; i < s.nvars; i++) tfckpt_tensor_free(s.ref[i]);
  free(s.ref);
  free(s.names);
  tfckpt_reader_close(s.r);
  tfckpt_reader_close(ref_reader);
}

int main(void) {
  int iters = tu_quick() ? 100 : 1000;
  for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) run_fixture(fixtures[i], iters);
  return tu_finish();
}
