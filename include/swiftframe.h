/* swiftframe — an out-of-core DataFrame engine: the C ABI of libswiftframe.so.
 *
 * Conventions: every function returns an int32_t status (SF_OK on success) and
 * writes outputs through pointers; on failure the outputs are unchanged and
 * sf_last_error() describes the failure. Handles are opaque, reference-counted,
 * safe to use from several threads at once, and released with their
 * sf_*_release function (NULL is a no-op). Nothing in this library aborts the
 * calling process on bad input. */
#ifndef SWIFTFRAME_H
#define SWIFTFRAME_H

#include <stdint.h>

#include "arrow_c_data.h" /* ArrowSchema, ArrowArray, ArrowArrayStream */

#ifdef __cplusplus
extern "C" {
#endif

#define SF_ABI_VERSION_MAJOR 0
#define SF_ABI_VERSION_MINOR 4
#define SF_ABI_VERSION_PATCH 0

/* Status codes. */
enum {
  SF_OK = 0,
  SF_ERR_ARGUMENT = 1,   /* a bad argument: NULL pointer, range, wrong dtype */
  SF_ERR_EXPRESSION = 2, /* a malformed expression */
  SF_ERR_TYPE = 3,       /* an expression whose types do not fit */
  SF_ERR_IO = 4,         /* reading a file failed, or it changed after it was opened */
  SF_ERR_CORRUPT = 5,    /* a file that is not valid (or not supported) */
  SF_ERR_NOMEM = 6,      /* out of memory */
  SF_ERR_CANCELLED = 7,  /* the progress callback asked to stop */
  SF_ERR_NAME = 8,       /* an unknown column or function */
  SF_ERR_NOT_FOUND = 9   /* no such file */
};

/* Value types (numpy's names). Evaluated bools are one byte, 0 or 1. */
enum {
  SF_DTYPE_BOOL = 1,
  SF_DTYPE_INT8 = 2, SF_DTYPE_INT16 = 3, SF_DTYPE_INT32 = 4, SF_DTYPE_INT64 = 5,
  SF_DTYPE_UINT8 = 6, SF_DTYPE_UINT16 = 7, SF_DTYPE_UINT32 = 8, SF_DTYPE_UINT64 = 9,
  SF_DTYPE_FLOAT32 = 10, SF_DTYPE_FLOAT64 = 11,
  /* Temporal values are integers: DATE32 int32 days since the epoch; TIMESTAMP_* int64
   * counts of the unit since the epoch (UTC); DURATION_* int64 counts of the unit. */
  SF_DTYPE_DATE32 = 12,
  SF_DTYPE_TIMESTAMP_S = 13, SF_DTYPE_TIMESTAMP_MS = 14, SF_DTYPE_TIMESTAMP_US = 15, SF_DTYPE_TIMESTAMP_NS = 16,
  SF_DTYPE_DURATION_S = 17, SF_DTYPE_DURATION_MS = 18, SF_DTYPE_DURATION_US = 19, SF_DTYPE_DURATION_NS = 20,
  /* UTF-8 strings (Arrow utf8 with int32 offsets, large_utf8 with int64 offsets):
   * read them with sf_frame_evaluate_strings(). */
  SF_DTYPE_STRING = 21, SF_DTYPE_LARGE_STRING = 22
};

/* Statistics. count of NULL counts rows; count(expr) counts values neither
 * missing nor NaN; the others skip missing and NaN values. */
enum {
  SF_AGG_COUNT = 0, SF_AGG_SUM = 1, SF_AGG_MEAN = 2, SF_AGG_VAR = 3,
  SF_AGG_STD = 4, SF_AGG_MIN = 5, SF_AGG_MAX = 6, SF_AGG_FIRST = 7, SF_AGG_LAST = 8,
  SF_AGG_ANY = 9, SF_AGG_ALL = 10, SF_AGG_SKEW = 11, SF_AGG_KURTOSIS = 12, SF_AGG_NUNIQUE = 13,
  SF_AGG_COVARIANCE = 14, SF_AGG_CORRELATION = 15, SF_AGG_MODE = 16
};

/* An open frame: a table plus virtual columns, a filter and a row range.
 * Created by sf_frame_open, sf_frame_from_arrays and the functions that derive a
 * frame; release with sf_frame_release(). Safe to share between threads. */
typedef struct sf_frame sf_frame;

/* A typed result. bits holds an int64 (signed dtypes, bool), a uint64 (unsigned
 * dtypes) or the bits of a double (float dtypes); is_null is 1 when there was
 * no value to compute from (min of nothing). */
typedef struct sf_scalar {
  int32_t dtype;
  int32_t is_null;
  uint64_t bits;
} sf_scalar;

/* Called on the calling thread during a pass with the fraction done (0..1);
 * return non-zero to cancel the pass (its function then returns SF_ERR_CANCELLED).
 * ctx is the caller's pointer, passed through untouched; it is not retained. */
typedef int32_t (*sf_progress)(void* ctx, double fraction);

/* MAJOR * 10000 + MINOR * 100 + PATCH of the loaded library; compare it with the
 * SF_ABI_VERSION_* macros this program was compiled against. Never fails. */
int32_t sf_abi_version(void);

/* Message of the last failing sf_ call on this thread. Never NULL; owned by the
 * library; valid until the next sf_ call on this thread. */
const char* sf_last_error(void);

/* Frees a string the library handed to the caller (sf_frame_columns_json).
 * Takes ownership of s; NULL is a no-op. */
void sf_string_free(char* s);

/* Frees a buffer the library handed to the caller (sf_frame_evaluate_strings).
 * Takes ownership of p; NULL is a no-op. */
void sf_buffer_free(void* p);

/* Number of passes over data made since the library was loaded (all threads).
 * Never fails. */
int64_t sf_pass_count(void);

/* Opens an Arrow IPC file by mapping it; reads no column data. path is borrowed
 * for the call. On SF_OK *out is a new frame owned by the caller: release it with
 * sf_frame_release(). Errors: SF_ERR_ARGUMENT, SF_ERR_NOT_FOUND, SF_ERR_IO,
 * SF_ERR_CORRUPT. */
int32_t sf_frame_open(const char* path, sf_frame** out);

/* A frame over n caller-owned arrays of `length` values each, without copying.
 * names[i] (UTF-8, copied), dtypes[i] (SF_DTYPE_*; BOOL data is bit-packed, LSB first,
 * as in Arrow), data[i] (borrowed: must stay valid and unchanged until every frame
 * derived from this one is released). On SF_OK *out is a new frame owned by the
 * caller: release it with sf_frame_release(). Errors: SF_ERR_ARGUMENT (NULL
 * pointer, negative length or n, unknown dtype, duplicate name). */
int32_t sf_frame_from_arrays(int64_t length, int32_t n, const char* const* names, const int32_t* dtypes,
                             const void* const* data, sf_frame** out);

/* Opens n >= 1 files as one frame (rows in the order of paths), each as
 * sf_frame_open opens it; reads no column data. The files must have the same
 * columns and dtypes in the same order. paths and the strings are borrowed for the call. On SF_OK *out is
 * a new frame owned by the caller: release it with sf_frame_release(). Errors:
 * SF_ERR_ARGUMENT (NULL, n < 1, schemas differ), SF_ERR_NOT_FOUND, SF_ERR_IO,
 * SF_ERR_CORRUPT; the message names the file at fault. */
int32_t sf_frame_open_many(int32_t n, const char* const* paths, sf_frame** out);

/* One frame over the rows of n >= 1 frames, in order, without copying. The frames
 * are borrowed (the caller still releases each); the new frame keeps their data
 * alive. Virtual columns, a filter and a column selection are kept when every frame
 * has the same ones (names and expression text); no frame may be sliced. On SF_OK
 * *out is a new frame owned by the caller: release it with sf_frame_release().
 * Errors: SF_ERR_ARGUMENT (NULL, n < 1, frames whose virtual columns, filter or
 * selection differ, a sliced frame, schemas differ). */
int32_t sf_frame_concat(int32_t n, const sf_frame* const* frames, sf_frame** out);

/* Releases the caller's reference to a frame (frames derived from it keep the
 * data alive). NULL is a no-op. */
void sf_frame_release(sf_frame* frame);

/* A new frame sharing the data, with a copy of the virtual columns and filter.
 * On SF_OK *out is owned by the caller: release it with sf_frame_release().
 * Errors: SF_ERR_ARGUMENT. */
int32_t sf_frame_copy(const sf_frame* frame, sf_frame** out);

/* A new frame over only the rows of the frame's row range (vaex's trim): the same
 * columns, virtual columns, filter and selections over the table cut to the slice,
 * sharing its data. On SF_OK *out is owned by the caller: release it with
 * sf_frame_release(). Errors: SF_ERR_ARGUMENT. */
int32_t sf_frame_trim(const sf_frame* frame, sf_frame** out);

/* The visible columns as JSON: [{"name": ..., "dtype": ..., "expression": ... or null}].
 * On SF_OK *out is a NUL-terminated UTF-8 string owned by the caller: free it with
 * sf_string_free(). A column whose type is not supported has dtype null.
 * Errors: SF_ERR_ARGUMENT. */
int32_t sf_frame_columns_json(const sf_frame* frame, char** out);

/* Adds or replaces the virtual column `name`; name and expression are copied, and
 * the frame keeps no pointer of the caller's. Errors: SF_ERR_ARGUMENT,
 * SF_ERR_EXPRESSION, SF_ERR_TYPE, SF_ERR_NAME (the frame is unchanged on error). */
int32_t sf_frame_add_virtual_column(sf_frame* frame, const char* name, const char* expression);

/* Named selections (vaex's df.select): modes for sf_frame_select. */
enum {
  SF_SELECT_REPLACE = 0, SF_SELECT_AND = 1, SF_SELECT_OR = 2, SF_SELECT_XOR = 3,
  SF_SELECT_SUBTRACT = 4
};

/* Sets (SF_SELECT_REPLACE) or combines with its current expression the named selection
 * `name` and the boolean `expression` (both copied; subtract: current & ~new; with no
 * current selection and/or/xor take expression, subtract ~expression). Statistics
 * name it in their selections[]. Reads no data. Errors: SF_ERR_ARGUMENT,
 * SF_ERR_EXPRESSION, SF_ERR_NAME, SF_ERR_TYPE. */
int32_t sf_frame_select(sf_frame* frame, const char* name, const char* expression, int32_t mode);

/* Removes the named selection (name borrowed); no error when there is none. */
int32_t sf_frame_select_nothing(sf_frame* frame, const char* name);

/* The named selections as a JSON object {"name": "expression"}. On SF_OK *out is owned
 * by the caller: free it with sf_string_free(). */
int32_t sf_frame_selections_json(const sf_frame* frame, char** out);

/* Renames column `old` (stored or virtual) to `new` (both copied), as vaex's rename:
 * virtual columns, the filter and selections referring to it are rewritten. Reads no
 * data; the frame is unchanged on error. Errors: SF_ERR_ARGUMENT (new exists),
 * SF_ERR_NAME (no column old). */
int32_t sf_frame_rename(sf_frame* frame, const char* old, const char* new_name);

/* The frame's state (virtual columns, renames, filter, selections, visible columns,
 * row range) as a JSON object, vaex's state_get. On SF_OK *out is owned by the caller:
 * free it with sf_string_free(). Errors: SF_ERR_ARGUMENT. */
int32_t sf_frame_state_get(const sf_frame* frame, char** out);

/* Flags of sf_frame_state_set. */
enum { SF_STATE_ACTIVE_RANGE = 1 };

/* Replaces the frame's state by `json` (borrowed; an sf_frame_state_get result, maybe
 * of another file with the same columns); the row range is kept unless flags has
 * SF_STATE_ACTIVE_RANGE. All is checked first: on error the frame is unchanged.
 * Errors: SF_ERR_ARGUMENT (malformed JSON, wrong value types, unknown key),
 * SF_ERR_EXPRESSION, SF_ERR_NAME (unknown column), SF_ERR_TYPE. */
int32_t sf_frame_state_set(sf_frame* frame, const char* json, int32_t flags);

/* A new frame over the rows where the boolean `expression` (copied) is true,
 * combined with the frame's own filter. Reads no data. On SF_OK *out is owned by the
 * caller: release it with sf_frame_release(). Errors: SF_ERR_ARGUMENT,
 * SF_ERR_EXPRESSION, SF_ERR_NAME, SF_ERR_TYPE (not boolean). */
int32_t sf_frame_filter(const sf_frame* frame, const char* expression, sf_frame** out);

/* A new frame showing only the n named columns (names copied). On SF_OK *out is
 * owned by the caller: release it with sf_frame_release(). Errors: SF_ERR_ARGUMENT,
 * SF_ERR_NAME. */
int32_t sf_frame_select_columns(const sf_frame* frame, int32_t n, const char* const* names, sf_frame** out);

/* A new frame of rows [start, stop) counted after the filter, clamped to the frame.
 * May make a pass to count filtered rows. On SF_OK *out is owned by the caller:
 * release it with sf_frame_release(). Errors: SF_ERR_ARGUMENT, SF_ERR_IO. */
int32_t sf_frame_slice(const sf_frame* frame, int64_t start, int64_t stop, sf_frame** out);

/* Number of rows after the filter (a pass the first time for a filtered frame),
 * written to the caller's *out. progress may be NULL. Errors: SF_ERR_ARGUMENT,
 * SF_ERR_IO, SF_ERR_CANCELLED. */
int32_t sf_frame_length(const sf_frame* frame, sf_progress progress, void* ctx, int64_t* out);

/* The dtype (SF_DTYPE_*) of an expression, checked against the frame without reading
 * data, written to the caller's *out. Errors: SF_ERR_ARGUMENT, SF_ERR_EXPRESSION,
 * SF_ERR_NAME, SF_ERR_TYPE. */
int32_t sf_frame_dtype(const sf_frame* frame, const char* expression, int32_t* out);

/* The distinct values of an expression over the frame's rows, as a new frame with one
 * column "values": sorted (numbers by value, NaN last; strings by code point), one
 * missing value last when a row is missing. On SF_OK *out is owned by the caller
 * (sf_frame_release). Errors: SF_ERR_ARGUMENT, SF_ERR_EXPRESSION, SF_ERR_NAME,
 * SF_ERR_TYPE, SF_ERR_IO, SF_ERR_CANCELLED, SF_ERR_MEMORY. */
int32_t sf_frame_unique(const sf_frame* frame, const char* expression, sf_progress progress, void* ctx,
                        sf_frame** out);

/* The labels of categorical column `name` (a stored dictionary column, or a virtual
 * column defined by ordinal_encode() or categorize()) as a new frame with one column
 * "labels", owned by the caller; a code c has label labels[c - *offset]. *out is NULL
 * (and SF_OK returned) when the column is not categorical. Errors: SF_ERR_ARGUMENT,
 * SF_ERR_NAME, SF_ERR_TYPE. */
int32_t sf_frame_category_labels(const sf_frame* frame, const char* name, int64_t* offset, sf_frame** out);

/* Computes n statistics in one pass. kinds[i] is an SF_AGG_*; expressions[i] is
 * its expression (NULL only for SF_AGG_COUNT: count rows); seconds may be NULL, or
 * hold n entries each NULL or the second expression of a statistic of two
 * (SF_AGG_COVARIANCE, SF_AGG_CORRELATION; required there, refused elsewhere);
 * selections may be NULL, or hold n entries each NULL, a selection name
 * (sf_frame_select) or a boolean expression. All inputs are borrowed for the call; out is caller-owned room for n results, written only on SF_OK.
 * Errors: SF_ERR_ARGUMENT, SF_ERR_EXPRESSION, SF_ERR_NAME, SF_ERR_TYPE, SF_ERR_IO,
 * SF_ERR_CANCELLED. */
int32_t sf_frame_aggregate(const sf_frame* frame, int32_t n, const int32_t* kinds, const char* const* expressions,
                           const char* const* seconds, const char* const* selections, sf_progress progress,
                           void* ctx, sf_scalar* out);

/* The statistics of sf_frame_aggregate over the cells of an N-d grid, in one pass:
 * axis a bins expression binby[a] into shape[a] equal cells over [low[a], high[a])
 * (a value outside, high itself included, missing or NaN falls in no cell). out is
 * caller-owned room for n * shape[0] * ... * shape[axes - 1] results: statistic i's
 * cells start at i * cells, in C order (the last axis varies fastest). An empty cell
 * gives count 0, sum 0, and a null result for the others. Errors: as
 * sf_frame_aggregate, and SF_ERR_ARGUMENT for bad limits or shapes (or more than
 * 2^31 cells). */
int32_t sf_frame_aggregate_binned(const sf_frame* frame, int32_t n, const int32_t* kinds,
                                  const char* const* expressions, const char* const* seconds,
                                  const char* const* selections, int32_t axes,
                                  const char* const* binby, const double* low, const double* high,
                                  const int64_t* shape, sf_progress progress, void* ctx, sf_scalar* out);

/* Groups the rows by the values of keys[0..keys_count) (expressions; missing and NaN
 * each a group of their own) and computes n statistics (kinds, expressions, seconds
 * and selections as in sf_frame_aggregate) per group. On SF_OK *out is a new frame owned
 * by the caller, one row per non-empty group sorted by the keys (NaN, then missing,
 * last): the key columns named key_names, then one column per statistic named
 * names[i]. Errors: as sf_frame_aggregate; SF_ERR_ARGUMENT for more than 2^31
 * combinations of key values. */
int32_t sf_frame_groupby(const sf_frame* frame, int32_t keys_count, const char* const* keys,
                         const char* const* key_names, int32_t n, const int32_t* kinds,
                         const char* const* expressions, const char* const* seconds,
                         const char* const* selections, const char* const* names,
                         sf_progress progress, void* ctx, sf_frame** out);

/* Partial states (for a query split over row ranges, files or machines): the
 * *_partial functions take the arguments of sf_frame_aggregate, sf_frame_aggregate_binned
 * and sf_frame_groupby and return, instead of results, the statistics' merged states
 * over this frame's rows as a versioned, checksummed byte blob: on SF_OK *data (owned by
 * the caller: free with sf_buffer_free()) and *length. Blobs of the same query merge
 * (sf_partials_merge) in any grouping and order, and finish (sf_partials_finish,
 * sf_partials_finish_groupby) into the results one call over all the rows gives
 * (floating-point sums may differ in the last bits). Errors: as the plain functions;
 * SF_ERR_ARGUMENT for a statistic without a serialized state. */
int32_t sf_frame_aggregate_partial(const sf_frame* frame, int32_t n, const int32_t* kinds,
                                   const char* const* expressions, const char* const* seconds,
                                   const char* const* selections, sf_progress progress, void* ctx, void** data,
                                   int64_t* length);
int32_t sf_frame_aggregate_binned_partial(const sf_frame* frame, int32_t n, const int32_t* kinds,
                                          const char* const* expressions, const char* const* seconds,
                                          const char* const* selections, int32_t axes, const char* const* binby,
                                          const double* low, const double* high, const int64_t* shape,
                                          sf_progress progress, void* ctx, void** data, int64_t* length);
int32_t sf_frame_groupby_partial(const sf_frame* frame, int32_t keys_count, const char* const* keys,
                                 const char* const* key_names, int32_t n, const int32_t* kinds,
                                 const char* const* expressions, const char* const* seconds,
                                 const char* const* selections, const char* const* names, sf_progress progress,
                                 void* ctx, void** data, int64_t* length);

/* Merges n >= 1 blobs (blobs[i] of lengths[i] bytes, borrowed) of the same query into
 * one: on SF_OK *data (free with sf_buffer_free()) and *length. Groupby blobs merge by
 * key. Errors: SF_ERR_ARGUMENT (NULL, blobs of different queries), SF_ERR_CORRUPT (a
 * truncated or corrupted blob: never a crash). */
int32_t sf_partials_merge(int32_t n, const void* const* blobs, const int64_t* lengths, void** data, int64_t* length);

/* The results of a scalar or binned blob (borrowed) into out, caller-owned room for
 * `capacity` results, which must be the number the blob holds (statistics x cells),
 * laid out as sf_frame_aggregate_binned's. Errors: SF_ERR_ARGUMENT (a groupby blob, a
 * wrong capacity), SF_ERR_CORRUPT. */
int32_t sf_partials_finish(const void* blob, int64_t length, int64_t capacity, sf_scalar* out);

/* The frame of a groupby blob (borrowed), as sf_frame_groupby returns it. On SF_OK *out
 * is owned by the caller: release it with sf_frame_release(). Errors: SF_ERR_ARGUMENT
 * (not a groupby blob), SF_ERR_CORRUPT. */
int32_t sf_partials_finish_groupby(const void* blob, int64_t length, sf_frame** out);

/* Writes the values of `expression` for rows [start, stop) (after the filter) into
 * `values`, caller-owned room for stop - start values of `dtype`, which must equal
 * sf_frame_dtype(expression). `valid` (NULL or caller-owned room for stop - start
 * bytes) gets 1 for present and 0 for missing values; *missing (may be NULL) their
 * count. On error the contents of values and valid are unspecified. Errors:
 * SF_ERR_ARGUMENT (row range, dtype mismatch), SF_ERR_EXPRESSION, SF_ERR_NAME,
 * SF_ERR_TYPE, SF_ERR_IO, SF_ERR_CANCELLED. */
int32_t sf_frame_evaluate(const sf_frame* frame, const char* expression, int64_t start, int64_t stop, int32_t dtype,
                          void* values, uint8_t* valid, sf_progress progress, void* ctx, int64_t* missing);

/* The strings of the string `expression` for rows [start, stop) (after the filter), as
 * Arrow large_utf8: `offsets` (caller-owned room for stop - start + 1 int64 values) gets
 * offsets from 0 into *data; *data (owned by the caller: free with sf_buffer_free(); may
 * be NULL when there are no bytes) and *data_length receive the concatenated UTF-8 bytes;
 * `valid` (NULL or caller-owned room for stop - start bytes) gets 1 for present and 0 for
 * missing values; *missing (may be NULL) their count. Errors: SF_ERR_ARGUMENT,
 * SF_ERR_EXPRESSION, SF_ERR_NAME, SF_ERR_TYPE (not a string expression), SF_ERR_IO,
 * SF_ERR_CANCELLED. */
int32_t sf_frame_evaluate_strings(const sf_frame* frame, const char* expression, int64_t start, int64_t stop,
                                  int64_t* offsets, uint8_t* valid, sf_progress progress, void* ctx,
                                  void** data, int64_t* data_length, int64_t* missing);

/* The int32 indices of stored categorical column `name` into its shared dictionary
 * (sf_frame_category_labels) for rows [start, stop) after the filter: `indices` and `valid`
 * are caller-owned room for stop - start values; valid gets 1 for present and 0 for
 * missing rows, *missing (may be NULL) their count. Errors: SF_ERR_ARGUMENT (row range),
 * SF_ERR_TYPE (not a stored categorical, or no shared dictionary), SF_ERR_IO,
 * SF_ERR_CANCELLED. */
int32_t sf_frame_dictionary_indices(const sf_frame* frame, const char* name, int64_t start, int64_t stop,
                                    int32_t* indices, uint8_t* valid, sf_progress progress, void* ctx,
                                    int64_t* missing);

/* Writes the columns `names` (n of them; n = 0 writes every visible column) of the
 * frame to an Arrow IPC file at `path`, evaluated (virtual columns computed, the
 * filter applied) record batch by record batch. The file is written under a temporary
 * name in the same folder and renamed into place when complete: on error or
 * cancellation nothing is left under `path`. Categorical columns are written as
 * strings. Errors: SF_ERR_ARGUMENT, SF_ERR_NAME, SF_ERR_TYPE, SF_ERR_IO,
 * SF_ERR_CANCELLED. */
int32_t sf_frame_write_arrow(const sf_frame* frame, const char* path, int32_t n, const char* const* names,
                             sf_progress progress, void* ctx);

/* The stored values of column `name` in place, when the frame shows them unchanged
 * (no filter, all rows, one record batch, no missing values, not bool): *data then
 * points into memory the frame owns (borrowed: read-only, valid until the frame is
 * released) and *length is set; otherwise *data is NULL and the caller evaluates
 * instead. Errors: SF_ERR_ARGUMENT. */
int32_t sf_frame_column_data(const sf_frame* frame, const char* name, const void** data, int64_t* length);

/* Column data out as an Arrow C stream (ArrowArrayStream, see arrow_c_data.h): one
 * struct array per record batch of at most max_rows rows (max_rows <= 0: 1 Mi),
 * with the visible columns (n == 0) or the n expressions expressions[i] named
 * names[i] (names and expressions borrowed for the call, copied), evaluated over
 * the frame's rows after its filter. Formats: b, c s i l, C S I L, f g, tdD, ts?:zone,
 * tD?, u and U for stored strings, a stored categorical as a dictionary array (its
 * integer indices, its strings as the dictionary); computed strings and filtered
 * categoricals go out as U (large_utf8). Rows a stored column holds unchanged are not
 * copied: the arrays point into the frame's memory, kept alive until every array
 * and the stream are released; flags SF_ARROW_COPY (for frames over borrowed
 * memory, sf_frame_from_arrays) copies them too. The stream works on a copy of the
 * frame taken now.
 * On SF_OK *out (caller-owned struct) holds a stream the caller must release with
 * out->release(out); its get_next returns EIO if a mapped file changed, EINVAL,
 * ENOMEM or ECANCELED (message from get_last_error). On error *out is unchanged.
 * Errors: SF_ERR_ARGUMENT, SF_ERR_EXPRESSION, SF_ERR_NAME, SF_ERR_TYPE, SF_ERR_IO. */
int32_t sf_frame_export_arrow(const sf_frame* frame, int32_t n, const char* const* names,
                              const char* const* expressions, int64_t max_rows, int32_t flags,
                              struct ArrowArrayStream* out);

/* Flags of sf_frame_export_arrow. */
enum { SF_ARROW_COPY = 1 };

/* A frame over the batches of an Arrow C stream of struct arrays (a table), without
 * copying them. Takes ownership of *stream: the library moves it out (stream->release
 * is NULL on return, whatever the status), consumes every batch and keeps the arrays
 * alive until the frame and every frame derived from it are released, then calls
 * their release callbacks (on the thread that drops the last reference). Every
 * imported structure is validated. Dictionary-encoded strings stay encoded (a
 * categorical); string views (vu) are copied into large_utf8. Columns of a type the
 * engine cannot compute with are left out of the frame's columns, and an expression
 * naming one fails with SF_ERR_TYPE and its Arrow format. On SF_OK
 * *out is a new frame owned by the caller: release it with sf_frame_release().
 * Errors: SF_ERR_ARGUMENT (NULL, duplicate name), SF_ERR_CORRUPT (a malformed
 * structure), SF_ERR_IO (the stream reported an error), SF_ERR_NOMEM. */
int32_t sf_frame_from_arrow_stream(struct ArrowArrayStream* stream, sf_frame** out);

/* For tests: how many exported Arrow structures (streams, schemas, arrays) are not
 * yet released, and how many imported arrays the library still holds. Never fails. */
int64_t sf_arrow_live_exports(void);
int64_t sf_arrow_live_imports(void);

/* Converts the CSV file csv_path to the Arrow IPC file arrow_path, out of core: the
 * CSV is mapped and converted in parallel blocks written as record batches, in memory
 * bounded by threads x block_size whatever the file's size. Types are inferred from
 * the first sample_rows records (bool, int64, float64, date32 for YYYY-MM-DD,
 * timestamp[us] for YYYY-MM-DD[T ]HH:MM:SS[.f], else string); a later value that does
 * not fit widens its column and the conversion restarts. Empty fields and NA, N/A,
 * NaN, nan, null, NULL … are missing. The file is written under a temporary name in
 * arrow_path's folder and renamed into place; on error nothing is left at arrow_path.
 * options_json (borrowed; NULL for defaults) is a JSON object, every key optional:
 *   {"sep": ",", "header": true, "usecols": ["a", 2], "dtype": {"a": "float64"},
 *    "block_size": 8388608, "sample_rows": 65536, "threads": 0}
 * progress (may be NULL) is called between blocks; non-zero cancels.
 * Errors: SF_ERR_ARGUMENT (bad options, unknown usecols/dtype column), SF_ERR_NOT_FOUND,
 * SF_ERR_IO, SF_ERR_CORRUPT (malformed CSV: message names the line, data row and
 * column), SF_ERR_NOMEM, SF_ERR_CANCELLED. */
int32_t sf_csv_convert(const char* csv_path, const char* arrow_path, const char* options_json,
                       sf_progress progress, void* ctx);

#ifdef __cplusplus
}
#endif

#endif /* SWIFTFRAME_H */
