// The floor of a cold `get` over HTTPS for make bench: one libcurl HTTPS GET to the ACR API stub,
// with the same certificate folder, from a process that links libcurl at start. A cold `get` is
// this, plus reading the key (a warm `get`'s keyring round trip), signing and caching.
//
//   bench-floor URL     (SSL_CERT_DIR names the test authority's folder)
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>

static size_t discard(char *data, size_t size, size_t count, void *unused) {
    (void)data;
    (void)unused;
    return size * count;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: bench-floor URL\n");
        return 64;
    }
    CURL *curl = curl_easy_init();
    if (curl == NULL) return 1;
    curl_easy_setopt(curl, CURLOPT_URL, argv[1]);
    const char *folder = getenv("SSL_CERT_DIR");
    if (folder != NULL) curl_easy_setopt(curl, CURLOPT_CAPATH, folder);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    CURLcode result = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    if (result != CURLE_OK) {
        fprintf(stderr, "bench-floor: %s\n", curl_easy_strerror(result));
        return 1;
    }
    // Any answer of the stub's will do (an unsigned request is refused): the round trip is timed.
    return status > 0 ? 0 : 1;
}
