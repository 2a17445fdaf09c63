using ILGPU;
using ILGPU.Algorithms;

namespace DeepPcr.Gpu.Kernels;

/// <summary>
/// A whole Newton iteration, or the whole backward pass, in one launch of one thread group: the group strides
/// over each stage's values (<see cref="ChainElements"/>) with a group barrier between stages and between PCR
/// rounds, which also orders the global-memory writes within the group. For small problems (L B w^3 up to a
/// few hundred thousand multiply-adds per round) the device is limited by launches, not arithmetic: this path
/// replaces the ceil(log2 L) + 3 launches of an iteration (and the memset of the stopping slots: the group
/// reduces alone and writes them) by one, leaving one launch and one two-int readback per Newton iteration,
/// and one launch for the backward pass. Larger problems use the one-thread-per-value kernels, which spread
/// over every multiprocessor. Group size: a power of two up to <see cref="MaxGroupSize"/>.
/// </summary>
public static class OneGroupKernels
{
    /// <summary>The largest group the reduction's shared memory holds.</summary>
    public const int MaxGroupSize = 1024;

    /// <summary>
    /// One correction-form Newton iteration from v.States: evaluate, Jacobians, PCR on the residual (z_0 = 0),
    /// next = z + d into v.Next, and the stopping ratio and residual max-norm into v.Flags. Launch: 1 group.
    /// </summary>
    /// <param name="v">The workspace's views.</param>
    /// <param name="d">Sizes and activation.</param>
    /// <param name="atol">Absolute tolerance.</param>
    /// <param name="rtol">Relative tolerance.</param>
    public static void NewtonIteration(ChainViews v, ChainDims d, float atol, float rtol)
    {
        int t = Group.IdxX, threads = Group.DimX;
        int states = d.States, blocks = d.Layers * d.Batch * d.Width * d.Width;
        for (int e = t; e < states; e += threads)
            ChainElements.Evaluate(e, d, v.Input, v.States, v.Weights, v.Biases, v.Outputs, v.Derivatives, v.RhsA);
        Group.Barrier();
        for (int e = t; e < blocks; e += threads) ChainElements.Jacobian(e, d, v.Derivatives, v.Weights, v.BlocksA);
        Group.Barrier();
        int rounds = Rounds(v, d, blocks);
        var correction = (rounds & 1) == 0 ? v.RhsA : v.RhsB;

        var ratios = SharedMemory.Allocate<int>(MaxGroupSize);
        var residuals = SharedMemory.Allocate<int>(MaxGroupSize);
        int ratioBits = 0, residualBits = 0;
        for (int e = t; e < states; e += threads)
        {
            float z = v.States[e];
            float updated = z + correction[e];
            v.Next[e] = updated;
            ratioBits = XMath.Max(ratioBits, DeviceMath.OrderedBits(XMath.Abs(updated - z) / (atol + rtol * XMath.Abs(z))));
            residualBits = XMath.Max(residualBits, DeviceMath.OrderedBits(XMath.Abs(v.Outputs[e] - z)));
        }
        ratios[t] = ratioBits;
        residuals[t] = residualBits;
        Group.Barrier();
        for (int half = threads / 2; half > 0; half /= 2)
        {
            if (t < half)
            {
                ratios[t] = XMath.Max(ratios[t], ratios[t + half]);
                residuals[t] = XMath.Max(residuals[t], residuals[t + half]);
            }
            Group.Barrier();
        }
        if (t == 0)
        {
            v.Flags[NewtonKernels.RatioSlot] = ratios[0];
            v.Flags[NewtonKernels.ResidualSlot] = residuals[0];
        }
    }

    /// <summary>
    /// The whole backward pass at <paramref name="states"/>: reversed transposed blocks, c = (g, 0, ..., 0),
    /// PCR, then the input and parameter gradients (state gradients left in reversed order in v.RhsA or v.RhsB
    /// by the parity of the rounds). Launch: 1 group.
    /// </summary>
    /// <param name="v">The workspace's views.</param>
    /// <param name="states">(L, B, w): the forward states.</param>
    /// <param name="d">Sizes and activation.</param>
    public static void Backward(ChainViews v, ArrayView<float> states, ChainDims d)
    {
        int t = Group.IdxX, threads = Group.DimX;
        int blocks = d.Layers * d.Batch * d.Width * d.Width;
        for (int e = t; e < blocks; e += threads) ChainElements.ReversedTransposedJacobian(e, d, states, v.Weights, v.BlocksA);
        for (int e = t; e < d.States; e += threads) v.RhsA[e] = e < d.Row ? v.Cotangent[e] : 0f;
        Group.Barrier();
        int rounds = Rounds(v, d, blocks);
        var lambda = (rounds & 1) == 0 ? v.RhsA : v.RhsB;
        for (int e = t; e < d.Row; e += threads) ChainElements.InputGradient(e, d, states, v.Weights, lambda, 1, v.InputGradient);
        int parameters = d.Layers * d.Width * (d.Width + 1);
        for (int e = t; e < parameters; e += threads)
            ChainElements.ParameterGradient(e, d, v.Input, states, lambda, 1, v.WeightGradients, v.BiasGradients);
    }

    /// <summary>PCR rounds on (BlocksA, RhsA) with the ping-pong partners; returns the number of rounds (the solution is in RhsA when even, RhsB when odd).</summary>
    private static int Rounds(ChainViews v, ChainDims d, int blocks)
    {
        int t = Group.IdxX, threads = Group.DimX;
        int round = 0;
        for (int s = 1; s < d.Layers; s *= 2)
        {
            bool even = (round & 1) == 0;
            var aIn = even ? v.BlocksA : v.BlocksB;
            var aOut = even ? v.BlocksB : v.BlocksA;
            var cIn = even ? v.RhsA : v.RhsB;
            var cOut = even ? v.RhsB : v.RhsA;
            for (int e = t; e < blocks; e += threads) ChainElements.Round(e, d, s, aIn, aOut, cIn, cOut);
            Group.Barrier();
            round++;
        }
        return round;
    }
}
