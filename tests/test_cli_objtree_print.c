/* The `tree --objects` printer (src/cli/objtree_print.c, from the CLI
 * library). */
#include <stdlib.h>
#include <string.h>

#include "cli/objtree_print.h"
#include "harness.h"

static char *print_tree(const char *rel, int ascii, int *status) {
  tfckpt_reader *r;
  char *buf = NULL;
  size_t len = 0;
  if (tfckpt_reader_open(tu_fixture(rel), &r)) {
    fprintf(stderr, "%s: %s\n", rel, tfckpt_reader_errmsg(r));
    tfckpt_reader_close(r);
    *status = -1;
    return strdup("");
  }
  FILE *out = open_memstream(&buf, &len);
  *status = cli_print_object_tree_ex(r, out, ascii);
  fclose(out);
  tfckpt_reader_close(r);
  return buf;
}

int main(void) {
  int st;
  char *t = print_tree("tf2_checkpoint_manager_iterator_variant", 0, &st);
  CHECK_EQ(st, 0);
  CHECK(!strncmp(t, "(root)\n├── iterator  .ITERATOR  variant [1]  iterator/.ATTRIBUTES/ITERATOR_STATE\n", 79));
  CHECK_CONTAINS(t, "├── net\n│   └── l1\n│       ├── kernel  float32 [1, 5]  net/l1/kernel/.ATTRIBUTES/VARIABLE_VALUE\n");
  CHECK_CONTAINS(t, "│   ├── slots of net/l1/kernel\n│   │   ├── m  float32 [1, 5]  "
                    "net/l1/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE\n");
  CHECK_CONTAINS(t, "│   └── slots of net/l1/bias\n│       ├── m  float32 [5]");
  CHECK_CONTAINS(t, "└── save_counter  int64 []  save_counter/.ATTRIBUTES/VARIABLE_VALUE\n");
  CHECK_CONTAINS(t, "\n18 objects, 14 checkpoint keys\n");
  CHECK(!strstr(t, "missing"));
  CHECK(!strstr(t, "keys no object names"));
  free(t);

  t = print_tree("tf2_checkpoint_manager_iterator_variant", 1, &st);
  CHECK_CONTAINS(t, "|-- net\n|   `-- l1\n|       |-- kernel  float32 [1, 5]");
  free(t);

  t = print_tree("savedmodel_tf2_keras_tfx", 0, &st);
  CHECK_EQ(st, 0);
  CHECK_CONTAINS(t, "├── layer-5 -> same object as layer_with_weights-0\n");
  CHECK_CONTAINS(t, "│   ├── kernel  float32 [4, 8]  layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE\n");
  CHECK_CONTAINS(t, "│   │   ├── 0 -> same object as layer_with_weights-0/kernel\n");
  CHECK_CONTAINS(t, "108 objects, 27 checkpoint keys");
  free(t);

  t = print_tree("tf2_objectgraph_only_easy_checkpoint", 0, &st);
  CHECK_EQ(st, 0);
  CHECK(!strcmp(t, "(root)\n└── l1\n\n2 objects, 0 checkpoint keys\n"));
  free(t);

  /* a TF1 checkpoint has no object graph: exit status 1 */
  t = print_tree("tf1_estimator_tfx_chicago_taxi", 0, &st);
  CHECK_EQ(st, 1);
  CHECK(!strcmp(t, ""));
  free(t);

  char *f = cli_friendly_name("a/.OPTIMIZER_SLOT/o/m/.ATTRIBUTES/VARIABLE_VALUE");
  CHECK(f && !strcmp(f, "o/m/a"));
  free(f);
  return tu_finish();
}
