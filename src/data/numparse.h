/* Exact text-to-number conversion for the data pipeline. */
#ifndef TFCKPT_DATA_NUMPARSE_H
#define TFCKPT_DATA_NUMPARSE_H

#include <locale.h>
#include <stddef.h>

/* Parses [p, p+len) (no surrounding spaces) as one number; *out equals
 * strtod_l(text, C locale).  *is_int is set to 1 when the text is a plain
 * integer ([+-]digits).  Returns 0, or -1 if the text is not one number.
 * `cloc` is a C locale from newlocale(); it is only used for the rare
 * values the fast path cannot convert exactly. */
int tfd_parse_number(const char *p, size_t len, locale_t cloc, double *out,
                     int *is_int);

#endif
