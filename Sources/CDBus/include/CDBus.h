#ifndef ACR_CDBUS_H
#define ACR_CDBUS_H

// libdbus, the reference D-Bus library, for the SecretStore module (its BusConnection.swift): the
// helper's one D-Bus client, linked, since every command that touches the keyring needs it. Not
// GDBus: measured here, an empty program linking GIO started ≈ 3.5 ms later than one linking
// nothing, one linking libdbus ≈ 1.4 ms, and a warm `get` pays that at every start.
#include <dbus/dbus.h>

#endif
