/* The text helpers of the one growable buffer (tfckpt__buf): formatted
 * appends that fit the spare room and ones that do not, NUL termination
 * without counting it, handing the contents over. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tfckpt/internal/buf.h"

int main(void) {
  tfckpt__buf b = {0};
  /* an empty buffer is still a valid empty string */
  char *s = tfckpt__buf_cstr(&b);
  CHECK(s && !strcmp(s, "") && b.len == 0);
  tfckpt__buf_append_str(&b, "shape: [");
  for (int i = 0; i < 300; i++) tfckpt__buf_appendf(&b, "%s%d", i ? ", " : "", i);
  tfckpt__buf_append_byte(&b, ']');
  /* one piece much larger than the spare room: the second vsnprintf path */
  char big[5000];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  tfckpt__buf_appendf(&b, "|%s|", big);
  CHECK(!b.oom);
  size_t len = b.len;
  s = tfckpt__buf_cstr(&b);
  CHECK(s && strlen(s) == len && b.len == len);
  CHECK(s && !strncmp(s, "shape: [0, 1, 2, ", 17));
  CHECK(s && strstr(s, "298, 299]|xxx") != NULL);
  CHECK(s && s[len - 1] == '|' && s[len - 2] == 'x');
  char *owned = tfckpt__buf_detach(&b);
  CHECK(owned && strlen(owned) == len);
  CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
  free(owned);

  /* once an allocation failed, nothing more is appended and no string is
   * handed out */
  tfckpt__buf_append_str(&b, "abc");
  b.oom = 1;
  tfckpt__buf_appendf(&b, "%d", 42);
  tfckpt__buf_append_byte(&b, 'z');
  CHECK_EQ(b.len, 3);
  CHECK(tfckpt__buf_cstr(&b) == NULL);
  CHECK(tfckpt__buf_detach(&b) == NULL);
  CHECK(b.data == NULL);
  tfckpt__buf_free(&b);
  return tu_finish();
}
