# docker-credential-acr-helper: build, install and test.
PREFIX ?= /usr/local
BINARY := docker-credential-acr-helper

.PHONY: build release install demo test bench mutate dist deb clean

build:
	swift build

# A release binary with the Swift and C++ runtimes linked in (scripts/release-build), so it runs
# wherever libsecret does, with the version from git; and the man page, generated from the
# argument parser.
release:
	scripts/install-deps --build
	@# A build folder of its own (the man page plugin builds into .build without the version);
	@# SwiftPM does not recompile a C target when only an -Xcc definition changes: drop its object.
	rm -f .build-release/*/release/CVersion.build/version.c.o
	scripts/release-build .build-release -Xcc '-DACR_VERSION="$(shell scripts/version)"'
	swift package plugin generate-manual >/dev/null

# A versioned archive with SHA256SUMS, and a Debian package, in dist/.
dist:
	scripts/package dist

deb:
	scripts/package deb

# Brings the release build up to date where swift is on PATH, then copies the binary, its
# completions and its man page: so `make release && sudo make install` builds as you and installs
# as root (sudo's PATH may lack swift).
BIN_PATH := .build-release/$(shell uname -m)-unknown-linux-gnu/release
MAN_PAGE := .build/plugins/GenerateManual/outputs/Helper/$(BINARY).1
install:
	@if command -v swift >/dev/null; then $(MAKE) --no-print-directory release; fi
	test -x $(BIN_PATH)/$(BINARY) || { echo "no release build: run make release first" >&2; exit 1; }
	install -D -m 0755 $(BIN_PATH)/$(BINARY) $(DESTDIR)$(PREFIX)/bin/$(BINARY)
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d $(DESTDIR)$(PREFIX)/share/man/man1
	$(BIN_PATH)/$(BINARY) --generate-completion-script bash >$(DESTDIR)$(PREFIX)/share/bash-completion/completions/$(BINARY)
	$(BIN_PATH)/$(BINARY) --generate-completion-script zsh >$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_$(BINARY)
	$(BIN_PATH)/$(BINARY) --generate-completion-script fish >$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/$(BINARY).fish
	install -m 0644 $(MAN_PAGE) $(DESTDIR)$(PREFIX)/share/man/man1/$(BINARY).1

# The helper end to end, offline, in a temporary HOME and a private keyring (never yours).
demo:
	scripts/demo

# Every test, against a real gnome-keyring in a private session bus (never your own keyring).
test:
	scripts/test

# Speed, side by side with docker's keyring helper and the Python SDK (see BENCHMARKS.md).
bench:
	scripts/bench

# Mutations of the rules that protect users, each run against the tests that should catch it
# (scripts/mutate lists them); prints a line per mutation and the score. Not part of make test:
# it rebuilds once per mutation (about half an hour).
mutate:
	scripts/mutate

clean:
	rm -rf .build
