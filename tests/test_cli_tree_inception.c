/* `tfckpt tree` on a checkpoint with facenet's InceptionResnetV1 variables
 * (../shared/fixtures/inception_resnet_v1/variables.tsv): the output must
 * read like the network, with the parameter counts the fixture documents. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tfckpt/tfckpt.h"

#define MAXV 600

/* Position of `needle` in `hay`, or -1. */
static long find(const char *hay, const char *needle) {
  const char *p = strstr(hay, needle);
  return p ? (long)(p - hay) : -1;
}

/* The line of `out` that starts (after tree drawing) with `label`. */
static const char *line_of(const char *out, const char *label) {
  static char line[2048];
  const char *p = out;
  while ((p = strstr(p, label))) {
    const char *s = p;
    while (s > out && s[-1] != '\n') s--;
    /* the label must follow the tree drawing or start the line */
    if (p == s || p[-1] == ' ') {
      const char *e = strchr(p, '\n');
      size_t n = e ? (size_t)(e - s) : strlen(s);
      if (n >= sizeof line) n = sizeof line - 1;
      memcpy(line, s, n);
      line[n] = '\0';
      return line;
    }
    p++;
  }
  return "";
}

int main(void) {
  FILE *f = fopen(tu_fixture("inception_resnet_v1/variables.tsv"), "r");
  CHECK(f != NULL);
  if (!f) return tu_finish();
  static char names[MAXV][200];
  static int64_t dims[MAXV][4];
  static int ranks[MAXV];
  int n = 0;
  static char line[1 << 16]; /* the header comment is one long line */
  while (fgets(line, sizeof line, f) && n < MAXV) {
    if (line[0] == '#' || line[0] == '\n') continue;
    char *name = strtok(line, "\t"), *dtype = strtok(NULL, "\t"), *shape = strtok(NULL, "\t\n");
    CHECK(name && dtype && !strcmp(dtype, "float32"));
    snprintf(names[n], sizeof names[n], "%s", name);
    ranks[n] = 0;
    for (char *d = shape ? strtok(shape, ",") : NULL; d; d = strtok(NULL, ","))
      dims[n][ranks[n]++] = atoll(d);
    n++;
  }
  fclose(f);
  CHECK_EQ(n, 492);

  tu_entry *e = calloc((size_t)n, sizeof *e);
  size_t maxbytes = 0;
  for (int i = 0; i < n; i++) {
    int64_t cnt = 1;
    for (int d = 0; d < ranks[i]; d++) cnt *= dims[i][d];
    e[i] = (tu_entry){names[i], TFCKPT_FLOAT, ranks[i], dims[i], NULL, (size_t)cnt * 4, -1, 0};
    if (e[i].size > maxbytes) maxbytes = e[i].size;
  }
  void *zeros = calloc(1, maxbytes);
  for (int i = 0; i < n; i++) e[i].data = zeros;
  char *dir = tu_mkdtemp();
  char *pre = tu_path(dir, "model-20180408-102900.ckpt-90");
  CHECK_EQ(tu_write_bundle(pre, e, n), 0);

  const char *bin = getenv("TFCKPT_BIN");
  char cmd[8192], *out = NULL;
  snprintf(cmd, sizeof cmd, "%s tree %s --depth 3", bin, pre);
  CHECK_EQ(tu_run(cmd, &out), 0);
  /* totals from the fixture's header */
  CHECK_CONTAINS(line_of(out, "model-20180408-102900.ckpt-90"), "28,922,399");
  CHECK_CONTAINS(line_of(out, "InceptionResnetV1/"), "23,497,424");
  CHECK_CONTAINS(line_of(out, "InceptionResnetV1/"), "81.2%");
  CHECK_CONTAINS(line_of(out, "Logits/"), "5,424,975");
  CHECK_CONTAINS(line_of(out, "Logits/"), "18.8%");
  /* the stem convolutions, the repeated blocks and the reductions, in order */
  const char *order[] = {"Block8/", "Bottleneck/", "Conv2d_1a_3x3/", "Conv2d_2a_3x3/",
                         "Conv2d_2b_3x3/", "Conv2d_3b_1x1/", "Conv2d_4a_3x3/", "Conv2d_4b_3x3/",
                         "Mixed_6a/", "Mixed_7a/", "Repeat/", "Repeat_1/", "Repeat_2/", "Logits/"};
  long last = -1;
  for (size_t k = 0; k < sizeof order / sizeof *order; k++) {
    long at = find(out, order[k]);
    CHECK(at > last);
    last = at;
  }
  /* depth 3 shows the blocks inside Repeat_1, numbered as numbers */
  CHECK(find(out, "block17_2/") > 0 && find(out, "block17_2/") < find(out, "block17_10/"));
  CHECK_CONTAINS(line_of(out, "Conv2d_1a_3x3/"), "960");
  /* but not the branches inside the blocks: Branch_0/ only in Block8, Mixed_6a and Mixed_7a */
  int branches = 0;
  for (const char *p = out; (p = strstr(p, "Branch_0/")); p++) branches++;
  CHECK_EQ(branches, 3); /* Block8, Mixed_6a, Mixed_7a */
  free(out);

  snprintf(cmd, sizeof cmd, "%s tree %s --depth 1", bin, pre);
  CHECK_EQ(tu_run(cmd, &out), 0);
  CHECK(find(out, "Block8") < 0);
  CHECK_CONTAINS(out, "(490 variables)");
  free(out);

  /* without the batch-norm moving statistics (not trained parameters) */
  snprintf(cmd, sizeof cmd, "%s tree %s --depth 1 --exclude 'moving_(mean|variance)$'", bin, pre);
  CHECK_EQ(tu_run(cmd, &out), 0);
  CHECK_CONTAINS(line_of(out, "InceptionResnetV1/"), "23,467,824");
  free(out);

  /* full depth: a leaf shows its dtype and shape */
  snprintf(cmd, sizeof cmd, "%s tree %s --ascii", bin, pre);
  CHECK_EQ(tu_run(cmd, &out), 0);
  CHECK_CONTAINS(out, "weights");
  CHECK_CONTAINS(out, "float32 [3, 3, 3, 32]");
  CHECK_CONTAINS(out, "|-- ");
  free(out);

  /* ls agrees, and --exclude leaves names out of the totals */
  snprintf(cmd, sizeof cmd, "%s ls %s --exclude 'moving_(mean|variance)$' | tail -1", bin, pre);
  CHECK_EQ(tu_run(cmd, &out), 0);
  CHECK_CONTAINS(out, "total: 268 variables, 28,892,799 parameters");
  CHECK_CONTAINS(out, "224 excluded");
  free(out);

  free(dir), free(pre), free(e), free(zeros);
  return tu_finish();
}
