/* String helpers shared by the format parsers and the reader. */
#ifndef TFCKPT_CORE_STRUTIL_H
#define TFCKPT_CORE_STRUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Binary search for `name` among n records sorted by strcmp of their
 * names.  Records are `stride` bytes apart from `base`; each holds its name
 * as a `char *` member (not `const char *`) at byte offset `name_off` (pass offsetof(T, member)).
 * Returns the record's index, or -1 when no record has that name. */
int64_t tfckpt__find_sorted_name(const void *base, size_t n, size_t stride, size_t name_off,
                                const char *name);

#endif
