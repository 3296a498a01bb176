/* Lists a checkpoint's variables and prints the first values of one of them.
 *
 *   example_read_checkpoint CHECKPOINT [NAME]
 *
 * CHECKPOINT may be a prefix, an .index file, a training directory or a
 * SavedModel directory — whatever tfckpt_reader_open accepts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tfckpt/reader.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s CHECKPOINT [NAME]\n", argv[0]);
    return 2;
  }
  tfckpt_reader *r;
  if (tfckpt_reader_open(argv[1], &r) != TFCKPT_OK) {
    fprintf(stderr, "%s\n", tfckpt_reader_errmsg(r));
    tfckpt_reader_close(r); /* the handle exists even on failure */
    return 1;
  }
  printf("%s: %lld variables\n", tfckpt_reader_prefix(r), (long long)tfckpt_reader_num_variables(r));
  for (int64_t i = 0; i < tfckpt_reader_num_variables(r); i++) {
    tfckpt_var_info v;
    tfckpt_reader_var(r, i, &v);
    printf("  %s %s [", v.name, tfckpt_dtype_name(v.dtype));
    for (int d = 0; d < v.rank; d++) printf("%s%lld", d ? ", " : "", (long long)v.dims[d]);
    printf("]\n");
  }
  if (argc > 2) {
    tfckpt_tensor *t;
    if (tfckpt_reader_get_tensor(r, argv[2], &t) != TFCKPT_OK) {
      fprintf(stderr, "%s\n", tfckpt_reader_errmsg(r));
      tfckpt_reader_close(r);
      return 1;
    }
    int64_t n = tfckpt_tensor_num_elements(t);
    printf("%s:", argv[2]);
    for (int64_t i = 0; i < n && i < 5; i++) printf(" %g", tfckpt_tensor_get_double(t, i));
    printf("%s\n", n > 5 ? " ..." : "");
    tfckpt_tensor_free(t);
  }
  tfckpt_reader_close(r);
  return 0;
}
