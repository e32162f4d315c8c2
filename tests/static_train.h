/* Included by both translation units of the CCN_STATIC leg: each compiles this function against
   its own private copy of ccn.h, so that the two copies can be compared. */
static int static_train(int kind, int method, int steps, ccn_real *params_out, size_t *count_out) {
    ccn_config c;
    ccn_net *net;
    ccn_real x[2], target;
    int t;
    memset(&c, 0, sizeof c);
    c.n_inputs = 2;
    c.n_columns = 3;
    c.kind = kind;
    c.method = method;
    c.links = 0.5;
    c.feature_layers = 1;
    c.step_size = 0.05;
    c.seed = 42;
    if (ccn_create(&c, NULL, &net) != CCN_OK) return 0;
    for (t = 0; t < steps; ++t) {
        x[0] = (ccn_real)(t % 3) - CCN_R(1);
        x[1] = (ccn_real)(t % 5) * CCN_R(0.25);
        target = x[0] * CCN_R(0.5);
        ccn_step(net, x, NULL);
        if (ccn_accumulate_gradient(net, &target, NULL) != CCN_OK) return 0;
        if (ccn_learn(net, &target) != CCN_OK) return 0;
    }
    *count_out = ccn_param_count(net);
    if (params_out) memcpy(params_out, ccn_params(net), ccn_param_count(net) * sizeof(ccn_real));
    ccn_destroy(net);
    return 1;
}
