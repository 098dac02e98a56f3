# tests/extra.mk - fuzzing and benchmarks; included at the end of the
# Makefile, whose variables (CORE_SRC, ALL_CFLAGS, LIBS, BIN, ...) it uses.
#   make fuzz          each libFuzzer target for FUZZ_SECONDS (default 60)
#   make fuzz-smoke    each target for 10 s side by side, plus the
#                      regression inputs (part of `make test`)
#   make bench         the benchmarks of BENCHMARKS.md (a few minutes)
# Fuzz targets are built with clang (FUZZ_CC) from the sources, into
# build/fuzz/, never from the gcc objects.

.PHONY: fuzz fuzz-smoke fuzz-build bench

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR     := build/fuzz
FUZZ_TARGETS := inventory procedure journal
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
# The project's flags minus -Werror (clang warns about other things than
# gcc; a new warning must not stop the fuzzers) and the optimisation level.
FUZZ_CFLAGS  := $(filter-out -Werror -O% -g -fsanitize=%,$(ALL_CFLAGS)) \
                -g -O1 $(FUZZ_SAN)
FUZZ_OBJ     := $(CORE_SRC:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)

$(FUZZ_OBJ): $(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call QS,CLANG)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link \
	    -MMD -MP -c $< -o $@

$(FUZZ_BINS): $(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	$(call QS,FUZZLD)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ -o $@ \
	    $(LIBS)

-include $(FUZZ_OBJ:.o=.d)

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS) $(BIN)
	@echo "fuzzing each target for $(FUZZ_SECONDS) s"
	$(Q)SITESWEEP_BIN=$(abspath $(BIN)) sh tests/fuzz/run-fuzz.sh \
	    $(FUZZ_SECONDS) seq $(FUZZ_DIR) $(FUZZ_TARGETS)

fuzz-smoke: $(FUZZ_BINS) $(BIN)
	@echo "fuzz smoke pass: each target for 10 s, side by side"
	$(Q)SITESWEEP_BIN=$(abspath $(BIN)) sh tests/fuzz/run-fuzz.sh \
	    10 par $(FUZZ_DIR) $(FUZZ_TARGETS)

# Benchmarks: helper programs linked against the release core objects, run
# by tests/bench/bench.sh against ./sitesweep. BENCH_N (default 200) is the
# number of `mark` processes of benchmark 1.
BENCH_DIR  := $(BUILD)/bench
BENCH_BINS := $(BENCH_DIR)/gen_journal $(BENCH_DIR)/bench_page
BENCH_N    ?= 200

$(BENCH_BINS): $(BENCH_DIR)/%: tests/bench/%.c $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(call QS,CC)$(CC) $(ALL_CFLAGS) $^ -o $@ $(LIBS) $(LDFLAGS)

bench: $(BIN) $(BENCH_BINS)
	$(Q)BENCH_N=$(BENCH_N) sh tests/bench/bench.sh $(abspath $(BIN)) \
	    $(abspath $(BENCH_DIR))
