using ILGPU;

namespace DeepPcr.Gpu.Kernels;

/// <summary>
/// The sequential baselines' kernels. Per layer: one fused kernel per layer (matmul + bias + activation
/// forward; transposed matmul times act' backward), one thread per output value, launched L times.
/// Persistent: one launch walks all L layers, one group per sample with its state in shared memory and a
/// group barrier between layers; the threads of a group stride over the w outputs.
/// </summary>
public static class SequentialKernels
{
    /// <summary>The largest width the persistent kernels' shared state holds.</summary>
    public const int MaxWidth = Model.MlpModel.MaxWidth;

    /// <summary>z_{k+1}[b, i] = act(b_k[i] + W_k[i, :] z_k[b, :]) for one layer k. Index space: B w.</summary>
    /// <param name="index">Flat (b, i).</param>
    /// <param name="d">Sizes and activation.</param>
    /// <param name="k">The layer.</param>
    /// <param name="input">(B, w): z_0.</param>
    /// <param name="states">(L, B, w): row k - 1 read, row k written.</param>
    /// <param name="weights">(L, w, w).</param>
    /// <param name="biases">(L, w).</param>
    public static void LayerForward(Index1D index, ChainDims d, int k, ArrayView<float> input, ArrayView<float> states,
        ArrayView<float> weights, ArrayView<float> biases)
    {
        int w = d.Width, b = index / w, i = index % w;
        float pre = biases[k * w + i];
        int wRow = (k * w + i) * w;
        if (k == 0)
        {
            for (int j = 0; j < w; j++) pre += weights[wRow + j] * input[b * w + j];
        }
        else
        {
            int zRow = ((k - 1) * d.Batch + b) * w;
            for (int j = 0; j < w; j++) pre += weights[wRow + j] * states[zRow + j];
        }
        states[(k * d.Batch + b) * w + i] = DeviceMath.Activate(d.Activation, pre);
    }

    /// <summary>
    /// lambda_k[b, j] = sum_i W_k[i, j] act'(z_{k+1}[b, i]) lambda_{k+1}[b, i] for one layer k &gt;= 1 (natural
    /// order: row k - 1 written from row k). Index space: B w.
    /// </summary>
    /// <param name="index">Flat (b, j).</param>
    /// <param name="d">Sizes and activation.</param>
    /// <param name="k">The layer (1..L-1).</param>
    /// <param name="states">(L, B, w).</param>
    /// <param name="weights">(L, w, w).</param>
    /// <param name="lambda">(L, B, w).</param>
    public static void LayerBackward(Index1D index, ChainDims d, int k, ArrayView<float> states, ArrayView<float> weights, ArrayView<float> lambda)
    {
        int w = d.Width, b = index / w, j = index % w;
        int row = (k * d.Batch + b) * w;
        float sum = 0f;
        for (int i = 0; i < w; i++)
            sum += weights[(k * w + i) * w + j] * DeviceMath.DerivativeFromOutput(d.Activation, states[row + i]) * lambda[row + i];
        lambda[((k - 1) * d.Batch + b) * w + j] = sum;
    }

    /// <summary>All L layers forward for one sample per group (grid B); states written to global memory as they go.</summary>
    /// <param name="d">Sizes and activation.</param>
    /// <param name="input">(B, w).</param>
    /// <param name="states">(L, B, w), written.</param>
    /// <param name="weights">(L, w, w).</param>
    /// <param name="biases">(L, w).</param>
    public static void PersistentForward(ChainDims d, ArrayView<float> input, ArrayView<float> states, ArrayView<float> weights, ArrayView<float> biases)
    {
        var state = SharedMemory.Allocate<float>(2 * MaxWidth);
        int w = d.Width, b = Grid.IdxX, t = Group.IdxX, threads = Group.DimX;
        for (int i = t; i < w; i += threads) state[i] = input[b * w + i];
        Group.Barrier();
        for (int k = 0; k < d.Layers; k++)
        {
            int from = (k & 1) * MaxWidth, to = MaxWidth - from;
            for (int i = t; i < w; i += threads)
            {
                float pre = biases[k * w + i];
                int wRow = (k * w + i) * w;
                for (int j = 0; j < w; j++) pre += weights[wRow + j] * state[from + j];
                float z = DeviceMath.Activate(d.Activation, pre);
                state[to + i] = z;
                states[(k * d.Batch + b) * w + i] = z;
            }
            Group.Barrier();
        }
    }

    /// <summary>
    /// All state gradients backward for one sample per group (grid B): lambda_L = g, then
    /// lambda_k = W_k^T (act'(z_{k+1}) * lambda_{k+1}) for k = L-1..1, in natural order.
    /// </summary>
    /// <param name="d">Sizes and activation.</param>
    /// <param name="cotangent">(B, w): g.</param>
    /// <param name="states">(L, B, w).</param>
    /// <param name="weights">(L, w, w).</param>
    /// <param name="lambda">(L, B, w), written.</param>
    public static void PersistentBackward(ChainDims d, ArrayView<float> cotangent, ArrayView<float> states, ArrayView<float> weights, ArrayView<float> lambda)
    {
        var delta = SharedMemory.Allocate<float>(MaxWidth);
        int w = d.Width, b = Grid.IdxX, t = Group.IdxX, threads = Group.DimX;
        int last = ((d.Layers - 1) * d.Batch + b) * w;
        for (int i = t; i < w; i += threads) lambda[last + i] = cotangent[b * w + i];
        for (int k = d.Layers - 1; k >= 1; k--)
        {
            int row = (k * d.Batch + b) * w;
            for (int i = t; i < w; i += threads)
            {
                float g = k == d.Layers - 1 ? cotangent[b * w + i] : lambda[row + i];
                delta[i] = DeviceMath.DerivativeFromOutput(d.Activation, states[row + i]) * g;
            }
            Group.Barrier();
            for (int j = t; j < w; j += threads)
            {
                float sum = 0f;
                for (int i = 0; i < w; i++) sum += weights[(k * w + i) * w + j] * delta[i];
                lambda[row - d.Batch * w + j] = sum;
            }
            Group.Barrier();
        }
    }
}
