#include "core/strutil.h"

#include <string.h>

int64_t tfckpt__find_sorted_name(const void *base, size_t n, size_t stride, size_t name_off,
                                const char *name) {
  const char *p = base;
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const char *cand = *(char *const *)(const void *)(p + mid * stride + name_off);
    int c = strcmp(cand, name);
    if (c == 0) return (int64_t)mid;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}
