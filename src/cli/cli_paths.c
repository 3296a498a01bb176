#include "cli/cli_paths.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli_util.h"
#include "tfckpt/internal/atomic_file.h"
#include "tfckpt/internal/file.h"

static int same_file(const char *a, const char *b) {
  struct stat x, y;
  return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

static const char *base_of(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

int cli_same_checkpoint(const char *a, const char *b) {
  if (!strcmp(a, b)) return 1;
  char *ia = tfckpt__strdupf("%s.index", a), *ib = tfckpt__strdupf("%s.index", b);
  int same = ia && ib && same_file(ia, ib);
  free(ia);
  free(ib);
  if (same) return 1;
  if (strcmp(base_of(a), base_of(b))) return 0;
  char *da = tfckpt__dirname(a), *db = tfckpt__dirname(b);
  same = da && db && same_file(da, db);
  free(da);
  free(db);
  return same;
}

int cli_refuse_input_file(const char *cmd, const char *out, tfckpt_reader *r) {
  struct stat st;
  if (stat(out, &st) != 0) return 0;
  const char *prefix = tfckpt_reader_prefix(r);
  int n = tfckpt_reader_num_shards(r);
  int hit = 0;
  char *file = NULL;
  if (tfckpt_reader_format(r) == TFCKPT_CKPT_V1) {
    hit = same_file(out, prefix);
    if (hit) file = strdup(prefix);
  } else {
    file = tfckpt__strdupf("%s.index", prefix);
    hit = file && same_file(out, file);
    for (int i = 0; !hit && i < n; i++) {
      free(file);
      file = tfckpt__strdupf("%s.data-%05d-of-%05d", prefix, i, n);
      hit = file && same_file(out, file);
    }
  }
  if (hit && file && strcmp(file, out))
    cli_error(cmd, "%s is %s, a file of the input checkpoint; refusing to overwrite it", out, file);
  else if (hit)
    cli_error(cmd, "%s is a file of the input checkpoint; refusing to overwrite it", out);
  free(file);
  return hit ? -1 : 0;
}
