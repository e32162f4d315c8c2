/* Writes the fuzzer's seed corpus: valid files of small nets of every kind, method, learner and
   optimiser, with and without stages, normalisation, feature layers and links, in this build's
   precision (make fuzz builds it in float and in double). usage: fuzz_seeds DIR */
#define CCN_IMPLEMENTATION
#include "../ccn.h"
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    int kind, method, learner, opt, written = 0;
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_seeds DIR\n");
        return 2;
    }
    for (kind = CCN_TANH; kind <= CCN_GRU; ++kind)
        for (method = CCN_COLOR; method <= CCN_FORWARD; ++method)
            for (learner = CCN_SUPERVISED; learner <= CCN_TD; ++learner)
                for (opt = CCN_SGD; opt <= CCN_ADAM; ++opt) {
                    ccn_config c;
                    ccn_net *net;
                    char path[1024];
                    int t, staged = (kind + method + learner + opt) % 2;
                    memset(&c, 0, sizeof c);
                    c.n_inputs = 2;
                    c.n_columns = 3;
                    c.kind = kind;
                    c.method = method;
                    c.learner = learner;
                    c.optimizer = opt;
                    c.step_size = 0.05;
                    c.feature_layers = (kind + opt) % 3;
                    c.feature_width = c.feature_layers ? 2 : 0;
                    c.links = opt == CCN_RMSPROP ? 1.0 : 0.0;
                    c.refuse_nonfinite = opt == CCN_ADAM;
                    c.seed = (uint64_t)(kind * 100 + method * 10 + learner + opt);
                    if (staged) {
                        c.columns_per_stage = 2;
                        c.steps_per_stage = 3;
                        c.input_norm_rate = 0.9;
                        c.feature_norm_rate = 0.9;
                    }
                    if (ccn_create(&c, NULL, &net) != CCN_OK) return 1;
                    for (t = 0; t < 5; ++t) {
                        ccn_real x[2], target = (ccn_real)(t % 2);
                        x[0] = (ccn_real)t * CCN_R(0.25);
                        x[1] = CCN_R(-0.5);
                        if (method != CCN_FORWARD && learner == CCN_TD) {
                            ccn_td_step(net, x, target, CCN_R(0.9), NULL);
                        } else {
                            ccn_step(net, x, NULL);
                            if (method != CCN_FORWARD) ccn_learn(net, &target);
                        }
                    }
                    snprintf(path, sizeof path, "%s/seed-%d-%d-%d-%d-%d.ccn", argv[1], (int)sizeof(ccn_real), kind, method,
                             learner, opt);
                    if (ccn_save_file(net, path) != CCN_OK) return 1;
                    ccn_destroy(net);
                    ++written;
                }
    printf("%d seeds written to %s\n", written, argv[1]);
    return 0;
}
