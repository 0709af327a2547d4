#include <protobuf-c/protobuf-c.h>  // from libprotobuf-c-dev
