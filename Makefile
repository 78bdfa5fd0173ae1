# mcpgate -- one non-recursive GNU Makefile.
#
#   make              build build/default/{mcpgate,mcpgate-audit}
#   make check        install test dependencies, build with ASan+UBSan, run every
#                     test (unit, data, e2e against real lighttpd and Apache,
#                     official clients, conformance); ends with "N passed, N failed"
#   make run          install runtime dependencies, build, serve the demo on
#                     127.0.0.1:8080 (lighttpd + FastCGI)
#   make install      PREFIX=/usr/local DESTDIR=
#   make fuzz         libFuzzer targets (clang) in build/fuzz
#   make clean

VARIANT  ?= default
B        := build/$(VARIANT)
PREFIX   ?= /usr/local
DESTDIR  ?=
WERROR   ?= -Werror
CC       ?= cc
PKGS     := fcgi jansson sqlite3 libcrypto libssl libjwt
VERSION  := 0.1.0

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS_BASE := -std=c17 -D_GNU_SOURCE \
	-Wall -Wextra $(WERROR) -Wshadow -Wpointer-arith -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wvla -Wnull-dereference -Wno-unused-parameter \
	-fstack-protector-strong -fPIE -Ilib -I$(B)/gen \
	-DMCPGATE_VERSION='"$(VERSION)"'
LDFLAGS_BASE := -pie -Wl,-z,relro,-z,now

ifneq ($(filter asan%,$(VARIANT)),)
  OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  LDOPT := -fsanitize=address,undefined
else ifneq ($(filter fuzz%,$(VARIANT)),)
  CC := clang
  OPT := -O1 -g -fsanitize=fuzzer-no-link,address,undefined
  LDOPT := -fsanitize=address,undefined
else
  OPT := -O2 -g -D_FORTIFY_SOURCE=2
  LDOPT :=
endif

CFLAGS  += $(CFLAGS_BASE) $(OPT) $(PKG_CFLAGS)
LDFLAGS += $(LDFLAGS_BASE) $(LDOPT)
LDLIBS  += $(PKG_LIBS) -lm

LIB_SRC   := $(sort $(wildcard lib/*.c lib/tools/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(B)/%.o) $(B)/gen/sql_migrations.o
CGI_SRC   := $(sort $(wildcard cgi/*.c))
CGI_OBJ   := $(CGI_SRC:%.c=$(B)/%.o)
AUDIT_SRC := $(sort $(wildcard audit/*.c))
AUDIT_OBJ := $(AUDIT_SRC:%.c=$(B)/%.o)
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
AN_SRC    := $(sort $(wildcard tests/analyzer/test_*.c))
AN_BIN    := $(AN_SRC:tests/analyzer/%.c=$(B)/tests/analyzer_%)
AUDIT_NOMAIN := $(filter-out $(B)/audit/main.o,$(AUDIT_OBJ))
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(B)/tests/replay_%)
AUX_SRC   := $(sort $(wildcard tests/bench/*.c))
AUX_BIN   := $(AUX_SRC:tests/bench/%.c=$(B)/tests/%)
# The e2e suite's response checker (tests/e2e/schemacheck.c, lib/schema.h).
E2E_TOOL_BIN := $(B)/tests/schemacheck
SQL_SRC   := $(sort $(wildcard sql/[0-9]*.sql))

.PHONY: all check unit run install clean fuzz deps deps-test lint-layers bench
all: $(B)/mcpgate $(if $(AUDIT_SRC),$(B)/mcpgate-audit) $(UNIT_BIN) $(AUX_BIN) \
	$(E2E_TOOL_BIN) \
	$(AN_BIN) \
	$(if $(filter fuzz,$(VARIANT)),,$(REPLAY_BIN))

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/gen/sql_migrations.c: $(SQL_SRC) scripts/embed-sql.sh
	@mkdir -p $(dir $@)
	sh scripts/embed-sql.sh $(SQL_SRC) > $@.tmp && mv $@.tmp $@

$(B)/gen/sql_migrations.o: $(B)/gen/sql_migrations.c
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/libmcpgate.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/mcpgate: $(CGI_OBJ) $(B)/libmcpgate.a
	$(CC) $(LDFLAGS) -o $@ $(CGI_OBJ) $(B)/libmcpgate.a $(LDLIBS)

# The analyzer never links the server core: only the chain verifier and
# the hashing it shares with the writer (tests/static/layers.sh checks).
AUDIT_LIB_OBJ := $(B)/lib/auditchain.o $(B)/lib/digest.o $(B)/lib/log.o \
	$(B)/gen/sql_migrations.o
$(B)/mcpgate-audit: $(AUDIT_OBJ) $(AUDIT_LIB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $(AUDIT_OBJ) $(AUDIT_LIB_OBJ) $(LDLIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libmcpgate.a tests/unit/t.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(B)/libmcpgate.a $(LDLIBS)

# Analyzer unit tests link the analyzer's modules, never libmcpgate.
$(B)/tests/analyzer_%: tests/analyzer/%.c $(AUDIT_NOMAIN) $(AUDIT_LIB_OBJ) tests/unit/t.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -Iaudit $(LDFLAGS) -o $@ $< $(AUDIT_NOMAIN) $(AUDIT_LIB_OBJ) $(LDLIBS)

$(B)/tests/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(B)/libmcpgate.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay.c $(B)/libmcpgate.a $(LDLIBS)

# The analyzer's fuzz target (audit/rowscan.c) links the analyzer's
# modules, never libmcpgate, like the analyzer tests.
$(B)/tests/replay_rowscan: tests/fuzz/fuzz_rowscan.c tests/fuzz/replay.c \
	$(AUDIT_NOMAIN) $(AUDIT_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iaudit $(LDFLAGS) -o $@ $< tests/fuzz/replay.c \
	    $(AUDIT_NOMAIN) $(AUDIT_LIB_OBJ) $(LDLIBS)

$(B)/fuzz/fuzz_rowscan: tests/fuzz/fuzz_rowscan.c $(AUDIT_NOMAIN) \
	$(AUDIT_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iaudit -fsanitize=fuzzer $(LDFLAGS) -o $@ $< \
	    $(AUDIT_NOMAIN) $(AUDIT_LIB_OBJ) $(LDLIBS)

$(B)/tests/schemacheck: tests/e2e/schemacheck.c $(B)/libmcpgate.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libmcpgate.a $(LDLIBS)

$(B)/tests/%: tests/bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

deps:
	@sh scripts/deps.sh runtime

deps-test:
	@sh scripts/deps.sh test

# The whole suite, under AddressSanitizer and UndefinedBehaviorSanitizer.
check: deps-test
	@$(MAKE) --no-print-directory VARIANT=asan all
	@$(MAKE) --no-print-directory VARIANT=default all
	@sh tests/run.sh build/asan build/default

unit: 
	@$(MAKE) --no-print-directory VARIANT=asan all
	@sh tests/run.sh --unit-only build/asan build/default

run: deps
	@$(MAKE) --no-print-directory VARIANT=default all
	@sh scripts/demo.sh build/default

lint-layers:
	@sh scripts/lint-layers.sh

install: $(B)/mcpgate
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/mcpgate
	install -m 0755 $(B)/mcpgate $(DESTDIR)$(PREFIX)/bin/mcpgate
	if [ -f $(B)/mcpgate-audit ]; then install -m 0755 $(B)/mcpgate-audit $(DESTDIR)$(PREFIX)/bin/mcpgate-audit; fi
	cp -R deploy $(DESTDIR)$(PREFIX)/share/mcpgate/

fuzz:
	@$(MAKE) --no-print-directory VARIANT=fuzz fuzz-targets

FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)
fuzz-targets: $(FUZZ_BIN)
$(B)/fuzz/%: tests/fuzz/%.c $(B)/libmcpgate.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(B)/libmcpgate.a $(LDLIBS)

bench:
	@sh tests/bench/run.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
