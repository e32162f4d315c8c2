/* Saves the fixture net (fixture_run.h) in this build's precision: tests/run.sh builds it in
   float and in double, so that each leg of the suite can load the other precision's file.
   With two more paths it also writes the bounds fixtures: every case of tb_case_net, one file
   after another, in this build's real size (BOUNDS) and in the other one (BOUNDS_OTHER).
   usage: fixture PATH [BOUNDS BOUNDS_OTHER] */
#define CCN_IMPLEMENTATION
#include "../ccn.h"
#include <stdio.h>
#include <string.h>
#include "fixture_run.h"

static size_t fx_write(void *user, const void *data, size_t size) { return fwrite(data, 1, size, (FILE *)user); }

/* Every bounds case saved in real_size bytes into path; 0 on failure. */
static int fx_bounds(const char *path, int real_size) {
    FILE *f = fopen(path, "wb");
    int k, ok = f != NULL;
    for (k = 0; ok && k < TB_CASES; ++k) {
        const tb_setting *s;
        double value, gamma;
        ccn_result r;
        ccn_net *net = tb_case_net(k, &s, &value, &gamma, &r);
        if (!net || (r = ccn_save_as(net, real_size, fx_write, f)) != CCN_OK) {
            fprintf(stderr, "fixture: bounds case %d (%s = %.17g): %s\n", k, s->name, value, ccn_result_string(r));
            ok = 0;
        }
        ccn_destroy(net);
    }
    if (f && fclose(f) != 0) ok = 0;
    return ok;
}

int main(int argc, char **argv) {
    ccn_net *net = tf_fixture_net();
    ccn_result r;
    if ((argc != 2 && argc != 4) || !net) {
        fprintf(stderr, "usage: fixture PATH [BOUNDS BOUNDS_OTHER]\n");
        return 2;
    }
    r = ccn_save_file(net, argv[1]);
    ccn_destroy(net);
    if (r != CCN_OK) {
        fprintf(stderr, "fixture: %s\n", ccn_result_string(r));
        return 1;
    }
    if (argc == 4 && !(fx_bounds(argv[2], (int)sizeof(ccn_real)) && fx_bounds(argv[3], 12 - (int)sizeof(ccn_real))))
        return 1;
    return 0;
}
