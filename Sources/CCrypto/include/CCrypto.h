#ifndef ACR_CCRYPTO_H
#define ACR_CCRYPTO_H

#include <stddef.h>

// OpenSSL's libcrypto, loaded on first use with dlopen rather than linked: only minting a password
// signs anything, and a `get` answered from the keyring's cache should not pay for loading it.

/// Loads libcrypto (once). Returns NULL when it is loaded, else dlerror()'s message.
const char *acr_crypto_load(void);

/// SHA-256 of `length` bytes into `digest` (32 bytes). Returns 1 on success.
int acr_sha256(const void *data, size_t length, unsigned char *digest);

/// HMAC-SHA256 into `mac` (32 bytes). Returns 1 on success.
int acr_hmac_sha256(const void *key, size_t key_length, const void *data, size_t length, unsigned char *mac);

/// `count` bytes from OpenSSL's CSPRNG. Returns 1 on success.
int acr_random_bytes(unsigned char *bytes, int count);

#endif
