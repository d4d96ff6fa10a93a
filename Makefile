# leaktrace - one plain Makefile. `make` builds the tracer library and the
# analyzer; `make test` runs every test; `make bench` the benchmarks;
# `make install PREFIX=...` installs. No configure step.

CC      ?= gcc
PREFIX  ?= /usr/local
BUILD   := build
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers -Wno-format-truncation
CSTD    := -std=gnu11
OPT     ?= -O2 -g
CFLAGS_COMMON := $(CSTD) $(WARN) $(OPT) -D_GNU_SOURCE

# preload/: runs inside the traced process. Hidden visibility: only the
# interposed libc symbols are exported (check with `nm -D --defined-only`).
PRELOAD_SRC := $(wildcard preload/*.c)
PRELOAD_OBJ := $(PRELOAD_SRC:%.c=$(BUILD)/%.o)
PRELOAD_CFLAGS := $(CFLAGS_COMMON) -fPIC -fvisibility=hidden -ftls-model=initial-exec -flto -ffat-lto-objects \
                  -fno-omit-frame-pointer -pthread
PRELOAD_LIBS := -lunwind -lzstd -ldl -pthread

# analyzer/: offline, ordinary program.
ANALYZER_SRC := $(wildcard analyzer/*.c)
ANALYZER_OBJ := $(ANALYZER_SRC:%.c=$(BUILD)/%.o)
ANALYZER_LIBS := -ldw -lelf -lzstd -lz -lstdc++ -lm

LIB := $(BUILD)/libleaktrace.so
CLI := $(BUILD)/leaktrace

.PHONY: all test unit sanitize programs bench soak install clean example
all: $(LIB) $(CLI)

$(BUILD)/preload/%.o: preload/%.c preload/*.h common/*.h
	@mkdir -p $(dir $@)
	@echo "  CC $@"; $(CC) $(PRELOAD_CFLAGS) -c $< -o $@

$(LIB): $(PRELOAD_OBJ)
	@echo "  CC $@"; $(CC) -shared -flto=auto $(OPT) -fPIC -o $@ $^ $(PRELOAD_LIBS) -Wl,-z,defs -Wl,--as-needed

$(BUILD)/analyzer/%.o: analyzer/%.c analyzer/*.h common/*.h
	@mkdir -p $(dir $@)
	@echo "  CC $@"; $(CC) $(CFLAGS_COMMON) -c $< -o $@

$(CLI): $(ANALYZER_OBJ)
	@echo "  CC $@"; $(CC) -o $@ $^ $(ANALYZER_LIBS)

# ---- tests -----------------------------------------------------------------
UNIT_SRC := $(wildcard tests/unit/*.c)
# The unit tests link the analyzer's layers (not its main) and the tracer's
# pure parts directly, without LD_PRELOAD.
UNIT_DEPS := $(filter-out $(BUILD)/analyzer/main.o,$(ANALYZER_OBJ)) \
             $(BUILD)/preload/encode.o $(BUILD)/preload/stacks.o $(BUILD)/preload/tmem.o $(BUILD)/preload/liveset.o \
             $(BUILD)/preload/log.o
$(BUILD)/unit-tests: $(UNIT_SRC) $(UNIT_DEPS)
	@echo "  CC $@"; $(CC) $(CFLAGS_COMMON) -O1 -Ianalyzer -Ipreload -Icommon -o $@ $(UNIT_SRC) $(UNIT_DEPS) \
	    $$(pkg-config --cflags --libs check) $(ANALYZER_LIBS) -ldl -pthread

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

# The unit tests (analyzer layers, encoder, stack table) again under
# AddressSanitizer + UndefinedBehaviorSanitizer, leak checking on: any
# report fails the run.
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
UNIT_SRCS_SAN := $(filter-out analyzer/main.c,$(ANALYZER_SRC)) preload/encode.c preload/stacks.c preload/tmem.c preload/liveset.c preload/log.c
$(BUILD)/asan/unit-tests: $(UNIT_SRC) $(UNIT_SRCS_SAN) analyzer/*.h preload/*.h common/*.h tests/unit/*.h
	@mkdir -p $(dir $@)
	@echo "  CC $@ (ASan+UBSan)"; $(CC) $(CSTD) $(WARN) $(SAN_FLAGS) -D_GNU_SOURCE -Ianalyzer -Ipreload -Icommon -o $@ \
	    $(UNIT_SRC) $(UNIT_SRCS_SAN) $$(pkg-config --cflags --libs check) $(ANALYZER_LIBS) -ldl -pthread

sanitize: $(BUILD)/asan/unit-tests
	CK_FORK=no ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(BUILD)/asan/unit-tests

programs: all
	python3 tests/run_programs.py --lib $(LIB) --analyzer $(CLI) --out $(BUILD)/test-programs

test: all unit sanitize programs
	tests/run_profile_tests.sh $(LIB) $(CLI)
	tests/run_real_programs.sh $(LIB) $(CLI)

# Flight-recorder soak run (10 minutes; SOAK_SECONDS, SOAK_MAX_SIZE... in
# tests/soak/ring.sh). Not part of `make test`.
soak: all
	tests/soak/ring.sh $(LIB) $(CLI)

bench: all
	tests/bench/bench.sh

example: all
	examples/run-example.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/man/man7 $(DESTDIR)$(PREFIX)/share/doc/leaktrace/docs
	install -m 0755 $(CLI) $(DESTDIR)$(PREFIX)/bin/leaktrace
	install -m 0755 $(LIB) $(DESTDIR)$(PREFIX)/lib/libleaktrace.so
	install -m 0755 run-with-tracer.sh $(DESTDIR)$(PREFIX)/bin/run-with-tracer.sh
	install -m 0644 include/leaktrace.h $(DESTDIR)$(PREFIX)/include/leaktrace.h
	install -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/leaktrace/
	install -m 0644 docs/*.md $(DESTDIR)$(PREFIX)/share/doc/leaktrace/docs/
	install -m 0644 docs/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 docs/*.7 $(DESTDIR)$(PREFIX)/share/man/man7/

clean:
	rm -rf $(BUILD)
