/* A V2 variable of which only some slices were saved (TF's SaveV2 with a
 * shape_and_slices spec covering part of the shape, e.g. "4 6 -:0,3"):
 * TensorFlow opens such a checkpoint and lists the variable with its full
 * shape, and refuses only to read it whole ("Does not have sufficient slices
 * for partitioned tensor").  tfckpt does the same (found by the TensorFlow
 * interop suite, tests/interop/). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tfckpt/reader.h"
#include "tfckpt/tensor.h"
#include "tfckpt/writer.h"

int main(void) {
  char *dir = tu_mkdtemp();
  char *prefix = tu_path(dir, "partial");
  tfckpt_writer_options o;
  tfckpt_writer_options_init(&o);
  tfckpt_writer *w;
  CHECK_EQ(tfckpt_writer_open(prefix, &o, &w), TFCKPT_OK);
  int64_t full[2] = {4, 6}, start[2] = {0, 0}, len[2] = {-1, 3}, part[2] = {4, 3}, one = 2;
  tfckpt_tensor *t, *ok;
  CHECK_EQ(tfckpt_tensor_new(TFCKPT_FLOAT, 2, part, &t), TFCKPT_OK);
  for (int i = 0; i < 12; i++) ((float *)tfckpt_tensor_mutable_data(t))[i] = (float)i;
  CHECK_EQ(tfckpt_writer_add_slice(w, "half", 2, full, start, len, t, 0), TFCKPT_OK);
  CHECK_EQ(tfckpt_tensor_new(TFCKPT_INT64, 1, &one, &ok), TFCKPT_OK);
  CHECK_EQ(tfckpt_writer_add(w, "ok", ok), TFCKPT_OK);
  CHECK_EQ(tfckpt_writer_finish(w), TFCKPT_OK);
  tfckpt_writer_close(w);

  tfckpt_reader *r;
  CHECK_EQ(tfckpt_reader_open(prefix, &r), TFCKPT_OK);
  CHECK_EQ(tfckpt_reader_num_variables(r), 2);
  int64_t i = tfckpt_reader_find(r, "half");
  CHECK(i >= 0);
  tfckpt_var_info v;
  CHECK_EQ(tfckpt_reader_var(r, i, &v), TFCKPT_OK);
  CHECK_EQ(v.rank, 2);
  CHECK_EQ(v.dims[0], 4);
  CHECK_EQ(v.dims[1], 6);
  tfckpt_tensor *got = NULL;
  CHECK_EQ(tfckpt_reader_get_tensor(r, "half", &got), TFCKPT_EDATA);
  CHECK(got == NULL);
  CHECK_CONTAINS(tfckpt_reader_errmsg(r), "cover only 12 of 24 elements");
  CHECK_EQ(tfckpt_reader_verify(r, i), TFCKPT_EDATA);
  /* the slice itself reads, values intact */
  CHECK_EQ(tfckpt_reader_get_slice_tensor(r, i, 0, &got), TFCKPT_OK);
  if (got) {
    CHECK_EQ(((const float *)tfckpt_tensor_data(got))[11], 11.0f);
    tfckpt_tensor_free(got);
  }
  CHECK_EQ(tfckpt_reader_get_tensor(r, "ok", &got), TFCKPT_OK);
  tfckpt_tensor_free(got);
  CHECK_EQ(tfckpt_reader_verify(r, tfckpt_reader_find(r, "ok")), TFCKPT_OK);
  tfckpt_reader_close(r);
  tfckpt_tensor_free(t);
  tfckpt_tensor_free(ok);
  tu_rmtree(dir);
  free(prefix);
  free(dir);
  return tu_finish();
}
