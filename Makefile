# docker-credential-acr-helper: build, install and test.
PREFIX ?= /usr/local
BINARY := docker-credential-acr-helper

.PHONY: build release install test clean

build:
	swift build

# A release binary with the Swift runtime linked in, so it runs wherever libsecret and libcurl do.
release:
	scripts/install-deps --build
	swift build -c release --static-swift-stdlib

install: release
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 "$$(swift build -c release --static-swift-stdlib --show-bin-path)/$(BINARY)" \
		$(DESTDIR)$(PREFIX)/bin/$(BINARY)

# Every test, against a real gnome-keyring in a private session bus (never your own keyring).
test:
	scripts/test

clean:
	rm -rf .build
