#include "CCurl.h"

#include <CLoader.h>
#include <pthread.h>
#include <stddef.h>

// The libcurl functions the helper calls, resolved once from libcurl.so.4.
static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} curl;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *failure = "libcurl was not loaded";
static char message[256];

static void load(void) {
    const struct acr_symbol symbols[] = {
        {"curl_global_init", (void **)&curl.global_init},
        {"curl_easy_init", (void **)&curl.easy_init},
        {"curl_easy_cleanup", (void **)&curl.easy_cleanup},
        {"curl_easy_perform", (void **)&curl.easy_perform},
        {"curl_easy_strerror", (void **)&curl.easy_strerror},
        {"curl_easy_setopt", (void **)&curl.easy_setopt},
        {"curl_easy_getinfo", (void **)&curl.easy_getinfo},
        {"curl_slist_append", (void **)&curl.slist_append},
        {"curl_slist_free_all", (void **)&curl.slist_free_all},
    };
    failure = ACR_LOAD_LIBRARY("libcurl.so.4", symbols, message);
    if (failure != NULL) {
        return;
    }
    // curl_global_init is not thread-safe in older libcurl: once, here, under pthread_once.
    if (curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        failure = "curl_global_init failed";
    }
}

const char *acr_curl_load(void) {
    pthread_once(&once, load);
    return failure;
}

// Callers load first; every wrapper below assumes acr_curl_load() returned NULL.
CURL *acr_curl_easy_init(void) { return curl.easy_init(); }
void acr_curl_easy_cleanup(CURL *handle) { curl.easy_cleanup(handle); }
CURLcode acr_curl_easy_perform(CURL *handle) { return curl.easy_perform(handle); }
const char *acr_curl_easy_strerror(CURLcode code) { return curl.easy_strerror(code); }
struct curl_slist *acr_curl_slist_append(struct curl_slist *list, const char *text) {
    return curl.slist_append(list, text);
}
void acr_curl_slist_free_all(struct curl_slist *list) { curl.slist_free_all(list); }

CURLcode acr_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl.easy_setopt(handle, option, value);
}
CURLcode acr_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl.easy_setopt(handle, option, value);
}
CURLcode acr_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl.easy_setopt(handle, option, value);
}
CURLcode acr_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl.easy_setopt(handle, option, value);
}
CURLcode acr_curl_setopt_write_callback(CURL *handle, CURLoption option, curl_write_callback value) {
    return curl.easy_setopt(handle, option, value);
}
CURLcode acr_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl.easy_getinfo(handle, info, value);
}
