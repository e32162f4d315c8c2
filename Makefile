# ccn.h - the two commands a user needs:
#   make demo    runs the flagship example (trace patterning)
#   make test    builds and runs every test in every leg of the compiler matrix
# and, separately: make bench (speed; BENCH_ARGS="--quick" for a short run), make bench-python (the
# Python binding's sequence calls against the C per-step loop; BENCH_PYTHON_ARGS), make sanitize
# (ASan + UBSan), make tsan (the threads tests under ThreadSanitizer), make valgrind (memcheck),
# make fuzz (libFuzzer on the loader; FUZZ_SECONDS), make soak (10^8 steps of a CCN net: health,
# error and memory over a long run), make cross (the suite on aarch64 and s390x under qemu-user),
# make clean; for sweeps (examples/README.md): make build/aggregate, make slurm-check.

CC ?= cc
BUILD := build
WARN := -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wdouble-promotion -Werror

.PHONY: all demo test bench bench-python sanitize tsan valgrind fuzz soak cross slurm-check clean

all: test

# Trace patterning (the 2023 paper's benchmark): CCN, columnar and constructive nets against
# compute-matched truncated BPTT, T-BPTT both as the authors run it (inputs as they are) and
# with its inputs normalised online; 2 million steps on one seed, under a minute: a first look,
# not the paper's comparison (that needs seeds, 10-50M steps and a step-size sweep). The figure
# lands in build/trace_patterning.svg. DEMO_ARGS adds flags (see build/trace_patterning --help).
demo: $(BUILD)/trace_patterning
	./$(BUILD)/trace_patterning --tbptt-norm 0,1 --svg $(BUILD)/trace_patterning.svg $(DEMO_ARGS)

$(BUILD)/trace_patterning: examples/trace_patterning.c examples/trace_env.h examples/tbptt.h examples/plot.h \
		examples/cli.h ccn.h | $(BUILD)
	$(CC) -std=c99 -O3 -march=native -fno-math-errno $(WARN) -o $@ $< -lm

test:
	@sh tests/run.sh $(BUILD)/test

# One JSON object per case on stdout, a table on stderr, the scaling figure in build/bench.svg.
bench: $(BUILD)/bench
	./$(BUILD)/bench --svg $(BUILD)/bench.svg $(BENCH_ARGS)

$(BUILD)/bench: bench/bench.c ccn.h examples/plot.h | $(BUILD)
	$(CC) -std=c11 -O3 -march=native -fno-math-errno $(WARN) -o $@ $< -lm -lpthread

# The bench's small trace-patterning nets stepped alone, for callgrind and perf (bench/README.md,
# "Small nets"): build/small_nets F d steps. SMALL_NETS_FLAGS="-mavx2 -mfma" for valgrind, which
# cannot run AVX-512.
SMALL_NETS_FLAGS ?= -march=native
$(BUILD)/small_nets: bench/small_nets.c ccn.h examples/trace_env.h | $(BUILD)
	$(CC) -std=c11 -O3 $(SMALL_NETS_FLAGS) -fno-math-errno $(WARN) -o $@ $< -lm

# examples/python/ccn.py's sequence calls, in chunks of 1000 steps, against the C per-step loop on
# the same nets and data (the trace-patterning nets, 100 columns x 128 inputs), and the cost of a
# per-step call from Python (bench/python_bench.py --help; e.g. BENCH_PYTHON_ARGS="--native").
PYTHON ?= python3
bench-python:
	$(PYTHON) bench/python_bench.py $(BENCH_PYTHON_ARGS)

# The suite under AddressSanitizer and UndefinedBehaviorSanitizer, float and double.
sanitize:
	@EXTRA_CFLAGS="-O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	  sh tests/run.sh $(BUILD)/sanitize

# The suite's threads tests (names containing "thread": two nets in two threads, one const net
# saved and read by several threads at once, ccn_set_parallel on a pool of threads) under
# ThreadSanitizer, gcc, float and double. A race report fails the run (exit status 66).
TSAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=thread -ffp-contract=off $(WARN) -Wstrict-prototypes -Wmissing-prototypes
tsan: | $(BUILD)
	@echo 'int main(void) { return 0; }' | gcc -x c -fsanitize=thread -o $(BUILD)/tsan_probe - 2>/dev/null || { \
	  echo "make tsan: gcc cannot link ThreadSanitizer (Debian: apt-get install libtsan2 for gcc 12, or the libtsan of your gcc)"; exit 1; }
	gcc -std=c99 $(TSAN_FLAGS) -o $(BUILD)/tsan-float tests/suite.c -lm
	gcc -std=c11 -DCCN_DOUBLE $(TSAN_FLAGS) -o $(BUILD)/tsan-double tests/suite.c -lm
	TSAN_OPTIONS="halt_on_error=1 exitcode=66 $(TSAN_OPTIONS)" ./$(BUILD)/tsan-float tsan-float thread
	TSAN_OPTIONS="halt_on_error=1 exitcode=66 $(TSAN_OPTIONS)" ./$(BUILD)/tsan-double tsan-double thread

# The suite under valgrind memcheck (gcc legs: float, double, and AVX2 where the processor has it).
valgrind:
	@command -v valgrind >/dev/null || { echo "valgrind is not installed (Debian: apt-get install valgrind)"; exit 1; }
	@RUNNER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=all" \
	  LEGS="gcc-c99-float gcc-c11-double gcc-static-float gcc-avx2-float" sh tests/run.sh $(BUILD)/valgrind

# libFuzzer (clang, ASan, UBSan) on ccn_load_from_memory, FUZZ_SECONDS long (default 600), from
# a seed corpus of valid files that this target writes (float and double). Findings land in
# build/fuzz/; keep any crashing input as a test. Needs clang and its fuzzer runtime.
FUZZ_SECONDS ?= 600
FUZZ := $(BUILD)/fuzz
fuzz: | $(BUILD)
	@command -v clang >/dev/null || { echo "make fuzz needs clang (Debian: apt-get install clang)"; exit 1; }
	@mkdir -p $(FUZZ)/seeds $(FUZZ)/corpus
	@clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -o $(FUZZ)/fuzz_load 	  tests/fuzz_load.c -lm 2>$(FUZZ)/build.log || { cat $(FUZZ)/build.log; 	  echo "make fuzz: clang could not link libFuzzer (Debian: apt-get install libclang-rt-14-dev, or the one matching your clang)"; exit 1; }
	$(CC) -std=c99 -O2 $(WARN) -o $(FUZZ)/seeds_f tests/fuzz_seeds.c -lm
	$(CC) -std=c99 -O2 -DCCN_DOUBLE $(WARN) -o $(FUZZ)/seeds_d tests/fuzz_seeds.c -lm
	./$(FUZZ)/seeds_f $(FUZZ)/seeds && ./$(FUZZ)/seeds_d $(FUZZ)/seeds
	cd $(FUZZ) && ./fuzz_load -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -max_len=20000 corpus seeds

# 10^8 steps of the 2023 paper's CCN 20:4 trace-patterning net in float, TD(lambda) + RMSProp:
# prints the error, the non-finite count and the memory at checkpoints (SOAK_ARGS, e.g.
# "--steps 1000000" for a short run). Not part of make test: it takes several minutes.
soak: $(BUILD)/soak
	./$(BUILD)/soak $(SOAK_ARGS)

$(BUILD)/soak: tests/soak.c ccn.h examples/trace_env.h | $(BUILD)
	$(CC) -std=c99 -O2 -march=native -fno-math-errno $(WARN) -Wstrict-prototypes -Wmissing-prototypes -o $@ $< -lm

# The sweep aggregator (examples/sweep/aggregate.c): tables and learning curves from result files.
$(BUILD)/aggregate: examples/sweep/aggregate.c examples/plot.h | $(BUILD)
	$(CC) -std=c99 -O2 $(WARN) -o $@ $< -lm

# examples/sweep/sweep.sh's Slurm job array on a real single-node Slurm cluster: starts a private
# munged, slurmctld and slurmd (as root; key, ports, state and logs under build/slurm-check),
# submits a small sweep with sbatch --wait, checks its results and a resubmission, and stops them.
# Needs root and Debian's slurm-wlm and munge; not part of make test (tests/slurm_check.sh).
slurm-check:
	@sh tests/slurm_check.sh $(BUILD)

# The suite on aarch64 and s390x (big-endian), float and double, under qemu-user, the recorded
# bits included: the same bits on other processors. Needs Debian's gcc-aarch64-linux-gnu,
# gcc-s390x-linux-gnu and qemu-user (a missing one is skipped). Not part of make test: slow.
cross:
	@sh tests/cross.sh $(BUILD)/cross

$(BUILD):
	mkdir -p $@

clean:
	rm -rf $(BUILD)
