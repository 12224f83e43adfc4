#ifndef ACR_CVERSION_H
#define ACR_CVERSION_H

/// The helper's version, fixed at build time: `make` passes -DACR_VERSION from `git describe
/// --tags` (else 0.0.0-dev+<short commit>); a plain `swift build` says 0.0.0-dev.
const char *acr_build_version(void);

#endif
