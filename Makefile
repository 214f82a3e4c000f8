# Ferry: `make demo` shows a site distributing a package; `make test` runs every test.
# Both install what is missing first (Debian packages), so a fresh machine needs only Swift.
SHELL := /bin/bash
APT_PACKAGES := libzmq3-dev libcurl4-openssl-dev libsqlite3-dev pkg-config curl
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build release test demo clean

deps:
	@missing=""; for package in $(APT_PACKAGES); do \
	  dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	swift build

test: build
	FERRY_BIN_DIR="$$(swift build --show-bin-path)" swift test

demo: build
	FERRY_BIN_DIR="$$(swift build --show-bin-path)" deploy/demo.sh

clean:
	rm -rf .build
