// CDBus is its header: libdbus's own functions, called from Swift. A C target needs a source file
// of its own.
#include "CDBus.h"
