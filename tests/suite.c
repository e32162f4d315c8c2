/* The test suite: one program, compiled as C and as C++, in float and with CCN_DOUBLE.
   Usage: suite [label] [filter]: the tests whose name contains the filter, or one of its
   comma-separated parts and none of its parts that start with "-" (e.g. -learns,-td_learns) */
#define _POSIX_C_SOURCE 200809L /* pthreads (test_health.c, test_threads.c): part of the C library here */
#define CCN_IMPLEMENTATION
#include "util.h"
#include "test_core.c"
#include "test_gradients.c"
#include "test_learning.c"
#include "test_ccn.c"
#include "test_tbptt.c"
#include "test_save.c"
#include "test_health.c"
#include "test_api.c"
#include "test_threads.c"
#include "test_sequence.c"
#include "test_batch.c"
#include "test_bits.c"

static const th_case suite_cases[] = {
    {"version", test_version},
    {"config_defaults", test_config_defaults},
    {"initialisation_replayed", test_initialisation_replayed},
    {"copy", test_copy},
    {"learning_keeps_the_gradient_buffer", test_learning_keeps_the_gradient_buffer},
    {"accessors", test_accessors},
    {"bad_configurations", test_bad_configurations},
    {"allocation", test_allocation},
    {"layout", test_layout},
    {"link_density", test_link_density},
    {"sizes_agree_with_layout", test_sizes_agree_with_layout},
    {"link_plan_stops_at_its_count", test_link_plan_stops_at_its_count},
    {"rng_reference_values", test_rng_reference_values},
    {"math_accuracy", test_math_accuracy},
    {"preact_across_columns", test_preact_across_columns},
    {"generic_equals_fast_paths", test_generic_equals_fast_paths},
    {"kinds_are_described", test_kinds_are_described},
    {"parallel_step_is_bit_identical", test_parallel_step_is_bit_identical},
    {"flush_subnormals", test_flush_subnormals},
    {"determinism", test_determinism},
    {"reset_state", test_reset_state},
    {"forward_only", test_forward_only},
    {"forward_equals_reference", test_forward_equals_reference},
    {"rtrl_equals_bptt", test_rtrl_equals_bptt},
    {"rtrl_finite_differences", test_rtrl_finite_differences},
    {"gru_finite_differences", test_gru_finite_differences},
    {"color_equals_rtrl_without_links", test_color_equals_rtrl_without_links},
    {"color_tail_paths_agree", test_color_tail_paths_agree},
    {"color_biased_with_links", test_color_biased_with_links},
    {"gradient_of_given_dl_dy", test_gradient_of_given_dl_dy},
    {"learn_applies_the_gradient", test_learn_applies_the_gradient},
    {"state_gradient", test_state_gradient},
    {"every_flag_equals_bptt", test_every_flag_equals_bptt},
    {"every_flag_finite_differences", test_every_flag_finite_differences},
    {"feedforward_gradient_forgets_history", test_feedforward_gradient_forgets_history},
    {"learns_a_memory_task", test_learns_a_memory_task},
    {"learn_step_is_step_then_learn", test_learn_step_is_step_then_learn},
    {"ccn_gradients_exact", test_ccn_gradients_exact},
    {"ccn_normalised_color_equals_rtrl", test_ccn_normalised_color_equals_rtrl},
    {"stage_schedule", test_stage_schedule},
    {"frozen_stages_stay_frozen", test_frozen_stages_stay_frozen},
    {"td_lambda_forward_view", test_td_lambda_forward_view},
    {"normalisation_statistics", test_normalisation_statistics},
    {"optimizer_formulas", test_optimizer_formulas},
    {"ccn_bad_input", test_ccn_bad_input},
    {"ccn_td_learns_memory", test_ccn_td_learns_memory},
    {"tbptt_full_window_equals_bptt", test_tbptt_full_window_equals_bptt},
    {"tbptt_finite_differences", test_tbptt_finite_differences},
    {"tbptt_window_is_exactly_T", test_tbptt_window_is_exactly_T},
    {"tbptt_td_step_protocol", test_tbptt_td_step_protocol},
    {"tbptt_normalisation_matches_ccn", test_tbptt_normalisation_matches_ccn},
    {"tbptt_determinism", test_tbptt_determinism},
    {"tbptt_bad_input_and_allocation", test_tbptt_bad_input_and_allocation},
    {"save_load_continues_bit_identically", test_save_load_continues_bit_identically},
    {"file_format_is_as_documented", test_file_format_is_as_documented},
    {"file_format_version2_fields", test_file_format_version2_fields},
    {"other_precision", test_other_precision},
    {"settings_bounds_round_trip", test_settings_bounds_round_trip},
    {"settings_bounds_other_build", test_settings_bounds_other_build},
    {"settings_past_bounds", test_settings_past_bounds},
    {"truncated_and_flipped_files", test_truncated_and_flipped_files},
    {"bad_file_contents", test_bad_file_contents},
    {"nan_payloads_round_trip", test_nan_payloads_round_trip},
    {"save_errors", test_save_errors},
    {"allocation_failures", test_allocation_failures},
    {"nonfinite_count", test_nonfinite_count},
    {"nonfinite_inputs", test_nonfinite_inputs},
    {"divergence_guard", test_divergence_guard},
    {"moments_saturate", test_moments_saturate},
    {"clip_norm", test_clip_norm},
    {"obgd", test_obgd},
    {"bounds_parallel_bit_identical", test_bounds_parallel_bit_identical},
    {"bound_settings", test_bound_settings},
    {"betas_below_one_as_floats", test_betas_below_one_as_floats},
    {"trace_max", test_trace_max},
    {"default_bits_pinned", test_default_bits_pinned},
    {"version1_file_loads", test_version1_file_loads},
    {"version1_unused_settings", test_version1_unused_settings},
    {"sine_overflow_bounded", test_sine_overflow_bounded},
    {"two_threads_bit_identical", test_two_threads_bit_identical},
    {"learn_once_per_step", test_learn_once_per_step},
    {"gradient_calls_refuse_nonfinite", test_gradient_calls_refuse_nonfinite},
    {"null_arguments", test_null_arguments},
    {"config_check_names_the_field", test_config_check_names_the_field},
    {"result_strings", test_result_strings},
    {"path_errors", test_path_errors},
    {"copy_and_load_leave_the_callers_settings", test_copy_and_load_leave_the_callers_settings},
    {"threads_save_one_net", test_threads_save_one_net},
    {"threads_read_one_net", test_threads_read_one_net},
    {"threads_pool_step_is_bit_identical", test_threads_pool_step_is_bit_identical},
    {"same_bits_everywhere", test_same_bits_everywhere},
    {"sequence_calls_are_the_per_step_calls", test_sequence_calls_are_the_per_step_calls},
    {"sequence_forward_only_and_empty", test_sequence_forward_only_and_empty},
    {"sequence_stops_at_the_first_failure", test_sequence_stops_at_the_first_failure},
    {"sequence_stops_where_the_update_diverges", test_sequence_stops_where_the_update_diverges},
    {"batch_is_nets_alone", test_batch_is_nets_alone},
    {"batch_of_one_and_of_sixteen", test_batch_of_one_and_of_sixteen},
    {"batch_nets_save_and_load_alone", test_batch_nets_save_and_load_alone},
    {"batch_refusals", test_batch_refusals},
    {"batch_keeps_each_nets_mode", test_batch_keeps_each_nets_mode},
};

int main(int argc, char **argv) {
    const char *label = argc > 1 ? argv[1] : "suite";
    const char *filter = argc > 2 ? argv[2] : NULL;
    return th_run(suite_cases, (int)(sizeof suite_cases / sizeof suite_cases[0]), label, filter) ? 1 : 0;
}
