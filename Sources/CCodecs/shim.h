/* Debian's liblz4 (frame format) and libzstd, for Arrow IPC bodies compressed with
 * LZ4_FRAME or ZSTD (install liblz4-dev and libzstd-dev). */
#include <lz4frame.h>
#include <zstd.h>
