#include "CCrypto.h"

#include <dlfcn.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pthread.h>

// The libcrypto functions the helper calls, resolved once from libcrypto.so.3.
static struct {
    const EVP_MD *(*sha256)(void);
    int (*digest)(const void *, size_t, unsigned char *, unsigned int *, const EVP_MD *, ENGINE *);
    unsigned char *(*hmac)(const EVP_MD *, const void *, int, const unsigned char *, size_t, unsigned char *,
                           unsigned int *);
    int (*rand_bytes)(unsigned char *, int);
} crypto;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *failure = "libcrypto was not loaded";

static void load(void) {
    void *library = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        failure = dlerror();
        return;
    }
#define RESOLVE(field, name)                        \
    *(void **)(&crypto.field) = dlsym(library, name); \
    if (crypto.field == NULL) {                     \
        failure = "libcrypto.so.3 lacks " name;      \
        return;                                     \
    }
    RESOLVE(sha256, "EVP_sha256")
    RESOLVE(digest, "EVP_Digest")
    RESOLVE(hmac, "HMAC")
    RESOLVE(rand_bytes, "RAND_bytes")
#undef RESOLVE
    failure = NULL;
}

const char *acr_crypto_load(void) {
    pthread_once(&once, load);
    return failure;
}

int acr_sha256(const void *data, size_t length, unsigned char *digest) {
    unsigned int size = 0;
    return acr_crypto_load() == NULL && crypto.digest(data, length, digest, &size, crypto.sha256(), NULL) == 1 &&
           size == 32;
}

int acr_hmac_sha256(const void *key, size_t key_length, const void *data, size_t length, unsigned char *mac) {
    unsigned int size = 0;
    return acr_crypto_load() == NULL &&
           crypto.hmac(crypto.sha256(), key, (int)key_length, data, length, mac, &size) != NULL && size == 32;
}

int acr_random_bytes(unsigned char *bytes, int count) {
    return acr_crypto_load() == NULL && crypto.rand_bytes(bytes, count) == 1;
}
