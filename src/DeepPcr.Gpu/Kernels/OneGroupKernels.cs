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
/// and one launch for the backward pass; <see cref="NewtonLoop"/> goes further and runs the whole Newton loop,
/// stopping test included, in one launch. Larger problems use the one-thread-per-value kernels, which spread
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
        var ratios = SharedMemory.Allocate<int>(MaxGroupSize);
        var residuals = SharedMemory.Allocate<int>(MaxGroupSize);
        Iterate(v, d, v.States, v.Next, atol, rtol, ratios, residuals);
        if (Group.IdxX == 0)
        {
            v.Flags[NewtonKernels.RatioSlot] = ratios[0];
            v.Flags[NewtonKernels.ResidualSlot] = residuals[0];
        }
    }

    /// <summary>
    /// The whole Newton loop from iteration <paramref name="first"/>, with the stopping test on the device: the
    /// iterate alternates between v.States (even steps from <paramref name="first"/>) and v.Next (odd ones).
    /// Ends when the test holds (status 0), at the iteration limit (1) or at a non-finite ratio or residual (2:
    /// the host recomputes that step in the DEER form and launches again). v.Flags receives the last ratio and
    /// residual bits, the status, the last iteration and the parity of the buffer that holds its iterate;
    /// v.History[n] the residual max-norm of iteration n. Launch: 1 group.
    /// </summary>
    /// <param name="v">The workspace's views.</param>
    /// <param name="d">Sizes and activation.</param>
    /// <param name="atol">Absolute tolerance.</param>
    /// <param name="rtol">Relative tolerance.</param>
    /// <param name="first">The first iteration's number (0 from the cold guess).</param>
    /// <param name="maxIterations">The iteration limit.</param>
    public static void NewtonLoop(ChainViews v, ChainDims d, float atol, float rtol, int first, int maxIterations)
    {
        var ratios = SharedMemory.Allocate<int>(MaxGroupSize);
        var residuals = SharedMemory.Allocate<int>(MaxGroupSize);
        int iteration = first, status = 1;
        for (; ; iteration++)
        {
            bool even = ((iteration - first) & 1) == 0;
            Iterate(v, d, even ? v.States : v.Next, even ? v.Next : v.States, atol, rtol, ratios, residuals);
            int ratioBits = ratios[0], residualBits = residuals[0];
            if (Group.IdxX == 0) v.History[iteration] = NewtonKernels.FromOrderedBits(residualBits);
            if (ratioBits == int.MaxValue || ratioBits >= PositiveInfinityBits || residualBits >= PositiveInfinityBits)
            {
                status = 2;
                break;
            }
            if (ratioBits <= OneBits)
            {
                status = 0;
                break;
            }
            if (iteration >= maxIterations) break;
        }
        if (Group.IdxX == 0)
        {
            v.Flags[NewtonKernels.RatioSlot] = ratios[0];
            v.Flags[NewtonKernels.ResidualSlot] = residuals[0];
            v.Flags[NewtonKernels.StatusSlot] = status;
            v.Flags[NewtonKernels.IterationSlot] = iteration;
            v.Flags[NewtonKernels.ParitySlot] = (iteration - first) & 1;
        }
    }

    /// <summary>The bits of 1.0f: a ratio at most 1 passes the stopping test.</summary>
    private const int OneBits = 0x3F800000;

    /// <summary>The bits of +infinity (NaN is above it, as int.MaxValue).</summary>
    private const int PositiveInfinityBits = 0x7F800000;

    /// <summary>
    /// One iteration from z into next; ends with the group's maxima of the stopping ratio and the residual in
    /// ratios[0] and residuals[0], visible to every thread (a barrier follows the reduction).
    /// </summary>
    private static void Iterate(ChainViews v, ChainDims d, ArrayView<float> z, ArrayView<float> next, float atol, float rtol,
        ArrayView<int> ratios, ArrayView<int> residuals)
    {
        int t = Group.IdxX, threads = Group.DimX;
        int states = d.States, blocks = d.Layers * d.Batch * d.Width * d.Width;
        for (int e = t; e < states; e += threads)
            ChainElements.Evaluate(e, d, v.Input, z, v.Weights, v.Biases, v.Outputs, v.Derivatives, v.RhsA);
        Group.Barrier();
        for (int e = t; e < blocks; e += threads) ChainElements.Jacobian(e, d, v.Derivatives, v.Weights, v.BlocksA);
        Group.Barrier();
        int rounds = Rounds(v, d, blocks);
        var correction = (rounds & 1) == 0 ? v.RhsA : v.RhsB;

        int ratioBits = 0, residualBits = 0;
        for (int e = t; e < states; e += threads)
        {
            float current = z[e];
            float updated = current + correction[e];
            next[e] = updated;
            ratioBits = XMath.Max(ratioBits, DeviceMath.OrderedBits(XMath.Abs(updated - current) / (atol + rtol * XMath.Abs(current))));
            residualBits = XMath.Max(residualBits, DeviceMath.OrderedBits(XMath.Abs(v.Outputs[e] - current)));
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
