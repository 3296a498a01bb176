/* Legacy V1 checkpoints (SavedTensorSlices tables): not implemented yet. */
#include <stdlib.h>

#include "ckpt/reader_impl.h"

int ckpt_open_v1(tfckpt_reader *r, const char *display, char **files, int nfiles) {
  for (int i = 0; i < nfiles; i++) free(files[i]);
  free(files);
  return tfckpt_seterr(&r->err, TFCKPT_EUNSUPPORTED,
                       "%s: legacy V1 checkpoints are not supported by this build", display);
}
