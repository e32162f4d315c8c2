/* The API tests (test_api.c) built with -DNDEBUG by tests/run.sh: no public call may rely on an
   assert to survive a NULL argument, since a release build has none. Likewise the sizes
   (test_core.c): creation's counting and drawing of links must agree, or fail cleanly, without
   an assert. */
#ifndef NDEBUG
#error "tests/api_ndebug.c checks the NDEBUG build: compile it with -DNDEBUG"
#endif
#define CCN_IMPLEMENTATION
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic ignored "-Wunused-function" /* util.h's helpers for the other tests */
#endif
#include "util.h"
#include "test_core.c"
#include "test_api.c"

int main(int argc, char **argv) {
    static const th_case cases[] = {
        {"null_arguments", test_null_arguments},
        {"learn_once_per_step", test_learn_once_per_step},
        {"gradient_calls_refuse_nonfinite", test_gradient_calls_refuse_nonfinite},
        {"config_check_names_the_field", test_config_check_names_the_field},
        {"path_errors", test_path_errors},
        {"sizes_agree_with_layout", test_sizes_agree_with_layout},
        {"link_plan_stops_at_its_count", test_link_plan_stops_at_its_count},
    };
    return th_run(cases, (int)(sizeof cases / sizeof cases[0]), argc > 1 ? argv[1] : "api-ndebug",
                  argc > 2 ? argv[2] : NULL) ? 1 : 0;
}
