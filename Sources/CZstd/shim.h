#include <zstd.h>  // from libzstd-dev
