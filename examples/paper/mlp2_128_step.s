# One SGD training step of a 128 -> 128 -> 128 perceptron at the paper's size: one layer per
# MCU of core 0 (128x128 crossbars, `--config paper`); the other seven cores are idle.
#
#   forward   h = tanh(W1^T x)            MCU L1 (NI x NH), MVM
#             y = sigmoid(W2^T h)         MCU L2 (NH x NO), MVM
#   backward  d2 = (y - t) * y (1 - y)    output delta
#             gh = W2 d2                  MTVM through layer 2
#             d1 = gh * (1 - h^2)         hidden delta
#   update    W2 += h (-lr d2)^T  and  W1 += x (-lr d1)^T (one mcu instruction, at hlt)
#
# The same program as mlp2_step.s, sized up; the weights, the sample and its target come
# from the numpy archive mlp2_128/step.npz (float32: W1, W2 ~ N(0, 0.15^2), x ~ U(-1, 1),
# t ~ U(0.1, 0.9), seed 2024) through .weights_file and .smem_file. `panther run
# examples/paper/mlp2_128_step.s --config paper` runs it; bench/bench_golden.py times it.
#
# It names no .check: the float reference of mlp2_step.s reads the same symbols, and with
# `--check mlp2_step` the forward and backward values pass (h, y, d2, d1 within 8 LSB), but
# the weight update does not (docs/examples.md: the OPA's per-slice clipping of 128-term
# outer products; docs/opa_fidelity.md).

.equ NI, 128
.equ NH, 128
.equ NO, 128
.equ LR_DIV, 8              # learning rate 1/LR_DIV = 0.125
.mcu L1, 0
.mcu L2, 1

.sregion xs, 0, NI          # shared memory: the training sample
.sregion ts, 128, NO        #                and its target

.region x,    0, NI         # core 0 register file
.region t,  128, NO
.region h,  256, NH         # hidden activations
.region y,  384, NO         # outputs
.region d2, 512, NO         # y - t, then the output delta
.region s2, 640, NO         # sigmoid'(.) from y
.region d1, 768, NH         # dL/dh, then the hidden delta
.region s1, 896, NH         # tanh'(.) from h

.smem_file xs, 0, "mlp2_128/step.npz", "x"
.smem_file ts, 0, "mlp2_128/step.npz", "t"
.weights_file L1, "mlp2_128/step.npz", "W1"
.weights_file L2, "mlp2_128/step.npz", "W2"

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
