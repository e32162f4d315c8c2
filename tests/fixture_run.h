/* The net behind the cross-precision fixtures: tests/fixture.c saves it from a float and from a
   double build (tests/run.sh runs both before the suite), and the suite rebuilds it in its own
   precision to compare (test_save.c). Every array a file holds is non-trivial in it: lstm
   columns with a feature layer and links, two stages, TD(lambda), Adam, both normalisers. */
#ifndef CCN_TEST_FIXTURE_RUN_H
#define CCN_TEST_FIXTURE_RUN_H

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
#endif
