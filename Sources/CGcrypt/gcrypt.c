#include "CGcrypt.h"

#include <CLoader.h>
#include <gcrypt.h>
#include <pthread.h>

// The libgcrypt functions the helper calls, resolved once from libgcrypt.so.20 (the soname every
// libgcrypt since 1.6 has). Typed from gcrypt.h, so a mismatch is a compile error here.
static struct {
    __typeof__(gcry_check_version) *check_version;
    __typeof__(gcry_control) *control;
    __typeof__(gcry_md_hash_buffer) *md_hash_buffer;
    __typeof__(gcry_md_hash_buffers) *md_hash_buffers;
} gcrypt;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *failure = "libgcrypt was not loaded";
static char message[256];

static void load(void) {
    const struct acr_symbol symbols[] = {
        {"gcry_check_version", (void **)&gcrypt.check_version},
        {"gcry_control", (void **)&gcrypt.control},
        {"gcry_md_hash_buffer", (void **)&gcrypt.md_hash_buffer},
        {"gcry_md_hash_buffers", (void **)&gcrypt.md_hash_buffers},
    };
    failure = ACR_LOAD_LIBRARY("libgcrypt.so.20", symbols, message);
    if (failure != NULL) {
        return;
    }
    // libgcrypt asks for gcry_check_version before first use, unless someone in the process
    // (libsecret, for an encrypted write) has initialised it already.
    if (!gcrypt.control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
        gcrypt.check_version(NULL);
    }
}

const char *acr_gcrypt_load(void) {
    pthread_once(&once, load);
    return failure;
}

// gcry_md_hash_buffers takes the key as its first buffer, and its gcry_buffer_t array is simpler
// to build here than from Swift.
int acr_hmac_sha256(const void *key, size_t key_length, const void *data, size_t data_length,
                    unsigned char digest[32]) {
    gcry_buffer_t buffers[2] = {
        {.size = key_length, .off = 0, .len = key_length, .data = (void *)key},
        {.size = data_length, .off = 0, .len = data_length, .data = (void *)data},
    };
    return gcrypt.md_hash_buffers(GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC, digest, buffers, 2) == 0;
}

void acr_sha256(const void *data, size_t length, unsigned char digest[32]) {
    gcrypt.md_hash_buffer(GCRY_MD_SHA256, digest, data, length);
}
