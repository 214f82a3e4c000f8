// Debian's libzstd-dev: the advanced (prefix) API is in the stable part since 1.4.
#include <zstd.h>
