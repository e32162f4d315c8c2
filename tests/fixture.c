/* Saves the fixture net (fixture_run.h) in this build's precision: tests/run.sh builds it in
   float and in double, so that each leg of the suite can load the other precision's file.
   usage: fixture PATH */
#define CCN_IMPLEMENTATION
#include "../ccn.h"
#include <stdio.h>
#include <string.h>
#include "fixture_run.h"

int main(int argc, char **argv) {
    ccn_net *net = tf_fixture_net();
    ccn_result r;
    if (argc != 2 || !net) {
        fprintf(stderr, "usage: fixture PATH\n");
        return 2;
    }
    r = ccn_save_file(net, argv[1]);
    ccn_destroy(net);
    if (r != CCN_OK) {
        fprintf(stderr, "fixture: %s\n", ccn_result_string(r));
        return 1;
    }
    return 0;
}
