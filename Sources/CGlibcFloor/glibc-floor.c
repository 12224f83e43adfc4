// The release binary runs on glibc 2.34 and later (Ubuntu 22.04, RHEL 9 and its rebuilds, Amazon
// Linux 2023). Two functions of later glibc versions come in with the runtimes it links in
// statically, not from the project's code: arc4random (glibc 2.36), which GCC 12's libstdc++.a
// calls from std::random_device, and hypotf as glibc 2.35 versioned it, which the Swift toolchain's
// libswiftGlibc.a calls. Defined here, the linker resolves those calls to these definitions, and the
// binary asks glibc for neither (scripts/check-glibc-floor checks every release build).
#include <errno.h>
#include <stdint.h>
#include <sys/random.h>

// arc4random: 32 random bits from the kernel's CSPRNG, as glibc's own takes them.
uint32_t arc4random(void) {
    uint32_t value;
    while (getrandom(&value, sizeof value, 0) != (ssize_t)sizeof value) {
        // Interrupted before it had the bytes: ask again. getrandom blocks only until the
        // kernel's pool is first seeded, long done on any system that runs docker.
    }
    return value;
}

// hypotf: glibc's, bound to the version every glibc since 2.2.5 has (2.35 added a second, more
// exact one under a new version; the old one stays for programs built against it).
#if defined(__x86_64__)
__asm__(".symver acr_old_hypotf, hypotf@GLIBC_2.2.5");
#elif defined(__aarch64__)
__asm__(".symver acr_old_hypotf, hypotf@GLIBC_2.17");
#endif
float acr_old_hypotf(float x, float y);
float hypotf(float x, float y) { return acr_old_hypotf(x, y); }
