using ILGPU;

namespace DeepPcr.Gpu.Kernels;

/// <summary>
/// The parallel tail of every backward pass: given the state gradients lambda_{k+1} = dLoss/dz_{k+1} of all
/// layers, the parameter gradients and the input gradient are independent per entry. Shared by DeepPCR and
/// both sequential baselines, so that every method pays the same for them. act' is taken from each layer's
/// output state (1 - z^2 for tanh), so no pre-activation is stored. Sums over the batch accumulate in float64.
/// State gradients may be stored in natural order (row k = lambda_{k+1}) or reversed (row L-1-k, as the
/// reversed PCR chain leaves them).
/// </summary>
public static class GradientKernels
{
    /// <summary>
    /// dW_k[i, j] = sum_b delta_k[b, i] z_k[b, j] for j &lt; w and db_k[i] = sum_b delta_k[b, i] for j = w,
    /// with delta_k = act'(z_{k+1}) * lambda_{k+1}. Index space: L w (w + 1).
    /// </summary>
    /// <param name="index">Flat (k, i, j) with j in 0..w.</param>
    /// <param name="d">Sizes and activation.</param>
    /// <param name="input">(B, w): z_0.</param>
    /// <param name="states">(L, B, w): z_1..z_L.</param>
    /// <param name="lambda">(L, B, w): state gradients.</param>
    /// <param name="reversed">1 when row L-1-k holds lambda_{k+1}, 0 when row k does.</param>
    /// <param name="weightGradients">(L, w, w), written.</param>
    /// <param name="biasGradients">(L, w), written.</param>
    public static void Parameters(Index1D index, ChainDims d, ArrayView<float> input, ArrayView<float> states, ArrayView<float> lambda,
        int reversed, ArrayView<float> weightGradients, ArrayView<float> biasGradients) =>
        ChainElements.ParameterGradient(index, d, input, states, lambda, reversed, weightGradients, biasGradients);

    /// <summary>
    /// The input gradient J_0^T lambda_1: xbar[b, j] = sum_i W_0[i, j] act'(z_1[b, i]) lambda_1[b, i]. Index space: B w.
    /// </summary>
    /// <param name="index">Flat (b, j).</param>
    /// <param name="d">Sizes and activation.</param>
    /// <param name="states">(L, B, w).</param>
    /// <param name="weights">(L, w, w).</param>
    /// <param name="lambda">(L, B, w): state gradients.</param>
    /// <param name="reversed">1 when lambda is in reversed order.</param>
    /// <param name="inputGradient">(B, w), written.</param>
    public static void Input(Index1D index, ChainDims d, ArrayView<float> states, ArrayView<float> weights, ArrayView<float> lambda,
        int reversed, ArrayView<float> inputGradient) =>
        ChainElements.InputGradient(index, d, states, weights, lambda, reversed, inputGradient);
}
