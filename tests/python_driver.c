/* The C side of tests/test_python.py: runs three nets with the per-step calls on inputs drawn
   from ccn.h's generator and prints every output's bits (hexadecimal) and the saved net's
   bytes into files, for the binding to reproduce bit for bit. The nets and inputs are the
   ones test_python.py builds (keep the two in step):
     sup  lstm, 9 columns in stages of 3 (a new stage every 60 steps), Adam, 2 outputs,
          input and feature normalisation, learn_step
     td   gated, 6 columns, 1 link, RMSProp, TD(0.9), a scaled readout step, td_step
     fwd  tanh, 5 columns, 1 feature layer, forward only (method forward), step
     gru  gru, 6 columns in stages of 2 (a new stage every 70 steps), SGD, 2 outputs, learn_step
     grutd  gru, 4 columns, 1 link, TD(0.8), Adam, td_step
   x_t = 2u - 1 (u from ccn_rng_uniform, seeded 7), rounded to ccn_real; targets likewise after
   the inputs; cumulant (t % 7 == 3), gamma 0.9 (0 every 50th step).
   usage: python_driver DIR  (writes DIR/driver-<real size>-{sup,td,fwd,gru,grutd}.{txt,ccn}) */
#define CCN_IMPLEMENTATION
#include "../ccn.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T 200

static int write_net(const ccn_net *net, const char *dir, const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/driver-%d-%s.ccn", dir, (int)sizeof(ccn_real), name);
    return ccn_save_file(net, path) == CCN_OK;
}

static FILE *open_txt(const char *dir, const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/driver-%d-%s.txt", dir, (int)sizeof(ccn_real), name);
    return fopen(path, "w");
}

int main(int argc, char **argv) {
    static ccn_real x[T][3], target[T][2];
    ccn_rng rng;
    ccn_config c;
    ccn_net *net;
    FILE *f;
    int t, j, ok = 1;
    if (argc != 2) return 2;
    ccn_rng_seed(&rng, 7);
    for (t = 0; t < T; ++t)
        for (j = 0; j < 3; ++j) x[t][j] = (ccn_real)(2.0 * ccn_rng_uniform(&rng) - 1.0);
    for (t = 0; t < T; ++t)
        for (j = 0; j < 2; ++j) target[t][j] = (ccn_real)(2.0 * ccn_rng_uniform(&rng) - 1.0);

    memset(&c, 0, sizeof c);
    c.n_inputs = 3, c.n_outputs = 2, c.n_columns = 9, c.kind = CCN_LSTM, c.columns_per_stage = 3;
    c.steps_per_stage = 60, c.optimizer = CCN_ADAM, c.step_size = 0.01, c.input_norm_rate = 0.99;
    c.feature_norm_rate = 0.99, c.seed = 3;
    if (ccn_create(&c, NULL, &net) != CCN_OK || !(f = open_txt(argv[1], "sup"))) return 1;
    for (t = 0; t < T; ++t) {
        ccn_real y[2];
        ok &= ccn_learn_step(net, x[t], target[t], y) == CCN_OK;
        fprintf(f, "%a %a\n", (double)y[0], (double)y[1]);
    }
    ok &= fclose(f) == 0 && write_net(net, argv[1], "sup");
    ccn_destroy(net);

    memset(&c, 0, sizeof c);
    c.n_inputs = 3, c.n_columns = 6, c.kind = CCN_GATED, c.links = 1.0, c.learner = CCN_TD;
    c.td_lambda = 0.9, c.optimizer = CCN_RMSPROP, c.step_size = 0.01, c.scale_readout_step = 1, c.seed = 4;
    if (ccn_create(&c, NULL, &net) != CCN_OK || !(f = open_txt(argv[1], "td"))) return 1;
    for (t = 0; t < T; ++t) {
        ccn_real p;
        ok &= ccn_td_step(net, x[t], (ccn_real)(t % 7 == 3), t % 50 == 49 ? 0 : CCN_R(0.9), &p) == CCN_OK;
        fprintf(f, "%a\n", (double)p);
    }
    ok &= fclose(f) == 0 && write_net(net, argv[1], "td");
    ccn_destroy(net);

    memset(&c, 0, sizeof c);
    c.n_inputs = 3, c.n_outputs = 2, c.n_columns = 5, c.method = CCN_FORWARD, c.feature_layers = 1, c.seed = 5;
    if (ccn_create(&c, NULL, &net) != CCN_OK || !(f = open_txt(argv[1], "fwd"))) return 1;
    for (t = 0; t < T; ++t) {
        ccn_real y[2];
        ok &= ccn_step(net, x[t], y) == CCN_OK;
        fprintf(f, "%a %a\n", (double)y[0], (double)y[1]);
    }
    ok &= fclose(f) == 0 && write_net(net, argv[1], "fwd");
    ccn_destroy(net);

    memset(&c, 0, sizeof c);
    c.n_inputs = 3, c.n_outputs = 2, c.n_columns = 6, c.kind = CCN_GRU, c.columns_per_stage = 2;
    c.steps_per_stage = 70, c.step_size = 0.05, c.seed = 6;
    if (ccn_create(&c, NULL, &net) != CCN_OK || !(f = open_txt(argv[1], "gru"))) return 1;
    for (t = 0; t < T; ++t) {
        ccn_real y[2];
        ok &= ccn_learn_step(net, x[t], target[t], y) == CCN_OK;
        fprintf(f, "%a %a\n", (double)y[0], (double)y[1]);
    }
    ok &= fclose(f) == 0 && write_net(net, argv[1], "gru");
    ccn_destroy(net);

    memset(&c, 0, sizeof c);
    c.n_inputs = 3, c.n_columns = 4, c.kind = CCN_GRU, c.links = 1.0, c.learner = CCN_TD;
    c.td_lambda = 0.8, c.optimizer = CCN_ADAM, c.step_size = 0.01, c.seed = 7;
    if (ccn_create(&c, NULL, &net) != CCN_OK || !(f = open_txt(argv[1], "grutd"))) return 1;
    for (t = 0; t < T; ++t) {
        ccn_real p;
        ok &= ccn_td_step(net, x[t], (ccn_real)(t % 7 == 3), t % 50 == 49 ? 0 : CCN_R(0.9), &p) == CCN_OK;
        fprintf(f, "%a\n", (double)p);
    }
    ok &= fclose(f) == 0 && write_net(net, argv[1], "grutd");
    ccn_destroy(net);
    return ok ? 0 : 1;
}
