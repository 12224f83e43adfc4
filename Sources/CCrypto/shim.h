// OpenSSL's libcrypto: HMAC-SHA256 and SHA-256 for Alibaba Cloud request signing.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
