# The two-layer perceptron step of mlp2_step.s as a two-core pipeline (one layer per core).
#
#   core 0 (layer 1, MCU L1):  x -> h = tanh(W1^T x) ---st hs--->  core 1 (layer 2, MCU L2):
#                                                                  y = sigmoid(W2^T h)
#                                                                  d2 = (y - t) y (1 - y)
#                              d1 = gh (1 - h^2)   <---st ghs----  gh = W2 d2 (MTVM)
#                              W1 += x (-lr d1)^T                  W2 += h (-lr d2)^T
#
# The hand-offs go through shared memory with consumer count 1: each ld waits until its
# word is valid, so core 1 blocks until core 0 has published h, and core 0 until core 1 has
# published gh. Same data as mlp2_step.s, so both end with bit-identical weights. Checked by
# `panther run examples/mlp2_pipeline.s` against the float numpy reference.

.equ NI, 8
.equ NH, 8
.equ NO, 4
.equ LR_DIV, 8              # learning rate 1/LR_DIV = 0.125
.check mlp2_pipeline       # the float reference check (isa/golden/reference.py)
.mcu L1, 0                  # MCU 0 of core 0
.mcu L2, 0                  # MCU 0 of core 1

.sregion xs,   0, NI        # the training sample (persistent)
.sregion ts,  16, NO        # its target (persistent)
.sregion hs,  32, NH        # core 0 -> core 1: hidden activations
.sregion ghs, 48, NH        # core 1 -> core 0: dL/dh

.region x,    0, NI         # register-file layout, the same on both cores
.region t,   16, NO
.region h,   32, NH
.region y,   48, NO
.region d2,  64, NO
.region s2,  80, NO
.region d1,  96, NH
.region s1, 112, NH
.region gh, 128, NH

.smem xs, 0, -0.2646, -0.7980, -0.4656, 0.8289, -0.3624, 0.1718, -0.5225, 0.3360
.smem ts, 0, 0.2021, 0.7318, 0.4384, 0.2469

# ---------------------------------------------------------------------- core 0: layer 1
.core 0
.weights L1, 0, 0.2970, 0.3599, 1.0917, -0.4079, 1.2797, 1.5755, 0.8092, 0.4136
.weights L1, 1, -0.3319, 0.4972, -0.2213, -0.0108, -0.1452, 0.1419, 0.6440, -0.2778
.weights L1, 2, -0.4927, -0.5015, -0.4841, -0.7156, -0.4565, 0.6466, -0.2967, 0.1286
.weights L1, 3, -0.6084, 0.0848, -0.8704, -0.3494, 1.1273, -0.2915, 0.5600, 0.2275
.weights L1, 4, -0.0765, -0.3261, 0.6435, -0.0887, 0.7637, -0.3595, 0.0287, 0.2327
.weights L1, 5, 0.1866, -0.6169, -0.3320, -0.0980, -0.4268, 0.3387, 0.2940, -0.9785
.weights L1, 6, -0.9026, -0.6408, 0.0586, 1.0166, -0.1912, 0.1253, -0.5316, -0.5234
.weights L1, 7, -0.9786, -0.0142, 0.4736, -0.1784, 0.6982, 0.0989, -0.0182, 0.2586

        ld      x, xs, NI
        cp      xin(L1), x, NI
        mcu     L1:mvm                      # XBarOut = W1^T x
        alu     tanh, h, xout(L1), NH
        st      hs, h, NH, 1                # publish h (one consumer)
        alu     tanh_d, s1, h, NH
        ld      gh, ghs, NH                 # wait for dL/dh from core 1
        alu     mul, d1, gh, s1, NH         # hidden delta
        alui    mul, xout(L1), d1, -1.0/LR_DIV, NH
        mcu     L1:opa                      # XBarIn still holds x
        hlt

# ---------------------------------------------------------------------- core 1: layer 2
.core 1
.weights L2, 0, 0.2437, 0.5739, -0.4010, -1.1440
.weights L2, 1, 0.0574, -0.3058, -0.0136, 0.8322
.weights L2, 2, -0.5514, 0.3824, 0.4729, 0.2304
.weights L2, 3, 0.5593, -0.2292, -0.3408, 0.5195
.weights L2, 4, 0.3602, 0.6952, 0.1061, 0.8118
.weights L2, 5, -0.1410, -0.5302, -1.0185, -0.5507
.weights L2, 6, 0.4093, -0.7325, -0.2262, 1.0533
.weights L2, 7, 0.4234, 0.8955, -0.4958, -1.2300

        ld      t, ts, NO
        ld      h, hs, NH                   # wait for h from core 0
        cp      xin(L2), h, NH
        mcu     L2:mvm                      # XBarOut = W2^T h
        alu     sigmoid, y, xout(L2), NO
        alu     sub, d2, y, t, NO
        alu     sigmoid_d, s2, y, NO
        alu     mul, d2, d2, s2, NO         # output delta
        cp      xout(L2), d2, NO
        mcu     L2:mtvm                     # XBarIn = W2 d2 = dL/dh
        st      ghs, xin(L2), NH, 1         # send it back to core 0
        cp      xin(L2), h, NH
        alui    mul, xout(L2), d2, -1.0/LR_DIV, NO
        mcu     L2:opa
        hlt
