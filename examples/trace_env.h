/* trace_env.h - the trace-patterning task of the 2023 CCN paper (an animal-learning benchmark).

   12 inputs per step: 6 CS bits, 1 US bit, 5 distractors. A trial shows, for one step, one of
   the 20 patterns with exactly 3 of the 6 CS bits on. 10 of the 20 patterns (chosen per seed)
   are valid: the US follows (for one step) ISI steps after the CS; invalid patterns get no US.
   ISI ~ U{isi_lo..isi_hi} (14..26 by default, the authors' C++ uses 24..36), ITI ~ U{80..120};
   the next trial starts ISI + ITI steps after the CS. Distractor k = 1..5 is on, each step
   independently, with probability 1/(10k). The cumulant is the US; gamma = 0.9.

   The true return, for the error metric: gamma^(steps until the US - 1) on a valid trial before
   its US, else 0 (the next trial's US is 94+ steps away: gamma^94 < 6e-5). A learner that
   predicts 0 scores an MSRE of about 0.02.

   Deterministic for a seed (it draws from ccn.h's generator). All functions are static. */
#ifndef CCN_TRACE_ENV_H
#define CCN_TRACE_ENV_H
#include "../ccn.h"
#include <string.h>

#define TRACE_INPUTS 12
#define TRACE_GAMMA 0.9

typedef struct trace_env {
    ccn_rng rng;
    int isi_lo, isi_hi;
    int pattern[20][6]; /* the 20 CS patterns: 3 of 6 bits */
    int valid[20];      /* 1 for the 10 followed by the US */
    long t;             /* the step about to be produced */
    long cs, us;        /* this trial's CS step and US step (us < 0: no US) */
    long next;          /* the next trial's CS step */
    int trial_pattern;
} trace_env;

static int trace_uniform_int(ccn_rng *rng, int lo, int hi) { /* U{lo..hi} */
    return lo + (int)(ccn_rng_uniform(rng) * (double)(hi - lo + 1));
}

static void trace_new_trial(trace_env *e) {
    e->cs = e->t;
    e->trial_pattern = trace_uniform_int(&e->rng, 0, 19);
    {
        int isi = trace_uniform_int(&e->rng, e->isi_lo, e->isi_hi);
        int iti = trace_uniform_int(&e->rng, 80, 120);
        e->us = e->valid[e->trial_pattern] ? e->cs + isi : -1;
        e->next = e->cs + isi + iti;
    }
}

static void trace_init(trace_env *e, uint64_t seed, int isi_lo, int isi_hi) {
    int a, b, c, k = 0, order[20], i;
    ccn_rng_seed(&e->rng, seed);
    e->isi_lo = isi_lo;
    e->isi_hi = isi_hi;
    for (a = 0; a < 6; ++a)
        for (b = a + 1; b < 6; ++b)
            for (c = b + 1; c < 6; ++c, ++k) {
                for (i = 0; i < 6; ++i) e->pattern[k][i] = i == a || i == b || i == c;
            }
    for (i = 0; i < 20; ++i) order[i] = i;
    for (i = 19; i > 0; --i) { /* a random half of the patterns is valid */
        int j = trace_uniform_int(&e->rng, 0, i), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (i = 0; i < 20; ++i) e->valid[order[i]] = i < 10;
    e->t = 0;
    trace_new_trial(e);
}

/* The true return at the step trace_step just produced (see above). */
static double trace_return(const trace_env *e) {
    long now = e->t - 1, until = e->us - now, k;
    double g = 1;
    if (e->us < 0 || now < e->cs || until <= 0) return 0;
    for (k = 1; k < until; ++k) g *= TRACE_GAMMA;
    return g;
}

/* The 2023 paper's ccn.h learner for this task: F lstm columns in stages of d (a new stage every
   steps_per_stage steps; 0: one stage), TD(0.99) with RMSProp and the readout's step divided
   among the active columns, inputs and features normalised online (r = 0.99999, floor 0.01). */
static void trace_ccn_config(ccn_config *c, int F, int d, int64_t steps_per_stage, double alpha, uint64_t seed) {
    memset(c, 0, sizeof *c);
    c->n_inputs = TRACE_INPUTS;
    c->n_columns = F;
    c->kind = CCN_LSTM;
    c->columns_per_stage = d;
    c->steps_per_stage = steps_per_stage;
    c->learner = CCN_TD;
    c->td_lambda = 0.99;
    c->optimizer = CCN_RMSPROP;
    c->step_size = alpha;
    c->scale_readout_step = 1;
    c->input_norm_rate = 0.99999;
    c->feature_norm_rate = 0.99999;
    c->norm_var_floor = 0.01;
    c->seed = seed;
}

/* Writes this step's 12 inputs into x and returns its cumulant (the US bit). */
static ccn_real trace_step(trace_env *e, ccn_real *x) {
    int i;
    ccn_real us;
    if (e->t == e->next) trace_new_trial(e);
    for (i = 0; i < 6; ++i) x[i] = (ccn_real)(e->t == e->cs && e->pattern[e->trial_pattern][i]);
    us = (ccn_real)(e->t == e->us);
    x[6] = us;
    for (i = 0; i < 5; ++i) x[7 + i] = (ccn_real)(ccn_rng_uniform(&e->rng) < 1.0 / (10.0 * (i + 1)));
    ++e->t;
    return us;
}
#endif
