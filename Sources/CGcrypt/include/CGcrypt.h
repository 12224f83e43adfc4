#ifndef ACR_CGCRYPT_H
#define ACR_CGCRYPT_H

// libgcrypt for request signing and for the Secret Service's encrypted session (both through
// Sources/Crypto/Crypto.swift), loaded on first use with dlopen rather than linked: only a mint
// signs and only an encrypted write negotiates a session, and a warm `get` answers from the keyring
// without either (libgcrypt with libgpg-error cost ≈ 1 ms at every start). Where libdbus links
// libsystemd, which links libgcrypt (Debian, Ubuntu), it is in the process anyway and the dlopen
// only finds it. No gcrypt type crosses this header.
#include <stddef.h>

/// Loads and initialises libgcrypt (once). Returns NULL when it is ready, else why not.
const char *acr_gcrypt_load(void);

// Callers load first; both assume acr_gcrypt_load() returned NULL.

/// HMAC-SHA256 of `data` under `key` (any length) into `digest`; 1 on success.
int acr_hmac_sha256(const void *key, size_t key_length, const void *data, size_t data_length,
                    unsigned char digest[32]);

/// SHA-256 of one buffer into `digest`.
void acr_sha256(const void *data, size_t length, unsigned char digest[32]);

/// Bytes in a number of the 1024-bit MODP group of RFC 2409 (its "second Oakley group", generator
/// 2): the Diffie-Hellman group of the Secret Service's `dh-ietf1024-sha256-aes128-cbc-pkcs7`.
#define ACR_DH1024_BYTES 128

/// The public key 2^`private_key` mod p of a private key (big-endian bytes), written big-endian
/// and padded with leading zeros to 128 bytes; 1 on success.
int acr_dh1024_public(const unsigned char private_key[ACR_DH1024_BYTES],
                      unsigned char public_key[ACR_DH1024_BYTES]);

/// The shared secret `peer`^`private_key` mod p (`peer` big-endian, `peer_length` bytes, leading
/// zeros allowed), written big-endian and padded with leading zeros to 128 bytes. 0 when `peer` is
/// not a public key of the group (not within 2 … p − 2): a peer's value is never used unchecked.
int acr_dh1024_shared(const unsigned char private_key[ACR_DH1024_BYTES], const unsigned char *peer,
                      size_t peer_length, unsigned char shared[ACR_DH1024_BYTES]);

/// AES-128-CBC encryption of `length` bytes (a multiple of 16: the caller pads) from `input` into
/// `output` under `key` and `iv`; 1 on success.
int acr_aes128_cbc_encrypt(const unsigned char key[16], const unsigned char iv[16], const void *input,
                           void *output, size_t length);

#endif
