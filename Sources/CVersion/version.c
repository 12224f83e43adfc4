#include "CVersion.h"

#ifndef ACR_VERSION
#define ACR_VERSION "0.0.0-dev"
#endif

const char *acr_build_version(void) { return ACR_VERSION; }
