#ifndef ACR_CCURL_H
#define ACR_CCURL_H

// libcurl, loaded on first use with dlopen rather than linked: libcurl and the two dozen
// libraries it needs cost ~3 ms at every start, and `get` answers from the keyring's cache without
// any HTTP at all most of the time. Only the types and constants come from curl.h here.
#include <curl/curl.h>

/// Loads libcurl (once). Returns NULL when it is loaded, else dlerror()'s message.
const char *acr_curl_load(void);

CURL *acr_curl_easy_init(void);
void acr_curl_easy_cleanup(CURL *handle);
CURLcode acr_curl_easy_perform(CURL *handle);
const char *acr_curl_easy_strerror(CURLcode code);
struct curl_slist *acr_curl_slist_append(struct curl_slist *list, const char *text);
void acr_curl_slist_free_all(struct curl_slist *list);

// curl_easy_setopt and curl_easy_getinfo are variadic, so Swift cannot call them: one
// non-variadic wrapper per argument type the helper passes.
CURLcode acr_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode acr_curl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode acr_curl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode acr_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode acr_curl_setopt_write_callback(CURL *handle, CURLoption option, curl_write_callback value);
CURLcode acr_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);

#endif
