# sitesweep - guided cleanup of failed SMS 2.0 secondary-site installs.
# `make run` builds and starts the console; `make test` builds and runs
# every test (installing missing Debian packages first). V=1 shows commands.

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
bindir    ?= $(PREFIX)/bin
datadir   ?= $(PREFIX)/share/sitesweep
mandir    ?= $(PREFIX)/share/man

CC        ?= cc
PKGS      := ncursesw panelw sqlite3 jansson nettle libpq
PKGS_TEST := cmocka
WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wvla \
             -Wno-format-nonliteral
CFLAGS    ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_XOPEN_SOURCE=700 \
             -D_XOPEN_SOURCE_EXTENDED -DSITESWEEP_VERSION='"$(VERSION)"' \
             -DSITESWEEP_DATADIR='"$(datadir)"' $(WARN) \
             $(filter-out -D_XOPEN_SOURCE=% -D_DEFAULT_SOURCE,$(shell pkg-config --cflags $(PKGS) 2>/dev/null)) \
             -Isrc -Iui $(CFLAGS)
# libunistring (Unicode case folding) and libcsv ship no pkg-config file.
LIBS      := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv -lunistring
TEST_LIBS := $(shell pkg-config --libs $(PKGS_TEST) 2>/dev/null)

# Sanitizer builds live in their own tree so they never mix with release.
BUILD     ?= build
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=all

CORE_SRC  := $(wildcard src/*.c)
UI_SRC    := $(wildcard ui/*.c)
TEST_SRC  := $(wildcard tests/unit/test_*.c)
CORE_OBJ  := $(CORE_SRC:%.c=$(BUILD)/%.o)
UI_OBJ    := $(UI_SRC:%.c=$(BUILD)/%.o)
TESTS     := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# UI code a unit test can link: everything of ui/ but main().
UI_LIB_OBJ := $(filter-out $(BUILD)/ui/main.o,$(UI_OBJ))
BIN       := $(if $(filter build,$(BUILD)),sitesweep,$(BUILD)/sitesweep)

Q  = $(if $(V),,@)
QS = $(if $(V),,@echo "  $(1)	$@";)

.PHONY: all run test asan check deps install uninstall clean torture
.DEFAULT_GOAL := all

all: $(BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call QS,CC)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BIN): $(CORE_OBJ) $(UI_OBJ)
	$(call QS,LINK)$(CC) $(ALL_CFLAGS) $^ -o $@ $(LIBS) $(LDFLAGS)

# Every unit test links the shared set-up in tests/unit/fixture.c.
$(BUILD)/tests/%: tests/unit/%.c tests/unit/fixture.c tests/unit/fixture.h \
                  $(CORE_OBJ) $(UI_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(call QS,CC)$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes \
	    $(filter-out %.h,$^) -o $@ \
	    $(TEST_LIBS) $(LIBS) $(LDFLAGS)

# Test drivers that link the core (crash torture, ...).
$(BUILD)/tests/torture-%: tests/torture/%.c $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(call QS,CC)$(CC) $(ALL_CFLAGS) $^ -o $@ $(LIBS) $(LDFLAGS)

DRIVERS := $(BUILD)/tests/torture-crash

-include $(CORE_OBJ:.o=.d) $(UI_OBJ:.o=.d)

# Installs the Debian packages the build and the tests need when any is
# missing (apt-get; sudo when not root). Quiet when all are present.
DEB_PKGS := build-essential pkg-config libncurses-dev libsqlite3-dev \
            libcsv-dev libjansson-dev nettle-dev libcmocka-dev libunistring-dev \
            tmux sqlite3 valgrind clang libclang-rt-dev \
            postgresql libpq-dev pgbouncer xxd
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	        || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    echo "sitesweep: installing missing packages:$$missing"; \
	    SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing \
	        >/dev/null || { echo "sitesweep: apt-get failed" >&2; exit 1; }; \
	fi

# The console on a demo journal kept under build/ (offers the bundled demo
# inventory on first start: SITESWEEP_DEMO_OFFER, since --journal alone
# never gets the offer).
run: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p $(BUILD)
	@[ -s $(BUILD)/demo-journal.db ] || \
	    ./sitesweep --journal $(BUILD)/demo-journal.db import data/demo-sites.csv
	SITESWEEP_DEMO_OFFER=1 ./sitesweep --journal $(BUILD)/demo-journal.db

test: deps
	@$(MAKE) --no-print-directory check
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory fuzz-smoke

# The whole suite against one build tree (BUILD=build or build/asan).
check: $(BIN) $(TESTS) $(DRIVERS)
	$(Q)SITESWEEP_BIN=$(abspath $(BIN)) BUILD=$(BUILD) \
	    sh tests/run-tests.sh $(TESTS)

# Under the sanitizers a process costs several times more: the crash
# tests kill fewer times and verify every fifth kill (make check does
# the full count; make torture thousands).
asan:
	@CRASH_KILLS=$${CRASH_KILLS:-150} CRASH_VERIFY_EVERY=$${CRASH_VERIFY_EVERY:-5} \
	    $(MAKE) --no-print-directory BUILD=build/asan \
	    CFLAGS="-O1 -g $(SAN_FLAGS)" LDFLAGS="$(SAN_FLAGS)" check

# Thousands of SIGKILLs during confirmations (make test runs a few hundred).
TORTURE_KILLS ?= 3000
CONSOLE_KILLS ?= 300
# A private copy of the binary, so a rebuild meanwhile cannot disturb it.
torture: $(BIN) $(DRIVERS)
	$(Q)rm -rf $(BUILD)/torture && mkdir -p $(BUILD)/torture
	$(Q)cp $(BIN) $(BUILD)/torture/sitesweep
	$(Q)$(BUILD)/torture/sitesweep --journal $(BUILD)/torture/journal.db \
	    import data/demo-sites.csv >/dev/null
	$(Q)$(BUILD)/tests/torture-crash $(abspath $(BUILD))/torture/sitesweep \
	    $(BUILD)/torture/journal.db $(TORTURE_KILLS)
	$(Q)CONSOLE_KILLS=$(CONSOLE_KILLS) \
	    SITESWEEP_BIN=$(abspath $(BUILD))/torture/sitesweep \
	    TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8 sh tests/e2e/console-crash-test

install: $(BIN)
	install -d $(DESTDIR)$(bindir) $(DESTDIR)$(datadir) $(DESTDIR)$(mandir)/man1
	install -m 755 $(BIN) $(DESTDIR)$(bindir)/sitesweep
	install -m 644 data/q287717.procedure data/demo-sites.csv $(DESTDIR)$(datadir)/
	install -m 644 data/sitesweep.1 $(DESTDIR)$(mandir)/man1/sitesweep.1

uninstall:
	rm -f $(DESTDIR)$(bindir)/sitesweep $(DESTDIR)$(mandir)/man1/sitesweep.1
	rm -rf $(DESTDIR)$(datadir)

clean:
	rm -rf build sitesweep

# Fuzzing (make fuzz, fuzz-smoke) and benchmarks (make bench).
include tests/extra.mk
