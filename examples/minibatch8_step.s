# One mini-batch SGD step (batch 8) of a two-layer perceptron, scheduled as the paper's
# Table 2 (mini-batch dataflow, §4.3): one layer per MCU of core 0, the 8 forward passes
# pipelined across the two MCUs, MVM and MTVM of different samples in one mcu instruction,
# and the 16 weight updates (OPA) at the end of the batch.
#
#   forward   h_s = tanh(W1^T x_s)              MCU L1 (NI x NH), MVM
#             y_s = sigmoid(W2^T h_s)           MCU L2 (NH x NO), MVM
#   loss      L = 1/2 sum_s |y_s - t_s|^2, averaged over the batch by the learning rate
#   backward  d2_s = (y_s - t_s) y_s (1 - y_s)  output delta
#             gh_s = W2 d2_s                    MTVM through layer 2 (a true transpose)
#             d1_s = gh_s (1 - h_s^2)           hidden delta
#   update    W2 += sum_s h_s (-lr/B d2_s)^T,  W1 += sum_s x_s (-lr/B d1_s)^T
#
# Step k (0 .. 9) is one mcu instruction with, in place, XBarIn(L1) = x_k, XBarIn(L2) =
# h_(k-1) and XBarOut(L2) = d2_(k-2):
#
#   step   MCU0 = L1 (layer 1)   MCU1 = L2 (layer 2)
#   0      MVM x0                -
#   1      MVM x1                MVM h0
#   k      MVM x_k               MVM h_(k-1) | MTVM d2_(k-2)     (k = 2 .. 7)
#   8      -                     MVM h7      | MTVM d2_6
#   9      -                     MTVM d2_7
#   10-17  OPA x_s, -lr/B d1_s   OPA h_s, -lr/B d2_s             (s = 0 .. 7, one mcu each)
#
# Variants 2 and 3 run MVM|MTVM on L2 at once on two crossbar copies, variant 1 serialises
# them. OPA takes effect at hlt (docs/semantics.md §5), so every MVM and MTVM of the batch
# sees the starting weights, whatever the variant: the same program ends with the same
# weights on variants 1, 2 and 3. 16 OPAs = deferred_depth of the small preset, no CRS.
# Shared memory: only addresses below 896 (the top of the small preset's 1024 words is
# reserved for the OPA operands of variants 1-2). The learning rate lr/B is applied with
# alui mul before each OPA. Checked by `panther run examples/minibatch8_step.s` against a
# float numpy mini-batch step (isa/golden/reference.py) and, bit for bit, by
# tests/isa/golden/test_minibatch8.py against a fixed-point reference; see docs/examples.md.

.equ NI, 8
.equ NH, 8
.equ NO, 4
.equ BATCH, 8
.equ LR_DIV, 8              # learning rate lr = 1/LR_DIV = 0.125
.equ LR_B, -1.0/(LR_DIV*BATCH)  # OPA column scale -lr/B = -1/64 (exact in Q4.12)
.check minibatch8_step     # the float reference check (isa/golden/reference.py)
.mcu L1, 0
.mcu L2, 1

.sregion xs,  0, NI*BATCH   # shared memory: the 8 samples (persistent, count 0)
.sregion ts, 64, NO*BATCH   #                and their targets

.region h,    0, NH*BATCH   # core 0 register file: hidden activations of every sample
.region d1,  64, NH*BATCH   #   hidden deltas (OPA columns of layer 1)
.region y,  128, NO*BATCH   #   outputs
.region d2, 160, NO*BATCH   #   output deltas (MTVM input, OPA columns of layer 2)
.region t,  192, NO         #   target of the current sample
.region s2, 196, NO         #   sigmoid'(.) from y
.region s1, 200, NH         #   tanh'(.) from h

.smem xs+NI*0, 0, -0.8240, 0.2405, -0.5820, -0.2445, -0.5849, -0.4317, 0.2265, 0.0109
.smem xs+NI*1, 0, -0.9608, 0.8335, -0.5063, -0.0284, -0.7435, -0.2329, 0.5647, -0.5217
.smem xs+NI*2, 0, 0.6891, 0.2282, 0.2675, 0.8101, 0.0194, -0.7225, 0.2810, 0.2689
.smem xs+NI*3, 0, 0.6001, -0.7469, -0.5640, 0.8651, 0.1256, -0.5921, -0.1524, -0.2172
.smem xs+NI*4, 0, -0.7393, 0.1845, -0.8961, -0.8805, -0.4823, -0.2601, 0.1265, 0.8130
.smem xs+NI*5, 0, -0.5386, -0.7014, -0.7318, -0.8531, -0.6901, -0.5598, 0.8963, 0.7472
.smem xs+NI*6, 0, -0.7183, 0.5604, -0.9869, 0.3279, -0.3747, -0.2844, -0.5489, 0.1242
.smem xs+NI*7, 0, 0.8608, 0.6584, 0.6306, 0.0224, 0.9479, 0.6786, 0.2536, 0.7783
.smem ts+NO*0, 0, 0.1700, 0.2742, 0.8260, 0.2442
.smem ts+NO*1, 0, 0.1666, 0.4120, 0.6739, 0.5762
.smem ts+NO*2, 0, 0.5259, 0.6942, 0.7668, 0.1168
.smem ts+NO*3, 0, 0.8177, 0.5818, 0.8013, 0.4918
.smem ts+NO*4, 0, 0.3664, 0.2068, 0.6900, 0.1958
.smem ts+NO*5, 0, 0.7672, 0.2424, 0.1563, 0.6398
.smem ts+NO*6, 0, 0.5128, 0.2450, 0.1308, 0.3271
.smem ts+NO*7, 0, 0.7929, 0.3996, 0.7168, 0.8899

.weights L1, 0, 0.4630, 0.7389, 0.5160, -0.4379, -0.6268, 0.0302, 0.3876, 0.2291
.weights L1, 1, 0.8146, 0.3379, 0.2879, -0.3291, -0.4985, 0.6680, 0.0220, 0.3652
.weights L1, 2, -0.6194, -0.1964, -0.5810, -0.3491, 0.4064, -0.6663, -0.2403, 0.0737
.weights L1, 3, -0.3008, -0.1135, -0.0998, 0.1882, -0.1941, 0.1225, 0.0256, 0.1911
.weights L1, 4, 0.1012, 0.7460, -0.2987, 0.5396, -0.1812, -0.4311, 0.5450, -0.1978
.weights L1, 5, -0.1744, -0.6249, -0.9442, 0.2854, -0.5244, 0.3502, 0.8317, -0.0517
.weights L1, 6, -0.5070, 0.1774, 0.3428, -0.1178, 0.0079, 0.6009, 0.5695, 0.3195
.weights L1, 7, -0.3899, -0.0242, 0.2713, -0.0953, -0.2745, -0.3444, -0.2844, -0.3022

.weights L2, 0, -0.2707, 0.6874, -0.4804, 0.5321
.weights L2, 1, 0.2506, 0.0838, -0.4964, -0.2740
.weights L2, 2, 1.1841, 0.0594, 0.3229, 0.3978
.weights L2, 3, 0.6334, -0.1425, -0.3661, -0.0358
.weights L2, 4, -0.1565, 0.4744, 0.1138, 0.1436
.weights L2, 5, 0.0870, 0.7370, -0.3256, -0.2870
.weights L2, 6, 0.5311, -0.0638, 0.2165, -0.4374
.weights L2, 7, 0.0140, 0.2591, -0.7965, -0.4170

        # Every step below: the mcu instruction, then the VFU work on its results (each
        # buffer is read before the next operand overwrites it), then the operands of the
        # next step.
        ld      xin(L1), xs+NI*0, NI                # first MVM input of layer 1: x0
        # -- step 0: MCU0 MVM (x0) (z1_0)
        mcu     L1:mvm
        alu     tanh, h+NH*0, xout(L1), NH          # h0 = tanh(W1^T x0)
        cp      xin(L2), h+NH*0, NH                 # next MVM input of layer 2: h0
        ld      xin(L1), xs+NI*1, NI                # next MVM input of layer 1: x1
        # -- step 1: MCU0 MVM (x1) (z1_1);  MCU1 MVM (h0) (z2_0)
        mcu     L1:mvm, L2:mvm
        alu     tanh, h+NH*1, xout(L1), NH          # h1 = tanh(W1^T x1)
        alu     sigmoid, y+NO*0, xout(L2), NO       # y0 = sigmoid(W2^T h0)
        ld      t, ts+NO*0, NO                      # target t0
        alu     sub, d2+NO*0, y+NO*0, t, NO         # y0 - t0
        alu     sigmoid_d, s2, y+NO*0, NO
        alu     mul, d2+NO*0, d2+NO*0, s2, NO       # d2_0: output delta
        cp      xout(L2), d2+NO*0, NO               # next MTVM input: d2_0
        cp      xin(L2), h+NH*1, NH                 # next MVM input of layer 2: h1
        ld      xin(L1), xs+NI*2, NI                # next MVM input of layer 1: x2
        # -- step 2: MCU0 MVM (x2) (z1_2);  MCU1 MVM (h1) (z2_1);  MCU1 MTVM (d2_0) (gh0)
        mcu     L1:mvm, L2:mvm|mtvm
        alu     tanh, h+NH*2, xout(L1), NH          # h2 = tanh(W1^T x2)
        alu     tanh_d, s1, h+NH*0, NH
        alu     mul, d1+NH*0, xin(L2), s1, NH       # d1_0 = (W2 d2_0) (1 - h0^2)
        alu     sigmoid, y+NO*1, xout(L2), NO       # y1 = sigmoid(W2^T h1)
        ld      t, ts+NO*1, NO                      # target t1
        alu     sub, d2+NO*1, y+NO*1, t, NO         # y1 - t1
        alu     sigmoid_d, s2, y+NO*1, NO
        alu     mul, d2+NO*1, d2+NO*1, s2, NO       # d2_1: output delta
        cp      xout(L2), d2+NO*1, NO               # next MTVM input: d2_1
        cp      xin(L2), h+NH*2, NH                 # next MVM input of layer 2: h2
        ld      xin(L1), xs+NI*3, NI                # next MVM input of layer 1: x3
        # -- step 3: MCU0 MVM (x3) (z1_3);  MCU1 MVM (h2) (z2_2);  MCU1 MTVM (d2_1) (gh1)
        mcu     L1:mvm, L2:mvm|mtvm
        alu     tanh, h+NH*3, xout(L1), NH          # h3 = tanh(W1^T x3)
        alu     tanh_d, s1, h+NH*1, NH
        alu     mul, d1+NH*1, xin(L2), s1, NH       # d1_1 = (W2 d2_1) (1 - h1^2)
        alu     sigmoid, y+NO*2, xout(L2), NO       # y2 = sigmoid(W2^T h2)
        ld      t, ts+NO*2, NO                      # target t2
        alu     sub, d2+NO*2, y+NO*2, t, NO         # y2 - t2
        alu     sigmoid_d, s2, y+NO*2, NO
        alu     mul, d2+NO*2, d2+NO*2, s2, NO       # d2_2: output delta
        cp      xout(L2), d2+NO*2, NO               # next MTVM input: d2_2
        cp      xin(L2), h+NH*3, NH                 # next MVM input of layer 2: h3
        ld      xin(L1), xs+NI*4, NI                # next MVM input of layer 1: x4
        # -- step 4: MCU0 MVM (x4) (z1_4);  MCU1 MVM (h3) (z2_3);  MCU1 MTVM (d2_2) (gh2)
        mcu     L1:mvm, L2:mvm|mtvm
        alu     tanh, h+NH*4, xout(L1), NH          # h4 = tanh(W1^T x4)
        alu     tanh_d, s1, h+NH*2, NH
        alu     mul, d1+NH*2, xin(L2), s1, NH       # d1_2 = (W2 d2_2) (1 - h2^2)
        alu     sigmoid, y+NO*3, xout(L2), NO       # y3 = sigmoid(W2^T h3)
        ld      t, ts+NO*3, NO                      # target t3
        alu     sub, d2+NO*3, y+NO*3, t, NO         # y3 - t3
        alu     sigmoid_d, s2, y+NO*3, NO
        alu     mul, d2+NO*3, d2+NO*3, s2, NO       # d2_3: output delta
        cp      xout(L2), d2+NO*3, NO               # next MTVM input: d2_3
        cp      xin(L2), h+NH*4, NH                 # next MVM input of layer 2: h4
        ld      xin(L1), xs+NI*5, NI                # next MVM input of layer 1: x5
        # -- step 5: MCU0 MVM (x5) (z1_5);  MCU1 MVM (h4) (z2_4);  MCU1 MTVM (d2_3) (gh3)
        mcu     L1:mvm, L2:mvm|mtvm
        alu     tanh, h+NH*5, xout(L1), NH          # h5 = tanh(W1^T x5)
        alu     tanh_d, s1, h+NH*3, NH
        alu     mul, d1+NH*3, xin(L2), s1, NH       # d1_3 = (W2 d2_3) (1 - h3^2)
        alu     sigmoid, y+NO*4, xout(L2), NO       # y4 = sigmoid(W2^T h4)
        ld      t, ts+NO*4, NO                      # target t4
        alu     sub, d2+NO*4, y+NO*4, t, NO         # y4 - t4
        alu     sigmoid_d, s2, y+NO*4, NO
        alu     mul, d2+NO*4, d2+NO*4, s2, NO       # d2_4: output delta
        cp      xout(L2), d2+NO*4, NO               # next MTVM input: d2_4
        cp      xin(L2), h+NH*5, NH                 # next MVM input of layer 2: h5
        ld      xin(L1), xs+NI*6, NI                # next MVM input of layer 1: x6
        # -- step 6: MCU0 MVM (x6) (z1_6);  MCU1 MVM (h5) (z2_5);  MCU1 MTVM (d2_4) (gh4)
        mcu     L1:mvm, L2:mvm|mtvm
        alu     tanh, h+NH*6, xout(L1), NH          # h6 = tanh(W1^T x6)
        alu     tanh_d, s1, h+NH*4, NH
        alu     mul, d1+NH*4, xin(L2), s1, NH       # d1_4 = (W2 d2_4) (1 - h4^2)
        alu     sigmoid, y+NO*5, xout(L2), NO       # y5 = sigmoid(W2^T h5)
        ld      t, ts+NO*5, NO                      # target t5
        alu     sub, d2+NO*5, y+NO*5, t, NO         # y5 - t5
        alu     sigmoid_d, s2, y+NO*5, NO
        alu     mul, d2+NO*5, d2+NO*5, s2, NO       # d2_5: output delta
        cp      xout(L2), d2+NO*5, NO               # next MTVM input: d2_5
        cp      xin(L2), h+NH*6, NH                 # next MVM input of layer 2: h6
        ld      xin(L1), xs+NI*7, NI                # next MVM input of layer 1: x7
        # -- step 7: MCU0 MVM (x7) (z1_7);  MCU1 MVM (h6) (z2_6);  MCU1 MTVM (d2_5) (gh5)
        mcu     L1:mvm, L2:mvm|mtvm
        alu     tanh, h+NH*7, xout(L1), NH          # h7 = tanh(W1^T x7)
        alu     tanh_d, s1, h+NH*5, NH
        alu     mul, d1+NH*5, xin(L2), s1, NH       # d1_5 = (W2 d2_5) (1 - h5^2)
        alu     sigmoid, y+NO*6, xout(L2), NO       # y6 = sigmoid(W2^T h6)
        ld      t, ts+NO*6, NO                      # target t6
        alu     sub, d2+NO*6, y+NO*6, t, NO         # y6 - t6
        alu     sigmoid_d, s2, y+NO*6, NO
        alu     mul, d2+NO*6, d2+NO*6, s2, NO       # d2_6: output delta
        cp      xout(L2), d2+NO*6, NO               # next MTVM input: d2_6
        cp      xin(L2), h+NH*7, NH                 # next MVM input of layer 2: h7
        # -- step 8: MCU1 MVM (h7) (z2_7);  MCU1 MTVM (d2_6) (gh6)
        mcu     L2:mvm|mtvm
        alu     tanh_d, s1, h+NH*6, NH
        alu     mul, d1+NH*6, xin(L2), s1, NH       # d1_6 = (W2 d2_6) (1 - h6^2)
        alu     sigmoid, y+NO*7, xout(L2), NO       # y7 = sigmoid(W2^T h7)
        ld      t, ts+NO*7, NO                      # target t7
        alu     sub, d2+NO*7, y+NO*7, t, NO         # y7 - t7
        alu     sigmoid_d, s2, y+NO*7, NO
        alu     mul, d2+NO*7, d2+NO*7, s2, NO       # d2_7: output delta
        cp      xout(L2), d2+NO*7, NO               # next MTVM input: d2_7
        # -- step 9: MCU1 MTVM (d2_7) (gh7)
        mcu     L2:mtvm
        alu     tanh_d, s1, h+NH*7, NH
        alu     mul, d1+NH*7, xin(L2), s1, NH       # d1_7 = (W2 d2_7) (1 - h7^2)
        # -- steps 10-17 (Table 2's steps 9-12): the 16 OPAs, one mcu instruction per sample.
        # Each snapshots its operands now (variants 1-2 save them, variant 3 applies them to
        # its third copy); the weights MVM and MTVM use change only at hlt.
        ld      xin(L1), xs+NI*0, NI                # rows of layer 1: x0
        alui    mul, xout(L1), d1+NH*0, LR_B, NH    # columns: -lr/B d1_0
        cp      xin(L2), h+NH*0, NH                 # rows of layer 2: h0
        alui    mul, xout(L2), d2+NO*0, LR_B, NO    # columns: -lr/B d2_0
        mcu     L1:opa, L2:opa                      # W1 += x0 (-lr/B d1_0)^T, W2 += h0 (-lr/B d2_0)^T
        ld      xin(L1), xs+NI*1, NI                # rows of layer 1: x1
        alui    mul, xout(L1), d1+NH*1, LR_B, NH    # columns: -lr/B d1_1
        cp      xin(L2), h+NH*1, NH                 # rows of layer 2: h1
        alui    mul, xout(L2), d2+NO*1, LR_B, NO    # columns: -lr/B d2_1
        mcu     L1:opa, L2:opa                      # W1 += x1 (-lr/B d1_1)^T, W2 += h1 (-lr/B d2_1)^T
        ld      xin(L1), xs+NI*2, NI                # rows of layer 1: x2
        alui    mul, xout(L1), d1+NH*2, LR_B, NH    # columns: -lr/B d1_2
        cp      xin(L2), h+NH*2, NH                 # rows of layer 2: h2
        alui    mul, xout(L2), d2+NO*2, LR_B, NO    # columns: -lr/B d2_2
        mcu     L1:opa, L2:opa                      # W1 += x2 (-lr/B d1_2)^T, W2 += h2 (-lr/B d2_2)^T
        ld      xin(L1), xs+NI*3, NI                # rows of layer 1: x3
        alui    mul, xout(L1), d1+NH*3, LR_B, NH    # columns: -lr/B d1_3
        cp      xin(L2), h+NH*3, NH                 # rows of layer 2: h3
        alui    mul, xout(L2), d2+NO*3, LR_B, NO    # columns: -lr/B d2_3
        mcu     L1:opa, L2:opa                      # W1 += x3 (-lr/B d1_3)^T, W2 += h3 (-lr/B d2_3)^T
        ld      xin(L1), xs+NI*4, NI                # rows of layer 1: x4
        alui    mul, xout(L1), d1+NH*4, LR_B, NH    # columns: -lr/B d1_4
        cp      xin(L2), h+NH*4, NH                 # rows of layer 2: h4
        alui    mul, xout(L2), d2+NO*4, LR_B, NO    # columns: -lr/B d2_4
        mcu     L1:opa, L2:opa                      # W1 += x4 (-lr/B d1_4)^T, W2 += h4 (-lr/B d2_4)^T
        ld      xin(L1), xs+NI*5, NI                # rows of layer 1: x5
        alui    mul, xout(L1), d1+NH*5, LR_B, NH    # columns: -lr/B d1_5
        cp      xin(L2), h+NH*5, NH                 # rows of layer 2: h5
        alui    mul, xout(L2), d2+NO*5, LR_B, NO    # columns: -lr/B d2_5
        mcu     L1:opa, L2:opa                      # W1 += x5 (-lr/B d1_5)^T, W2 += h5 (-lr/B d2_5)^T
        ld      xin(L1), xs+NI*6, NI                # rows of layer 1: x6
        alui    mul, xout(L1), d1+NH*6, LR_B, NH    # columns: -lr/B d1_6
        cp      xin(L2), h+NH*6, NH                 # rows of layer 2: h6
        alui    mul, xout(L2), d2+NO*6, LR_B, NO    # columns: -lr/B d2_6
        mcu     L1:opa, L2:opa                      # W1 += x6 (-lr/B d1_6)^T, W2 += h6 (-lr/B d2_6)^T
        ld      xin(L1), xs+NI*7, NI                # rows of layer 1: x7
        alui    mul, xout(L1), d1+NH*7, LR_B, NH    # columns: -lr/B d1_7
        cp      xin(L2), h+NH*7, NH                 # rows of layer 2: h7
        alui    mul, xout(L2), d2+NO*7, LR_B, NO    # columns: -lr/B d2_7
        mcu     L1:opa, L2:opa                      # W1 += x7 (-lr/B d1_7)^T, W2 += h7 (-lr/B d2_7)^T
        hlt                                         # apply the 16 OPAs in program order
