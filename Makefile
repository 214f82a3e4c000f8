# Ferry: `make demo` shows a site distributing a package; `make test` runs every test.
# Both install what is missing first (Debian packages), so a fresh machine needs only Swift.
SHELL := /bin/bash
APT_PACKAGES := libzmq3-dev libzstd-dev libcurl4-openssl-dev libsqlite3-dev pkg-config curl libnorm-dev iproute2 nftables jq sqlite3 openssl
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

# The failures are repeated at the end so the tail of a CI log names them. The namespace
# test bed (suite "Testbed": a dozen processes and line-rate multicast) runs on its own
# afterwards, so its load cannot starve the timing-sensitive bus tests.
# SiteServicesTests run whole sites in-process (hundreds of sockets and eventfds at once);
# beside them libnorm's select() in the multicast tests would see descriptors above
# FD_SETSIZE and abort, so they get their own test process.
# fetch-smoke runs the chunk fetcher in a release build: Swift 6.3.1 miscompiled an earlier
# one there (every agent download failed), which the debug-built tests cannot see.
test: build
	@mkdir -p .build; set -o pipefail; \
	FERRY_BIN_DIR="$$(swift build --show-bin-path)" swift test --skip TestbedTests --skip SiteServicesTests 2>&1 | tee .build/test.log; status=$$?; \
	FERRY_BIN_DIR="$$(swift build --show-bin-path)" swift test --filter SiteServicesTests 2>&1 | tee -a .build/test.log; status=$$(( status | $$? )); \
	FERRY_BIN_DIR="$$(swift build --show-bin-path)" swift test --filter TestbedTests 2>&1 | tee -a .build/test.log; status=$$(( status | $$? )); \
	{ swift build -c release --product fetch-smoke 2>&1 | tail -1 && "$$(swift build -c release --show-bin-path)/fetch-smoke"; } 2>&1 | tee -a .build/test.log; status=$$(( status | $$? )); \
	if [ $$status -ne 0 ]; then echo "---- failures ----"; grep -E '✘|recorded an issue|error:' .build/test.log | tail -60; fi; \
	exit $$status

demo: build
	FERRY_BIN_DIR="$$(swift build --show-bin-path)" deploy/demo.sh

clean:
	rm -rf .build
