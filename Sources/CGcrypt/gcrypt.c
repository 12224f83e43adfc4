#include "CGcrypt.h"

#include <CLoader.h>
// gcrypt.h otherwise defines mpi_new, mpi_release, … as macros, which the struct members below are.
#define GCRYPT_NO_MPI_MACROS 1
#include <gcrypt.h>
#include <pthread.h>
#include <string.h>

// The libgcrypt functions the helper calls, resolved once from libgcrypt.so.20 (the soname every
// libgcrypt since 1.6 has). Typed from gcrypt.h, so a mismatch is a compile error here.
static struct {
    __typeof__(gcry_check_version) *check_version;
    __typeof__(gcry_control) *control;
    __typeof__(gcry_md_hash_buffer) *md_hash_buffer;
    __typeof__(gcry_md_hash_buffers) *md_hash_buffers;
    __typeof__(gcry_mpi_new) *mpi_new;
    __typeof__(gcry_mpi_release) *mpi_release;
    __typeof__(gcry_mpi_scan) *mpi_scan;
    __typeof__(gcry_mpi_print) *mpi_print;
    __typeof__(gcry_mpi_powm) *mpi_powm;
    __typeof__(gcry_mpi_cmp) *mpi_cmp;
    __typeof__(gcry_mpi_cmp_ui) *mpi_cmp_ui;
    __typeof__(gcry_mpi_set_ui) *mpi_set_ui;
    __typeof__(gcry_mpi_sub_ui) *mpi_sub_ui;
    __typeof__(gcry_cipher_open) *cipher_open;
    __typeof__(gcry_cipher_setkey) *cipher_setkey;
    __typeof__(gcry_cipher_setiv) *cipher_setiv;
    __typeof__(gcry_cipher_encrypt) *cipher_encrypt;
    __typeof__(gcry_cipher_close) *cipher_close;
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
        {"gcry_mpi_new", (void **)&gcrypt.mpi_new},
        {"gcry_mpi_release", (void **)&gcrypt.mpi_release},
        {"gcry_mpi_scan", (void **)&gcrypt.mpi_scan},
        {"gcry_mpi_print", (void **)&gcrypt.mpi_print},
        {"gcry_mpi_powm", (void **)&gcrypt.mpi_powm},
        {"gcry_mpi_cmp", (void **)&gcrypt.mpi_cmp},
        {"gcry_mpi_cmp_ui", (void **)&gcrypt.mpi_cmp_ui},
        {"gcry_mpi_set_ui", (void **)&gcrypt.mpi_set_ui},
        {"gcry_mpi_sub_ui", (void **)&gcrypt.mpi_sub_ui},
        {"gcry_cipher_open", (void **)&gcrypt.cipher_open},
        {"gcry_cipher_setkey", (void **)&gcrypt.cipher_setkey},
        {"gcry_cipher_setiv", (void **)&gcrypt.cipher_setiv},
        {"gcry_cipher_encrypt", (void **)&gcrypt.cipher_encrypt},
        {"gcry_cipher_close", (void **)&gcrypt.cipher_close},
    };
    failure = ACR_LOAD_LIBRARY("libgcrypt.so.20", symbols, message);
    if (failure != NULL) {
        return;
    }
    // libgcrypt asks for gcry_check_version before first use, unless someone in the process (a
    // program using the ACR library) has initialised it already.
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

// RFC 2409, section 6.2: the prime of the second Oakley group, 2^1024 - 2^960 - 1 +
// 2^64 * (floor(2^894 * pi) + 129093).
static const char dh1024_prime[] = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
                                   "29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
                                   "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
                                   "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
                                   "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381"
                                   "FFFFFFFFFFFFFFFF";

// base^exponent mod p into `out`, 128 bytes big-endian with leading zeros; 1 on success.
static int dh1024_power(gcry_mpi_t base, const unsigned char exponent_bytes[ACR_DH1024_BYTES],
                        unsigned char out[ACR_DH1024_BYTES]) {
    gcry_mpi_t prime = NULL, exponent = NULL, result = gcrypt.mpi_new(0);
    size_t written = 0;
    int done = gcrypt.mpi_scan(&prime, GCRYMPI_FMT_HEX, dh1024_prime, 0, NULL) == 0 &&
               gcrypt.mpi_scan(&exponent, GCRYMPI_FMT_USG, exponent_bytes, ACR_DH1024_BYTES, NULL) == 0;
    if (done) {
        gcrypt.mpi_powm(result, base, exponent, prime);
        // Printed without leading zeros, then moved right: the Secret Service derives its key
        // from all 128 bytes of the shared secret, leading zeros included.
        done = gcrypt.mpi_print(GCRYMPI_FMT_USG, out, ACR_DH1024_BYTES, &written, result) == 0;
    }
    if (done && written < ACR_DH1024_BYTES) {
        memmove(out + (ACR_DH1024_BYTES - written), out, written);
        memset(out, 0, ACR_DH1024_BYTES - written);
    }
    gcrypt.mpi_release(prime);
    gcrypt.mpi_release(exponent);
    gcrypt.mpi_release(result);
    return done;
}

int acr_dh1024_public(const unsigned char private_key[ACR_DH1024_BYTES],
                      unsigned char public_key[ACR_DH1024_BYTES]) {
    gcry_mpi_t generator = gcrypt.mpi_new(0);
    gcrypt.mpi_set_ui(generator, 2);
    int done = dh1024_power(generator, private_key, public_key);
    gcrypt.mpi_release(generator);
    return done;
}

int acr_dh1024_shared(const unsigned char private_key[ACR_DH1024_BYTES], const unsigned char *peer,
                      size_t peer_length, unsigned char shared[ACR_DH1024_BYTES]) {
    // Leading zeros are no part of the number: KWallet 5 sends a key whose first bit is set with
    // a zero byte before it (129 bytes), as a signed number.
    while (peer_length > 0 && peer[0] == 0) {
        peer++;
        peer_length--;
    }
    if (peer_length == 0 || peer_length > ACR_DH1024_BYTES) {
        return 0;
    }
    gcry_mpi_t prime = NULL, peer_key = NULL, highest = gcrypt.mpi_new(0);
    int done = gcrypt.mpi_scan(&prime, GCRYMPI_FMT_HEX, dh1024_prime, 0, NULL) == 0 &&
               gcrypt.mpi_scan(&peer_key, GCRYMPI_FMT_USG, peer, peer_length, NULL) == 0;
    // 1 and p - 1 (and 0, p and above) would make the shared secret known to anyone watching.
    if (done) {
        gcrypt.mpi_sub_ui(highest, prime, 2);
        done = gcrypt.mpi_cmp_ui(peer_key, 2) >= 0 && gcrypt.mpi_cmp(peer_key, highest) <= 0;
    }
    if (done) {
        done = dh1024_power(peer_key, private_key, shared);
    }
    gcrypt.mpi_release(prime);
    gcrypt.mpi_release(peer_key);
    gcrypt.mpi_release(highest);
    return done;
}

int acr_aes128_cbc_encrypt(const unsigned char key[16], const unsigned char iv[16], const void *input,
                           void *output, size_t length) {
    gcry_cipher_hd_t cipher = NULL;
    if (length % 16 != 0 || gcrypt.cipher_open(&cipher, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_CBC, 0) != 0) {
        return 0;
    }
    int done = gcrypt.cipher_setkey(cipher, key, 16) == 0 && gcrypt.cipher_setiv(cipher, iv, 16) == 0 &&
               gcrypt.cipher_encrypt(cipher, output, length, input, length) == 0;
    gcrypt.cipher_close(cipher);
    return done;
}
