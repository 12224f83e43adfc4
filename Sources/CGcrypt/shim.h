// libgcrypt for request signing (Sources/ACR/Signing/Crypto.swift). libsecret links it, so it is
// in every helper process already. Two shims, each for a reason Swift cannot call directly:
#include <gcrypt.h>

// libgcrypt asks for gcry_check_version before first use; gcry_control, which says whether
// someone (libsecret) has already initialised it, is variadic.
static inline void acr_gcrypt_initialize(void) {
    if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
        gcry_check_version(NULL);
    }
}

// HMAC-SHA256 in one call: gcry_md_hash_buffers takes the key as its first buffer, and its
// gcry_buffer_t array is simpler to build here than from Swift.
static inline int acr_hmac_sha256(const void *key, size_t key_length, const void *data, size_t data_length,
                                  unsigned char digest[32]) {
    gcry_buffer_t buffers[2] = {
        {.size = key_length, .off = 0, .len = key_length, .data = (void *)key},
        {.size = data_length, .off = 0, .len = data_length, .data = (void *)data},
    };
    return gcry_md_hash_buffers(GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC, digest, buffers, 2) == 0;
}

// SHA-256 of one buffer (gcry_md_hash_buffer).
static inline void acr_sha256(const void *data, size_t length, unsigned char digest[32]) {
    gcry_md_hash_buffer(GCRY_MD_SHA256, digest, data, length);
}
