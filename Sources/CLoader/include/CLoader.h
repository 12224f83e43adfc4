#ifndef ACR_CLOADER_H
#define ACR_CLOADER_H

// Loading a library on first use, for the C targets that do (CCurl, CGcrypt): one way to
// open it and resolve its functions, and one way to say why that failed.
#include <stddef.h>

/// A function to resolve: its name, and where its address goes.
struct acr_symbol {
    const char *name;
    void **address;
};

/// Opens `soname`, lazily bound and its symbols kept to itself, and resolves each of `count`
/// `symbols`. Returns NULL when every one is resolved; else why not (the loader's own message, or
/// the first function missing), written into `message` (`size` bytes), which is returned.
const char *acr_load_library(const char *soname, const struct acr_symbol *symbols, size_t count, char *message,
                             size_t size);

/// acr_load_library with `symbols` an array and `message` a character array, their sizes counted
/// by the compiler rather than written out at each call.
#define ACR_LOAD_LIBRARY(soname, symbols, message) \
    acr_load_library((soname), (symbols), sizeof(symbols) / sizeof((symbols)[0]), (message), sizeof(message))

#endif
