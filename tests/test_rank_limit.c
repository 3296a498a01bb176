/* One rank limit everywhere: TFCKPT_MAX_RANK = 254, TensorFlow's kMaxDims.
 * A tensor of the largest rank goes through a checkpoint and every array
 * format and comes back with its shape; one more dimension is refused. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tfckpt/convert.h"
#include "tfckpt/reader.h"
#include "tfckpt/writer.h"

static int64_t g_dims[TFCKPT_MAX_RANK + 1];

/* rank-254 int32 tensor: mostly 1s, a few 2s, 8 elements in all */
static tfckpt_tensor *make_big_rank(void) {
  for (int d = 0; d <= TFCKPT_MAX_RANK; d++) g_dims[d] = d == 0 || d == 100 || d == 253 ? 2 : 1;
  tfckpt_tensor *t = NULL;
  CHECK_EQ(tfckpt_tensor_new(TFCKPT_INT32, TFCKPT_MAX_RANK, g_dims, &t), TFCKPT_OK);
  if (t) {
    int32_t *v = tfckpt_tensor_mutable_data(t);
    for (int i = 0; i < 8; i++) v[i] = i * 11;
  }
  return t;
}

static void check_same(const tfckpt_tensor *t) {
  CHECK(t != NULL);
  if (!t) return;
  CHECK_EQ(tfckpt_tensor_rank(t), TFCKPT_MAX_RANK);
  CHECK(memcmp(tfckpt_tensor_dims(t), g_dims, TFCKPT_MAX_RANK * sizeof *g_dims) == 0);
  int32_t v[8]; /* views into zip members need not be aligned */
  memcpy(v, tfckpt_tensor_data(t), sizeof v);
  int ok = 1;
  for (int i = 0; i < 8; i++) ok &= v[i] == i * 11;
  CHECK(ok);
}

static void test_checkpoint(const char *dir, const tfckpt_tensor *t) {
  char *prefix = tu_path(dir, "ckpt");
  tfckpt_writer *w;
  CHECK_EQ(tfckpt_writer_open(prefix, NULL, &w), TFCKPT_OK);
  CHECK_EQ(tfckpt_writer_add(w, "deep", t), TFCKPT_OK);
  CHECK_EQ(tfckpt_writer_finish(w), TFCKPT_OK);
  tfckpt_writer_close(w);
  tfckpt_reader *r;
  CHECK_EQ(tfckpt_reader_open(prefix, &r), TFCKPT_OK);
  tfckpt_tensor *back = NULL;
  CHECK_EQ(tfckpt_reader_get_tensor(r, "deep", &back), TFCKPT_OK);
  check_same(back);
  tfckpt_tensor_free(back);
  tfckpt_reader_close(r);
  free(prefix);
}

static void test_arrays(const char *dir, const tfckpt_tensor *t, int format, const char *name) {
  char *path = tu_path(dir, name);
  tfckpt_arrays_writer *w;
  CHECK_EQ(tfckpt_arrays_writer_open(path, format, NULL, &w), TFCKPT_OK);
  CHECK_EQ(tfckpt_arrays_writer_declare(w, "deep", TFCKPT_INT32, TFCKPT_MAX_RANK, g_dims),
           TFCKPT_OK);
  CHECK_EQ(tfckpt_arrays_writer_declare(w, "flat", TFCKPT_INT32, 1, g_dims), TFCKPT_OK);
  CHECK_EQ(tfckpt_arrays_writer_add(w, "deep", t), TFCKPT_OK);
  tfckpt_tensor *flat = NULL;
  tfckpt_tensor_new(TFCKPT_INT32, 1, g_dims, &flat);
  CHECK_EQ(tfckpt_arrays_writer_add(w, "flat", flat), TFCKPT_OK);
  tfckpt_tensor_free(flat);
  CHECK_EQ(tfckpt_arrays_writer_finish(w), TFCKPT_OK);
  tfckpt_arrays_writer_close(w);
  if (format == TFCKPT_ARRAYS_NPY_DIR) {
    char *member = tu_path(path, "deep.npy");
    free(path);
    path = member;
  }
  tfckpt_arrays_reader *r;
  CHECK_EQ(tfckpt_arrays_reader_open(path, &r), TFCKPT_OK);
  int64_t i = 0;
  while (i < tfckpt_arrays_reader_count(r) && strcmp(tfckpt_arrays_reader_name(r, i), "deep")) i++;
  tfckpt_dtype dtype = TFCKPT_INVALID;
  int rank = 0;
  const int64_t *dims = NULL;
  CHECK_EQ(tfckpt_arrays_reader_info(r, i, &dtype, &rank, &dims), TFCKPT_OK);
  CHECK_EQ(rank, TFCKPT_MAX_RANK);
  tfckpt_tensor *back = NULL;
  CHECK_EQ(tfckpt_arrays_reader_get(r, i, &back), TFCKPT_OK);
  check_same(back);
  tfckpt_tensor_free(back);
  tfckpt_arrays_reader_close(r);
  free(path);
}

int main(void) {
  char *dir = tu_mkdtemp();
  tfckpt_tensor *t = make_big_rank();
  test_checkpoint(dir, t);
  test_arrays(dir, t, TFCKPT_ARRAYS_NPZ, "deep.npz");
  test_arrays(dir, t, TFCKPT_ARRAYS_SAFETENSORS, "deep.safetensors");
  test_arrays(dir, t, TFCKPT_ARRAYS_NPY_DIR, "deep_npy");
  tfckpt_tensor_free(t);

  /* one dimension more than TensorFlow allows */
  tfckpt_tensor *too = NULL;
  CHECK_EQ(tfckpt_tensor_new(TFCKPT_INT32, TFCKPT_MAX_RANK + 1, g_dims, &too), TFCKPT_EINVAL);
  CHECK(too == NULL);
  char *path = tu_path(dir, "too.safetensors");
  tfckpt_arrays_writer *w;
  CHECK_EQ(tfckpt_arrays_writer_open(path, TFCKPT_ARRAYS_SAFETENSORS, NULL, &w), TFCKPT_OK);
  CHECK(tfckpt_arrays_writer_declare(w, "too", TFCKPT_INT32, TFCKPT_MAX_RANK + 1, g_dims) !=
        TFCKPT_OK);
  tfckpt_arrays_writer_close(w);
  free(path);

  tu_rmtree(dir);
  free(dir);
  return tu_finish();
}
