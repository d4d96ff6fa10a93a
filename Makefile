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
ANALYZER_OBJ := $(ANALYZER_SRC:%.c=$(BUILD)/%.o) $(BUILD)/analyzer/html_assets.o
# The HTML report's CSS and JavaScript, compiled in as C strings.
HTML_ASSETS := analyzer/html_assets/report.css analyzer/html_assets/report.js
ANALYZER_LIBS := -ldw -lelf -lzstd -lz -lstdc++ -lm

LIB := $(BUILD)/libleaktrace.so
CLI := $(BUILD)/leaktrace

.PHONY: all test unit sanitize programs bench install clean example fuzz fuzz-run fuzz-regress fuzz-check asan-analyzer asan-e2e soak
all: $(LIB) $(CLI)

$(BUILD)/preload/%.o: preload/%.c preload/*.h common/*.h
	@mkdir -p $(dir $@)
	@echo "  CC $@"; $(CC) $(PRELOAD_CFLAGS) -c $< -o $@

$(LIB): $(PRELOAD_OBJ)
	@echo "  CC $@"; $(CC) -shared -flto=auto $(OPT) -fPIC -o $@ $^ $(PRELOAD_LIBS) -Wl,-z,defs -Wl,--as-needed

$(BUILD)/analyzer/%.o: analyzer/%.c analyzer/*.h common/*.h
	@mkdir -p $(dir $@)
	@echo "  CC $@"; $(CC) $(CFLAGS_COMMON) -c $< -o $@

$(BUILD)/analyzer/html_assets.c: $(HTML_ASSETS) analyzer/html_assets/embed.sh
	@mkdir -p $(dir $@)
	@echo "  GEN $@"; sh analyzer/html_assets/embed.sh $@ lt_html_asset_css analyzer/html_assets/report.css \
	    lt_html_asset_js analyzer/html_assets/report.js

$(BUILD)/analyzer/html_assets.o: $(BUILD)/analyzer/html_assets.c
	@echo "  CC $@"; $(CC) $(CFLAGS_COMMON) -c $< -o $@

$(CLI): $(ANALYZER_OBJ)
	@echo "  CC $@"; $(CC) -o $@ $^ $(ANALYZER_LIBS)

# ---- tests -----------------------------------------------------------------
UNIT_SRC := $(wildcard tests/unit/*.c)
# The unit tests link the analyzer's layers (not its main) and the tracer's
# pure parts directly, without LD_PRELOAD.
UNIT_DEPS := $(filter-out $(BUILD)/analyzer/main.o,$(ANALYZER_OBJ)) \
             $(BUILD)/preload/encode.o $(BUILD)/preload/stacks.o $(BUILD)/preload/tmem.o $(BUILD)/preload/liveset.o \
             $(BUILD)/preload/log.o $(BUILD)/preload/sample.o $(BUILD)/preload/config.o $(BUILD)/preload/reach_core.o
$(BUILD)/unit-tests: $(UNIT_SRC) $(UNIT_DEPS)
	@echo "  CC $@"; $(CC) $(CFLAGS_COMMON) -O1 -Ianalyzer -Ipreload -Icommon -o $@ $(UNIT_SRC) $(UNIT_DEPS) \
	    $$(pkg-config --cflags --libs check) $(ANALYZER_LIBS) -ldl -pthread

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

# The unit tests (analyzer layers, encoder, stack table) again under
# AddressSanitizer + UndefinedBehaviorSanitizer, leak checking on: any
# report fails the run.
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
UNIT_SRCS_SAN := $(filter-out analyzer/main.c,$(ANALYZER_SRC)) preload/encode.c preload/stacks.c preload/tmem.c preload/liveset.c preload/log.c \
                 preload/sample.c preload/config.c preload/reach_core.c
$(BUILD)/asan/unit-tests: $(UNIT_SRC) $(UNIT_SRCS_SAN) analyzer/*.h preload/*.h common/*.h tests/unit/*.h
	@mkdir -p $(dir $@)
	@echo "  CC $@ (ASan+UBSan)"; $(CC) $(CSTD) $(WARN) $(SAN_FLAGS) -D_GNU_SOURCE -Ianalyzer -Ipreload -Icommon -o $@ \
	    $(UNIT_SRC) $(UNIT_SRCS_SAN) $$(pkg-config --cflags --libs check) $(ANALYZER_LIBS) -ldl -pthread

sanitize: $(BUILD)/asan/unit-tests
	CK_FORK=no ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(BUILD)/asan/unit-tests

# The analyzer's generated HTML assets are part of its layers too.
UNIT_SRCS_SAN += $(BUILD)/analyzer/html_assets.c
$(BUILD)/asan/unit-tests: $(BUILD)/analyzer/html_assets.c

# ---- fuzzing -----------------------------------------------------------------
# libFuzzer targets (clang, ASan+UBSan) for every parser of the analyzer:
# tests/fuzz/fuzz_*.c. `make fuzz` builds them and their seed corpora
# (build/fuzz/corpus/TARGET: real traces of the test programs, their chunks
# decompressed, dumps made from them, and the small hand-written seeds of
# tests/fuzz/seeds/TARGET); `make fuzz-run FUZZ_TIME=600` fuzzes each target
# that many seconds, two at a time (new inputs go to build/fuzz/found/TARGET);
# `make fuzz-regress` replays tests/fuzz/regress/TARGET (every crasher
# found so far) and the seeds once, without fuzzing; `make fuzz-check`
# (part of `make test`) is fuzz-regress then FUZZ_CHECK_TIME (30) seconds
# of each target. Details: docs/security.md.
FUZZ_CC      ?= clang
FUZZ_TIME    ?= 60
FUZZ_CHECK_TIME ?= 30
FUZZ_JOBS    ?= 2
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  := $(CSTD) -Wall -Wextra -O1 -g -D_GNU_SOURCE $(FUZZ_SAN) -Ianalyzer -Icommon
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/%)
FUZZ_OBJ     := $(patsubst analyzer/%.c,$(FUZZ_DIR)/obj/%.o,$(filter-out analyzer/main.c,$(ANALYZER_SRC))) \
                $(FUZZ_DIR)/obj/html_assets.o
# libFuzzer limits: a single input may not take 10 s, nor allocate more than
# 256 MiB at once (the analyzer caps allocations against the input size).
FUZZ_OPTS    := -timeout=10 -rss_limit_mb=1536 -malloc_limit_mb=256 -max_len=262144
FUZZ_PROGS   := examples/leaky.c tests/programs/thread_exit.c tests/programs/realloc_edge.c \
                tests/programs/zero_size.c tests/programs/xthread_free.c

$(FUZZ_DIR)/obj/%.o: analyzer/%.c analyzer/*.h common/*.h
	@mkdir -p $(dir $@)
	@echo "  CC $@ (fuzz)"; $(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/obj/html_assets.o: $(BUILD)/analyzer/html_assets.c
	@mkdir -p $(dir $@)
	@echo "  CC $@ (fuzz)"; $(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_util.h $(FUZZ_OBJ)
	@echo "  CC $@ (libFuzzer)"; $(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(ANALYZER_LIBS)

$(FUZZ_DIR)/seeds: tests/fuzz/seeds.c common/lt_format.h common/lt_fields.h
	@mkdir -p $(dir $@)
	@echo "  CC $@"; $(CC) $(CFLAGS_COMMON) -o $@ $< -lzstd

# The seed corpora, made from traces of the test programs.
$(FUZZ_DIR)/corpus/.done: $(FUZZ_DIR)/seeds $(LIB) $(CLI) $(FUZZ_PROGS) $(wildcard tests/fuzz/seeds/*/*)
	@rm -rf $(FUZZ_DIR)/corpus $(FUZZ_DIR)/traces
	@mkdir -p $(FUZZ_DIR)/traces $(addprefix $(FUZZ_DIR)/corpus/,$(FUZZ_TARGETS) trace records fields)
	@for src in $(FUZZ_PROGS); do \
	    b=$$(basename $${src%.*}); \
	    $(CC) -g -O0 -pthread -o $(FUZZ_DIR)/traces/$$b $$src || exit 1; \
	    LD_PRELOAD=$(CURDIR)/$(LIB) LEAKTRACE_INTERVAL=10 LEAKTRACE_OUTPUT=$(CURDIR)/$(FUZZ_DIR)/traces/$$b.%p.trace \
	        $(FUZZ_DIR)/traces/$$b >/dev/null 2>&1 || true; \
	done
	@$(FUZZ_DIR)/seeds $(FUZZ_DIR)/corpus $(FUZZ_DIR)/traces/*.trace
	@mv $(FUZZ_DIR)/corpus/trace/* $(FUZZ_DIR)/corpus/fuzz_trace/ && mv $(FUZZ_DIR)/corpus/records/* $(FUZZ_DIR)/corpus/fuzz_records/
	@mv $(FUZZ_DIR)/corpus/fields/* $(FUZZ_DIR)/corpus/fuzz_fields/
	@rmdir $(FUZZ_DIR)/corpus/trace $(FUZZ_DIR)/corpus/records $(FUZZ_DIR)/corpus/fields
	@for t in $(FUZZ_DIR)/traces/*.trace; do b=$$(basename $$t .trace); \
	    $(CLI) dump -o $(FUZZ_DIR)/corpus/fuzz_dump/$$b.txt $$t 2>/dev/null; \
	    $(CLI) dump --format json -o $(FUZZ_DIR)/corpus/fuzz_dump/$$b.json $$t 2>/dev/null; \
	    cp $(FUZZ_DIR)/corpus/fuzz_dump/$$b.json $(FUZZ_DIR)/corpus/fuzz_json/; \
	done; true
	@for t in $(FUZZ_TARGETS); do if [ -d tests/fuzz/seeds/$$t ]; then cp tests/fuzz/seeds/$$t/* $(FUZZ_DIR)/corpus/$$t/; fi; done
	@touch $@

.SECONDARY: $(FUZZ_OBJ)
fuzz: $(FUZZ_BINS) $(FUZZ_DIR)/corpus/.done

fuzz-run: fuzz
	@mkdir -p $(addprefix $(FUZZ_DIR)/found/,$(FUZZ_TARGETS)) $(FUZZ_DIR)/artifacts $(FUZZ_DIR)/logs
	@printf '%s\n' $(FUZZ_TARGETS) | xargs -P $(FUZZ_JOBS) -I{} sh -c '\
	    echo "fuzz: {} for $(FUZZ_TIME) s"; \
	    if $(FUZZ_DIR)/{} $(FUZZ_OPTS) -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
	        -artifact_prefix=$(FUZZ_DIR)/artifacts/{}- $(FUZZ_DIR)/found/{} $(FUZZ_DIR)/corpus/{} \
	        $$(test -d tests/fuzz/regress/{} && echo tests/fuzz/regress/{}) > $(FUZZ_DIR)/logs/{}.log 2>&1; then \
	        echo "fuzz: {} clean: $$(grep -h stat::number_of_executed_units $(FUZZ_DIR)/logs/{}.log | tr -s " " | cut -d" " -f2) runs"; \
	    else echo "fuzz: {} FAILED, see $(FUZZ_DIR)/logs/{}.log and $(FUZZ_DIR)/artifacts/"; tail -40 $(FUZZ_DIR)/logs/{}.log; exit 1; fi'

# What `make test` runs: the regression inputs, then every target briefly.
fuzz-check: fuzz-regress
	@$(MAKE) --no-print-directory fuzz-run FUZZ_TIME=$(FUZZ_CHECK_TIME)

fuzz-regress: fuzz
	@for t in $(FUZZ_TARGETS); do \
	    dirs="$(FUZZ_DIR)/corpus/$$t"; [ -d tests/fuzz/regress/$$t ] && dirs="$$dirs tests/fuzz/regress/$$t"; \
	    $(FUZZ_DIR)/$$t $(FUZZ_OPTS) -runs=0 $$dirs > $(FUZZ_DIR)/$$t.regress.log 2>&1 \
	        || { echo "fuzz-regress: $$t FAILED"; tail -40 $(FUZZ_DIR)/$$t.regress.log; exit 1; }; \
	    echo "fuzz-regress: $$t: $$(ls $$dirs | wc -l) inputs replayed clean"; \
	done

# The analyzer itself under AddressSanitizer + UndefinedBehaviorSanitizer
# (leak checking on): `make test` runs the program and profile end-to-end
# suites with it once more, so every command and its error paths run
# instrumented on real traces.
ASAN_CLI := $(BUILD)/asan/leaktrace
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99
$(ASAN_CLI): $(ANALYZER_SRC) $(BUILD)/analyzer/html_assets.c analyzer/*.h common/*.h
	@mkdir -p $(dir $@)
	@echo "  CC $@ (ASan+UBSan)"; $(CC) $(CSTD) $(WARN) $(SAN_FLAGS) -D_GNU_SOURCE -o $@ $(ANALYZER_SRC) \
	    $(BUILD)/analyzer/html_assets.c $(ANALYZER_LIBS)

asan-analyzer: $(ASAN_CLI)

asan-e2e: all $(ASAN_CLI)
	$(ASAN_ENV) python3 tests/run_programs.py --lib $(LIB) --analyzer $(ASAN_CLI) --out $(BUILD)/asan/test-programs
	$(ASAN_ENV) tests/run_profile_tests.sh $(LIB) $(ASAN_CLI)

programs: all
	python3 tests/run_programs.py --lib $(LIB) --analyzer $(CLI) --out $(BUILD)/test-programs

test: all unit sanitize programs
	tests/run_profile_tests.sh $(LIB) $(CLI)
	tests/run_real_programs.sh $(LIB) $(CLI)
	tests/run_matrix.sh $(LIB) $(CLI)
	$(MAKE) --no-print-directory asan-e2e
	$(MAKE) --no-print-directory fuzz-check

# The long runs, not in CI: redis-server under redis-benchmark 2 x 60 s, the
# 2-thread storm 1,000 times, then the flight recorder's 10-minute soak
# (SOAK_SECONDS, SOAK_MAX_SIZE... in tests/soak/ring.sh).
soak: all
	tests/run_matrix.sh --soak $(LIB) $(CLI)
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
