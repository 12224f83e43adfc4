// CSecret is its header: GLib's and GIO's own functions, called from Swift. A C target needs a
// source file of its own.
#include "CSecret.h"
