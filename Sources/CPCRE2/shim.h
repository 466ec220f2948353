/* Debian's libpcre2-8 (install libpcre2-dev), for the regular expressions of the
 * string functions (str_contains, str_replace, str_count, str_match). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
