/* ccn.h - v0.2.0 - columnar recurrent networks that learn online, one step at a time
                    https://arxiv.org/abs/2103.05787 (ColoR)  https://arxiv.org/abs/2302.05326 (CCN)

   A single-header C99 library (also compiles as C++) for recurrent networks made of columns,
   each with a scalar recurrent state, trained online with gradients that are exact or nearly
   exact at a cost linear in the number of parameters. MIT licence: see the end of the file.

   USAGE
       In exactly ONE C or C++ file:           Everywhere else:
           #define CCN_IMPLEMENTATION              #include "ccn.h"
           #include "ccn.h"
       Link with -lm.

   CONFIGURATION MACROS (define before the #include)
       [all]  must be identical in every file that includes ccn.h
       [impl] read only in the file that defines CCN_IMPLEMENTATION

       CCN_DOUBLE          [all]  ccn_real is double instead of float
       CCN_API             [all]  prefix of every public declaration (default: extern)
       CCN_STATIC          [impl] every function becomes static (private to that file); define it
                                  only together with CCN_IMPLEMENTATION
       CCN_ASSERT(c)       [impl] hot-path precondition checks; default assert(c), off under NDEBUG
       CCN_MALLOC(sz,user) [impl] default allocation when a NULL ccn_allocator is passed;
       CCN_FREE(p,user)    [impl]   define both or neither (default malloc/free)

   ---------------------------------------------------------------------------------------------
   OVERVIEW

   A net is n columns and a linear readout. Column i has a scalar state h_i (an lstm column also
   a scalar cell c_i). Columns are grouped in stages (one stage unless configured); column i of
   stage k reads

       z_i(t) = [ own ; cascade ; links ]
         own      the input x(t), normalised with stage k's statistics, or the column's private
                  ReLU features of it (1 or 2 layers of width W)
         cascade  h_j(t), this step's state of every column j of the stages before k, normalised
                  with stage k's statistics (this is the CCN construction)
         links    foreign entries drawn once at creation among the columns of the same stage,
                  so that a column has on average `links` of them: h_j(t-1) (state link) or
                  phi_j(t)[k] (feature link)

   One step, in the order the data flows (and the order of this file):
     1. normalisation  each stage's inputs, with statistics from before the step
     2. features       the private ReLU layers
     3. columns        the column's kind (CCN_TANH, CCN_GATED, CCN_LSTM) maps z_i(t) and its own
                       previous state to h_i(t); stages run in order, so cascades are same-step
     4. traces         the learning stage updates its sensitivities of the new state
     5. readout        y(t) = W_out h^(t) + b_out, h^ the (optionally normalised) states
     6. statistics     the normalisers absorb this step's inputs and states
   and then, when the caller learns: gradients, an optimiser, a learner.

   Kinds (z is the column's input, h' its previous state; one weight vector, u and b per gate):
     tanh   h = tanh(w.z + u h' + b)
     gated  f = sigma(w_f.z + u_f h' + b_f), g = tanh(w_g.z + u_g h' + b_g), h = f h' + (1-f) g
     lstm   i,f,o = sigma(w_q.z + u_q h' + b_q), g = tanh(...), c = f c' + i g, h = o tanh(c)
   With `feedforward` set, h' and c' are taken as 0: the columns have no memory of their own.

   Gradient methods (ccn_config.method):
     CCN_COLOR    one trace per parameter (two for lstm): the derivative of its own column's
                  state, treating every foreign input as a constant. O(parameters) per step.
                  Exact when the learning columns do not read one another (no links); biased,
                  gracefully, with links.
     CCN_RTRL     exact real-time recurrent learning: the derivative of every learning column's
                  state with respect to every learning parameter. O(states x parameters), slow;
                  the reference.
     CCN_FORWARD  no traces: inference only.

   Stages ("F:d:S" in the CCN paper: F columns, d per stage, a new stage every S steps):
   columns_per_stage = d (0: all columns, one stage); steps_per_stage = S (0: stages advance only
   through ccn_next_stage). Stage 0 is active at creation. When stage k+1 starts, stage k freezes:
   its parameters and its normalisation statistics never change again, while its columns keep
   running forward and feeding later stages and the readout. Only the current stage's columns
   keep traces and learn; the readout learns for every active column. Columns of stages not yet
   started do not run (their state is 0 and their readout weights stay 0). With d not dividing
   F, the last stage is smaller.

   Learners: supervised regression (ccn_learn, ccn_learn_with_error: one optimiser step on the
   gradient of this step's loss) and TD(lambda) prediction (ccn_td_step, learner = CCN_TD):
       E <- gamma_t lambda E + d yhat_t / d theta
       delta = c_{t+1} + gamma_{t+1} yhat_{t+1} - yhat_t,    theta <- theta + alpha opt(delta E)
   where gamma_{t+1}, given with x_{t+1}, discounts the prediction at x_{t+1}; gamma = 0 marks an
   episode boundary: it cuts the bootstrap and, from then on, the traces.

   Optimisers (applied to the direction u = -gradient, or delta E): CCN_SGD theta += alpha u;
   CCN_RMSPROP v <- beta v + (1-beta) u^2, theta += alpha u / (sqrt(v) + eps), v starting at 1
   (the 2023 authors' rule); CCN_ADAM with bias correction, m and v starting at 0. With
   scale_readout_step the readout's alpha is divided by the number of active columns.

   Normalisation (the 2023 code): x~ = (x - mu) / sqrt(v), mu <- r mu + (1-r) x,
   v <- max(r v + (1-r)(x - mu)^2, floor) with the updated mu; mu = 0, v = 1 at the start.
   Inputs and cascade values use input_norm_rate (each stage keeps a copy that freezes with it);
   the readout's features use feature_norm_rate. A rate of 1 (the default) turns it off.
   Gradients treat mu and v as constants.

   QUICK START
       ccn_config cfg = {0};                 // C++: ccn_config cfg = {};
       cfg.n_inputs = 4; cfg.n_outputs = 1; cfg.n_columns = 16;
       cfg.kind = CCN_GATED; cfg.step_size = 0.01;
       ccn_net *net;
       if (ccn_create(&cfg, NULL, &net) != CCN_OK) ...;
       for (;;) {
           ccn_real y[1];
           ccn_step(net, x, y);              // forward + trace update
           ccn_learn(net, target);           // one optimiser step on 1/2 |y - target|^2
       }
       ccn_destroy(net);
   For TD(lambda): cfg.learner = CCN_TD; cfg.td_lambda = 0.99; then each step
       ccn_td_step(net, x, cumulant, gamma, &prediction);

   PARAMETER LAYOUT
   One flat vector, no padding. For each column i in order, a contiguous block:
     [ W1 (W x m, row-major) b1 (W) [ W2 (W x W) b2 (W) ] ]     only with feature layers
     [ w_q (|z_i|) u_q b_q ] for each gate q                    tanh: a; gated: f g; lstm: i f o g
   then the readout: W_out (outputs x n, row-major: W_out[r*n + i]), b_out (outputs).
   w_q follows z_i's order: own, cascade (columns 0.. of earlier stages), links (ccn_links order).
   Stages are runs of consecutive columns, so a stage's parameters are one contiguous range.

   MEMORY
   A net is one contiguous block from the allocator (ccn_allocator, NULL = CCN_MALLOC/CCN_FREE),
   sized by ccn_memory_size(); ccn_destroy frees it; ccn_copy makes an independent copy (the block
   holds pointers into itself, so memcpy alone does not). The per-step calls never allocate.
   Reals per parameter: forward-only 1; ColoR 3 (parameter, trace, gradient buffer; lstm 4, a
   second trace), plus 1 for TD's eligibility, 1 for RMSProp, 2 for Adam. Exact RTRL keeps,
   instead of the traces, 2 x states + 1 per parameter (states = columns, or 2 x columns for
   lstm) and W per feature parameter. Plus O(columns x width + stages x inputs) of state and
   statistics.

   ERRORS
   Fallible calls return a ccn_result (ccn_result_string() names it). Bad configuration is a
   runtime error, never an assert; on error no net is returned and nothing is leaked. A learning
   call given a NaN or infinite cumulant, or a gamma outside [0, 1], returns an error and changes
   nothing. There is no printing, no errno, no global state. Misuse on the hot path (NULL
   pointers) is CCN_ASSERT.

   THREADS
   No global or static mutable state: different nets may be used from different threads at once.
   One net must not be used by two threads at the same time.

   RANDOMNESS
   Each net owns a xoshiro256** generator seeded by splitmix64 from ccn_config.seed (0 is an
   ordinary seed). Links are drawn first, then the parameters in layout order; uniform reals come
   from the top mantissa bits of the integers, so a seed gives the same net on every platform.
   Every step after that is IEEE arithmetic and sqrt alone: the library computes its own exp,
   tanh and sigmoid rather than calling libm, whose results differ between platforms. So runs are
   bit-identical on one binary, and across compilers and machines when they compile without
   floating-point contraction (-ffp-contract=off; never -ffast-math).

   NUMERICS
   Default initialisation: column and feature parameters U(-k, k) with k = 1/sqrt(fan-in)
   (the fan-in of a gate counts z, u and b), or k = init_scale when set; the readout 0, so the
   columns' gradients are 0 until the readout has learned (set W_out through ccn_params() to
   check gradients). relu'(0) is taken as 0. With feedforward, each gate's u stays in the
   layout but is never read and gets no gradient. A ColoR trace only ever lives in its own
   column's block: the gradient for dL/dh = e_i is column i's trace, zero elsewhere.

   SPEED
   Compile with -O2 or -O3 and -march=native (or your target). Add -fno-math-errno: it changes
   no result, only whether sqrt may set errno, and without it the RMSProp and Adam loops cannot
   vectorise. Hot loops are contiguous and written to vectorise without -ffast-math.
*/
#ifndef CCN_H_INCLUDED
#define CCN_H_INCLUDED

#define CCN_VERSION_MAJOR 0
#define CCN_VERSION_MINOR 2
#define CCN_VERSION_PATCH 0
#define CCN_VERSION_NUMBER (CCN_VERSION_MAJOR * 10000 + CCN_VERSION_MINOR * 100 + CCN_VERSION_PATCH)
#define CCN_VERSION_STRING "0.2.0"

#include <stddef.h>
#include <stdint.h>

#ifdef CCN_DOUBLE
typedef double ccn_real;
#else
typedef float ccn_real;
#endif
#define CCN_R(x) ((ccn_real)(x))

#ifndef CCN_API
#if defined(CCN_STATIC) && (defined(__GNUC__) || defined(__clang__))
#define CCN_API static __attribute__((unused))
#elif defined(CCN_STATIC)
#define CCN_API static
#else
#define CCN_API extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ccn_result {
    CCN_OK = 0,
    CCN_ERR_NULL_ARGUMENT,   /* a required pointer was NULL                                  */
    CCN_ERR_BAD_SIZE,        /* n_inputs, n_columns, n_outputs or feature_width not > 0      */
    CCN_ERR_TOO_LARGE,       /* a dimension above CCN_MAX_DIM, a size that overflows, more link
                                candidates than CCN_MAX_LINK_DRAWS, or a column's input
                                longer than INT_MAX                                          */
    CCN_ERR_BAD_KIND,        /* kind is not CCN_TANH, CCN_GATED or CCN_LSTM                 */
    CCN_ERR_BAD_METHOD,      /* method is not CCN_COLOR, CCN_RTRL or CCN_FORWARD            */
    CCN_ERR_BAD_FEATURES,    /* feature_layers not 0, 1 or 2                                 */
    CCN_ERR_BAD_LINKS,       /* links negative, not finite, or more than a stage's columns
                                offer (none with one column per stage)                      */
    CCN_ERR_BAD_STEP_SIZE,   /* step_size negative, NaN or above 1e30                        */
    CCN_ERR_BAD_INIT_SCALE,  /* init_scale negative, NaN or above 1e30                       */
    CCN_ERR_OUT_OF_MEMORY,   /* the allocator returned NULL                                  */
    CCN_ERR_NO_GRADIENT,     /* a learning call on a CCN_FORWARD net                         */
    CCN_ERR_BAD_STAGES,      /* columns_per_stage or steps_per_stage negative or too large   */
    CCN_ERR_BAD_LEARNER,     /* learner unknown, td_lambda outside [0, 1], CCN_TD with more
                                than one output, or ccn_td_step on a net without CCN_TD     */
    CCN_ERR_BAD_OPTIMIZER,   /* optimizer unknown, a beta outside [0, 1), epsilon not > 0    */
    CCN_ERR_BAD_NORMALIZATION, /* a rate outside (0, 1] or a variance floor not > 0          */
    CCN_ERR_BAD_GAMMA,       /* gamma outside [0, 1] or NaN                                  */
    CCN_ERR_NOT_FINITE,      /* a cumulant or target that is NaN or infinite                 */
    CCN_ERR_NO_MORE_STAGES,  /* ccn_next_stage on the last stage                             */
    CCN_ERR_BAD_WORKERS      /* n_workers negative or above CCN_MAX_WORKERS                  */
} ccn_result;

enum { CCN_TANH = 1, CCN_GATED = 2, CCN_LSTM = 3 };              /* ccn_config.kind      */
enum { CCN_COLOR = 1, CCN_RTRL = 2, CCN_FORWARD = 3 };           /* ccn_config.method    */
enum { CCN_SUPERVISED = 1, CCN_TD = 2 };                         /* ccn_config.learner   */
enum { CCN_SGD = 1, CCN_RMSPROP = 2, CCN_ADAM = 3 };             /* ccn_config.optimizer */
enum { CCN_LINK_STATE = 0, CCN_LINK_FEATURE = 1 };               /* ccn_link.type        */
#define CCN_MAX_DIM (1 << 24) /* largest n_inputs, n_outputs, n_columns, feature_width */
#define CCN_MAX_WORKERS 1024
/* Link candidates drawn at creation (columns x candidates per column) are capped at this, so
   that creating a net with links stays a matter of seconds (one draw per candidate). */
#define CCN_MAX_LINK_DRAWS ((int64_t)1 << 32)

/* Zero-initialise, then set what you need. Fields whose zero is never meaningful take the
   default shown; where zero means something (feature_layers, links, td_lambda, seed, the flags)
   it means zero. */
typedef struct ccn_config {
    int n_inputs;          /* m > 0, required                                               */
    int n_outputs;         /* 0 -> 1 (CCN_TD: exactly 1)                                    */
    int n_columns;         /* n > 0, required (F, all stages together)                      */
    int kind;              /* 0 -> CCN_TANH                                                 */
    int method;            /* 0 -> CCN_COLOR                                                */
    int feature_layers;    /* private ReLU layers per column: 0 (none), 1 or 2              */
    int feature_width;     /* W, 0 -> 5; used (and checked) only with feature_layers > 0    */
    int feedforward;       /* 1: columns ignore their own previous state (no recurrence)    */
    double links;          /* expected foreign links per column, within its stage           */
    int columns_per_stage; /* d, 0 -> n_columns (one stage, a plain columnar net)           */
    int64_t steps_per_stage; /* S, 0 -> stages advance only by ccn_next_stage               */
    int learner;           /* 0 -> CCN_SUPERVISED                                           */
    double td_lambda;      /* lambda of CCN_TD, in [0, 1]                                   */
    int optimizer;         /* 0 -> CCN_SGD                                                  */
    double step_size;      /* alpha; 0 means 0 (no learning): set it to learn               */
    double rms_beta;       /* RMSProp decay, 0 -> 0.9999                                    */
    double adam_beta1;     /* 0 -> 0.9                                                      */
    double adam_beta2;     /* 0 -> 0.999                                                    */
    double opt_epsilon;    /* RMSProp and Adam, 0 -> 1e-8                                   */
    int scale_readout_step; /* 1: the readout's alpha is divided by the active columns      */
    double input_norm_rate;   /* r of the input and cascade normalisers, 0 -> 1 (off)      */
    double feature_norm_rate; /* r of the readout's feature normaliser, 0 -> 1 (off)       */
    double norm_var_floor;    /* variance floor of both, 0 -> 0.01                         */
    double init_scale;     /* column weights U(-s, s); 0 -> 1/sqrt(fan-in)                  */
    uint64_t seed;         /* any value, 0 included                                         */
    int n_workers;         /* workers a ccn_parallel_fn may use (scratch each), 0 -> 1      */
} ccn_config;

/* Spreading a step over threads, with the caller's threads: ccn_set_parallel installs a
   function that must run task(ctx, t, worker) for every t in [0, n_tasks) and return when all
   have finished; worker in [0, n_workers) names the scratch a task may use, so no two tasks
   running at the same time may be given the same worker. The columns of a stage are
   independent, so the results are bit-identical to the single-threaded step. */
typedef void (*ccn_task_fn)(void *ctx, int task, int worker);
typedef void (*ccn_parallel_fn)(void *user, int n_tasks, ccn_task_fn task, void *ctx);

typedef struct ccn_allocator {
    void *(*alloc)(size_t size, void *user);
    void (*free)(void *ptr, size_t size, void *user);
    void *user;
} ccn_allocator;

typedef struct ccn_rng { uint64_t s[4]; } ccn_rng;

typedef struct ccn_link {
    int type;     /* CCN_LINK_STATE: h_column(t-1); CCN_LINK_FEATURE: phi_column(t)[feature] */
    int column;   /* the foreign column read                                              */
    int feature;  /* feature index for CCN_LINK_FEATURE, else 0                           */
} ccn_link;

/* Where column i's parameters live in ccn_params(): all offsets are absolute indices. */
typedef struct ccn_column_info {
    size_t param_offset, param_count;      /* the whole block                              */
    size_t feature_offset, feature_count;  /* feature-layer parameters (count 0 if none)   */
    size_t gate_offset;                    /* first gate block                             */
    size_t gate_stride;                    /* one gate block: |z| + 2 (w, u, b)            */
    int n_gates;                           /* 1 tanh, 2 gated, 4 lstm                      */
    int z_len;                             /* |z_i| = own + cascade + links                */
    int own_len;                           /* W with feature layers, else m                */
    int cascade_len;                       /* columns of earlier stages                    */
    int n_links;
    int stage;
} ccn_column_info;

typedef struct ccn_net ccn_net;

/* ---- version and errors ------------------------------------------------------------------ */
CCN_API int ccn_version(void);                      /* CCN_VERSION_NUMBER of the implementation */
CCN_API const char *ccn_result_string(ccn_result r); /* static text, never NULL               */

/* ---- configuration and lifetime ------------------------------------------------------------ */
/* Applies the defaults to *cfg into *out and validates the result. */
CCN_API ccn_result ccn_config_resolve(const ccn_config *cfg, ccn_config *out);
/* Bytes the net takes (one block), or an error for a bad configuration. */
CCN_API ccn_result ccn_memory_size(const ccn_config *cfg, size_t *out_bytes);
/* Creates a net (one allocation). alloc may be NULL. On error *out is NULL and nothing leaks. */
CCN_API ccn_result ccn_create(const ccn_config *cfg, const ccn_allocator *alloc, ccn_net **out);
CCN_API void ccn_destroy(ccn_net *net);             /* NULL is a no-op                        */
/* An independent copy of src in every respect (state, traces, statistics, generator), in one
   allocation from alloc (NULL: src's allocator). On error *out is NULL and nothing leaks. */
CCN_API ccn_result ccn_copy(const ccn_net *src, const ccn_allocator *alloc, ccn_net **out);
CCN_API const ccn_config *ccn_get_config(const ccn_net *net); /* resolved configuration      */

/* ---- one step ------------------------------------------------------------------------------ */
/* Reads x (n_inputs), advances the state and the traces, writes y (n_outputs) unless NULL.
   Starts the next stage first when steps_per_stage says so. x must not point into the net
   (copy ccn_state() first to feed it back). */
CCN_API void ccn_step(ccn_net *net, const ccn_real *x, ccn_real *y);
/* Zeroes the recurrent state, the traces and the eligibility; the parameters, the optimiser,
   the normalisation statistics, the stage and the step count are untouched. */
CCN_API void ccn_reset_state(ccn_net *net);

/* ---- gradients and learning (after ccn_step) ------------------------------------------------- */
/* grad[k] += dL_t/dtheta_k for the loss whose derivative at this step's output is dl_dy
   (n_outputs), for every learning parameter (frozen stages get nothing). grad has
   ccn_param_count() entries; NULL means the net's own ccn_grad(). */
CCN_API ccn_result ccn_accumulate_gradient(ccn_net *net, const ccn_real *dl_dy, ccn_real *grad);
/* grad[k] += sum_i dl_dh[i] dh_i/dtheta_k for a caller-given dL/dh (n_columns entries): the
   gradient through the column states alone, for a readout or learner of the caller's own (with
   a one-hot dl_dh it is one state's sensitivity, dh_i/dtheta). Learning parameters only; the
   readout's entries are left alone. grad NULL means ccn_grad(). */
CCN_API ccn_result ccn_accumulate_state_gradient(ccn_net *net, const ccn_real *dl_dh, ccn_real *grad);
/* One optimiser step on this step's gradient for a caller-given dL/dy. */
CCN_API ccn_result ccn_learn_with_error(ccn_net *net, const ccn_real *dl_dy);
/* One optimiser step on 1/2 |y - target|^2 (dL/dy = y - target). CCN_ERR_NOT_FINITE if a target
   is NaN or infinite (nothing changes). */
CCN_API ccn_result ccn_learn(ccn_net *net, const ccn_real *target);
/* TD(lambda), learner CCN_TD: feeds x_{t+1} with its cumulant c_{t+1} and discount gamma_{t+1},
   updates the eligibility, steps, and (from the second call on) learns from the TD error.
   Writes the new prediction (before this call's update) to *prediction unless NULL. A NaN or
   infinite cumulant or a gamma outside [0, 1] returns an error and changes nothing. */
CCN_API ccn_result ccn_td_step(ccn_net *net, const ccn_real *x, ccn_real cumulant, ccn_real gamma,
                               ccn_real *prediction);
/* The TD error of the last ccn_td_step (0 before the second call). */
CCN_API ccn_real ccn_td_error(const ccn_net *net);
/* The eligibility E (ccn_param_count() entries), NULL unless CCN_TD. */
CCN_API const ccn_real *ccn_eligibility(const ccn_net *net);
/* Runs the column work of every following step through fn (NULL: single-threaded again). */
CCN_API void ccn_set_parallel(ccn_net *net, ccn_parallel_fn fn, void *user);
/* Changes alpha from now on (schedules, evaluation with 0). CCN_ERR_BAD_STEP_SIZE if < 0 or NaN. */
CCN_API ccn_result ccn_set_step_size(ccn_net *net, double step_size);

/* ---- stages -------------------------------------------------------------------------------- */
/* Freezes the current stage and starts the next; CCN_ERR_NO_MORE_STAGES on the last. */
CCN_API ccn_result ccn_next_stage(ccn_net *net);
CCN_API int ccn_stage(const ccn_net *net);          /* the current (learning) stage          */
CCN_API int ccn_stage_count(const ccn_net *net);
CCN_API int ccn_active_columns(const ccn_net *net); /* columns of stages started so far      */

/* ---- access ------------------------------------------------------------------------------- */
CCN_API size_t ccn_param_count(const ccn_net *net);
CCN_API ccn_real *ccn_params(ccn_net *net);         /* mutable; layout above               */
CCN_API ccn_real *ccn_grad(ccn_net *net); /* the net's gradient buffer (NULL for CCN_FORWARD) */
CCN_API void ccn_zero_grad(ccn_net *net);
CCN_API size_t ccn_readout_offset(const ccn_net *net); /* index of W_out in ccn_params()  */
/* Layout of column `column`'s parameters; out of range gives all zeros. */
CCN_API void ccn_column_info_get(const ccn_net *net, int column, ccn_column_info *out);
/* Column that owns parameter k, or -1 for the readout (and for k out of range). */
CCN_API int ccn_param_owner(const ccn_net *net, size_t k);
/* Column `column`'s links in z order; *count gets their number. */
CCN_API const ccn_link *ccn_links(const ccn_net *net, int column, int *count);
CCN_API const ccn_real *ccn_state(const ccn_net *net);  /* h (n_columns)                   */
CCN_API const ccn_real *ccn_cell(const ccn_net *net);   /* c (n_columns), NULL unless lstm */
CCN_API const ccn_real *ccn_output(const ccn_net *net); /* y of the last step (n_outputs)   */
CCN_API uint64_t ccn_step_count(const ccn_net *net);    /* steps since creation            */
/* Input normaliser of `stage`: *count = m + its cascade inputs; mean and variance arrays in z
   order (inputs, then the earlier-stage columns). Live statistics until the stage is frozen,
   its frozen copy after. NULL with count 0 when input normalisation is off. */
CCN_API void ccn_input_stats(const ccn_net *net, int stage, const ccn_real **mean,
                             const ccn_real **var, int *count);
/* Readout feature normaliser: n_columns means and variances, NULL when off. */
CCN_API void ccn_feature_stats(const ccn_net *net, const ccn_real **mean, const ccn_real **var);
/* Optimiser state (ccn_param_count() entries each): RMSProp v in *second; Adam m, v. NULL for
   what the optimiser does not keep. */
CCN_API void ccn_optimizer_state(const ccn_net *net, const ccn_real **first, const ccn_real **second);

/* ---- randomness (the same generator the nets use) ----------------------------------------- */
CCN_API void ccn_rng_seed(ccn_rng *rng, uint64_t seed);
CCN_API uint64_t ccn_rng_next(ccn_rng *rng);
CCN_API double ccn_rng_uniform(ccn_rng *rng); /* [0, 1), 53 bits, identical everywhere */

#ifdef __cplusplus
}
#endif
#endif /* CCN_H_INCLUDED */

/* ============================ stop here if you only want the API ============================ */

#if defined(CCN_IMPLEMENTATION) && !defined(CCN__IMPLEMENTATION_DONE)
#define CCN__IMPLEMENTATION_DONE

#include <string.h>
#include <math.h>

#if defined(CCN_MALLOC) != defined(CCN_FREE)
#error "ccn.h: define both CCN_MALLOC and CCN_FREE, or neither"
#endif
#ifndef CCN_MALLOC
#include <stdlib.h>
#define CCN_MALLOC(sz, user) ((void)(user), malloc(sz))
#define CCN_FREE(p, user) ((void)(user), free(p))
#endif
#ifndef CCN_ASSERT
#include <assert.h>
#define CCN_ASSERT(c) assert(c)
#endif

#if defined(__GNUC__) || defined(__clang__)
#define CCN__RESTRICT __restrict__
#elif defined(_MSC_VER)
#define CCN__RESTRICT __restrict
#else
#define CCN__RESTRICT
#endif

#ifdef CCN_DOUBLE
#define CCN__SQRT(x) sqrt(x)
#else
#define CCN__SQRT(x) sqrtf(x)
#endif

#define CCN__ALIGN 64 /* every array of a net starts on a cache line */

/* The scalar maths the vectorised loops call must be inlined into them. */
#if defined(__GNUC__) || defined(__clang__)
#define CCN__INLINE static inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define CCN__INLINE static __forceinline
#else
#define CCN__INLINE static
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ============================================================================================
   Version, errors
   ============================================================================================ */

CCN_API int ccn_version(void) { return CCN_VERSION_NUMBER; }

CCN_API const char *ccn_result_string(ccn_result r) {
    switch (r) {
    case CCN_OK: return "ok";
    case CCN_ERR_NULL_ARGUMENT: return "a required pointer was NULL";
    case CCN_ERR_BAD_SIZE: return "n_inputs, n_columns, n_outputs and feature_width must be > 0";
    case CCN_ERR_TOO_LARGE: return "a dimension exceeds CCN_MAX_DIM or the net's size overflows";
    case CCN_ERR_BAD_KIND: return "kind must be CCN_TANH, CCN_GATED or CCN_LSTM";
    case CCN_ERR_BAD_METHOD: return "method must be CCN_COLOR, CCN_RTRL or CCN_FORWARD";
    case CCN_ERR_BAD_FEATURES: return "feature_layers must be 0, 1 or 2";
    case CCN_ERR_BAD_LINKS:
        return "links must be finite, >= 0 and at most what a stage's other columns offer";
    case CCN_ERR_BAD_STEP_SIZE: return "step_size must be in [0, 1e30]";
    case CCN_ERR_BAD_INIT_SCALE: return "init_scale must be in [0, 1e30]";
    case CCN_ERR_OUT_OF_MEMORY: return "the allocator returned NULL";
    case CCN_ERR_NO_GRADIENT: return "the net was created with CCN_FORWARD: it keeps no gradient";
    case CCN_ERR_BAD_STAGES: return "columns_per_stage must be in [0, n_columns], steps_per_stage >= 0";
    case CCN_ERR_BAD_LEARNER:
        return "learner must be CCN_SUPERVISED or CCN_TD (one output, td_lambda in [0, 1])";
    case CCN_ERR_BAD_OPTIMIZER:
        return "optimizer must be CCN_SGD, CCN_RMSPROP or CCN_ADAM, betas in [0, 1), epsilon > 0";
    case CCN_ERR_BAD_NORMALIZATION: return "normalisation rates must be in (0, 1], the floor > 0";
    case CCN_ERR_BAD_GAMMA: return "gamma must be in [0, 1]";
    case CCN_ERR_NOT_FINITE: return "a cumulant or target was NaN or infinite";
    case CCN_ERR_NO_MORE_STAGES: return "the net is already in its last stage";
    case CCN_ERR_BAD_WORKERS: return "n_workers must be in [0, CCN_MAX_WORKERS]";
    }
    return "unknown ccn_result";
}

/* ============================================================================================
   Randomness: splitmix64 seeding, xoshiro256** generation
   ============================================================================================ */

static uint64_t ccn__splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

CCN_API void ccn_rng_seed(ccn_rng *rng, uint64_t seed) {
    int k;
    for (k = 0; k < 4; ++k) rng->s[k] = ccn__splitmix64(&seed);
}

static uint64_t ccn__rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

CCN_API uint64_t ccn_rng_next(ccn_rng *rng) {
    uint64_t *s = rng->s;
    uint64_t result = ccn__rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ccn__rotl(s[3], 45);
    return result;
}

CCN_API double ccn_rng_uniform(ccn_rng *rng) {
    return (double)(ccn_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* ============================================================================================
   Configuration and the net's block
   ============================================================================================ */

struct ccn_net {
    ccn_config cfg;              /* resolved                                                   */
    ccn_allocator alloc;
    void *block;                 /* what the allocator returned (the net sits aligned inside)  */
    size_t bytes;                /* its size                                                   */
    int n, m, o;                 /* columns, inputs, outputs                                   */
    int W, L;                    /* feature width (0 without feature layers), feature layers   */
    int G;                       /* gates per column                                           */
    int own_len;                 /* W with feature layers, else m                              */
    int n_stages, stage;         /* stages, the current (learning) one                         */
    int in_norm, feat_norm;      /* normalisers on                                             */
    size_t feat_count;           /* feature parameters per column                              */
    size_t p;                    /* all parameters                                             */
    size_t readout;              /* offset of W_out                                            */
    size_t n_links;              /* links of all columns                                       */
    size_t snap_count;           /* reals in all stages' frozen statistics (means)             */
    uint64_t steps, opt_steps;   /* ccn_step calls; optimiser updates (Adam's t)               */
    ccn_real adam_b1t, adam_b2t; /* beta1^t, beta2^t: Adam's bias corrections, as products     */
    ccn_rng rng;
    ccn_real alpha;              /* step size                                                  */
    ccn_real td_gamma, td_delta; /* gamma of the last ccn_td_step, its TD error                */
    int td_started;              /* a previous prediction exists                               */
    int elig_fused;              /* ColoR TD: the trace pass also does E <- decay E + c_i e    */
    ccn_real elig_decay;         /* its decay; c_i waits in dl_dh                              */

    /* per column and per stage */
    size_t *col_off;             /* n + 1 block offsets; col_off[n] == readout                 */
    int *zlen;                   /* n                                                          */
    int *link_off;               /* n + 1, into links                                          */
    int *col_stage;              /* n                                                          */
    int *stage_start;            /* n_stages + 1: first column of each stage                   */
    size_t *snap_off;            /* n_stages: offset of each stage's frozen statistics         */
    ccn_link *links;

    ccn_real *theta, *grad;      /* p; the gradient buffer only for nets that learn            */
    ccn_real *work;              /* exact RTRL: this step's gradient, p                        */
    ccn_real *eh, *ec;           /* ColoR traces dh_i/dtheta and (lstm) dc_i/dtheta, p each    */
    ccn_real *elig;              /* TD eligibility, p                                          */
    ccn_real *opt_m, *opt_v;     /* optimiser moments, p each                                  */
    ccn_real *h, *c, *h_prev, *c_prev; /* n each; c, c_prev only for lstm                       */
    ccn_real *hid, *phi;         /* n x W: first ReLU layer and features                       */
    ccn_real *hn;                /* n: the readout's (normalised) features                     */
    ccn_real *hscale;            /* n: d hn_i / d h_i at the last forward (1/sqrt(var_i), or 1) */
    ccn_real *y;                 /* o                                                          */
    ccn_real *dl_dh;             /* n                                                          */
    ccn_real *err;               /* o: dL/dy of ccn_learn                                      */
    ccn_real *tails;             /* each column's [link values ; h' ; 1], at link_off[i] + 2i  */
    ccn_real *pre, *u;           /* G x n: gate pre-activations and self-weights (gate-major)  */
    ccn_real *Bh, *Bc;           /* G x n: the local derivatives B of each column (see 3.)     */
    ccn_real *Mhh, *Mhc, *Mch, *Mcc; /* n each: the local derivatives M                         */
    ccn_real *sbuf;              /* m + n: a stage's [x ; cascade], normalised or copied       */
    ccn_real *fscratch;          /* feature-layer scratch, per worker: 2 x feat_count + 4 x W  */
    ccn_parallel_fn parallel;    /* the caller's parallel-for, or NULL                         */
    void *parallel_user;
    ccn_real *in_mu, *in_var;    /* live input statistics, m + n: [x ; h]                      */
    ccn_real *snap_mu, *snap_var; /* frozen stages' statistics, snap_count each                */
    ccn_real *f_mu, *f_var;      /* readout feature statistics, n                              */
    ccn_real *S, *S_new;         /* exact RTRL: rows of p; row i = dh_i, row n + i = dc_i      */
    ccn_real *Jphi;              /* exact RTRL: n x W rows of feat_count                       */
};

static int ccn__finite_in(double v, double lo, double hi) { return v >= lo && v <= hi; }

/* Largest magnitude accepted for a real setting: far past any sensible value, and finite (and
   non-zero where it must be) once converted to a float ccn_real. */
#define CCN__SETTING_MAX 1e30
#define CCN__SETTING_MIN 1e-30

CCN_API ccn_result ccn_config_resolve(const ccn_config *cfg, ccn_config *out) {
    ccn_config r;
    if (!cfg || !out) return CCN_ERR_NULL_ARGUMENT;
    r = *cfg;
    if (r.n_outputs == 0) r.n_outputs = 1;
    if (r.kind == 0) r.kind = CCN_TANH;
    if (r.method == 0) r.method = CCN_COLOR;
    if (r.feature_layers == 0) r.feature_width = 0;
    else if (r.feature_width == 0) r.feature_width = 5;
    if (r.columns_per_stage == 0) r.columns_per_stage = r.n_columns;
    if (r.learner == 0) r.learner = CCN_SUPERVISED;
    if (r.optimizer == 0) r.optimizer = CCN_SGD;
    if (r.rms_beta == 0.0) r.rms_beta = 0.9999;
    if (r.adam_beta1 == 0.0) r.adam_beta1 = 0.9;
    if (r.adam_beta2 == 0.0) r.adam_beta2 = 0.999;
    if (r.opt_epsilon == 0.0) r.opt_epsilon = 1e-8;
    if (r.input_norm_rate == 0.0) r.input_norm_rate = 1.0;
    if (r.feature_norm_rate == 0.0) r.feature_norm_rate = 1.0;
    if (r.norm_var_floor == 0.0) r.norm_var_floor = 0.01;
    if (r.n_workers == 0) r.n_workers = 1;
    if (r.n_inputs <= 0 || r.n_outputs <= 0 || r.n_columns <= 0 || (r.feature_layers && r.feature_width <= 0))
        return CCN_ERR_BAD_SIZE;
    if (r.n_inputs > CCN_MAX_DIM || r.n_outputs > CCN_MAX_DIM || r.n_columns > CCN_MAX_DIM ||
        r.feature_width > CCN_MAX_DIM)
        return CCN_ERR_TOO_LARGE;
    if (r.kind != CCN_TANH && r.kind != CCN_GATED && r.kind != CCN_LSTM) return CCN_ERR_BAD_KIND;
    if (r.method != CCN_COLOR && r.method != CCN_RTRL && r.method != CCN_FORWARD)
        return CCN_ERR_BAD_METHOD;
    if (r.feature_layers < 0 || r.feature_layers > 2) return CCN_ERR_BAD_FEATURES;
    if (r.feedforward != 0 && r.feedforward != 1) return CCN_ERR_BAD_KIND;
    if (!ccn__finite_in(r.step_size, 0.0, CCN__SETTING_MAX)) return CCN_ERR_BAD_STEP_SIZE;
    if (!ccn__finite_in(r.init_scale, 0.0, CCN__SETTING_MAX)) return CCN_ERR_BAD_INIT_SCALE;
    if (r.columns_per_stage < 0 || r.columns_per_stage > r.n_columns || r.steps_per_stage < 0)
        return CCN_ERR_BAD_STAGES;
    if ((r.learner != CCN_SUPERVISED && r.learner != CCN_TD) || !ccn__finite_in(r.td_lambda, 0.0, 1.0) ||
        (r.learner == CCN_TD && r.n_outputs != 1))
        return CCN_ERR_BAD_LEARNER;
    if ((r.optimizer != CCN_SGD && r.optimizer != CCN_RMSPROP && r.optimizer != CCN_ADAM) ||
        !(r.rms_beta >= 0.0 && r.rms_beta < 1.0) || !(r.adam_beta1 >= 0.0 && r.adam_beta1 < 1.0) ||
        !(r.adam_beta2 >= 0.0 && r.adam_beta2 < 1.0) || !ccn__finite_in(r.opt_epsilon, CCN__SETTING_MIN, CCN__SETTING_MAX) ||
        (r.scale_readout_step != 0 && r.scale_readout_step != 1))
        return CCN_ERR_BAD_OPTIMIZER;
    if (!ccn__finite_in(r.input_norm_rate, CCN__SETTING_MIN, 1.0) ||
        !ccn__finite_in(r.feature_norm_rate, CCN__SETTING_MIN, 1.0) ||
        !ccn__finite_in(r.norm_var_floor, CCN__SETTING_MIN, CCN__SETTING_MAX))
        return CCN_ERR_BAD_NORMALIZATION;
    if (r.n_workers < 0 || r.n_workers > CCN_MAX_WORKERS) return CCN_ERR_BAD_WORKERS;
    if (!ccn__finite_in(r.links, 0.0, CCN__SETTING_MAX)) return CCN_ERR_BAD_LINKS;
    if (r.links > 0.0) {
        double candidates = (double)(r.columns_per_stage - 1) *
                            (1.0 + (r.feature_layers > 0 ? (double)r.feature_width : 0.0));
        if (r.links > candidates) return CCN_ERR_BAD_LINKS;
    }
    *out = r;
    return CCN_OK;
}

static int ccn__gates(int kind) { return kind == CCN_TANH ? 1 : kind == CCN_GATED ? 2 : 4; }

/* a*b and a+b with overflow detection: 0 on overflow */
static int ccn__mul(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > (size_t)-1 / a) return 0;
    *out = a * b;
    return 1;
}
static int ccn__add(size_t a, size_t b, size_t *out) {
    if (b > (size_t)-1 - a) return 0;
    *out = a + b;
    return 1;
}

/* Links: inside a stage, every other column's previous state and (with feature layers) each of
   its features is a candidate, taken with probability links / (candidates of a full stage), in
   this order: for each other column j of the stage, its state, then its features 0..W-1. */
static double ccn__link_prob(const ccn_config *c) {
    double per = (double)(c->columns_per_stage - 1) * (1.0 + (c->feature_layers > 0 ? (double)c->feature_width : 0.0));
    return c->links > 0.0 ? c->links / per : 0.0;
}

/* The net's dimensions. How many links a column has sizes its parameter block, so this replays
   the link draws (same generator, same order as ccn__draw_links) to count them. 0 on overflow. */
static int ccn__dimensions(ccn_net *d) {
    const ccn_config *c = &d->cfg;
    size_t n = (size_t)c->n_columns, m = (size_t)c->n_inputs, o = (size_t)c->n_outputs, W, G, t, i, k;
    size_t dps = (size_t)c->columns_per_stage, stage_cols;
    double prob = ccn__link_prob(c);
    ccn_rng rng;
    d->n = c->n_columns;
    d->m = c->n_inputs;
    d->o = c->n_outputs;
    d->L = c->feature_layers;
    d->W = d->L > 0 ? c->feature_width : 0;
    d->G = ccn__gates(c->kind);
    d->own_len = d->W ? d->W : d->m;
    d->n_stages = (int)((n + dps - 1) / dps);
    d->in_norm = c->input_norm_rate < 1.0;
    d->feat_norm = c->feature_norm_rate < 1.0;
    W = (size_t)d->W;
    G = (size_t)d->G;
    d->feat_count = 0;
    if (d->L >= 1 && !ccn__mul(W, m + 1, &d->feat_count)) return 0;
    if (d->L == 2 && (!ccn__mul(W, W + 1, &t) || !ccn__add(d->feat_count, t, &d->feat_count))) return 0;
    d->p = 0;
    d->n_links = 0;
    d->snap_count = 0;
    if (prob > 0.0 && (double)n * (double)(dps - 1) * (double)(1 + W) > (double)CCN_MAX_LINK_DRAWS) return 0;
    ccn_rng_seed(&rng, c->seed);
    for (i = 0; i < n; ++i) {
        size_t first = i / dps * dps, nl = 0, blk, candidates;
        stage_cols = n - first < dps ? n - first : dps;
        candidates = prob > 0.0 ? (stage_cols - 1) * (1 + W) : 0;
        for (k = 0; k < candidates; ++k) nl += ccn_rng_uniform(&rng) < prob;
        d->n_links += nl;
        /* gate block: own + cascade (the columns before this stage) + links + u + b; z's length
           and the link offsets are ints */
        if (!ccn__add((size_t)d->own_len, first, &t) || !ccn__add(t, nl + 2, &t) || t > 0x7fffffff ||
            d->n_links > 0x7fffffff || !ccn__mul(t, G, &blk) ||
            !ccn__add(blk, d->feat_count, &blk) || !ccn__add(d->p, blk, &d->p))
            return 0;
        if (i == first && !ccn__add(d->snap_count, m + first, &d->snap_count)) return 0;
    }
    d->readout = d->p;
    return ccn__mul(o, n + 1, &t) && ccn__add(d->p, t, &d->p);
}

/* Lays every array of the net out in one block from `base`, each on a cache line, and returns
   the block's size (0 on overflow). With base NULL it only measures. An array of count 0 is
   absent (NULL). */
static size_t ccn__place(ccn_net *net, unsigned char *base) {
    size_t n = (size_t)net->n, m = (size_t)net->m, p = net->p, W = (size_t)net->W, fc = net->feat_count;
    size_t ns = net->cfg.kind == CCN_LSTM ? 2 : 1, at, rows = 0, jrows = 0;
    int color = net->cfg.method == CCN_COLOR, rtrl = net->cfg.method == CCN_RTRL;
    int learns = net->cfg.method != CCN_FORWARD, opt = net->cfg.optimizer;
#define CCN__PLACE(field, type, count)                                                          \
    do {                                                                                         \
        size_t bytes_;                                                                           \
        if (!ccn__mul((count), sizeof(type), &bytes_)) return 0;                                \
        if (base) net->field = bytes_ ? (type *)(void *)(base + at) : NULL;                      \
        if (!ccn__add(at, bytes_, &at) || !ccn__add(at, CCN__ALIGN - 1, &at)) return 0;         \
        at &= ~(size_t)(CCN__ALIGN - 1);                                                         \
    } while (0)
    at = (sizeof(ccn_net) + CCN__ALIGN - 1) & ~(size_t)(CCN__ALIGN - 1); /* the struct first */
    CCN__PLACE(col_off, size_t, n + 1);
    CCN__PLACE(zlen, int, n);
    CCN__PLACE(link_off, int, n + 1);
    CCN__PLACE(col_stage, int, n);
    CCN__PLACE(stage_start, int, (size_t)net->n_stages + 1);
    CCN__PLACE(snap_off, size_t, (size_t)net->n_stages);
    CCN__PLACE(links, ccn_link, net->n_links + 1); /* never NULL: every column indexes it */
    CCN__PLACE(theta, ccn_real, p);
    CCN__PLACE(grad, ccn_real, learns ? p : 0);
    CCN__PLACE(work, ccn_real, rtrl ? p : 0);
    CCN__PLACE(eh, ccn_real, color ? p : 0);
    CCN__PLACE(ec, ccn_real, color && ns == 2 ? p : 0);
    CCN__PLACE(elig, ccn_real, learns && net->cfg.learner == CCN_TD ? p : 0);
    CCN__PLACE(opt_m, ccn_real, learns && opt == CCN_ADAM ? p : 0);
    CCN__PLACE(opt_v, ccn_real, learns && opt != CCN_SGD ? p : 0);
    CCN__PLACE(h, ccn_real, n);
    CCN__PLACE(h_prev, ccn_real, n);
    CCN__PLACE(c, ccn_real, ns == 2 ? n : 0);
    CCN__PLACE(c_prev, ccn_real, ns == 2 ? n : 0);
    CCN__PLACE(hid, ccn_real, n * W);
    CCN__PLACE(phi, ccn_real, n * W);
    CCN__PLACE(hn, ccn_real, n);
    CCN__PLACE(hscale, ccn_real, n);
    CCN__PLACE(y, ccn_real, (size_t)net->o);
    CCN__PLACE(dl_dh, ccn_real, n);
    CCN__PLACE(err, ccn_real, (size_t)net->o);
    CCN__PLACE(tails, ccn_real, net->n_links + 2 * n);
    CCN__PLACE(pre, ccn_real, (size_t)net->G * n);
    CCN__PLACE(u, ccn_real, (size_t)net->G * n);
    CCN__PLACE(Bh, ccn_real, (size_t)net->G * n);
    CCN__PLACE(Bc, ccn_real, ns == 2 ? (size_t)net->G * n : 0);
    CCN__PLACE(Mhh, ccn_real, n);
    CCN__PLACE(Mhc, ccn_real, ns == 2 ? n : 0);
    CCN__PLACE(Mch, ccn_real, ns == 2 ? n : 0);
    CCN__PLACE(Mcc, ccn_real, ns == 2 ? n : 0);
    CCN__PLACE(sbuf, ccn_real, m + n);
    CCN__PLACE(fscratch, ccn_real, (2 * fc + 4 * W) * (size_t)net->cfg.n_workers);
    CCN__PLACE(in_mu, ccn_real, net->in_norm ? m + n : 0);
    CCN__PLACE(in_var, ccn_real, net->in_norm ? m + n : 0);
    CCN__PLACE(snap_mu, ccn_real, net->in_norm ? net->snap_count : 0);
    CCN__PLACE(snap_var, ccn_real, net->in_norm ? net->snap_count : 0);
    CCN__PLACE(f_mu, ccn_real, net->feat_norm ? n : 0);
    CCN__PLACE(f_var, ccn_real, net->feat_norm ? n : 0);
    if (rtrl && (!ccn__mul(n * ns, p, &rows) || !ccn__mul(n * W, fc, &jrows))) return 0;
    CCN__PLACE(S, ccn_real, rows);
    CCN__PLACE(S_new, ccn_real, rows);
    CCN__PLACE(Jphi, ccn_real, jrows);
#undef CCN__PLACE
    return ccn__add(at, CCN__ALIGN, &at) ? at : 0; /* room to align the block's start */
}

/* Resolves, validates and measures a configuration into *d (a net without its arrays). */
static ccn_result ccn__measure(const ccn_config *cfg, ccn_net *d, size_t *bytes) {
    ccn_result r;
    memset(d, 0, sizeof *d);
    if ((r = ccn_config_resolve(cfg, &d->cfg)) != CCN_OK) return r;
    if (!ccn__dimensions(d) || !(*bytes = ccn__place(d, NULL))) return CCN_ERR_TOO_LARGE;
    return CCN_OK;
}

CCN_API ccn_result ccn_memory_size(const ccn_config *cfg, size_t *out_bytes) {
    ccn_net d;
    if (!out_bytes) return CCN_ERR_NULL_ARGUMENT;
    return ccn__measure(cfg, &d, out_bytes);
}

static void ccn__draw_links(ccn_net *net) {
    double prob = ccn__link_prob(&net->cfg);
    int i, j, k, at = 0;
    for (i = 0; i < net->n; ++i) {
        int s = net->col_stage[i];
        net->link_off[i] = at;
        if (prob <= 0.0) continue;
        for (j = net->stage_start[s]; j < net->stage_start[s + 1]; ++j) {
            if (j == i) continue;
            for (k = -1; k < net->W; ++k) { /* -1: the state link, then the features */
                if (ccn_rng_uniform(&net->rng) < prob) {
                    net->links[at].type = k < 0 ? CCN_LINK_STATE : CCN_LINK_FEATURE;
                    net->links[at].column = j;
                    net->links[at].feature = k < 0 ? 0 : k;
                    ++at;
                }
            }
        }
    }
    net->link_off[net->n] = at;
}

static void ccn__fill_uniform(ccn_rng *rng, ccn_real *v, size_t count, double scale) {
    size_t k;
    for (k = 0; k < count; ++k) v[k] = (ccn_real)((2.0 * ccn_rng_uniform(rng) - 1.0) * scale);
}

static void ccn__init_params(ccn_net *net) {
    int i, q;
    double s = net->cfg.init_scale;
    for (i = 0; i < net->n; ++i) {
        ccn_real *blk = net->theta + net->col_off[i];
        size_t stride = (size_t)net->zlen[i] + 2;
        if (net->L >= 1) {
            size_t n1 = (size_t)net->W * ((size_t)net->m + 1);
            ccn__fill_uniform(&net->rng, blk, n1, s > 0 ? s : 1.0 / sqrt((double)net->m + 1.0));
            if (net->L == 2)
                ccn__fill_uniform(&net->rng, blk + n1, (size_t)net->W * ((size_t)net->W + 1),
                                  s > 0 ? s : 1.0 / sqrt((double)net->W + 1.0));
        }
        for (q = 0; q < net->G; ++q)
            ccn__fill_uniform(&net->rng, blk + net->feat_count + (size_t)q * stride, stride,
                              s > 0 ? s : 1.0 / sqrt((double)stride));
    }
    /* the readout starts at 0 (the block is zeroed) */
}

static void ccn__set(ccn_real *v, ccn_real value, size_t count) {
    size_t k;
    for (k = 0; k < count; ++k) v[k] = value;
}

static unsigned char *ccn__alloc_block(const ccn_allocator *a, size_t bytes, unsigned char **base) {
    unsigned char *block = (unsigned char *)(a->alloc ? a->alloc(bytes, a->user) : CCN_MALLOC(bytes, a->user));
    if (block) *base = block + ((CCN__ALIGN - ((uintptr_t)block & (CCN__ALIGN - 1))) & (CCN__ALIGN - 1));
    return block;
}

CCN_API ccn_result ccn_create(const ccn_config *cfg, const ccn_allocator *alloc, ccn_net **out) {
    ccn_net d, *net;
    ccn_result r;
    size_t bytes = 0, off = 0, snap = 0;
    unsigned char *block, *base = NULL;
    int i, s;
    if (!out) return CCN_ERR_NULL_ARGUMENT;
    *out = NULL;
    if ((r = ccn__measure(cfg, &d, &bytes)) != CCN_OK) return r;
    if (alloc && (!alloc->alloc || !alloc->free)) return CCN_ERR_NULL_ARGUMENT;
    if (alloc) d.alloc = *alloc;
    if (!(block = ccn__alloc_block(&d.alloc, bytes, &base))) return CCN_ERR_OUT_OF_MEMORY;
    memset(block, 0, bytes);
    net = (ccn_net *)(void *)base;
    *net = d;
    net->block = block;
    net->bytes = bytes;
    ccn__place(net, base);
    net->alpha = (ccn_real)net->cfg.step_size;
    net->adam_b1t = net->adam_b2t = CCN_R(1);

    for (s = 0; s <= net->n_stages; ++s) {
        int first = s * net->cfg.columns_per_stage;
        net->stage_start[s] = first < net->n ? first : net->n;
    }
    for (s = 0; s < net->n_stages; ++s) {
        net->snap_off[s] = snap;
        snap += (size_t)net->m + (size_t)net->stage_start[s];
        for (i = net->stage_start[s]; i < net->stage_start[s + 1]; ++i) net->col_stage[i] = s;
    }
    ccn_rng_seed(&net->rng, net->cfg.seed);
    ccn__draw_links(net);
    for (i = 0; i < net->n; ++i) {
        net->zlen[i] = net->own_len + net->stage_start[net->col_stage[i]] + net->link_off[i + 1] - net->link_off[i];
        net->col_off[i] = off;
        off += net->feat_count + (size_t)net->G * ((size_t)net->zlen[i] + 2);
    }
    net->col_off[net->n] = off;
    CCN_ASSERT(off == net->readout);
    ccn__init_params(net);
    if (net->opt_v && net->cfg.optimizer == CCN_RMSPROP) ccn__set(net->opt_v, CCN_R(1), net->p);
    if (net->in_var) {
        ccn__set(net->in_var, CCN_R(1), (size_t)net->m + (size_t)net->n);
        ccn__set(net->snap_var, CCN_R(1), net->snap_count);
    }
    if (net->f_var) ccn__set(net->f_var, CCN_R(1), (size_t)net->n);
    ccn__set(net->hscale, CCN_R(1), (size_t)net->n);
    *out = net;
    return CCN_OK;
}

CCN_API void ccn_destroy(ccn_net *net) {
    if (!net) return;
    if (net->alloc.free) net->alloc.free(net->block, net->bytes, net->alloc.user);
    else CCN_FREE(net->block, net->alloc.user);
}

CCN_API ccn_result ccn_copy(const ccn_net *src, const ccn_allocator *alloc, ccn_net **out) {
    unsigned char *block, *base = NULL;
    ccn_allocator a;
    ccn_net *net;
    if (!out) return CCN_ERR_NULL_ARGUMENT;
    *out = NULL;
    if (!src || (alloc && (!alloc->alloc || !alloc->free))) return CCN_ERR_NULL_ARGUMENT;
    a = alloc ? *alloc : src->alloc;
    if (!(block = ccn__alloc_block(&a, src->bytes, &base))) return CCN_ERR_OUT_OF_MEMORY;
    memcpy(base, src, src->bytes - CCN__ALIGN); /* the laid-out part: everything but the slack */
    net = (ccn_net *)(void *)base;
    net->alloc = a;
    net->block = block;
    ccn__place(net, base);
    if (src->S && (const unsigned char *)src->S - (const unsigned char *)src !=
                      (unsigned char *)net->S - base) { /* the source's RTRL buffers are swapped */
        ccn_real *t = net->S;
        net->S = net->S_new;
        net->S_new = t;
    }
    *out = net;
    return CCN_OK;
}

CCN_API const ccn_config *ccn_get_config(const ccn_net *net) { return &net->cfg; }

/* ============================================================================================
   1. Normalisation. A stage reads [x ; h of earlier stages] through its statistics: the live
   ones (inputs, then every column) while it learns, the copy it froze with afterwards.
   ============================================================================================ */

/* The statistics stage k reads: m + stage_start[k] means and variances. */
static void ccn__stage_stats(const ccn_net *net, int k, const ccn_real **mu, const ccn_real **var) {
    if (k < net->stage) {
        *mu = net->snap_mu + net->snap_off[k];
        *var = net->snap_var + net->snap_off[k];
    } else {
        *mu = net->in_mu;
        *var = net->in_var;
    }
}

/* Stage k's inputs: *xin the m inputs, *casc the cascade (h of columns 0 .. stage_start[k]).
   The learning stage always gets them contiguous in sbuf (one segment for its loops). */
static void ccn__stage_inputs(ccn_net *net, int k, const ccn_real *x, const ccn_real **xin,
                              const ccn_real **casc) {
    const ccn_real *mu, *var;
    int j, m = net->m, nc = net->stage_start[k];
    if (!net->in_norm && k < net->stage) {
        *xin = x;
        *casc = net->h;
        return;
    }
    if (!net->in_norm) {
        memcpy(net->sbuf, x, (size_t)m * sizeof(ccn_real));
        memcpy(net->sbuf + m, net->h, (size_t)nc * sizeof(ccn_real));
        *xin = net->sbuf;
        *casc = net->sbuf + m;
        return;
    }
    ccn__stage_stats(net, k, &mu, &var);
    for (j = 0; j < m; ++j) net->sbuf[j] = (x[j] - mu[j]) / CCN__SQRT(var[j]);
    for (j = 0; j < nc; ++j) net->sbuf[m + j] = (net->h[j] - mu[m + j]) / CCN__SQRT(var[m + j]);
    *xin = net->sbuf;
    *casc = net->sbuf + m;
}

/* mu <- r mu + (1-r) v;  var <- max(r var + (1-r)(v - mu)^2, floor), with the new mu */
static void ccn__absorb(ccn_real *CCN__RESTRICT mu, ccn_real *CCN__RESTRICT var, const ccn_real *CCN__RESTRICT v,
                        int count, ccn_real r, ccn_real floor_) {
    ccn_real q = CCN_R(1) - r;
    int j;
    for (j = 0; j < count; ++j) {
        ccn_real d, nv;
        mu[j] = r * mu[j] + q * v[j];
        d = v[j] - mu[j];
        nv = r * var[j] + q * d * d;
        var[j] = nv > floor_ ? nv : floor_;
    }
}

/* ============================================================================================
   2. Features: the private ReLU layers. phi = relu(W2 relu(W1 x + b1) + b2), or one layer.
   ccn__feature_vjp is the one definition of their derivative: sum_k g[k] dphi[k]/dtheta.
   ColoR uses it with the gate-weighted g; exact RTRL uses it with unit vectors (Jacobian rows).
   ============================================================================================ */

/* A dot product in 16 independent lanes (so the compiler can vectorise it without reordering
   anything itself), summed in a fixed tree: the same bits whatever the vector width. */
#define CCN__LANES 16
static ccn_real ccn__dot(const ccn_real *CCN__RESTRICT a, const ccn_real *CCN__RESTRICT b, int len) {
    ccn_real acc[CCN__LANES] = {0}, s = 0;
    int k = 0, j, w;
    if (len < CCN__LANES) { /* short segments (the tail, small fan-in): four chains, no lanes */
        ccn_real s1 = 0, s2 = 0, s3 = 0;
        for (; k + 4 <= len; k += 4) {
            s += a[k] * b[k];
            s1 += a[k + 1] * b[k + 1];
            s2 += a[k + 2] * b[k + 2];
            s3 += a[k + 3] * b[k + 3];
        }
        for (; k < len; ++k) s += a[k] * b[k];
        return (s + s1) + (s2 + s3);
    }
    for (; k + CCN__LANES <= len; k += CCN__LANES)
        for (j = 0; j < CCN__LANES; ++j) acc[j] += a[k + j] * b[k + j];
    for (w = CCN__LANES / 2; w > 0; w /= 2)
        for (j = 0; j < w; ++j) acc[j] += acc[j + w];
    for (s = acc[0]; k < len; ++k) s += a[k] * b[k];
    return s;
}

static void ccn__feature_forward(ccn_net *net, int col, const ccn_real *x) {
    size_t W = (size_t)net->W, m = (size_t)net->m, k;
    const ccn_real *w = net->theta + net->col_off[col], *b1 = w + W * m;
    ccn_real *hid = net->hid + (size_t)col * W, *phi = net->phi + (size_t)col * W;
    ccn_real *first = net->L == 2 ? hid : phi;
    for (k = 0; k < W; ++k) {
        ccn_real a = ccn__dot(w + k * m, x, (int)m) + b1[k];
        first[k] = a > 0 ? a : CCN_R(0);
    }
    if (net->L == 2) {
        const ccn_real *w2 = b1 + W, *b2 = w2 + W * W;
        for (k = 0; k < W; ++k) {
            ccn_real a = ccn__dot(w2 + k * W, hid, (int)W) + b2[k];
            phi[k] = a > 0 ? a : CCN_R(0);
        }
    }
}

/* out[0..feat_count) = sum_k g[k] * dphi_col[k] / d(feature params of col). d1 is W scratch. */
static void ccn__feature_vjp(const ccn_net *net, int col, const ccn_real *x, const ccn_real *g,
                             ccn_real *CCN__RESTRICT out, ccn_real *CCN__RESTRICT d1) {
    size_t W = (size_t)net->W, m = (size_t)net->m, n1 = W * m, k, l;
    const ccn_real *w = net->theta + net->col_off[col];
    const ccn_real *hid = net->hid + (size_t)col * W, *phi = net->phi + (size_t)col * W;
    if (net->L == 1) {
        for (k = 0; k < W; ++k) d1[k] = phi[k] > 0 ? g[k] : CCN_R(0);
    } else {
        const ccn_real *w2 = w + n1 + W;
        ccn_real *o2 = out + n1 + W; /* W2, then b2 */
        for (k = 0; k < W; ++k) d1[k] = 0;
        for (k = 0; k < W; ++k) {
            ccn_real d2 = phi[k] > 0 ? g[k] : CCN_R(0);
            for (l = 0; l < W; ++l) {
                o2[k * W + l] = d2 * hid[l];
                d1[l] += d2 * w2[k * W + l];
            }
            o2[W * W + k] = d2;
        }
        for (l = 0; l < W; ++l) d1[l] = hid[l] > 0 ? d1[l] : CCN_R(0);
    }
    for (k = 0; k < W; ++k) {
        ccn_real *row = out + k * m;
        for (l = 0; l < m; ++l) row[l] = d1[k] * x[l];
        out[n1 + k] = d1[k];
    }
}

/* ============================================================================================
   3. Columns. Each kind's kernel maps the gate pre-activations a[] and the previous own state
   (h', c') to the new state, and returns the local derivatives both gradient methods are built
   on (the one definition of each kind's derivative):
     B[q] = (dh/da_q, dc/da_q)        with the previous state held fixed
     M    = (dh/dh', dh/dc', dc/dh', dc/dc')   through every path inside the column, u included
   so that for any parameter theta, with D_q(theta) = d a_q / d theta holding the own previous
   state fixed:  d s/d theta = M d s'/d theta + sum_q B[q] D_q(theta).
   ============================================================================================ */

typedef struct ccn__local {
    ccn_real Bh[4], Bc[4];          /* per gate                                             */
    ccn_real hh, hc, ch, cc;        /* M                                                    */
} ccn__local;

/* exp from IEEE arithmetic alone (no libm): x = k ln2 + r with |r| <= ln2/2 (Cody-Waite
   split of ln2), e^r by its Taylor series to r^7 (float) or r^13 (double), truncation under
   0.1 ulp, then 2^k put into the exponent bits. Branch-free, so loops over columns vectorise,
   and the same bits on every platform (compiled without FMA contraction differences). The
   argument is clamped to the normal range: exp(-87..88) in float, exp(-708..709) in double.
   Measured within 2 ulp of libm's exp (tests/test_core.c). */
#ifdef CCN_DOUBLE
typedef uint64_t ccn__bits;
#define CCN__EXP_LO (-708.0)
#define CCN__EXP_HI 709.0
#define CCN__ROUND_MAGIC 6755399441055744.0 /* 1.5 x 2^52: adding it rounds to an integer */
#define CCN__LN2_HI 6.93147180369123816490e-01
#define CCN__LN2_LO 1.90821492927058770002e-10
#define CCN__MANT 52
#define CCN__BIAS 1023
#else
typedef uint32_t ccn__bits;
#define CCN__EXP_LO (-87.0f)
#define CCN__EXP_HI 88.0f
#define CCN__ROUND_MAGIC 12582912.0f /* 1.5 x 2^23 */
#define CCN__LN2_HI 0.693145751953125f
#define CCN__LN2_LO 1.428606765330187045e-06f
#define CCN__MANT 23
#define CCN__BIAS 127
#endif

CCN__INLINE ccn_real ccn__exp(ccn_real x) {
    ccn_real t, k, r, p, scale;
    ccn__bits bits;
    x = x < CCN__EXP_LO ? CCN__EXP_LO : x > CCN__EXP_HI ? CCN__EXP_HI : x;
    t = x * CCN_R(1.44269504088896340736) + CCN__ROUND_MAGIC;
    k = t - CCN__ROUND_MAGIC; /* x / ln2, rounded to the nearest integer */
    r = x - k * CCN__LN2_HI;
    r = r - k * CCN__LN2_LO;
#ifdef CCN_DOUBLE
    p = CCN_R(1.0 / 6227020800.0);
    p = p * r + CCN_R(1.0 / 479001600.0);
    p = p * r + CCN_R(1.0 / 39916800.0);
    p = p * r + CCN_R(1.0 / 3628800.0);
    p = p * r + CCN_R(1.0 / 362880.0);
    p = p * r + CCN_R(1.0 / 40320.0);
    p = p * r + CCN_R(1.0 / 5040.0);
#else
    p = CCN_R(1.0 / 5040.0);
#endif
    p = p * r + CCN_R(1.0 / 720.0);
    p = p * r + CCN_R(1.0 / 120.0);
    p = p * r + CCN_R(1.0 / 24.0);
    p = p * r + CCN_R(1.0 / 6.0);
    p = p * r + CCN_R(0.5);
    p = p * r + CCN_R(1.0);
    p = p * r + CCN_R(1.0);
    bits = (ccn__bits)((ccn__bits)((int)k + CCN__BIAS) << CCN__MANT);
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

CCN__INLINE ccn_real ccn__sigmoid(ccn_real a) { return CCN_R(1) / (CCN_R(1) + ccn__exp(-a)); }

/* tanh through one exp: 1 - 2 / (e^2|x| + 1); below |x| = 0.25, where that form cancels,
   e^2x - 1 = y + y^2/2! + ... (y = 2|x|, to y^8 in float, y^14 in double: truncation under 0.1
   ulp) and tanh = (e^2x - 1) / (e^2x + 1). Branch-free. Measured within 3 ulp of libm's tanh
   in either precision (tests/test_core.c). */
CCN__INLINE ccn_real ccn__tanh(ccn_real a) {
    ccn_real x = a < 0 ? -a : a, y = CCN_R(2) * x, far, em, t;
    far = CCN_R(1) - CCN_R(2) / (ccn__exp(y) + CCN_R(1));
#ifdef CCN_DOUBLE
    em = CCN_R(1.0 / 1307674368000.0);
    em = em * y + CCN_R(1.0 / 87178291200.0);
    em = em * y + CCN_R(1.0 / 6227020800.0);
    em = em * y + CCN_R(1.0 / 479001600.0);
    em = em * y + CCN_R(1.0 / 39916800.0);
    em = em * y + CCN_R(1.0 / 3628800.0);
    em = em * y + CCN_R(1.0 / 362880.0);
#else
    em = CCN_R(1.0 / 362880.0);
#endif
    em = em * y + CCN_R(1.0 / 40320.0);
    em = em * y + CCN_R(1.0 / 5040.0);
    em = em * y + CCN_R(1.0 / 720.0);
    em = em * y + CCN_R(1.0 / 120.0);
    em = em * y + CCN_R(1.0 / 24.0);
    em = em * y + CCN_R(1.0 / 6.0);
    em = em * y + CCN_R(0.5);
    em = (em * y + CCN_R(1)) * y;
    t = x < CCN_R(0.25) ? em / (em + CCN_R(2)) : far;
    return a < 0 ? -t : t;
}

/* The cells of columns [c0, c1): from net->pre and net->u (gate-major, G x n) and the previous
   state to the new state and the local derivatives (net->Bh, Bc, Mhh, Mhc, Mch, Mcc). Loops
   over columns, so they vectorise across columns. */
static void ccn__tanh_cells(ccn_net *net, int c0, int c1) {
    const ccn_real *CCN__RESTRICT a = net->pre, *CCN__RESTRICT u = net->u;
    ccn_real *CCN__RESTRICT h = net->h, *CCN__RESTRICT B = net->Bh, *CCN__RESTRICT M = net->Mhh;
    size_t i;
    for (i = (size_t)c0; i < (size_t)c1; ++i) { /* h = tanh(a) */
        ccn_real hn = ccn__tanh(a[i]), da = CCN_R(1) - hn * hn;
        h[i] = hn;
        B[i] = da;
        M[i] = da * u[i];
    }
}

static void ccn__gated_cells(ccn_net *net, int c0, int c1) {
    size_t n = (size_t)net->n;
    const ccn_real *CCN__RESTRICT af = net->pre, *CCN__RESTRICT ag = net->pre + n;
    const ccn_real *CCN__RESTRICT uf = net->u, *CCN__RESTRICT ug = net->u + n, *CCN__RESTRICT hprev = net->h_prev;
    ccn_real *CCN__RESTRICT h = net->h, *CCN__RESTRICT Bf = net->Bh, *CCN__RESTRICT Bg = net->Bh + n;
    ccn_real *CCN__RESTRICT M = net->Mhh;
    size_t i;
    int ff = net->cfg.feedforward;
    for (i = (size_t)c0; i < (size_t)c1; ++i) { /* f = sigma(a_f), g = tanh(a_g), h = f h' + (1 - f) g */
        ccn_real f = ccn__sigmoid(af[i]), g = ccn__tanh(ag[i]), hp = ff ? CCN_R(0) : hprev[i];
        ccn_real bf = (hp - g) * f * (CCN_R(1) - f), bg = (CCN_R(1) - f) * (CCN_R(1) - g * g);
        h[i] = f * hp + (CCN_R(1) - f) * g;
        Bf[i] = bf;
        Bg[i] = bg;
        M[i] = f + bf * uf[i] + bg * ug[i];
    }
}

static void ccn__lstm_cells(ccn_net *net, int c0, int c1) {
    size_t n = (size_t)net->n;
    const ccn_real *CCN__RESTRICT a = net->pre, *CCN__RESTRICT u = net->u, *CCN__RESTRICT cprev = net->c_prev;
    ccn_real *CCN__RESTRICT h = net->h, *CCN__RESTRICT c = net->c, *CCN__RESTRICT Bh = net->Bh, *CCN__RESTRICT Bc = net->Bc;
    ccn_real *CCN__RESTRICT hh = net->Mhh, *CCN__RESTRICT hc = net->Mhc, *CCN__RESTRICT ch = net->Mch, *CCN__RESTRICT cc = net->Mcc;
    size_t i;
    int ff = net->cfg.feedforward;
    for (i = (size_t)c0; i < (size_t)c1; ++i) { /* gates i f o g: c = f c' + i g, h = o tanh(c) */
        ccn_real gi = ccn__sigmoid(a[i]), gf = ccn__sigmoid(a[n + i]), go = ccn__sigmoid(a[2 * n + i]);
        ccn_real gg = ccn__tanh(a[3 * n + i]), cp = ff ? CCN_R(0) : cprev[i], cn = gf * cp + gi * gg, tc = ccn__tanh(cn);
        ccn_real dh_dc = go * (CCN_R(1) - tc * tc), dh_dao = tc * go * (CCN_R(1) - go);
        ccn_real bi = gg * gi * (CCN_R(1) - gi), bf = cp * gf * (CCN_R(1) - gf), bg = gi * (CCN_R(1) - gg * gg);
        ccn_real dc_dh = bi * u[i] + bf * u[n + i] + bg * u[3 * n + i];
        c[i] = cn;
        h[i] = go * tc;
        Bc[i] = bi;
        Bc[n + i] = bf;
        Bc[2 * n + i] = 0;
        Bc[3 * n + i] = bg;
        Bh[i] = dh_dc * bi;
        Bh[n + i] = dh_dc * bf;
        Bh[2 * n + i] = dh_dao;
        Bh[3 * n + i] = dh_dc * bg;
        cc[i] = gf;
        ch[i] = dc_dh;
        hc[i] = dh_dc * gf;
        hh[i] = dh_dc * dc_dh + dh_dao * u[2 * n + i];
    }
}

/* One column's local derivatives, gathered for its trace update. */
static void ccn__local_of(const ccn_net *net, int col, ccn__local *d) {
    size_t n = (size_t)net->n;
    int q;
    memset(d, 0, sizeof *d);
    for (q = 0; q < net->G; ++q) {
        d->Bh[q] = net->Bh[(size_t)q * n + (size_t)col];
        if (net->Bc) d->Bc[q] = net->Bc[(size_t)q * n + (size_t)col];
    }
    d->hh = net->Mhh[col];
    if (net->Mhc) {
        d->hc = net->Mhc[col];
        d->ch = net->Mch[col];
        d->cc = net->Mcc[col];
    }
}

/* A column's input z in three contiguous segments: own (x~ or the features), cascade (the
   earlier stages' states, normalised), tail ([link values ; h' ; 1], the column's own slice
   of net->tails). A gate block [w ; u ; b] lines up with [own ; cascade ; tail] entry for entry. */
typedef struct ccn__z {
    const ccn_real *own, *casc, *tail;
    int own_len, casc_len, tail_len;
} ccn__z;

/* A column's gate pre-activations (and its self-weights) into net->pre and net->u; its tail
   (link values, h', 1) into its slice of net->tails. */
static void ccn__column_preact(ccn_net *net, int col, const ccn__z *z) {
    const ccn_real *blk = net->theta + net->col_off[col] + net->feat_count;
    size_t stride = (size_t)net->zlen[col] + 2, n = (size_t)net->n;
    int ff = net->cfg.feedforward, q, k, n_links = z->tail_len - 2;
    const ccn_link *lk = net->links + net->link_off[col];
    ccn_real *tail = (ccn_real *)z->tail;
    for (k = 0; k < n_links; ++k)
        tail[k] = lk[k].type == CCN_LINK_STATE
                      ? net->h_prev[lk[k].column]
                      : net->phi[(size_t)lk[k].column * (size_t)net->W + (size_t)lk[k].feature];
    tail[n_links] = ff ? CCN_R(0) : net->h_prev[col];
    tail[n_links + 1] = 1;
    for (q = 0; q < net->G; ++q) {
        const ccn_real *w = blk + (size_t)q * stride;
        net->pre[(size_t)q * n + (size_t)col] = ccn__dot(w, z->own, z->own_len) +
                                                ccn__dot(w + z->own_len, z->casc, z->casc_len) +
                                                ccn__dot(w + z->own_len + z->casc_len, tail, z->tail_len);
        net->u[(size_t)q * n + (size_t)col] = ff ? CCN_R(0) : w[stride - 2];
    }
}

/* Column i's z: the stage's shared segments and its own features and tail. Inputs and cascade
   that lie contiguous become one segment. */
static void ccn__z_of(const ccn_net *net, int col, const ccn_real *xin, const ccn_real *casc, int casc_len, ccn__z *z) {
    z->own = net->L ? net->phi + (size_t)col * (size_t)net->W : xin;
    z->own_len = net->own_len;
    z->casc = casc;
    z->casc_len = casc_len;
    if (!net->L && casc == xin + net->m) {
        z->own_len += casc_len;
        z->casc_len = 0;
    }
    z->tail = net->tails + net->link_off[col] + 2 * col;
    z->tail_len = net->link_off[col + 1] - net->link_off[col] + 2;
}

/* ============================================================================================
   4. ColoR: the own-column trace update, e(t) = M e(t-1) + sum_q B[q] D_q, every foreign input
   (cascade, links) a constant. For a gate's block the direct term is z itself, so each block is
   three contiguous loops (own, cascade, tail).
   ============================================================================================ */

static void ccn__trace1(ccn_real *CCN__RESTRICT e, const ccn_real *CCN__RESTRICT z, int len,
                        ccn_real mhh, ccn_real b) {
    int k;
    for (k = 0; k < len; ++k) e[k] = mhh * e[k] + b * z[k];
}

static void ccn__trace2(ccn_real *CCN__RESTRICT eh, ccn_real *CCN__RESTRICT ec,
                        const ccn_real *CCN__RESTRICT z, int len, const ccn__local *d, int q) {
    ccn_real hh = d->hh, hc = d->hc, ch = d->ch, cc = d->cc, bh = d->Bh[q], bc = d->Bc[q];
    int k;
    for (k = 0; k < len; ++k) {
        ccn_real H = eh[k], C = ec[k];
        eh[k] = hh * H + hc * C + bh * z[k];
        ec[k] = ch * H + cc * C + bc * z[k];
    }
}

/* The same two, with TD's eligibility of the previous step folded into the pass:
   E <- decay E + c e(t-1), then the trace update. */
static void ccn__trace1_elig(ccn_real *CCN__RESTRICT e, ccn_real *CCN__RESTRICT E, const ccn_real *CCN__RESTRICT z,
                             int len, ccn_real mhh, ccn_real b, ccn_real decay, ccn_real c) {
    int k;
    for (k = 0; k < len; ++k) {
        E[k] = decay * E[k] + c * e[k];
        e[k] = mhh * e[k] + b * z[k];
    }
}

static void ccn__trace2_elig(ccn_real *CCN__RESTRICT eh, ccn_real *CCN__RESTRICT ec, ccn_real *CCN__RESTRICT E,
                             const ccn_real *CCN__RESTRICT z, int len, const ccn__local *d, int q, ccn_real decay,
                             ccn_real c) {
    ccn_real hh = d->hh, hc = d->hc, ch = d->ch, cc = d->cc, bh = d->Bh[q], bc = d->Bc[q];
    int k;
    for (k = 0; k < len; ++k) {
        ccn_real H = eh[k], C = ec[k];
        E[k] = decay * E[k] + c * H;
        eh[k] = hh * H + hc * C + bh * z[k];
        ec[k] = ch * H + cc * C + bc * z[k];
    }
}

static void ccn__color_update(ccn_net *net, int col, const ccn__z *z, const ccn_real *xin,
                              const ccn__local *d, int worker) {
    size_t off = net->col_off[col], stride = (size_t)net->zlen[col] + 2, fc = net->feat_count, k;
    int q, s, two = net->ec != NULL;
    ccn_real *eh = net->eh + off, *ec = two ? net->ec + off : NULL;
    ccn_real *E = net->elig_fused ? net->elig + off : NULL, decay = net->elig_decay, c = net->dl_dh[col];
    if (E) /* TD: the eligibility takes this column's traces of the previous step first */
        for (k = 0; k < fc; ++k) E[k] = decay * E[k] + c * eh[k];
    if (fc) { /* feature parameters: the immediate term goes through phi_col */
        const ccn_real *blk = net->theta + off + fc;
        ccn_real *imm_h = net->fscratch + (2 * fc + 4 * (size_t)net->W) * (size_t)worker, *imm_c = imm_h + fc;
        ccn_real *gh = imm_c + fc, *gc = gh + net->W, *d1 = gc + net->W;
        int j;
        for (j = 0; j < net->W; ++j) {
            ccn_real sh = 0, sc = 0;
            for (q = 0; q < net->G; ++q) {
                sh += d->Bh[q] * blk[(size_t)q * stride + (size_t)j];
                sc += d->Bc[q] * blk[(size_t)q * stride + (size_t)j];
            }
            gh[j] = sh;
            gc[j] = sc;
        }
        ccn__feature_vjp(net, col, xin, gh, imm_h, d1);
        if (two) {
            ccn__feature_vjp(net, col, xin, gc, imm_c, d1);
            for (k = 0; k < fc; ++k) {
                ccn_real H = eh[k], C = ec[k];
                eh[k] = d->hh * H + d->hc * C + imm_h[k];
                ec[k] = d->ch * H + d->cc * C + imm_c[k];
            }
        } else {
            for (k = 0; k < fc; ++k) eh[k] = d->hh * eh[k] + imm_h[k];
        }
    }
    for (q = 0; q < net->G; ++q) {
        const ccn_real *seg[3];
        int len[3];
        size_t b = fc + (size_t)q * stride;
        seg[0] = z->own, len[0] = z->own_len;
        seg[1] = z->casc, len[1] = z->casc_len;
        seg[2] = z->tail, len[2] = z->tail_len;
        for (s = 0; s < 3; ++s) {
            if (E && two) ccn__trace2_elig(eh + b, ec + b, E + b, seg[s], len[s], d, q, decay, c);
            else if (E) ccn__trace1_elig(eh + b, E + b, seg[s], len[s], d->hh, d->Bh[q], decay, c);
            else if (two) ccn__trace2(eh + b, ec + b, seg[s], len[s], d, q);
            else ccn__trace1(eh + b, seg[s], len[s], d->hh, d->Bh[q]);
            b += (size_t)len[s];
        }
    }
}

/* ============================================================================================
   5. Exact RTRL, the reference: S(t) = dF/dtheta + dF/ds(t-1) S(t-1) for every state of the
   learning stage and every learning parameter, built from the same local derivatives (M, B) as
   ColoR plus every foreign path: state links through S(t-1), feature links and own features
   through the feature Jacobians. Frozen parameters are constants, so the cascade (earlier,
   frozen stages) contributes nothing, and the rows need only the learning stage's range.
   ============================================================================================ */

static void ccn__axpy(ccn_real *CCN__RESTRICT y, const ccn_real *CCN__RESTRICT x, ccn_real a, size_t len) {
    size_t k;
    if (a == 0) return;
    for (k = 0; k < len; ++k) y[k] += a * x[k];
}

static void ccn__rtrl_features(ccn_net *net, int c0, int c1, const ccn_real *xin) {
    size_t fc = net->feat_count;
    ccn_real *g = net->fscratch, *d1 = g + net->W;
    int j, k, l;
    for (j = c0; j < c1; ++j)
        for (k = 0; k < net->W; ++k) {
            for (l = 0; l < net->W; ++l) g[l] = (ccn_real)(l == k);
            ccn__feature_vjp(net, j, xin, g, net->Jphi + ((size_t)j * (size_t)net->W + (size_t)k) * fc, d1);
        }
}

static void ccn__rtrl_update(ccn_net *net, int col, const ccn__z *z, const ccn__local *d) {
    size_t p = net->p, off = net->col_off[col], fc = net->feat_count, stride = (size_t)net->zlen[col] + 2;
    int cur = net->stage, n = net->n, two = net->c != NULL, s, ns = two ? 2 : 1, q, k;
    size_t P0 = net->col_off[net->stage_start[cur]], P1 = net->col_off[net->stage_start[cur + 1]], len = P1 - P0;
    int own_len = z->own_len, n_links = z->tail_len - 2, at_links = own_len + z->casc_len;
    const ccn_real *blk = net->theta + off + fc;
    const ccn_link *lk = net->links + net->link_off[col];
    for (s = 0; s < ns; ++s) {
        ccn_real *row = net->S_new + (size_t)(s * n + col) * p;
        const ccn_real *Bq = s == 0 ? d->Bh : d->Bc;
        const ccn_real *prev_h = net->S + (size_t)col * p + P0;
        ccn_real mh = s == 0 ? d->hh : d->ch, mc = s == 0 ? d->hc : d->cc;
        size_t t;
        /* through the own previous state */
        for (t = 0; t < len; ++t) row[P0 + t] = mh * prev_h[t];
        if (two) ccn__axpy(row + P0, net->S + (size_t)(n + col) * p + P0, mc, len);
        /* direct terms: the gate blocks read [own ; cascade ; tail] */
        for (q = 0; q < net->G; ++q) {
            ccn_real *r = row + off + fc + (size_t)q * stride;
            for (k = 0; k < own_len; ++k) r[k] += Bq[q] * z->own[k];
            for (k = 0; k < z->casc_len; ++k) r[own_len + k] += Bq[q] * z->casc[k];
            for (k = 0; k < z->tail_len; ++k) r[at_links + k] += Bq[q] * z->tail[k];
        }
        /* own features: dphi_col/dtheta through every gate's weight on them */
        if (fc)
            for (k = 0; k < own_len; ++k) {
                ccn_real coef = 0;
                for (q = 0; q < net->G; ++q) coef += Bq[q] * blk[(size_t)q * stride + (size_t)k];
                ccn__axpy(row + off, net->Jphi + ((size_t)col * (size_t)net->W + (size_t)k) * fc, coef, fc);
            }
        /* links: foreign states through S(t-1), foreign features through their Jacobians */
        for (k = 0; k < n_links; ++k) {
            ccn_real coef = 0;
            int j = lk[k].column;
            for (q = 0; q < net->G; ++q) coef += Bq[q] * blk[(size_t)q * stride + (size_t)(at_links + k)];
            if (lk[k].type == CCN_LINK_STATE) ccn__axpy(row + P0, net->S + (size_t)j * p + P0, coef, len);
            else
                ccn__axpy(row + net->col_off[j],
                          net->Jphi + ((size_t)j * (size_t)net->W + (size_t)lk[k].feature) * fc, coef, fc);
        }
    }
}

/* ============================================================================================
   6. One step: the stages in order (normalised inputs, features, columns and the learning
   stage's traces), the readout, then the statistics.
   ============================================================================================ */

static void ccn__start_stage(ccn_net *net);

/* The column work of a stage, in phases, each over chunks of columns that may run in parallel:
   every column's work reads shared inputs and writes only its own state and arrays. */
enum { CCN__PHASE_FEATURES, CCN__PHASE_PREACT, CCN__PHASE_CELLS, CCN__PHASE_TRACES, CCN__PHASE_UPDATE };

typedef struct ccn__job {
    ccn_net *net;
    int phase, c0, c1, chunk;
    const ccn_real *xin, *casc;
    const ccn_real *src, *col_coef; /* the update phase: direction and per-column coefficient */
    ccn_real coef, alpha;
} ccn__job;

static void ccn__apply(ccn_net *net, size_t k0, size_t count, const ccn_real *CCN__RESTRICT src,
                       ccn_real coef, ccn_real alpha);

static void ccn__task(void *ctx, int task, int worker) {
    ccn__job *job = (ccn__job *)ctx;
    ccn_net *net = job->net;
    int a = job->c0 + task * job->chunk, b = a + job->chunk < job->c1 ? a + job->chunk : job->c1, i;
    ccn__z z;
    ccn__local d;
    switch (job->phase) {
    case CCN__PHASE_FEATURES:
        if (net->L)
            for (i = a; i < b; ++i) ccn__feature_forward(net, i, job->xin);
        break;
    case CCN__PHASE_PREACT:
        for (i = a; i < b; ++i) {
            ccn__z_of(net, i, job->xin, job->casc, job->c0, &z);
            ccn__column_preact(net, i, &z);
        }
        break;
    case CCN__PHASE_CELLS:
        switch (net->cfg.kind) {
        case CCN_TANH: ccn__tanh_cells(net, a, b); break;
        case CCN_GATED: ccn__gated_cells(net, a, b); break;
        default: ccn__lstm_cells(net, a, b); break;
        }
        break;
    case CCN__PHASE_TRACES:
        for (i = a; i < b; ++i) {
            ccn__z_of(net, i, job->xin, job->casc, job->c0, &z);
            ccn__local_of(net, i, &d);
            ccn__color_update(net, i, &z, job->xin, &d, worker);
        }
        break;
    default: /* CCN__PHASE_UPDATE */
        if (job->col_coef)
            for (i = a; i < b; ++i)
                ccn__apply(net, net->col_off[i], net->col_off[i + 1] - net->col_off[i], job->src + net->col_off[i],
                           job->coef * job->col_coef[i], job->alpha);
        else
            ccn__apply(net, net->col_off[a], net->col_off[b] - net->col_off[a], job->src + net->col_off[a], job->coef,
                       job->alpha);
        break;
    }
}

/* Runs one phase over the job's columns: through the caller's parallel-for when there is one
   and more than one chunk, else in order on worker 0. */
static void ccn__run(ccn_net *net, ccn__job *job, int phase) {
    int cols = job->c1 - job->c0, workers = net->cfg.n_workers, tasks, t;
    job->net = net;
    job->phase = phase;
    job->chunk = net->parallel && workers > 1 ? (cols + 4 * workers - 1) / (4 * workers) : cols;
    if (job->chunk < 16) job->chunk = 16;
    tasks = (cols + job->chunk - 1) / job->chunk;
    if (net->parallel && tasks > 1) net->parallel(net->parallel_user, tasks, ccn__task, job);
    else
        for (t = 0; t < tasks; ++t) ccn__task(job, t, 0);
}

CCN_API void ccn_set_parallel(ccn_net *net, ccn_parallel_fn fn, void *user) {
    CCN_ASSERT(net);
    net->parallel = fn;
    net->parallel_user = user;
}

CCN_API void ccn_step(ccn_net *net, const ccn_real *x, ccn_real *y) {
    int k, i, r, n_act, learning = net->cfg.method != CCN_FORWARD;
    ccn__local d;
    ccn__job job;
    CCN_ASSERT(net && x);
    if (net->cfg.steps_per_stage > 0 && net->steps > 0 && net->stage + 1 < net->n_stages &&
        net->steps % (uint64_t)net->cfg.steps_per_stage == 0)
        ccn__start_stage(net);
    n_act = net->stage_start[net->stage + 1];
    memcpy(net->h_prev, net->h, (size_t)n_act * sizeof(ccn_real));
    if (net->c) memcpy(net->c_prev, net->c, (size_t)n_act * sizeof(ccn_real));
    for (k = 0; k <= net->stage; ++k) {
        int c0 = net->stage_start[k], c1 = net->stage_start[k + 1], learns = learning && k == net->stage;
        const ccn_real *xin, *casc;
        ccn__z z;
        ccn__stage_inputs(net, k, x, &xin, &casc);
        job.xin = xin;
        job.casc = casc;
        job.c0 = c0;
        job.c1 = c1;
        ccn__run(net, &job, CCN__PHASE_FEATURES);
        if (learns && net->S && net->L) ccn__rtrl_features(net, c0, c1, xin);
        ccn__run(net, &job, CCN__PHASE_PREACT);
        ccn__run(net, &job, CCN__PHASE_CELLS);
        if (!learns) continue;
        if (net->eh) ccn__run(net, &job, CCN__PHASE_TRACES);
        else /* exact RTRL: the reference stays single-threaded */
            for (i = c0; i < c1; ++i) {
                ccn__z_of(net, i, xin, casc, c0, &z);
                ccn__local_of(net, i, &d);
                ccn__rtrl_update(net, i, &z, &d);
            }
    }
    if (net->S) {
        ccn_real *t = net->S;
        net->S = net->S_new;
        net->S_new = t;
    }
    /* the readout, with the feature statistics from before the step */
    if (net->feat_norm)
        for (i = 0; i < n_act; ++i) {
            net->hscale[i] = CCN_R(1) / CCN__SQRT(net->f_var[i]);
            net->hn[i] = (net->h[i] - net->f_mu[i]) * net->hscale[i];
        }
    else memcpy(net->hn, net->h, (size_t)n_act * sizeof(ccn_real));
    for (r = 0; r < net->o; ++r)
        net->y[r] = ccn__dot(net->theta + net->readout + (size_t)r * (size_t)net->n, net->hn, n_act) +
                    net->theta[net->readout + (size_t)net->o * (size_t)net->n + (size_t)r];
    if (y) memcpy(y, net->y, (size_t)net->o * sizeof(ccn_real));
    /* the statistics absorb this step */
    if (net->in_norm) {
        ccn_real rate = (ccn_real)net->cfg.input_norm_rate, fl = (ccn_real)net->cfg.norm_var_floor;
        ccn__absorb(net->in_mu, net->in_var, x, net->m, rate, fl);
        ccn__absorb(net->in_mu + net->m, net->in_var + net->m, net->h, n_act, rate, fl);
    }
    if (net->feat_norm)
        ccn__absorb(net->f_mu, net->f_var, net->h, n_act, (ccn_real)net->cfg.feature_norm_rate,
                    (ccn_real)net->cfg.norm_var_floor);
    ++net->steps;
}

CCN_API void ccn_reset_state(ccn_net *net) {
    size_t n;
    CCN_ASSERT(net);
    n = (size_t)net->n;
    memset(net->h, 0, n * sizeof(ccn_real));
    memset(net->h_prev, 0, n * sizeof(ccn_real));
    memset(net->hn, 0, n * sizeof(ccn_real));
    if (net->c) {
        memset(net->c, 0, n * sizeof(ccn_real));
        memset(net->c_prev, 0, n * sizeof(ccn_real));
    }
    memset(net->y, 0, (size_t)net->o * sizeof(ccn_real));
    if (net->eh) memset(net->eh, 0, net->p * sizeof(ccn_real));
    if (net->ec) memset(net->ec, 0, net->p * sizeof(ccn_real));
    if (net->elig) memset(net->elig, 0, net->p * sizeof(ccn_real));
    if (net->S) {
        size_t rows = n * (net->c ? 2u : 1u) * net->p;
        memset(net->S, 0, rows * sizeof(ccn_real));
        memset(net->S_new, 0, rows * sizeof(ccn_real));
    }
    net->td_started = 0;
    net->td_delta = 0;
}

/* ============================================================================================
   7. Gradients. dL/dh_i = sum_r dL/dy_r W_out[r][i] (/ sqrt(var_i) with a normalised readout);
   a learning column's parameter gets dL/dh . dh/dtheta (ColoR: its own column's trace; RTRL:
   every learning column's row of S); the readout gets dL/dy h^.
   ============================================================================================ */

/* The learning ranges: the current stage's columns [*c0, *c1), their parameters [*p0, *p1). */
static void ccn__learning_range(const ccn_net *net, int *c0, int *c1, size_t *p0, size_t *p1) {
    *c0 = net->stage_start[net->stage];
    *c1 = net->stage_start[net->stage + 1];
    *p0 = net->col_off[*c0];
    *p1 = net->col_off[*c1];
}

static void ccn__dl_dh(ccn_net *net, const ccn_real *dl_dy, int c0, int c1) {
    const ccn_real *wout = net->theta + net->readout;
    int i, r;
    for (i = c0; i < c1; ++i) {
        ccn_real s = 0;
        for (r = 0; r < net->o; ++r) s += dl_dy[r] * wout[(size_t)r * (size_t)net->n + (size_t)i];
        net->dl_dh[i] = net->feat_norm ? s * net->hscale[i] : s;
    }
}

/* g[k] += sum_i dl_dh[i] dh_i/dtheta_k over the learning columns' parameters. */
static void ccn__state_gradient(const ccn_net *net, const ccn_real *dl_dh, ccn_real *g) {
    size_t p0, p1;
    int i, c0, c1;
    ccn__learning_range(net, &c0, &c1, &p0, &p1);
    for (i = c0; i < c1; ++i) {
        if (net->eh)
            ccn__axpy(g + net->col_off[i], net->eh + net->col_off[i], dl_dh[i], net->col_off[i + 1] - net->col_off[i]);
        else
            ccn__axpy(g + p0, net->S + (size_t)i * net->p + p0, dl_dh[i], p1 - p0);
    }
}

/* g[k] += dL/dtheta_k over every learning parameter (readout included). */
static void ccn__gradient(ccn_net *net, const ccn_real *dl_dy, ccn_real *g) {
    size_t n = (size_t)net->n, p0, p1;
    int r, c0, c1, n_act = net->stage_start[net->stage + 1];
    ccn__learning_range(net, &c0, &c1, &p0, &p1);
    ccn__dl_dh(net, dl_dy, c0, c1);
    ccn__state_gradient(net, net->dl_dh, g);
    for (r = 0; r < net->o; ++r) {
        ccn__axpy(g + net->readout + (size_t)r * n, net->hn, dl_dy[r], (size_t)n_act);
        g[net->readout + (size_t)net->o * n + (size_t)r] += dl_dy[r];
    }
}

CCN_API ccn_result ccn_accumulate_gradient(ccn_net *net, const ccn_real *dl_dy, ccn_real *grad) {
    if (!net || !dl_dy) return CCN_ERR_NULL_ARGUMENT;
    if (net->cfg.method == CCN_FORWARD) return CCN_ERR_NO_GRADIENT;
    ccn__gradient(net, dl_dy, grad ? grad : net->grad);
    return CCN_OK;
}

CCN_API ccn_result ccn_accumulate_state_gradient(ccn_net *net, const ccn_real *dl_dh, ccn_real *grad) {
    if (!net || !dl_dh) return CCN_ERR_NULL_ARGUMENT;
    if (net->cfg.method == CCN_FORWARD) return CCN_ERR_NO_GRADIENT;
    ccn__state_gradient(net, dl_dh, grad ? grad : net->grad);
    return CCN_OK;
}

/* ============================================================================================
   8. Optimisers: theta[k] += alpha * rule(u), u = coef * src[j], over a run of parameters.
   ============================================================================================ */

static void ccn__apply(ccn_net *net, size_t k0, size_t count, const ccn_real *CCN__RESTRICT src,
                       ccn_real coef, ccn_real alpha) {
    ccn_real *CCN__RESTRICT th = net->theta + k0;
    size_t j;
    switch (net->cfg.optimizer) {
    case CCN_SGD:
        for (j = 0; j < count; ++j) th[j] += alpha * (coef * src[j]);
        break;
    case CCN_RMSPROP: {
        ccn_real *CCN__RESTRICT v = net->opt_v + k0;
        ccn_real beta = (ccn_real)net->cfg.rms_beta, eps = (ccn_real)net->cfg.opt_epsilon;
        for (j = 0; j < count; ++j) {
            ccn_real u = coef * src[j];
            v[j] = beta * v[j] + (CCN_R(1) - beta) * u * u;
            th[j] += alpha * u / (CCN__SQRT(v[j]) + eps);
        }
        break;
    }
    default: { /* Adam, bias-corrected with the net's update count */
        ccn_real *CCN__RESTRICT m = net->opt_m + k0, *CCN__RESTRICT v = net->opt_v + k0;
        ccn_real b1 = (ccn_real)net->cfg.adam_beta1, b2 = (ccn_real)net->cfg.adam_beta2;
        ccn_real eps = (ccn_real)net->cfg.opt_epsilon;
        ccn_real c1 = CCN_R(1) / (CCN_R(1) - net->adam_b1t), c2 = CCN_R(1) / (CCN_R(1) - net->adam_b2t);
        for (j = 0; j < count; ++j) {
            ccn_real u = coef * src[j];
            m[j] = b1 * m[j] + (CCN_R(1) - b1) * u;
            v[j] = b2 * v[j] + (CCN_R(1) - b2) * u * u;
            th[j] += alpha * (m[j] * c1) / (CCN__SQRT(v[j] * c2) + eps);
        }
        break;
    }
    }
}

/* One update of every learning parameter along coef x direction, where the direction of a
   column parameter is col_src[k] scaled by col_coef[i] (NULL: 1), and that of the readout row r
   is h^ scaled by out_coef[r] (its bias: out_coef[r]). */
static void ccn__update(ccn_net *net, const ccn_real *col_src, const ccn_real *col_coef,
                        const ccn_real *out_coef, ccn_real coef) {
    size_t n = (size_t)net->n, p0, p1;
    int r, c0, c1, n_act = net->stage_start[net->stage + 1];
    ccn_real alpha = net->alpha, one = 1;
    ccn_real alpha_out = net->cfg.scale_readout_step ? alpha / (ccn_real)n_act : alpha;
    ccn__job job;
    ccn__learning_range(net, &c0, &c1, &p0, &p1);
    ++net->opt_steps;
    net->adam_b1t *= (ccn_real)net->cfg.adam_beta1;
    net->adam_b2t *= (ccn_real)net->cfg.adam_beta2;
    job.c0 = c0;
    job.c1 = c1;
    job.src = col_src;
    job.col_coef = col_coef;
    job.coef = coef;
    job.alpha = alpha;
    ccn__run(net, &job, CCN__PHASE_UPDATE);
    for (r = 0; r < net->o; ++r) {
        size_t row = net->readout + (size_t)r * n, bias = net->readout + (size_t)net->o * n + (size_t)r;
        if (out_coef) {
            ccn__apply(net, row, (size_t)n_act, net->hn, coef * out_coef[r], alpha_out);
            ccn__apply(net, bias, 1, &one, coef * out_coef[r], alpha_out);
        } else {
            ccn__apply(net, row, (size_t)n_act, col_src + row, coef, alpha_out);
            ccn__apply(net, bias, 1, col_src + bias, coef, alpha_out);
        }
    }
}

/* ============================================================================================
   9. Learners: supervised regression and TD(lambda).
   ============================================================================================ */

CCN_API ccn_result ccn_learn_with_error(ccn_net *net, const ccn_real *dl_dy) {
    if (!net || !dl_dy) return CCN_ERR_NULL_ARGUMENT;
    if (net->cfg.method == CCN_FORWARD) return CCN_ERR_NO_GRADIENT;
    if (net->eh) {
        /* ColoR: descend along -dL/dh_i e_theta without materialising the gradient */
        int c0, c1;
        size_t p0, p1;
        ccn__learning_range(net, &c0, &c1, &p0, &p1);
        ccn__dl_dh(net, dl_dy, c0, c1);
        ccn__update(net, net->eh, net->dl_dh, dl_dy, CCN_R(-1));
    } else {
        /* exact RTRL: the gradient is materialised in a scratch row of its own */
        memset(net->work, 0, net->p * sizeof(ccn_real));
        ccn__gradient(net, dl_dy, net->work);
        ccn__update(net, net->work, NULL, NULL, CCN_R(-1));
    }
    return CCN_OK;
}

CCN_API ccn_result ccn_learn(ccn_net *net, const ccn_real *target) {
    int r;
    if (!net || !target) return CCN_ERR_NULL_ARGUMENT;
    for (r = 0; r < net->o; ++r) {
        ccn_real e = net->y[r] - target[r];
        if (!(e - e == 0)) return CCN_ERR_NOT_FINITE;
        net->err[r] = e;
    }
    return ccn_learn_with_error(net, net->err);
}

CCN_API ccn_result ccn_td_step(ccn_net *net, const ccn_real *x, ccn_real cumulant, ccn_real gamma,
                               ccn_real *prediction) {
    ccn_real previous;
    if (!net || !x) return CCN_ERR_NULL_ARGUMENT;
    if (net->cfg.method == CCN_FORWARD) return CCN_ERR_NO_GRADIENT;
    if (!net->elig) return CCN_ERR_BAD_LEARNER;
    if (!(cumulant - cumulant == 0)) return CCN_ERR_NOT_FINITE;
    if (!(gamma >= 0 && gamma <= 1)) return CCN_ERR_BAD_GAMMA;
    previous = net->y[0];
    if (net->td_started) { /* E <- gamma_t lambda E + d yhat_t / d theta, with step t's traces */
        ccn_real decay = net->td_gamma * (ccn_real)net->cfg.td_lambda, one = 1;
        size_t p0, p1, n = (size_t)net->n, k, ro = net->readout;
        int c0, c1, n_act = net->stage_start[net->stage + 1];
        ccn__learning_range(net, &c0, &c1, &p0, &p1);
        for (k = 0; k < (size_t)n_act; ++k) net->elig[ro + k] = decay * net->elig[ro + k] + net->hn[k];
        net->elig[ro + n] = decay * net->elig[ro + n] + one;
        ccn__dl_dh(net, &one, c0, c1); /* dyhat_t/dh_i */
        if (net->eh) { /* ColoR: the column part rides on the trace pass of the step below */
            net->elig_fused = 1;
            net->elig_decay = decay;
        } else {
            for (k = p0; k < p1; ++k) net->elig[k] *= decay;
            ccn__state_gradient(net, net->dl_dh, net->elig);
        }
    }
    ccn_step(net, x, NULL);
    net->elig_fused = 0;
    if (net->td_started) {
        net->td_delta = cumulant + gamma * net->y[0] - previous;
        ccn__update(net, net->elig, NULL, NULL, net->td_delta);
    }
    net->td_gamma = gamma;
    net->td_started = 1;
    if (prediction) *prediction = net->y[0];
    return CCN_OK;
}

CCN_API ccn_real ccn_td_error(const ccn_net *net) { return net->td_delta; }
CCN_API const ccn_real *ccn_eligibility(const ccn_net *net) { return net->elig; }

CCN_API ccn_result ccn_set_step_size(ccn_net *net, double step_size) {
    if (!net) return CCN_ERR_NULL_ARGUMENT;
    if (!ccn__finite_in(step_size, 0.0, CCN__SETTING_MAX)) return CCN_ERR_BAD_STEP_SIZE;
    net->alpha = (ccn_real)step_size;
    return CCN_OK;
}

/* ============================================================================================
   10. Stages: freezing the current stage copies its normalisation statistics; the next stage's
   columns start from zero state and traces (they have never run).
   ============================================================================================ */

static void ccn__start_stage(ccn_net *net) {
    int k = net->stage;
    if (net->in_norm) {
        size_t count = (size_t)net->m + (size_t)net->stage_start[k];
        memcpy(net->snap_mu + net->snap_off[k], net->in_mu, count * sizeof(ccn_real));
        memcpy(net->snap_var + net->snap_off[k], net->in_var, count * sizeof(ccn_real));
    }
    ++net->stage;
}

CCN_API ccn_result ccn_next_stage(ccn_net *net) {
    if (!net) return CCN_ERR_NULL_ARGUMENT;
    if (net->stage + 1 >= net->n_stages) return CCN_ERR_NO_MORE_STAGES;
    ccn__start_stage(net);
    return CCN_OK;
}

CCN_API int ccn_stage(const ccn_net *net) { return net->stage; }
CCN_API int ccn_stage_count(const ccn_net *net) { return net->n_stages; }
CCN_API int ccn_active_columns(const ccn_net *net) { return net->stage_start[net->stage + 1]; }

/* ============================================================================================
   11. Access
   ============================================================================================ */

CCN_API size_t ccn_param_count(const ccn_net *net) { return net->p; }
CCN_API ccn_real *ccn_params(ccn_net *net) { return net->theta; }
CCN_API ccn_real *ccn_grad(ccn_net *net) { return net->grad; }
CCN_API void ccn_zero_grad(ccn_net *net) {
    if (net->grad) memset(net->grad, 0, net->p * sizeof(ccn_real));
}
CCN_API size_t ccn_readout_offset(const ccn_net *net) { return net->readout; }
CCN_API const ccn_real *ccn_state(const ccn_net *net) { return net->h; }
CCN_API const ccn_real *ccn_cell(const ccn_net *net) { return net->c; }
CCN_API const ccn_real *ccn_output(const ccn_net *net) { return net->y; }
CCN_API uint64_t ccn_step_count(const ccn_net *net) { return net->steps; }

CCN_API void ccn_column_info_get(const ccn_net *net, int column, ccn_column_info *out) {
    memset(out, 0, sizeof *out);
    if (column < 0 || column >= net->n) return;
    out->param_offset = net->col_off[column];
    out->param_count = net->col_off[column + 1] - net->col_off[column];
    out->feature_offset = net->col_off[column];
    out->feature_count = net->feat_count;
    out->gate_offset = net->col_off[column] + net->feat_count;
    out->gate_stride = (size_t)net->zlen[column] + 2;
    out->n_gates = net->G;
    out->z_len = net->zlen[column];
    out->own_len = net->own_len;
    out->stage = net->col_stage[column];
    out->cascade_len = net->stage_start[out->stage];
    out->n_links = net->link_off[column + 1] - net->link_off[column];
}

CCN_API int ccn_param_owner(const ccn_net *net, size_t k) {
    int lo = 0, hi = net->n;
    if (k >= net->readout) return -1;
    while (hi - lo > 1) { /* col_off is increasing: the last block starting at or before k */
        int mid = (lo + hi) / 2;
        if (net->col_off[mid] <= k) lo = mid;
        else hi = mid;
    }
    return lo;
}

CCN_API const ccn_link *ccn_links(const ccn_net *net, int column, int *count) {
    if (column < 0 || column >= net->n) {
        if (count) *count = 0;
        return NULL;
    }
    if (count) *count = net->link_off[column + 1] - net->link_off[column];
    return net->links + net->link_off[column];
}

CCN_API void ccn_input_stats(const ccn_net *net, int stage, const ccn_real **mean,
                             const ccn_real **var, int *count) {
    *mean = *var = NULL;
    *count = 0;
    if (!net->in_norm || stage < 0 || stage >= net->n_stages) return;
    ccn__stage_stats(net, stage, mean, var);
    *count = net->m + net->stage_start[stage];
}

CCN_API void ccn_feature_stats(const ccn_net *net, const ccn_real **mean, const ccn_real **var) {
    *mean = net->f_mu;
    *var = net->f_var;
}

CCN_API void ccn_optimizer_state(const ccn_net *net, const ccn_real **first, const ccn_real **second) {
    *first = net->opt_m;
    *second = net->opt_v;
}

#ifdef __cplusplus
}
#endif
#endif /* CCN_IMPLEMENTATION */
/*
------------------------------------------------------------------------------------------------
MIT License

Copyright (c) 2026 the ccn.h authors

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT
OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
------------------------------------------------------------------------------------------------
*/
