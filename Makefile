# docker-credential-acr-helper: build, install and test.
PREFIX ?= /usr/local
BINARY := docker-credential-acr-helper
RELEASE_FLAGS := -c release --static-swift-stdlib

.PHONY: build release install demo test bench dist deb clean

build:
	swift build

# A release binary with the Swift runtime linked in, so it runs wherever libsecret and libcurl do.
release:
	scripts/install-deps --build
	swift build $(RELEASE_FLAGS) -Xcc '-DACR_VERSION="$(shell scripts/version)"'

# A versioned archive with SHA256SUMS, and a Debian package, in dist/.
dist:
	scripts/package dist

deb:
	scripts/package deb

# Brings the release binary up to date where swift is on PATH, then copies it: so
# `make release && sudo make install` builds as you and installs as root (sudo's PATH may lack swift).
BIN_PATH := .build/$(shell uname -m)-unknown-linux-gnu/release
install:
	@if command -v swift >/dev/null; then $(MAKE) --no-print-directory release; fi
	test -x $(BIN_PATH)/$(BINARY) || { echo "no release build: run make release first" >&2; exit 1; }
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN_PATH)/$(BINARY) $(DESTDIR)$(PREFIX)/bin/$(BINARY)

# The helper end to end, offline, in a temporary HOME and a private keyring (never yours).
demo:
	scripts/demo

# Every test, against a real gnome-keyring in a private session bus (never your own keyring).
test:
	scripts/test

# Speed, side by side with docker's keyring helper and the Python SDK (see BENCHMARKS.md).
bench:
	scripts/bench

clean:
	rm -rf .build
