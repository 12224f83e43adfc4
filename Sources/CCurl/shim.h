#include <curl/curl.h>

// curl_easy_setopt is variadic and so cannot be called from Swift: one non-variadic wrapper per
// argument type it takes.
static inline CURLcode acr_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode acr_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode acr_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}
// curl_easy_getinfo is variadic too.
static inline CURLcode acr_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
