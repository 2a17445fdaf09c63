using ILGPU;

namespace DeepPcr.Gpu.Kernels;

/// <summary>
/// Kernels that evaluate all L layers at once, each on its own input, and assemble their Jacobians and
/// gradients. One thread per output value: every layer, sample and output is independent here, so the
/// L B w (or L B w^2) threads fill the device even at B = 1; each thread reads one row of W_k (w values,
/// shared through the cache by the B w threads of a layer).
/// </summary>
public static class LayerKernels
{
    /// <summary>
    /// For every (k, b, i): pre = b_k[i] + W_k[i, :] z_k[b, :] with z_0 = x and z_k = states[k - 1];
    /// outputs = act(pre), derivatives = act'(pre), residuals = outputs - states. Index space: L B w.
    /// </summary>
    /// <param name="index">Flat (k, b, i).</param>
    /// <param name="d">Sizes and activation.</param>
    /// <param name="input">(B, w): z_0.</param>
    /// <param name="states">(L, B, w): the current guess of z_1..z_L.</param>
    /// <param name="weights">(L, w, w).</param>
    /// <param name="biases">(L, w).</param>
    /// <param name="outputs">(L, B, w): f_k(z_k), written.</param>
    /// <param name="derivatives">(L, B, w): act'(pre), written.</param>
    /// <param name="residuals">(L, B, w): f_k(z_k) - z_{k+1}, the right-hand side of the correction-form Newton step, written.</param>
    public static void Evaluate(Index1D index, ChainDims d, ArrayView<float> input, ArrayView<float> states,
        ArrayView<float> weights, ArrayView<float> biases, ArrayView<float> outputs, ArrayView<float> derivatives, ArrayView<float> residuals) =>
        ChainElements.Evaluate(index, d, input, states, weights, biases, outputs, derivatives, residuals);

    /// <summary>
    /// J_k = diag(act') W_k for every layer and sample: blocks[k, b, i, j] = derivatives[k, b, i] W_k[i, j].
    /// Index space: L B w^2, one thread per entry (coalesced writes).
    /// </summary>
    /// <param name="index">Flat (k, b, i, j).</param>
    /// <param name="d">Sizes.</param>
    /// <param name="derivatives">(L, B, w).</param>
    /// <param name="weights">(L, w, w).</param>
    /// <param name="blocks">(L, B, w, w), written.</param>
    public static void Jacobian(Index1D index, ChainDims d, ArrayView<float> derivatives, ArrayView<float> weights, ArrayView<float> blocks) =>
        ChainElements.Jacobian(index, d, derivatives, weights, blocks);

    /// <summary>
    /// The blocks of the reversed adjoint chain: row r &gt;= 1 holds J_{L-r}^T (0-based layer L - r), with
    /// act' taken from that layer's output state; row 0 is set to zero (PCR never reads it: the chain
    /// starts from zero). blocks[r, b, i, j] = act'(z_{L-r+1}[b, j]) W_{L-r}[j, i]. Index space: L B w^2.
    /// </summary>
    /// <param name="index">Flat (r, b, i, j).</param>
    /// <param name="d">Sizes and activation.</param>
    /// <param name="states">(L, B, w): the accepted forward states.</param>
    /// <param name="weights">(L, w, w).</param>
    /// <param name="blocks">(L, B, w, w), written.</param>
    public static void ReversedTransposedJacobian(Index1D index, ChainDims d, ArrayView<float> states, ArrayView<float> weights, ArrayView<float> blocks) =>
        ChainElements.ReversedTransposedJacobian(index, d, states, weights, blocks);

    /// <summary>
    /// DEER right-hand side c_k = f_k(z_k) - J_k z_k for every (k, b, i), used only to recover from a
    /// non-finite correction (the DEER form never reads z_{k+1} for row k). Index space: L B w.
    /// </summary>
    /// <param name="index">Flat (k, b, i).</param>
    /// <param name="d">Sizes.</param>
    /// <param name="input">(B, w).</param>
    /// <param name="states">(L, B, w).</param>
    /// <param name="blocks">(L, B, w, w): J_k.</param>
    /// <param name="outputs">(L, B, w): f_k(z_k).</param>
    /// <param name="rhs">(L, B, w), written.</param>
    public static void DeerRightHandSide(Index1D index, ChainDims d, ArrayView<float> input, ArrayView<float> states,
        ArrayView<float> blocks, ArrayView<float> outputs, ArrayView<float> rhs)
    {
        int w = d.Width;
        int k = index / d.Row, b = index / w % d.Batch, i = index % w;
        int blockRow = index * w;
        float sum = outputs[index];
        for (int j = 0; j < w; j++)
        {
            float zj = k == 0 ? input[b * w + j] : states[((k - 1) * d.Batch + b) * w + j];
            sum -= blocks[blockRow + j] * zj;
        }
        rhs[index] = sum;
    }
}
