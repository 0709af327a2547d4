#include <cblas.h>  // from libopenblas-dev (Debian puts it on the default include path via alternatives)
