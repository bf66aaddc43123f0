# One SGD training step of a two-layer perceptron, one layer per MCU of core 0.
#
#   forward   h = tanh(W1^T x)            MCU L1 (NI x NH), MVM
#             y = sigmoid(W2^T h)         MCU L2 (NH x NO), MVM
#   loss      L = 1/2 |y - t|^2
#   backward  d2 = (y - t) * y (1 - y)    output delta (sigmoid_d from y)
#             gh = W2 d2                  MTVM through layer 2 (a true transpose)
#             d1 = gh * (1 - h^2)         hidden delta (tanh_d from h)
#   update    W2 += h (-lr d2)^T  and  W1 += x (-lr d1)^T
#             one mcu instruction issues both OPAs; they take effect at hlt.
#
# The input and the target come from shared memory (persistent words, count 0), the
# weights from .weights. Checked by `panther demo` / `panther run` against a float numpy
# reference of the same step.

.equ NI, 8
.equ NH, 8
.equ NO, 4
.equ LR_DIV, 8              # learning rate 1/LR_DIV = 0.125
.check mlp2_step           # the float reference check (isa/golden/reference.py)
.mcu L1, 0
.mcu L2, 1

.sregion xs, 0, NI          # shared memory: the training sample
.sregion ts, 16, NO         #                and its target

.region x,    0, NI         # core 0 register file
.region t,   16, NO
.region h,   32, NH         # hidden activations
.region y,   48, NO         # outputs
.region d2,  64, NO         # y - t, then the output delta
.region s2,  80, NO         # sigmoid'(.) from y
.region d1,  96, NH         # dL/dh, then the hidden delta
.region s1, 112, NH         # tanh'(.) from h

.smem xs, 0, -0.2646, -0.7980, -0.4656, 0.8289, -0.3624, 0.1718, -0.5225, 0.3360
.smem ts, 0, 0.2021, 0.7318, 0.4384, 0.2469

.weights L1, 0, 0.2970, 0.3599, 1.0917, -0.4079, 1.2797, 1.5755, 0.8092, 0.4136
.weights L1, 1, -0.3319, 0.4972, -0.2213, -0.0108, -0.1452, 0.1419, 0.6440, -0.2778
.weights L1, 2, -0.4927, -0.5015, -0.4841, -0.7156, -0.4565, 0.6466, -0.2967, 0.1286
.weights L1, 3, -0.6084, 0.0848, -0.8704, -0.3494, 1.1273, -0.2915, 0.5600, 0.2275
.weights L1, 4, -0.0765, -0.3261, 0.6435, -0.0887, 0.7637, -0.3595, 0.0287, 0.2327
.weights L1, 5, 0.1866, -0.6169, -0.3320, -0.0980, -0.4268, 0.3387, 0.2940, -0.9785
.weights L1, 6, -0.9026, -0.6408, 0.0586, 1.0166, -0.1912, 0.1253, -0.5316, -0.5234
.weights L1, 7, -0.9786, -0.0142, 0.4736, -0.1784, 0.6982, 0.0989, -0.0182, 0.2586

.weights L2, 0, 0.2437, 0.5739, -0.4010, -1.1440
.weights L2, 1, 0.0574, -0.3058, -0.0136, 0.8322
.weights L2, 2, -0.5514, 0.3824, 0.4729, 0.2304
.weights L2, 3, 0.5593, -0.2292, -0.3408, 0.5195
.weights L2, 4, 0.3602, 0.6952, 0.1061, 0.8118
.weights L2, 5, -0.1410, -0.5302, -1.0185, -0.5507
.weights L2, 6, 0.4093, -0.7325, -0.2262, 1.0533
.weights L2, 7, 0.4234, 0.8955, -0.4958, -1.2300

        ld      x, xs, NI                   # fetch the sample
        ld      t, ts, NO
        # -- forward ------------------------------------------------------------------
        cp      xin(L1), x, NI
        mcu     L1:mvm                      # XBarOut(L1) = W1^T x
        alu     tanh, h, xout(L1), NH
        cp      xin(L2), h, NH
        mcu     L2:mvm                      # XBarOut(L2) = W2^T h
        alu     sigmoid, y, xout(L2), NO
        # -- backward -----------------------------------------------------------------
        alu     sub, d2, y, t, NO           # dL/dy
        alu     sigmoid_d, s2, y, NO
        alu     mul, d2, d2, s2, NO         # output delta
        cp      xout(L2), d2, NO
        mcu     L2:mtvm                     # XBarIn(L2) = W2 d2 = dL/dh
        alu     tanh_d, s1, h, NH
        alu     mul, d1, xin(L2), s1, NH    # hidden delta
        # -- weight updates -----------------------------------------------------------
        cp      xin(L2), h, NH              # layer 2 rows: h (XBarIn(L1) still holds x)
        alui    mul, xout(L2), d2, -1.0/LR_DIV, NO
        alui    mul, xout(L1), d1, -1.0/LR_DIV, NH
        mcu     L1:opa, L2:opa              # both OPAs, applied at hlt
        hlt
