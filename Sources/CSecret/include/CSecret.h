#ifndef ACR_CSECRET_H
#define ACR_CSECRET_H

// GLib and GIO for the SecretStore module: GDBus carries every Secret Service call. The encrypted
// session's cryptography is libgcrypt's (CGcrypt, through the Crypto module), so no Secret Service
// library is needed: GDBus is the helper's one client of the Secret Service.
#include <gio/gio.h>

#endif
