#include <zlib.h>  // from zlib1g-dev
