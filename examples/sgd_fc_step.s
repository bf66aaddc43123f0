# One SGD training step of a fully-connected layer on one MCU (PANTHER variant 1).
#
#   forward   z = W^T x            (MVM: XBarIn -> XBarOut)
#             y = sigmoid(z)       (VFU, PLAN approximation)
#   loss      L = 1/2 |y - t|^2    so  dL/dy = y - t
#   backward  delta = (y - t) * y (1 - y)      (dL/dz; sigmoid_d takes the activation y)
#             gx = W delta         (MTVM: XBarOut -> XBarIn; the gradient for a layer below)
#   update    W += x (-lr delta)^T (OPA, applied at hlt)
#
# W is NI x NO: row i = input i, column j = output j, so y_j = sum_i W[i, j] x_i.
# Checked by `panther run examples/sgd_fc_step.s` against a float numpy reference.

.equ NI, 8                  # inputs  (crossbar rows used)
.equ NO, 4                  # outputs (crossbar columns used)
.equ LR_DIV, 8              # learning rate 1/LR_DIV = 0.125
.check sgd_fc_step         # the float reference check (isa/golden/reference.py)
.mcu L1, 0

.region x,     0, NI        # input activations
.region t,    16, NO        # targets
.region y,    32, NO        # output activations
.region e,    48, NO        # y - t, then delta
.region dy,   64, NO        # sigmoid'(z) from y
.region gx,   80, NI        # dL/dx (MTVM result)

.data x, -0.3098, 0.8936, 0.1268, -0.1345, 0.8009, -0.3613, 0.3920, -0.3724
.data t, 0.3092, 0.6607, 0.2823, 0.4945
.weights L1, 0, -0.3966, 0.1203, -0.9482, 0.6979
.weights L1, 1, 0.3191, -0.1460, -0.1560, 0.1519
.weights L1, 2, -0.1338, -0.1130, 0.3600, 0.2574
.weights L1, 3, -0.0321, -0.0427, 0.0805, -0.3070
.weights L1, 4, -0.2019, 0.2741, -0.0652, -0.6872
.weights L1, 5, -0.2386, 0.3283, -0.1161, -0.0744
.weights L1, 6, 0.3209, 0.9123, -0.3566, 0.6741
.weights L1, 7, -0.6150, 0.0875, -0.5848, 0.6757

        cp      xin(L1), x, NI              # forward: drive the rows with x
        mcu     L1:mvm                      # XBarOut = W^T x
        alu     sigmoid, y, xout(L1), NO    # y = sigmoid(z)
        alu     sub, e, y, t, NO            # dL/dy = y - t
        alu     sigmoid_d, dy, y, NO        # y (1 - y)
        alu     mul, e, e, dy, NO           # delta = dL/dz
        cp      xout(L1), e, NO             # backward: drive the columns with delta
        mcu     L1:mtvm                     # XBarIn = W delta
        cp      gx, xin(L1), NI
        cp      xin(L1), x, NI              # OPA operands: x on the rows,
        alui    mul, xout(L1), e, -1.0/LR_DIV, NO   # -lr delta on the columns
        mcu     L1:opa                      # W += x (-lr delta)^T, deferred to hlt
        hlt
