/* soak.c - make soak: a long run of the 2023 paper's CCN 20:4 net on trace patterning
   (examples/trace_env.h), in float, with TD(lambda) + RMSProp: 20 lstm columns in stages of 4,
   a new stage every 10^7 steps, lambda 0.99, gamma 0.9, scale_readout_step, input and feature
   normalisation at rate 0.99999 with floor 0.01, step size 0.001 (the authors').

   At each checkpoint it prints the MSRE over the last --window steps against the zero
   prediction's over the same steps, ccn_nonfinite_count, and the process's resident memory
   (VmRSS, and its peak VmHWM, from /proc/self/status). Halfway through, the net is saved to
   memory, destroyed and loaded back, and the run goes on with the loaded net (a checkpoint
   restore in the middle of a long run). It fails (exit 1) if any value became non-finite, if a
   learning call failed, if the final error is not below half the zero prediction's, or if the
   resident memory grew by more than 1 MiB after the first checkpoint.

   usage: soak [--steps N] [--window N] [--checkpoints N] [--step-size A] [--seed S] */
#define CCN_IMPLEMENTATION
#include "../ccn.h"
#include "../examples/trace_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A "Vm...:  N kB" line of /proc/self/status, or -1 where there is none. */
static long status_kb(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    size_t len = strlen(key);
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, len) == 0 && line[len] == ':') {
            kb = strtol(line + len + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

int main(int argc, char **argv) {
    long long steps = 100000000LL, t;
    long window = 100000, checkpoints = 10, first_rss = -1, failures = 0;
    double step_size = 0.001, msre = 0, zero = 0;
    uint64_t seed = 1;
    ccn_config c;
    ccn_net *net;
    trace_env env;
    double *err, *ret;
    size_t nonfinite = 0;
    time_t start = time(NULL);
    int k;
    for (k = 1; k < argc; ++k) {
        if (k + 1 < argc && strcmp(argv[k], "--steps") == 0) steps = atoll(argv[++k]);
        else if (k + 1 < argc && strcmp(argv[k], "--window") == 0) window = atol(argv[++k]);
        else if (k + 1 < argc && strcmp(argv[k], "--checkpoints") == 0) checkpoints = atol(argv[++k]);
        else if (k + 1 < argc && strcmp(argv[k], "--step-size") == 0) step_size = atof(argv[++k]);
        else if (k + 1 < argc && strcmp(argv[k], "--seed") == 0) seed = (uint64_t)atoll(argv[++k]);
        else {
            fprintf(stderr, "usage: soak [--steps N] [--window N] [--checkpoints N] [--step-size A] [--seed S]\n");
            return 2;
        }
    }
    if (steps < window || window < 1 || checkpoints < 1) {
        fprintf(stderr, "soak: need steps >= window >= 1 and checkpoints >= 1\n");
        return 2;
    }
    trace_ccn_config(&c, 20, 4, 10000000, step_size, seed);
    if (ccn_create(&c, NULL, &net) != CCN_OK) return 2;
    trace_init(&env, seed, 14, 26);
    err = (double *)calloc((size_t)window, sizeof(double));
    ret = (double *)calloc((size_t)window, sizeof(double));
    if (!err || !ret) return 2;
    printf("soak: CCN 20:4 lstm, TD(0.99) + RMSProp, alpha %g, %lld steps, %ld parameters, file %lu bytes\n", step_size, steps,
           (long)ccn_param_count(net), (unsigned long)ccn_saved_size(net));
    printf("%12s %6s %10s %10s %10s %10s %10s %8s\n", "step", "stage", "msre", "zero_msre", "nonfinite", "rss_kb",
           "peak_kb", "seconds");
    for (t = 0; t < steps; ++t) {
        ccn_real x[TRACE_INPUTS], y = 0, cumulant = trace_step(&env, x);
        double g;
        ccn_result r = ccn_td_step(net, x, cumulant, CCN_R(TRACE_GAMMA), &y);
        if (r != CCN_OK && failures++ < 5) fprintf(stderr, "soak: step %lld: %s\n", t, ccn_result_string(r));
        g = trace_return(&env);
        err[t % window] = ((double)y - g) * ((double)y - g);
        ret[t % window] = g * g;
        if (t + 1 == steps / 2) { /* a checkpoint restore mid-run: save, destroy, load, go on */
            size_t size = ccn_saved_size(net);
            unsigned char *file = (unsigned char *)malloc(size);
            ccn_net *loaded = NULL;
            if (!file || ccn_save_to_memory(net, file, size, NULL) != CCN_OK ||
                ccn_load_from_memory(file, size, NULL, &loaded) != CCN_OK) {
                fprintf(stderr, "soak: the mid-run save and load failed\n");
                return 1;
            }
            ccn_destroy(net);
            net = loaded;
            free(file);
            printf("%12lld saved (%lu bytes), destroyed and loaded back\n", t + 1, (unsigned long)size);
        }
        if ((t + 1) % (steps / checkpoints) == 0 || t + 1 == steps) {
            long i, count = t + 1 < window ? (long)(t + 1) : window, rss = status_kb("VmRSS");
            msre = zero = 0;
            for (i = 0; i < count; ++i) {
                msre += err[i];
                zero += ret[i];
            }
            msre /= (double)count;
            zero /= (double)count;
            nonfinite = ccn_nonfinite_count(net);
            if (first_rss < 0) first_rss = rss;
            printf("%12lld %6d %10.5f %10.5f %10lu %10ld %10ld %8.0f\n", t + 1, ccn_stage(net), msre, zero,
                   (unsigned long)nonfinite, rss, status_kb("VmHWM"), difftime(time(NULL), start));
            fflush(stdout);
        }
    }
    {
        long rss = status_kb("VmRSS");
        int ok = nonfinite == 0 && failures == 0 && msre < 0.5 * zero && (first_rss < 0 || rss <= first_rss + 1024);
        printf("soak: steps=%lld msre=%.5f zero_msre=%.5f nonfinite=%lu failed_calls=%ld rss_first_kb=%ld rss_last_kb=%ld "
               "peak_kb=%ld seconds=%.0f %s\n",
               steps, msre, zero, (unsigned long)nonfinite, failures, first_rss, rss, status_kb("VmHWM"),
               difftime(time(NULL), start), ok ? "ok" : "FAILED");
        ccn_destroy(net);
        free(err);
        free(ret);
        return ok ? 0 : 1;
    }
}
