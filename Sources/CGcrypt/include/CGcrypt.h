#ifndef ACR_CGCRYPT_H
#define ACR_CGCRYPT_H

// libgcrypt for request signing (Sources/ACR/Signing/Crypto.swift), loaded on first use with
// dlopen rather than linked: only a mint signs, and a warm `get` answers from the keyring without
// it (libgcrypt with libgpg-error and libsecret cost ≈ 1.1 ms at every start). No gcrypt type
// crosses this header.
#include <stddef.h>

/// Loads and initialises libgcrypt (once). Returns NULL when it is ready, else why not.
const char *acr_gcrypt_load(void);

// Callers load first; both assume acr_gcrypt_load() returned NULL.

/// HMAC-SHA256 of `data` under `key` (any length) into `digest`; 1 on success.
int acr_hmac_sha256(const void *key, size_t key_length, const void *data, size_t data_length,
                    unsigned char digest[32]);

/// SHA-256 of one buffer into `digest`.
void acr_sha256(const void *data, size_t length, unsigned char digest[32]);

#endif
