# ccn.h - the two commands a user needs:
#   make demo    runs the flagship example
#   make test    builds and runs every test in every leg of the compiler matrix
# and, separately: make bench (speed; BENCH_ARGS="--quick" for a short run), make sanitize
# (ASan + UBSan), make valgrind (memcheck), make clean.

CC ?= cc
BUILD := build
WARN := -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wdouble-promotion -Werror

.PHONY: all demo test bench sanitize valgrind clean

all: test

demo: $(BUILD)/online_regression
	./$(BUILD)/online_regression

$(BUILD)/online_regression: examples/online_regression.c ccn.h | $(BUILD)
	$(CC) -std=c99 -O2 $(WARN) -o $@ $< -lm

test:
	@sh tests/run.sh $(BUILD)/test

# One JSON object per case on stdout, a table on stderr, the scaling figure in build/bench.svg.
bench: $(BUILD)/bench
	./$(BUILD)/bench --svg $(BUILD)/bench.svg $(BENCH_ARGS)

$(BUILD)/bench: bench/bench.c ccn.h examples/plot.h | $(BUILD)
	$(CC) -std=c11 -O3 -march=native -fno-math-errno $(WARN) -o $@ $< -lm -lpthread

# The suite under AddressSanitizer and UndefinedBehaviorSanitizer, float and double.
sanitize:
	@EXTRA_CFLAGS="-O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	  sh tests/run.sh $(BUILD)/sanitize

# The suite under valgrind memcheck (gcc legs, float and double).
valgrind:
	@command -v valgrind >/dev/null || { echo "valgrind is not installed (Debian: apt-get install valgrind)"; exit 1; }
	@RUNNER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=all" \
	  LEGS="gcc-c99-float gcc-c11-double gcc-static-float" sh tests/run.sh $(BUILD)/valgrind

$(BUILD):
	mkdir -p $@

clean:
	rm -rf $(BUILD)
