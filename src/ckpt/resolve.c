/* From what the user typed to a checkpoint: prefix, .index, .data-*, a
 * training directory, a SavedModel, or a V1 file. */
#include <dirent.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt/reader_impl.h"
#include "core/coding.h"
#include "format/state.h"

void ckpt_location_free(ckpt_location *loc) {
  free(loc->prefix);
  for (int i = 0; i < loc->nfiles; i++) free(loc->files[i]);
  free(loc->files);
  memset(loc, 0, sizeof *loc);
}

/* What was tried, for the "not found" message. */
typedef struct tried {
  char text[TFCKPT_ERRMSG_MAX - 200];
  size_t len;
} tried;

static void tried_add(tried *t, const char *what) {
  int n = snprintf(t->text + t->len, sizeof t->text - t->len, "%s%s", t->len ? ", " : "", what);
  if (n > 0) t->len += (size_t)n;
  if (t->len >= sizeof t->text) t->len = sizeof t->text - 1;
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && !memcmp(s + n - m, suffix, m);
}

/* Length of a trailing "-NNNNN-of-NNNNN" or ".data-NNNNN-of-NNNNN" style
 * suffix `head` + 5 digits + "-of-" + 5 digits, or 0. */
static size_t shard_suffix_len(const char *s, const char *head) {
  size_t n = strlen(s), h = strlen(head), m = h + 5 + 4 + 5;
  if (n < m) return 0;
  const char *p = s + n - m;
  if (memcmp(p, head, h)) return 0;
  p += h;
  for (int i = 0; i < 5; i++)
    if (p[i] < '0' || p[i] > '9') return 0;
  if (memcmp(p + 5, "-of-", 4)) return 0;
  for (int i = 0; i < 5; i++)
    if (p[9 + i] < '0' || p[9 + i] > '9') return 0;
  return m;
}

/* Length of a trailing V1 shard suffix "-NNNNN-of-NNNNN", or of the pattern
 * "-?????-of-NNNNN" that TF1's sharded V1 Saver.save returns, or 0. */
static size_t v1_shard_suffix_len(const char *s) {
  size_t n = strlen(s), m = 1 + 5 + 4 + 5;
  if (n <= m || s[n - m] != '-' || memcmp(s + n - m + 6, "-of-", 4)) return 0;
  int digits = 0, qmarks = 0;
  for (int i = 0; i < 5; i++) {
    char c = s[n - m + 1 + i];
    digits += c >= '0' && c <= '9';
    qmarks += c == '?';
  }
  if (digits != 5 && qmarks != 5) return 0;
  for (int i = 0; i < 5; i++)
    if (s[n - 5 + i] < '0' || s[n - 5 + i] > '9') return 0;
  return m;
}

static int has_table_magic(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  uint8_t tail[8];
  int ok = fseek(f, -8, SEEK_END) == 0 && fread(tail, 1, 8, f) == 8 &&
           tfckpt__get_u64le(tail) == TFCKPT_TABLE_MAGIC;
  fclose(f);
  return ok;
}

static int set_v2(ckpt_location *out, const char *prefix, size_t len) {
  out->format = TFCKPT_CKPT_V2;
  out->prefix = strndup(prefix, len);
  return out->prefix ? TFCKPT_OK : TFCKPT_ENOMEM;
}

static int set_v1(ckpt_location *out, const char *display, char **files, int n) {
  out->format = TFCKPT_CKPT_V1;
  out->prefix = strdup(display);
  out->files = files;
  out->nfiles = n;
  return out->prefix ? TFCKPT_OK : TFCKPT_ENOMEM;
}

/* V1 shards written as "<path>-NNNNN-of-NNNNN". */
static int glob_v1_shards(const char *path, char ***files, int *n) {
  char *pattern = tfckpt__strdupf("%s-\?\?\?\?\?-of-\?\?\?\?\?", path);
  if (!pattern) return TFCKPT_ENOMEM;
  glob_t g;
  int rc = glob(pattern, 0, NULL, &g);
  free(pattern);
  *files = NULL;
  *n = 0;
  if (rc != 0) return TFCKPT_ENOTFOUND;
  char **list = calloc(g.gl_pathc ? g.gl_pathc : 1, sizeof *list);
  if (!list) {
    globfree(&g);
    return TFCKPT_ENOMEM;
  }
  for (size_t i = 0; i < g.gl_pathc; i++) {
    list[i] = strdup(g.gl_pathv[i]);
    if (!list[i]) {
      while (i--) free(list[i]);
      free(list);
      globfree(&g);
      return TFCKPT_ENOMEM;
    }
  }
  *files = list;
  *n = (int)g.gl_pathc;
  globfree(&g);
  return TFCKPT_OK;
}

/* Tries `p` as a checkpoint prefix or V1 file.  1 found, 0 not, <0 error. */
static int try_prefix(const char *p, ckpt_location *out, tried *t) {
  size_t v1sfx = v1_shard_suffix_len(p);
  if (v1sfx) {
    /* One shard of a sharded V1 checkpoint (or Saver.save's "-?????-of-N"
     * pattern for it, which the `checkpoint` file then records): the
     * checkpoint is all shards of that stem. */
    char *stem = strndup(p, strlen(p) - v1sfx);
    if (!stem) return TFCKPT_ENOMEM;
    char **files;
    int nf;
    int rc = glob_v1_shards(stem, &files, &nf);
    if (rc == TFCKPT_OK && nf > 1 && has_table_magic(files[0])) {
      rc = set_v1(out, stem, files, nf);
      free(stem);
      return rc ? TFCKPT_ENOMEM : 1;
    }
    if (rc == TFCKPT_OK) {
      for (int i = 0; i < nf; i++) free(files[i]);
      free(files);
    }
    free(stem);
    if (rc == TFCKPT_ENOMEM) return rc;
  }
  char *index = tfckpt__strdupf("%s.index", p);
  if (!index) return TFCKPT_ENOMEM;
  int found = tfckpt__is_file(index);
  tried_add(t, index);
  free(index);
  if (found) return set_v2(out, p, strlen(p)) ? TFCKPT_ENOMEM : 1;
  tried_add(t, p);
  if (tfckpt__is_file(p) && has_table_magic(p)) {
    char **files = calloc(1, sizeof *files);
    if (!files || !(files[0] = strdup(p))) {
      free(files);
      return TFCKPT_ENOMEM;
    }
    return set_v1(out, p, files, 1) ? TFCKPT_ENOMEM : 1;
  }
  char **files;
  int n;
  char *pattern = tfckpt__strdupf("%s-NNNNN-of-NNNNN", p);
  if (pattern) tried_add(t, pattern);
  free(pattern);
  int rc = glob_v1_shards(p, &files, &n);
  if (rc == TFCKPT_ENOMEM) return rc;
  if (rc == TFCKPT_OK) return set_v1(out, p, files, n) ? TFCKPT_ENOMEM : 1;
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names of the checkpoints (*.index) in a directory, sorted, for messages
 * and for a directory holding exactly one checkpoint; also written to
 * `joined` as "a, b, c" (cut to its size).  Free with free_names. */
static int list_indexes(const char *dir, char ***names, int *n, char *joined, size_t cap_joined) {
  *names = NULL;
  *n = 0;
  DIR *d = opendir(dir);
  if (!d) return TFCKPT_OK;
  struct dirent *de;
  int cap = 0;
  while ((de = readdir(d))) {
    if (!ends_with(de->d_name, ".index")) continue;
    /* a FIFO or directory named *.index is no checkpoint (and opening a
     * FIFO would block) */
    char *full = tfckpt__path_join(dir, de->d_name);
    int regular = full && tfckpt__is_file(full);
    free(full);
    if (!regular) continue;
    if (*n == cap) {
      cap = cap ? cap * 2 : 8;
      char **nn = realloc(*names, (size_t)cap * sizeof *nn);
      if (!nn) break;
      *names = nn;
    }
    (*names)[*n] = strndup(de->d_name, strlen(de->d_name) - 6);
    if ((*names)[*n]) (*n)++;
  }
  closedir(d);
  if (*n > 1) qsort(*names, (size_t)*n, sizeof **names, cmp_str);
  size_t len = 0;
  joined[0] = '\0';
  for (int i = 0; i < *n; i++) {
    int w = snprintf(joined + len, cap_joined - len, "%s%s", i ? ", " : "", (*names)[i]);
    if (w > 0 && (size_t)w < cap_joined - len) len += (size_t)w;
  }
  return TFCKPT_OK;
}

static void free_names(char **names, int n) {
  for (int i = 0; i < n; i++) free(names[i]);
  free(names);
}

/* A directory of legacy V1 files and no `checkpoint` file (TF Serving's
 * session bundles: `export-00000-of-00001` beside `export.meta`): the one
 * checkpoint whose table files are there.  1 found, 0 none, <0 error. */
static int resolve_v1_in_dir(const char *dir, ckpt_location *out, tried *t, tfckpt__err *err) {
  tried_add(t, "V1 table files");
  DIR *d = opendir(dir);
  if (!d) return 0;
  char *found = NULL; /* the V1 prefix: a file, or the P of P-NNNNN-of-NNNNN */
  int ambiguous = 0;
  struct dirent *de;
  while ((de = readdir(d)) && !ambiguous) {
    if (de->d_name[0] == '.') continue;
    char *path = tfckpt__path_join(dir, de->d_name);
    if (!path) break;
    if (tfckpt__is_file(path) && has_table_magic(path)) {
      size_t sfx = shard_suffix_len(path, "-");
      char *prefix = strndup(path, strlen(path) - sfx);
      if (prefix && found && strcmp(found, prefix)) ambiguous = 1;
      if (prefix && !found) found = prefix;
      else free(prefix);
    }
    free(path);
  }
  closedir(d);
  int rc = 0;
  if (ambiguous) {
    rc = tfckpt__seterr(err, TFCKPT_ENOTFOUND,
                       "%s: holds several legacy V1 checkpoints and no `checkpoint` file says "
                       "which is latest; name one",
                       dir);
  } else if (found) {
    rc = try_prefix(found, out, t);
    if (rc < 0) rc = tfckpt__seterr(err, rc, "out of memory");
  }
  free(found);
  return rc;
}

/* A path that exists but is no regular file (a FIFO, a device...): its
 * error (which says what it is), else TFCKPT_OK. */
static int refuse_special(const char *path, tfckpt__err *err) {
  struct stat st;
  if (stat(path, &st) != 0 || S_ISREG(st.st_mode)) return TFCKPT_OK;
  int fd;
  int rc = tfckpt__open_regular(path, &fd, NULL, err);
  if (rc == TFCKPT_OK) close(fd);
  return rc;
}

static int resolve_dir(const char *dir, ckpt_location *out, tried *t, tfckpt__err *err) {
  char *state_path = tfckpt__path_join(dir, "checkpoint");
  if (!state_path) return TFCKPT_ENOMEM;
  int rc = refuse_special(state_path, err);
  if (rc) {
    free(state_path);
    return rc;
  }
  if (tfckpt__is_file(state_path)) {
    tfckpt_state st;
    rc = tfckpt__state_read(state_path, &st, err);
    if (rc) {
      free(state_path);
      return rc;
    }
    if (!st.model_checkpoint_path || !st.model_checkpoint_path[0]) {
      tfckpt_state_free(&st);
      rc = tfckpt__seterr(err, TFCKPT_ECORRUPT, "%s: no model_checkpoint_path", state_path);
      free(state_path);
      return rc;
    }
    const char *mcp = st.model_checkpoint_path;
    char *full = mcp[0] == '/' ? strdup(mcp) : tfckpt__path_join(dir, mcp);
    rc = full ? try_prefix(full, out, t) : TFCKPT_ENOMEM;
    if (rc == 0 && mcp[0] == '/') {
      /* A stale absolute path from another machine: retry its base name here. */
      const char *base = strrchr(mcp, '/') + 1;
      char *local = tfckpt__path_join(dir, base);
      rc = local ? try_prefix(local, out, t) : TFCKPT_ENOMEM;
      free(local);
    }
    if (rc == 0) {
      char **names;
      int n;
      char others[300];
      list_indexes(dir, &names, &n, others, sizeof others);
      free_names(names, n);
      rc = tfckpt__seterr(err, TFCKPT_ENOTFOUND,
                         "%s names checkpoint \"%s\", which does not exist (tried: %s)%s%s",
                         state_path, mcp, t->text, n ? "; checkpoints present: " : "", others);
    }
    free(full);
    tfckpt_state_free(&st);
    free(state_path);
    return rc < 0 ? rc : TFCKPT_OK;
  }
  tried_add(t, state_path);
  free(state_path);

  char *sm = tfckpt__path_join(dir, "variables/variables");
  if (!sm) return TFCKPT_ENOMEM;
  char *smi = tfckpt__strdupf("%s.index", sm);
  if (!smi) {
    free(sm);
    return TFCKPT_ENOMEM;
  }
  tried_add(t, smi);
  int is_sm = tfckpt__is_file(smi);
  free(smi);
  if (is_sm) {
    rc = set_v2(out, sm, strlen(sm));
    free(sm);
    return rc;
  }
  free(sm);

  char **names;
  int n;
  char list[400];
  list_indexes(dir, &names, &n, list, sizeof list);
  if (n == 1) {
    char *p = tfckpt__path_join(dir, names[0]);
    rc = p ? set_v2(out, p, strlen(p)) : TFCKPT_ENOMEM;
    free(p);
  } else if (n > 1) {
    rc = tfckpt__seterr(err, TFCKPT_ENOTFOUND,
                       "%s: holds %d checkpoints and no `checkpoint` file says which is "
                       "latest; name one: %s",
                       dir, n, list);
  } else {
    tried_add(t, "*.index");
    rc = resolve_v1_in_dir(dir, out, t, err);
    if (rc == 0)
      rc = tfckpt__seterr(err, TFCKPT_ENOTFOUND,
                         "%s: no checkpoint found in this directory (tried: %s)", dir, t->text);
    else if (rc == 1)
      rc = TFCKPT_OK;
  }
  free_names(names, n);
  return rc;
}

int ckpt_resolve(const char *path, ckpt_location *out, tfckpt__err *err) {
  memset(out, 0, sizeof *out);
  tried t = {{0}, 0};
  int rc;
  if (!path || !*path) return tfckpt__seterr(err, TFCKPT_EINVAL, "empty checkpoint path");
  if (tfckpt__is_dir(path)) {
    rc = resolve_dir(path, out, &t, err);
    if (rc == TFCKPT_ENOMEM) tfckpt__seterr(err, rc, "out of memory");
    return rc;
  }
  if ((rc = refuse_special(path, err))) return rc;
  size_t n = strlen(path);
  if (ends_with(path, ".index") && tfckpt__is_file(path)) {
    rc = set_v2(out, path, n - 6);
    return rc ? tfckpt__seterr(err, rc, "out of memory") : TFCKPT_OK;
  }
  size_t sfx = shard_suffix_len(path, ".data-");
  if (sfx) {
    char *prefix = strndup(path, n - sfx);
    char *index = prefix ? tfckpt__strdupf("%s.index", prefix) : NULL;
    if (!index) {
      free(prefix);
      return tfckpt__seterr(err, TFCKPT_ENOMEM, "out of memory");
    }
    if (tfckpt__is_file(index)) {
      free(index);
      out->format = TFCKPT_CKPT_V2;
      out->prefix = prefix;
      return TFCKPT_OK;
    }
    rc = tfckpt__seterr(err, TFCKPT_ENOTFOUND,
                       "%s is a data file, but its index %s does not exist", path, index);
    free(index);
    free(prefix);
    return rc;
  }
  rc = try_prefix(path, out, &t);
  if (rc < 0) return tfckpt__seterr(err, rc, "out of memory");
  if (rc == 1) return TFCKPT_OK;
  if (tfckpt__is_file(path))
    return tfckpt__seterr(err, TFCKPT_ECORRUPT,
                         "%s: not a checkpoint (not an sstable: bad magic number, and no %s.index)",
                         path, path);
  return tfckpt__seterr(err, TFCKPT_ENOTFOUND, "%s: no checkpoint found (tried: %s)", path, t.text);
}
