#ifndef ACR_CSECRET_H
#define ACR_CSECRET_H

// GLib and GIO for the SecretStore module: GDBus carries every Secret Service call. libsecret is
// loaded on first use with dlopen rather than linked: only an encrypted write (an AccessKey, a
// registry login) needs it, for its Diffie-Hellman session, and a warm `get` never does. No
// libsecret type crosses this header: a SecretService is a GObject here.
#include <gio/gio.h>

/// Loads libsecret (once). Returns NULL when it is loaded, else dlerror()'s message.
const char *acr_secret_load(void);

// Callers load first; each wrapper assumes acr_secret_load() returned NULL.

/// `secret_service_get_sync` with an open session (SECRET_SERVICE_OPEN_SESSION): the process's
/// SecretService, connected, with its encrypted session negotiated. A new reference.
GObject *acr_secret_service_get_sync(GCancellable *cancellable, GError **error);

/// `secret_service_disconnect`: drops the SecretService libsecret keeps for the process.
void acr_secret_service_disconnect(void);

/// `secret_service_encode_dbus_secret` of `length` bytes at `secret` with `content_type`: the
/// secret encrypted for the service's session, as `Item.SetSecret` and `Collection.CreateItem`
/// take it (a floating `(oayays)`).
GVariant *acr_secret_service_encode(GObject *service, const char *secret, gssize length,
                                    const char *content_type);

#endif
