/* stats: the mean of a virtual column under a filter, through the C ABI.
 *
 *   usage: stats FILE.arrow [XCOL [YCOL]]      (XCOL and YCOL default to x and y)
 *
 * Opens an Arrow IPC file without reading it, adds the virtual column
 * r = sqrt(XCOL**2 + YCOL**2), keeps the rows where YCOL > 0 and prints, from one
 * pass over the data, how many rows passed the filter and the mean of r over them.
 * On any error (missing file, unknown column, bad expression) it prints the
 * library's message to stderr and exits with status 1.
 *
 * Build (from the repository, after `swift build -c release`):
 *   cc -std=c11 -Wall -Wextra -Werror -Iinclude examples/c/stats.c \
 *      -L.build/release -lswiftframe -Wl,-rpath,.build/release -o stats
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "swiftframe.h"

/* Prints the failing call and the library's message for a non-OK status.
 * Returns 1 on failure so callers can write `if (failed(...)) goto done;`. */
static int failed(int32_t status, const char* what) {
  if (status == SF_OK) return 0;
  fprintf(stderr, "stats: %s: %s (status %d)\n", what, sf_last_error(), (int)status);
  return 1;
}

/* A float64 result's value (sf_scalar.bits holds the bits of the double). */
static double as_double(sf_scalar s) {
  double d;
  memcpy(&d, &s.bits, sizeof d);
  return d;
}

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    fprintf(stderr, "usage: %s FILE.arrow [XCOL [YCOL]]\n", argv[0]);
    return 2;
  }
  const char* path = argv[1];
  const char* xcol = argc > 2 ? argv[2] : "x";
  const char* ycol = argc > 3 ? argv[3] : "y";

  /* Check that the header and the loaded library agree on the ABI's major version. */
  if (sf_abi_version() / 10000 != SF_ABI_VERSION_MAJOR) {
    fprintf(stderr, "stats: libswiftframe ABI %d does not match this program's %d.%d\n", (int)sf_abi_version(),
            SF_ABI_VERSION_MAJOR, SF_ABI_VERSION_MINOR);
    return 1;
  }

  int exit_code = 1;
  sf_frame* frame = NULL;    /* owned: released at the end */
  sf_frame* positive = NULL; /* owned: released at the end */

  /* The expressions, built from the column names. */
  char radius[512], filter[256];
  int nr = snprintf(radius, sizeof radius, "sqrt(%s**2 + %s**2)", xcol, ycol);
  int nf = snprintf(filter, sizeof filter, "%s > 0", ycol);
  if (nr < 0 || (size_t)nr >= sizeof radius || nf < 0 || (size_t)nf >= sizeof filter) {
    fprintf(stderr, "stats: column names are too long\n");
    return 1;
  }

  /* Map the file: no column data is read yet. */
  if (failed(sf_frame_open(path, &frame), path)) goto done;

  /* A virtual column costs nothing until a pass; its expression is checked now. */
  if (failed(sf_frame_add_virtual_column(frame, "r", radius), "adding r")) goto done;

  /* A filtered frame shares the data; it too reads nothing. */
  if (failed(sf_frame_filter(frame, filter, &positive), "filtering")) goto done;

  /* Two statistics, one pass: the rows that pass the filter and the mean of r. */
  const int32_t kinds[2] = {SF_AGG_COUNT, SF_AGG_MEAN};
  const char* const expressions[2] = {NULL, "r"}; /* count of NULL counts rows */
  sf_scalar results[2];
  if (failed(sf_frame_aggregate(positive, 2, kinds, expressions, NULL, NULL, NULL, NULL, results), "computing the mean"))
    goto done;

  printf("file: %s\n", path);
  printf("r = %s\n", radius);
  printf("filter: %s\n", filter);
  printf("rows: %lld\n", (long long)(int64_t)results[0].bits);
  if (results[1].is_null)
    printf("mean(r) = nan\n"); /* no row passed the filter */
  else
    printf("mean(r) = %.17g\n", as_double(results[1]));
  exit_code = 0;

done:
  /* Release in any order; NULL handles are no-ops. */
  sf_frame_release(positive);
  sf_frame_release(frame);
  return exit_code;
}
