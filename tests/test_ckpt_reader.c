/* The reader API on real fixtures: every path form, names, dtypes, shapes,
 * values (views and copies), partitioned variables, strings, float16 and
 * bfloat16, big-endian bundles, name suggestions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tfckpt/reader.h"

static tfckpt_reader *open_ok(const char *path) {
  tfckpt_reader *r;
  int rc = tfckpt_reader_open(path, &r);
  CHECK_EQ(rc, TFCKPT_OK);
  if (rc) {
    fprintf(stderr, "  %s: %s\n", path, tfckpt_reader_errmsg(r));
    tfckpt_reader_close(r);
    return NULL;
  }
  return r;
}

static float f32_at(const tfckpt_tensor *t, int64_t i) {
  float f;
  memcpy(&f, (const char *)tfckpt_tensor_data(t) + 4 * i, 4);
  return f;
}

static void path_forms(void) {
  /* prefix, .index, .data file, directory with `checkpoint`: same checkpoint */
  const char *forms[] = {"tf1_sharded_t2t_transformer/model.ckpt-1",
                         "tf1_sharded_t2t_transformer/model.ckpt-1.index",
                         "tf1_sharded_t2t_transformer/model.ckpt-1.data-00001-of-00002",
                         "tf1_sharded_t2t_transformer", "tf1_sharded_t2t_transformer/"};
  for (int i = 0; i < 5; i++) {
    tfckpt_reader *r = open_ok(tu_fixture(forms[i]));
    if (!r) continue;
    CHECK_EQ(tfckpt_reader_num_variables(r), 250);
    CHECK_EQ(tfckpt_reader_num_shards(r), 2);
    CHECK_EQ(tfckpt_reader_format(r), TFCKPT_CKPT_V2);
    CHECK_CONTAINS(tfckpt_reader_prefix(r), "tf1_sharded_t2t_transformer/model.ckpt-1");
    tfckpt_reader_close(r);
  }
  /* SavedModel directory -> variables/variables */
  tfckpt_reader *r = open_ok(tu_fixture("savedmodel_tf1_serving_half_plus_two_cpu"));
  if (r) {
    CHECK_CONTAINS(tfckpt_reader_prefix(r), "variables/variables");
    CHECK_EQ(tfckpt_reader_num_variables(r), 5);
    float v;
    CHECK_EQ(tfckpt_reader_read_into(r, "b", &v, sizeof v), TFCKPT_OK);
    CHECK(v == 2.0f);
    tfckpt_reader_close(r);
  }
  /* directory whose `checkpoint` names the latest of several */
  r = open_ok(tu_fixture("tf2_checkpoint_manager_iterator_variant"));
  if (r) {
    CHECK_CONTAINS(tfckpt_reader_prefix(r), "ckpt-40");
    tfckpt_tensor *t;
    CHECK_EQ(tfckpt_reader_get_tensor(r, "net/l1/bias/.ATTRIBUTES/VARIABLE_VALUE", &t), TFCKPT_OK);
    if (t) {
      CHECK(fabsf(f32_at(t, 0) - 0.00276837032f) < 1e-9f);
      CHECK(fabsf(f32_at(t, 1) - 1.03113079f) < 1e-6f);
      CHECK(!tfckpt_tensor_is_view(t));
      tfckpt_tensor_free(t);
    }
    /* the opt-in zero-copy read: same values, a view of the mapping */
    CHECK_EQ(tfckpt_reader_get_view(r, "net/l1/bias/.ATTRIBUTES/VARIABLE_VALUE", &t), TFCKPT_OK);
    if (t) {
      CHECK(fabsf(f32_at(t, 1) - 1.03113079f) < 1e-6f);
      CHECK(tfckpt_tensor_is_view(t));
      tfckpt_tensor_free(t);
    }
    CHECK_EQ(tfckpt_reader_get_view(r, "net/l1/bias/.ATTRIBUTES/VARIABLE_VALUEx", &t),
             TFCKPT_ENOTFOUND);
    CHECK_CONTAINS(tfckpt_reader_errmsg(r), "did you mean");
    /* the variant tensor: one element of raw VariantTensorDataProto bytes */
    CHECK_EQ(tfckpt_reader_get_tensor(r, "iterator/.ATTRIBUTES/ITERATOR_STATE", &t), TFCKPT_OK);
    if (t) {
      CHECK_EQ(tfckpt_tensor_dtype(t), TFCKPT_VARIANT);
      CHECK_EQ(tfckpt_tensor_num_elements(t), 1);
      const uint8_t *s;
      size_t len;
      CHECK_EQ(tfckpt_tensor_get_string(t, 0, &s, &len), TFCKPT_OK);
      CHECK(len > 100 && len < 181);
      tfckpt_tensor_free(t);
    }
    tfckpt_reader_close(r);
  }
}

/* A directory of V1 files and no `checkpoint` file (a TF Serving session
 * bundle) opens as its one checkpoint. */
static void v1_directory(void) {
  tfckpt_reader *r = open_ok(tu_fixture("v1_serving_session_bundle_half_plus_two"));
  if (!r) return;
  CHECK_EQ(tfckpt_reader_format(r), TFCKPT_CKPT_V1);
  CHECK_EQ(tfckpt_reader_num_variables(r), 2);
  float a = 0;
  CHECK_EQ(tfckpt_reader_read_into(r, "a", &a, sizeof a), TFCKPT_OK);
  CHECK(a == 0.5f);
  tfckpt_reader_close(r);
  r = open_ok(tu_fixture("spec_synthetic/v1_slices"));
  if (r) {
    CHECK_EQ(tfckpt_reader_num_variables(r), 4);
    tfckpt_reader_close(r);
  }
}

static void values_and_dtypes(void) {
  tfckpt_reader *r = open_ok(tu_fixture("spec_synthetic/all_dtypes"));
  if (!r) return;
  CHECK_EQ(tfckpt_reader_num_variables(r), 20);
  tfckpt_var_info v;
  int64_t i = tfckpt_reader_find(r, "f32/matrix");
  CHECK(i >= 0);
  CHECK_EQ(tfckpt_reader_var(r, i, &v), TFCKPT_OK);
  CHECK_EQ(v.dtype, TFCKPT_FLOAT);
  CHECK_EQ(v.rank, 2);
  CHECK_EQ(v.dims[0], 3);
  CHECK_EQ(v.dims[1], 4);
  CHECK_EQ(v.nbytes, 48);
  tfckpt_tensor *t;
  CHECK_EQ(tfckpt_reader_get_tensor(r, "f32/matrix", &t), TFCKPT_OK);
  for (int k = 0; t && k < 12; k++) CHECK(f32_at(t, k) == (float)k / 4);
  tfckpt_tensor_free(t);

  CHECK_EQ(tfckpt_reader_get_tensor(r, "f16/vector", &t), TFCKPT_OK);
  if (t) {
    CHECK(tfckpt_tensor_get_double(t, 0) == 1.5);
    CHECK(tfckpt_tensor_get_double(t, 1) == -2);
    CHECK(tfckpt_tensor_get_double(t, 2) == 65504);
    CHECK(tfckpt_tensor_get_double(t, 3) == 6.103515625e-05);
    tfckpt_tensor_free(t);
  }
  CHECK_EQ(tfckpt_reader_get_tensor(r, "bf16/vector", &t), TFCKPT_OK);
  if (t) {
    CHECK(tfckpt_tensor_get_double(t, 0) == 1);
    CHECK(tfckpt_tensor_get_double(t, 1) == -2);
    CHECK(isinf(tfckpt_tensor_get_double(t, 2)));
    CHECK(tfckpt_tensor_get_double(t, 3) == 0.333984375);
    tfckpt_tensor_free(t);
  }
  CHECK_EQ(tfckpt_reader_get_tensor(r, "c64/vector", &t), TFCKPT_OK);
  if (t) {
    float c[4];
    memcpy(c, tfckpt_tensor_data(t), 16);
    CHECK(c[0] == 1 && c[1] == 2 && c[2] == -3.5f && c[3] == -0.25f);
    tfckpt_tensor_free(t);
  }
  int64_t i64;
  CHECK_EQ(tfckpt_reader_read_into(r, "i64/scalar", &i64, 8), TFCKPT_OK);
  CHECK(i64 == -(INT64_C(1) << 62));
  uint64_t u64[2];
  CHECK_EQ(tfckpt_reader_read_into(r, "u64/vector", u64, 16), TFCKPT_OK);
  CHECK(u64[1] == UINT64_MAX);
  uint8_t b[3];
  CHECK_EQ(tfckpt_reader_read_into(r, "bool/vector", b, 3), TFCKPT_OK);
  CHECK(b[0] == 1 && b[1] == 0 && b[2] == 1);
  CHECK_EQ(tfckpt_reader_get_tensor(r, "string/vector", &t), TFCKPT_OK);
  if (t) {
    const uint8_t *s;
    size_t len;
    CHECK_EQ(tfckpt_tensor_num_elements(t), 4);
    tfckpt_tensor_get_string(t, 0, &s, &len);
    CHECK_EQ(len, 0);
    tfckpt_tensor_get_string(t, 1, &s, &len);
    CHECK(len == 5 && !memcmp(s, "hello", 5));
    tfckpt_tensor_get_string(t, 2, &s, &len);
    CHECK_EQ(len, 300);
    tfckpt_tensor_get_string(t, 3, &s, &len);
    CHECK(len == 2 && s[0] == 0 && s[1] == 0xff);
    tfckpt_tensor_free(t);
  }
  CHECK_EQ(tfckpt_reader_get_tensor(r, "empty/f32", &t), TFCKPT_OK);
  if (t) {
    CHECK_EQ(tfckpt_tensor_num_elements(t), 0);
    CHECK_EQ(tfckpt_tensor_rank(t), 2);
    tfckpt_tensor_free(t);
  }
  CHECK_EQ(tfckpt_reader_get_tensor(r, "empty/string", &t), TFCKPT_OK);
  tfckpt_tensor_free(t);
  /* a missing name suggests close ones */
  CHECK_EQ(tfckpt_reader_get_tensor(r, "f32/matrx", &t), TFCKPT_ENOTFOUND);
  CHECK(t == NULL);
  CHECK_CONTAINS(tfckpt_reader_errmsg(r), "did you mean \"f32/matrix\"");
  for (int64_t k = 0; k < tfckpt_reader_num_variables(r); k++) CHECK_EQ(tfckpt_reader_verify(r, k), 0);
  tfckpt_reader_close(r);
}

static void partitioned(void) {
  tfckpt_reader *r = open_ok(tu_fixture("spec_synthetic/partitioned_sharded/model.ckpt-100"));
  if (!r) return;
  /* three variables: the slice entries are not listed */
  CHECK_EQ(tfckpt_reader_num_variables(r), 3);
  int64_t i = tfckpt_reader_find(r, "part/w");
  tfckpt_var_info v;
  tfckpt_reader_var(r, i, &v);
  CHECK_EQ(v.num_slices, 3);
  CHECK_EQ(v.dims[0], 10);
  CHECK_EQ(v.dims[1], 4);
  CHECK_EQ(v.shard, -1);
  tfckpt_tensor *t;
  CHECK_EQ(tfckpt_reader_get_tensor(r, "part/w", &t), TFCKPT_OK);
  if (t) {
    CHECK(!tfckpt_tensor_is_view(t));
    for (int k = 0; k < 40; k++) CHECK(f32_at(t, k) == (float)k);
    tfckpt_tensor_free(t);
  }
  tfckpt_slice_info s;
  CHECK_EQ(tfckpt_reader_slice(r, i, 0, &s), TFCKPT_OK);
  CHECK_EQ(s.rank, 2);
  CHECK_EQ(tfckpt_reader_verify(r, i), TFCKPT_OK);
  tfckpt_reader_close(r);
}

static void big_endian(void) {
  char *dir = tu_mkdtemp();
  char *pre = tu_path(dir, "be");
  uint8_t f[8] = {0x3f, 0x80, 0, 0, 0xc0, 0x20, 0, 0}; /* 1.0f, -2.5f big-endian */
  uint8_t i[4] = {0xff, 0xff, 0xff, 0xfe};            /* -2 */
  int64_t d2[] = {2}, d1[] = {1};
  tu_entry e[2] = {{"f", TFCKPT_FLOAT, 1, d2, f, 8, -1, 0}, {"i", TFCKPT_INT32, 1, d1, i, 4, -1, 0}};
  CHECK_EQ(tu_write_bundle_be(pre, e, 2), 0);
  tfckpt_reader *r = open_ok(pre);
  if (r) {
    float fv[2];
    int32_t iv;
    CHECK_EQ(tfckpt_reader_read_into(r, "f", fv, 8), TFCKPT_OK);
    CHECK(fv[0] == 1.0f && fv[1] == -2.5f);
    CHECK_EQ(tfckpt_reader_read_into(r, "i", &iv, 4), TFCKPT_OK);
    CHECK_EQ(iv, -2);
    tfckpt_reader_close(r);
  }
  free(pre), free(dir);
}

static void errmsg_on_null(void) { CHECK_CONTAINS(tfckpt_reader_errmsg(NULL), "out of memory"); }

int main(void) {
  path_forms();
  v1_directory();
  values_and_dtypes();
  partitioned();
  big_endian();
  errmsg_on_null();
  return tu_finish();
}
