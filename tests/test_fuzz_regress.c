/* Replays every input kept in tests/regress/<target>/ (crashes, leaks and
 * undefined behaviour the fuzzers found, see docs/robustness.md) through the
 * same fuzz target code the libFuzzer harnesses run (fuzz/targets.h).  In the
 * sanitizer build a regression shows up as an ASan/UBSan/LSan report; in any
 * build as a crash.  A folder that names no known target fails the test, so a
 * renamed harness cannot silently skip its inputs. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz/targets.h"
#include "harness.h"

typedef struct target {
  const char *name;
  int (*fn)(const uint8_t *, size_t);
} target;

static const target targets[] = {
    {"table", fz_table},         {"bundle", fz_bundle},     {"reader", fz_reader},
    {"v1", fz_v1},               {"v1_file", fz_v1_file},   {"objgraph", fz_objgraph},
    {"metagraph", fz_metagraph}, {"state", fz_state},       {"data", fz_data},
    {"arrays", fz_arrays},       {"json", fz_json},
};

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entry names of dir (no dot files); returns how many. */
static int list_dir(const char *dir, char ***out) {
  DIR *d = opendir(dir);
  int n = 0, cap = 0;
  *out = NULL;
  if (!d) return -1;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 16;
      *out = realloc(*out, (size_t)cap * sizeof **out);
    }
    (*out)[n++] = strdup(de->d_name);
  }
  closedir(d);
  if (n) qsort(*out, (size_t)n, sizeof **out, cmp_str);
  return n;
}

int main(void) {
  const char *src = getenv("TFCKPT_SRC");
  if (!src) {
    fprintf(stderr, "test_fuzz_regress: TFCKPT_SRC not set\n");
    return 1;
  }
  char *root = tu_path(src, "tests/regress");
  char **dirs;
  int nd = list_dir(root, &dirs);
  CHECK(nd > 0);
  int replayed = 0;
  for (int i = 0; i < nd; i++) {
    const target *t = NULL;
    for (size_t k = 0; k < sizeof targets / sizeof targets[0]; k++)
      if (!strcmp(targets[k].name, dirs[i])) t = &targets[k];
    if (!t) {
      fprintf(stderr, "tests/regress/%s: no fuzz target of that name\n", dirs[i]);
      CHECK(t != NULL);
      free(dirs[i]);
      continue;
    }
    char *dir = tu_path(root, dirs[i]);
    char **files;
    int nf = list_dir(dir, &files);
    for (int j = 0; j < nf; j++) {
      char *path = tu_path(dir, files[j]);
      size_t n = 0;
      uint8_t *data = tu_read_file(path, &n);
      CHECK(data != NULL);
      if (data) {
        printf("  %s/%s (%zu bytes)\n", dirs[i], files[j], n);
        fflush(stdout);
        CHECK_EQ(t->fn(data, n), 0);
        replayed++;
      }
      free(data);
      free(path);
      free(files[j]);
    }
    free(files);
    free(dir);
    free(dirs[i]);
  }
  free(dirs);
  free(root);
  /* fz_dir() is removed at exit (fz_cleanup) */
  printf("test_fuzz_regress: replayed %d inputs\n", replayed);
  CHECK(replayed >= 8);
  return tu_finish();
}
