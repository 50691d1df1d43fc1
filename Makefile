# SPDX-License-Identifier: MIT
# slipway build. `make` builds both programs; `make check` installs what is
# missing (contrib/deps.sh) and runs every test; `make demo` runs the demo.
# Three variants share the sources:
#   build/        release: the programs users get
#   build/test/   fault injection compiled in (crash tests, unit tests)
#   build/asan/   AddressSanitizer + UndefinedBehaviorSanitizer, fault injection

VERSION := 0.1.0

.DEFAULT_GOAL := all

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/slipway
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
SYSCONFDIR ?= /etc
SYSTEMDDIR ?= $(LIBDIR)/systemd/system
HOOKDIR ?= $(LIBDIR)/slipway/hooks.d
DESTDIR ?=

CC ?= cc
AR ?= ar
CLANG_FORMAT ?= clang-format
MD2MAN ?= go-md2man
WERROR ?= -Werror
V ?= 0
ifeq ($(V),0)
Q := @
else
Q :=
endif

PKGS := libcurl libsodium libarchive sqlite3 jansson inih libcrypto
PKG_OK := $(shell pkg-config --exists $(PKGS) cmocka 2>/dev/null && echo yes)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libarchive is not linked: src/bundle.c loads it (dlopen) by the soname of
# the library found here, only when a bundle is extracted (it and its
# dependencies cost every other run page faults). Unit tests that write
# bundles link it (ARCHIVE_LIBS).
PKG_LIBS := $(shell pkg-config --libs $(filter-out libarchive,$(PKGS)) 2>/dev/null)
ARCHIVE_LIBS := $(shell pkg-config --libs libarchive 2>/dev/null)
LIBARCHIVE_SONAME := $(shell objdump -p "$$(pkg-config --variable=libdir libarchive 2>/dev/null)/libarchive.so" \
	2>/dev/null | awk '$$1 == "SONAME" { print $$2 }')
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN := -std=c11 -Wall -Wextra -Wpedantic -Wformat=2 -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wwrite-strings -Wvla -Wswitch-enum -Wimplicit-fallthrough \
	-fno-common $(WERROR)
HOOKLIBDIR ?= $(LIBDIR)/slipway
BASE_CPPFLAGS := -D_GNU_SOURCE -Iinclude -Isrc -DSW_VERSION='"$(VERSION)"' \
	-DSW_HOOK_LIB_DEFAULT='"$(HOOKLIBDIR)/hook-lib.sh"' \
	$(if $(LIBARCHIVE_SONAME),-DSW_LIBARCHIVE_SONAME='"$(LIBARCHIVE_SONAME)"')
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
HARDEN_LD := -pie -Wl,-z,relro,-z,now
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

REL_CFLAGS := -O2 -g $(HARDEN)
TEST_CFLAGS := -O1 -g $(HARDEN) -DSW_FAULT_INJECTION
ASAN_CFLAGS := -O1 -g $(SAN) -DSW_FAULT_INJECTION
REL_LDFLAGS := $(HARDEN_LD)
TEST_LDFLAGS := $(HARDEN_LD)
ASAN_LDFLAGS := $(SAN)

# --- sources -----------------------------------------------------------------
PROG_MAINS := src/cli/main.c src/repo/main.c
LIB_SRC := $(filter-out $(PROG_MAINS),$(sort $(wildcard src/*.c src/cli/*.c src/repo/*.c)))
SCHEMA := $(sort $(wildcard schema/[0-9][0-9][0-9][0-9]-*.sql))
GEN_SCHEMA := build/gen/schema.c
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_SUPPORT := $(filter-out $(UNIT_SRC),$(sort $(wildcard tests/unit/*.c)))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
CONF_SRC := $(sort $(wildcard tests/conformance/*.c))
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
MAN_SRC := $(sort $(wildcard contrib/man/*.md))
MAN_OUT := $(patsubst contrib/man/%.md,build/man/%,$(MAN_SRC))
DOC_SRC := $(sort $(wildcard docs/*.md docs/*.json))
ALL_C_H := $(sort $(wildcard src/*.c src/*.h src/*/*.c src/*/*.h include/slipway/*.h \
	tests/unit/*.c tests/unit/*.h tests/fuzz/*.c tests/conformance/*.c tests/tools/*.c))

# --- one set of rules per variant ----------------------------------------------
# $(1) = variable prefix, $(2) = output directory, $(3) = CFLAGS, $(4) = LDFLAGS
define VARIANT
$(1)_OBJ := $$(patsubst %.c,$(2)/obj/%.o,$$(LIB_SRC) $$(GEN_SCHEMA))
$(1)_LIB := $(2)/libslipway.a
$(1)_UNIT := $$(patsubst tests/unit/%.c,$(2)/unit/%,$$(UNIT_SRC))
$(1)_UNIT_SUPPORT := $$(patsubst %.c,$(2)/obj/%.o,$$(UNIT_SUPPORT))
$(1)_FUZZ := $$(patsubst tests/fuzz/%.c,$(2)/fuzz/%,$$(FUZZ_SRC))
$(1)_CONF := $$(patsubst tests/conformance/%.c,$(2)/conformance/%,$$(CONF_SRC))
$(1)_TOOLS := $$(patsubst tests/tools/%.c,$(2)/tools/%,$$(TOOL_SRC))
$(1)_PROGS := $(2)/slipway $(2)/slipway-repo $$($(1)_CONF)

$(2)/obj/%.o: %.c | deps-ok
	@mkdir -p $$(@D)
	@$$(if $$(Q),echo "  CC      $$@")
	$$(Q)$$(CC) $$(BASE_CPPFLAGS) $$(PKG_CFLAGS) $$(WARN) $(3) $$(CFLAGS) -MMD -MP -c $$< -o $$@

$(2)/libslipway.a: $$($(1)_OBJ)
	@mkdir -p $$(@D)
	@rm -f $$@
	@$$(if $$(Q),echo "  AR      $$@")
	$$(Q)$$(AR) rcs $$@ $$^

$(2)/slipway: $(2)/obj/src/cli/main.o $(2)/libslipway.a
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $(3) $(4) $$(LDFLAGS) -o $$@ $$^ $$(PKG_LIBS)

$(2)/slipway-repo: $(2)/obj/src/repo/main.o $(2)/libslipway.a
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $(3) $(4) $$(LDFLAGS) -o $$@ $$^ $$(PKG_LIBS)

$(2)/conformance/%: $(2)/obj/tests/conformance/%.o $(2)/libslipway.a
	@mkdir -p $$(@D)
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $(3) $(4) $$(LDFLAGS) -o $$@ $$^ $$(PKG_LIBS)

$(2)/tools/%: $(2)/obj/tests/tools/%.o $(2)/libslipway.a
	@mkdir -p $$(@D)
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $(3) $(4) $$(LDFLAGS) -o $$@ $$^ $$(PKG_LIBS)

$(2)/unit/%: $(2)/obj/tests/unit/%.o $$($(1)_UNIT_SUPPORT) $(2)/libslipway.a
	@mkdir -p $$(@D)
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $(3) $(4) $$(LDFLAGS) -o $$@ $$^ $$(PKG_LIBS) $$(ARCHIVE_LIBS) $$(CMOCKA_LIBS)

$(2)/fuzz/%: $(2)/obj/tests/fuzz/%.o $(2)/obj/tests/fuzz/replay.o $(2)/libslipway.a
	@mkdir -p $$(@D)
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $(3) $(4) $$(LDFLAGS) -o $$@ $$^ $$(PKG_LIBS)
endef

$(eval $(call VARIANT,REL,build,$(REL_CFLAGS),$(REL_LDFLAGS)))
$(eval $(call VARIANT,TEST,build/test,$(TEST_CFLAGS),$(TEST_LDFLAGS)))
$(eval $(call VARIANT,ASAN,build/asan,$(ASAN_CFLAGS),$(ASAN_LDFLAGS)))

.PHONY: all programs man completion check _check unit unit-asan integration fuzz-replay fuzz lint \
	format install uninstall demo _demo bench _bench deps deps-ok clean

all: programs man completion

programs: build/slipway build/slipway-repo $(REL_CONF)

deps-ok:
ifneq ($(PKG_OK),yes)
	@echo "error: build dependencies are missing; run 'contrib/deps.sh' as root" \
	      "(or 'make check', which runs it)" >&2; exit 1
endif

deps:
	@contrib/deps.sh

# Migrations are embedded: build/gen/schema.c holds each file's bytes.
$(GEN_SCHEMA): $(SCHEMA) contrib/embed-schema.sh
	@mkdir -p $(@D)
	contrib/embed-schema.sh $(SCHEMA) > $@.tmp && mv $@.tmp $@

man: $(MAN_OUT)

# go-md2man writes a heading with quotes ("# [mirror "NAME"]") as an unquoted
# .SH argument, which roff splits at the quotes: quote it, doubling the inner ones.
build/man/%: contrib/man/%.md
	@mkdir -p $(@D)
	@command -v $(MD2MAN) >/dev/null || { echo "error: $(MD2MAN) is missing; run 'contrib/deps.sh'" >&2; exit 1; }
	$(MD2MAN) -in $< -out $@.tmp
	sed -e '/^\.SH .*"/{s/"/""/g;s/^\.SH \(.*\)$$/.SH "\1"/;}' $@.tmp > $@ && rm -f $@.tmp

# Shell completion, generated by the programs from their command and option
# tables (a command added to a table is completed without editing a script).
COMPLETION_OUT := build/completion/slipway.bash build/completion/slipway-repo.bash \
	build/completion/_slipway build/completion/_slipway-repo

completion: $(COMPLETION_OUT)

build/completion/%.bash: build/%
	@mkdir -p $(@D)
	$< --completion bash > $@.tmp && mv $@.tmp $@

build/completion/_%: build/%
	@mkdir -p $(@D)
	$< --completion zsh > $@.tmp && mv $@.tmp $@

# --- tests ---------------------------------------------------------------------
check:
	@contrib/deps.sh
	@$(MAKE) --no-print-directory -j$$(nproc) all test-programs $(TEST_UNIT) $(ASAN_UNIT) $(ASAN_FUZZ)
	@$(MAKE) --no-print-directory _check

_check: all test-programs
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory unit-asan
	@$(MAKE) --no-print-directory fuzz-replay
	@$(MAKE) --no-print-directory integration
	@echo "make check: all tests passed"

# test drivers (tests/tools/*.c) are built in the release and the test variant
test-programs: build/test/slipway build/test/slipway-repo $(TEST_CONF) $(REL_TOOLS) $(TEST_TOOLS)

unit: $(TEST_UNIT)
	@tests/run-unit.sh build/test $(TEST_UNIT)

unit-asan: $(ASAN_UNIT)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  tests/run-unit.sh build/asan $(ASAN_UNIT)

fuzz-replay: $(ASAN_FUZZ)
	@tests/fuzz/replay-all.sh build/asan/fuzz

integration: all test-programs man
	@tests/integration/run.sh

# libFuzzer builds (clang): build/fuzz/NAME; run with build/fuzz/NAME tests/fuzz/corpus/NAME
FUZZ_CC ?= clang
fuzz: $(GEN_SCHEMA)
	@mkdir -p build/fuzz
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  echo "  FUZZ $$n"; \
	  $(FUZZ_CC) $(BASE_CPPFLAGS) $(PKG_CFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined \
	    -o build/fuzz/$$n $$f $(LIB_SRC) $(GEN_SCHEMA) $(PKG_LIBS) || exit 1; done

lint:
	@command -v $(CLANG_FORMAT) >/dev/null || { echo "error: $(CLANG_FORMAT) is missing" >&2; exit 1; }
	$(CLANG_FORMAT) --dry-run --Werror $(ALL_C_H)
	@bash -n contrib/*.sh tests/*.sh tests/integration/*.sh tests/bench/*.sh tests/bench/*.bash

format:
	$(CLANG_FORMAT) -i $(ALL_C_H)

# --- demo and benchmarks ---------------------------------------------------------
demo:
	@contrib/deps.sh
	@$(MAKE) --no-print-directory _demo

_demo: programs man
	@contrib/demo.sh build

bench:
	@contrib/deps.sh
	@$(MAKE) --no-print-directory _bench

_bench: programs test-programs
	@for b in $(sort $(wildcard tests/bench/*.sh)); do bash $$b build || exit 1; done

# --- install -----------------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(HOOKLIBDIR) \
	  $(DESTDIR)$(SYSTEMDDIR) $(DESTDIR)$(HOOKDIR) $(DESTDIR)$(SYSCONFDIR)/slipway \
	  $(DESTDIR)$(DOCDIR)
	install -m 0755 build/slipway build/slipway-repo $(DESTDIR)$(BINDIR)/
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 0644 build/completion/slipway.bash $(DESTDIR)$(BASHCOMPDIR)/slipway
	install -m 0644 build/completion/slipway-repo.bash $(DESTDIR)$(BASHCOMPDIR)/slipway-repo
	install -m 0644 build/completion/_slipway build/completion/_slipway-repo $(DESTDIR)$(ZSHCOMPDIR)/
	for m in $(MAN_OUT); do s=$${m##*.}; install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	for u in $(wildcard contrib/systemd/*.service contrib/systemd/*.timer); do \
	  sed 's|@BINDIR@|$(BINDIR)|g' $$u >$(DESTDIR)$(SYSTEMDDIR)/$${u##*/} && \
	  chmod 0644 $(DESTDIR)$(SYSTEMDDIR)/$${u##*/} || exit 1; done
	for d in $(notdir $(wildcard contrib/hooks/*)); do \
	  [ -d contrib/hooks/$$d ] || continue; install -d $(DESTDIR)$(HOOKDIR)/$$d; \
	  for h in contrib/hooks/$$d/*; do [ -f $$h ] && install -m 0755 $$h $(DESTDIR)$(HOOKDIR)/$$d/; done; \
	done
	install -m 0644 contrib/hooks/hook-lib.sh $(DESTDIR)$(HOOKLIBDIR)/hook-lib.sh
	install -m 0644 contrib/slipway.conf.example $(DESTDIR)$(SYSCONFDIR)/slipway/slipway.conf.example
	install -m 0644 README.md CHANGELOG.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 keys/README.md $(DESTDIR)$(DOCDIR)/key-ceremony.md
	install -d $(DESTDIR)$(DOCDIR)/docs
	install -m 0644 $(DOC_SRC) $(DESTDIR)$(DOCDIR)/docs/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/slipway $(DESTDIR)$(BINDIR)/slipway-repo
	rm -f $(DESTDIR)$(BASHCOMPDIR)/slipway $(DESTDIR)$(BASHCOMPDIR)/slipway-repo \
	  $(DESTDIR)$(ZSHCOMPDIR)/_slipway $(DESTDIR)$(ZSHCOMPDIR)/_slipway-repo
	for m in $(notdir $(MAN_OUT)); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$$m; done
	rm -f $(DESTDIR)$(SYSCONFDIR)/slipway/slipway.conf.example
	rm -f $(DESTDIR)$(HOOKLIBDIR)/hook-lib.sh
	rm -f $(DESTDIR)$(DOCDIR)/README.md $(DESTDIR)$(DOCDIR)/CHANGELOG.md \
	  $(DESTDIR)$(DOCDIR)/key-ceremony.md
	for d in $(notdir $(DOC_SRC)); do rm -f $(DESTDIR)$(DOCDIR)/docs/$$d; done
	-rmdir $(DESTDIR)$(DOCDIR)/docs $(DESTDIR)$(DOCDIR) 2>/dev/null

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)

# keep objects between runs (they are intermediate files of pattern rules)
.SECONDARY:
