/*
 * The single-threaded C reference for the fused sequential MLP loop (issue 21, DESIGN.md section 4): the loop a
 * user would write in C, compiled with gcc -O3 -march=native -ffast-math (glibc's tanhf/expf, which gcc may call
 * in their libmvec vector forms). `deeppcr mlp` and `deeppcr bench mlp` build it into a shared library and time it
 * in the same process as the C# loop, interleaved.
 *
 *   z_{k+1} = act(W_k z_k + b_k), k = 0..L-1; W (L, w, w) row-major (row i maps to output i), b (L, w);
 *   states (L + 1, B, w): z_0 = input .. z_L. The backward pass of sum(z_L * g) walks the layers down with
 *   delta = act'(W z + b) * lambda read from the kept states, dW_k = sum_b delta z^T, db_k = sum_b delta,
 *   lambda = W^T delta.
 *
 * act: 0 tanh, 1 relu, 2 sigmoid, 3 identity.
 */
#include <math.h>
#include <string.h>

static void activate(int act, float *restrict x, int n)
{
    switch (act) {
    case 0: for (int e = 0; e < n; e++) x[e] = tanhf(x[e]); break;
    case 1: for (int e = 0; e < n; e++) x[e] = x[e] > 0.0f ? x[e] : 0.0f; break;
    case 2: for (int e = 0; e < n; e++) x[e] = 1.0f / (1.0f + expf(-x[e])); break;
    default: break;
    }
}

static void slope_times(int act, const float *restrict a, const float *restrict lambda, float *restrict delta, int n)
{
    switch (act) {
    case 0: for (int e = 0; e < n; e++) delta[e] = (1.0f - a[e] * a[e]) * lambda[e]; break;
    case 1: for (int e = 0; e < n; e++) delta[e] = a[e] > 0.0f ? lambda[e] : 0.0f; break;
    case 2: for (int e = 0; e < n; e++) delta[e] = (a[e] - a[e] * a[e]) * lambda[e]; break;
    default: for (int e = 0; e < n; e++) delta[e] = lambda[e]; break;
    }
}

/* states (L + 1, B, w), written: states[0] = input. */
void fused_mlp_forward(int layers, int width, int batch, int act, const float *restrict weights,
                       const float *restrict biases, const float *restrict input, float *restrict states)
{
    const int w = width, row = batch * width;
    memcpy(states, input, sizeof(float) * row);
    for (int k = 0; k < layers; k++) {
        const float *restrict W = weights + (long)k * w * w, *restrict b = biases + (long)k * w;
        const float *restrict z = states + (long)k * row;
        float *restrict out = states + (long)(k + 1) * row;
        for (int s = 0; s < batch; s++) {
            for (int i = 0; i < w; i++) {
                float sum = b[i];
                for (int j = 0; j < w; j++) sum += W[i * w + j] * z[s * w + j];
                out[s * w + i] = sum;
            }
        }
        activate(act, out, row);
    }
}

/* gw (L, w, w), gb (L, w), gx (B, w) overwritten; delta (B, w) scratch. */
void fused_mlp_backward(int layers, int width, int batch, int act, const float *restrict weights,
                        const float *restrict states, const float *restrict cotangent, float *restrict gw,
                        float *restrict gb, float *restrict gx, float *restrict delta)
{
    const int w = width, row = batch * width;
    float *restrict lambda = gx;
    memcpy(lambda, cotangent, sizeof(float) * row);
    for (int k = layers - 1; k >= 0; k--) {
        const float *restrict W = weights + (long)k * w * w;
        const float *restrict z = states + (long)k * row, *restrict a = states + (long)(k + 1) * row;
        float *restrict dW = gw + (long)k * w * w, *restrict db = gb + (long)k * w;
        slope_times(act, a, lambda, delta, row);
        memset(dW, 0, sizeof(float) * w * w);
        memset(db, 0, sizeof(float) * w);
        for (int s = 0; s < batch; s++) {
            for (int i = 0; i < w; i++) {
                const float d = delta[s * w + i];
                db[i] += d;
                for (int j = 0; j < w; j++) dW[i * w + j] += d * z[s * w + j];
            }
        }
        for (int s = 0; s < batch; s++) {
            float *restrict l = lambda + s * w;
            for (int j = 0; j < w; j++) l[j] = 0.0f;
            for (int i = 0; i < w; i++) {
                const float d = delta[s * w + i];
                for (int j = 0; j < w; j++) l[j] += W[i * w + j] * d;
            }
        }
    }
}
