#include "CSecret.h"

#include <CLoader.h>
// secret_service_encode_dbus_secret is in libsecret's "unstable" header (unchanged since 0.18).
#define SECRET_API_SUBJECT_TO_CHANGE 1
#include <libsecret/secret.h>
#include <pthread.h>

// The libsecret functions the helper calls, resolved once from libsecret-1.so.0. Typed from
// libsecret's header, so a mismatch is a compile error here.
static struct {
    __typeof__(secret_service_get_sync) *service_get_sync;
    __typeof__(secret_service_disconnect) *service_disconnect;
    __typeof__(secret_service_encode_dbus_secret) *encode_dbus_secret;
    __typeof__(secret_value_new) *value_new;
    __typeof__(secret_value_unref) *value_unref;
} secret;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *failure = "libsecret was not loaded";
static char message[256];

static void load(void) {
    // GLib, GIO and GObject are linked already; libsecret brings libgcrypt, its one other library.
    const struct acr_symbol symbols[] = {
        {"secret_service_get_sync", (void **)&secret.service_get_sync},
        {"secret_service_disconnect", (void **)&secret.service_disconnect},
        {"secret_service_encode_dbus_secret", (void **)&secret.encode_dbus_secret},
        {"secret_value_new", (void **)&secret.value_new},
        {"secret_value_unref", (void **)&secret.value_unref},
    };
    failure = ACR_LOAD_LIBRARY("libsecret-1.so.0", symbols, message);
}

const char *acr_secret_load(void) {
    pthread_once(&once, load);
    return failure;
}

GObject *acr_secret_service_get_sync(GCancellable *cancellable, GError **error) {
    return (GObject *)secret.service_get_sync(SECRET_SERVICE_OPEN_SESSION, cancellable, error);
}

void acr_secret_service_disconnect(void) { secret.service_disconnect(); }

GVariant *acr_secret_service_encode(GObject *service, const char *secret_bytes, gssize length,
                                    const char *content_type) {
    // secret_value_new copies the bytes; the encoded variant holds what it needs of the value.
    SecretValue *value = secret.value_new(secret_bytes, length, content_type);
    GVariant *encoded = secret.encode_dbus_secret((SecretService *)service, value);
    secret.value_unref(value);
    return encoded;
}
