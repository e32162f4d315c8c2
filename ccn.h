/* ccn.h - v0.7.0 - columnar recurrent networks that learn online, one step at a time
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
       CCN_ASSERT(c)       [impl] internal invariants (never the caller's arguments, which are
                                  checked in every build: ERRORS); default assert(c)
       CCN_MALLOC(sz,user) [impl] default allocation when a NULL ccn_allocator is passed;
       CCN_FREE(p,user)    [impl]   define both or neither (default malloc/free)
       CCN_NO_STDIO        [impl] no <stdio.h>: ccn_save_file and ccn_load_file are left out
                                  (defined where ccn.h is only declared, it removes their
                                  declarations too)
       CCN_ALLOW_EXCESS_PRECISION [impl] build where FLT_EVAL_METHOD says ccn_real is evaluated
                                  in more precision than its own (x87 arithmetic, float on
                                  s390x in strict ISO C), which otherwise stops with an #error:
                                  results correct to rounding, not the bits of other platforms
                                  (see RANDOMNESS)

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
     3. columns        the column's kind (CCN_TANH, CCN_GATED, CCN_LSTM, CCN_GRU) maps z_i(t) and its own
                       previous state to h_i(t); stages run in order, so cascades are same-step
     4. traces         the learning stage updates its sensitivities of the new state
     5. readout        y(t) = W_out h^(t) + b_out, h^ the (optionally normalised) states
     6. statistics     the normalisers absorb this step's inputs and states
   and then, when the caller learns: gradients, an optimiser, a learner.

   Kinds (z is the column's input, h' its previous state; one weight vector, u and b per gate):
     tanh   h = tanh(w.z + u h' + b)
     gated  f = sigma(w_f.z + u_f h' + b_f), g = tanh(w_g.z + u_g h' + b_g), h = f h' + (1-f) g
     lstm   i,f,o = sigma(w_q.z + u_q h' + b_q), g = tanh(...), c = f c' + i g, h = o tanh(c)
     gru    r,s = sigma(w_q.z + u_q h' + b_q), g = tanh(w_g.z + u_g (r h') + b_g), h = (1-s) h' + s g
            (r, the reset gate, scales the recurrent term inside g; s is the update gate)
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
   gradient of this step's loss; ccn_learn_step: ccn_step and ccn_learn in one call, the
   fastest) and TD(lambda) prediction (ccn_td_step, learner = CCN_TD):
       E <- gamma_t lambda E + d yhat_t / d theta
       delta = c_{t+1} + gamma_{t+1} yhat_{t+1} - yhat_t,    theta <- theta + alpha opt(delta E)
   where gamma_{t+1}, given with x_{t+1}, discounts the prediction at x_{t+1}; gamma = 0 marks an
   episode boundary: it cuts the bootstrap and, from then on, the traces.

   Optimisers (applied to the direction u = -gradient, or delta E): CCN_SGD theta += alpha u;
   CCN_RMSPROP v <- beta v + (1-beta) u^2, theta += alpha u / (sqrt(v) + eps), v starting at 1
   (the 2023 authors' rule); CCN_ADAM with bias correction, m and v starting at 0. RMSProp and
   Adam first saturate each entry of u at +-2^50 (float; 2^450 in double: NUMERIC HEALTH). With
   scale_readout_step the readout's alpha is divided by the number of active columns. Optional
   bounds on the update, off by default: clip_norm and obgd_kappa (NUMERIC HEALTH).

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
       }                                     // or, the same bits faster:
                                             //   ccn_learn_step(net, x, target, y);
       ccn_destroy(net);
   For TD(lambda): cfg.learner = CCN_TD; cfg.td_lambda = 0.99; then each step
       ccn_td_step(net, x, cumulant, gamma, &prediction);
   Whole sequences in one call, the same bits (ccn_steps, ccn_learn_steps, ccn_td_steps):
       ccn_learn_steps(net, n, xs, targets, ys, &done);  // n rows of x, of targets, of y
   Many nets of one shape (a sweep's seeds and step sizes) in one call each step, each net with
   the bits it has alone (ccn_batch_*; each is an ordinary net: ccn_batch_net(batch, i)):
       ccn_batch_create(cfgs, count, NULL, &batch);      // cfgs[i]: net i's configuration
       ccn_batch_td_step(batch, xs, cumulants, gammas, predictions);  // row i: net i

   PARAMETER LAYOUT
   One flat vector, no padding. For each column i in order, a contiguous block:
     [ W1 (W x m, row-major) b1 (W) [ W2 (W x W) b2 (W) ] ]     only with feature layers
     [ w_q (|z_i|) u_q b_q ] for each gate q    tanh: a; gated: f g; lstm: i f o g; gru: r s g
   then the readout: W_out (outputs x n, row-major: W_out[r*n + i]), b_out (outputs).
   w_q follows z_i's order: own, cascade (columns 0.. of earlier stages), links (ccn_links order).
   Stages are runs of consecutive columns, so a stage's parameters are one contiguous range.

   MEMORY
   A net is one contiguous block from the allocator (ccn_allocator, NULL = CCN_MALLOC/CCN_FREE),
   sized by ccn_memory_size(); ccn_destroy frees it; ccn_copy makes an independent copy (the block
   holds pointers into itself, so memcpy alone does not), the net a save and a load would give
   (without the parallel-for and flush setting: THREADS); ccn_load makes one allocation too. The
   per-step calls never allocate; saving and loading need no memory beyond the net's block.
   A batch is its nets, each its own block as above, and one block of its own (its nets' rows
   of the step's cells, O(count x columns of a stage)).
   Reals per parameter: forward-only 1; ColoR 3 (parameter, trace, gradient buffer; lstm 4, a
   second trace), plus 1 for TD's eligibility, 1 for RMSProp, 2 for Adam. Exact RTRL keeps,
   instead of the traces, 2 x states + 1 per parameter (states = columns, or 2 x columns for
   lstm) and W per feature parameter. Plus O(columns x width + stages x inputs) of state and
   statistics, and per worker (n_workers) a buffer of inputs + columns + links + 2 reals.

   ERRORS
   Fallible calls return a ccn_result (ccn_result_string() names it). Bad configuration and bad
   files are runtime errors, never asserts; on error no net is returned and nothing is leaked.
   There is no printing, no errno, no global state. A call that returns an error changes nothing
   (parameters, state, step count, optimiser), except where its declaration says otherwise.
   NULL: no public call crashes on a NULL net or a NULL required pointer, in any build (NDEBUG
   or not): a call that returns a ccn_result returns CCN_ERR_NULL_ARGUMENT and changes nothing,
   one that returns a value returns 0 or NULL (ccn_param_owner: -1), a void call does nothing.
   Pointers documented as optional (y, grad, prediction, an accessor's out-pointers) may be NULL.
   These checks cost one branch per call, never one per column or parameter.
   A refused configuration: ccn_config_check returns the same code and names the field.
   Learning needs a step to learn from and learns from it once (CCN_ERR_NO_STEP; see the
   declarations of the learning calls).

   NUMERIC HEALTH
   Inputs: ccn_step and ccn_td_step refuse an input with a NaN or infinite entry, the learning
   calls a NaN or infinite target, cumulant, dL/dy or output, and a gamma outside [0, 1]: the
   call returns CCN_ERR_NOT_FINITE (CCN_ERR_BAD_GAMMA) and changes nothing, so a bad sample
   never reaches the state or the normalisation statistics. A NaN that gets in another way (a
   parameter set through ccn_params(), a run that diverged) spreads through the step like any
   IEEE value (a ReLU feature layer maps it to 0); no operation on it is undefined.
   Divergence: ccn_nonfinite_count() counts the non-finite reals the net keeps between calls,
   in one pass over them. With refuse_nonfinite set, every update is first computed without
   being written; if a parameter or an optimiser moment would become NaN or infinite, nothing is
   written and the call returns CCN_ERR_DIVERGED (for ccn_td_step: the step itself happened,
   the update did not), so a diverging run stops with finite parameters instead of filling with
   NaN. It costs a second pass over the parameters per update, not spread over threads.
   Exploding gradients: RTRL's traces (ColoR's too) are products of the columns' Jacobians
   dh/dh', so once recurrent weights take |dh/dh'| above 1 they grow geometrically; a net can
   keep learning while its traces pass 1e20 (measured: 16 gated columns, Adam at 0.001, a noisy
   sine; tests/README.md). ccn_trace_max() reads the largest |trace| in one pass: watch it next to
   ccn_nonfinite_count(). RMSProp and Adam saturate each entry of the direction at U = 2^50 in
   float (2^450 in double) before their moments take it, so a finite update never makes a moment
   infinite (u^2 would overflow a float from |u| = 1.8e19) and the step stays about what the
   exact rule gives; U lies far beyond any direction of a run that has not blown up, so ordinary
   runs keep their bits. Two bounds on the update itself, both off (0) by default:
     clip_norm    the direction u (all learning parameters, readout included) is scaled by
                  min(1, clip_norm / |u|_2) before the optimiser, computed in double: global-norm
                  clipping. Bounds every SGD step to alpha clip_norm; for RMSProp and Adam it
                  keeps a spike of u out of their moments (their steps are normalised anyway).
     obgd_kappa   (CCN_TD with CCN_SGD) ObGD, the overshoot-bounded step of Elsayed, Vasan and
                  Mahmood 2024 ("Streaming Deep Reinforcement Learning Finally Works"): with
                  M = alpha kappa max(|delta|, 1) |E|_1 over the learning parameters, the step
                  is theta += (alpha / max(M, 1)) delta E (the authors' code defaults to kappa 2).
   Both need the direction's norm before anything moves: the update is measured in a first
   pass (as refuse_nonfinite checks it, and ccn_learn_step then does its two calls' work), one
   pass more per update, a second more with refuse_nonfinite too; a NaN or infinite entry bounds
   nothing (refuse_nonfinite is what stops it). Neither bounds the traces themselves: in float,
   a long run of exploding traces can still take one to infinity, with or without a bound, and
   then a step whose dL/dh is exactly 0 makes 0 x inf = NaN in the direction; refuse_nonfinite
   refuses that update and the net goes on. For such runs: double, a smaller alpha, or both.

   THREADS
   No global or static mutable state (the only static data are constant tables): different nets
   may be used from different threads at once, bit for bit as if one after the other (tested).
   One net must not be used by two threads at once, with one exception: calls that take a
   const ccn_net* (accessors, ccn_copy's source, ccn_save, ccn_nonfinite_count,
   ccn_trace_max) may run together on one net while nothing modifies it (tested, also under
   ThreadSanitizer: make tsan). A ccn_allocator given to nets in several threads must be
   thread-safe itself; read and write callbacks run in the calling thread. ccn_set_parallel
   spreads one net's step over the caller's threads: the net calls the caller's parallel-for
   from inside ccn_step (and the learning calls), which must run each task once and return when
   all are done; nothing else may touch that net meanwhile. The parallel-for and the flush
   setting (ccn_set_flush_subnormals) are neither saved nor copied: a loaded net and a ccn_copy
   start single-threaded in the caller's floating-point mode. Both settings describe the
   calling program (its threads, its arithmetic mode) rather than the net's state, and a copy
   is often handed to another thread, which has threads and a mode of its own; so a copy is
   exactly what a save and a load give. Set them again on the new net where wanted. A batch is
   used as one net is: by one thread at a time, its nets included (a batch call steps them all),
   each net with its own parallel-for and flush setting.

   RANDOMNESS
   Each net owns a xoshiro256** generator seeded by splitmix64 from ccn_config.seed (0 is an
   ordinary seed). Links are drawn first, then the parameters in layout order; uniform reals come
   from the top mantissa bits of the integers, so a seed gives the same net on every platform.
   Every step after that is IEEE arithmetic and sqrt alone: the library computes its own exp,
   tanh and sigmoid rather than calling libm, whose results differ between platforms. So runs are
   bit-identical on one binary, and across compilers and machines (with or without AVX) when
   each operation is rounded to ccn_real: IEEE binary32/binary64 arithmetic evaluated in
   ccn_real's own precision (FLT_EVAL_METHOD 0, or 1 for a CCN_DOUBLE build) and without
   floating-point contraction (-ffp-contract=off; never -ffast-math); but for the sign and
   payload of a NaN (a net that has diverged), which follow the order of operands the compiler
   chose. With ccn_set_flush_subnormals, the same holds among x86-64 machines. Tested: x86-64
   (with and without AVX2) and 32-bit x86 with SSE give the bits the suite records (make test),
   and so do aarch64 and s390x under emulation (make cross). Where FLT_EVAL_METHOD says otherwise
   (2 on x87 arithmetic: gcc -m32 without -msse2 -mfpmath=sse; 1 for float on s390x under
   -std=c99 or c11; -1, indeterminate), the implementation stops with an #error naming the fix,
   unless CCN_ALLOW_EXCESS_PRECISION is defined: then results are correct to rounding and
   repeat on one binary, but they are not the bits of other platforms, and calls said to give
   the same bits as others (ccn_learn_step and ccn_step then ccn_learn) may differ from them in
   the last places. Contraction cannot be seen at compile time: it is the build's to avoid.

   NUMERICS
   Default initialisation: column and feature parameters U(-k, k) with k = 1/sqrt(fan-in)
   (the fan-in of a gate counts z, u and b), or k = init_scale when set; the readout 0, so the
   columns' gradients are 0 until the readout has learned (set W_out through ccn_params() to
   check gradients). relu'(0) is taken as 0. With feedforward, each gate's u stays in the
   layout but is never read and gets no gradient. A ColoR trace only ever lives in its own
   column's block: the gradient for dL/dh = e_i is column i's trace, zero elsewhere.

   SAVING AND LOADING
   ccn_save writes the whole net and ccn_load reads it back into a new net that continues bit for
   bit: the same outputs, parameters, traces and statistics as the net that was saved, step after
   step (for every kind, method, learner and optimiser: tested). Through callbacks (ccn_write_fn,
   ccn_read_fn), a memory buffer, or a path. A caller's FILE* is never taken over or closed; to
   use one, pass a three-line callback around fwrite/fread. A file saved by a float build loads
   into a double build and the reverse: reals are converted (float to double exactly; double to
   float rounded to nearest, a value beyond FLT_MAX becoming an infinity), everything else is
   unchanged; ccn_save_as writes either size from either build. The loader trusts nothing in the
   file: every size is checked against CCN_MAX_DIM and for overflow, against the data available
   and against the configuration before anything is allocated, every link and counter is
   checked, and two CRC-32s cover every byte, so a truncated, corrupted or hostile file returns
   an error (below) and never reads out of bounds (tested at every truncation and bit flip of a
   small file, and by a fuzzer: make fuzz). A loaded net takes ccn_memory_size() of its own
   configuration, one allocation; the per-step scratch it needs is not in the file, so a net
   with RTRL and feature layers, or many workers, takes more memory than its file's size.

   FILE FORMAT (version 2; version 1, v0.4.0's, is read too)
   Little-endian whatever the host. i32/i64: two's complement; u32/u64: unsigned; f64: IEEE-754
   binary64 bits; real: IEEE-754 binary32 or binary64 as the real size says.
     offset size
     0      8    magic 0x89 'C' 'C' 'N' 0x0D 0x0A 0x1A 0x0A
     8      4    u32 format version: 2 (1: see below)
     12     4    u32 real size: 4 or 8
     16     8    u64 length of the whole file in bytes
     24   160    the resolved ccn_config, field by field in declaration order (the last two at 256):
                   i32 n_inputs (24), n_outputs (28), n_columns (32), kind (36), method (40),
                       feature_layers (44), feature_width (48), feedforward (52)
                   f64 links (56)  i32 columns_per_stage (64)  i64 steps_per_stage (68)
                   i32 learner (76)  f64 td_lambda (80)  i32 optimizer (88)
                   f64 step_size (92), rms_beta (100), adam_beta1 (108), adam_beta2 (116),
                       opt_epsilon (124)
                   i32 scale_readout_step (132)
                   f64 input_norm_rate (136), feature_norm_rate (144), norm_var_floor (152),
                       init_scale (160)
                   u64 seed (168)  i32 n_workers (176)  i32 refuse_nonfinite (180)
     184    8    u64 links in all (L)
     192    8    u64 parameters (P)
     200    4    i32 current stage
     204    4    i32 flags: bit 0 TD has a previous prediction; bit 1 the last step has not
                 been learned from yet; bit 2 a step was taken since creation or
                 ccn_reset_state (gradients may be taken); other bits 0
     208    8    u64 steps taken
     216    8    u64 optimiser updates taken
     224   32    u64 x 4 the generator's state
     256   16    the configuration fields version 2 added: f64 clip_norm (256), obgd_kappa (264)
     272    4    u32 CRC-32 of bytes 0..271
     276   4n    i32 each column's link count (n = n_columns)
           12L   each link: i32 type, i32 column, i32 feature (ccn_link), columns in order
           then reals: alpha (the step size now), Adam's beta1^t and beta2^t, TD's gamma of the
           last step and its TD error; then these arrays, each present only when the net keeps
           it (its count is 0 otherwise):
             parameters P; gradient buffer P (not CCN_FORWARD); ColoR traces dh P, and dc P
             (lstm); TD eligibility P; Adam's first moment P; RMSProp or Adam second moment P;
             states h n; cells c n (lstm); readout features n and their scales n; outputs
             n_outputs; live input statistics, means then variances, m + n each (input
             normalisation); frozen statistics of every stage, means then variances,
             sum over stages k of m + (first column of k) each; readout feature statistics,
             means then variances, n each (feature normalisation); RTRL sensitivities, n x P
             (2n x P for lstm: rows dh_0.., then dc_0..), row-major
     end-4  4    u32 CRC-32 (IEEE 802.3, as zlib's crc32) of every byte before it
   Version 1 is the same without bytes 256..271 (its first CRC at 256 covers bytes 0..255, the
   link counts start at 260); it loads with clip_norm and obgd_kappa 0, the settings its library
   ignored and ccn_create now refuses as unused reset to their defaults, and flag bit 2 set when
   it has stepped (bit 1 off: it learns from its next step). Saving writes version 2.
   The loader answers, in this order: fewer than 12 bytes that match the magic so far:
   CCN_ERR_TRUNCATED; other bytes: CCN_ERR_BAD_MAGIC; a version other than 1 or 2:
   CCN_ERR_BAD_VERSION; data ending early: CCN_ERR_TRUNCATED; the first CRC wrong:
   CCN_ERR_CHECKSUM; the length beyond the data: CCN_ERR_TRUNCATED, short of it (memory and
   path loaders): CCN_ERR_TRAILING_DATA; a configuration ccn_create refuses: ccn_create's error
   (CCN_ERR_TOO_LARGE for a dimension above CCN_MAX_DIM or sizes that overflow); a real size,
   configuration (not resolved), count, stage, flag or length that contradicts the rest:
   CCN_ERR_BAD_FILE; the allocation: CCN_ERR_OUT_OF_MEMORY; the second CRC: CCN_ERR_CHECKSUM; a
   link that ccn_create could not have drawn (not a foreign column of the same stage, or a
   feature that does not exist), link counts that do not add up to the blocks P says, a step
   size no net can hold (outside [0, 1e30 as a float], 1.0000000150e30: the largest a float net
   holds after ccn_set_step_size(1e30)) or a gamma outside [0, 1]: CCN_ERR_BAD_FILE. So any
   single flipped bit is CCN_ERR_BAD_MAGIC in the magic, CCN_ERR_BAD_VERSION in the version, and
   CCN_ERR_CHECKSUM anywhere else. Every value the library accepts comes back through a file,
   in either real size and either build (tested at each real setting's extremes).

   SPEED
   Compile with -O2 or -O3 and -march=native (or your target). Add -fno-math-errno: it changes
   no result, only whether sqrt may set errno, and without it the RMSProp and Adam loops cannot
   vectorise. Hot loops are contiguous and written to vectorise without -ffast-math. To learn
   online from targets, ccn_learn_step is faster than ccn_step then ccn_learn (ColoR with SGD:
   the update rides in the trace loop): use it unless the loss is your own
   (ccn_learn_with_error). A column costs a fixed time per step beyond its time per parameter:
   for small fan-in (below some 64 inputs per column) the fixed part dominates (make bench;
   bench/README.md has the measured figures). Where the compiler targets AVX (-march=native on an x86
   since 2011, or -mavx2) and ccn_real is float, columns of small fan-in (7 to 13 inputs and
   cascade, no links) go eight at a time through their pre-activations (in stages of five
   columns or more) and, with ccn_learn_step, their SGD trace update; with 14 to 29 inputs and
   cascade (a small net's later stages) their gate blocks' pre-activations go eight at a time
   (in stages of eight blocks or more); with AVX-512, lstm's trace runs of 16 to 31 go as two
   16-lane windows; all with the bits of a build without AVX. These and the
   other specialised loops serve tanh, gated and lstm; gru columns run the generic loops. With
   sparse inputs some traces decay through the subnormal range, where x86 is slow: a program that
   accepts subnormals becoming 0 may call ccn_set_flush_subnormals(net, 1) (setting and
   restoring the mode costs a little per call, and per task; bench/README.md).

   CHANGES
   0.7.0  New: batches (ccn_batch_create, ccn_batch_td_step, ...): many nets of one shape stepped
          by one call, each with the bits of its own per-net calls and each an ordinary net
          (ccn_batch_net: save it, load it back with ccn_batch_set); new code CCN_ERR_BAD_BATCH.
          No result of a net changes.
          Faster: the later stages of CCN and constructive nets (pre-activations and traces of
          16 to 31 entries, stages of 1 to 4 columns), TD's readout update and a step's
          dispatch cost less, with the same bits.
   0.6.0  New: CCN_GRU, a one-unit GRU column (gates r s g; OVERVIEW, Kinds) with every method,
          learner, optimiser, feature depth, links, stages, and files (kind 4).
          Changed: no result of the other kinds changes (same outputs, same saved bytes); a kind
          is described once inside the library, and every kind has a generic path that the
          measured fast ones specialise, bit for bit.
          New: ccn_steps, ccn_learn_steps, ccn_td_steps: a whole sequence of steps in one call,
          with the bits of the per-step calls (for bindings: examples/python/ccn.py).
          Faster: in AVX-512 builds the lstm cells of a stage's last few columns run vectorised
          (the papers' nets of 4-7 columns a stage), with the same bits.
   0.5.0  Fixes: feedforward gated and lstm columns got wrong gradients (their traces kept a
          memory the net does not have); ccn_save wrote into the const net it saved (a data
          race between two saving threads); a float net with step size 1e30 saved a file it
          could not load; a NaN dL/dy or dL/dh reached the gradient buffer.
          Changed: learning needs a step and learns from it once (CCN_ERR_NO_STEP); a setting
          the others leave unused is refused (CCN_ERR_UNUSED_SETTING), and ccn_config_check
          names the field of any refusal; no call crashes on NULL, in any build; new codes
          CCN_ERR_BAD_FLAG, CCN_ERR_BAD_REAL_SIZE, CCN_ERR_OPEN; ccn_copy no longer copies the
          parallel-for and the flush setting; RMSProp and Adam saturate their direction, so a
          finite update never makes a moment infinite (ordinary runs keep their bits); builds
          that evaluate in excess precision stop at compile time unless
          CCN_ALLOW_EXCESS_PRECISION (RANDOMNESS).
          New: clip_norm and obgd_kappa (bounds on the update), ccn_trace_max.
          File format 2 (version 1 is read).
   0.4.0  The release before this list began.
*/
#ifndef CCN_H_INCLUDED
#define CCN_H_INCLUDED

/* C89 cannot compile this header (declarations after statements, long long, inline): say so
   first. C++ and MSVC's C mode do not define __STDC_VERSION__ as C99 does. */
#if !defined(__cplusplus) && !defined(_MSC_VER) && (!defined(__STDC_VERSION__) || __STDC_VERSION__ < 199901L)
#error "ccn.h needs C99 or C++"
#endif

#define CCN_VERSION_MAJOR 0
#define CCN_VERSION_MINOR 7
#define CCN_VERSION_PATCH 0
#define CCN_VERSION_NUMBER (CCN_VERSION_MAJOR * 10000 + CCN_VERSION_MINOR * 100 + CCN_VERSION_PATCH)
#define CCN_VERSION_STRING "0.7.0"

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
    CCN_ERR_BAD_KIND,        /* kind is not CCN_TANH, CCN_GATED, CCN_LSTM or CCN_GRU         */
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
    CCN_ERR_BAD_OPTIMIZER,   /* optimizer unknown, a beta outside [0, 1 - 2^-24], epsilon
                                outside [1e-30, 1e30], clip_norm or obgd_kappa negative, NaN
                                or above 1e30                                                */
    CCN_ERR_BAD_NORMALIZATION, /* a rate outside [1e-30, 1] or a variance floor outside
                                  [1e-30, 1e30]                                              */
    CCN_ERR_BAD_GAMMA,       /* gamma outside [0, 1] or NaN                                  */
    CCN_ERR_NOT_FINITE,      /* an input, target, cumulant, dL/dy or dL/dh NaN or infinite   */
    CCN_ERR_NO_MORE_STAGES,  /* ccn_next_stage on the last stage                             */
    CCN_ERR_BAD_WORKERS,     /* n_workers negative or above CCN_MAX_WORKERS                  */
    CCN_ERR_DIVERGED,        /* with refuse_nonfinite: a learning update that would have made a
                                parameter or an optimiser moment NaN or infinite was refused */
    CCN_ERR_IO,              /* a write callback took fewer bytes than given, or an open file
                                could not be written or closed                               */
    CCN_ERR_BUFFER_TOO_SMALL, /* ccn_save_to_memory: capacity below ccn_saved_size()         */
    CCN_ERR_BAD_MAGIC,       /* not a ccn.h file (the first bytes are not the magic)          */
    CCN_ERR_BAD_VERSION,     /* a file format version this library does not read             */
    CCN_ERR_TRUNCATED,       /* the data ended before the file did                           */
    CCN_ERR_CHECKSUM,        /* a CRC-32 does not match: the file is corrupt                  */
    CCN_ERR_BAD_FILE,        /* the checksums match but the contents contradict each other
                                (sizes, links, counters); see FILE FORMAT                    */
    CCN_ERR_TRAILING_DATA,   /* bytes after the end of the file (memory and path loaders)     */
    CCN_ERR_UNSUPPORTED,     /* ccn_set_flush_subnormals where the library does not set the mode */
    CCN_ERR_NO_STEP,         /* a learning call with no step to learn from: before the first
                                ccn_step (or after ccn_reset_state), or a second ccn_learn or
                                ccn_learn_with_error on the same step                        */
    CCN_ERR_BAD_FLAG,        /* feedforward, scale_readout_step, refuse_nonfinite or
                                ccn_set_flush_subnormals' argument not 0 or 1                */
    CCN_ERR_BAD_REAL_SIZE,   /* ccn_save_as: real_size not 4 or 8                            */
    CCN_ERR_OPEN,            /* ccn_save_file, ccn_load_file: the file could not be opened   */
    CCN_ERR_UNUSED_SETTING,  /* a setting the other settings leave unused, e.g. td_lambda
                                without CCN_TD (ccn_config_check names it)                   */
    CCN_ERR_BAD_BATCH        /* a batch's nets differ in a field that fixes a step's shape, a
                                count below 1, or a member index out of range                */
} ccn_result;

enum { CCN_TANH = 1, CCN_GATED = 2, CCN_LSTM = 3, CCN_GRU = 4 }; /* ccn_config.kind      */
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
   it means zero. A field marked "only with ..." must otherwise stay 0 (or its default): the
   other settings would leave it unused, so ccn_create refuses it (CCN_ERR_UNUSED_SETTING) rather
   than ignore a value that was set. ccn_config_check names the field a refusal is about. */
typedef struct ccn_config {
    int n_inputs;          /* m > 0, required                                               */
    int n_outputs;         /* 0 -> 1 (CCN_TD: exactly 1)                                    */
    int n_columns;         /* n > 0, required (F, all stages together)                      */
    int kind;              /* CCN_TANH, CCN_GATED, CCN_LSTM or CCN_GRU; 0 -> CCN_TANH       */
    int method;            /* 0 -> CCN_COLOR                                                */
    int feature_layers;    /* private ReLU layers per column: 0 (none), 1 or 2              */
    int feature_width;     /* W, 0 -> 5; only with feature_layers > 0                       */
    int feedforward;       /* 1: columns ignore their own previous state (no recurrence)    */
    double links;          /* expected foreign links per column, within its stage           */
    int columns_per_stage; /* d, 0 -> n_columns (one stage, a plain columnar net)           */
    int64_t steps_per_stage; /* S, 0 -> stages advance only by ccn_next_stage; only with
                                more than one stage                                         */
    int learner;           /* 0 -> CCN_SUPERVISED                                           */
    double td_lambda;      /* lambda of CCN_TD, in [0, 1]; only with CCN_TD                 */
    int optimizer;         /* 0 -> CCN_SGD                                                  */
    double step_size;      /* alpha; 0 means 0 (no learning): set it to learn               */
    double rms_beta;       /* RMSProp decay, 0 -> 0.9999; only with CCN_RMSPROP             */
    double adam_beta1;     /* 0 -> 0.9; only with CCN_ADAM                                  */
    double adam_beta2;     /* 0 -> 0.999; only with CCN_ADAM                                */
    double opt_epsilon;    /* 0 -> 1e-8; only with CCN_RMSPROP or CCN_ADAM                  */
    int scale_readout_step; /* 1: the readout's alpha is divided by the active columns      */
    double input_norm_rate;   /* r of the input and cascade normalisers, 0 -> 1 (off)      */
    double feature_norm_rate; /* r of the readout's feature normaliser, 0 -> 1 (off)       */
    double norm_var_floor;    /* variance floor of both, 0 -> 0.01; only with a rate < 1   */
    double init_scale;     /* column weights U(-s, s); 0 -> 1/sqrt(fan-in)                  */
    uint64_t seed;         /* any value, 0 included                                         */
    int n_workers;         /* workers a ccn_parallel_fn may use (scratch each), 0 -> 1      */
    int refuse_nonfinite;  /* 1: a learning update that would make a parameter or optimiser
                              moment NaN or infinite is refused: CCN_ERR_DIVERGED, unchanged */
    double clip_norm;      /* > 0: the update direction u is scaled by min(1, clip_norm / |u|_2)
                              before the optimiser (NUMERIC HEALTH); 0: off                 */
    double obgd_kappa;     /* > 0 (CCN_TD with CCN_SGD): ObGD's bound, alpha / max(1, alpha
                              kappa max(|delta|, 1) |E|_1) (NUMERIC HEALTH); 0: off          */
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
    int n_gates;                           /* 1 tanh, 2 gated, 3 gru, 4 lstm               */
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
/* Applies the defaults to *cfg into *out and validates the result (ccn_config_check's
   checks; *out is written only on CCN_OK). */
CCN_API ccn_result ccn_config_resolve(const ccn_config *cfg, ccn_config *out);
/* What ccn_create would say about cfg, and the field it is about: *field (unless field is NULL)
   gets the field's name ("td_lambda", static text), or NULL when no single field is to blame
   (CCN_OK, a NULL cfg, sizes that overflow together). */
CCN_API ccn_result ccn_config_check(const ccn_config *cfg, const char **field);
/* Bytes the net takes (one block), or an error for a bad configuration. */
CCN_API ccn_result ccn_memory_size(const ccn_config *cfg, size_t *out_bytes);
/* Creates a net (one allocation). alloc may be NULL. On error *out is NULL and nothing leaks. */
CCN_API ccn_result ccn_create(const ccn_config *cfg, const ccn_allocator *alloc, ccn_net **out);
CCN_API void ccn_destroy(ccn_net *net);             /* NULL is a no-op                        */
/* An independent copy of src (state, traces, statistics, generator: what ccn_save keeps), in
   one allocation from alloc (NULL: src's allocator), that continues bit for bit. As a loaded
   net, it starts single-threaded and in the caller's floating-point mode: src's parallel-for
   and flush setting are not copied (THREADS). On error *out is NULL and nothing leaks. */
CCN_API ccn_result ccn_copy(const ccn_net *src, const ccn_allocator *alloc, ccn_net **out);
CCN_API const ccn_config *ccn_get_config(const ccn_net *net); /* resolved configuration      */

/* ---- one step ------------------------------------------------------------------------------ */
/* Reads x (n_inputs), advances the state and the traces, writes y (n_outputs) unless NULL.
   Starts the next stage first when steps_per_stage says so. x must not point into the net
   (copy ccn_state() first to feed it back). An x with a NaN or infinite entry is refused:
   CCN_ERR_NOT_FINITE and nothing changes (not even the step count); else CCN_OK. The step is
   then there to learn from, once (ccn_learn). */
CCN_API ccn_result ccn_step(ccn_net *net, const ccn_real *x, ccn_real *y);
/* Zeroes the recurrent state, the traces and the eligibility; the parameters, the optimiser,
   the normalisation statistics, the stage and the step count are untouched. Until the next
   step there is nothing to learn from (CCN_ERR_NO_STEP). */
CCN_API void ccn_reset_state(ccn_net *net);

/* ---- gradients and learning (after ccn_step) ------------------------------------------------- */
/* Learning needs a step: before the first ccn_step, and after ccn_reset_state until the next,
   every call below returns CCN_ERR_NO_STEP. The gradient calls change no parameter and may be
   called any number of times on a step; ccn_learn and ccn_learn_with_error update once per
   step: a second update from the same traces is refused (CCN_ERR_NO_STEP: call ccn_step first).
   A call refused for another reason (CCN_ERR_NOT_FINITE, CCN_ERR_DIVERGED) leaves the step to
   learn from, so it may be retried with a finite target. */
/* grad[k] += dL_t/dtheta_k for the loss whose derivative at this step's output is dl_dy
   (n_outputs), for every learning parameter (frozen stages get nothing). grad has
   ccn_param_count() entries; NULL means the net's own ccn_grad(). A NaN or infinite entry of
   dl_dy: CCN_ERR_NOT_FINITE, nothing written. */
CCN_API ccn_result ccn_accumulate_gradient(ccn_net *net, const ccn_real *dl_dy, ccn_real *grad);
/* grad[k] += sum_i dl_dh[i] dh_i/dtheta_k for a caller-given dL/dh (n_columns entries): the
   gradient through the column states alone, for a readout or learner of the caller's own (with
   a one-hot dl_dh it is one state's sensitivity, dh_i/dtheta). Learning parameters only; the
   readout's entries are left alone. grad NULL means ccn_grad(). A NaN or infinite dl_dh:
   CCN_ERR_NOT_FINITE, nothing written. */
CCN_API ccn_result ccn_accumulate_state_gradient(ccn_net *net, const ccn_real *dl_dh, ccn_real *grad);
/* One optimiser step on this step's gradient for a caller-given dL/dy, once per step.
   CCN_ERR_NOT_FINITE if an entry of dl_dy, or of the output, is NaN or infinite, CCN_ERR_DIVERGED if
   refuse_nonfinite refused the update: either way nothing changes. */
CCN_API ccn_result ccn_learn_with_error(ccn_net *net, const ccn_real *dl_dy);
/* One optimiser step on 1/2 |y - target|^2 (dL/dy = y - target), once per step.
   CCN_ERR_NOT_FINITE if a target, or the output, is NaN or infinite; CCN_ERR_DIVERGED as above
   (nothing changes). */
CCN_API ccn_result ccn_learn(ccn_net *net, const ccn_real *target);
/* ccn_step then ccn_learn, in one call, with the same results (y, may be NULL, gets the output
   before the update). With ColoR the update rides on the trace update: one sweep over the
   parameters, the fastest way to learn online; with exact RTRL, refuse_nonfinite or a bound
   (clip_norm, obgd_kappa) it is the two calls. A NULL argument or a NaN or infinite x: an
   error and nothing happens. A NaN or infinite target or output: CCN_ERR_NOT_FINITE after the
   step, without the update (as ccn_learn after ccn_step: the step is left to learn from). */
CCN_API ccn_result ccn_learn_step(ccn_net *net, const ccn_real *x, const ccn_real *target, ccn_real *y);
/* TD(lambda), learner CCN_TD: feeds x_{t+1} with its cumulant c_{t+1} and discount gamma_{t+1},
   updates the eligibility, steps, and (from the second call on) learns from the TD error.
   Writes the new prediction (before this call's update) to *prediction unless NULL. A NaN or
   infinite input or cumulant, or a gamma outside [0, 1], returns an error and changes nothing.
   CCN_ERR_DIVERGED (refuse_nonfinite): the step happened (state, traces, eligibility, TD error)
   but the parameters and the optimiser were left as they were. Either way the step counts as
   learned from (ccn_learn after it: CCN_ERR_NO_STEP). CCN_ERR_BAD_LEARNER on a net created
   without learner = CCN_TD. */
CCN_API ccn_result ccn_td_step(ccn_net *net, const ccn_real *x, ccn_real cumulant, ccn_real gamma,
                               ccn_real *prediction);
/* The TD error of the last ccn_td_step (0 before the second call, and for a NULL net). */
CCN_API ccn_real ccn_td_error(const ccn_net *net);
/* The eligibility E (ccn_param_count() entries), NULL unless CCN_TD. */
CCN_API const ccn_real *ccn_eligibility(const ccn_net *net);
/* Runs the column work of every following step through fn (NULL: single-threaded again). Not
   saved, nor copied by ccn_copy. */
CCN_API void ccn_set_parallel(ccn_net *net, ccn_parallel_fn fn, void *user);
/* on 1: the net's following calls that compute (step, learn, gradients) flush subnormal numbers
   to zero, inputs and results; 0, the default: they run in the caller's mode (IEEE, unless the
   program set these modes itself, as the start-up code of -ffast-math builds does). On x86-64
   these are the MXCSR's flush-to-zero and denormals-are-zero modes, set at the start of each such
   call (and of each task it gives the parallel-for) and put back before it returns, exception
   flags kept: the caller's threads keep their own mode. The same bits on every x86-64 machine,
   with any number of threads; neither saved nor copied, as the parallel-for. on other than 0
   or 1: CCN_ERR_BAD_FLAG. CCN_ERR_UNSUPPORTED (nothing changes) where the library does not set
   the mode: not x86-64 (32-bit x86 included: not every such processor has denormals-are-zero),
   or x87 arithmetic. See SPEED. */
CCN_API ccn_result ccn_set_flush_subnormals(ccn_net *net, int on);
/* Changes alpha from now on (schedules, evaluation with 0). CCN_ERR_BAD_STEP_SIZE if < 0, NaN or
   above 1e30 (nothing changes). */
CCN_API ccn_result ccn_set_step_size(ccn_net *net, double step_size);

/* ---- many steps in one call ---------------------------------------------------------------- */
/* A sequence of n steps over the caller's arrays, row after row (row-major: step t's inputs are
   x[t * n_inputs ..]), with the bits of n calls of the per-step call, for a caller whose own
   loop is costly per call (an interpreter's foreign call: examples/python). The arrays must not
   overlap each other or point into the net. The run stops at the first step that fails and
   returns that step's error; *done (unless NULL) gets the number of steps that succeeded, and
   the outputs of later rows are not written. A failure the step's own arguments show (a NULL
   array; a NaN or infinite input, target or cumulant; a gamma outside [0, 1]; learning on a
   CCN_FORWARD net, a TD call without CCN_TD) is found before the step runs, so the failing step
   changes nothing: the net is the net that ran *done steps. A failure only the step itself
   reveals leaves that step as its per-step call does: CCN_ERR_NOT_FINITE for a NaN or infinite
   output (a net whose parameters are no longer finite) and CCN_ERR_DIVERGED (refuse_nonfinite)
   come after the step ran and before its update. The net and the input arrays (x, target,
   cumulant, gamma) must not be NULL even when n = 0 (a NULL one: CCN_ERR_NULL_ARGUMENT, as
   NULL says, whatever n); with them, n = 0 is CCN_OK and nothing happens. */
/* n calls of ccn_step: y (n x n_outputs) may be NULL. */
CCN_API ccn_result ccn_steps(ccn_net *net, size_t n, const ccn_real *x, ccn_real *y, size_t *done);
/* n calls of ccn_learn_step: targets n x n_outputs; y (n x n_outputs, each before its step's
   update) may be NULL. */
CCN_API ccn_result ccn_learn_steps(ccn_net *net, size_t n, const ccn_real *x, const ccn_real *target,
                                   ccn_real *y, size_t *done);
/* n calls of ccn_td_step: cumulant and gamma n each; prediction (n) may be NULL. */
CCN_API ccn_result ccn_td_steps(ccn_net *net, size_t n, const ccn_real *x, const ccn_real *cumulant,
                                const ccn_real *gamma, ccn_real *prediction, size_t *done);

/* ---- batches: many nets of one shape stepped together --------------------------------------- */
/* A batch is `count` nets whose configurations agree in every field that fixes the shape of a
   step (n_inputs, n_outputs, n_columns, kind, method, feature_layers, feature_width,
   feedforward, columns_per_stage, steps_per_stage, learner) and may differ in all the others
   (seed, step size, links, optimiser and its settings, normalisation, td_lambda, init_scale,
   the bounds, n_workers): a sweep's learners over seeds and step sizes. One call steps every net
   on its own row of the arrays (row i: net i; x count x n_inputs, y and target count x
   n_outputs, cumulant, gamma and prediction count; the arrays must not overlap each other or
   point into a net), and each net gets the bits it gets from its per-net call, step for step
   (tested; but for the sign and payload of a NaN, which may follow another order of operands:
   RANDOMNESS). One call for many nets is what a binding's loop wants (examples/python); the
   time per net is about that of the per-net calls (bench/README.md): in AVX-512 builds each
   stage's columns of every net go through their kind's cells together (section 11), elsewhere
   each net takes its own call. The arguments are checked before any net moves: a NULL array, a
   NaN or infinite input or cumulant, a gamma outside [0, 1], learning on CCN_FORWARD nets, a TD
   call on nets without CCN_TD, in any row, returns that error and changes nothing. What a net's
   own step reveals (a NaN target or output, CCN_ERR_DIVERGED) leaves that net as its per-net
   call does while the others go on: the call returns the first such result in row order,
   ccn_batch_result() each net's. */
typedef struct ccn_batch ccn_batch;
/* count nets, net i created from cfgs[i] as ccn_create makes it, each with its own allocation
   from alloc (NULL: CCN_MALLOC), the batch one more. CCN_ERR_BAD_BATCH for count < 1 or above
   CCN_MAX_DIM, or nets of different shapes; a configuration ccn_create refuses: its error. On error *out is NULL and
   nothing leaks. */
CCN_API ccn_result ccn_batch_create(const ccn_config *cfgs, int count, const ccn_allocator *alloc,
                                    ccn_batch **out);
CCN_API void ccn_batch_destroy(ccn_batch *batch);   /* and its nets; NULL is a no-op         */
CCN_API int ccn_batch_count(const ccn_batch *batch); /* 0 for NULL                            */
/* Net i of the batch (NULL out of range): an ordinary net, owned by the batch (never pass it to
   ccn_destroy). Every call takes it: save it, read it, set its step size; stepped alone it
   goes on from where the batch left it, and the batch from where it was left. */
CCN_API ccn_net *ccn_batch_net(ccn_batch *batch, int i);
/* Net i becomes an independent copy of net (as ccn_copy makes it, from the batch's allocator),
   e.g. a net loaded from a file that net i saved; CCN_ERR_BAD_BATCH if i is out of range or
   net's shape is not the batch's. On error net i is unchanged. */
CCN_API ccn_result ccn_batch_set(ccn_batch *batch, int i, const ccn_net *net);
/* ccn_step for every net: y (count x n_outputs) may be NULL. */
CCN_API ccn_result ccn_batch_step(ccn_batch *batch, const ccn_real *x, ccn_real *y);
/* ccn_learn_step for every net: y may be NULL. */
CCN_API ccn_result ccn_batch_learn_step(ccn_batch *batch, const ccn_real *x, const ccn_real *target, ccn_real *y);
/* ccn_td_step for every net: prediction (count) may be NULL. */
CCN_API ccn_result ccn_batch_td_step(ccn_batch *batch, const ccn_real *x, const ccn_real *cumulant,
                                     const ccn_real *gamma, ccn_real *prediction);
/* Net i's result in the last batch call (CCN_OK before any; a call refused on its arguments
   gives every net its error); CCN_ERR_NULL_ARGUMENT for a NULL batch, CCN_ERR_BAD_BATCH for i
   out of range. */
CCN_API ccn_result ccn_batch_result(const ccn_batch *batch, int i);

/* ---- stages -------------------------------------------------------------------------------- */
/* Freezes the current stage and starts the next; CCN_ERR_NO_MORE_STAGES on the last. */
CCN_API ccn_result ccn_next_stage(ccn_net *net);
CCN_API int ccn_stage(const ccn_net *net);          /* the current (learning) stage          */
CCN_API int ccn_stage_count(const ccn_net *net);
CCN_API int ccn_active_columns(const ccn_net *net); /* columns of stages started so far      */

/* ---- access (a NULL net: 0 and NULL; an out-pointer may be NULL: it is not written) -------- */
CCN_API size_t ccn_param_count(const ccn_net *net);
CCN_API ccn_real *ccn_params(ccn_net *net);         /* mutable; layout above               */
CCN_API ccn_real *ccn_grad(ccn_net *net); /* the net's gradient buffer (NULL for CCN_FORWARD) */
CCN_API void ccn_zero_grad(ccn_net *net);
CCN_API size_t ccn_readout_offset(const ccn_net *net); /* index of W_out in ccn_params()  */
/* Layout of column `column`'s parameters; out of range gives all zeros. */
CCN_API void ccn_column_info_get(const ccn_net *net, int column, ccn_column_info *out);
/* Column that owns parameter k, or -1 for the readout (and for k out of range, a NULL net). */
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

/* ---- numeric health ------------------------------------------------------------------------ */
/* How many of the reals the net keeps between calls are NaN or infinite: parameters, gradient
   buffer, traces, eligibility, optimiser moments, states, outputs, normalisation statistics, RTRL
   sensitivities (every array a saved file holds). One pass over them: O(ccn_saved_size()). */
CCN_API size_t ccn_nonfinite_count(const ccn_net *net);
/* The largest |dh/dtheta| (and |dc/dtheta| for lstm) the net keeps: ColoR's traces or exact RTRL's
   sensitivities; NaN if one is NaN, 0 for CCN_FORWARD. One pass over them. Their growth is the
   first sign of exploding gradients, long before anything overflows (NUMERIC HEALTH). */
CCN_API ccn_real ccn_trace_max(const ccn_net *net);

/* ---- saving and loading (FILE FORMAT above) -------------------------------------------------- */
/* A write callback takes size bytes and returns how many it took (fewer: CCN_ERR_IO). A read
   callback fills up to size bytes and returns how many it gave (fewer: the data has ended). */
typedef size_t (*ccn_write_fn)(void *user, const void *data, size_t size);
typedef size_t (*ccn_read_fn)(void *user, void *data, size_t size);
/* Bytes ccn_save writes for this net (0 if it would not fit a size_t). */
CCN_API size_t ccn_saved_size(const ccn_net *net);
/* Writes the whole net: configuration, links, parameters, every trace, moment, statistic and
   state, counters and the generator, so that the loaded net continues bit for bit. */
CCN_API ccn_result ccn_save(const ccn_net *net, ccn_write_fn write, void *user);
/* The same with the reals stored in real_size bytes (4: float, 8: double; anything else is
   CCN_ERR_BAD_REAL_SIZE), converted as FILE FORMAT says. */
CCN_API ccn_result ccn_save_as(const ccn_net *net, int real_size, ccn_write_fn write, void *user);
/* Reads one file, exactly its bytes and no more (files may follow one another in a stream), into
   a new net in one allocation from alloc (NULL: CCN_MALLOC). On error *out is NULL and nothing
   leaks; the error names the first problem met (ERRORS, FILE FORMAT). */
CCN_API ccn_result ccn_load(ccn_read_fn read, void *user, const ccn_allocator *alloc, ccn_net **out);
/* Saves into buffer (capacity bytes); *written gets the size unless NULL.
   CCN_ERR_BUFFER_TOO_SMALL (nothing written) if capacity < ccn_saved_size(). */
CCN_API ccn_result ccn_save_to_memory(const ccn_net *net, void *buffer, size_t capacity, size_t *written);
/* Loads from size bytes, which must hold exactly one file: fewer is CCN_ERR_TRUNCATED and more
   CCN_ERR_TRAILING_DATA, both found before anything is allocated. */
CCN_API ccn_result ccn_load_from_memory(const void *data, size_t size, const ccn_allocator *alloc, ccn_net **out);
#ifndef CCN_NO_STDIO
/* Path helpers (absent with CCN_NO_STDIO): the file is opened, written or read whole, and closed
   here. A file that cannot be opened (a missing directory or file, no permission) is
   CCN_ERR_OPEN; a failed read, write or close (a directory opened as a file), CCN_ERR_IO. A file with bytes after the net's is
   CCN_ERR_TRAILING_DATA. After a failed save the file may hold part of a net, which the loader
   rejects. */
CCN_API ccn_result ccn_save_file(const ccn_net *net, const char *path);
CCN_API ccn_result ccn_load_file(const char *path, const ccn_allocator *alloc, ccn_net **out);
#endif

/* ---- randomness (the same generator the nets use) ----------------------------------------- */
CCN_API void ccn_rng_seed(ccn_rng *rng, uint64_t seed);
CCN_API uint64_t ccn_rng_next(ccn_rng *rng);        /* a NULL rng: 0                  */
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
#include <float.h>
#ifndef CCN_NO_STDIO
#include <stdio.h>
#endif

/* The same bits on every platform (RANDOMNESS) need each operation rounded to ccn_real, which
   FLT_EVAL_METHOD says: 0 (or TS 18661-3's 16 and 32) evaluates float and double in their own
   type; 1 (33, 64) evaluates float in double, harmless to a double build; 2 (x87 arithmetic) and
   -1 (indeterminate) round each result twice or at the compiler's whim. A pre-C99 library
   without FLT_EVAL_METHOD falls back on the compiler's own macro; with neither, no check. */
#if defined(FLT_EVAL_METHOD)
#define CCN__EVAL_METHOD FLT_EVAL_METHOD
#elif defined(__FLT_EVAL_METHOD__)
#define CCN__EVAL_METHOD __FLT_EVAL_METHOD__
#endif
#if defined(CCN__EVAL_METHOD) && !defined(CCN_ALLOW_EXCESS_PRECISION)
#if CCN__EVAL_METHOD == 0 || CCN__EVAL_METHOD == 16 || CCN__EVAL_METHOD == 32
#elif defined(CCN_DOUBLE) && (CCN__EVAL_METHOD == 1 || CCN__EVAL_METHOD == 33 || CCN__EVAL_METHOD == 64)
#else
#error "ccn.h: FLT_EVAL_METHOD says ccn_real is evaluated in excess precision, so the results \
would not be the bits of other platforms (see RANDOMNESS). On 32-bit x86 compile with -msse2 \
-mfpmath=sse; for float on s390x, with -fexcess-precision=fast (or -std=gnu11); or define \
CCN_ALLOW_EXCESS_PRECISION: results correct to rounding, not bit-identical to other platforms."
#endif
#endif

/* ccn_set_flush_subnormals needs x86-64 (every such processor has denormals-are-zero; a 32-bit
   one may not, and setting it there faults) with ccn_real's arithmetic on the SSE units, which
   the MXCSR governs (x87 arithmetic ignores it). ARM64EC defines _M_X64 too. */
#if (defined(__x86_64__) && defined(__SSE2_MATH__)) || (defined(_M_X64) && !defined(_M_ARM64EC))
#include <xmmintrin.h>
#define CCN__HAS_FLUSH 1
#endif

/* Where the compiler targets AVX (e.g. -mavx2, -march=native on a machine since 2011), the
   pre-activations of small fan-in sum eight columns at once (ccn__preact_x8), to the bits of
   the portable loop (ccn__preact_z). */
#if !defined(CCN_DOUBLE) && defined(__AVX__)
#include <immintrin.h>
#define CCN__X8 1
#define CCN__X8_MIN 5 /* stages of fewer columns take the portable loop: most of the 8 lanes would idle */
#endif

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

/* Before a loop whose arrays do not overlap but come from one object at distances the compiler
   cannot see (the gate segments of net->pre, net->Bh, ...): without it gcc leaves the cell loops
   of gated and lstm columns scalar (bench/README.md).
   clang's counterpart, loop vectorize(assume_safety), warns wherever its vectoriser does not
   run (-O1, sanitizers), so clang goes without. */
#if defined(__GNUC__) && !defined(__clang__)
#define CCN__IVDEP _Pragma("GCC ivdep")
#else
#define CCN__IVDEP
#endif

/* The scalar maths the vectorised loops call must be inlined into them. */
#if defined(__GNUC__) || defined(__clang__)
#define CCN__INLINE static inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define CCN__INLINE static __forceinline
#else
#define CCN__INLINE static
#endif

/* The kernels a column loop calls stay out of it: inlined into it, they slow every step
   (bench/README.md). */
#if defined(__GNUC__) || defined(__clang__)
#define CCN__NOINLINE __attribute__((noinline))
#elif defined(_MSC_VER)
#define CCN__NOINLINE __declspec(noinline)
#else
#define CCN__NOINLINE
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ============================================================================================
   Column kinds
   ============================================================================================ */

/* Column kinds: the one description of each. A line of CCN__KINDS is a kind's public value, its
   name, its gates (in block order), its states (2: a cell c besides h) and its recurrent inputs:
   for each gate q, the gate whose sigma(a) scales h' in q's u entry (rho_q h' instead of h';
   -1: h' itself, rho_q = 1). Its cells function, ccn__<name>_cells (section 3), maps the gates'
   pre-activations to the new state and the local derivatives M and B, from which both ColoR and
   exact RTRL are built. Everything that depends on the kind reads this description; a value
   without a line here is refused at creation (CCN_ERR_BAD_KIND, whose text lists these). The
   formulas are in OVERVIEW (Kinds).
     kind        name   gates  states  recurrent inputs */
#define CCN__KINDS(X)                                                                             \
    X(CCN_TANH, tanh, 1, 1, CCN__RHO_NONE)   /* a                                             */  \
    X(CCN_GATED, gated, 2, 1, CCN__RHO_NONE) /* f g                                           */  \
    X(CCN_LSTM, lstm, 4, 2, CCN__RHO_NONE)   /* i f o g                                       */  \
    X(CCN_GRU, gru, 3, 1, CCN__RHO_GRU)      /* r s g: g's u entry reads r h'                 */
#define CCN__MAX_GATES 4 /* ccn__local's arrays */
#define CCN__RHO_NONE {-1, -1, -1, -1}
#define CCN__RHO_GRU {-1, -1, 0, -1}

typedef struct ccn__kind {
    int kind, gates, states;
    int rho[CCN__MAX_GATES];
    void (*cells)(ccn_net *net, int c0, int c1);
} ccn__kind;

/* The cells functions are defined in section 3; each kind's description is a static object,
   its gate and state counts checked at compile time. */
#define CCN__KIND_DEFINE(e, name, G, S, rho)                                                         \
    static void ccn__##name##_cells(ccn_net *net, int c0, int c1);                                  \
    typedef char ccn__kind_fits_##name[(G) >= 1 && (G) <= CCN__MAX_GATES && ((S) == 1 || (S) == 2) ? 1 : -1]; \
    static const ccn__kind ccn__kind_##name = {e, G, S, rho, ccn__##name##_cells};
CCN__KINDS(CCN__KIND_DEFINE)
#undef CCN__KIND_DEFINE

/* The description of kind, or NULL for a value without one. A switch: two lines with the same
   value do not compile, and there is no default to fall into another kind's code. */
static const ccn__kind *ccn__kind_of(int kind) {
    switch (kind) {
#define CCN__KIND_CASE(e, name, G, S, rho)                                                           \
    case e: return &ccn__kind_##name;
        CCN__KINDS(CCN__KIND_CASE)
#undef CCN__KIND_CASE
    }
    return NULL;
}

/* Whether every gate reads h' itself (rho = 1): what the fast paths' kernels assume (section 3). */
static int ccn__kind_plain(const ccn__kind *K) {
    int q;
    for (q = 0; q < K->gates; ++q)
        if (K->rho[q] >= 0) return 0;
    return 1;
}

/* ============================================================================================
   Version, errors
   ============================================================================================ */

CCN_API int ccn_version(void) { return CCN_VERSION_NUMBER; }

/* " CCN_TANH" ...: CCN_ERR_BAD_KIND's text lists the kinds of CCN__KINDS (below) */
#define CCN__KIND_NAME(e, name, G, S, rho) " " #e

CCN_API const char *ccn_result_string(ccn_result r) {
    switch (r) {
    case CCN_OK: return "ok";
    case CCN_ERR_NULL_ARGUMENT: return "a required pointer was NULL";
    case CCN_ERR_BAD_SIZE: return "n_inputs, n_columns, n_outputs and feature_width must be > 0";
    case CCN_ERR_TOO_LARGE:
        return "a dimension exceeds CCN_MAX_DIM, the net's size overflows, or links would need more than "
               "CCN_MAX_LINK_DRAWS draws";
    case CCN_ERR_BAD_KIND: return "kind must be one of" CCN__KINDS(CCN__KIND_NAME);
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
        return "learner must be CCN_SUPERVISED or CCN_TD (one output, td_lambda in [0, 1]); "
               "ccn_td_step needs a net created with learner = CCN_TD";
    case CCN_ERR_BAD_OPTIMIZER:
        return "optimizer must be CCN_SGD, CCN_RMSPROP or CCN_ADAM, betas in [0, 1 - 2^-24], epsilon in [1e-30, 1e30], "
               "clip_norm and obgd_kappa in [0, 1e30]";
    case CCN_ERR_BAD_NORMALIZATION: return "normalisation rates must be in [1e-30, 1], the floor in [1e-30, 1e30]";
    case CCN_ERR_BAD_GAMMA: return "gamma must be in [0, 1]";
    case CCN_ERR_NOT_FINITE: return "an input, target, cumulant, dL/dy or dL/dh was NaN or infinite";
    case CCN_ERR_NO_MORE_STAGES: return "the net is already in its last stage";
    case CCN_ERR_BAD_WORKERS: return "n_workers must be in [0, CCN_MAX_WORKERS]";
    case CCN_ERR_DIVERGED:
        return "the update would have made a parameter or an optimiser moment NaN or infinite: refused";
    case CCN_ERR_IO: return "a write callback took fewer bytes than given, or writing or closing a file failed";
    case CCN_ERR_BUFFER_TOO_SMALL: return "the buffer is smaller than ccn_saved_size()";
    case CCN_ERR_BAD_MAGIC: return "not a ccn.h file";
    case CCN_ERR_BAD_VERSION: return "a file format version this library does not read";
    case CCN_ERR_TRUNCATED: return "the data ended before the file did";
    case CCN_ERR_CHECKSUM: return "a checksum does not match: the file is corrupt";
    case CCN_ERR_BAD_FILE: return "the file's contents are inconsistent";
    case CCN_ERR_TRAILING_DATA: return "there are bytes after the end of the file";
    case CCN_ERR_UNSUPPORTED: return "flushing subnormals needs x86-64 with SSE arithmetic";
    case CCN_ERR_NO_STEP:
        return "no step to learn from: call ccn_step first (learning needs a step, and learns from it once)";
    case CCN_ERR_BAD_FLAG:
        return "feedforward, scale_readout_step, refuse_nonfinite and ccn_set_flush_subnormals' flag must be 0 or 1";
    case CCN_ERR_BAD_REAL_SIZE: return "real_size must be 4 (float) or 8 (double)";
    case CCN_ERR_OPEN: return "the file could not be opened (missing directory, no permission, or no such file)";
    case CCN_ERR_UNUSED_SETTING:
        return "a setting the others leave unused (e.g. td_lambda without learner CCN_TD, a beta of another "
               "optimizer): leave it 0 or set what uses it; ccn_config_check names it";
    case CCN_ERR_BAD_BATCH:
        return "a batch needs at least one net, nets that agree in every field fixing a step's shape (inputs, "
               "outputs, columns, kind, method, feature layers and width, feedforward, stages, learner), "
               "and member indices in [0, count)";
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
    if (!rng) return;
    for (k = 0; k < 4; ++k) rng->s[k] = ccn__splitmix64(&seed);
}

static uint64_t ccn__rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

CCN_API uint64_t ccn_rng_next(ccn_rng *rng) {
    uint64_t *s, result, t;
    if (!rng) return 0;
    s = rng->s;
    result = ccn__rotl(s[1] * 5, 7) * 9;
    t = s[1] << 17;
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
    int stepped;                 /* a step since creation or ccn_reset_state: gradients exist  */
    int unlearned;               /* that step has not been learned from (ccn_learn may update) */

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
    ccn_real *pre, *u;           /* G x n: gate pre-activations and self-weights (gate-major)  */
    ccn_real *Bh, *Bc;           /* G x n: the local derivatives B of each column (see 3.)     */
    ccn_real *Mhh, *Mhc, *Mch, *Mcc; /* n each: the local derivatives M                         */
    ccn_real *zbuf;              /* per worker (ccn__zstride): [x~ ; cascade ; a column tail]  */
    ccn_real *fscratch;          /* feature-layer scratch, per worker: 2 x feat_count + 4 x W  */
    ccn_parallel_fn parallel;    /* the caller's parallel-for, or NULL                         */
    void *parallel_user;
    int flush;                   /* ccn_set_flush_subnormals                                   */
    ccn_real *in_mu, *in_var;    /* live input statistics, m + n: [x ; h]                      */
    ccn_real *snap_mu, *snap_var; /* frozen stages' statistics, snap_count each                */
    ccn_real *f_mu, *f_var;      /* readout feature statistics, n                              */
    ccn_real *S, *S_new;         /* exact RTRL: rows of p; row i = dh_i, row n + i = dc_i      */
    ccn_real *Jphi;              /* exact RTRL: n x W rows of feat_count                       */
};

/* The net's kind (resolved: never NULL). */
static const ccn__kind *ccn__net_kind(const ccn_net *net) { return ccn__kind_of(net->cfg.kind); }

static int ccn__finite_in(double v, double lo, double hi) { return v >= lo && v <= hi; }

/* Largest magnitude accepted for a real setting: far past any sensible value, and finite (and
   non-zero where it must be) once converted to a float ccn_real. */
#define CCN__SETTING_MAX 1e30
#define CCN__SETTING_MIN 1e-30
/* The largest beta: 1 - 2^-24, the largest float below 1, so that a beta stays below 1 in
   either precision (at 1, Adam's bias correction is infinite) and a file means the same in both. */
#define CCN__BETA_MAX 0.99999994039535522

/* The defaults of the fields whose zero is not meaningful (and that may be set where unused).
   Cast, so that a field holding one compares equal to it under excess precision (x87, with
   CCN_ALLOW_EXCESS_PRECISION), where a bare constant is evaluated in long double. */
#define CCN__FEATURE_WIDTH 5
#define CCN__RMS_BETA ((double)0.9999)
#define CCN__ADAM_BETA1 ((double)0.9)
#define CCN__ADAM_BETA2 ((double)0.999)
#define CCN__OPT_EPSILON ((double)1e-8)
#define CCN__NORM_VAR_FLOOR ((double)0.01)

/* Links: inside a stage, every other column's previous state and (with feature layers) each of
   its features is a candidate, in this order: for each other column j of the stage, its state,
   then its features 0..W-1. This is how many a column of a stage of `cols` columns has (exact:
   below 2^49 for dimensions up to CCN_MAX_DIM); ccn__link_candidate names each, and
   ccn__link_plan is the only walk over them. */
static uint64_t ccn__link_candidates(const ccn_config *c, int cols) {
    return (uint64_t)(cols - 1) * (1 + (uint64_t)(c->feature_layers > 0 ? c->feature_width : 0));
}

/* Defaults and validation in one place, which knows both the code and the field of each refusal
   (ccn_config_resolve and ccn_config_check cannot disagree). *out is written only on CCN_OK. */
#define CCN__REFUSE(cond, code, name)                                                               \
    if (cond) {                                                                                     \
        *field = name;                                                                              \
        return code;                                                                                \
    }
static ccn_result ccn__resolve(const ccn_config *cfg, ccn_config *out, const char **field) {
    ccn_config r = *cfg;
    *field = NULL;
    if (r.n_outputs == 0) r.n_outputs = 1;
    if (r.kind == 0) r.kind = CCN_TANH;
    if (r.method == 0) r.method = CCN_COLOR;
    if (r.feature_layers == 0) r.feature_width = 0;
    else if (r.feature_width == 0) r.feature_width = CCN__FEATURE_WIDTH;
    if (r.columns_per_stage == 0) r.columns_per_stage = r.n_columns;
    if (r.learner == 0) r.learner = CCN_SUPERVISED;
    if (r.optimizer == 0) r.optimizer = CCN_SGD;
    if (r.rms_beta == 0.0) r.rms_beta = CCN__RMS_BETA;
    if (r.adam_beta1 == 0.0) r.adam_beta1 = CCN__ADAM_BETA1;
    if (r.adam_beta2 == 0.0) r.adam_beta2 = CCN__ADAM_BETA2;
    if (r.opt_epsilon == 0.0) r.opt_epsilon = CCN__OPT_EPSILON;
    if (r.input_norm_rate == 0.0) r.input_norm_rate = 1.0;
    if (r.feature_norm_rate == 0.0) r.feature_norm_rate = 1.0;
    if (r.norm_var_floor == 0.0) r.norm_var_floor = CCN__NORM_VAR_FLOOR;
    if (r.n_workers == 0) r.n_workers = 1;
    CCN__REFUSE(r.n_inputs <= 0, CCN_ERR_BAD_SIZE, "n_inputs")
    CCN__REFUSE(r.n_outputs <= 0, CCN_ERR_BAD_SIZE, "n_outputs")
    CCN__REFUSE(r.n_columns <= 0, CCN_ERR_BAD_SIZE, "n_columns")
    CCN__REFUSE(r.feature_layers && r.feature_width <= 0, CCN_ERR_BAD_SIZE, "feature_width")
    CCN__REFUSE(r.n_inputs > CCN_MAX_DIM, CCN_ERR_TOO_LARGE, "n_inputs")
    CCN__REFUSE(r.n_outputs > CCN_MAX_DIM, CCN_ERR_TOO_LARGE, "n_outputs")
    CCN__REFUSE(r.n_columns > CCN_MAX_DIM, CCN_ERR_TOO_LARGE, "n_columns")
    CCN__REFUSE(r.feature_width > CCN_MAX_DIM, CCN_ERR_TOO_LARGE, "feature_width")
    CCN__REFUSE(!ccn__kind_of(r.kind), CCN_ERR_BAD_KIND, "kind")
    CCN__REFUSE(r.method != CCN_COLOR && r.method != CCN_RTRL && r.method != CCN_FORWARD, CCN_ERR_BAD_METHOD, "method")
    CCN__REFUSE(r.feature_layers < 0 || r.feature_layers > 2, CCN_ERR_BAD_FEATURES, "feature_layers")
    CCN__REFUSE(r.feedforward != 0 && r.feedforward != 1, CCN_ERR_BAD_FLAG, "feedforward")
    CCN__REFUSE(!ccn__finite_in(r.step_size, 0.0, CCN__SETTING_MAX), CCN_ERR_BAD_STEP_SIZE, "step_size")
    CCN__REFUSE(!ccn__finite_in(r.init_scale, 0.0, CCN__SETTING_MAX), CCN_ERR_BAD_INIT_SCALE, "init_scale")
    CCN__REFUSE(r.columns_per_stage < 0 || r.columns_per_stage > r.n_columns, CCN_ERR_BAD_STAGES, "columns_per_stage")
    CCN__REFUSE(r.steps_per_stage < 0, CCN_ERR_BAD_STAGES, "steps_per_stage")
    CCN__REFUSE(r.learner != CCN_SUPERVISED && r.learner != CCN_TD, CCN_ERR_BAD_LEARNER, "learner")
    CCN__REFUSE(!ccn__finite_in(r.td_lambda, 0.0, 1.0), CCN_ERR_BAD_LEARNER, "td_lambda")
    CCN__REFUSE(r.learner == CCN_TD && r.n_outputs != 1, CCN_ERR_BAD_LEARNER, "n_outputs")
    CCN__REFUSE(r.optimizer != CCN_SGD && r.optimizer != CCN_RMSPROP && r.optimizer != CCN_ADAM, CCN_ERR_BAD_OPTIMIZER,
                "optimizer")
    CCN__REFUSE(!ccn__finite_in(r.rms_beta, 0.0, CCN__BETA_MAX), CCN_ERR_BAD_OPTIMIZER, "rms_beta")
    CCN__REFUSE(!ccn__finite_in(r.adam_beta1, 0.0, CCN__BETA_MAX), CCN_ERR_BAD_OPTIMIZER, "adam_beta1")
    CCN__REFUSE(!ccn__finite_in(r.adam_beta2, 0.0, CCN__BETA_MAX), CCN_ERR_BAD_OPTIMIZER, "adam_beta2")
    CCN__REFUSE(!ccn__finite_in(r.opt_epsilon, CCN__SETTING_MIN, CCN__SETTING_MAX), CCN_ERR_BAD_OPTIMIZER, "opt_epsilon")
    CCN__REFUSE(r.scale_readout_step != 0 && r.scale_readout_step != 1, CCN_ERR_BAD_FLAG, "scale_readout_step")
    CCN__REFUSE(r.refuse_nonfinite != 0 && r.refuse_nonfinite != 1, CCN_ERR_BAD_FLAG, "refuse_nonfinite")
    CCN__REFUSE(!ccn__finite_in(r.clip_norm, 0.0, CCN__SETTING_MAX), CCN_ERR_BAD_OPTIMIZER, "clip_norm")
    CCN__REFUSE(!ccn__finite_in(r.obgd_kappa, 0.0, CCN__SETTING_MAX), CCN_ERR_BAD_OPTIMIZER, "obgd_kappa")
    CCN__REFUSE(!ccn__finite_in(r.input_norm_rate, CCN__SETTING_MIN, 1.0), CCN_ERR_BAD_NORMALIZATION, "input_norm_rate")
    CCN__REFUSE(!ccn__finite_in(r.feature_norm_rate, CCN__SETTING_MIN, 1.0), CCN_ERR_BAD_NORMALIZATION,
                "feature_norm_rate")
    CCN__REFUSE(!ccn__finite_in(r.norm_var_floor, CCN__SETTING_MIN, CCN__SETTING_MAX), CCN_ERR_BAD_NORMALIZATION,
                "norm_var_floor")
    CCN__REFUSE(r.n_workers < 0 || r.n_workers > CCN_MAX_WORKERS, CCN_ERR_BAD_WORKERS, "n_workers")
    CCN__REFUSE(!ccn__finite_in(r.links, 0.0, CCN__SETTING_MAX), CCN_ERR_BAD_LINKS, "links")
    CCN__REFUSE(r.links > (double)ccn__link_candidates(&r, r.columns_per_stage), CCN_ERR_BAD_LINKS, "links")
    CCN__REFUSE(r.links > 0.0 && (uint64_t)r.n_columns > (uint64_t)CCN_MAX_LINK_DRAWS /
                                                             ccn__link_candidates(&r, r.columns_per_stage),
                CCN_ERR_TOO_LARGE, "links") /* draws: n_columns x a full stage's candidates (not 0: above) */
    /* settings the others leave unused (0 or the default is what an unset field resolves to) */
    CCN__REFUSE(!r.feature_layers && cfg->feature_width != 0 && cfg->feature_width != CCN__FEATURE_WIDTH,
                CCN_ERR_UNUSED_SETTING, "feature_width")
    CCN__REFUSE(r.columns_per_stage == r.n_columns && r.steps_per_stage != 0, CCN_ERR_UNUSED_SETTING, "steps_per_stage")
    CCN__REFUSE(r.learner != CCN_TD && r.td_lambda != 0.0, CCN_ERR_UNUSED_SETTING, "td_lambda")
    CCN__REFUSE(r.optimizer != CCN_RMSPROP && r.rms_beta != CCN__RMS_BETA, CCN_ERR_UNUSED_SETTING, "rms_beta")
    CCN__REFUSE(r.optimizer != CCN_ADAM && r.adam_beta1 != CCN__ADAM_BETA1, CCN_ERR_UNUSED_SETTING, "adam_beta1")
    CCN__REFUSE(r.optimizer != CCN_ADAM && r.adam_beta2 != CCN__ADAM_BETA2, CCN_ERR_UNUSED_SETTING, "adam_beta2")
    CCN__REFUSE(r.optimizer == CCN_SGD && r.opt_epsilon != CCN__OPT_EPSILON, CCN_ERR_UNUSED_SETTING, "opt_epsilon")
    CCN__REFUSE(r.input_norm_rate == 1.0 && r.feature_norm_rate == 1.0 && r.norm_var_floor != CCN__NORM_VAR_FLOOR,
                CCN_ERR_UNUSED_SETTING, "norm_var_floor")
    CCN__REFUSE(r.obgd_kappa > 0.0 && (r.learner != CCN_TD || r.optimizer != CCN_SGD), CCN_ERR_UNUSED_SETTING,
                "obgd_kappa")
    *out = r;
    return CCN_OK;
}
#undef CCN__REFUSE

CCN_API ccn_result ccn_config_resolve(const ccn_config *cfg, ccn_config *out) {
    const char *field;
    if (!cfg || !out) return CCN_ERR_NULL_ARGUMENT;
    return ccn__resolve(cfg, out, &field);
}

static int ccn__gates(int kind) { return ccn__kind_of(kind)->gates; }

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

/* Each link candidate is taken with probability links / (the candidates of a full stage). */
static double ccn__link_prob(const ccn_config *c) {
    return c->links > 0.0 ? c->links / (double)ccn__link_candidates(c, c->columns_per_stage) : 0.0;
}

/* The net's dimensions that follow from its configuration alone. 0 on overflow. */
static int ccn__shape(ccn_net *d) {
    const ccn_config *c = &d->cfg;
    size_t m = (size_t)c->n_inputs, W, s, t;
    size_t dps = (size_t)c->columns_per_stage;
    d->n = c->n_columns;
    d->m = c->n_inputs;
    d->o = c->n_outputs;
    d->L = c->feature_layers;
    d->W = d->L > 0 ? c->feature_width : 0;
    d->G = ccn__gates(c->kind);
    d->own_len = d->W ? d->W : d->m;
    d->n_stages = (int)(((size_t)d->n + dps - 1) / dps);
    d->in_norm = c->input_norm_rate < 1.0;
    d->feat_norm = c->feature_norm_rate < 1.0;
    W = (size_t)d->W;
    d->feat_count = 0;
    if (d->L >= 1 && !ccn__mul(W, m + 1, &d->feat_count)) return 0;
    if (d->L == 2 && (!ccn__mul(W, W + 1, &t) || !ccn__add(d->feat_count, t, &d->feat_count))) return 0;
    d->snap_count = 0; /* stage s freezes the statistics of m inputs and its cascade */
    for (s = 0; s < (size_t)d->n_stages; ++s)
        if (!ccn__add(d->snap_count, m + s * dps, &d->snap_count)) return 0;
    return 1;
}

/* A column's parameter block, the one place its size is computed: feat_count feature-layer
   weights, then G gates of |z| + 2 weights each (w over z = [own ; cascade ; links], u, b).
   cascade: the columns of the stages before the column's. |z| and the link offsets are ints.
   Sets *blk and, if zlen is not NULL, *zlen; 0 on overflow. */
static int ccn__block_size(const ccn_net *d, size_t cascade, uint64_t n_links, int *zlen, size_t *blk) {
    size_t z = (size_t)d->own_len + cascade; /* both below CCN_MAX_DIM */
    if (n_links > 0x7fffffff || !ccn__add(z, (size_t)n_links, &z) || z > 0x7fffffff - 2 ||
        !ccn__mul((size_t)d->G, z + 2, blk) || !ccn__add(*blk, d->feat_count, blk))
        return 0;
    if (zlen) *zlen = (int)z;
    return 1;
}

/* Candidate c of column i, whose stage starts at column `first` (ccn__link_candidates' order). */
static ccn_link ccn__link_candidate(int first, int i, int W, uint64_t c) {
    ccn_link l;
    int j = first + (int)(c / ((uint64_t)W + 1)), k = (int)(c % ((uint64_t)W + 1));
    l.type = k == 0 ? CCN_LINK_STATE : CCN_LINK_FEATURE;
    l.column = j < i ? j : j + 1; /* the other columns: i itself is no candidate */
    l.feature = k == 0 ? 0 : k - 1;
    return l;
}

/* The link plan: every column's candidates in the one order, one uniform draw from rng each, a
   candidate taken when its draw is below ccn__link_prob. With links NULL it only counts; with
   links it also writes them (at most d->n_links of them: the array's size) and, per column, its
   first one's index in link_off[0..n]. Creation counts with it (ccn__measure), sizes the net by
   the count, then draws with it from the same generator state: the same walk, so the same links.
   Should the two passes ever disagree, the drawing pass stops before it would write past the
   array and fails, in every build (ccn_create then refuses the net). Sets *total to the links
   drawn; 0 on a column too long (ccn__block_size) or a count other than the array's. */
static int ccn__link_plan(const ccn_net *d, ccn_rng *rng, ccn_link *links, int *link_off, uint64_t *total) {
    double prob = ccn__link_prob(&d->cfg);
    uint64_t at = 0, c, cand, cap = links ? (uint64_t)d->n_links : 0;
    int i, cps = d->cfg.columns_per_stage;
    size_t blk;
    for (i = 0; i < d->n; ++i) {
        int first = i / cps * cps, cols = d->n - first < cps ? d->n - first : cps;
        uint64_t before = at;
        cand = prob > 0.0 ? ccn__link_candidates(&d->cfg, cols) : 0;
        if (link_off) link_off[i] = (int)at; /* at <= 0x7fffffff: checked at the previous column */
        for (c = 0; c < cand; ++c)
            if (ccn_rng_uniform(rng) < prob) {
                if (links) {
                    if (at == cap) return 0;
                    links[at] = ccn__link_candidate(first, i, d->W, c);
                }
                ++at;
            }
        if (at > 0x7fffffff || !ccn__block_size(d, (size_t)first, at - before, NULL, &blk)) return 0;
    }
    if (links && at != cap) return 0;
    if (link_off) link_off[d->n] = (int)at;
    *total = at;
    return 1;
}

/* The parameter count of a net of d's shape with n_links links in all: the columns' blocks,
   then the readout (o x (n + 1)). A link adds one weight per gate to its column's block, so the
   total needs only the links' total: creation counts them (ccn__link_plan), a file states it.
   ccn__place_columns, laying the blocks out one by one, checks that they end at d->readout.
   Sets d->n_links, d->readout and d->p; 0 on overflow. */
static int ccn__count_params(ccn_net *d, uint64_t n_links) {
    size_t cps = (size_t)d->cfg.columns_per_stage, n = (size_t)d->n, first, blk, t, p = 0;
    for (first = 0; first < n; first += cps) { /* a stage: its columns share their cascade */
        size_t cols = n - first < cps ? n - first : cps;
        if (!ccn__block_size(d, first, 0, NULL, &blk) || !ccn__mul(blk, cols, &blk) || !ccn__add(p, blk, &p)) return 0;
    }
    if (n_links > 0x7fffffff || !ccn__mul((size_t)n_links, (size_t)d->G, &t) || !ccn__add(p, t, &p)) return 0;
    d->n_links = (size_t)n_links;
    d->readout = p;
    return ccn__mul((size_t)d->o, n + 1, &t) && ccn__add(p, t, &d->p);
}

/* One worker's z buffer: [x~ ; cascade ; the longest tail] fits in m + n + n_links + 2 reals,
   rounded up to a cache line so that workers never share one. 0 on overflow. */
static int ccn__zstride(const ccn_net *net, size_t *out) {
    size_t line = CCN__ALIGN / sizeof(ccn_real), z;
    if (!ccn__add((size_t)net->m + (size_t)net->n, net->n_links, &z) || !ccn__add(z, 2 + line - 1, &z)) return 0;
    *out = z / line * line;
    return 1;
}

/* The sizes every array's count is made of. rows and jrows (exact RTRL) and the per-worker
   buffers are products, checked here: 0 on overflow. */
typedef struct ccn__dims {
    size_t n, m, o, p, W, fc, G, ns, stages, links, snap, workers, rows, jrows;
    size_t zstride, zbuf, fscratch; /* per-worker buffers: one worker's z, all z, feature scratch */
    int color, rtrl, learns, td, adam, moments, in_norm, feat_norm;
} ccn__dims;

static int ccn__dims_of(const ccn_net *net, ccn__dims *D) {
    int method = net->cfg.method, opt = net->cfg.optimizer;
    D->n = (size_t)net->n;
    D->m = (size_t)net->m;
    D->o = (size_t)net->o;
    D->p = net->p;
    D->W = (size_t)net->W;
    D->fc = net->feat_count;
    D->G = (size_t)net->G;
    D->ns = (size_t)ccn__net_kind(net)->states;
    D->stages = (size_t)net->n_stages;
    D->links = net->n_links;
    D->snap = net->snap_count;
    D->workers = (size_t)net->cfg.n_workers;
    D->color = method == CCN_COLOR;
    D->rtrl = method == CCN_RTRL;
    D->learns = method != CCN_FORWARD;
    D->td = D->learns && net->cfg.learner == CCN_TD;
    D->adam = D->learns && opt == CCN_ADAM;
    D->moments = D->learns && opt != CCN_SGD;
    D->in_norm = net->in_norm;
    D->feat_norm = net->feat_norm;
    D->rows = D->jrows = 0;
    if (!ccn__zstride(net, &D->zstride) || !ccn__mul(D->zstride, D->workers, &D->zbuf) ||
        !ccn__mul(D->fc, 2, &D->fscratch) || !ccn__add(D->fscratch, 4 * D->W, &D->fscratch) ||
        !ccn__mul(D->fscratch, D->workers, &D->fscratch))
        return 0;
    return !D->rtrl || (ccn__mul(D->n * D->ns, D->p, &D->rows) && ccn__mul(D->n * D->W, D->fc, &D->jrows));
}

/* Every array of a net, in block order: X(field, element type, count, role), the count an
   expression in a ccn__dims named D. The role says what a saved file does with it (FILE FORMAT):
     LAYOUT   not saved: rebuilt from the configuration and the links
     LINKS    the links section
     STATE    saved, in this order: everything that lives from one call to the next
     SCRATCH  not saved: every call writes it before reading it
   ccn__place lays the list out, the serialiser and ccn_nonfinite_count walk it, so an array
   added here is placed, saved, loaded and checked. */
#define CCN__ARRAYS(X)                                                                          \
    X(col_off, size_t, D.n + 1, LAYOUT)        /* n + 1 block offsets                        */ \
    X(zlen, int, D.n, LAYOUT)                                                                   \
    X(link_off, int, D.n + 1, LAYOUT)                                                           \
    X(col_stage, int, D.n, LAYOUT)                                                              \
    X(stage_start, int, D.stages + 1, LAYOUT)                                                   \
    X(snap_off, size_t, D.stages, LAYOUT)                                                       \
    X(links, ccn_link, D.links + 1, LINKS)     /* never NULL: every column indexes it        */ \
    X(theta, ccn_real, D.p, STATE)                                                              \
    X(grad, ccn_real, D.learns ? D.p : 0, STATE)                                                \
    X(work, ccn_real, D.rtrl ? D.p : 0, SCRATCH)                                                \
    X(eh, ccn_real, D.color ? D.p : 0, STATE)                                                   \
    X(ec, ccn_real, D.color && D.ns == 2 ? D.p : 0, STATE)                                      \
    X(elig, ccn_real, D.td ? D.p : 0, STATE)                                                    \
    X(opt_m, ccn_real, D.adam ? D.p : 0, STATE)                                                 \
    X(opt_v, ccn_real, D.moments ? D.p : 0, STATE)                                              \
    X(h, ccn_real, D.n, STATE)                                                                  \
    X(h_prev, ccn_real, D.n, SCRATCH)                                                           \
    X(c, ccn_real, D.ns == 2 ? D.n : 0, STATE)                                                  \
    X(c_prev, ccn_real, D.ns == 2 ? D.n : 0, SCRATCH)                                           \
    X(hid, ccn_real, D.n * D.W, SCRATCH)                                                        \
    X(phi, ccn_real, D.n * D.W, SCRATCH)                                                        \
    X(hn, ccn_real, D.n, STATE)                                                                 \
    X(hscale, ccn_real, D.n, STATE)                                                             \
    X(y, ccn_real, D.o, STATE)                                                                  \
    X(dl_dh, ccn_real, D.n, SCRATCH)                                                            \
    X(err, ccn_real, D.o, SCRATCH)                                                              \
    X(pre, ccn_real, D.G * D.n, SCRATCH)                                                        \
    X(u, ccn_real, D.G * D.n, SCRATCH)                                                          \
    X(Bh, ccn_real, D.G * D.n, SCRATCH)                                                         \
    X(Bc, ccn_real, D.ns == 2 ? D.G * D.n : 0, SCRATCH)                                         \
    X(Mhh, ccn_real, D.n, SCRATCH)                                                              \
    X(Mhc, ccn_real, D.ns == 2 ? D.n : 0, SCRATCH)                                              \
    X(Mch, ccn_real, D.ns == 2 ? D.n : 0, SCRATCH)                                              \
    X(Mcc, ccn_real, D.ns == 2 ? D.n : 0, SCRATCH)                                              \
    X(zbuf, ccn_real, D.zbuf, SCRATCH)                                                          \
    X(fscratch, ccn_real, D.fscratch, SCRATCH)                                                  \
    X(in_mu, ccn_real, D.in_norm ? D.m + D.n : 0, STATE)                                        \
    X(in_var, ccn_real, D.in_norm ? D.m + D.n : 0, STATE)                                       \
    X(snap_mu, ccn_real, D.in_norm ? D.snap : 0, STATE)                                         \
    X(snap_var, ccn_real, D.in_norm ? D.snap : 0, STATE)                                        \
    X(f_mu, ccn_real, D.feat_norm ? D.n : 0, STATE)                                             \
    X(f_var, ccn_real, D.feat_norm ? D.n : 0, STATE)                                            \
    X(S, ccn_real, D.rows, STATE)              /* the current sensitivities; S_new is next   */ \
    X(S_new, ccn_real, D.rows, SCRATCH)                                                         \
    X(Jphi, ccn_real, D.jrows, SCRATCH)

/* Lays every array of the net out in one block from `base`, each on a cache line, and returns
   the block's size (0 on overflow). With base NULL it only measures. An array of count 0 is
   absent (NULL). */
static size_t ccn__place(ccn_net *net, unsigned char *base) {
    ccn__dims D;
    size_t at;
#define CCN__PLACE(field, type, count, role)                                                    \
    do {                                                                                         \
        size_t bytes_;                                                                           \
        if (!ccn__mul((count), sizeof(type), &bytes_)) return 0;                                \
        if (base) net->field = bytes_ ? (type *)(void *)(base + at) : NULL;                      \
        if (!ccn__add(at, bytes_, &at) || !ccn__add(at, CCN__ALIGN - 1, &at)) return 0;         \
        at &= ~(size_t)(CCN__ALIGN - 1);                                                         \
    } while (0);
    if (!ccn__dims_of(net, &D)) return 0;
    at = (sizeof(ccn_net) + CCN__ALIGN - 1) & ~(size_t)(CCN__ALIGN - 1); /* the struct first */
    CCN__ARRAYS(CCN__PLACE)
#undef CCN__PLACE
    return ccn__add(at, CCN__ALIGN, &at) ? at : 0; /* room to align the block's start */
}

/* Resolves, validates and measures a configuration into *d (a net without its arrays); *field
   names the field a refusal is about, or is NULL. */
static ccn_result ccn__measure(const ccn_config *cfg, ccn_net *d, size_t *bytes, const char **field) {
    ccn_result r;
    ccn_rng rng;
    uint64_t n_links;
    memset(d, 0, sizeof *d);
    *field = NULL;
    if (!cfg) return CCN_ERR_NULL_ARGUMENT;
    if ((r = ccn__resolve(cfg, &d->cfg, field)) != CCN_OK) return r;
    if (!ccn__shape(d)) return CCN_ERR_TOO_LARGE;
    ccn_rng_seed(&d->rng, d->cfg.seed); /* ccn_create draws the links from this state: a net copies d */
    rng = d->rng;
    if (!ccn__link_plan(d, &rng, NULL, NULL, &n_links) || !ccn__count_params(d, n_links) ||
        !(*bytes = ccn__place(d, NULL)))
        return CCN_ERR_TOO_LARGE;
    return CCN_OK;
}

CCN_API ccn_result ccn_config_check(const ccn_config *cfg, const char **field) {
    ccn_net d;
    size_t bytes;
    const char *name;
    ccn_result r = ccn__measure(cfg, &d, &bytes, &name);
    if (field) *field = name;
    return r;
}

CCN_API ccn_result ccn_memory_size(const ccn_config *cfg, size_t *out_bytes) {
    ccn_net d;
    const char *field;
    if (!out_bytes) return CCN_ERR_NULL_ARGUMENT;
    return ccn__measure(cfg, &d, out_bytes, &field);
}

/* Stage boundaries, each column's stage, and where each stage's frozen statistics go. */
static void ccn__place_stages(ccn_net *net) {
    size_t snap = 0;
    int i, s;
    for (s = 0; s <= net->n_stages; ++s) {
        int64_t first = (int64_t)s * net->cfg.columns_per_stage;
        net->stage_start[s] = first < net->n ? (int)first : net->n;
    }
    for (s = 0; s < net->n_stages; ++s) {
        net->snap_off[s] = snap;
        snap += (size_t)net->m + (size_t)net->stage_start[s];
        for (i = net->stage_start[s]; i < net->stage_start[s + 1]; ++i) net->col_stage[i] = s;
    }
}

/* Each column's z length and block offset, from the link offsets (ccn__block_size). 1 when the
   blocks end exactly where ccn__count_params put the readout (creation's drawn links and a loaded
   file's links must say so), 0 otherwise or on overflow. */
static int ccn__place_columns(ccn_net *net) {
    size_t off = 0, blk;
    int i;
    for (i = 0; i < net->n; ++i) {
        if (!ccn__block_size(net, (size_t)net->stage_start[net->col_stage[i]],
                             (uint64_t)(net->link_off[i + 1] - net->link_off[i]), &net->zlen[i], &blk))
            return 0;
        net->col_off[i] = off;
        if (!ccn__add(off, blk, &off)) return 0;
    }
    net->col_off[net->n] = off;
    return off == net->readout;
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

/* How many entries of v are NaN or infinite (x - x is 0 for a finite x, NaN otherwise). */
static size_t ccn__count_nonfinite(const ccn_real *v, size_t count) {
    size_t k, bad = 0;
    for (k = 0; k < count; ++k) bad += !(v[k] - v[k] == 0);
    return bad;
}

static int ccn__all_finite(const ccn_real *v, size_t count) {
    int ok = 1; /* an integer AND vectorises; a floating sum would be one dependent chain */
    size_t k;
    for (k = 0; k < count; ++k) ok &= v[k] - v[k] == 0;
    return ok;
}

static unsigned char *ccn__alloc_block(const ccn_allocator *a, size_t bytes, unsigned char **base) {
    unsigned char *block = (unsigned char *)(a->alloc ? a->alloc(bytes, a->user) : CCN_MALLOC(bytes, a->user));
    if (block) *base = block + ((CCN__ALIGN - ((uintptr_t)block & (CCN__ALIGN - 1))) & (CCN__ALIGN - 1));
    return block;
}

/* A zeroed block of `bytes` from alloc (NULL: CCN_MALLOC) holding the measured net d with its
   arrays placed, or NULL. */
static ccn_net *ccn__new_net(const ccn_net *d, const ccn_allocator *alloc, size_t bytes) {
    ccn_net *net;
    ccn_allocator a;
    unsigned char *block, *base = NULL;
    memset(&a, 0, sizeof a);
    if (alloc) a = *alloc;
    if (!(block = ccn__alloc_block(&a, bytes, &base))) return NULL;
    memset(block, 0, bytes);
    net = (ccn_net *)(void *)base;
    *net = *d;
    net->alloc = a;
    net->block = block;
    net->bytes = bytes;
    ccn__place(net, base);
    ccn__place_stages(net);
    return net;
}

CCN_API ccn_result ccn_create(const ccn_config *cfg, const ccn_allocator *alloc, ccn_net **out) {
    ccn_net d, *net;
    ccn_result r;
    size_t bytes = 0;
    uint64_t n_links;
    const char *field;
    if (!out) return CCN_ERR_NULL_ARGUMENT;
    *out = NULL;
    if ((r = ccn__measure(cfg, &d, &bytes, &field)) != CCN_OK) return r;
    if (alloc && (!alloc->alloc || !alloc->free)) return CCN_ERR_NULL_ARGUMENT;
    if (!(net = ccn__new_net(&d, alloc, bytes))) return CCN_ERR_OUT_OF_MEMORY;
    net->alpha = (ccn_real)net->cfg.step_size;
    net->adam_b1t = net->adam_b2t = CCN_R(1);
    /* net->rng is where ccn__measure's count started: the same plan from the same state draws
       the links it counted, and their blocks end where it said. Were that ever not so, the
       net is refused here (no write past links: ccn__link_plan stops at its size). */
    if (!ccn__link_plan(net, &net->rng, net->links, net->link_off, &n_links) || !ccn__place_columns(net)) {
        ccn_destroy(net);
        return CCN_ERR_TOO_LARGE;
    }
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
    net->parallel = NULL; /* the caller's settings, not the net's state: as a loaded net (THREADS) */
    net->parallel_user = NULL;
    net->flush = 0;
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

CCN_API const ccn_config *ccn_get_config(const ccn_net *net) { return net ? &net->cfg : NULL; }

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

/* Stage k's inputs [x~ ; cascade] (the cascade: h of columns 0 .. stage_start[k]), normalised
   or copied to the start of zbuf, where each column's tail follows them (section 3). */
static void ccn__stage_inputs(ccn_net *net, int k, const ccn_real *x) {
    const ccn_real *mu, *var;
    ccn_real *z = net->zbuf;
    int j, m = net->m, nc = net->stage_start[k];
    if (!net->in_norm) {
        memcpy(z, x, (size_t)m * sizeof(ccn_real));
        memcpy(z + m, net->h, (size_t)nc * sizeof(ccn_real));
        return;
    }
    ccn__stage_stats(net, k, &mu, &var);
    for (j = 0; j < m; ++j) z[j] = (x[j] - mu[j]) / CCN__SQRT(var[j]);
    for (j = 0; j < nc; ++j) z[m + j] = (net->h[j] - mu[m + j]) / CCN__SQRT(var[m + j]);
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
   anything itself), summed in a fixed tree: the same bits whatever the vector width. Inlined
   for a short run in the column loop of stages without feature layers; called (ccn__dot_call)
   elsewhere, where inlining it was measured slower. */
#define CCN__LANES 16 /* the tree below is written for 16 */
/* The tree's last three levels, over 8 lanes (lane j + 4 into lane j, then j + 2, then j + 1),
   one constant-length loop per level, so that each level is one vector add. */
CCN__INLINE ccn_real ccn__tree8(ccn_real *acc) {
    int j;
    for (j = 0; j < 4; ++j) acc[j] += acc[j + 4];
    for (j = 0; j < 2; ++j) acc[j] += acc[j + 2];
    return acc[0] + acc[1];
}

typedef char ccn__lanes_are_16[CCN__LANES == 16 ? 1 : -1];
CCN__INLINE ccn_real ccn__dot(const ccn_real *CCN__RESTRICT a, const ccn_real *CCN__RESTRICT b, int len) {
    ccn_real acc[CCN__LANES] = {0}, s = 0;
    int k = 0, j;
    if (len < CCN__LANES) { /* short segments (the tail, small fan-in): four chains, no lanes */
        ccn_real s1 = 0, s2 = 0, s3 = 0;
        for (; k + 4 <= len; k += 4) {
            s += a[k] * b[k];
            s1 += a[k + 1] * b[k + 1];
            s2 += a[k + 2] * b[k + 2];
            s3 += a[k + 3] * b[k + 3];
        }
        if (k < len) { /* at most 3 left, in order: spelt out, since the compiler's loop for them
                          (peeled and vectorised with checks) was measured slower */
            s += a[k] * b[k];
            if (k + 1 < len) {
                s += a[k + 1] * b[k + 1];
                if (k + 2 < len) s += a[k + 2] * b[k + 2];
            }
        }
        return (s + s1) + (s2 + s3);
    }
    for (; k + CCN__LANES <= len; k += CCN__LANES)
        for (j = 0; j < CCN__LANES; ++j) acc[j] += a[k + j] * b[k + j];
    for (j = 0; j < 8; ++j) acc[j] += acc[j + 8];
    for (s = ccn__tree8(acc); k < len; ++k) s += a[k] * b[k];
    return s;
}

CCN__NOINLINE static ccn_real ccn__dot_call(const ccn_real *CCN__RESTRICT a, const ccn_real *CCN__RESTRICT b, int len) {
    return ccn__dot(a, b, len);
}

static void ccn__feature_forward(ccn_net *net, int col, const ccn_real *x) {
    size_t W = (size_t)net->W, m = (size_t)net->m, k;
    const ccn_real *w = net->theta + net->col_off[col], *b1 = w + W * m;
    ccn_real *hid = net->hid + (size_t)col * W, *phi = net->phi + (size_t)col * W;
    ccn_real *first = net->L == 2 ? hid : phi;
    for (k = 0; k < W; ++k) {
        ccn_real a = ccn__dot_call(w + k * m, x, (int)m) + b1[k];
        first[k] = a > 0 ? a : CCN_R(0);
    }
    if (net->L == 2) {
        const ccn_real *w2 = b1 + W, *b2 = w2 + W * W;
        for (k = 0; k < W; ++k) {
            ccn_real a = ccn__dot_call(w2 + k * W, hid, (int)W) + b2[k];
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
   3. Columns. Each kind's cells function (its description: Column kinds) maps the gate
   pre-activations a[] and the previous own state (h', c') to the new state, and returns the
   local derivatives both gradient methods are built on (the one definition of each kind's
   derivative):
     B[q] = (dh/da_q, dc/da_q)        with the previous state held fixed, through every path
                                      of a_q (gru's a_r also through g's recurrent input r h')
     M    = (dh/dh', dh/dc', dc/dh', dc/dc')   through every path inside the column, u included
   so that for any parameter theta, with D_q(theta) = d a_q / d theta through gate q's own block
   w_q.z + u_q rho_q h' + b_q, holding the own previous state (and rho_q) fixed:
   d s/d theta = M d s'/d theta + sum_q B[q] D_q(theta). So D_q is z itself, except at the u
   entry, which reads rho_q h' (rho_q = 1 but for gru's g, whose rho is r).
   ============================================================================================ */

typedef struct ccn__local {
    ccn_real Bh[4], Bc[4];          /* per gate                                             */
    ccn_real hh, hc, ch, cc;        /* M                                                    */
} ccn__local;

/* exp from IEEE arithmetic alone (no libm): x = k ln2 + r with |r| <= ln2/2 (Cody-Waite
   split of ln2), e^r = 1 + ccn__expm1_series(r) (below), then 2^k put into the exponent bits.
   Branch-free, so loops over columns vectorise, and the same bits on every platform (compiled
   without FMA contraction differences). The argument is clamped to the normal range:
   exp(-87..88) in float, exp(-708..709) in double. Measured within 2 ulp of libm's exp
   (tests/test_core.c). */
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

/* e^x - 1 = x + x^2/2! + ... by its Taylor series, to x^9 in float and x^15 in double: below
   0.1 ulp of truncation for |x| <= 0.5. Both exp (on its reduced argument) and tanh (near 0,
   where 1 - 2/(e^2x + 1) cancels) stand on it. */
CCN__INLINE ccn_real ccn__expm1_series(ccn_real x) {
    ccn_real p;
#ifdef CCN_DOUBLE
    p = CCN_R(1.0 / 1307674368000.0);
    p = p * x + CCN_R(1.0 / 87178291200.0);
    p = p * x + CCN_R(1.0 / 6227020800.0);
    p = p * x + CCN_R(1.0 / 479001600.0);
    p = p * x + CCN_R(1.0 / 39916800.0);
    p = p * x + CCN_R(1.0 / 3628800.0);
    p = p * x + CCN_R(1.0 / 362880.0);
#else
    p = CCN_R(1.0 / 362880.0);
#endif
    p = p * x + CCN_R(1.0 / 40320.0);
    p = p * x + CCN_R(1.0 / 5040.0);
    p = p * x + CCN_R(1.0 / 720.0);
    p = p * x + CCN_R(1.0 / 120.0);
    p = p * x + CCN_R(1.0 / 24.0);
    p = p * x + CCN_R(1.0 / 6.0);
    p = p * x + CCN_R(0.5);
    return (p * x + CCN_R(1)) * x;
}

CCN__INLINE ccn_real ccn__exp(ccn_real x) {
    ccn_real t, k, r, p, scale, magic = CCN__ROUND_MAGIC;
    ccn__bits bits, tbits, mbits;
    x = x < CCN__EXP_LO ? CCN__EXP_LO : x > CCN__EXP_HI ? CCN__EXP_HI : x;
    t = x * CCN_R(1.44269504088896340736) + CCN__ROUND_MAGIC;
    k = t - CCN__ROUND_MAGIC; /* x / ln2, rounded to the nearest integer */
    r = x - k * CCN__LN2_HI;
    r = r - k * CCN__LN2_LO;
    p = CCN_R(1) + ccn__expm1_series(r); /* |r| <= ln2 / 2 */
    /* 2^k from k's bits in t's mantissa (no float-to-int conversion, which a NaN x would make
       undefined; a NaN x gives a NaN p and so a NaN result) */
    memcpy(&tbits, &t, sizeof tbits);
    memcpy(&mbits, &magic, sizeof mbits);
    bits = (ccn__bits)((ccn__bits)(tbits - mbits + (ccn__bits)CCN__BIAS) << CCN__MANT);
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
    em = ccn__expm1_series(y); /* e^2x - 1, for x < 0.25 */
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
    CCN__IVDEP
    for (i = (size_t)c0; i < (size_t)c1; ++i) { /* f = sigma(a_f), g = tanh(a_g), h = f h' + (1 - f) g */
        ccn_real f = ccn__sigmoid(af[i]), g = ccn__tanh(ag[i]), hp = ff ? CCN_R(0) : hprev[i];
        ccn_real bf = (hp - g) * f * (CCN_R(1) - f), bg = (CCN_R(1) - f) * (CCN_R(1) - g * g);
        h[i] = f * hp + (CCN_R(1) - f) * g;
        Bf[i] = bf;
        Bg[i] = bg;
        M[i] = ff ? CCN_R(0) : f + bf * uf[i] + bg * ug[i]; /* h' is the constant 0 */
    }
}

/* The lstm cells of entries [i0, i1) of arrays laid out gate-major with stride n: net's arrays,
   or ccn__lstm_cells' padded copy of a stage's last few columns. */
typedef struct ccn__lstm_io {
    const ccn_real *a, *u, *cprev;
    ccn_real *h, *c, *Bh, *Bc, *hh, *hc, *ch, *cc;
} ccn__lstm_io;

CCN__INLINE void ccn__lstm_cells_at(const ccn__lstm_io *io, size_t n, size_t i0, size_t i1, int ff) {
    const ccn_real *CCN__RESTRICT a = io->a, *CCN__RESTRICT u = io->u, *CCN__RESTRICT cprev = io->cprev;
    ccn_real *CCN__RESTRICT h = io->h, *CCN__RESTRICT c = io->c, *CCN__RESTRICT Bh = io->Bh, *CCN__RESTRICT Bc = io->Bc;
    ccn_real *CCN__RESTRICT hh = io->hh, *CCN__RESTRICT hc = io->hc, *CCN__RESTRICT ch = io->ch, *CCN__RESTRICT cc = io->cc;
    size_t i;
    CCN__IVDEP
    for (i = i0; i < i1; ++i) { /* gates i f o g: c = f c' + i g, h = o tanh(c) */
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
        cc[i] = ff ? CCN_R(0) : gf; /* with feedforward, h' and c' are the constant 0: no path */
        ch[i] = ff ? CCN_R(0) : dc_dh;
        hc[i] = ff ? CCN_R(0) : dh_dc * gf;
        hh[i] = ff ? CCN_R(0) : dh_dc * dc_dh + dh_dao * u[2 * n + i];
    }
}

/* Columns [c0, c1): a specialisation of the plain loop over them. Whole blocks of
   CCN__CELL_PAD run in place; the last few (2 or more), which the compiler's vector loop would
   leave to its scalar tail, are copied into a padded block (lanes past them zero) and run
   through the same loop, where it vectorises; a stage of a few columns (the papers' nets) is
   all tail. Only where gcc vectorises the loop at all, with AVX-512's masks (without them it
   keeps the loop scalar: the exp's clamps become branches), since a scalar loop over a padded
   block only adds work. Invariant: a cell is the same IEEE arithmetic in a vector lane as in
   the scalar tail (no contraction in either), so the bits do not change with the path
   (test_bits' recorded nets and same_bits_everywhere, in the gcc-avx512 legs of tests/run.sh as
   in the scalar ones). */
#define CCN__CELL_PAD 8
#if defined(__AVX512F__)
#define CCN__CELL_PAD_MIN 2 /* a single last column costs less in the scalar loop */
#else
#define CCN__CELL_PAD_MIN (CCN__CELL_PAD + 1) /* never */
#endif
static void ccn__lstm_cells(ccn_net *net, int c0, int c1) {
    size_t n = (size_t)net->n, i0 = (size_t)c0, full = i0 + ((size_t)(c1 - c0) & ~(size_t)(CCN__CELL_PAD - 1));
    size_t rest = (size_t)c1 - full, j;
    int ff = net->cfg.feedforward, q;
    ccn__lstm_io io;
    io.a = net->pre, io.u = net->u, io.cprev = net->c_prev, io.h = net->h, io.c = net->c, io.Bh = net->Bh;
    io.Bc = net->Bc, io.hh = net->Mhh, io.hc = net->Mhc, io.ch = net->Mch, io.cc = net->Mcc;
    if (rest < CCN__CELL_PAD_MIN) full = (size_t)c1, rest = 0;
    ccn__lstm_cells_at(&io, n, i0, full, ff);
    if (rest) {
        enum { W = CCN__CELL_PAD };
        ccn_real a[4 * W], u[4 * W], cp[W], h[W], c[W], Bh[4 * W], Bc[4 * W], hh[W], hc[W], ch[W], cc[W];
        ccn__lstm_io pad;
        /* lane by lane over a fixed W, not rest: the compiler keeps these as (masked) vector
           moves, where a loop over rest became library calls costing more than the cells */
        for (q = 0; q < 4; ++q)
            for (j = 0; j < W; ++j) {
                a[q * W + (int)j] = j < rest ? net->pre[(size_t)q * n + full + j] : CCN_R(0);
                u[q * W + (int)j] = j < rest ? net->u[(size_t)q * n + full + j] : CCN_R(0);
            }
        for (j = 0; j < W; ++j) cp[j] = j < rest && !ff ? net->c_prev[full + j] : CCN_R(0);
        pad.a = a, pad.u = u, pad.cprev = cp, pad.h = h, pad.c = c, pad.Bh = Bh, pad.Bc = Bc;
        pad.hh = hh, pad.hc = hc, pad.ch = ch, pad.cc = cc;
        ccn__lstm_cells_at(&pad, W, 0, W, ff);
        for (j = 0; j < W; ++j)
            if (j < rest) {
                net->h[full + j] = h[j];
                net->c[full + j] = c[j];
                net->Mhh[full + j] = hh[j];
                net->Mhc[full + j] = hc[j];
                net->Mch[full + j] = ch[j];
                net->Mcc[full + j] = cc[j];
            }
        for (q = 0; q < 4; ++q)
            for (j = 0; j < W; ++j)
                if (j < rest) {
                    net->Bh[(size_t)q * n + full + j] = Bh[q * W + (int)j];
                    net->Bc[(size_t)q * n + full + j] = Bc[q * W + (int)j];
                }
    }
}

/* r s g: r = sigma(a_r), s = sigma(a_s), g = tanh(a_g) with a_g's recurrent entry r h' (the
   kind's rho: the pre-activation was summed with it), h = (1 - s) h' + s g. B_r carries r's path
   through g's recurrent term, M the paths of h' through s, g's r h' and r. */
static void ccn__gru_cells(ccn_net *net, int c0, int c1) {
    size_t n = (size_t)net->n;
    const ccn_real *CCN__RESTRICT a = net->pre, *CCN__RESTRICT u = net->u, *CCN__RESTRICT hprev = net->h_prev;
    ccn_real *CCN__RESTRICT h = net->h, *CCN__RESTRICT B = net->Bh, *CCN__RESTRICT M = net->Mhh;
    size_t i;
    int ff = net->cfg.feedforward;
    CCN__IVDEP
    for (i = (size_t)c0; i < (size_t)c1; ++i) {
        ccn_real r = ccn__sigmoid(a[i]), s = ccn__sigmoid(a[n + i]), g = ccn__tanh(a[2 * n + i]);
        ccn_real hp = ff ? CCN_R(0) : hprev[i], dr = r * (CCN_R(1) - r), ds = s * (CCN_R(1) - s);
        ccn_real bg = s * (CCN_R(1) - g * g), br = bg * u[2 * n + i] * hp * dr, bs = (g - hp) * ds;
        h[i] = (CCN_R(1) - s) * hp + s * g;
        B[i] = br;
        B[n + i] = bs;
        B[2 * n + i] = bg;
        M[i] = ff ? CCN_R(0) : (CCN_R(1) - s) + bs * u[n + i] + bg * u[2 * n + i] * r + br * u[i]; /* h' is 0 */
    }
}

/* One column's local derivatives, gathered for its trace update; G the net's gate count
   (constant where it is inlined into a loop over columns). */
CCN__INLINE void ccn__local_of(const ccn_net *net, int col, ccn__local *d, const int G) {
    size_t n = (size_t)net->n;
    int q;
    for (q = 0; q < 4; ++q) {
        d->Bh[q] = q < G ? net->Bh[(size_t)q * n + (size_t)col] : CCN_R(0);
        d->Bc[q] = q < G && net->Bc ? net->Bc[(size_t)q * n + (size_t)col] : CCN_R(0);
    }
    d->hh = net->Mhh[col];
    d->hc = net->Mhc ? net->Mhc[col] : CCN_R(0);
    d->ch = net->Mch ? net->Mch[col] : CCN_R(0);
    d->cc = net->Mcc ? net->Mcc[col] : CCN_R(0);
}

/* A column's input z = [own ; rest]: own its features (none without feature layers), rest
   [x~ (without feature layers) ; cascade ; tail] contiguous in a worker's z buffer, where the
   tail [link values ; h' ; 1] is the column's own. A gate block [w ; u ; b] lines up with z
   entry for entry, so each gate reads z in at most two contiguous runs. */
typedef struct ccn__z {
    const ccn_real *own, *rest;
    ccn_real *hslot; /* the tail's h' entry, in buf: a gate with a recurrent input rewrites it */
    int own_len, rest_len, tail_len;
} ccn__z;

/* Worker w's z buffer for a stage whose cascade is casc_len long: worker 0's holds the stage's
   inputs (ccn__stage_inputs); the others copy them. */
static ccn_real *ccn__zbuf(ccn_net *net, int worker, int casc_len) {
    size_t stride = 0;
    ccn_real *buf;
    if (!worker) return net->zbuf; /* every stage's every phase asks: no stride to compute */
    ccn__zstride(net, &stride); /* cannot fail: the block was sized with it */
    buf = net->zbuf + (size_t)worker * stride;
    memcpy(buf, net->zbuf, ((size_t)net->m + (size_t)casc_len) * sizeof(ccn_real));
    return buf;
}

/* The value a link reads this step. */
CCN__INLINE ccn_real ccn__link_value(const ccn_net *net, const ccn_link *lk) {
    return lk->type == CCN_LINK_STATE ? net->h_prev[lk->column]
                                      : net->phi[(size_t)lk->column * (size_t)net->W + (size_t)lk->feature];
}

/* Column col's z, its tail written into buf after the stage's inputs; links 0 where the column
   is known to have none (constant where it is inlined). */
CCN__INLINE void ccn__z_of(const ccn_net *net, int col, ccn_real *buf, int casc_len, const int links, ccn__z *z) {
    int k, n_links = links ? net->link_off[col + 1] - net->link_off[col] : 0;
    const ccn_link *lk = net->links + net->link_off[col];
    ccn_real *tail = buf + net->m + casc_len;
    for (k = 0; k < n_links; ++k) tail[k] = ccn__link_value(net, lk + k);
    tail[n_links] = net->cfg.feedforward ? CCN_R(0) : net->h_prev[col];
    tail[n_links + 1] = 1;
    z->own = net->L ? net->phi + (size_t)col * (size_t)net->W : NULL;
    z->own_len = net->W;
    z->rest = net->L ? buf + net->m : buf;
    z->hslot = tail + n_links;
    z->tail_len = n_links + 2;
    z->rest_len = (net->L ? 0 : net->m) + casc_len + z->tail_len;
}

/* Gate q's recurrent input rho_q h' (kind K, column col, hp its h'), from the pre-activation of
   the gate that scales it: only for a gate whose description says it has one (rho[q] >= 0). */
CCN__INLINE ccn_real ccn__rho_h(const ccn_net *net, const ccn__kind *K, int q, int col, ccn_real hp) {
    return ccn__sigmoid(net->pre[(size_t)K->rho[q] * (size_t)net->n + (size_t)col]) * hp;
}

/* Whether a column without links or feature layers whose z is [the stage's P inputs ; h' ; 1]
   takes the short paths below: z 9 to 15 long (ccn__dot_z, ccn__preact_x8, ccn__trace1_x8). */
CCN__INLINE int ccn__short_z(int P) { return P >= 7 && P <= 13; }

/* Gate block w's pre-activation for a column without links or feature layers whose z,
   [buf[0, P) ; h' ; 1], is 9 to 15 long (small fan-in): two windows of 8 as the trace kernels
   run, [0, 8) and [P - 6, P + 2), the second's entries below 8 (the first's too) counting 0,
   summed in ccn__tree8. h' and 1 come from registers, at fixed lanes (the second window's last
   two, and the first's last when P is 7): z's tail written to buf and read back as a vector
   would wait for the stores (ccn__color_column). Entries up to P + 1 of buf are read, and
   those from P on replaced, so the loads stay whole vectors. ccn__preact_x8 computes it for
   eight columns at once. */
CCN__INLINE ccn_real ccn__dot_z(const ccn_real *CCN__RESTRICT w, const ccn_real *CCN__RESTRICT buf, int P,
                                ccn_real hp) {
    const ccn_real *CCN__RESTRICT w2 = w + (P - 6), *CCN__RESTRICT b2 = buf + (P - 6);
    ccn_real acc[8];
    int j;
    for (j = 0; j < 8; ++j) {
        ccn_real z1 = buf[j], z2 = b2[j], p2;
        z1 = j < P ? z1 : hp;
        z2 = j < 6 ? z2 : j == 6 ? hp : CCN_R(1);
        p2 = w2[j] * z2;
        acc[j] = w[j] * z1 + (j + P >= 14 ? p2 : CCN_R(0));
    }
    return ccn__tree8(acc);
}

/* Column col's gate pre-activations (and its self-weights) into net->pre and net->u, from its
   z (written into buf by ccn__z_of); G gates, feat: with feature layers, links: 0 if the column
   has none (feat and links constant where it is inlined, G too without feature layers). K: the
   kind, for its recurrent inputs (a gate q with rho[q] >= 0 reads rho_q h' at z's h' entry, its
   rho gate summed before it); NULL where the kind reads h' in every gate (the fast paths). */
CCN__INLINE void ccn__column_preact(ccn_net *net, int col, ccn_real *buf, int casc_len, const int G, const int feat,
                                    const int links, const ccn__kind *K) {
    const ccn_real *blk = net->theta + net->col_off[col] + (feat ? net->feat_count : 0);
    size_t stride = (size_t)net->zlen[col] + 2, n = (size_t)net->n;
    int ff = net->cfg.feedforward, q;
    ccn__z z;
    ccn_real hp;
    ccn__z_of(net, col, buf, casc_len, links, &z);
    hp = *z.hslot;
    for (q = 0; q < G; ++q) {
        const ccn_real *w = blk + (size_t)q * stride;
        if (K && K->rho[q] >= 0) *z.hslot = ccn__rho_h(net, K, q, col, hp);
        net->pre[(size_t)q * n + (size_t)col] =
            feat ? ccn__dot_call(w, z.own, z.own_len) + ccn__dot_call(w + z.own_len, z.rest, z.rest_len)
            : z.rest_len < CCN__LANES ? ccn__dot(w, z.rest, z.rest_len) : ccn__dot_call(w, z.rest, z.rest_len);
        net->u[(size_t)q * n + (size_t)col] = ff ? CCN_R(0) : w[stride - 2];
        if (K) *z.hslot = hp;
    }
}

/* The pre-activations of columns [a, b) of a stage whose cascade is casc_len long, buf a
   worker's z buffer: without feature layers one loop for each number of gates, with and without
   links, with a short dot product (under 16 entries, small fan-in) inlined and a long one called:
   the combination measured fastest (bench/README.md). */
#define CCN__PREACT_COLUMNS(name, G, feat, links)                                                      \
    CCN__NOINLINE static void name(ccn_net *net, int a, int b, ccn_real *buf, int casc_len) {           \
        int i;                                                                                         \
        for (i = a; i < b; ++i) ccn__column_preact(net, i, buf, casc_len, G, feat, links, NULL);       \
    }
CCN__PREACT_COLUMNS(ccn__preact_1, 1, 0, 0)
CCN__PREACT_COLUMNS(ccn__preact_2, 2, 0, 0)
CCN__PREACT_COLUMNS(ccn__preact_4, 4, 0, 0)
CCN__PREACT_COLUMNS(ccn__preact_1_links, 1, 0, 1)
CCN__PREACT_COLUMNS(ccn__preact_2_links, 2, 0, 1)
CCN__PREACT_COLUMNS(ccn__preact_4_links, 4, 0, 1)
CCN__PREACT_COLUMNS(ccn__preact_f, net->G, 1, 1)

typedef void (*ccn__preact_fn)(ccn_net *net, int a, int b, ccn_real *buf, int casc_len);

/* The pre-activations of columns [a, b) of a stage without links or feature layers whose z is
   9 to 15 long (small fan-in: 7 to 13 inputs and cascade), with ccn__dot_z, for any kind (a
   gate with a recurrent input takes rho_q h' for h'): the generic path of such a stage, which
   runs where the build does not target AVX or the kind is not plain (else ccn__preact_x8 runs,
   to the same bits). */
static void ccn__preact_z(ccn_net *net, int a, int b, ccn_real *buf, int casc_len) {
    const ccn__kind *K = ccn__net_kind(net);
    const int P = net->m + casc_len, ff = net->cfg.feedforward;
    const size_t n = (size_t)net->n, stride = (size_t)P + 2;
    int i, q;
    for (i = a; i < b; ++i) {
        ccn_real h0 = ff ? CCN_R(0) : net->h_prev[i], s;
        for (q = 0; q < net->G; ++q) {
            ccn_real hp = K->rho[q] >= 0 ? ccn__rho_h(net, K, q, i, h0) : h0;
            const ccn_real *w = net->theta + net->col_off[i] + (size_t)q * stride;
            switch (P) { /* P constant in each, so that the lanes' choices are too (faster than P
                            read at run time without AVX: bench/README.md) */
            case 7: s = ccn__dot_z(w, buf, 7, hp); break;
            case 8: s = ccn__dot_z(w, buf, 8, hp); break;
            case 9: s = ccn__dot_z(w, buf, 9, hp); break;
            case 10: s = ccn__dot_z(w, buf, 10, hp); break;
            case 11: s = ccn__dot_z(w, buf, 11, hp); break;
            case 12: s = ccn__dot_z(w, buf, 12, hp); break;
            default: s = ccn__dot_z(w, buf, 13, hp); break;
            }
            net->pre[(size_t)q * n + (size_t)i] = s;
            net->u[(size_t)q * n + (size_t)i] = ff ? CCN_R(0) : w[stride - 2];
        }
    }
}

#ifdef CCN__X8
/* The sums of gate q of the eight columns from i (those from i + cnt on repeat the last one), in
   the lanes of one vector: each column's products folded to 8 lanes as ccn__dot_z does (two
   windows, the second's entries below 8 cleared to 0 by keep), then ccn__tree8's levels (lane
   j + 4, then j + 2, then j + 1) for the eight columns at once, each one add of two shuffles.
   zlo, zhi: z's windows, entries [0, 8) and [t, t + 8) (t = len - 8), with each column's h'
   going to the lanes hlo, hhi mark. */
CCN__INLINE __m256 ccn__x8_sums(const ccn_net *net, int i, int cnt, int q, size_t stride, size_t t, __m256 zlo,
                                __m256 zhi, __m256 hlo, __m256 hhi, __m256 keep) {
    __m256 s[8], r[4], u0, u1;
    int j, ff = net->cfg.feedforward;
    for (j = 0; j < 8; ++j) {
        int col = i + (j < cnt ? j : cnt - 1);
        const float *w = net->theta + net->col_off[col] + (size_t)q * stride;
        __m256 hp = _mm256_set1_ps(ff ? 0.0f : net->h_prev[col]);
        __m256 lo = _mm256_mul_ps(_mm256_loadu_ps(w), _mm256_blendv_ps(zlo, hp, hlo));
        __m256 hi = _mm256_mul_ps(_mm256_loadu_ps(w + t), _mm256_blendv_ps(zhi, hp, hhi));
        s[j] = _mm256_add_ps(lo, _mm256_and_ps(hi, keep));
    }
    for (j = 0; j < 4; ++j) /* [column j | column j + 4], lane k + 4 added to lane k */
        r[j] = _mm256_add_ps(_mm256_permute2f128_ps(s[j], s[j + 4], 0x20), _mm256_permute2f128_ps(s[j], s[j + 4], 0x31));
    u0 = _mm256_add_ps(_mm256_shuffle_ps(r[0], r[1], 0x44), _mm256_shuffle_ps(r[0], r[1], 0xEE)); /* + 2 */
    u1 = _mm256_add_ps(_mm256_shuffle_ps(r[2], r[3], 0x44), _mm256_shuffle_ps(r[2], r[3], 0xEE));
    return _mm256_add_ps(_mm256_shuffle_ps(u0, u1, 0x88), _mm256_shuffle_ps(u0, u1, 0xDD)); /* + 1: columns in order */
}

/* The pre-activations of columns [a, b) of a stage without links or feature layers whose z is
   9 to 15 long (small fan-in: 7 to 13 inputs and cascade), eight columns at a time, the last
   eight with fewer through the same code: the bits of ccn__preact_z (tested; with
   floating-point contraction, each path's own), in a fraction of the time of a column at a
   time. z's tail (h', 1) is at entries P, P + 1:
   lanes 6, 7 of the second window, and lane 7 of the first when P is 7. */
static void ccn__preact_x8(ccn_net *net, int a, int b, ccn_real *buf, int casc_len) {
    const int P = net->m + casc_len, len = P + 2, ff = net->cfg.feedforward;
    const size_t n = (size_t)net->n, stride = (size_t)len, t = (size_t)(len - 8);
    const __m256 lane = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7), six = _mm256_set1_ps(6.0f);
    const __m256 hlo = _mm256_cmp_ps(lane, _mm256_set1_ps((float)P), _CMP_GE_OQ);
    const __m256 hhi = _mm256_cmp_ps(lane, six, _CMP_EQ_OQ);
    const __m256 keep = _mm256_cmp_ps(lane, _mm256_set1_ps((float)(16 - len)), _CMP_GE_OQ);
    const __m256 zlo = _mm256_loadu_ps(buf);
    const __m256 zhi = _mm256_blendv_ps(_mm256_loadu_ps(buf + t), _mm256_set1_ps(1.0f), _mm256_cmp_ps(lane, six, _CMP_GT_OQ));
    int i, j, q;
    for (q = 0; q < net->G; ++q) {
        float *pre = net->pre + (size_t)q * n, *u = net->u + (size_t)q * n, part[8];
        for (i = a; i < b; i += 8) {
            int cnt = b - i < 8 ? b - i : 8;
            __m256 v = ccn__x8_sums(net, i, cnt, q, stride, t, zlo, zhi, hlo, hhi, keep);
            if (cnt == 8)
                _mm256_storeu_ps(pre + i, v);
            else {
                _mm256_storeu_ps(part, v);
                for (j = 0; j < cnt; ++j) pre[i + j] = part[j];
            }
        }
        for (i = a; i < b; ++i) u[i] = ff ? 0.0f : net->theta[net->col_off[i] + (size_t)q * stride + stride - 2];
    }
}

/* The eight rows r[0..8) of an 8 x 8 block as its eight columns (lane d of out[k]: r[d][k]). */
CCN__INLINE void ccn__x8_transpose(const __m256 *r, __m256 *out) {
    __m256 t[8], tt[8];
    int j;
    for (j = 0; j < 4; ++j) {
        t[2 * j] = _mm256_unpacklo_ps(r[2 * j], r[2 * j + 1]);
        t[2 * j + 1] = _mm256_unpackhi_ps(r[2 * j], r[2 * j + 1]);
    }
    for (j = 0; j < 2; ++j) {
        tt[4 * j] = _mm256_shuffle_ps(t[4 * j], t[4 * j + 2], 0x44);
        tt[4 * j + 1] = _mm256_shuffle_ps(t[4 * j], t[4 * j + 2], 0xEE);
        tt[4 * j + 2] = _mm256_shuffle_ps(t[4 * j + 1], t[4 * j + 3], 0x44);
        tt[4 * j + 3] = _mm256_shuffle_ps(t[4 * j + 1], t[4 * j + 3], 0xEE);
    }
    for (j = 0; j < 4; ++j) {
        out[j] = _mm256_permute2f128_ps(tt[j], tt[j + 4], 0x20);
        out[j + 4] = _mm256_permute2f128_ps(tt[j], tt[j + 4], 0x31);
    }
}

/* Eight gate blocks' sums with ccn__dot's bits, w[d] the blocks, hv[d] their h', z's windows
   of 8 (h' at the lanes hmask marks), chunks of them: the 16-lane block from 0 (acc = 0 + w z)
   folded (lane j + 8 into lane j), ccn__tree8's levels for the eight blocks at once (as
   ccn__x8_sums), then the tail's products, transposed so that each block is a lane, added
   entry by entry in order. w's last window is a masked load (it may end the parameters). */
CCN__INLINE __m256 ccn__x8_long_sums(const float *const *w, const float *hv, const __m256 *z, const __m256 *hmask,
                                     __m256i wmask, int len, const int chunks) {
    const __m256 zero = _mm256_setzero_ps();
    __m256 s[8], r[4], u0, u1, sum;
    int d, j, k;
    for (d = 0; d < 8; ++d) {
        __m256 hp = _mm256_broadcast_ss(hv + d), p0, p1;
        p0 = _mm256_mul_ps(_mm256_loadu_ps(w[d]), z[0]);
        p1 = _mm256_mul_ps(chunks > 2 ? _mm256_loadu_ps(w[d] + 8) : _mm256_maskload_ps(w[d] + 8, wmask),
                           _mm256_blendv_ps(z[1], hp, hmask[1]));
        s[d] = _mm256_add_ps(_mm256_add_ps(zero, p0), _mm256_add_ps(zero, p1));
    }
    for (j = 0; j < 4; ++j)
        r[j] = _mm256_add_ps(_mm256_permute2f128_ps(s[j], s[j + 4], 0x20), _mm256_permute2f128_ps(s[j], s[j + 4], 0x31));
    u0 = _mm256_add_ps(_mm256_shuffle_ps(r[0], r[1], 0x44), _mm256_shuffle_ps(r[0], r[1], 0xEE));
    u1 = _mm256_add_ps(_mm256_shuffle_ps(r[2], r[3], 0x44), _mm256_shuffle_ps(r[2], r[3], 0xEE));
    sum = _mm256_add_ps(_mm256_shuffle_ps(u0, u1, 0x88), _mm256_shuffle_ps(u0, u1, 0xDD));
    for (j = 2; j < chunks; ++j) {
        __m256 p[8], t[8];
        int end = len - 8 * j < 8 ? len - 8 * j : 8;
        for (d = 0; d < 8; ++d) {
            __m256 wj = j + 1 < chunks ? _mm256_loadu_ps(w[d] + 8 * j) : _mm256_maskload_ps(w[d] + 8 * j, wmask);
            p[d] = _mm256_mul_ps(wj, _mm256_blendv_ps(z[j], _mm256_broadcast_ss(hv + d), hmask[j]));
        }
        ccn__x8_transpose(p, t);
        for (k = 0; k < end; ++k) sum = _mm256_add_ps(sum, t[k]);
    }
    return sum;
}

/* The pre-activations of columns [a, b) of a stage without links or feature layers whose z is
   16 to 31 long (the later stages of small nets: 12 inputs and a cascade of 4 to 19), with
   ccn__dot's bits for eight gate blocks at a time, each a lane (ccn__x8_long_sums): the
   (column, gate) pairs in order, the last eight with fewer repeating the last. The tail's
   additions, one chain per block in ccn__dot, become one vector addition per entry. z is
   [buf[0, P) ; h' ; 1]; entries past its length are never added. For stages of at least
   eight gate blocks (ccn__preact). */
static void ccn__preact_x8_long(ccn_net *net, int a, int b, ccn_real *buf, int casc_len) {
    const int P = net->m + casc_len, len = P + 2, G = net->G, ff = net->cfg.feedforward;
    const int chunks = (len + 7) / 8, pairs = (b - a) * G;
    const size_t n = (size_t)net->n, stride = (size_t)len;
    const __m256 lane = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i wmask =
        _mm256_castps_si256(_mm256_cmp_ps(lane, _mm256_set1_ps((float)(len - 8 * (chunks - 1))), _CMP_LT_OQ));
    const float *w[8];
    float zl[32], hv[8], part[8];
    __m256 z[4], hmask[4];
    int j, d, g, i = a, q = 0;
    for (j = 0; j < P; ++j) zl[j] = buf[j];
    for (; j < 32; ++j) zl[j] = j == P + 1 ? 1.0f : 0.0f;
    for (j = 0; j < 4; ++j) {
        z[j] = _mm256_loadu_ps(zl + 8 * j);
        hmask[j] = _mm256_cmp_ps(lane, _mm256_set1_ps((float)(P - 8 * j)), _CMP_EQ_OQ);
    }
    for (g = 0; g < pairs; g += 8) {
        __m256 v;
        int i0 = i, q0 = q;
        for (d = 0; d < 8; ++d) { /* the pairs from g; past the last, the last again */
            w[d] = net->theta + net->col_off[i] + (size_t)q * stride;
            hv[d] = ff ? 0.0f : net->h_prev[i];
            if (g + d + 1 < pairs && ++q == G) q = 0, ++i;
        }
        v = chunks == 4 ? ccn__x8_long_sums(w, hv, z, hmask, wmask, len, 4)
            : chunks == 3 ? ccn__x8_long_sums(w, hv, z, hmask, wmask, len, 3)
                          : ccn__x8_long_sums(w, hv, z, hmask, wmask, len, 2);
        _mm256_storeu_ps(part, v);
        for (d = 0; d < 8 && g + d < pairs; ++d) {
            net->pre[(size_t)q0 * n + (size_t)i0] = part[d];
            if (++q0 == G) q0 = 0, ++i0;
        }
    }
    for (i = a; i < b; ++i)
        for (q = 0; q < G; ++q)
            net->u[(size_t)q * n + (size_t)i] = ff ? 0.0f : net->theta[net->col_off[i] + (size_t)q * stride + stride - 2];
}
#endif

/* The generic pre-activations of columns [a, b): any kind, feature depth and links, read at run
   time (ccn__preact_z's summation for a stage of small fan-in without links or features). */
static void ccn__preact_generic(ccn_net *net, int a, int b, ccn_real *buf, int casc_len, int links) {
    const ccn__kind *K = ccn__net_kind(net);
    int i;
    if (!net->L && !links && ccn__short_z(net->m + casc_len)) ccn__preact_z(net, a, b, buf, casc_len);
    else
        for (i = a; i < b; ++i) ccn__column_preact(net, i, buf, casc_len, K->gates, net->L > 0, 1, K);
}

/* Tests only (CCN__TEST_GENERIC defined before the #include): ccn__test_generic = 1 sends every
   column through the generic paths, which the fast paths must match bit for bit
   (generic_equals_fast_paths). */
#ifdef CCN__TEST_GENERIC
static int ccn__test_generic;
#define CCN__FAST(cond) (!ccn__test_generic && (cond))
#else
#define CCN__FAST(cond) (cond)
#endif

/* The pre-activations of columns [a, b) of a stage, links: whether any column of the stage has
   links. The path is chosen for the whole stage, so that a column takes the same one (and so
   has the same bits, even with floating-point contraction) however the stage is split among
   tasks. The fast paths, for plain kinds (every gate reads h' itself: the kernels below put h'
   in z's tail), each the generic path's arithmetic with the gate count, feature depth and links
   fixed: ccn__preact_x8 (AVX float, small fan-in without links or features, stages of at
   least CCN__X8_MIN columns; smaller ones measured faster column by column) has
   ccn__preact_z's bits (preact_across_columns), ccn__preact_x8_long (AVX float, z 16 to 31
   long without links or features, in stages of at least eight gate blocks: with fewer, half
   its lanes or more would idle and the column loop was measured faster) the column loop's,
   the loops of 1, 2 and 4 gates and the feature-layer loop inline ccn__column_preact
   (generic_equals_fast_paths). */
static void ccn__preact(ccn_net *net, int a, int b, ccn_real *buf, int casc_len, int links) {
    static const ccn__preact_fn fns[2][5] = { /* [links][gates]: the gate counts with a loop of their own */
        {NULL, ccn__preact_1, ccn__preact_2, NULL, ccn__preact_4},
        {NULL, ccn__preact_1_links, ccn__preact_2_links, NULL, ccn__preact_4_links}};
    const ccn__kind *K = ccn__net_kind(net);
    if (!CCN__FAST(ccn__kind_plain(K))) {
        ccn__preact_generic(net, a, b, buf, casc_len, links);
        return;
    }
    if (!net->L && !links && ccn__short_z(net->m + casc_len)) {
#ifdef CCN__X8
        if (net->stage_start[net->col_stage[casc_len] + 1] - casc_len < CCN__X8_MIN)
            ccn__preact_z(net, a, b, buf, casc_len);
        else
            ccn__preact_x8(net, a, b, buf, casc_len);
#else
        ccn__preact_z(net, a, b, buf, casc_len);
#endif
        return;
    }
#ifdef CCN__X8
    if (!net->L && !links && net->m + casc_len + 2 >= 16 && net->m + casc_len + 2 < 32 &&
        (net->stage_start[net->col_stage[casc_len] + 1] - casc_len) * K->gates >= 8) {
        ccn__preact_x8_long(net, a, b, buf, casc_len);
        return;
    }
#endif
    if (net->L) ccn__preact_f(net, a, b, buf, casc_len);
    else if (fns[links][K->gates]) fns[links][K->gates](net, a, b, buf, casc_len);
    else ccn__preact_generic(net, a, b, buf, casc_len, links);
}

/* ============================================================================================
   4. ColoR: the own-column trace update, e(t) = M e(t-1) + sum_q B[q] D_q, every foreign input
   (cascade, links) a constant. For a gate's block the direct term is z itself, so each block is
   a few contiguous runs (own, the stage's inputs, the column's tail). What the learners need of
   a column's traces rides on its update, while they are in L1: TD's eligibility takes them
   before they move on, and
   ccn_learn_step's update after (measured faster than a pass of its own; TD's update along E
   is faster as a pass of its own, over all columns at once: its rule's square root and
   division run best in one long loop).
   ============================================================================================ */

/* What rides on a column's trace update, with c_i = dl_dh[i]:
     ELIG   TD: E <- decay E + c_i e(t-1), before the traces move on
     LEARN  supervised: after the traces, theta <- rule(theta, coef c_i e(t)) */
enum { CCN__RIDE_NONE, CCN__RIDE_ELIG, CCN__RIDE_LEARN };

typedef struct ccn__opt { /* an optimiser's constants for one update (its rules: section 8) */
    ccn_real alpha;
    ccn_real beta;           /* RMSProp                                                    */
    ccn_real b1, b2, c1, c2; /* Adam: betas, bias corrections 1 / (1 - beta^t)              */
    ccn_real eps;
} ccn__opt;

/* What a measuring pass of an update finds (section 8): with norms 0, a check (refuse_nonfinite):
   check is 0 when every value the update would write is finite; with norms 1, the direction u's
   sums, in double: sq of (scale u)^2, l1 of |u|. */
typedef struct ccn__sums {
    int norms;
    ccn_real check;
    double sq, l1, scale;
} ccn__sums;

typedef struct ccn__ride {
    int ride;
    ccn_real decay, coef;
    const ccn__opt *opt; /* LEARN */
} ccn__ride;

/* The trace kernels: one entry's update e <- M e + B z, one form per state count (the 1 form for
   the kinds with one state, the 2 form for a state and a cell: dh/dtheta, dc/dtheta), and what
   rides on it. Every path of this section computes an entry with these, so that each has the
   bits of ccn__trace1_at and ccn__trace2_at (the generic path's) entry for entry. */
CCN__INLINE ccn_real ccn__e1(ccn_real m, ccn_real e, ccn_real b, ccn_real z) { return m * e + b * z; }
CCN__INLINE ccn_real ccn__e2(ccn_real mh, ccn_real H, ccn_real mc, ccn_real C, ccn_real b, ccn_real z) {
    return mh * H + mc * C + b * z;
}
CCN__INLINE ccn_real ccn__ride_sgd(ccn_real th, ccn_real alpha, ccn_real c, ccn_real nh) { return th + alpha * (c * nh); }
CCN__INLINE ccn_real ccn__ride_elig(ccn_real E, ccn_real decay, ccn_real ce, ccn_real eo) { return decay * E + ce * eo; }

/* One trace entry k (one parameter's trace update), with what rides on it (at most one): with
   E, TD's eligibility E <- decay E + ce e(t-1), before the trace moves on; with th, SGD's
   step th += alpha (c e(t)), after it (u = c e(t) rounded, as ccn__apply's); both faster than
   loops of their own (bench/README.md). z is the entry's input. */
CCN__INLINE void ccn__trace1_at(ccn_real *e, ccn_real *th, ccn_real *E, int k, ccn_real z, ccn_real mhh, ccn_real b,
                                ccn_real alpha, ccn_real c, ccn_real decay, ccn_real ce) {
    ccn_real nh;
    if (E) E[k] = ccn__ride_elig(E[k], decay, ce, e[k]);
    nh = ccn__e1(mhh, e[k], b, z);
    e[k] = nh;
    if (th) th[k] = ccn__ride_sgd(th[k], alpha, c, nh);
}

CCN__INLINE void ccn__trace2_at(ccn_real *eh, ccn_real *ec, ccn_real *th, ccn_real *E, int k, ccn_real z,
                                const ccn__local *d, int q, ccn_real alpha, ccn_real c, ccn_real decay, ccn_real ce) {
    ccn_real H = eh[k], C = ec[k], nh = ccn__e2(d->hh, H, d->hc, C, d->Bh[q], z);
    if (E) E[k] = ccn__ride_elig(E[k], decay, ce, H);
    eh[k] = nh;
    ec[k] = ccn__e2(d->ch, H, d->cc, C, d->Bc[q], z);
    if (th) th[k] = ccn__ride_sgd(th[k], alpha, c, nh);
}

/* What rides on a run of 8 to 15 traced in two windows (ccn__trace1, ccn__trace2): th moves
   along the new traces nh, E takes the old ones eo (both windows, 16 each), copied by the
   kernel before it computes, not read here from memory (gcc then loaded the second window
   entry by entry). In ccn__trace1 the copy is apart from the computation, so that it vanishes
   without E (computing from the copy was slower, from register pressure). Both windows are computed before either is stored,
   and before the traces are. The second window starts at t; it is addressed through its own
   pointers (indexed as [t + j], gcc computes eight addresses and goes scalar once the kernel is
   inlined). */
CCN__INLINE void ccn__ride_windows(ccn_real *CCN__RESTRICT th, ccn_real *CCN__RESTRICT E,
                                   const ccn_real *CCN__RESTRICT nh, const ccn_real *CCN__RESTRICT eo, int t,
                                   ccn_real alpha, ccn_real c, ccn_real decay, ccn_real ce) {
    ccn_real tx[16];
    int j;
    if (th) {
        ccn_real *th2 = th + t;
        for (j = 0; j < 8; ++j) tx[j] = ccn__ride_sgd(th[j], alpha, c, nh[j]);
        for (j = 0; j < 8; ++j) tx[8 + j] = ccn__ride_sgd(th2[j], alpha, c, nh[8 + j]);
        for (j = 0; j < 8; ++j) th[j] = tx[j];
        for (j = 0; j < 8; ++j) th2[j] = tx[8 + j];
    }
    if (E) {
        ccn_real *E2 = E + t;
        for (j = 0; j < 8; ++j) tx[j] = ccn__ride_elig(E[j], decay, ce, eo[j]);
        for (j = 0; j < 8; ++j) tx[8 + j] = ccn__ride_elig(E2[j], decay, ce, eo[8 + j]);
        for (j = 0; j < 8; ++j) E[j] = tx[j];
        for (j = 0; j < 8; ++j) E2[j] = tx[8 + j];
    }
}

/* A gate block's run of the trace update over inputs z, entry by entry as ccn__trace1_at.
   A run of 8 to 15 (small fan-in) goes as two windows of 8, [0, 8) and [len - 8, len), both
   computed from the old values before either is stored: where they overlap, both hold the same
   values (the update is elementwise), so the result is the loop's to the bit. The compiler's
   loop would do 8 lanes and up to 7 scalar steps; the windows take less time (bench/README.md). */
CCN__INLINE void ccn__trace1(ccn_real *CCN__RESTRICT e, const ccn_real *CCN__RESTRICT z, int len, ccn_real mhh,
                             ccn_real b, ccn_real *CCN__RESTRICT th, ccn_real alpha, ccn_real c,
                             ccn_real *CCN__RESTRICT E, ccn_real decay, ccn_real ce) {
    ccn_real te[16], eo[16];
    int k, j, t = len - 8;
    if (len >= 8 && len < 16) {
        ccn_real *e2 = e + t;
        const ccn_real *z2 = z + t;
        for (j = 0; j < 8; ++j) eo[j] = e[j]; /* the old traces for E (see ccn__ride_windows) */
        for (j = 0; j < 8; ++j) eo[8 + j] = e2[j];
        for (j = 0; j < 8; ++j) te[j] = ccn__e1(mhh, e[j], b, z[j]);
        for (j = 0; j < 8; ++j) te[8 + j] = ccn__e1(mhh, e2[j], b, z2[j]);
        ccn__ride_windows(th, E, te, eo, t, alpha, c, decay, ce);
        for (j = 0; j < 8; ++j) e[j] = te[j];
        for (j = 0; j < 8; ++j) e2[j] = te[8 + j];
    } else if (th)
        for (k = 0; k < len; ++k) ccn__trace1_at(e, th, NULL, k, z[k], mhh, b, alpha, c, decay, ce);
    else if (E)
        for (k = 0; k < len; ++k) ccn__trace1_at(e, NULL, E, k, z[k], mhh, b, alpha, c, decay, ce);
    else
        for (k = 0; k < len; ++k) ccn__trace1_at(e, NULL, NULL, k, z[k], mhh, b, alpha, c, decay, ce);
}

CCN__INLINE void ccn__trace2(ccn_real *CCN__RESTRICT eh, ccn_real *CCN__RESTRICT ec, const ccn_real *CCN__RESTRICT z,
                             int len, const ccn__local *d, int q, ccn_real *CCN__RESTRICT th, ccn_real alpha,
                             ccn_real c, ccn_real *CCN__RESTRICT E, ccn_real decay, ccn_real ce) {
    ccn_real hh = d->hh, hc = d->hc, ch = d->ch, cc = d->cc, bh = d->Bh[q], bc = d->Bc[q];
    ccn_real wh[16], wc[16], oh[16];
    int k, j, t = len - 8;
    if (len >= 8 && len < 16) { /* two windows, as ccn__trace1 */
        ccn_real *eh2 = eh + t, *ec2 = ec + t;
        const ccn_real *z2 = z + t;
        for (j = 0; j < 8; ++j) oh[j] = eh[j]; /* kept for E, as ccn__trace1's eo */
        for (j = 0; j < 8; ++j) oh[8 + j] = eh2[j];
        for (j = 0; j < 8; ++j) {
            wh[j] = ccn__e2(hh, oh[j], hc, ec[j], bh, z[j]);
            wc[j] = ccn__e2(ch, oh[j], cc, ec[j], bc, z[j]);
        }
        for (j = 0; j < 8; ++j) {
            wh[8 + j] = ccn__e2(hh, oh[8 + j], hc, ec2[j], bh, z2[j]);
            wc[8 + j] = ccn__e2(ch, oh[8 + j], cc, ec2[j], bc, z2[j]);
        }
        ccn__ride_windows(th, E, wh, oh, t, alpha, c, decay, ce);
        for (j = 0; j < 8; ++j) eh[j] = wh[j];
        for (j = 0; j < 8; ++j) eh2[j] = wh[8 + j];
        for (j = 0; j < 8; ++j) ec[j] = wc[j];
        for (j = 0; j < 8; ++j) ec2[j] = wc[8 + j];
    } else if (th)
        for (k = 0; k < len; ++k) ccn__trace2_at(eh, ec, th, NULL, k, z[k], d, q, alpha, c, decay, ce);
    else if (E)
        for (k = 0; k < len; ++k) ccn__trace2_at(eh, ec, NULL, E, k, z[k], d, q, alpha, c, decay, ce);
    else
        for (k = 0; k < len; ++k) ccn__trace2_at(eh, ec, NULL, NULL, k, z[k], d, q, alpha, c, decay, ce);
}

#ifdef CCN__X8
/* ccn__trace1 for one gate block of a column without links whose z, [buf[0, P) ; h' ; 1], is 9
   to 15 long, with SGD's step riding, where the build targets AVX: the two windows of
   ccn__trace1 with h' and 1 in their lanes (the second window's last two, the first's last
   when P is 7), as ccn__dot_z places them, so no entry goes alone; entry by entry the
   arithmetic of ccn__trace1_at, so the same bits (tested: learn_step_is_step_then_learn in the
   AVX2 leg). Only with SGD riding: without a ride it did not pay (bench/README.md). */
CCN__INLINE void ccn__trace1_x8(float *CCN__RESTRICT e, float *CCN__RESTRICT th, const float *CCN__RESTRICT buf, int P,
                                float mhh, float b, float hp, float alpha, float c) {
    const size_t t = (size_t)(P - 6);
    const __m256 lane = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7), vh = _mm256_set1_ps(hp);
    const __m256 vm = _mm256_set1_ps(mhh), vb = _mm256_set1_ps(b);
    __m256 z1 = _mm256_blendv_ps(_mm256_loadu_ps(buf), vh, _mm256_cmp_ps(lane, _mm256_set1_ps((float)P), _CMP_GE_OQ));
    __m256 z2 = _mm256_blend_ps(_mm256_blend_ps(_mm256_loadu_ps(buf + t), vh, 0x40), _mm256_set1_ps(1.0f), 0x80);
    const __m256 va = _mm256_set1_ps(alpha), vc = _mm256_set1_ps(c);
    __m256 n1 = _mm256_add_ps(_mm256_mul_ps(vm, _mm256_loadu_ps(e)), _mm256_mul_ps(vb, z1));
    __m256 n2 = _mm256_add_ps(_mm256_mul_ps(vm, _mm256_loadu_ps(e + t)), _mm256_mul_ps(vb, z2));
    __m256 t1 = _mm256_add_ps(_mm256_loadu_ps(th), _mm256_mul_ps(va, _mm256_mul_ps(vc, n1)));
    __m256 t2 = _mm256_add_ps(_mm256_loadu_ps(th + t), _mm256_mul_ps(va, _mm256_mul_ps(vc, n2)));
    _mm256_storeu_ps(th, t1);
    _mm256_storeu_ps(th + t, t2);
    _mm256_storeu_ps(e, n1);
    _mm256_storeu_ps(e + t, n2);
}
#endif

/* Where the compiler targets AVX-512 and ccn_real is float, lstm's trace runs of 16 to 31 (the
   later stages of small nets) go as two windows of 16 lanes. */
#if defined(CCN__X8) && defined(__AVX512F__)
#define CCN__X16 1
/* One window of 16 of ccn__trace2_x16, from the old traces H, C: the new ones (nh, nc), and what
   rides (nt: th's new values; nE: E's), nothing stored. */
CCN__INLINE void ccn__trace2_w16(const float *CCN__RESTRICT z, const ccn__local *d, int q, const float *CCN__RESTRICT th,
                                 float alpha, float c, const float *CCN__RESTRICT E, float decay, float ce, __m512 H,
                                 __m512 C, __m512 *nh, __m512 *nc, __m512 *nt, __m512 *nE) {
    const __m512 Z = _mm512_loadu_ps(z);
    *nh = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(d->hh), H), _mm512_mul_ps(_mm512_set1_ps(d->hc), C)),
                        _mm512_mul_ps(_mm512_set1_ps(d->Bh[q]), Z));
    *nc = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(d->ch), H), _mm512_mul_ps(_mm512_set1_ps(d->cc), C)),
                        _mm512_mul_ps(_mm512_set1_ps(d->Bc[q]), Z));
    if (E) *nE = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(decay), _mm512_loadu_ps(E)), _mm512_mul_ps(_mm512_set1_ps(ce), H));
    if (th) *nt = _mm512_add_ps(_mm512_loadu_ps(th), _mm512_mul_ps(_mm512_set1_ps(alpha), _mm512_mul_ps(_mm512_set1_ps(c), *nh)));
}

/* ccn__trace2 for a run of 16 to 31 entries where the build targets AVX-512 (float): two windows
   of 16, [0, 16) and [len - 16, len), both computed from the old values before either is stored
   (as ccn__trace2's two windows of 8: where they overlap both hold the same values), entry by
   entry the arithmetic of ccn__trace2_at with what rides on it, so the same bits
   (generic_equals_fast_paths), without the compiler's loop's scalar tail. */
CCN__INLINE void ccn__trace2_x16(float *CCN__RESTRICT eh, float *CCN__RESTRICT ec, const float *CCN__RESTRICT z, int len,
                                 const ccn__local *d, int q, float *CCN__RESTRICT th, float alpha, float c,
                                 float *CCN__RESTRICT E, float decay, float ce) {
    const int t = len - 16;
    float *eh2 = eh + t, *ec2 = ec + t, *th2 = th ? th + t : NULL, *E2 = E ? E + t : NULL;
    __m512 h1, c1, t1 = _mm512_setzero_ps(), e1 = t1, h2, c2, t2 = t1, e2 = t1;
    ccn__trace2_w16(z, d, q, th, alpha, c, E, decay, ce, _mm512_loadu_ps(eh), _mm512_loadu_ps(ec), &h1, &c1, &t1, &e1);
    ccn__trace2_w16(z + t, d, q, th2, alpha, c, E2, decay, ce, _mm512_loadu_ps(eh2), _mm512_loadu_ps(ec2), &h2,
                    &c2, &t2, &e2);
    if (E) {
        _mm512_storeu_ps(E, e1);
        _mm512_storeu_ps(E2, e2);
    }
    _mm512_storeu_ps(eh, h1);
    _mm512_storeu_ps(eh2, h2);
    _mm512_storeu_ps(ec, c1);
    _mm512_storeu_ps(ec2, c2);
    if (th) {
        _mm512_storeu_ps(th, t1);
        _mm512_storeu_ps(th2, t2);
    }
}
#endif

/* The kernels, not inlined: for columns with feature layers, whose loop has code enough without
   them (inlined there they were slower), and for lstm's long runs. */
CCN__NOINLINE static void ccn__trace1_call(ccn_real *CCN__RESTRICT e, const ccn_real *CCN__RESTRICT z, int len,
                                           ccn_real mhh, ccn_real b, ccn_real *CCN__RESTRICT th, ccn_real alpha,
                                           ccn_real c, ccn_real *CCN__RESTRICT E, ccn_real decay, ccn_real ce) {
    ccn__trace1(e, z, len, mhh, b, th, alpha, c, E, decay, ce);
}

CCN__NOINLINE static void ccn__trace2_call(ccn_real *CCN__RESTRICT eh, ccn_real *CCN__RESTRICT ec,
                                           const ccn_real *CCN__RESTRICT z, int len, const ccn__local *d, int q,
                                           ccn_real *CCN__RESTRICT th, ccn_real alpha, ccn_real c,
                                           ccn_real *CCN__RESTRICT E, ccn_real decay, ccn_real ce) {
    ccn__trace2(eh, ec, z, len, d, q, th, alpha, c, E, decay, ce);
}

static void ccn__apply(ccn_net *net, size_t k0, size_t count, const ccn_real *CCN__RESTRICT src, ccn_real coef,
                       const ccn__opt *o, ccn__sums *check);

static void ccn__elig(ccn_real *CCN__RESTRICT E, const ccn_real *CCN__RESTRICT e, size_t len, ccn_real decay, ccn_real c) {
    size_t k;
    for (k = 0; k < len; ++k) E[k] = decay * E[k] + c * e[k];
}

/* The feature parameters' part of column col's trace update (with feature layers): their
   immediate term goes through phi_col (ccn__feature_vjp, with theta read before anything moves
   it), E takes their old traces, SGD's step their new ones. G gates; two: the kind has two states
   (two traces). The features enter every gate through w, never through a recurrent input. */
CCN__INLINE void ccn__color_features(ccn_net *net, int col, const ccn__local *d, const ccn_real *xin, int worker,
                                     const ccn__ride *R, const int sgd, const int elig, const int G, const int two) {
    size_t off = net->col_off[col], stride = (size_t)net->zlen[col] + 2, fc = net->feat_count, k;
    int q, j, W = net->W;
    const ccn_real *blk = net->theta + off + fc;
    ccn_real *eh = net->eh + off, *ec = two ? net->ec + off : NULL;
    ccn_real *imm_h = net->fscratch + (2 * fc + 4 * (size_t)W) * (size_t)worker, *imm_c = imm_h + fc;
    ccn_real *gh = imm_c + fc, *gc = gh + W, *d1 = gc + W;
    for (j = 0; j < W; ++j) {
        ccn_real sh = 0, sc = 0;
        for (q = 0; q < G; ++q) {
            sh += d->Bh[q] * blk[(size_t)q * stride + (size_t)j];
            sc += d->Bc[q] * blk[(size_t)q * stride + (size_t)j];
        }
        gh[j] = sh;
        gc[j] = sc;
    }
    ccn__feature_vjp(net, col, xin, gh, imm_h, d1);
    if (two) ccn__feature_vjp(net, col, xin, gc, imm_c, d1);
    if (elig) ccn__elig(net->elig + off, eh, fc, R->decay, net->dl_dh[col]);
    if (two)
        for (k = 0; k < fc; ++k) {
            ccn_real H = eh[k], C = ec[k];
            eh[k] = d->hh * H + d->hc * C + imm_h[k];
            ec[k] = d->ch * H + d->cc * C + imm_c[k];
        }
    else
        for (k = 0; k < fc; ++k) eh[k] = d->hh * eh[k] + imm_h[k];
    if (sgd) ccn__apply(net, off, fc, eh, R->coef * net->dl_dh[col], R->opt, NULL);
}

/* Column col's trace update, with what rides on it (sgd: SGD's step; elig: TD's eligibility),
   for a plain kind (every gate reads h' itself) of G gates and two states or one (two), with
   feature layers (feat) or without: all five constant where it is inlined. A gate block's z is [own ; rest], own the
   column's features (with feature layers) and rest [prefix ; tail]: prefix the stage's inputs,
   shared by every column of the stage (x~ without feature layers, then the cascade), at the
   start of buf, and tail the column's own links, h' and 1. A vector load that spans scalar stores still in flight
   waits for them, so for one trace without E and without feature layers (regs) the tail goes
   entry by entry from registers, never stored, rather than after the prefix through buf
   (color_tail_paths_agree proves the two give the same bits). Where a run does more per entry
   (lstm's two traces, E) the scalar tail costs more than the wait, and the run goes through buf
   whole (bench/README.md). */
CCN__INLINE void ccn__color_column(ccn_net *net, int col, ccn_real *buf, int casc_len, int worker, const ccn__ride *R,
                                   const int sgd, const int elig, const int G, const int two, const int feat) {
    const int regs = !two && !elig && !feat;
    size_t off = net->col_off[col], stride = (size_t)net->zlen[col] + 2, fc = feat ? net->feat_count : 0;
    int q, j, W = feat ? net->W : 0, n_links = net->link_off[col + 1] - net->link_off[col], P = net->m + casc_len;
    const ccn_link *lk = net->links + net->link_off[col];
    ccn_real *eh = net->eh + off + fc, *ec = two ? net->ec + off + fc : NULL;
    ccn_real *th = sgd ? net->theta + off + fc : NULL, *E = elig ? net->elig + off + fc : NULL;
    ccn_real alpha = sgd ? R->opt->alpha : 0, c = sgd ? R->coef * net->dl_dh[col] : 0;
    ccn_real decay = R->decay, ce = elig ? net->dl_dh[col] : 0, hp = net->cfg.feedforward ? CCN_R(0) : net->h_prev[col];
    ccn__local d;
    ccn__z z;
    if (!regs) ccn__z_of(net, col, buf, casc_len, 1, &z);
    ccn__local_of(net, col, &d, G);
    if (feat) ccn__color_features(net, col, &d, net->zbuf, worker, R, sgd, elig, G, two);
    for (q = 0; q < G; ++q) {
        size_t b = (size_t)q * stride, r = b + (size_t)W;
        ccn_real *tb = sgd ? th + b : NULL, *Eb = elig ? E + b : NULL;
        ccn_real *tr = sgd ? th + r : NULL, *Er = elig ? E + r : NULL, bh = d.Bh[q];
#ifdef CCN__X8
        if (regs && sgd && !n_links && ccn__short_z(P)) {
            ccn__trace1_x8(eh + r, tr, buf, P, d.hh, bh, hp, alpha, c);
            continue;
        }
#endif
        if (regs) { /* the prefix, then the tail */
            ccn_real *et = eh + r + P, *tt = sgd ? tr + P : NULL;
            ccn__trace1(eh + r, buf, P, d.hh, bh, tr, alpha, c, NULL, decay, ce);
            for (j = 0; j < n_links; ++j)
                ccn__trace1_at(et, tt, NULL, j, ccn__link_value(net, lk + j), d.hh, bh, alpha, c, decay, ce);
            ccn__trace1_at(et, tt, NULL, n_links, hp, d.hh, bh, alpha, c, decay, ce);
            ccn__trace1_at(et, tt, NULL, n_links + 1, CCN_R(1), d.hh, bh, alpha, c, decay, ce);
        } else if (two && feat) {
            ccn__trace2_call(eh + b, ec + b, z.own, W, &d, q, tb, alpha, c, Eb, decay, ce);
            ccn__trace2_call(eh + r, ec + r, z.rest, z.rest_len, &d, q, tr, alpha, c, Er, decay, ce);
        }
#ifdef CCN__X16
        else if (two && z.rest_len >= 16 && z.rest_len < 32)
            ccn__trace2_x16(eh + r, ec + r, z.rest, z.rest_len, &d, q, tr, alpha, c, Er, decay, ce);
#endif
        else if (two && z.rest_len >= 16) /* a long lstm run: the call (inlined was slower) */
            ccn__trace2_call(eh + r, ec + r, z.rest, z.rest_len, &d, q, tr, alpha, c, Er, decay, ce);
        else if (two)
            ccn__trace2(eh + r, ec + r, z.rest, z.rest_len, &d, q, tr, alpha, c, Er, decay, ce);
        else if (feat) {
            ccn__trace1_call(eh + b, z.own, W, d.hh, bh, tb, alpha, c, Eb, decay, ce);
            ccn__trace1_call(eh + r, z.rest, z.rest_len, d.hh, bh, tr, alpha, c, Er, decay, ce);
        } else
            ccn__trace1(eh + r, z.rest, z.rest_len, d.hh, bh, tr, alpha, c, Er, decay, ce);
    }
    if (R->ride == CCN__RIDE_LEARN && !sgd)
        ccn__apply(net, off, net->col_off[col + 1] - off, net->eh + off, R->coef * net->dl_dh[col], R->opt, NULL);
}

/* The generic trace update of columns [a, b): any kind, feature depth, links and ride, all read
   at run time, each gate block's runs (own, rest) through the trace kernel of the kind's state
   count (ccn__trace1, ccn__trace2: entry for entry ccn__trace1_at's and ccn__trace2_at's
   arithmetic). A gate with a recurrent input reads rho_q h' at z's h' entry: its direct term
   D_q(u_q). */
static void ccn__color_generic(ccn_net *net, int a, int b, ccn_real *buf, int casc_len, int worker, const ccn__ride *R) {
    const ccn__kind *K = ccn__net_kind(net);
    const int G = K->gates, two = K->states == 2, feat = net->L > 0, elig = R->ride == CCN__RIDE_ELIG;
    const int sgd = R->ride == CCN__RIDE_LEARN && net->cfg.optimizer == CCN_SGD;
    size_t stride, fc = feat ? net->feat_count : 0, off;
    int col, q, W = feat ? net->W : 0;
    for (col = a; col < b; ++col) {
        ccn_real *eh, *ec, *th, *E, alpha = sgd ? R->opt->alpha : 0, c = sgd ? R->coef * net->dl_dh[col] : 0;
        ccn_real decay = R->decay, ce = elig ? net->dl_dh[col] : 0, hp;
        ccn__local d;
        ccn__z z;
        off = net->col_off[col];
        stride = (size_t)net->zlen[col] + 2;
        eh = net->eh + off + fc;
        ec = two ? net->ec + off + fc : NULL;
        th = sgd ? net->theta + off + fc : NULL;
        E = elig ? net->elig + off + fc : NULL;
        ccn__z_of(net, col, buf, casc_len, 1, &z);
        hp = *z.hslot;
        ccn__local_of(net, col, &d, G);
        if (feat) ccn__color_features(net, col, &d, net->zbuf, worker, R, sgd, elig, G, two);
        for (q = 0; q < G; ++q) {
            size_t bq = (size_t)q * stride, r = bq + (size_t)W;
            ccn_real *tb = th ? th + bq : NULL, *Eb = E ? E + bq : NULL, *tr = th ? th + r : NULL, *Er = E ? E + r : NULL;
            if (K->rho[q] >= 0) *z.hslot = ccn__rho_h(net, K, q, col, hp);
            if (two) {
                if (W) ccn__trace2_call(eh + bq, ec + bq, z.own, W, &d, q, tb, alpha, c, Eb, decay, ce);
                ccn__trace2_call(eh + r, ec + r, z.rest, z.rest_len, &d, q, tr, alpha, c, Er, decay, ce);
            } else {
                if (W) ccn__trace1_call(eh + bq, z.own, W, d.hh, d.Bh[q], tb, alpha, c, Eb, decay, ce);
                ccn__trace1_call(eh + r, z.rest, z.rest_len, d.hh, d.Bh[q], tr, alpha, c, Er, decay, ce);
            }
            *z.hslot = hp;
        }
        if (R->ride == CCN__RIDE_LEARN && !sgd)
            ccn__apply(net, off, net->col_off[col + 1] - off, net->eh + off, R->coef * net->dl_dh[col], R->opt, NULL);
    }
}

/* The fast paths: the trace update of columns [a, b) of a stage whose cascade is casc_len long,
   buf a worker's z buffer (its prefix: the stage's inputs), for a plain kind of G gates and
   two states or one: one loop over the columns for each combination of ride, gate count,
   states and feature layers, with the kernels inlined and all fixed, so that nothing is called
   or reloaded per column; one loop with the feature layers' code in it, or the gate count read
   from the net, was slower (bench/README.md). They rely on the kind reading h' itself in every
   gate (ccn__z_of's tail; the regs tail and ccn__trace1_x8 put h' in registers) and compute
   each entry with the kernels in the generic path's order, so they have its bits
   (generic_equals_fast_paths). */
#define CCN__COLOR_COLUMNS(name, sgd, elig, G, two, feat)                                               \
    CCN__NOINLINE static void name(ccn_net *net, int a, int b, ccn_real *buf, int casc_len, int worker, \
                                   const ccn__ride *R) {                                                \
        int i;                                                                                          \
        for (i = a; i < b; ++i)                                                                         \
            ccn__color_column(net, i, buf, casc_len, worker, R, sgd, elig, G, two, feat);               \
    }
CCN__COLOR_COLUMNS(ccn__color_1g, 0, 0, 1, 0, 0)
CCN__COLOR_COLUMNS(ccn__color_1g_sgd, 1, 0, 1, 0, 0)
CCN__COLOR_COLUMNS(ccn__color_1g_elig, 0, 1, 1, 0, 0)
CCN__COLOR_COLUMNS(ccn__color_2g, 0, 0, 2, 0, 0)
CCN__COLOR_COLUMNS(ccn__color_2g_sgd, 1, 0, 2, 0, 0)
CCN__COLOR_COLUMNS(ccn__color_2g_elig, 0, 1, 2, 0, 0)
CCN__COLOR_COLUMNS(ccn__color_4g2s, 0, 0, 4, 1, 0)
CCN__COLOR_COLUMNS(ccn__color_4g2s_sgd, 1, 0, 4, 1, 0)
CCN__COLOR_COLUMNS(ccn__color_4g2s_elig, 0, 1, 4, 1, 0)
CCN__COLOR_COLUMNS(ccn__color_1g_f, 0, 0, 1, 0, 1)
CCN__COLOR_COLUMNS(ccn__color_1g_f_sgd, 1, 0, 1, 0, 1)
CCN__COLOR_COLUMNS(ccn__color_1g_f_elig, 0, 1, 1, 0, 1)
CCN__COLOR_COLUMNS(ccn__color_2g_f, 0, 0, 2, 0, 1)
CCN__COLOR_COLUMNS(ccn__color_2g_f_sgd, 1, 0, 2, 0, 1)
CCN__COLOR_COLUMNS(ccn__color_2g_f_elig, 0, 1, 2, 0, 1)
CCN__COLOR_COLUMNS(ccn__color_4g2s_f, 0, 0, 4, 1, 1)
CCN__COLOR_COLUMNS(ccn__color_4g2s_f_sgd, 1, 0, 4, 1, 1)
CCN__COLOR_COLUMNS(ccn__color_4g2s_f_elig, 0, 1, 4, 1, 1)

typedef void (*ccn__color_fn)(ccn_net *net, int a, int b, ccn_real *buf, int casc_len, int worker, const ccn__ride *R);

/* The fast loops' shapes: a plain kind whose gates and states match a row takes its loop, any
   other kind (or any kind in the tests' generic mode) the generic path. */
typedef struct ccn__color_shape {
    int gates, states;
    ccn__color_fn fns[2][3]; /* [feat][none, sgd, elig] */
} ccn__color_shape;

static void ccn__color_update(ccn_net *net, int a, int b, ccn_real *buf, int casc_len, int worker, const ccn__ride *R) {
    static const ccn__color_shape shapes[3] = {
        {1, 1, {{ccn__color_1g, ccn__color_1g_sgd, ccn__color_1g_elig}, {ccn__color_1g_f, ccn__color_1g_f_sgd, ccn__color_1g_f_elig}}},
        {2, 1, {{ccn__color_2g, ccn__color_2g_sgd, ccn__color_2g_elig}, {ccn__color_2g_f, ccn__color_2g_f_sgd, ccn__color_2g_f_elig}}},
        {4, 2, {{ccn__color_4g2s, ccn__color_4g2s_sgd, ccn__color_4g2s_elig},
                {ccn__color_4g2s_f, ccn__color_4g2s_f_sgd, ccn__color_4g2s_f_elig}}}};
    const ccn__kind *K = ccn__net_kind(net);
    int ride = R->ride == CCN__RIDE_ELIG ? 2 : R->ride == CCN__RIDE_LEARN && net->cfg.optimizer == CCN_SGD ? 1 : 0, k;
    if (CCN__FAST(ccn__kind_plain(K)))
        for (k = 0; k < 3; ++k)
            if (shapes[k].gates == K->gates && shapes[k].states == K->states) {
                shapes[k].fns[net->L > 0][ride](net, a, b, buf, casc_len, worker, R);
                return;
            }
    ccn__color_generic(net, a, b, buf, casc_len, worker, R);
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
    const ccn__kind *K = ccn__net_kind(net);
    int cur = net->stage, n = net->n, ns = K->states, two = ns == 2, s, q, k;
    size_t P0 = net->col_off[net->stage_start[cur]], P1 = net->col_off[net->stage_start[cur + 1]], len = P1 - P0;
    int own_len = z->own_len, n_links = z->tail_len - 2, at_links = own_len + z->rest_len - z->tail_len;
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
        /* direct terms: the gate blocks read [own ; rest], a gate with a recurrent input rho_q h'
           at z's h' entry */
        for (q = 0; q < net->G; ++q) {
            ccn_real *r = row + off + fc + (size_t)q * stride, hp = *z->hslot;
            if (K->rho[q] >= 0) *z->hslot = ccn__rho_h(net, K, q, col, hp);
            for (k = 0; k < own_len; ++k) r[k] += Bq[q] * z->own[k];
            for (k = 0; k < z->rest_len; ++k) r[own_len + k] += Bq[q] * z->rest[k];
            *z->hslot = hp;
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
   6. One step: the stages in order (normalised inputs, features, columns), the learning stage's
   traces, the readout, then the statistics. The learners run the traces later, after the
   readout and the statistics (which the traces do not read), so that an update can ride on them.
   ============================================================================================ */

static void ccn__start_stage(ccn_net *net);

/* The column work of a stage, in phases, each over chunks of columns that may run in parallel:
   every column's work reads shared inputs and writes only its own state and arrays. */
enum { CCN__PHASE_FEATURES, CCN__PHASE_PREACT, CCN__PHASE_CELLS, CCN__PHASE_TRACES, CCN__PHASE_UPDATE };

typedef struct ccn__job {
    ccn_net *net;
    int phase, c0, c1, chunk;
    const ccn__ride *ride;          /* the trace phase: what rides on it                       */
    const ccn_real *src, *col_coef; /* the update phase: direction and per-column coefficient  */
    ccn_real coef;
    const ccn__opt *opt;
    ccn__sums *check;               /* the update phase: NULL to apply, else only measure (one thread) */
} ccn__job;


static void ccn__task(void *ctx, int task, int worker) {
    ccn__job *job = (ccn__job *)ctx;
    ccn_net *net = job->net;
    int a = job->c0 + task * job->chunk, b = a + job->chunk < job->c1 ? a + job->chunk : job->c1, i;
    switch (job->phase) {
    case CCN__PHASE_FEATURES: /* run only with feature layers */
        for (i = a; i < b; ++i) ccn__feature_forward(net, i, net->zbuf);
        break;
    case CCN__PHASE_PREACT:
        ccn__preact(net, a, b, ccn__zbuf(net, worker, job->c0), job->c0, net->link_off[job->c1] > net->link_off[job->c0]);
        break;
    case CCN__PHASE_CELLS:
        ccn__net_kind(net)->cells(net, a, b);
        break;
    case CCN__PHASE_TRACES:
        ccn__color_update(net, a, b, ccn__zbuf(net, worker, job->c0), job->c0, worker, job->ride);
        break;
    default: /* CCN__PHASE_UPDATE; a measuring pass sums column by column, so that its sums do not
                depend on how the columns were split into tasks */
        if (job->col_coef || (job->check && job->check->norms))
            for (i = a; i < b; ++i)
                ccn__apply(net, net->col_off[i], net->col_off[i + 1] - net->col_off[i], job->src + net->col_off[i],
                           job->col_coef ? job->coef * job->col_coef[i] : job->coef, job->opt, job->check);
        else
            ccn__apply(net, net->col_off[a], net->col_off[b] - net->col_off[a], job->src + net->col_off[a], job->coef,
                       job->opt, job->check);
        break;
    }
}

/* The floating-point mode of a net's calls (ccn_set_flush_subnormals): with flush on, the
   MXCSR's flush-to-zero (bit 15) and denormals-are-zero (bit 6) set on entry, the caller's
   control bits put back on the way out (the exception flags, bits 0-5, keep what the call
   raised). A parallel-for's tasks set it themselves: they may run on threads of their own. */
#ifdef CCN__HAS_FLUSH
static unsigned ccn__mode_enter(const ccn_net *net) { /* with flush off, the MXCSR is not touched */
    unsigned csr = 0;
    if (net && net->flush) {
        csr = _mm_getcsr();
        _mm_setcsr(csr | 0x8040u);
    }
    return csr;
}
static void ccn__mode_leave(const ccn_net *net, unsigned csr) {
    if (net && net->flush) _mm_setcsr((_mm_getcsr() & 0x3Fu) | (csr & ~0x3Fu));
}
#else
static unsigned ccn__mode_enter(const ccn_net *net) {
    (void)net;
    return 0;
}
static void ccn__mode_leave(const ccn_net *net, unsigned csr) {
    (void)net;
    (void)csr;
}
#endif

static void ccn__task_in_mode(void *ctx, int task, int worker) {
    const ccn_net *net = ((ccn__job *)ctx)->net;
    unsigned csr = ccn__mode_enter(net);
    ccn__task(ctx, task, worker);
    ccn__mode_leave(net, csr);
}

/* Runs one phase over the job's columns: through the caller's parallel-for when there is one
   and more than one chunk, else in order on worker 0 (always for a check pass: its tasks add to
   one sum). */
static void ccn__run(ccn_net *net, ccn__job *job, int phase) {
    int cols = job->c1 - job->c0, workers = net->cfg.n_workers, tasks, t;
    job->net = net;
    job->phase = phase;
    if (!net->parallel || workers <= 1) { /* one task: the whole range */
        job->chunk = cols;
        ccn__task(job, 0, 0);
        return;
    }
    job->chunk = (cols + 4 * workers - 1) / (4 * workers);
    if (job->chunk < 16) job->chunk = 16;
    tasks = (cols + job->chunk - 1) / job->chunk;
    if (net->parallel && tasks > 1 && !(phase == CCN__PHASE_UPDATE && job->check))
        net->parallel(net->parallel_user, tasks, net->flush ? ccn__task_in_mode : ccn__task, job);
    else
        for (t = 0; t < tasks; ++t) ccn__task(job, t, 0);
}

CCN_API void ccn_set_parallel(ccn_net *net, ccn_parallel_fn fn, void *user) {
    if (!net) return;
    net->parallel = fn;
    net->parallel_user = user;
}

CCN_API ccn_result ccn_set_flush_subnormals(ccn_net *net, int on) {
    if (!net) return CCN_ERR_NULL_ARGUMENT;
    if (on != 0 && on != 1) return CCN_ERR_BAD_FLAG;
#ifndef CCN__HAS_FLUSH
    if (on) return CCN_ERR_UNSUPPORTED;
#endif
    net->flush = on != 0;
    return CCN_OK;
}

/* The ColoR trace pass over the learning stage, after its forward pass, with ride on it. */
static void ccn__trace_pass(ccn_net *net, const ccn__ride *ride) {
    ccn__job job;
    job.c0 = net->stage_start[net->stage];
    job.c1 = net->stage_start[net->stage + 1];
    job.ride = ride;
    ccn__run(net, &job, CCN__PHASE_TRACES);
}

/* A step in pieces, so that a batch (section 11) can run each stage's cells for all its nets at
   once: ccn__step_begin, then for each started stage k ccn__stage_front, the cells of its
   columns, ccn__stage_back, and ccn__step_end. ccn__step is the pieces in that order. */

/* The next stage when steps_per_stage says so; the states the step starts from. */
static void ccn__step_begin(ccn_net *net) {
    int n_act;
    if (net->cfg.steps_per_stage > 0 && net->steps > 0 && net->stage + 1 < net->n_stages &&
        net->steps % (uint64_t)net->cfg.steps_per_stage == 0)
        ccn__start_stage(net);
    n_act = net->stage_start[net->stage + 1];
    memcpy(net->h_prev, net->h, (size_t)n_act * sizeof(ccn_real));
    if (ccn__net_kind(net)->states == 2) memcpy(net->c_prev, net->c, (size_t)n_act * sizeof(ccn_real));
}

/* Stage k up to its cells: its inputs, features and pre-activations. */
static void ccn__stage_front(ccn_net *net, int k, const ccn_real *x) {
    ccn__job job;
    job.c0 = net->stage_start[k];
    job.c1 = net->stage_start[k + 1];
    ccn__stage_inputs(net, k, x);
    if (net->L) ccn__run(net, &job, CCN__PHASE_FEATURES);
    if (net->cfg.method != CCN_FORWARD && k == net->stage && net->S && net->L)
        ccn__rtrl_features(net, job.c0, job.c1, net->zbuf);
    ccn__run(net, &job, CCN__PHASE_PREACT);
}

/* Stage k after its cells: exact RTRL's sensitivities, when k learns (single-threaded: the
   reference). */
static void ccn__stage_back(ccn_net *net, int k) {
    int i, c0 = net->stage_start[k], c1 = net->stage_start[k + 1];
    ccn__local d;
    ccn__z z;
    if (net->cfg.method == CCN_FORWARD || k != net->stage || net->eh) return;
    for (i = c0; i < c1; ++i) {
        ccn__z_of(net, i, net->zbuf, c0, 1, &z);
        ccn__local_of(net, i, &d, net->G);
        ccn__rtrl_update(net, i, &z, &d);
    }
}

/* The rest of a step of x: ColoR's trace pass only with traces (the learners ride their update
   on it), the readout, the statistics. */
static void ccn__step_end(ccn_net *net, const ccn_real *x, ccn_real *y, int traces) {
    int i, r, n_act = net->stage_start[net->stage + 1];
    if (net->cfg.method != CCN_FORWARD && net->eh && traces) {
        ccn__ride none = {CCN__RIDE_NONE, 0, 0, NULL};
        ccn__trace_pass(net, &none);
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
        net->y[r] = ccn__dot_call(net->theta + net->readout + (size_t)r * (size_t)net->n, net->hn, n_act) +
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
    net->stepped = net->unlearned = 1;
}

/* One step of x (the pieces above in order). */
static void ccn__step(ccn_net *net, const ccn_real *x, ccn_real *y, int traces) {
    int k;
    ccn__step_begin(net);
    for (k = 0; k <= net->stage; ++k) {
        ccn__job job;
        job.c0 = net->stage_start[k];
        job.c1 = net->stage_start[k + 1];
        ccn__stage_front(net, k, x);
        ccn__run(net, &job, CCN__PHASE_CELLS);
        ccn__stage_back(net, k);
    }
    ccn__step_end(net, x, y, traces);
}

static ccn_result ccn__api_step(ccn_net *net, const ccn_real *x, ccn_real *y) {
    if (!net || !x) return CCN_ERR_NULL_ARGUMENT;
    if (!ccn__all_finite(x, (size_t)net->m)) return CCN_ERR_NOT_FINITE;
    ccn__step(net, x, y, 1);
    return CCN_OK;
}

CCN_API void ccn_reset_state(ccn_net *net) {
    size_t n;
    if (!net) return;
    n = (size_t)net->n;
    memset(net->h, 0, n * sizeof(ccn_real));
    memset(net->h_prev, 0, n * sizeof(ccn_real));
    memset(net->hn, 0, n * sizeof(ccn_real));
    if (ccn__net_kind(net)->states == 2) {
        memset(net->c, 0, n * sizeof(ccn_real));
        memset(net->c_prev, 0, n * sizeof(ccn_real));
    }
    memset(net->y, 0, (size_t)net->o * sizeof(ccn_real));
    if (net->eh) memset(net->eh, 0, net->p * sizeof(ccn_real));
    if (net->ec) memset(net->ec, 0, net->p * sizeof(ccn_real));
    if (net->elig) memset(net->elig, 0, net->p * sizeof(ccn_real));
    if (net->S) {
        size_t rows = n * (size_t)ccn__net_kind(net)->states * net->p;
        memset(net->S, 0, rows * sizeof(ccn_real));
        memset(net->S_new, 0, rows * sizeof(ccn_real));
    }
    net->td_started = 0;
    net->td_delta = 0;
    net->stepped = net->unlearned = 0;
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

/* dl_dh of columns [c0, c1), a pass per output (so that each vectorises across columns). */
static void ccn__dl_dh(ccn_net *net, const ccn_real *dl_dy, int c0, int c1) {
    const ccn_real *CCN__RESTRICT wout = net->theta + net->readout, *CCN__RESTRICT scale = net->hscale;
    ccn_real *CCN__RESTRICT g = net->dl_dh;
    int i, r;
    for (i = c0; i < c1; ++i) g[i] = 0;
    for (r = 0; r < net->o; ++r, wout += net->n)
        for (i = c0; i < c1; ++i) g[i] += dl_dy[r] * wout[i];
    if (net->feat_norm)
        for (i = c0; i < c1; ++i) g[i] *= scale[i];
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

static ccn_result ccn__api_accumulate_gradient(ccn_net *net, const ccn_real *dl_dy, ccn_real *grad) {
    if (!net || !dl_dy) return CCN_ERR_NULL_ARGUMENT;
    if (net->cfg.method == CCN_FORWARD) return CCN_ERR_NO_GRADIENT;
    if (!net->stepped) return CCN_ERR_NO_STEP;
    if (!ccn__all_finite(dl_dy, (size_t)net->o)) return CCN_ERR_NOT_FINITE;
    ccn__gradient(net, dl_dy, grad ? grad : net->grad);
    return CCN_OK;
}

static ccn_result ccn__api_accumulate_state_gradient(ccn_net *net, const ccn_real *dl_dh, ccn_real *grad) {
    if (!net || !dl_dh) return CCN_ERR_NULL_ARGUMENT;
    if (net->cfg.method == CCN_FORWARD) return CCN_ERR_NO_GRADIENT;
    if (!net->stepped) return CCN_ERR_NO_STEP;
    if (!ccn__all_finite(dl_dh, (size_t)net->n)) return CCN_ERR_NOT_FINITE;
    ccn__state_gradient(net, dl_dh, grad ? grad : net->grad);
    return CCN_OK;
}

/* ============================================================================================
   8. Optimisers: theta[k] += alpha * rule(u), u = coef * src[j], over a run of parameters. Each
   rule is one inline function, used both to apply an update and (refuse_nonfinite) to check,
   before anything is written, that every value it would write is finite. The bounds on an update
   (clip_norm, obgd_kappa) need the direction's norms before anything moves: a measuring pass of
   the same walk sums them first, as the check does (ccn__update).
   ============================================================================================ */

/* RMSProp and Adam saturate the direction's entries at +-U before their moments take them:
   U = 2^50 in float, 2^450 in double. So a finite update never makes a moment infinite: with
   |s| <= U, s s rounds to at most V = U^2 (a power of 2: rounding is monotone), and with
   0 <= beta < 1 and c = fl(1 - beta) <= 1, fl(beta v) <= v and fl(c s s) <= V, so the blend is at
   most v + V, which for any finite v rounds to a finite value: V (2^100; 2^900 in double) is
   below half an ulp of the largest finite real (2^103; 2^970). Adam's m likewise (|m| + U).
   Moments that start below V stay within a few ulps of it (for beta >= 1/2, c = 1 - beta exactly
   and the blend of two values <= V is <= V; below 1/2 it contracts by beta), so Adam's v c2,
   c2 = 1 / (1 - beta2^t) <= 2^24 in float (beta2 is at most 1 - 2^-24, CCN__BETA_MAX;
   2^53 in double), and m c1 stay finite too. The entry itself saturates, not only its square:
   the rules are invariant to the scale of u, so an entry past U still moves its parameter about
   as far as the exact rule would (alpha / sqrt(1 - beta) where it dominates v), where a square
   saturated alone would leave alpha u / sqrt(V), without bound. A NaN stays a NaN
   (refuse_nonfinite sees it). U lies far past any direction of a run that has not already blown
   up, so ordinary runs keep their bits. The saturation is |u| through a min and u's sign back:
   a two-sided clamp of selects compiles (gcc, AVX-512) to mask shuffling through integer
   registers, which stalls the loop. */
#ifdef CCN_DOUBLE
#define CCN__P50 1125899906842624.0 /* 2^50 */
#define CCN__U_MAX (CCN__P50 * CCN__P50 * CCN__P50 * CCN__P50 * CCN__P50 * CCN__P50 * CCN__P50 * CCN__P50 * CCN__P50)
#define CCN__FABS(x) fabs(x)
#define CCN__COPYSIGN(x, y) copysign(x, y)
#else
#define CCN__U_MAX 1125899906842624.0f
#define CCN__FABS(x) fabsf(x)
#define CCN__COPYSIGN(x, y) copysignf(x, y)
#endif

/* u with its magnitude at most CCN__U_MAX; a NaN passes through (the comparison is false). */
CCN__INLINE ccn_real ccn__sat(ccn_real u) {
    ccn_real a = CCN__FABS(u);
    a = CCN__U_MAX < a ? CCN__U_MAX : a;
    return CCN__COPYSIGN(a, u);
}

CCN__INLINE ccn_real ccn__rmsprop(ccn_real th, ccn_real *v, ccn_real u, ccn_real alpha, ccn_real beta, ccn_real eps) {
    ccn_real s = ccn__sat(u);
    *v = beta * *v + (CCN_R(1) - beta) * s * s;
    return th + alpha * s / (CCN__SQRT(*v) + eps);
}

CCN__INLINE ccn_real ccn__adam(ccn_real th, ccn_real *m, ccn_real *v, ccn_real u, ccn_real alpha, ccn_real b1,
                               ccn_real b2, ccn_real c1, ccn_real c2, ccn_real eps) {
    ccn_real s = ccn__sat(u);
    *m = b1 * *m + (CCN_R(1) - b1) * s;
    *v = b2 * *v + (CCN_R(1) - b2) * s * s;
    return th + alpha * (*m * c1) / (CCN__SQRT(*v * c2) + eps);
}

static void ccn__opt_of(const ccn_net *net, ccn_real alpha, ccn__opt *o) {
    o->alpha = alpha;
    o->beta = (ccn_real)net->cfg.rms_beta;
    o->b1 = (ccn_real)net->cfg.adam_beta1;
    o->b2 = (ccn_real)net->cfg.adam_beta2;
    o->c1 = CCN_R(1) / (CCN_R(1) - net->adam_b1t);
    o->c2 = CCN_R(1) / (CCN_R(1) - net->adam_b2t);
    o->eps = (ccn_real)net->cfg.opt_epsilon;
}

/* The new value of one parameter th along u under optimiser opt (its moments in *m and *v). */
CCN__INLINE ccn_real ccn__rule(const int opt, const ccn__opt *o, ccn_real th, ccn_real *m, ccn_real *v, ccn_real u) {
    if (opt == CCN_SGD) return th + o->alpha * u;
    if (opt == CCN_RMSPROP) return ccn__rmsprop(th, v, u, o->alpha, o->beta, o->eps);
    return ccn__adam(th, m, v, u, o->alpha, o->b1, o->b2, o->c1, o->c2, o->eps);
}

/* Applies the update to parameters [k0, k0 + count), or, with check non-NULL, writes nothing and
   adds to check->check a sum that is 0 when every value the update would write is finite (x - x
   is 0 for a finite x, NaN otherwise). Two loops: in one, gcc if-converts the check's sum into
   the applying loop, which then runs a chain of scalar additions. */
CCN__INLINE void ccn__apply_rule(ccn_net *net, size_t k0, size_t count, const ccn_real *CCN__RESTRICT src,
                                 ccn_real coef, const ccn__opt *o, ccn__sums *check, const int opt) {
    ccn_real *CCN__RESTRICT th = net->theta + k0, bad = 0;
    ccn_real *CCN__RESTRICT m = opt == CCN_ADAM ? net->opt_m + k0 : NULL;
    ccn_real *CCN__RESTRICT v = opt != CCN_SGD ? net->opt_v + k0 : NULL;
    size_t j;
    if (check) {
        for (j = 0; j < count; ++j) {
            ccn_real mj = opt == CCN_ADAM ? m[j] : 0, vj = opt != CCN_SGD ? v[j] : 0;
            ccn_real t = ccn__rule(opt, o, th[j], &mj, &vj, coef * src[j]);
            bad += (t - t) + (mj - mj) + (vj - vj);
        }
        check->check += bad;
        return;
    }
    for (j = 0; j < count; ++j) {
        ccn_real mj = opt == CCN_ADAM ? m[j] : 0, vj = opt != CCN_SGD ? v[j] : 0;
        th[j] = ccn__rule(opt, o, th[j], &mj, &vj, coef * src[j]);
        if (opt == CCN_ADAM) m[j] = mj;
        if (opt != CCN_SGD) v[j] = vj;
    }
}

/* The direction's sums over one run, u = coef * src[j] as the rules take it, in four partial
   sums each so that the loop does not wait on one chain of additions. */
static void ccn__norms(const ccn_real *CCN__RESTRICT src, size_t count, ccn_real coef, ccn__sums *s) {
    double sq[4] = {0, 0, 0, 0}, l1[4] = {0, 0, 0, 0}, sc = s->scale;
    size_t j, q;
    for (j = 0; j + 4 <= count; j += 4)
        for (q = 0; q < 4; ++q) {
            double u = (double)(coef * src[j + q]);
            sq[q] += (sc * u) * (sc * u);
            l1[q] += u < 0 ? -u : u;
        }
    for (q = 0; j < count; ++j, ++q) {
        double u = (double)(coef * src[j]);
        sq[q] += (sc * u) * (sc * u);
        l1[q] += u < 0 ? -u : u;
    }
    s->sq += (sq[0] + sq[1]) + (sq[2] + sq[3]);
    s->l1 += (l1[0] + l1[1]) + (l1[2] + l1[3]);
}

static void ccn__apply(ccn_net *net, size_t k0, size_t count, const ccn_real *CCN__RESTRICT src, ccn_real coef,
                       const ccn__opt *o, ccn__sums *check) {
    if (check && check->norms) {
        ccn__norms(src, count, coef, check);
        return;
    }
    switch (net->cfg.optimizer) {
    case CCN_SGD: ccn__apply_rule(net, k0, count, src, coef, o, check, CCN_SGD); break;
    case CCN_RMSPROP: ccn__apply_rule(net, k0, count, src, coef, o, check, CCN_RMSPROP); break;
    default: ccn__apply_rule(net, k0, count, src, coef, o, check, CCN_ADAM); break;
    }
}

/* One pass of an update over every learning parameter (see ccn__update) with step size alpha:
   applied, or with check non-NULL only measured. With ride (LEARN), the columns' part rides on
   the trace pass instead, and col_src, col_coef are not read. */
static void ccn__update_pass(ccn_net *net, const ccn_real *col_src, const ccn_real *col_coef,
                             const ccn_real *out_coef, ccn_real coef, ccn_real alpha, ccn__ride *ride,
                             ccn__sums *check) {
    size_t n = (size_t)net->n, p0, p1;
    int r, c0, c1, n_act = net->stage_start[net->stage + 1];
    ccn_real one = 1;
    ccn__opt o, o_out;
    ccn__job job;
    ccn__opt_of(net, alpha, &o);
    o_out = o;
    if (net->cfg.scale_readout_step) o_out.alpha = alpha / (ccn_real)n_act;
    ccn__learning_range(net, &c0, &c1, &p0, &p1);
    if (ride) {
        ride->opt = &o;
        ride->coef = coef;
        ccn__trace_pass(net, ride);
    } else {
        job.c0 = c0;
        job.c1 = c1;
        job.src = col_src;
        job.col_coef = col_coef;
        job.coef = coef;
        job.opt = &o;
        job.check = check;
        ccn__run(net, &job, CCN__PHASE_UPDATE);
    }
    if (!out_coef && net->o == 1 && (size_t)n_act == n && !(check && check->norms)) {
        /* one output, every column active: its row and bias are one run of the direction, so
           one call (the rules are elementwise: the same bits; a check's sum of zeros and NaNs
           does not depend on how it is grouped, a measuring pass's norms do) */
        ccn__apply(net, net->readout, n + 1, col_src + net->readout, coef, &o_out, check);
        return;
    }
    for (r = 0; r < net->o; ++r) {
        size_t row = net->readout + (size_t)r * n, bias = net->readout + (size_t)net->o * n + (size_t)r;
        if (out_coef) {
            ccn__apply(net, row, (size_t)n_act, net->hn, coef * out_coef[r], &o_out, check);
            ccn__apply(net, bias, 1, &one, coef * out_coef[r], &o_out, check);
        } else {
            ccn__apply(net, row, (size_t)n_act, col_src + row, coef, &o_out, check);
            ccn__apply(net, bias, 1, col_src + bias, coef, &o_out, check);
        }
    }
}

/* An update is measured before it is applied (ccn_learn_step then takes two passes, not one). */
static int ccn__measured(const ccn_net *net) {
    return net->cfg.refuse_nonfinite || net->cfg.clip_norm > 0.0 || net->cfg.obgd_kappa > 0.0;
}

/* The bounds of an update along coef x direction (NUMERIC HEALTH), from a measuring pass over the
   direction with coef left out (its sums: sq, l1), in double, each result rounded once:
     clip_norm   coef *= r where r = clip_norm / (|coef| sqrt(sq)) is below 1
     obgd_kappa  alpha /= M where M = alpha kappa max(|coef|, 1) l1 is above 1 (TD, where coef
                 is delta and the direction E: ObGD, Elsayed, Vasan and Mahmood 2024)
   A NaN or infinite entry (a non-finite sq) bounds nothing. Squares whose sum overflows a double
   (entries near 2^512 and past: double builds only) are summed again at 2^-600, which keeps
   every square that matters and the norm's ratio to clip_norm. */
static void ccn__bound(ccn_net *net, const ccn_real *col_src, const ccn_real *col_coef, const ccn_real *out_coef,
                       ccn_real *coef, ccn_real *alpha) {
    ccn__sums s;
    double c = (double)*coef, ac = c < 0 ? -c : c;
    s.norms = 1;
    s.check = 0;
    s.sq = s.l1 = 0;
    s.scale = 1;
    ccn__update_pass(net, col_src, col_coef, out_coef, CCN_R(1), *alpha, NULL, &s);
    if (s.sq == s.sq && !(s.sq - s.sq == 0)) { /* infinite */
        int k;
        s.sq = s.l1 = 0;
        for (k = 0; k < 12; ++k) s.scale *= 1.0 / 1125899906842624.0; /* 2^-600 */
        ccn__update_pass(net, col_src, col_coef, out_coef, CCN_R(1), *alpha, NULL, &s);
    }
    if (net->cfg.clip_norm > 0.0 && s.sq - s.sq == 0) {
        double r = net->cfg.clip_norm * s.scale / sqrt(s.sq) / ac;
        if (r < 1.0) *coef = (ccn_real)(c * r);
    }
    if (net->cfg.obgd_kappa > 0.0) {
        double M = (double)*alpha * net->cfg.obgd_kappa * (ac > 1.0 ? ac : 1.0) * s.l1;
        if (M > 1.0) *alpha = (ccn_real)((double)*alpha / M);
    }
}

/* One update of every learning parameter along coef x direction, where the direction of a
   column parameter is col_src[k] scaled by col_coef[i] (NULL: 1), and that of the readout row r
   is h^ scaled by out_coef[r] (its bias: out_coef[r]). With ride, the columns' part rides on the
   trace pass (which must not have run yet this step). Measured first (never with ride): the
   bounds scale coef or alpha (ccn__bound); with refuse_nonfinite a check of the bounded update,
   and CCN_ERR_DIVERGED leaves everything (Adam's count included) as it was. */
static ccn_result ccn__update(ccn_net *net, const ccn_real *col_src, const ccn_real *col_coef,
                              const ccn_real *out_coef, ccn_real coef, ccn__ride *ride) {
    ccn_real b1t = net->adam_b1t, b2t = net->adam_b2t, alpha = net->alpha;
    if (net->cfg.clip_norm > 0.0 || net->cfg.obgd_kappa > 0.0) {
        CCN_ASSERT(!ride);
        ccn__bound(net, col_src, col_coef, out_coef, &coef, &alpha);
    }
    net->adam_b1t *= (ccn_real)net->cfg.adam_beta1;
    net->adam_b2t *= (ccn_real)net->cfg.adam_beta2;
    if (net->cfg.refuse_nonfinite) {
        ccn__sums check;
        CCN_ASSERT(!ride);
        check.norms = 0;
        check.check = 0;
        check.sq = check.l1 = 0;
        check.scale = 1;
        ccn__update_pass(net, col_src, col_coef, out_coef, coef, alpha, NULL, &check);
        if (!(check.check == 0)) {
            net->adam_b1t = b1t;
            net->adam_b2t = b2t;
            return CCN_ERR_DIVERGED;
        }
    }
    ++net->opt_steps;
    ccn__update_pass(net, col_src, col_coef, out_coef, coef, alpha, ride, NULL);
    net->unlearned = 0;
    return CCN_OK;
}

/* ============================================================================================
   9. Learners: supervised regression and TD(lambda).
   ============================================================================================ */

static ccn_result ccn__api_learn_with_error(ccn_net *net, const ccn_real *dl_dy) {
    if (!net || !dl_dy) return CCN_ERR_NULL_ARGUMENT;
    if (net->cfg.method == CCN_FORWARD) return CCN_ERR_NO_GRADIENT;
    if (!net->unlearned) return CCN_ERR_NO_STEP; /* before any step, or a second update from its traces */
    if (!ccn__all_finite(dl_dy, (size_t)net->o) || !ccn__all_finite(net->y, (size_t)net->o)) return CCN_ERR_NOT_FINITE;
    if (net->eh) {
        /* ColoR: descend along -dL/dh_i e_theta without materialising the gradient */
        ccn__dl_dh(net, dl_dy, net->stage_start[net->stage], net->stage_start[net->stage + 1]);
        return ccn__update(net, net->eh, net->dl_dh, dl_dy, CCN_R(-1), NULL);
    }
    /* exact RTRL: the gradient is materialised in a scratch row of its own */
    memset(net->work, 0, net->p * sizeof(ccn_real));
    ccn__gradient(net, dl_dy, net->work);
    return ccn__update(net, net->work, NULL, NULL, CCN_R(-1), NULL);
}

/* dL/dy = y - target into net->err; 0 if an entry is NaN or infinite. */
static int ccn__error(ccn_net *net, const ccn_real *target) {
    int r;
    for (r = 0; r < net->o; ++r) net->err[r] = net->y[r] - target[r];
    return ccn__all_finite(net->err, (size_t)net->o);
}

static ccn_result ccn__api_learn(ccn_net *net, const ccn_real *target) {
    if (!net || !target) return CCN_ERR_NULL_ARGUMENT;
    ccn__error(net, target);
    return ccn__api_learn_with_error(net, net->err); /* a NaN or infinite target or output: NOT_FINITE */
}

/* With ColoR, the update rides on the trace pass (section 4), unless it is to be measured before
   anything is written (refuse_nonfinite, the bounds). */
static int ccn__learn_rides(const ccn_net *net) { return net->eh && !ccn__measured(net); }

/* ccn_learn_step's work after a step taken without its trace pass (ccn__learn_rides). */
static ccn_result ccn__learn_after(ccn_net *net, const ccn_real *target) {
    ccn__ride ride = {CCN__RIDE_LEARN, 0, 0, NULL};
    if (!ccn__error(net, target)) { /* as ccn_step then a refused ccn_learn */
        ride.ride = CCN__RIDE_NONE;
        ccn__trace_pass(net, &ride);
        return CCN_ERR_NOT_FINITE;
    }
    ccn__dl_dh(net, net->err, net->stage_start[net->stage], net->stage_start[net->stage + 1]);
    return ccn__update(net, NULL, NULL, net->err, CCN_R(-1), &ride);
}

/* ccn_learn_step on an x already checked (finite). */
static ccn_result ccn__learn_step_run(ccn_net *net, const ccn_real *x, const ccn_real *target, ccn_real *y) {
    if (!ccn__learn_rides(net)) {
        ccn__step(net, x, y, 1);
        return ccn__api_learn(net, target);
    }
    ccn__step(net, x, y, 0);
    return ccn__learn_after(net, target);
}

static ccn_result ccn__api_learn_step(ccn_net *net, const ccn_real *x, const ccn_real *target, ccn_real *y) {
    if (!net || !x || !target) return CCN_ERR_NULL_ARGUMENT;
    if (!ccn__all_finite(x, (size_t)net->m)) return CCN_ERR_NOT_FINITE;
    return ccn__learn_step_run(net, x, target, y);
}

/* What ccn_td_step refuses before anything changes (x not NULL). */
static ccn_result ccn__td_check(const ccn_net *net, const ccn_real *x, ccn_real cumulant, ccn_real gamma) {
    if (net->cfg.method == CCN_FORWARD) return CCN_ERR_NO_GRADIENT;
    if (!net->elig) return CCN_ERR_BAD_LEARNER;
    if (!(cumulant - cumulant == 0) || !ccn__all_finite(x, (size_t)net->m)) return CCN_ERR_NOT_FINITE;
    if (!(gamma >= 0 && gamma <= 1)) return CCN_ERR_BAD_GAMMA;
    return CCN_OK;
}

/* TD's work before the step: E <- gamma_t lambda E + d yhat_t / d theta, with step t's traces
   (with ColoR the columns' part is set to ride on the trace pass after the step). */
static void ccn__td_before(ccn_net *net, ccn__ride *ride) {
    ride->ride = CCN__RIDE_NONE;
    ride->decay = ride->coef = 0;
    ride->opt = NULL;
    if (net->td_started) {
        ccn_real decay = net->td_gamma * (ccn_real)net->cfg.td_lambda, one = 1;
        size_t p0, p1, n = (size_t)net->n, k, ro = net->readout;
        int c0, c1, n_act = net->stage_start[net->stage + 1];
        ccn__learning_range(net, &c0, &c1, &p0, &p1);
        for (k = 0; k < (size_t)n_act; ++k) net->elig[ro + k] = decay * net->elig[ro + k] + net->hn[k];
        net->elig[ro + n] = decay * net->elig[ro + n] + one;
        ccn__dl_dh(net, &one, c0, c1); /* dyhat_t/dh_i */
        if (net->eh) { /* ColoR: the column part rides on the trace pass of the step */
            ride->ride = CCN__RIDE_ELIG;
            ride->decay = decay;
        } else {
            for (k = p0; k < p1; ++k) net->elig[k] *= decay;
            ccn__state_gradient(net, net->dl_dh, net->elig);
        }
    }
}

/* TD's work after the step taken without its trace pass: the trace pass with E riding, the TD
   error of the previous prediction and the update along E. */
static ccn_result ccn__td_after(ccn_net *net, ccn_real cumulant, ccn_real gamma, ccn_real previous,
                                const ccn__ride *ride, ccn_real *prediction) {
    ccn_result result = CCN_OK;
    if (net->eh) ccn__trace_pass(net, ride);
    if (net->td_started) {
        net->td_delta = cumulant + gamma * net->y[0] - previous;
        result = ccn__update(net, net->elig, NULL, NULL, net->td_delta, NULL);
    }
    net->td_gamma = gamma;
    net->td_started = 1;
    net->unlearned = 0; /* this step's update was TD's, whether or not it was refused */
    if (prediction) *prediction = net->y[0];
    return result;
}

/* ccn_td_step on arguments already checked (ccn__td_check). */
static ccn_result ccn__td_step_run(ccn_net *net, const ccn_real *x, ccn_real cumulant, ccn_real gamma,
                                   ccn_real *prediction) {
    ccn_real previous = net->y[0];
    ccn__ride ride;
    ccn__td_before(net, &ride);
    ccn__step(net, x, NULL, 0);
    return ccn__td_after(net, cumulant, gamma, previous, &ride, prediction);
}

static ccn_result ccn__api_td_step(ccn_net *net, const ccn_real *x, ccn_real cumulant, ccn_real gamma,
                                   ccn_real *prediction) {
    ccn_result r;
    if (!net || !x) return CCN_ERR_NULL_ARGUMENT;
    if ((r = ccn__td_check(net, x, cumulant, gamma)) != CCN_OK) return r;
    return ccn__td_step_run(net, x, cumulant, gamma, prediction);
}

/* The sequence calls: the per-step calls in a loop, in the net's floating-point mode for the
   whole run (set once, not per step). What a step's arguments show is checked before it runs,
   so that the failing step changes nothing; ccn_learn_step itself runs its step before it looks
   at the target, and on a CCN_FORWARD net before it refuses to learn. */
static ccn_result ccn__api_steps(ccn_net *net, size_t n, const ccn_real *x, ccn_real *y, size_t *done) {
    ccn_result result = CCN_OK;
    size_t t = 0;
    if (done) *done = 0;
    if (!net || !x) return CCN_ERR_NULL_ARGUMENT;
    for (; t < n; ++t, x += net->m, y = y ? y + net->o : NULL) {
        result = ccn__api_step(net, x, y);
        if (result != CCN_OK) break;
    }
    if (done) *done = t;
    return result;
}

static ccn_result ccn__api_learn_steps(ccn_net *net, size_t n, const ccn_real *x, const ccn_real *target, ccn_real *y,
                                       size_t *done) {
    ccn_result result = CCN_OK;
    size_t t = 0;
    if (done) *done = 0;
    if (!net || !x || !target) return CCN_ERR_NULL_ARGUMENT;
    if (n && net->cfg.method == CCN_FORWARD) return CCN_ERR_NO_GRADIENT;
    for (; t < n; ++t, x += net->m, target += net->o, y = y ? y + net->o : NULL) {
        if (!ccn__all_finite(x, (size_t)net->m) || !ccn__all_finite(target, (size_t)net->o)) {
            result = CCN_ERR_NOT_FINITE;
            break;
        }
        result = ccn__api_learn_step(net, x, target, y);
        if (result != CCN_OK) break;
    }
    if (done) *done = t;
    return result;
}

static ccn_result ccn__api_td_steps(ccn_net *net, size_t n, const ccn_real *x, const ccn_real *cumulant,
                                    const ccn_real *gamma, ccn_real *prediction, size_t *done) {
    ccn_result result = CCN_OK;
    size_t t = 0;
    if (done) *done = 0;
    if (!net || !x || !cumulant || !gamma) return CCN_ERR_NULL_ARGUMENT;
    for (; t < n; ++t, x += net->m, prediction = prediction ? prediction + 1 : NULL) {
        result = ccn__api_td_step(net, x, cumulant[t], gamma[t], prediction); /* it checks before it steps */
        if (result != CCN_OK) break;
    }
    if (done) *done = t;
    return result;
}

CCN_API ccn_real ccn_td_error(const ccn_net *net) { return net ? net->td_delta : 0; }
CCN_API const ccn_real *ccn_eligibility(const ccn_net *net) { return net ? net->elig : NULL; }

CCN_API ccn_result ccn_set_step_size(ccn_net *net, double step_size) {
    if (!net) return CCN_ERR_NULL_ARGUMENT;
    if (!ccn__finite_in(step_size, 0.0, CCN__SETTING_MAX)) return CCN_ERR_BAD_STEP_SIZE;
    net->alpha = (ccn_real)step_size;
    return CCN_OK;
}

/* The calls that compute, each in the net's floating-point mode (section 6). */
#define CCN__IN_MODE(call)                                                                          \
    {                                                                                               \
        unsigned csr = ccn__mode_enter(net);                                                        \
        ccn_result result = call;                                                                   \
        ccn__mode_leave(net, csr);                                                                  \
        return result;                                                                              \
    }
CCN_API ccn_result ccn_step(ccn_net *net, const ccn_real *x, ccn_real *y) CCN__IN_MODE(ccn__api_step(net, x, y))
CCN_API ccn_result ccn_accumulate_gradient(ccn_net *net, const ccn_real *dl_dy, ccn_real *grad)
    CCN__IN_MODE(ccn__api_accumulate_gradient(net, dl_dy, grad))
CCN_API ccn_result ccn_accumulate_state_gradient(ccn_net *net, const ccn_real *dl_dh, ccn_real *grad)
    CCN__IN_MODE(ccn__api_accumulate_state_gradient(net, dl_dh, grad))
CCN_API ccn_result ccn_learn_with_error(ccn_net *net, const ccn_real *dl_dy)
    CCN__IN_MODE(ccn__api_learn_with_error(net, dl_dy))
CCN_API ccn_result ccn_learn(ccn_net *net, const ccn_real *target) CCN__IN_MODE(ccn__api_learn(net, target))
CCN_API ccn_result ccn_learn_step(ccn_net *net, const ccn_real *x, const ccn_real *target, ccn_real *y)
    CCN__IN_MODE(ccn__api_learn_step(net, x, target, y))
CCN_API ccn_result ccn_td_step(ccn_net *net, const ccn_real *x, ccn_real cumulant, ccn_real gamma,
                               ccn_real *prediction) CCN__IN_MODE(ccn__api_td_step(net, x, cumulant, gamma, prediction))
CCN_API ccn_result ccn_steps(ccn_net *net, size_t n, const ccn_real *x, ccn_real *y, size_t *done)
    CCN__IN_MODE(ccn__api_steps(net, n, x, y, done))
CCN_API ccn_result ccn_learn_steps(ccn_net *net, size_t n, const ccn_real *x, const ccn_real *target,
                                   ccn_real *y, size_t *done) CCN__IN_MODE(ccn__api_learn_steps(net, n, x, target, y, done))
CCN_API ccn_result ccn_td_steps(ccn_net *net, size_t n, const ccn_real *x, const ccn_real *cumulant,
                                const ccn_real *gamma, ccn_real *prediction, size_t *done)
    CCN__IN_MODE(ccn__api_td_steps(net, n, x, cumulant, gamma, prediction, done))

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
    if (net->S) { /* the frozen stage's sensitivities are never read again: clear both buffers,
                     so that S alone (what a file keeps) is the whole of RTRL's state */
        size_t rows = (size_t)net->n * (size_t)ccn__net_kind(net)->states * net->p;
        memset(net->S, 0, rows * sizeof(ccn_real));
        memset(net->S_new, 0, rows * sizeof(ccn_real));
    }
    ++net->stage;
}

CCN_API ccn_result ccn_next_stage(ccn_net *net) {
    if (!net) return CCN_ERR_NULL_ARGUMENT;
    if (net->stage + 1 >= net->n_stages) return CCN_ERR_NO_MORE_STAGES;
    ccn__start_stage(net);
    return CCN_OK;
}

CCN_API int ccn_stage(const ccn_net *net) { return net ? net->stage : 0; }
CCN_API int ccn_stage_count(const ccn_net *net) { return net ? net->n_stages : 0; }
CCN_API int ccn_active_columns(const ccn_net *net) { return net ? net->stage_start[net->stage + 1] : 0; }

/* ============================================================================================
   11. Batches: many nets of one shape, stepped together. The generic path is each net's own
   call in turn (ccn__batch_calls). Where the cells run in vector lanes (AVX-512 builds), a
   specialisation: each net runs its own pieces of the step (section 6) and its own learner,
   and between a stage's front and back the stage's columns of every net go through the kind's
   cells in one call, gathered side by side into the batch's group: a net of count x width
   columns that exists only for its cells. A stage of a few columns fills one vector's lanes
   partly; the group fills them. A cell is a function of its own column's entries
   (pre-activations, u, h', c', the feedforward flag) and writes only its own (h, c, B, M), so a
   column's cell in the group is its cell alone, bit for bit, whatever its neighbours (tested
   against nets stepped alone, both paths in every build: batch_is_nets_alone).
   ============================================================================================ */

struct ccn_batch {
    ccn_allocator alloc;   /* the nets' and the batch's (a zeroed one: CCN_MALLOC/CCN_FREE) */
    void *block;
    size_t bytes;
    int count, width;      /* nets; columns of the widest stage (the first)                 */
    ccn_net **nets;
    ccn_result *results;   /* each net's result in the last call                            */
    int *traces;           /* the call's per-net step: with its trace pass or without       */
    ccn__ride *rides;      /* TD: what rides on each net's trace pass                        */
    ccn_real *previous;    /* TD: each net's prediction before the step                      */
    ccn_net group;         /* the cells' net: n, cfg.feedforward and the cells' arrays       */
};

/* The fields a batch's nets agree in: everything that fixes where a step's work goes. */
#define CCN__BATCH_SHAPE(X)                                                                        \
    X(n_inputs) X(n_outputs) X(n_columns) X(kind) X(method) X(feature_layers) X(feature_width)     \
    X(feedforward) X(columns_per_stage) X(steps_per_stage) X(learner)

static int ccn__same_shape(const ccn_config *a, const ccn_config *b) {
#define CCN__SAME(field) if (a->field != b->field) return 0;
    CCN__BATCH_SHAPE(CCN__SAME)
#undef CCN__SAME
    return 1;
}

static void *ccn__default_alloc(size_t size, void *user) { return CCN_MALLOC(size, user); }
static void ccn__default_free(void *p, size_t size, void *user) {
    (void)size;
    CCN_FREE(p, user);
}

/* The group's arrays: the cells' inputs and outputs, gate-major over count x width columns. */
#define CCN__GROUP_ARRAYS(X)                                                                       \
    X(pre, G) X(u, G) X(Bh, G) X(Bc, two * G) X(h_prev, 1) X(c_prev, two) X(h, 1) X(c, two)          \
    X(Mhh, 1) X(Mhc, two) X(Mch, two) X(Mcc, two)

CCN_API ccn_result ccn_batch_create(const ccn_config *cfgs, int count, const ccn_allocator *alloc, ccn_batch **out) {
    ccn_config first, c;
    ccn_allocator a;
    ccn_batch *b;
    ccn_result r;
    unsigned char *block, *base = NULL;
    size_t bytes, cols, at, G, two;
    int i;
    if (!out) return CCN_ERR_NULL_ARGUMENT;
    *out = NULL;
    if (!cfgs || (alloc && (!alloc->alloc || !alloc->free))) return CCN_ERR_NULL_ARGUMENT;
    if (count < 1 || count > CCN_MAX_DIM) return CCN_ERR_BAD_BATCH;
    if ((r = ccn_config_resolve(&cfgs[0], &first)) != CCN_OK) return r;
    for (i = 1; i < count; ++i) {
        if ((r = ccn_config_resolve(&cfgs[i], &c)) != CCN_OK) return r;
        if (!ccn__same_shape(&first, &c)) return CCN_ERR_BAD_BATCH;
    }
    G = (size_t)ccn__kind_of(first.kind)->gates;
    two = ccn__kind_of(first.kind)->states == 2;
    /* the block: the batch, then its arrays, each on a cache line; 0 rows: absent */
    if (!ccn__mul((size_t)count, (size_t)(first.columns_per_stage > 0 ? first.columns_per_stage : first.n_columns),
                  &cols) ||
        !ccn__mul(cols, (4 * G + 8) * sizeof(ccn_real), &bytes))
        return CCN_ERR_TOO_LARGE;
    at = (sizeof(ccn_batch) + CCN__ALIGN - 1) & ~(size_t)(CCN__ALIGN - 1);
    if (!ccn__add(bytes, at + (size_t)count * (sizeof(ccn_net *) + sizeof(ccn_result) + sizeof(int) +
                                                sizeof(ccn__ride) + sizeof(ccn_real)) + 20 * CCN__ALIGN, &bytes))
        return CCN_ERR_TOO_LARGE;
    if (alloc) a = *alloc;
    else a.alloc = ccn__default_alloc, a.free = ccn__default_free, a.user = NULL;
    if (!(block = ccn__alloc_block(&a, bytes, &base))) return CCN_ERR_OUT_OF_MEMORY;
    memset(block, 0, bytes);
    b = (ccn_batch *)(void *)base;
    b->alloc = a;
    b->block = block;
    b->bytes = bytes;
    b->count = count;
#define CCN__CARVE(field, type, n)                                                                 \
    b->field = (type *)(void *)(base + at);                                                        \
    at = (at + (n) * sizeof(type) + CCN__ALIGN - 1) & ~(size_t)(CCN__ALIGN - 1);
    CCN__CARVE(nets, ccn_net *, (size_t)count)
    CCN__CARVE(results, ccn_result, (size_t)count)
    CCN__CARVE(traces, int, (size_t)count)
    CCN__CARVE(rides, ccn__ride, (size_t)count)
    CCN__CARVE(previous, ccn_real, (size_t)count)
#define CCN__GROUP_CARVE(field, rows)                                                              \
    if ((rows) != 0) { CCN__CARVE(group.field, ccn_real, (rows) * cols) }
    CCN__GROUP_ARRAYS(CCN__GROUP_CARVE)
#undef CCN__GROUP_CARVE
#undef CCN__CARVE
    for (i = 0; i < count; ++i)
        if ((r = ccn_create(&cfgs[i], &a, &b->nets[i])) != CCN_OK) {
            ccn_batch_destroy(b);
            return r;
        }
    b->width = b->nets[0]->stage_start[1];
    b->group.cfg = b->nets[0]->cfg;
    *out = b;
    return CCN_OK;
}

CCN_API void ccn_batch_destroy(ccn_batch *batch) {
    int i;
    if (!batch) return;
    for (i = 0; i < batch->count; ++i) ccn_destroy(batch->nets[i]);
    batch->alloc.free(batch->block, batch->bytes, batch->alloc.user);
}

CCN_API int ccn_batch_count(const ccn_batch *batch) { return batch ? batch->count : 0; }

CCN_API ccn_net *ccn_batch_net(ccn_batch *batch, int i) {
    return batch && i >= 0 && i < batch->count ? batch->nets[i] : NULL;
}

CCN_API ccn_result ccn_batch_result(const ccn_batch *batch, int i) {
    if (!batch) return CCN_ERR_NULL_ARGUMENT;
    return i >= 0 && i < batch->count ? batch->results[i] : CCN_ERR_BAD_BATCH;
}

CCN_API ccn_result ccn_batch_set(ccn_batch *batch, int i, const ccn_net *net) {
    ccn_net *copy;
    ccn_result r;
    if (!batch || !net) return CCN_ERR_NULL_ARGUMENT;
    if (i < 0 || i >= batch->count || !ccn__same_shape(&net->cfg, &batch->nets[i]->cfg)) return CCN_ERR_BAD_BATCH;
    if ((r = ccn_copy(net, &batch->alloc, &copy)) != CCN_OK) return r;
    ccn_destroy(batch->nets[i]);
    batch->nets[i] = copy;
    return CCN_OK;
}

/* The group pays where the cells' loop runs in vector lanes, which gcc gives it only with
   AVX-512's masks (section 3: CCN__CELL_PAD_MIN); elsewhere it would be copies for nothing,
   and each net computes its own cells (bench/README.md has both measured). The tests turn it
   on in every build (ccn__test_group), so that each build checks its bits. */
#if defined(__AVX512F__)
#define CCN__GROUP_CELLS 1
#else
#define CCN__GROUP_CELLS 0
#endif
#ifdef CCN__TEST_GENERIC
static int ccn__test_group;
#define CCN__GROUPS (CCN__GROUP_CELLS || ccn__test_group)
#else
#define CCN__GROUPS CCN__GROUP_CELLS
#endif

/* Whether net i joins the group at stage k: it has started k and runs in the floating-point
   mode of the group's first net (a net in another mode computes its cells alone). */
static int ccn__joins(const ccn_batch *b, int i, int k, const ccn_net *lead) {
    return b->nets[i]->stage >= k && b->nets[i]->flush == lead->flush;
}

/* Stage k's cells of every net that has started it: through the group when two or more join. */
static void ccn__batch_cells(ccn_batch *b, int k) {
    const ccn_net *lead = NULL;
    ccn_net *g = &b->group;
    const ccn__kind *K = ccn__net_kind(b->nets[0]);
    int i, j, q, G = K->gates, two = K->states == 2, joined = 0;
    size_t c0 = (size_t)b->nets[0]->stage_start[k], d = (size_t)b->nets[0]->stage_start[k + 1] - c0, N, at, n;
    size_t row = d * sizeof(ccn_real);
    unsigned csr;
    for (i = 0; i < b->count; ++i)
        if (CCN__GROUPS && b->nets[i]->stage >= k) {
            if (!lead) lead = b->nets[i];
            joined += ccn__joins(b, i, k, lead);
        }
    for (i = 0; i < b->count; ++i) /* the nets that compute their cells alone */
        if (b->nets[i]->stage >= k && (joined < 2 || !ccn__joins(b, i, k, lead))) {
            ccn__job job;
            job.c0 = (int)c0;
            job.c1 = (int)(c0 + d);
            csr = ccn__mode_enter(b->nets[i]);
            ccn__run(b->nets[i], &job, CCN__PHASE_CELLS);
            ccn__mode_leave(b->nets[i], csr);
        }
    if (joined < 2) return;
    N = (size_t)joined * d;
    g->n = (int)N;
    for (i = 0, j = 0; i < b->count; ++i) {
        const ccn_net *net = b->nets[i];
        if (!ccn__joins(b, i, k, lead)) continue;
        at = (size_t)j++ * d, n = (size_t)net->n;
        for (q = 0; q < G; ++q) {
            memcpy(g->pre + (size_t)q * N + at, net->pre + (size_t)q * n + c0, row);
            memcpy(g->u + (size_t)q * N + at, net->u + (size_t)q * n + c0, row);
        }
        memcpy(g->h_prev + at, net->h_prev + c0, row);
        if (two) memcpy(g->c_prev + at, net->c_prev + c0, row);
    }
    csr = ccn__mode_enter(lead);
    K->cells(g, 0, (int)N);
    ccn__mode_leave(lead, csr);
    for (i = 0, j = 0; i < b->count; ++i) {
        ccn_net *net = b->nets[i];
        if (!ccn__joins(b, i, k, lead)) continue;
        at = (size_t)j++ * d, n = (size_t)net->n;
        memcpy(net->h + c0, g->h + at, row);
        memcpy(net->Mhh + c0, g->Mhh + at, row);
        for (q = 0; q < G; ++q) memcpy(net->Bh + (size_t)q * n + c0, g->Bh + (size_t)q * N + at, row);
        if (two) {
            memcpy(net->c + c0, g->c + at, row);
            memcpy(net->Mhc + c0, g->Mhc + at, row);
            memcpy(net->Mch + c0, g->Mch + at, row);
            memcpy(net->Mcc + c0, g->Mcc + at, row);
            for (q = 0; q < G; ++q) memcpy(net->Bc + (size_t)q * n + c0, g->Bc + (size_t)q * N + at, row);
        }
    }
}

/* One step of every net on its row of x, each with its trace pass when b->traces says so; each
   net's pieces in its own floating-point mode. */
static void ccn__batch_forward(ccn_batch *b, const ccn_real *x, ccn_real *y) {
    size_t m = (size_t)b->nets[0]->m, o = (size_t)b->nets[0]->o;
    int i, k, top = 0;
    unsigned csr;
    for (i = 0; i < b->count; ++i) {
        csr = ccn__mode_enter(b->nets[i]);
        ccn__step_begin(b->nets[i]);
        ccn__mode_leave(b->nets[i], csr);
        if (b->nets[i]->stage > top) top = b->nets[i]->stage;
    }
    for (k = 0; k <= top; ++k) {
        for (i = 0; i < b->count; ++i)
            if (b->nets[i]->stage >= k) {
                csr = ccn__mode_enter(b->nets[i]);
                ccn__stage_front(b->nets[i], k, x + (size_t)i * m);
                ccn__mode_leave(b->nets[i], csr);
            }
        ccn__batch_cells(b, k);
        for (i = 0; i < b->count; ++i)
            if (b->nets[i]->stage >= k) {
                csr = ccn__mode_enter(b->nets[i]);
                ccn__stage_back(b->nets[i], k);
                ccn__mode_leave(b->nets[i], csr);
            }
    }
    for (i = 0; i < b->count; ++i) {
        csr = ccn__mode_enter(b->nets[i]);
        ccn__step_end(b->nets[i], x + (size_t)i * m, y ? y + (size_t)i * o : NULL, b->traces[i]);
        ccn__mode_leave(b->nets[i], csr);
    }
}

/* A call refused on its arguments: every net's result, nothing changed. */
static ccn_result ccn__batch_refuse(ccn_batch *b, ccn_result r) {
    int i;
    for (i = 0; i < b->count; ++i) b->results[i] = r;
    return r;
}

/* Every row of x finite (what ccn_step checks). */
static ccn_result ccn__batch_inputs(ccn_batch *b, const ccn_real *x) {
    size_t m = (size_t)b->nets[0]->m;
    int i;
    for (i = 0; i < b->count; ++i)
        if (!ccn__all_finite(x + (size_t)i * m, m)) return ccn__batch_refuse(b, CCN_ERR_NOT_FINITE);
    return CCN_OK;
}

/* The first result that is not CCN_OK, in row order. */
static ccn_result ccn__batch_first(const ccn_batch *b) {
    int i;
    for (i = 0; i < b->count; ++i)
        if (b->results[i] != CCN_OK) return b->results[i];
    return CCN_OK;
}

enum { CCN__BATCH_STEP, CCN__BATCH_LEARN, CCN__BATCH_TD };

/* Whether the batch steps by pieces with the group of cells (else: ccn__batch_calls). */
static int ccn__batch_groups(const ccn_batch *b) { return CCN__GROUPS && b->count > 1; }

/* Without the group (CCN__GROUPS 0, or a batch of one net), the batch is each net's own call in
   turn, in its mode, on the rows the batch has checked: the pieces' interleaving would only add
   work there (each net's step visited once a piece). */
static ccn_result ccn__batch_calls(ccn_batch *b, int call, const ccn_real *x, const ccn_real *a, const ccn_real *g,
                                   ccn_real *out) {
    size_t m = (size_t)b->nets[0]->m, o = (size_t)b->nets[0]->o;
    int i;
    for (i = 0; i < b->count; ++i) {
        ccn_net *net = b->nets[i];
        const ccn_real *xi = x + (size_t)i * m;
        unsigned csr = ccn__mode_enter(net);
        if (call == CCN__BATCH_STEP) {
            ccn__step(net, xi, out ? out + (size_t)i * o : NULL, 1);
            b->results[i] = CCN_OK;
        } else
            b->results[i] = call == CCN__BATCH_LEARN
                                ? ccn__learn_step_run(net, xi, a + (size_t)i * o, out ? out + (size_t)i * o : NULL)
                                : ccn__td_step_run(net, xi, a[i], g[i], out ? out + i : NULL);
        ccn__mode_leave(net, csr);
    }
    return ccn__batch_first(b);
}

CCN_API ccn_result ccn_batch_step(ccn_batch *batch, const ccn_real *x, ccn_real *y) {
    int i;
    if (!batch || !x) return batch ? ccn__batch_refuse(batch, CCN_ERR_NULL_ARGUMENT) : CCN_ERR_NULL_ARGUMENT;
    if (ccn__batch_inputs(batch, x) != CCN_OK) return CCN_ERR_NOT_FINITE;
    if (!ccn__batch_groups(batch)) return ccn__batch_calls(batch, CCN__BATCH_STEP, x, NULL, NULL, y);
    for (i = 0; i < batch->count; ++i) batch->traces[i] = 1, batch->results[i] = CCN_OK;
    ccn__batch_forward(batch, x, y);
    return CCN_OK;
}

/* Each net as ccn_learn_step: a net whose update rides on its trace pass steps without it and
   learns after (ccn__learn_after), any other steps with it and learns as ccn_learn. */
CCN_API ccn_result ccn_batch_learn_step(ccn_batch *batch, const ccn_real *x, const ccn_real *target, ccn_real *y) {
    size_t o;
    int i;
    unsigned csr;
    if (!batch || !x || !target) return batch ? ccn__batch_refuse(batch, CCN_ERR_NULL_ARGUMENT) : CCN_ERR_NULL_ARGUMENT;
    if (batch->nets[0]->cfg.method == CCN_FORWARD) return ccn__batch_refuse(batch, CCN_ERR_NO_GRADIENT);
    if (ccn__batch_inputs(batch, x) != CCN_OK) return CCN_ERR_NOT_FINITE;
    if (!ccn__batch_groups(batch)) return ccn__batch_calls(batch, CCN__BATCH_LEARN, x, target, NULL, y);
    o = (size_t)batch->nets[0]->o;
    for (i = 0; i < batch->count; ++i) batch->traces[i] = !ccn__learn_rides(batch->nets[i]);
    ccn__batch_forward(batch, x, y);
    for (i = 0; i < batch->count; ++i) {
        ccn_net *net = batch->nets[i];
        csr = ccn__mode_enter(net);
        batch->results[i] = batch->traces[i] ? ccn__api_learn(net, target + (size_t)i * o)
                                             : ccn__learn_after(net, target + (size_t)i * o);
        ccn__mode_leave(net, csr);
    }
    return ccn__batch_first(batch);
}

CCN_API ccn_result ccn_batch_td_step(ccn_batch *batch, const ccn_real *x, const ccn_real *cumulant,
                                     const ccn_real *gamma, ccn_real *prediction) {
    size_t m;
    ccn_result r;
    int i;
    unsigned csr;
    if (!batch || !x || !cumulant || !gamma)
        return batch ? ccn__batch_refuse(batch, CCN_ERR_NULL_ARGUMENT) : CCN_ERR_NULL_ARGUMENT;
    m = (size_t)batch->nets[0]->m;
    for (i = 0; i < batch->count; ++i)
        if ((r = ccn__td_check(batch->nets[i], x + (size_t)i * m, cumulant[i], gamma[i])) != CCN_OK)
            return ccn__batch_refuse(batch, r);
    if (!ccn__batch_groups(batch)) return ccn__batch_calls(batch, CCN__BATCH_TD, x, cumulant, gamma, prediction);
    for (i = 0; i < batch->count; ++i) {
        ccn_net *net = batch->nets[i];
        batch->traces[i] = 0;
        batch->previous[i] = net->y[0];
        csr = ccn__mode_enter(net);
        ccn__td_before(net, &batch->rides[i]);
        ccn__mode_leave(net, csr);
    }
    ccn__batch_forward(batch, x, NULL);
    for (i = 0; i < batch->count; ++i) {
        ccn_net *net = batch->nets[i];
        csr = ccn__mode_enter(net);
        batch->results[i] = ccn__td_after(net, cumulant[i], gamma[i], batch->previous[i], &batch->rides[i],
                                          prediction ? prediction + i : NULL);
        ccn__mode_leave(net, csr);
    }
    return ccn__batch_first(batch);
}

/* ============================================================================================
   12. Numeric health
   ============================================================================================ */

CCN_API size_t ccn_nonfinite_count(const ccn_net *net) {
    ccn__dims D;
    size_t bad = 0;
    if (!net) return 0;
    ccn__dims_of(net, &D);
#define CCN__COUNT_LAYOUT(field, count)
#define CCN__COUNT_LINKS(field, count)
#define CCN__COUNT_SCRATCH(field, count)
#define CCN__COUNT_STATE(field, count) bad += ccn__count_nonfinite(net->field, count);
#define CCN__COUNT(field, type, count, role) CCN__COUNT_##role(field, count)
    CCN__ARRAYS(CCN__COUNT)
#undef CCN__COUNT
    return bad;
}

/* The largest |v[k]| and most, a NaN once one is met. */
static ccn_real ccn__max_abs(const ccn_real *v, size_t count, ccn_real most) {
    size_t k;
    for (k = 0; k < count; ++k) {
        ccn_real a = v[k] < 0 ? -v[k] : v[k];
        most = a > most || a != a ? a : most;
    }
    return most;
}

CCN_API ccn_real ccn_trace_max(const ccn_net *net) {
    ccn__dims D;
    ccn_real most = 0;
    if (!net) return 0;
    ccn__dims_of(net, &D);
    if (net->eh) most = ccn__max_abs(net->eh, net->p, most);
    if (net->ec) most = ccn__max_abs(net->ec, net->p, most);
    if (net->S) most = ccn__max_abs(net->S, D.rows, most);
    return most;
}

/* ============================================================================================
   13. Saving and loading (FILE FORMAT). One description of the file, ccn__xfer_head and
   ccn__xfer_body, serves both directions: a transfer writes the net's fields when saving and
   reads them into the net when loading. Each transfer takes the value's two ends, `from`
   (read when saving) and `to` (written when loading), and the descriptions take the net as a
   const src and a dst that is NULL when saving: so a save never writes to the net it was given
   (several threads may save one net at once: THREADS). The compiler holds it to that for the
   net's own fields, and for the arrays it points to wherever they pass through a const `from`.
   Integers go through shifts, so the bytes are little-endian on any host;
   a running CRC-32 covers every byte.
   ============================================================================================ */

#define CCN__FILE_VERSION 2u /* written; 1 (v0.4.0) is read too */
#define CCN__UNKNOWN_SIZE (~(uint64_t)0)

static const unsigned char ccn__magic[8] = {0x89, 'C', 'C', 'N', 0x0D, 0x0A, 0x1A, 0x0A};

/* The configuration, in file order: X(field, file type). */
#define CCN__CONFIG_FIELDS(X)                                                                   \
    X(n_inputs, i32) X(n_outputs, i32) X(n_columns, i32) X(kind, i32) X(method, i32)            \
    X(feature_layers, i32) X(feature_width, i32) X(feedforward, i32) X(links, f64)              \
    X(columns_per_stage, i32) X(steps_per_stage, i64) X(learner, i32) X(td_lambda, f64)         \
    X(optimizer, i32) X(step_size, f64) X(rms_beta, f64) X(adam_beta1, f64) X(adam_beta2, f64)  \
    X(opt_epsilon, f64) X(scale_readout_step, i32) X(input_norm_rate, f64)                      \
    X(feature_norm_rate, f64) X(norm_var_floor, f64) X(init_scale, f64) X(seed, u64)            \
    X(n_workers, i32) X(refuse_nonfinite, i32)
/* The configuration fields that version 2 added, after the generator: a version-1 file has none,
   and they load as 0 (off). */
#define CCN__CONFIG_FIELDS_2(X) X(clip_norm, f64) X(obgd_kappa, f64)
#define CCN__BYTES_i32 4
#define CCN__BYTES_i64 8
#define CCN__BYTES_u64 8
#define CCN__BYTES_f64 8
#define CCN__CONFIG_BYTE(field, t) +CCN__BYTES_##t
/* magic, version, real size, length, configuration, link and parameter counts, stage,
   flags, steps, updates, generator, (version 2) the fields it added, CRC */
#define CCN__HEAD_BYTES_1 (8 + 4 + 4 + 8 + (0 CCN__CONFIG_FIELDS(CCN__CONFIG_BYTE)) + 8 + 8 + 4 + 4 + 8 + 8 + 32 + 4)
#define CCN__HEAD_BYTES(version) (CCN__HEAD_BYTES_1 + ((version) >= 2 ? 0 CCN__CONFIG_FIELDS_2(CCN__CONFIG_BYTE) : 0))
#define CCN__SCALARS 5 /* alpha, Adam's beta1^t and beta2^t, TD's gamma and error */

typedef struct ccn__io {
    ccn_write_fn write; /* saving when set                                                     */
    ccn_read_fn read;
    void *user;
    int real_size;      /* of the file's reals                                                 */
    uint32_t version;   /* of the file format                                                  */
    ccn_result status;  /* the first error; after one, nothing more is read or written         */
    uint32_t crc;       /* running CRC-32 register (the CRC is its complement)                 */
    uint32_t table[256];
    unsigned char buf[256];
} ccn__io;

static void ccn__io_init(ccn__io *io, ccn_write_fn write, ccn_read_fn read, void *user, int real_size) {
    uint32_t k, c;
    int b;
    io->version = CCN__FILE_VERSION;
    io->write = write;
    io->read = read;
    io->user = user;
    io->real_size = real_size;
    io->status = CCN_OK;
    io->crc = 0xFFFFFFFFu;
    for (k = 0; k < 256; ++k) { /* CRC-32 (IEEE 802.3, zlib's), reflected polynomial 0xEDB88320 */
        c = k;
        for (b = 0; b < 8; ++b) c = c & 1u ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        io->table[k] = c;
    }
}

static void ccn__io_crc(ccn__io *io, const unsigned char *p, size_t len) {
    size_t k;
    for (k = 0; k < len; ++k) io->crc = io->table[(io->crc ^ p[k]) & 0xFFu] ^ (io->crc >> 8);
}

/* Moves len bytes between p and the file. A short read is CCN_ERR_TRUNCATED (p zeroed). */
static void ccn__io_bytes(ccn__io *io, unsigned char *p, size_t len) {
    if (io->status != CCN_OK) {
        if (!io->write) memset(p, 0, len);
        return;
    }
    if (io->write) {
        if (io->write(io->user, p, len) != len) io->status = CCN_ERR_IO;
    } else if (io->read(io->user, p, len) != len) {
        io->status = CCN_ERR_TRUNCATED;
        memset(p, 0, len);
        return;
    }
    ccn__io_crc(io, p, len);
}

static void ccn__put(unsigned char *b, uint64_t v, int bytes) {
    int k;
    for (k = 0; k < bytes; ++k) b[k] = (unsigned char)(v >> (8 * k));
}
static uint64_t ccn__get(const unsigned char *b, int bytes) {
    uint64_t v = 0;
    int k;
    for (k = 0; k < bytes; ++k) v |= (uint64_t)b[k] << (8 * k);
    return v;
}

/* Each transfer reads *from only when saving and writes *to only when loading (to may then be
   NULL). */
static void ccn__xfer_u64(ccn__io *io, const uint64_t *from, uint64_t *to) {
    unsigned char b[8];
    if (io->write) ccn__put(b, *from, 8);
    ccn__io_bytes(io, b, 8);
    if (!io->write) *to = ccn__get(b, 8);
}
static void ccn__xfer_u32(ccn__io *io, const uint32_t *from, uint32_t *to) {
    unsigned char b[4];
    if (io->write) ccn__put(b, *from, 4);
    ccn__io_bytes(io, b, 4);
    if (!io->write) *to = (uint32_t)ccn__get(b, 4);
}
static void ccn__xfer_i32(ccn__io *io, const int *from, int *to) { /* two's complement */
    uint32_t u = io->write ? (uint32_t)*from : 0;
    ccn__xfer_u32(io, &u, &u);
    if (!io->write) *to = u <= 0x7FFFFFFFu ? (int)u : -(int)(0xFFFFFFFFu - u) - 1;
}
static void ccn__xfer_i64(ccn__io *io, const int64_t *from, int64_t *to) {
    uint64_t u = io->write ? (uint64_t)*from : 0;
    ccn__xfer_u64(io, &u, &u);
    if (!io->write) *to = u <= 0x7FFFFFFFFFFFFFFFu ? (int64_t)u : -(int64_t)(0xFFFFFFFFFFFFFFFFu - u) - 1;
}
static void ccn__xfer_f64(ccn__io *io, const double *from, double *to) { /* IEEE-754 binary64 bits */
    uint64_t u = 0;
    if (io->write) memcpy(&u, from, sizeof u);
    ccn__xfer_u64(io, &u, &u);
    if (!io->write) memcpy(to, &u, sizeof u);
}

/* A double as a float: round to nearest, beyond FLT_MAX an infinity (spelled out: C leaves an
   out-of-range conversion undefined). */
static float ccn__to_float(double d) {
    const double max = 3.40282346638528859812e+38; /* FLT_MAX */
    if (d > max) return (float)HUGE_VAL;
    if (d < -max) return (float)-HUGE_VAL;
    return (float)d;
}

/* count reals, each real_size bytes in the file, in chunks of the buffer. In the build's own
   size the bits are copied (a NaN keeps its payload and stays signalling or quiet); in the other
   they are converted. */
static void ccn__xfer_reals(ccn__io *io, const ccn_real *from, ccn_real *to, size_t count) {
    size_t per = sizeof io->buf / (size_t)io->real_size, k, j;
    int same = io->real_size == (int)sizeof(ccn_real);
    for (k = 0; k < count; k += per) {
        size_t len = count - k < per ? count - k : per;
        unsigned char *b = io->buf;
        if (io->write)
            for (j = 0; j < len; ++j) {
                if (same) {
                    ccn__bits u;
                    memcpy(&u, &from[k + j], sizeof u);
                    ccn__put(b + sizeof(ccn__bits) * j, u, (int)sizeof(ccn__bits));
                } else if (io->real_size == 4) {
                    float f = ccn__to_float((double)from[k + j]);
                    uint32_t u;
                    memcpy(&u, &f, 4);
                    ccn__put(b + 4 * j, u, 4);
                } else {
                    double d = (double)from[k + j];
                    uint64_t u;
                    memcpy(&u, &d, 8);
                    ccn__put(b + 8 * j, u, 8);
                }
            }
        ccn__io_bytes(io, b, len * (size_t)io->real_size);
        if (!io->write)
            for (j = 0; j < len; ++j) {
                if (same) {
                    ccn__bits u = (ccn__bits)ccn__get(b + sizeof(ccn__bits) * j, (int)sizeof(ccn__bits));
                    memcpy(&to[k + j], &u, sizeof u);
                } else if (io->real_size == 4) {
                    uint32_t u = (uint32_t)ccn__get(b + 4 * j, 4);
                    float f;
                    memcpy(&f, &u, 4);
                    to[k + j] = (ccn_real)f;
                } else {
                    uint64_t u = ccn__get(b + 8 * j, 8);
                    double d;
                    memcpy(&d, &u, 8);
#ifdef CCN_DOUBLE
                    to[k + j] = d;
#else
                    to[k + j] = ccn__to_float(d);
#endif
                }
            }
    }
}

/* The CRC-32 of every byte so far: written, or read and compared (CCN_ERR_CHECKSUM). */
static void ccn__xfer_crc(ccn__io *io) {
    uint32_t want = ~io->crc, got = want;
    ccn__xfer_u32(io, &got, &got);
    if (!io->write && io->status == CCN_OK && got != want) io->status = CCN_ERR_CHECKSUM;
}

/* A field's two ends for a transfer: the saved net's, and the loaded net's (none when saving). */
#define CCN__ENDS(field) &src->field, dst ? &dst->field : NULL

/* Everything after magic and version up to the first CRC: the sizes a loader needs before it
   allocates, the configuration, the counters and the generator. Saving: src is the net, dst
   NULL. Loading: both are the net being filled. */
static void ccn__xfer_head(ccn__io *io, const ccn_net *src, ccn_net *dst, uint64_t *length, uint64_t *n_links,
                           uint64_t *p) {
    uint32_t real_size = (uint32_t)io->real_size;
    int k, flags = src->td_started | src->unlearned << 1 | src->stepped << 2;
    ccn__xfer_u32(io, &real_size, &real_size);
    io->real_size = real_size == 4 || real_size == 8 ? (int)real_size : 0; /* 0: refused after the CRC */
    ccn__xfer_u64(io, length, length);
#define CCN__XFER_FIELD(field, t) ccn__xfer_##t(io, CCN__ENDS(cfg.field));
    CCN__CONFIG_FIELDS(CCN__XFER_FIELD)
    ccn__xfer_u64(io, n_links, n_links);
    ccn__xfer_u64(io, p, p);
    ccn__xfer_i32(io, CCN__ENDS(stage));
    ccn__xfer_i32(io, &flags, &flags);
    if (dst) {
        dst->td_started = flags & ~6; /* an unknown bit stays here, where the loader refuses it */
        dst->unlearned = flags >> 1 & 1;
        dst->stepped = flags >> 2 & 1;
    }
    ccn__xfer_u64(io, CCN__ENDS(steps));
    ccn__xfer_u64(io, CCN__ENDS(opt_steps));
    for (k = 0; k < 4; ++k) ccn__xfer_u64(io, CCN__ENDS(rng.s[k]));
    if (io->version >= 2) {
        CCN__CONFIG_FIELDS_2(CCN__XFER_FIELD)
    }
#undef CCN__XFER_FIELD
    ccn__xfer_crc(io);
}

/* The links (each column's count, then every link), the scalar reals, every STATE array, and
   the CRC of the whole file; src and dst as for the head. Loading leaves the counts in
   link_off[0..n) for ccn__check_links. */
static void ccn__xfer_body(ccn__io *io, const ccn_net *src, ccn_net *dst) {
    ccn__dims D;
    ccn_real scalars[CCN__SCALARS];
    size_t i;
    ccn__dims_of(src, &D);
    for (i = 0; i < D.n; ++i) {
        int count = dst ? 0 : src->link_off[i + 1] - src->link_off[i];
        ccn__xfer_i32(io, &count, &count);
        if (dst) dst->link_off[i] = count;
    }
    for (i = 0; i < D.links; ++i) {
        ccn__xfer_i32(io, CCN__ENDS(links[i].type));
        ccn__xfer_i32(io, CCN__ENDS(links[i].column));
        ccn__xfer_i32(io, CCN__ENDS(links[i].feature));
    }
    scalars[0] = src->alpha;
    scalars[1] = src->adam_b1t;
    scalars[2] = src->adam_b2t;
    scalars[3] = src->td_gamma;
    scalars[4] = src->td_delta;
    ccn__xfer_reals(io, scalars, scalars, CCN__SCALARS);
    if (dst) {
        dst->alpha = scalars[0];
        dst->adam_b1t = scalars[1];
        dst->adam_b2t = scalars[2];
        dst->td_gamma = scalars[3];
        dst->td_delta = scalars[4];
    }
#define CCN__XFER_LAYOUT(field, count)
#define CCN__XFER_LINKS(field, count)
#define CCN__XFER_SCRATCH(field, count)
#define CCN__XFER_STATE(field, count) ccn__xfer_reals(io, src->field, dst ? dst->field : NULL, count);
#define CCN__XFER(field, type, count, role) CCN__XFER_##role(field, count)
    CCN__ARRAYS(CCN__XFER)
#undef CCN__XFER
    ccn__xfer_crc(io);
}
#undef CCN__ENDS

/* The file's size for a net of these dimensions with reals of real_size bytes, in format
   version; 0 on overflow. */
static int ccn__file_bytes(const ccn_net *net, int real_size, uint32_t version, size_t *out) {
    ccn__dims D;
    size_t reals = CCN__SCALARS, links, t;
    if (!ccn__dims_of(net, &D)) return 0;
#define CCN__SUM_LAYOUT(count)
#define CCN__SUM_LINKS(count)
#define CCN__SUM_SCRATCH(count)
#define CCN__SUM_STATE(count) if (!ccn__add(reals, count, &reals)) return 0;
#define CCN__SUM(field, type, count, role) CCN__SUM_##role(count)
    CCN__ARRAYS(CCN__SUM)
#undef CCN__SUM
    return ccn__mul(D.links, 12, &links) && ccn__mul(reals, (size_t)real_size, &reals) &&
           ccn__add((size_t)CCN__HEAD_BYTES(version) + 4, links, &t) && ccn__add(t, reals, &t) && ccn__mul(D.n, 4, &links) &&
           ccn__add(t, links, out);
}

CCN_API size_t ccn_saved_size(const ccn_net *net) {
    size_t bytes;
    if (!net) return 0;
    return ccn__file_bytes(net, (int)sizeof(ccn_real), CCN__FILE_VERSION, &bytes) ? bytes : 0;
}

/* The net stays const throughout (no cast): the transfers only read it (section 13). */
CCN_API ccn_result ccn_save_as(const ccn_net *net, int real_size, ccn_write_fn write, void *user) {
    ccn__io io;
    uint64_t length, n_links, p;
    uint32_t version = CCN__FILE_VERSION;
    unsigned char magic[8];
    size_t bytes;
    if (!net || !write) return CCN_ERR_NULL_ARGUMENT;
    if (real_size != 4 && real_size != 8) return CCN_ERR_BAD_REAL_SIZE;
    if (!ccn__file_bytes(net, real_size, CCN__FILE_VERSION, &bytes)) return CCN_ERR_TOO_LARGE;
    length = bytes;
    n_links = net->n_links;
    p = net->p;
    memcpy(magic, ccn__magic, sizeof magic);
    ccn__io_init(&io, write, NULL, user, real_size);
    ccn__io_bytes(&io, magic, sizeof magic);
    ccn__xfer_u32(&io, &version, &version);
    ccn__xfer_head(&io, net, NULL, &length, &n_links, &p);
    ccn__xfer_body(&io, net, NULL);
    return io.status;
}

CCN_API ccn_result ccn_save(const ccn_net *net, ccn_write_fn write, void *user) {
    return ccn_save_as(net, (int)sizeof(ccn_real), write, user);
}

static int ccn__config_same(const ccn_config *a, const ccn_config *b) {
    int same = 1;
#define CCN__SAME(field, t) same &= a->field == b->field;
    CCN__CONFIG_FIELDS(CCN__SAME)
    CCN__CONFIG_FIELDS_2(CCN__SAME)
#undef CCN__SAME
    return same;
}

/* A loaded net's links, from the counts the body left in link_off: every count and link must
   be one ccn_create could have made (a foreign column of the same stage, a feature that exists),
   and the blocks they imply must end where the file's parameter count says. */
static int ccn__check_links(ccn_net *net) {
    size_t at = 0, k;
    int i, s;
    for (i = 0; i < net->n; ++i) {
        int count = net->link_off[i];
        if (count < 0 || (size_t)count > net->n_links - at) return 0;
        net->link_off[i] = (int)at;
        at += (size_t)count;
    }
    if (at != net->n_links) return 0;
    net->link_off[net->n] = (int)at;
    for (i = 0; i < net->n; ++i) {
        s = net->col_stage[i];
        for (k = (size_t)net->link_off[i]; k < (size_t)net->link_off[i + 1]; ++k) {
            const ccn_link *l = net->links + k;
            if (l->column < net->stage_start[s] || l->column >= net->stage_start[s + 1] || l->column == i) return 0;
            if (l->type == CCN_LINK_STATE ? l->feature != 0
                                          : l->type != CCN_LINK_FEATURE || l->feature < 0 || l->feature >= net->W)
                return 0;
        }
    }
    return ccn__place_columns(net);
}

/* The largest alpha a net holds: ccn_set_step_size's bound, or that bound as a float where that
   is larger (1e30 rounds up to 1.0000000150e30), which a float net saves, and a double net that
   loads its file then holds. */
#define CCN__ALPHA_MAX                                                                              \
    ((double)(float)CCN__SETTING_MAX > CCN__SETTING_MAX ? (double)(float)CCN__SETTING_MAX : CCN__SETTING_MAX)

/* Reads one file. avail: the bytes the source holds (CCN__UNKNOWN_SIZE for a stream), so that
   a memory source that is short or long is refused before anything is allocated. */
/* A version-1 file (v0.4.0) may hold settings that its library ignored and ccn_create now refuses
   as unused (ccn_config_check): they had no effect, so they become what an unset field resolves
   to. Version 1 kept only flag bit 0: a net that has stepped may take gradients (bit 2), and
   since what it last learned from is not known, it learns again from its next step (bit 1 off). */
static void ccn__upgrade_v1(ccn_net *d) {
    ccn_config *c = &d->cfg;
    if (c->learner != CCN_TD) c->td_lambda = 0;
    if (c->optimizer != CCN_RMSPROP) c->rms_beta = CCN__RMS_BETA;
    if (c->optimizer != CCN_ADAM) {
        c->adam_beta1 = CCN__ADAM_BETA1;
        c->adam_beta2 = CCN__ADAM_BETA2;
    }
    if (c->optimizer == CCN_SGD) c->opt_epsilon = CCN__OPT_EPSILON;
    if (c->columns_per_stage == c->n_columns) c->steps_per_stage = 0;
    if (c->input_norm_rate == 1.0 && c->feature_norm_rate == 1.0) c->norm_var_floor = CCN__NORM_VAR_FLOOR;
    d->stepped = d->steps > 0;
}

static ccn_result ccn__load(ccn__io *io, uint64_t avail, const ccn_allocator *alloc, ccn_net **out) {
    unsigned char first[12];
    uint64_t length = 0, n_links = 0, p = 0;
    ccn_net d, *net;
    ccn_config resolved;
    ccn_result r;
    size_t got, bytes, want;
    got = io->read(io->user, first, sizeof first);
    if (got > sizeof first) got = sizeof first;
    if (memcmp(first, ccn__magic, got < 8 ? got : 8) != 0) return CCN_ERR_BAD_MAGIC;
    if (got < sizeof first) return CCN_ERR_TRUNCATED;
    io->version = (uint32_t)ccn__get(first + 8, 4);
    if (io->version != 1 && io->version != 2) return CCN_ERR_BAD_VERSION;
    ccn__io_crc(io, first, sizeof first);
    memset(&d, 0, sizeof d);
    ccn__xfer_head(io, &d, &d, &length, &n_links, &p);
    if (io->status != CCN_OK) return io->status;
    if (length > avail) return CCN_ERR_TRUNCATED;
    if (avail != CCN__UNKNOWN_SIZE && length < avail) return CCN_ERR_TRAILING_DATA;
    /* from here the header is what a save wrote: what contradicts it is a bad file */
    if (!io->real_size) return CCN_ERR_BAD_FILE;
    if (io->version == 1) ccn__upgrade_v1(&d);
    if ((r = ccn_config_resolve(&d.cfg, &resolved)) != CCN_OK) return r;
    if (!ccn__config_same(&d.cfg, &resolved)) return CCN_ERR_BAD_FILE;
    if (!ccn__shape(&d) || p > (size_t)-1 || !ccn__count_params(&d, n_links)) return CCN_ERR_TOO_LARGE;
    if (d.p != p) return CCN_ERR_BAD_FILE; /* and so the net is no larger than its parameters say */
    if (d.stage < 0 || d.stage >= d.n_stages || (d.td_started != 0 && d.td_started != 1)) /* or a flag unknown */
        return CCN_ERR_BAD_FILE;
    if (!(bytes = ccn__place(&d, NULL)) || !ccn__file_bytes(&d, io->real_size, io->version, &want)) return CCN_ERR_TOO_LARGE;
    if (want != length) return CCN_ERR_BAD_FILE;
    if (!(net = ccn__new_net(&d, alloc, bytes))) return CCN_ERR_OUT_OF_MEMORY;
    ccn__xfer_body(io, net, net);
    r = io->status;
    if (r == CCN_OK && (!ccn__check_links(net) || !ccn__finite_in((double)net->alpha, 0.0, CCN__ALPHA_MAX) ||
                        !(net->td_gamma >= 0 && net->td_gamma <= 1)))
        r = CCN_ERR_BAD_FILE;
    if (r != CCN_OK) {
        ccn_destroy(net);
        return r;
    }
    *out = net;
    return CCN_OK;
}

CCN_API ccn_result ccn_load(ccn_read_fn read, void *user, const ccn_allocator *alloc, ccn_net **out) {
    ccn__io io;
    if (!out) return CCN_ERR_NULL_ARGUMENT;
    *out = NULL;
    if (!read || (alloc && (!alloc->alloc || !alloc->free))) return CCN_ERR_NULL_ARGUMENT;
    ccn__io_init(&io, NULL, read, user, 0);
    return ccn__load(&io, CCN__UNKNOWN_SIZE, alloc, out);
}

typedef struct ccn__memory {
    unsigned char *data;
    size_t size, at;
} ccn__memory;

static size_t ccn__memory_write(void *user, const void *data, size_t size) {
    ccn__memory *m = (ccn__memory *)user;
    if (size > m->size - m->at) return 0;
    memcpy(m->data + m->at, data, size);
    m->at += size;
    return size;
}

static size_t ccn__memory_read(void *user, void *data, size_t size) {
    ccn__memory *m = (ccn__memory *)user;
    size_t len = size < m->size - m->at ? size : m->size - m->at;
    memcpy(data, m->data + m->at, len);
    m->at += len;
    return len;
}

CCN_API ccn_result ccn_save_to_memory(const ccn_net *net, void *buffer, size_t capacity, size_t *written) {
    ccn__memory m;
    ccn_result r;
    size_t bytes;
    if (written) *written = 0;
    if (!net || !buffer) return CCN_ERR_NULL_ARGUMENT;
    if (!(bytes = ccn_saved_size(net))) return CCN_ERR_TOO_LARGE;
    if (capacity < bytes) return CCN_ERR_BUFFER_TOO_SMALL;
    m.data = (unsigned char *)buffer;
    m.size = capacity;
    m.at = 0;
    r = ccn_save(net, ccn__memory_write, &m);
    if (r == CCN_OK && written) *written = m.at;
    return r;
}

CCN_API ccn_result ccn_load_from_memory(const void *data, size_t size, const ccn_allocator *alloc, ccn_net **out) {
    ccn__memory m;
    ccn__io io;
    if (!out) return CCN_ERR_NULL_ARGUMENT;
    *out = NULL;
    if (!data || (alloc && (!alloc->alloc || !alloc->free))) return CCN_ERR_NULL_ARGUMENT;
    m.data = (unsigned char *)(uintptr_t)data; /* only read */
    m.size = size;
    m.at = 0;
    ccn__io_init(&io, NULL, ccn__memory_read, &m, 0);
    return ccn__load(&io, size, alloc, out);
}

#ifndef CCN_NO_STDIO
static size_t ccn__file_write(void *user, const void *data, size_t size) { return fwrite(data, 1, size, (FILE *)user); }
static size_t ccn__file_read(void *user, void *data, size_t size) { return fread(data, 1, size, (FILE *)user); }

CCN_API ccn_result ccn_save_file(const ccn_net *net, const char *path) {
    FILE *f;
    ccn_result r;
    if (!net || !path) return CCN_ERR_NULL_ARGUMENT;
    if (!(f = fopen(path, "wb"))) return CCN_ERR_OPEN;
    r = ccn_save(net, ccn__file_write, f);
    if (fclose(f) != 0 && r == CCN_OK) r = CCN_ERR_IO;
    return r;
}

CCN_API ccn_result ccn_load_file(const char *path, const ccn_allocator *alloc, ccn_net **out) {
    FILE *f;
    ccn_result r;
    if (!out) return CCN_ERR_NULL_ARGUMENT;
    *out = NULL;
    if (!path) return CCN_ERR_NULL_ARGUMENT;
    if (!(f = fopen(path, "rb"))) return CCN_ERR_OPEN;
    r = ccn_load(ccn__file_read, f, alloc, out);
    if (r == CCN_OK && fgetc(f) != EOF) {
        ccn_destroy(*out);
        *out = NULL;
        r = CCN_ERR_TRAILING_DATA;
    }
    if (r != CCN_OK && ferror(f)) r = CCN_ERR_IO; /* the data did not end: reading it failed (a directory) */
    fclose(f);
    return r;
}
#endif

/* ============================================================================================
   14. Access
   ============================================================================================ */

CCN_API size_t ccn_param_count(const ccn_net *net) { return net ? net->p : 0; }
CCN_API ccn_real *ccn_params(ccn_net *net) { return net ? net->theta : NULL; }
CCN_API ccn_real *ccn_grad(ccn_net *net) { return net ? net->grad : NULL; }
CCN_API void ccn_zero_grad(ccn_net *net) {
    if (net && net->grad) memset(net->grad, 0, net->p * sizeof(ccn_real));
}
CCN_API size_t ccn_readout_offset(const ccn_net *net) { return net ? net->readout : 0; }
CCN_API const ccn_real *ccn_state(const ccn_net *net) { return net ? net->h : NULL; }
CCN_API const ccn_real *ccn_cell(const ccn_net *net) { return net ? net->c : NULL; }
CCN_API const ccn_real *ccn_output(const ccn_net *net) { return net ? net->y : NULL; }
CCN_API uint64_t ccn_step_count(const ccn_net *net) { return net ? net->steps : 0; }

CCN_API void ccn_column_info_get(const ccn_net *net, int column, ccn_column_info *out) {
    if (!out) return;
    memset(out, 0, sizeof *out);
    if (!net || column < 0 || column >= net->n) return;
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
    int lo = 0, hi;
    if (!net || k >= net->readout) return -1;
    hi = net->n;
    while (hi - lo > 1) { /* col_off is increasing: the last block starting at or before k */
        int mid = (lo + hi) / 2;
        if (net->col_off[mid] <= k) lo = mid;
        else hi = mid;
    }
    return lo;
}

CCN_API const ccn_link *ccn_links(const ccn_net *net, int column, int *count) {
    if (!net || column < 0 || column >= net->n) {
        if (count) *count = 0;
        return NULL;
    }
    if (count) *count = net->link_off[column + 1] - net->link_off[column];
    return net->links + net->link_off[column];
}

CCN_API void ccn_input_stats(const ccn_net *net, int stage, const ccn_real **mean,
                             const ccn_real **var, int *count) {
    const ccn_real *mu = NULL, *v = NULL;
    int n = 0;
    if (net && net->in_norm && stage >= 0 && stage < net->n_stages) {
        ccn__stage_stats(net, stage, &mu, &v);
        n = net->m + net->stage_start[stage];
    }
    if (mean) *mean = mu;
    if (var) *var = v;
    if (count) *count = n;
}

CCN_API void ccn_feature_stats(const ccn_net *net, const ccn_real **mean, const ccn_real **var) {
    if (mean) *mean = net ? net->f_mu : NULL;
    if (var) *var = net ? net->f_var : NULL;
}

CCN_API void ccn_optimizer_state(const ccn_net *net, const ccn_real **first, const ccn_real **second) {
    if (first) *first = net ? net->opt_m : NULL;
    if (second) *second = net ? net->opt_v : NULL;
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
