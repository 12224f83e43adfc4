#include "CCurl.h"

#include <dlfcn.h>
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

static void load(void) {
    // Lazily bound: of the functions of libcurl's two dozen libraries only those called are
    // resolved (most of those libraries bind at load anyway; measured ≈ 0.2 ms less).
    void *library = dlopen("libcurl.so.4", RTLD_LAZY | RTLD_LOCAL);
    if (library == NULL) {
        failure = dlerror();
        return;
    }
#define RESOLVE(field, name)                      \
    *(void **)(&curl.field) = dlsym(library, name); \
    if (curl.field == NULL) {                     \
        failure = "libcurl.so.4 lacks " name;      \
        return;                                   \
    }
    RESOLVE(global_init, "curl_global_init")
    RESOLVE(easy_init, "curl_easy_init")
    RESOLVE(easy_cleanup, "curl_easy_cleanup")
    RESOLVE(easy_perform, "curl_easy_perform")
    RESOLVE(easy_strerror, "curl_easy_strerror")
    RESOLVE(easy_setopt, "curl_easy_setopt")
    RESOLVE(easy_getinfo, "curl_easy_getinfo")
    RESOLVE(slist_append, "curl_slist_append")
    RESOLVE(slist_free_all, "curl_slist_free_all")
#undef RESOLVE
    // curl_global_init is not thread-safe in older libcurl: once, here, under pthread_once.
    if (curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        failure = "curl_global_init failed";
        return;
    }
    failure = NULL;
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
