#include <openssl/evp.h>  // from libssl-dev (OpenSSL libcrypto: SHA-256 through EVP)
