/* capi_test: the C ABI of libswiftframe.so, seen from C.
 *
 * Frames are built over in-memory arrays (sf_frame_from_arrays); every statistic
 * is compared with a value this file computes itself with a plain loop over the
 * same arrays. Covers statuses and messages for bad input, NULL-safe release,
 * outputs left unchanged on error, cancellation through the progress callback,
 * and several threads sharing one frame.
 *
 * Prints one line per failed check, then "N passed, N failed" alone on the last
 * line; exits 1 when a check failed.
 *
 *   cc -std=c11 -Wall -Wextra -Werror -Iinclude Tests/C/capi_test.c \
 *      -L.build/release -lswiftframe -Wl,-rpath,.build/release -lpthread -lm -o capi_test
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swiftframe.h"

/* ---------------------------------------------------------------- harness */

static int passed, failed;
static pthread_mutex_t harness_lock = PTHREAD_MUTEX_INITIALIZER;

static int record(int ok, const char* what, const char* file, int line, const char* detail) {
  pthread_mutex_lock(&harness_lock);
  if (ok) {
    passed++;
  } else {
    failed++;
    fprintf(stdout, "FAIL %s:%d: %s%s%s\n", file, line, what, detail[0] ? " -- " : "", detail);
  }
  pthread_mutex_unlock(&harness_lock);
  return ok;
}

/* CHECK(cond): a boolean check. */
#define CHECK(cond) record((cond) ? 1 : 0, #cond, __FILE__, __LINE__, "")

/* CHECK_STATUS(call, expected): the status of call, with the library's message on mismatch. */
#define CHECK_STATUS(call, expected) check_status((call), (expected), #call, __FILE__, __LINE__)

static int check_status(int32_t got, int32_t expected, const char* what, const char* file, int line) {
  char detail[512] = "";
  if (got != expected)
    snprintf(detail, sizeof detail, "status %d, expected %d; sf_last_error: %s", (int)got, (int)expected,
             got == SF_OK ? "(none)" : sf_last_error());
  return record(got == expected, what, file, line, detail);
}

/* CHECK_ERROR(call, expected, fragment): a failing call, its status and a message containing fragment. */
#define CHECK_ERROR(call, expected, fragment) check_error((call), (expected), (fragment), #call, __FILE__, __LINE__)

static void check_error(int32_t got, int32_t expected, const char* fragment, const char* what, const char* file,
                        int line) {
  if (!check_status(got, expected, what, file, line)) return;
  const char* message = sf_last_error();
  char detail[512];
  snprintf(detail, sizeof detail, "message '%s' lacks '%s'", message ? message : "(NULL)", fragment);
  record(message != NULL && strstr(message, fragment) != NULL, what, file, line, detail);
}

/* CHECK_CLOSE(got, expected, scale): |got - expected| <= 1e-9 * scale (scale: the size of the terms). */
#define CHECK_CLOSE(got, expected, scale) check_close((got), (expected), (scale), #got, __FILE__, __LINE__)

static int check_close(double got, double expected, double scale, const char* what, const char* file, int line) {
  char detail[256] = "";
  int ok = fabs(got - expected) <= 1e-9 * scale;
  if (!ok) snprintf(detail, sizeof detail, "got %.17g, expected %.17g", got, expected);
  return record(ok, what, file, line, detail);
}

#define CHECK_EQ_INT(got, expected) check_eq_int((int64_t)(got), (int64_t)(expected), #got, __FILE__, __LINE__)

static int check_eq_int(int64_t got, int64_t expected, const char* what, const char* file, int line) {
  char detail[128] = "";
  if (got != expected) snprintf(detail, sizeof detail, "got %lld, expected %lld", (long long)got, (long long)expected);
  return record(got == expected, what, file, line, detail);
}

static double f64(sf_scalar s) {
  double d;
  memcpy(&d, &s.bits, sizeof d);
  return d;
}

static int64_t i64(sf_scalar s) { return (int64_t)s.bits; }

/* ---------------------------------------------------------------- data */

/* More than three chunks of the executor (64 Ki rows), with a ragged end. */
#define N 200003

static double xs[N], ys[N];
static int32_t ks[N];
static uint8_t flags[(N + 7) / 8]; /* bit-packed bool, LSB first as in Arrow */

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t next_random(void) { /* splitmix64 */
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

static double uniform(double lo, double hi) { return lo + (hi - lo) * (double)(next_random() >> 11) / 9007199254740992.0; }

static int flag(int64_t i) { return (flags[i / 8] >> (i % 8)) & 1; }

static void make_data(void) {
  for (int64_t i = 0; i < N; i++) {
    xs[i] = i % 101 == 0 ? NAN : uniform(-10, 10); /* NaN is a value that statistics skip */
    ys[i] = uniform(-5, 5);
    ks[i] = (int32_t)(uint32_t)next_random(); /* the full int32 range: sums overflow int32 */
    if (next_random() & 1) flags[i / 8] |= (uint8_t)(1u << (i % 8));
  }
}

static sf_frame* make_frame(void) {
  const char* names[4] = {"x", "y", "k", "flag"};
  const int32_t dtypes[4] = {SF_DTYPE_FLOAT64, SF_DTYPE_FLOAT64, SF_DTYPE_INT32, SF_DTYPE_BOOL};
  const void* data[4] = {xs, ys, ks, flags};
  sf_frame* frame = NULL;
  if (!CHECK_STATUS(sf_frame_from_arrays(N, 4, names, dtypes, data, &frame), SF_OK)) {
    fprintf(stdout, "cannot build the test frame; stopping\n");
    printf("%d passed, %d failed\n", passed, failed);
    exit(1);
  }
  return frame;
}

/* ---------------------------------------------------------------- references */

/* Statistics of the values of one expression, computed with plain loops. */
typedef struct {
  int64_t count;        /* values neither missing nor NaN */
  double sum, sum_abs;  /* sum_abs: the scale for float comparisons */
  double mean, var, min, max;
} reference;

static reference reference_of(const double* v, const unsigned char* keep, int64_t n) {
  reference r = {0, 0, 0, NAN, NAN, INFINITY, -INFINITY};
  long double sum = 0, sum_abs = 0;
  for (int64_t i = 0; i < n; i++) {
    if ((keep && !keep[i]) || isnan(v[i])) continue;
    r.count++;
    sum += v[i];
    sum_abs += fabs(v[i]);
    if (v[i] < r.min) r.min = v[i];
    if (v[i] > r.max) r.max = v[i];
  }
  r.sum = (double)sum;
  r.sum_abs = (double)sum_abs;
  if (r.count > 0) {
    r.mean = (double)(sum / r.count);
    long double m2 = 0;
    for (int64_t i = 0; i < n; i++) {
      if ((keep && !keep[i]) || isnan(v[i])) continue;
      m2 += ((long double)v[i] - r.mean) * ((long double)v[i] - r.mean);
    }
    r.var = (double)(m2 / r.count);
  }
  return r;
}

static double radius[N];
static unsigned char y_positive[N], flagged[N];
static reference ref_x, ref_x_flagged, ref_r_positive;
static double reference_x_positive_sum;
static int64_t ref_k_sum, ref_k_sum_positive, rows_positive;
static int32_t ref_k_min, ref_k_max, ref_k_min_positive;

static void make_references(void) {
  ref_k_min = INT32_MAX;
  ref_k_max = INT32_MIN;
  ref_k_min_positive = INT32_MAX;
  for (int64_t i = 0; i < N; i++) {
    radius[i] = sqrt(xs[i] * xs[i] + ys[i] * ys[i]);
    y_positive[i] = ys[i] > 0;
    flagged[i] = (unsigned char)flag(i);
    rows_positive += y_positive[i];
    ref_k_sum += ks[i];
    if (y_positive[i]) ref_k_sum_positive += ks[i];
    if (y_positive[i] && ks[i] < ref_k_min_positive) ref_k_min_positive = ks[i];
    if (ks[i] < ref_k_min) ref_k_min = ks[i];
    if (ks[i] > ref_k_max) ref_k_max = ks[i];
  }
  ref_x = reference_of(xs, NULL, N);
  ref_x_flagged = reference_of(xs, flagged, N);
  ref_r_positive = reference_of(radius, y_positive, N);
  reference_x_positive_sum = reference_of(xs, y_positive, N).sum;
}

/* ---------------------------------------------------------------- tests */

static void test_version(void) {
  CHECK(sf_abi_version() == SF_ABI_VERSION_MAJOR * 10000 + SF_ABI_VERSION_MINOR * 100 + SF_ABI_VERSION_PATCH);
  CHECK(sf_last_error() != NULL);
}

static void test_statistics(sf_frame* frame) {
  enum { K = 12 };
  const int32_t kinds[K] = {SF_AGG_COUNT, SF_AGG_COUNT, SF_AGG_SUM, SF_AGG_MEAN, SF_AGG_VAR, SF_AGG_STD,
                            SF_AGG_MIN,   SF_AGG_MAX,   SF_AGG_SUM, SF_AGG_MIN, SF_AGG_MAX, SF_AGG_MEAN};
  const char* const expressions[K] = {NULL, "x", "x", "x", "x", "x", "x", "x", "k", "k", "k", "x"};
  const char* const selections[K] = {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "flag"};
  sf_scalar out[K];
  int64_t passes = sf_pass_count();
  if (!CHECK_STATUS(sf_frame_aggregate(frame, K, kinds, expressions, NULL, selections, NULL, NULL, out), SF_OK)) return;
  CHECK_EQ_INT(sf_pass_count() - passes, 1); /* twelve statistics, one pass */

  CHECK_EQ_INT(i64(out[0]), N);
  CHECK(out[0].dtype == SF_DTYPE_INT64);
  CHECK_EQ_INT(i64(out[1]), ref_x.count); /* NaN is not counted */
  CHECK_CLOSE(f64(out[2]), ref_x.sum, ref_x.sum_abs);
  CHECK_CLOSE(f64(out[3]), ref_x.mean, ref_x.sum_abs / ref_x.count);
  CHECK_CLOSE(f64(out[4]), ref_x.var, ref_x.var);
  CHECK_CLOSE(f64(out[5]), sqrt(ref_x.var), sqrt(ref_x.var));
  CHECK(out[6].dtype == SF_DTYPE_FLOAT64 && f64(out[6]) == ref_x.min);
  CHECK(out[7].dtype == SF_DTYPE_FLOAT64 && f64(out[7]) == ref_x.max);
  CHECK_EQ_INT(i64(out[8]), ref_k_sum); /* integer sums are exact, in int64 */
  CHECK(out[9].dtype == SF_DTYPE_INT32 && !out[9].is_null);
  CHECK_EQ_INT(i64(out[9]), ref_k_min);
  CHECK_EQ_INT(i64(out[10]), ref_k_max);
  CHECK_CLOSE(f64(out[11]), ref_x_flagged.mean, ref_x_flagged.sum_abs / ref_x_flagged.count);
}

static void test_virtual_column_and_filter(sf_frame* frame) {
  sf_frame* copy = NULL;
  sf_frame* positive = NULL;
  if (!CHECK_STATUS(sf_frame_copy(frame, &copy), SF_OK)) return;
  CHECK_STATUS(sf_frame_add_virtual_column(copy, "r", "sqrt(x**2 + y**2)"), SF_OK);
  if (CHECK_STATUS(sf_frame_filter(copy, "y > 0", &positive), SF_OK)) {
    int64_t length = -1;
    CHECK_STATUS(sf_frame_length(positive, NULL, NULL, &length), SF_OK);
    CHECK_EQ_INT(length, rows_positive);

    const int32_t kinds[4] = {SF_AGG_MEAN, SF_AGG_COUNT, SF_AGG_SUM, SF_AGG_COUNT};
    const char* const expressions[4] = {"r", "r", "k", NULL};
    sf_scalar out[4];
    if (CHECK_STATUS(sf_frame_aggregate(positive, 4, kinds, expressions, NULL, NULL, NULL, NULL, out), SF_OK)) {
      CHECK_CLOSE(f64(out[0]), ref_r_positive.mean, ref_r_positive.mean);
      CHECK_EQ_INT(i64(out[1]), ref_r_positive.count);
      CHECK_EQ_INT(i64(out[2]), ref_k_sum_positive);
      CHECK_EQ_INT(i64(out[3]), rows_positive);
    }

    /* Evaluating after the filter gives the passing rows in order. */
    enum { M = 1000 };
    static double values[M];
    static uint8_t valid[M];
    int64_t missing = -1;
    if (CHECK_STATUS(sf_frame_evaluate(positive, "r", 0, M, SF_DTYPE_FLOAT64, values, valid, NULL, NULL, &missing),
                     SF_OK)) {
      int64_t j = 0, mismatches = 0, expected_missing = 0;
      for (int64_t i = 0; i < N && j < M; i++) {
        if (!y_positive[i]) continue;
        if (isnan(radius[i]) ? !isnan(values[j]) : values[j] != radius[i]) mismatches++;
        if (valid[j] != 1) mismatches++;
        j++;
      }
      CHECK_EQ_INT(mismatches, 0);
      CHECK_EQ_INT(missing, expected_missing); /* NaN is a value, not a missing one */
    }
  }
  /* The original frame did not get the copy's virtual column. */
  int32_t dtype = -1;
  CHECK_ERROR(sf_frame_dtype(frame, "r", &dtype), SF_ERR_NAME, "r");
  CHECK_STATUS(sf_frame_dtype(copy, "r > 1", &dtype), SF_OK);
  CHECK(dtype == SF_DTYPE_BOOL);
  sf_frame_release(positive);
  sf_frame_release(copy);
}

static void test_columns_json(sf_frame* frame) {
  char* json = NULL;
  if (!CHECK_STATUS(sf_frame_columns_json(frame, &json), SF_OK)) return;
  CHECK(json != NULL && strstr(json, "\"x\"") != NULL && strstr(json, "\"flag\"") != NULL);
  CHECK(json != NULL && strstr(json, "float64") != NULL && strstr(json, "int32") != NULL);
  sf_string_free(json);
}

static void test_null_arguments(sf_frame* frame) {
  sf_frame* out = NULL;
  int64_t length = 0;
  int32_t dtype = 0;
  sf_scalar scalar;
  const int32_t kinds[1] = {SF_AGG_SUM};
  const char* const expressions[1] = {"x"};
  double values[4];
  char* json = NULL;

  /* A NULL handle. */
  CHECK_ERROR(sf_frame_aggregate(NULL, 1, kinds, expressions, NULL, NULL, NULL, NULL, &scalar), SF_ERR_ARGUMENT, "NULL");
  CHECK_ERROR(sf_frame_filter(NULL, "y > 0", &out), SF_ERR_ARGUMENT, "NULL");
  CHECK_ERROR(sf_frame_length(NULL, NULL, NULL, &length), SF_ERR_ARGUMENT, "NULL");
  CHECK_ERROR(sf_frame_add_virtual_column(NULL, "r", "x"), SF_ERR_ARGUMENT, "NULL");
  CHECK_ERROR(sf_frame_copy(NULL, &out), SF_ERR_ARGUMENT, "NULL");
  CHECK_ERROR(sf_frame_evaluate(NULL, "x", 0, 4, SF_DTYPE_FLOAT64, values, NULL, NULL, NULL, NULL), SF_ERR_ARGUMENT,
              "NULL");

  /* NULL out pointers. */
  CHECK_ERROR(sf_frame_open("some.arrow", NULL), SF_ERR_ARGUMENT, "NULL");
  CHECK_ERROR(sf_frame_filter(frame, "y > 0", NULL), SF_ERR_ARGUMENT, "NULL");
  CHECK_ERROR(sf_frame_copy(frame, NULL), SF_ERR_ARGUMENT, "NULL");
  CHECK_ERROR(sf_frame_length(frame, NULL, NULL, NULL), SF_ERR_ARGUMENT, "NULL");
  CHECK_ERROR(sf_frame_dtype(frame, "x", NULL), SF_ERR_ARGUMENT, "NULL");
  CHECK_ERROR(sf_frame_columns_json(frame, NULL), SF_ERR_ARGUMENT, "NULL");
  CHECK_ERROR(sf_frame_aggregate(frame, 1, kinds, expressions, NULL, NULL, NULL, NULL, NULL), SF_ERR_ARGUMENT, "NULL");
  CHECK_ERROR(sf_frame_evaluate(frame, "x", 0, 4, SF_DTYPE_FLOAT64, NULL, NULL, NULL, NULL, NULL), SF_ERR_ARGUMENT,
              "NULL");

  /* NULL strings and arrays. */
  CHECK_ERROR(sf_frame_open(NULL, &out), SF_ERR_ARGUMENT, "NULL");
  CHECK_ERROR(sf_frame_add_virtual_column(frame, NULL, "x"), SF_ERR_ARGUMENT, "NULL");
  CHECK_ERROR(sf_frame_add_virtual_column(frame, "r", NULL), SF_ERR_ARGUMENT, "NULL");
  CHECK_ERROR(sf_frame_filter(frame, NULL, &out), SF_ERR_ARGUMENT, "NULL");
  CHECK_ERROR(sf_frame_dtype(frame, NULL, &dtype), SF_ERR_ARGUMENT, "NULL");
  CHECK_ERROR(sf_frame_aggregate(frame, 1, NULL, expressions, NULL, NULL, NULL, NULL, &scalar), SF_ERR_ARGUMENT, "NULL");
  CHECK_ERROR(sf_frame_aggregate(frame, 1, kinds, NULL, NULL, NULL, NULL, NULL, &scalar), SF_ERR_ARGUMENT, "NULL");
  CHECK_ERROR(sf_frame_from_arrays(10, 1, NULL, NULL, NULL, &out), SF_ERR_ARGUMENT, "NULL");
  CHECK(out == NULL && json == NULL);

  /* Releasing and freeing NULL are no-ops. */
  sf_frame_release(NULL);
  sf_string_free(NULL);
  CHECK(1);
}

static void test_bad_input(sf_frame* frame) {
  int32_t dtype = -1;
  sf_frame* out = NULL;
  sf_scalar scalar;

  /* Unknown columns: SF_ERR_NAME, naming the column. */
  CHECK_ERROR(sf_frame_dtype(frame, "nope + 1", &dtype), SF_ERR_NAME, "nope");
  CHECK_ERROR(sf_frame_add_virtual_column(frame, "z", "x * no_such_column"), SF_ERR_NAME, "no_such_column");
  CHECK_ERROR(sf_frame_filter(frame, "missing_col > 0", &out), SF_ERR_NAME, "missing_col");
  const int32_t kinds[2] = {SF_AGG_SUM, SF_AGG_MEAN};
  const char* const unknown[2] = {"x", "ghost"};
  CHECK_ERROR(sf_frame_aggregate(frame, 2, kinds, unknown, NULL, NULL, NULL, NULL, &scalar), SF_ERR_NAME, "ghost");
  const char* names[1] = {"ghost"};
  CHECK_ERROR(sf_frame_select_columns(frame, 1, names, &out), SF_ERR_NAME, "ghost");

  /* Malformed expressions: SF_ERR_EXPRESSION. */
  CHECK_ERROR(sf_frame_dtype(frame, "x +", &dtype), SF_ERR_EXPRESSION, "");
  CHECK_ERROR(sf_frame_dtype(frame, "(x * 2", &dtype), SF_ERR_EXPRESSION, "");
  CHECK_ERROR(sf_frame_dtype(frame, "x $ y", &dtype), SF_ERR_EXPRESSION, "");
  CHECK_ERROR(sf_frame_add_virtual_column(frame, "z", "sqrt(x"), SF_ERR_EXPRESSION, "");
  CHECK_ERROR(sf_frame_filter(frame, "y >", &out), SF_ERR_EXPRESSION, "");

  /* Type errors: SF_ERR_TYPE. */
  CHECK_ERROR(sf_frame_filter(frame, "x + 1", &out), SF_ERR_TYPE, "boolean");
  CHECK_ERROR(sf_frame_dtype(frame, "~x", &dtype), SF_ERR_TYPE, "");
  CHECK_ERROR(sf_frame_dtype(frame, "x & k", &dtype), SF_ERR_TYPE, "");
  CHECK_ERROR(sf_frame_dtype(frame, "-flag", &dtype), SF_ERR_TYPE, "");
  CHECK_ERROR(sf_frame_dtype(frame, "sqrt(x, y)", &dtype), SF_ERR_TYPE, "argument");

  /* A file that does not exist: SF_ERR_NOT_FOUND, naming it. */
  CHECK_ERROR(sf_frame_open("/nonexistent/swiftframe/missing.arrow", &out), SF_ERR_NOT_FOUND, "missing.arrow");

  /* sf_frame_evaluate with a dtype other than the expression's: SF_ERR_ARGUMENT. */
  int32_t ints[8];
  double doubles[8];
  CHECK_ERROR(sf_frame_evaluate(frame, "x", 0, 8, SF_DTYPE_INT32, ints, NULL, NULL, NULL, NULL), SF_ERR_ARGUMENT,
              "float64");
  CHECK_ERROR(sf_frame_evaluate(frame, "k", 0, 8, SF_DTYPE_FLOAT64, doubles, NULL, NULL, NULL, NULL),
              SF_ERR_ARGUMENT, "int32");
  CHECK_ERROR(sf_frame_evaluate(frame, "x", 0, 8, 99, doubles, NULL, NULL, NULL, NULL), SF_ERR_ARGUMENT, "99");
  /* Rows out of range. */
  CHECK_ERROR(sf_frame_evaluate(frame, "x", N - 4, N + 4, SF_DTYPE_FLOAT64, doubles, NULL, NULL, NULL, NULL),
              SF_ERR_ARGUMENT, "range");
  CHECK_ERROR(sf_frame_evaluate(frame, "x", 5, 2, SF_DTYPE_FLOAT64, doubles, NULL, NULL, NULL, NULL), SF_ERR_ARGUMENT,
              "range");
  /* And in range, the values themselves. */
  if (CHECK_STATUS(sf_frame_evaluate(frame, "k", 100, 108, SF_DTYPE_INT32, ints, NULL, NULL, NULL, NULL), SF_OK))
    CHECK(memcmp(ints, ks + 100, sizeof ints) == 0);

  /* Unknown codes and bad shapes. */
  const int32_t bad_kind[1] = {42};
  const char* const one[1] = {"x"};
  CHECK_ERROR(sf_frame_aggregate(frame, 1, bad_kind, one, NULL, NULL, NULL, NULL, &scalar), SF_ERR_ARGUMENT, "42");
  const int32_t sum_kind[1] = {SF_AGG_SUM};
  const char* const null_expression[1] = {NULL};
  CHECK_ERROR(sf_frame_aggregate(frame, 1, sum_kind, null_expression, NULL, NULL, NULL, NULL, &scalar), SF_ERR_ARGUMENT,
              "NULL");
  const char* dup_names[2] = {"a", "a"};
  const int32_t dup_dtypes[2] = {SF_DTYPE_FLOAT64, SF_DTYPE_FLOAT64};
  const void* dup_data[2] = {xs, ys};
  CHECK_ERROR(sf_frame_from_arrays(N, 2, dup_names, dup_dtypes, dup_data, &out), SF_ERR_ARGUMENT, "duplicate");
  const int32_t bad_dtype[1] = {77};
  CHECK_ERROR(sf_frame_from_arrays(N, 1, dup_names, bad_dtype, dup_data, &out), SF_ERR_ARGUMENT, "77");
  CHECK_ERROR(sf_frame_from_arrays(-1, 1, dup_names, dup_dtypes, dup_data, &out), SF_ERR_ARGUMENT, "negative");
  CHECK(out == NULL);

  /* A failed call leaves the frame usable and unchanged. */
  CHECK_STATUS(sf_frame_dtype(frame, "z", &dtype), SF_ERR_NAME);
  CHECK_STATUS(sf_frame_dtype(frame, "x", &dtype), SF_OK);
  CHECK(dtype == SF_DTYPE_FLOAT64);
}

/* Outputs keep their value when a call fails. */
static void test_outputs_unchanged_on_error(sf_frame* frame) {
  static int marker;
  sf_frame* const sentinel = (sf_frame*)(void*)&marker;
  sf_frame* out = sentinel;
  CHECK_STATUS(sf_frame_open("/nonexistent/swiftframe/missing.arrow", &out), SF_ERR_NOT_FOUND);
  CHECK(out == sentinel);
  CHECK_STATUS(sf_frame_filter(frame, "nope > 0", &out), SF_ERR_NAME);
  CHECK(out == sentinel);
  CHECK_STATUS(sf_frame_copy(NULL, &out), SF_ERR_ARGUMENT);
  CHECK(out == sentinel);

  int32_t dtype = -7;
  CHECK_STATUS(sf_frame_dtype(frame, "x +", &dtype), SF_ERR_EXPRESSION);
  CHECK(dtype == -7);

  char* json = (char*)"untouched";
  CHECK_STATUS(sf_frame_columns_json(NULL, &json), SF_ERR_ARGUMENT);
  CHECK(strcmp(json, "untouched") == 0);

  /* An aggregate writes none of its results when any request fails. */
  sf_scalar results[3], before[3];
  memset(results, 0xAB, sizeof results);
  memcpy(before, results, sizeof results);
  const int32_t kinds[3] = {SF_AGG_SUM, SF_AGG_MEAN, SF_AGG_MAX};
  const char* const expressions[3] = {"x", "y", "x / flag +"};
  CHECK_STATUS(sf_frame_aggregate(frame, 3, kinds, expressions, NULL, NULL, NULL, NULL, results), SF_ERR_EXPRESSION);
  CHECK(memcmp(results, before, sizeof results) == 0);
  const char* const selections[3] = {NULL, "x", NULL}; /* a selection that is not boolean */
  const char* const good[3] = {"x", "y", "k"};
  CHECK_STATUS(sf_frame_aggregate(frame, 3, kinds, good, NULL, selections, NULL, NULL, results), SF_ERR_TYPE);
  CHECK(memcmp(results, before, sizeof results) == 0);

  int64_t missing = -3;
  double values[4];
  CHECK_STATUS(sf_frame_evaluate(frame, "nope", 0, 4, SF_DTYPE_FLOAT64, values, NULL, NULL, NULL, &missing),
               SF_ERR_NAME);
  CHECK(missing == -3);
}

/* ---------------------------------------------------------------- progress */

typedef struct {
  int calls;
  int cancel_after; /* cancel on this call (1 = the first); 0 never cancels */
  double last;
  int out_of_order;
} progress_state;

static int32_t on_progress(void* ctx, double fraction) {
  progress_state* s = ctx;
  s->calls++;
  if (fraction < 0 || fraction > 1 || fraction < s->last) s->out_of_order++;
  s->last = fraction;
  return s->cancel_after != 0 && s->calls >= s->cancel_after;
}

static void test_progress(sf_frame* frame) {
  const int32_t kinds[2] = {SF_AGG_SUM, SF_AGG_COUNT};
  const char* const expressions[2] = {"x", NULL};
  sf_scalar results[2];

  /* A callback that lets the pass run sees fractions rising to 1. */
  progress_state keep = {0, 0, 0, 0};
  if (CHECK_STATUS(sf_frame_aggregate(frame, 2, kinds, expressions, NULL, NULL, on_progress, &keep, results), SF_OK)) {
    CHECK_CLOSE(f64(results[0]), ref_x.sum, ref_x.sum_abs);
    CHECK_EQ_INT(i64(results[1]), N);
  }
  CHECK(keep.calls >= 1);
  CHECK(keep.last == 1.0);
  CHECK_EQ_INT(keep.out_of_order, 0);

  /* A callback that returns non-zero cancels: SF_ERR_CANCELLED, results untouched. */
  progress_state stop = {0, 1, 0, 0};
  sf_scalar before[2];
  memset(results, 0x5A, sizeof results);
  memcpy(before, results, sizeof results);
  CHECK_ERROR(sf_frame_aggregate(frame, 2, kinds, expressions, NULL, NULL, on_progress, &stop, results), SF_ERR_CANCELLED,
              "cancel");
  CHECK(stop.calls >= 1);
  CHECK(memcmp(results, before, sizeof results) == 0);

  /* The same for the pass that counts a filtered frame's rows. */
  sf_frame* filtered = NULL;
  if (CHECK_STATUS(sf_frame_filter(frame, "flag", &filtered), SF_OK)) {
    progress_state stop2 = {0, 1, 0, 0};
    int64_t length = -5;
    CHECK_STATUS(sf_frame_length(filtered, on_progress, &stop2, &length), SF_ERR_CANCELLED);
    CHECK(length == -5);
    /* A cancelled pass leaves nothing behind: the next one completes. */
    CHECK_STATUS(sf_frame_length(filtered, NULL, NULL, &length), SF_OK);
    int64_t expected = 0;
    for (int64_t i = 0; i < N; i++) expected += flagged[i];
    CHECK_EQ_INT(length, expected);
    sf_frame_release(filtered);
  }
}

/* ---------------------------------------------------------------- threads */

enum { THREADS = 8, ROUNDS = 6 };

typedef struct {
  sf_frame* frame;
  int id;
  int wrong;       /* results that differ from the references */
  int bad_status;  /* calls that failed unexpectedly */
  int bad_message; /* another thread's error message seen */
} thread_job;

static void* aggregate_concurrently(void* arg) {
  thread_job* job = arg;
  char column[64], expected_fragment[64];
  snprintf(column, sizeof column, "unknown_%d", job->id);
  snprintf(expected_fragment, sizeof expected_fragment, "unknown_%d", job->id);
  for (int round = 0; round < ROUNDS; round++) {
    /* Derive and release a frame on every round: handles are shared and refcounted. */
    sf_frame* positive = NULL;
    if (sf_frame_filter(job->frame, "y > 0", &positive) != SF_OK) {
      job->bad_status++;
      continue;
    }
    const int32_t kinds[5] = {SF_AGG_MEAN, SF_AGG_SUM, SF_AGG_COUNT, SF_AGG_MIN, SF_AGG_SUM};
    const char* const expressions[5] = {"sqrt(x**2 + y**2)", "k", NULL, "k", "x"};
    sf_scalar out[5];
    if (sf_frame_aggregate(positive, 5, kinds, expressions, NULL, NULL, NULL, NULL, out) != SF_OK) {
      job->bad_status++;
    } else {
      if (fabs(f64(out[0]) - ref_r_positive.mean) > 1e-9 * ref_r_positive.mean) job->wrong++;
      if (i64(out[1]) != ref_k_sum_positive) job->wrong++;
      if (i64(out[2]) != rows_positive) job->wrong++;
      if (i64(out[3]) != ref_k_min_positive) job->wrong++;
      if (fabs(f64(out[4]) - reference_x_positive_sum) > 1e-9 * ref_x.sum_abs) job->wrong++;
    }
    sf_frame_release(positive);

    /* Whole-frame statistics on the shared handle. */
    const int32_t kinds2[2] = {SF_AGG_SUM, SF_AGG_MAX};
    const char* const expressions2[2] = {"x", "k"};
    if (sf_frame_aggregate(job->frame, 2, kinds2, expressions2, NULL, NULL, NULL, NULL, out) != SF_OK) {
      job->bad_status++;
    } else {
      if (fabs(f64(out[0]) - ref_x.sum) > 1e-9 * ref_x.sum_abs) job->wrong++;
      if (i64(out[1]) != ref_k_max) job->wrong++;
    }

    /* Error messages are per thread. */
    int32_t dtype;
    if (sf_frame_dtype(job->frame, column, &dtype) != SF_ERR_NAME) job->bad_status++;
    if (strstr(sf_last_error(), expected_fragment) == NULL) job->bad_message++;
  }
  return NULL;
}

static void test_threads(sf_frame* frame) {
  pthread_t threads[THREADS];
  thread_job jobs[THREADS];
  int started = 0;
  for (int t = 0; t < THREADS; t++) {
    jobs[t] = (thread_job){frame, t, 0, 0, 0};
    if (pthread_create(&threads[t], NULL, aggregate_concurrently, &jobs[t]) != 0) break;
    started++;
  }
  CHECK_EQ_INT(started, THREADS);
  int wrong = 0, bad_status = 0, bad_message = 0;
  for (int t = 0; t < started; t++) {
    pthread_join(threads[t], NULL);
    wrong += jobs[t].wrong;
    bad_status += jobs[t].bad_status;
    bad_message += jobs[t].bad_message;
  }
  CHECK_EQ_INT(wrong, 0);
  CHECK_EQ_INT(bad_status, 0);
  CHECK_EQ_INT(bad_message, 0);
}

/* ---------------------------------------------------------------- edge frames */

static void test_empty_and_small_frames(void) {
  /* Zero rows: counts are 0, the mean is NaN, min has no value. */
  sf_frame* empty = NULL;
  const char* names[1] = {"x"};
  const int32_t dtypes[1] = {SF_DTYPE_FLOAT64};
  const void* data[1] = {xs};
  if (CHECK_STATUS(sf_frame_from_arrays(0, 1, names, dtypes, data, &empty), SF_OK)) {
    const int32_t kinds[4] = {SF_AGG_COUNT, SF_AGG_SUM, SF_AGG_MEAN, SF_AGG_MIN};
    const char* const expressions[4] = {NULL, "x", "x", "x"};
    sf_scalar out[4];
    if (CHECK_STATUS(sf_frame_aggregate(empty, 4, kinds, expressions, NULL, NULL, NULL, NULL, out), SF_OK)) {
      CHECK_EQ_INT(i64(out[0]), 0);
      CHECK(f64(out[1]) == 0.0);
      CHECK(isnan(f64(out[2])));
      CHECK(out[3].is_null == 1);
    }
    sf_frame_release(empty);
  }

  /* A few int8 values: integer arithmetic wraps around as in numpy. */
  static const int8_t small[5] = {-128, -7, 0, 7, 127};
  sf_frame* frame = NULL;
  const int32_t int8_type[1] = {SF_DTYPE_INT8};
  const void* small_data[1] = {small};
  const char* small_names[1] = {"v"};
  if (CHECK_STATUS(sf_frame_from_arrays(5, 1, small_names, int8_type, small_data, &frame), SF_OK)) {
    int8_t values[5];
    int32_t dtype = 0;
    CHECK_STATUS(sf_frame_dtype(frame, "v * 3", &dtype), SF_OK);
    CHECK(dtype == SF_DTYPE_INT8);
    if (CHECK_STATUS(sf_frame_evaluate(frame, "v * 3", 0, 5, SF_DTYPE_INT8, values, NULL, NULL, NULL, NULL), SF_OK)) {
      int mismatches = 0;
      for (int i = 0; i < 5; i++) mismatches += values[i] != (int8_t)(uint8_t)((unsigned)small[i] * 3u);
      CHECK_EQ_INT(mismatches, 0);
    }
    const int32_t kinds[1] = {SF_AGG_SUM};
    const char* const expressions[1] = {"v"};
    sf_scalar out[1];
    if (CHECK_STATUS(sf_frame_aggregate(frame, 1, kinds, expressions, NULL, NULL, NULL, NULL, out), SF_OK))
      CHECK_EQ_INT(i64(out[0]), -128 - 7 + 0 + 7 + 127); /* summed in int64: no wrap */
    sf_frame_release(frame);
  }
}

/* ------------------------------------------------------------- grids and groups */

static void test_grids_and_groups(sf_frame* frame) {
  /* count(x) and sum(k) on a 20-cell grid of x over [-10, 10), against a plain loop. */
  enum { CELLS = 20 };
  int64_t counts[CELLS] = {0};
  int64_t sums[CELLS] = {0};
  for (int64_t i = 0; i < N; i++) {
    if (isnan(xs[i])) continue;
    double position = (xs[i] + 10.0) / 20.0 * CELLS;
    if (position < 0 || position >= CELLS) continue;
    counts[(int)position]++;
    sums[(int)position] = (int64_t)((uint64_t)sums[(int)position] + (uint64_t)(int64_t)ks[i]);
  }
  const int32_t kinds[2] = {SF_AGG_COUNT, SF_AGG_SUM};
  const char* const expressions[2] = {"x", "k"};
  const char* const binby[1] = {"x"};
  const double low[1] = {-10.0}, high[1] = {10.0};
  const int64_t shape[1] = {CELLS};
  sf_scalar grid[2 * CELLS];
  if (CHECK_STATUS(sf_frame_aggregate_binned(frame, 2, kinds, expressions, NULL, NULL, 1, binby, low, high, shape, NULL,
                                             NULL, grid), SF_OK)) {
    int same = 1;
    for (int c = 0; c < CELLS; c++) same &= i64(grid[c]) == counts[c] && i64(grid[CELLS + c]) == sums[c];
    CHECK(same);
  }
  const int64_t bad_shape[1] = {0};
  CHECK_ERROR(sf_frame_aggregate_binned(frame, 2, kinds, expressions, NULL, NULL, 1, binby, low, high, bad_shape, NULL,
                                        NULL, grid), SF_ERR_ARGUMENT, "shape");

  /* groupby flag: count of rows and sum of k per group, against a plain loop. */
  int64_t rows[2] = {0, 0}, ksum[2] = {0, 0};
  for (int64_t i = 0; i < N; i++) {
    rows[flag(i)]++;
    ksum[flag(i)] = (int64_t)((uint64_t)ksum[flag(i)] + (uint64_t)(int64_t)ks[i]);
  }
  const char* const keys[1] = {"flag"};
  const char* const names[2] = {"n", "total"};
  const int32_t group_kinds[2] = {SF_AGG_COUNT, SF_AGG_SUM};
  const char* const group_expressions[2] = {NULL, "k"};
  sf_frame* groups = NULL;
  if (CHECK_STATUS(sf_frame_groupby(frame, 1, keys, keys, 2, group_kinds, group_expressions, NULL, NULL, names, NULL, NULL,
                                    &groups), SF_OK)) {
    int64_t n = 0, n_out[2] = {0}, total_out[2] = {0};
    uint8_t key_out[2] = {0};
    CHECK_STATUS(sf_frame_length(groups, NULL, NULL, &n), SF_OK);
    CHECK_EQ_INT(n, 2);
    CHECK_STATUS(sf_frame_evaluate(groups, "flag", 0, 2, SF_DTYPE_BOOL, key_out, NULL, NULL, NULL, NULL), SF_OK);
    CHECK_STATUS(sf_frame_evaluate(groups, "n", 0, 2, SF_DTYPE_INT64, n_out, NULL, NULL, NULL, NULL), SF_OK);
    CHECK_STATUS(sf_frame_evaluate(groups, "total", 0, 2, SF_DTYPE_INT64, total_out, NULL, NULL, NULL, NULL), SF_OK);
    CHECK(key_out[0] == 0 && key_out[1] == 1); /* sorted by key */
    CHECK(n_out[0] == rows[0] && n_out[1] == rows[1]);
    CHECK(total_out[0] == ksum[0] && total_out[1] == ksum[1]);
    sf_frame_release(groups);
  }
  CHECK_ERROR(sf_frame_groupby(frame, 1, (const char* const[]){"nope"}, keys, 2, group_kinds, group_expressions, NULL, NULL,
                               names, NULL, NULL, &groups), SF_ERR_NAME, "nope");

  /* covariance of x and y (x NaN rows skipped): the second expression in `seconds`. */
  double mx = 0, my = 0, cxy = 0;
  int64_t m = 0;
  for (int64_t i = 0; i < N; i++) if (!isnan(xs[i])) { mx += xs[i]; my += ys[i]; m++; }
  mx /= (double)m;
  my /= (double)m;
  for (int64_t i = 0; i < N; i++) if (!isnan(xs[i])) cxy += (xs[i] - mx) * (ys[i] - my);
  const int32_t cov_kind[1] = {SF_AGG_COVARIANCE};
  const char* const firsts[1] = {"x"};
  const char* const seconds[1] = {"y"};
  sf_scalar cov;
  if (CHECK_STATUS(sf_frame_aggregate(frame, 1, cov_kind, firsts, seconds, NULL, NULL, NULL, &cov), SF_OK)) {
    CHECK_CLOSE(f64(cov), cxy / (double)m, 1.0); /* within 1e-9: the values are about 0.06 */
  }
  CHECK_ERROR(sf_frame_aggregate(frame, 1, cov_kind, firsts, NULL, NULL, NULL, NULL, &cov), SF_ERR_ARGUMENT, "two");

  /* unique: the two flags, as a frame. */
  sf_frame* distinct = NULL;
  if (CHECK_STATUS(sf_frame_unique(frame, "flag", NULL, NULL, &distinct), SF_OK)) {
    int64_t n = 0;
    CHECK_STATUS(sf_frame_length(distinct, NULL, NULL, &n), SF_OK);
    CHECK_EQ_INT(n, 2);
    sf_frame_release(distinct);
  }
}

/* ---------------------------------------------------------------------- join */

/* A left join on an expression key: k mod 1000 (floor, as numpy) against a frame of the
 * keys 0 … 499 and v = 0.5 * key. The right frame is released before the joined one is
 * used: the joined frame keeps its data alive. */
static void test_join(sf_frame* frame) {
  enum { M = 500 };
  static int64_t keys[M];
  static double vs[M];
  for (int i = 0; i < M; i++) {
    keys[i] = M - 1 - i;
    vs[i] = 0.5 * (double)keys[i];
  }
  const char* names[2] = {"key", "v"};
  const int32_t dtypes[2] = {SF_DTYPE_INT64, SF_DTYPE_FLOAT64};
  const void* data[2] = {keys, vs};
  sf_frame* right = NULL;
  if (!CHECK_STATUS(sf_frame_from_arrays(M, 2, names, dtypes, data, &right), SF_OK)) return;
  sf_frame* joined = NULL;
  CHECK_ERROR(sf_frame_join(frame, right, "k % 1000", "key", "outer", "", "", "", "", 0, NULL, NULL, &joined), SF_ERR_ARGUMENT, "how");
  CHECK_ERROR(sf_frame_join(frame, right, "x", "key", "left", "", "", "", "", 0, NULL, NULL, &joined), SF_ERR_TYPE, "key");
  CHECK_ERROR(sf_frame_join(frame, right, "nope", "key", "left", "", "", "", "", 0, NULL, NULL, &joined), SF_ERR_NAME, "nope");
  CHECK(joined == NULL);
  int ok = CHECK_STATUS(sf_frame_join(frame, right, "k % 1000", "key", "left", "", "", "", "", 0, NULL, NULL, &joined), SF_OK);
  sf_frame_release(right);
  if (!ok) return;
  long double sum = 0;
  int64_t matched = 0;
  for (int64_t i = 0; i < N; i++) {
    int64_t m = ks[i] % 1000;
    if (m < 0) m += 1000;
    if (m < M) { sum += 0.5L * (long double)m; matched++; }
  }
  const int32_t kinds[3] = {SF_AGG_COUNT, SF_AGG_COUNT, SF_AGG_SUM};
  const char* const expressions[3] = {NULL, "v", "v"};
  sf_scalar out[3];
  if (CHECK_STATUS(sf_frame_aggregate(joined, 3, kinds, expressions, NULL, NULL, NULL, NULL, out), SF_OK)) {
    CHECK_EQ_INT(i64(out[0]), N); /* a left join with unique keys keeps every row */
    CHECK_EQ_INT(i64(out[1]), matched);
    CHECK_CLOSE(f64(out[2]), (double)sum, (double)sum);
  }
  sf_frame_release(joined);
}

/* ---------------------------------------------------------------------- rows */

/* Sorting by k descending then x ascending puts the rows in the order a stable
 * comparison gives; taking positions (negative from the end) reads those rows. */
static void test_sort_and_take(sf_frame* frame) {
  const char* keys[2] = {"k", "x"};
  const uint8_t ascending[2] = {0, 1};
  sf_frame* sorted = NULL;
  CHECK_ERROR(sf_frame_sort(frame, 2, NULL, ascending, NULL, NULL, &sorted), SF_ERR_ARGUMENT, "NULL");
  CHECK_ERROR(sf_frame_sort(frame, 0, keys, ascending, NULL, NULL, &sorted), SF_ERR_ARGUMENT, "");
  const char* unknown[1] = {"nope"};
  CHECK_ERROR(sf_frame_sort(frame, 1, unknown, ascending, NULL, NULL, &sorted), SF_ERR_NAME, "nope");
  CHECK(sorted == NULL);
  if (!CHECK_STATUS(sf_frame_sort(frame, 2, keys, ascending, NULL, NULL, &sorted), SF_OK)) return;
  static int32_t k[N];
  static double x[N];
  if (CHECK_STATUS(sf_frame_evaluate(sorted, "k", 0, N, SF_DTYPE_INT32, k, NULL, NULL, NULL, NULL), SF_OK) &&
      CHECK_STATUS(sf_frame_evaluate(sorted, "x", 0, N, SF_DTYPE_FLOAT64, x, NULL, NULL, NULL, NULL), SF_OK)) {
    int ordered = 1;
    for (int64_t i = 1; i < N; i++) {
      if (k[i - 1] < k[i] || (k[i - 1] == k[i] && x[i - 1] > x[i])) ordered = 0;
    }
    CHECK(ordered);
    CHECK_EQ_INT(k[0], ref_k_max);
    CHECK_EQ_INT(k[N - 1], ref_k_min);
  }
  const int64_t positions[3] = {0, -1, 5};
  sf_frame* taken = NULL;
  const int64_t beyond[1] = {N};
  CHECK_ERROR(sf_frame_take(sorted, beyond, 1, NULL, NULL, &taken), SF_ERR_ARGUMENT, "out of bounds");
  CHECK_ERROR(sf_frame_take(sorted, NULL, 3, NULL, NULL, &taken), SF_ERR_ARGUMENT, "NULL");
  CHECK(taken == NULL);
  if (CHECK_STATUS(sf_frame_take(sorted, positions, 3, NULL, NULL, &taken), SF_OK)) {
    int32_t got[3];
    if (CHECK_STATUS(sf_frame_evaluate(taken, "k", 0, 3, SF_DTYPE_INT32, got, NULL, NULL, NULL, NULL), SF_OK)) {
      CHECK_EQ_INT(got[0], k[0]);
      CHECK_EQ_INT(got[1], k[N - 1]);
      CHECK_EQ_INT(got[2], k[5]);
    }
    sf_frame_release(taken);
  }
  sf_frame_release(sorted);
}

int main(void) {
  make_data();
  make_references();
  sf_frame* frame = make_frame();

  test_version();
  test_statistics(frame);
  test_virtual_column_and_filter(frame);
  test_columns_json(frame);
  test_null_arguments(frame);
  test_bad_input(frame);
  test_outputs_unchanged_on_error(frame);
  test_progress(frame);
  test_threads(frame);
  test_empty_and_small_frames();
  test_grids_and_groups(frame);
  test_join(frame);
  test_sort_and_take(frame);

  sf_frame_release(frame);
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
