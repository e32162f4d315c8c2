/* The net behind the cross-precision fixtures: tests/fixture.c saves it from a float and from a
   double build (tests/run.sh runs both before the suite), and the suite rebuilds it in its own
   precision to compare (test_save.c). Every array a file holds is non-trivial in it: lstm
   columns with a feature layer and links, two stages, TD(lambda), Adam, both normalisers.
   Then the bounds fixtures: a net for each extreme of each real setting (tb_case), which
   tests/fixture.c writes one after another into one file in each real size. */
#ifndef CCN_TEST_FIXTURE_RUN_H
#define CCN_TEST_FIXTURE_RUN_H
#include <math.h>
#include <stddef.h>

#define TF_STEPS 23

static ccn_config tf_fixture_config(void) {
    ccn_config c;
    memset(&c, 0, sizeof c);
    c.n_inputs = 3;
    c.n_columns = 5;
    c.kind = CCN_LSTM;
    c.feature_layers = 1;
    c.feature_width = 2;
    c.links = 1.0;
    c.columns_per_stage = 3;
    c.steps_per_stage = 15;
    c.learner = CCN_TD;
    c.td_lambda = 0.8;
    c.optimizer = CCN_ADAM;
    c.step_size = 0.01;
    c.input_norm_rate = 0.9;
    c.feature_norm_rate = 0.95;
    c.seed = 77;
    return c;
}

/* The input at step t: small exact binary fractions, the same in either precision. */
static void tf_input(int t, ccn_real *x) {
    x[0] = (ccn_real)(t % 4) * CCN_R(0.25);
    x[1] = (ccn_real)((t * 7) % 5) * CCN_R(0.125) - CCN_R(0.25);
    x[2] = (ccn_real)(t % 3 == 0);
}

/* Runs steps [from, to) of the fixture's TD protocol on net. */
static int tf_run(ccn_net *net, int from, int to, ccn_real *predictions) {
    ccn_real x[3], y = 0;
    int t;
    for (t = from; t < to; ++t) {
        tf_input(t, x);
        if (ccn_td_step(net, x, (ccn_real)(t % 6 == 5), t % 11 == 10 ? CCN_R(0) : CCN_R(0.875), &y) != CCN_OK) return 0;
        if (predictions) predictions[t - from] = y;
    }
    return 1;
}

/* A new fixture net after TF_STEPS steps, or NULL. */
static ccn_net *tf_fixture_net(void) {
    ccn_config c = tf_fixture_config();
    ccn_net *net;
    if (ccn_create(&c, NULL, &net) != CCN_OK) return NULL;
    if (!tf_run(net, 0, TF_STEPS, NULL)) {
        ccn_destroy(net);
        return NULL;
    }
    return net;
}

/* ---- the extremes of every real setting ------------------------------------------------------ */

/* Each real the library accepts, where it is set, the range accepted (lo and hi included) and
   the error past it. TB_CONFIG: a double of ccn_config at `offset`, refused by ccn_create;
   TB_SET_STEP: ccn_set_step_size after creation; TB_GAMMA: the gamma of every ccn_td_step (the
   file keeps the last). Between them they set every real a file holds outside the arrays:
   alpha, Adam's beta1^t and beta2^t (through the betas), TD's gamma. */
enum { TB_CONFIG, TB_SET_STEP, TB_GAMMA };
typedef struct tb_setting {
    const char *name;
    int where;
    size_t offset;
    double lo, hi;
    ccn_result refused;
    int optimizer;
} tb_setting;

#define TB_DENORM_MIN 4.9406564584124654e-324 /* the smallest positive double */
#define TB_BELOW_1 0.99999994039535522        /* 1 - 2^-24: the largest beta, below 1 as a float too */
#define TB_SETTING(field, lo, hi, err, opt) {#field, TB_CONFIG, offsetof(ccn_config, field), lo, hi, err, opt}
static const tb_setting tb_settings[] = {
    TB_SETTING(step_size, 0.0, 1e30, CCN_ERR_BAD_STEP_SIZE, CCN_ADAM),
    TB_SETTING(init_scale, 0.0, 1e30, CCN_ERR_BAD_INIT_SCALE, CCN_ADAM),
    TB_SETTING(td_lambda, 0.0, 1.0, CCN_ERR_BAD_LEARNER, CCN_ADAM),
    TB_SETTING(rms_beta, 0.0, TB_BELOW_1, CCN_ERR_BAD_OPTIMIZER, CCN_RMSPROP),
    TB_SETTING(adam_beta1, 0.0, TB_BELOW_1, CCN_ERR_BAD_OPTIMIZER, CCN_ADAM),
    TB_SETTING(adam_beta2, 0.0, TB_BELOW_1, CCN_ERR_BAD_OPTIMIZER, CCN_ADAM),
    TB_SETTING(opt_epsilon, 1e-30, 1e30, CCN_ERR_BAD_OPTIMIZER, CCN_RMSPROP),
    TB_SETTING(input_norm_rate, 1e-30, 1.0, CCN_ERR_BAD_NORMALIZATION, CCN_ADAM),
    TB_SETTING(feature_norm_rate, 1e-30, 1.0, CCN_ERR_BAD_NORMALIZATION, CCN_ADAM),
    TB_SETTING(norm_var_floor, 1e-30, 1e30, CCN_ERR_BAD_NORMALIZATION, CCN_ADAM),
    TB_SETTING(links, 0.0, 3.0, CCN_ERR_BAD_LINKS, CCN_ADAM), /* 3: every candidate of tb_config */
    {"ccn_set_step_size", TB_SET_STEP, 0, 0.0, 1e30, CCN_ERR_BAD_STEP_SIZE, CCN_SGD},
    {"gamma", TB_GAMMA, 0, 0.0, 1.0, CCN_ERR_BAD_GAMMA, CCN_ADAM},
};
#undef TB_SETTING
#define TB_SETTINGS ((int)(sizeof tb_settings / sizeof tb_settings[0]))
#define TB_VALUES 4 /* per setting: 0, the smallest positive accepted, the largest, and -0 */
#define TB_CASES (TB_SETTINGS * TB_VALUES)
#define TB_STEPS 7 /* before the save: across the start of stage 1 */

/* The net of every case but for its one setting: lstm columns with a feature layer and links,
   two stages, TD(lambda), both normalisers. */
static ccn_config tb_config(int optimizer) {
    ccn_config c;
    memset(&c, 0, sizeof c);
    c.n_inputs = 2;
    c.n_columns = 4;
    c.kind = CCN_LSTM;
    c.feature_layers = 1;
    c.feature_width = 2;
    c.links = 1.0;
    c.columns_per_stage = 2;
    c.steps_per_stage = 5;
    c.learner = CCN_TD;
    c.td_lambda = 0.8;
    c.optimizer = optimizer;
    c.step_size = 0.01;
    c.input_norm_rate = 0.9;
    c.feature_norm_rate = 0.95;
    c.seed = 91;
    return c;
}

/* The next real after x toward `toward` in this build's ccn_real. */
static ccn_real tb_next_real(ccn_real x, ccn_real toward) {
#ifdef CCN_DOUBLE
    return nextafter(x, toward);
#else
    return nextafterf(x, toward);
#endif
}

/* Value v (0..TB_VALUES-1) of setting s: 0, the smallest positive accepted, the largest, -0.
   A gamma is a ccn_real: its smallest positive is this build's. */
static double tb_value(const tb_setting *s, int v) {
    switch (v) {
    case 0: return 0.0;
    case 1: return s->lo > 0 ? s->lo : s->where == TB_GAMMA ? (double)tb_next_real(0, 1) : TB_DENORM_MIN;
    case 2: return s->hi;
    default: return -0.0;
    }
}
/* Case k's configuration, with setting s at value `value` (none for the run-time ones). */
static ccn_config tb_case_config(const tb_setting *s, double value) {
    ccn_config c = tb_config(s->optimizer);
    if (s->where == TB_CONFIG) memcpy((char *)&c + s->offset, &value, sizeof value);
    return c;
}

/* Runs TD steps [from, to) of case net (gamma: the case's, or < 0 for the usual), each result and
   prediction into res and y when given; returns how many steps did not return CCN_OK. */
static int tb_run(ccn_net *net, int from, int to, double gamma, ccn_result *res, ccn_real *y) {
    int t, bad = 0;
    for (t = from; t < to; ++t) {
        ccn_real x[2], p = 0, g = gamma >= 0 ? (ccn_real)gamma : t % 11 == 10 ? CCN_R(0) : CCN_R(0.875);
        ccn_result r;
        x[0] = (ccn_real)(t % 4) * CCN_R(0.25);
        x[1] = (ccn_real)((t * 7) % 5) * CCN_R(0.125) - CCN_R(0.25);
        r = ccn_td_step(net, x, (ccn_real)(t % 6 == 5), g, &p);
        if (res) res[t - from] = r;
        if (y) y[t - from] = p;
        bad += r != CCN_OK;
    }
    return bad;
}

/* Case k (0..TB_CASES-1) created and run TB_STEPS steps; NULL (with *why) if refused. The
   case's setting and value go to *s and *value, its gamma (< 0: the usual) to *gamma. */
static ccn_net *tb_case_net(int k, const tb_setting **s, double *value, double *gamma, ccn_result *why) {
    ccn_config c;
    ccn_net *net = NULL;
    *s = &tb_settings[k / TB_VALUES];
    *value = tb_value(*s, k % TB_VALUES);
    *gamma = (*s)->where == TB_GAMMA ? *value : -1.0;
    c = tb_case_config(*s, *value);
    if ((*why = ccn_create(&c, NULL, &net)) != CCN_OK) return NULL;
    if ((*s)->where == TB_SET_STEP && (*why = ccn_set_step_size(net, *value)) != CCN_OK) {
        ccn_destroy(net);
        return NULL;
    }
    tb_run(net, 0, TB_STEPS, *gamma, NULL, NULL);
    return net;
}
#endif
