using ILGPU;
using ILGPU.Algorithms;

namespace DeepPcr.Gpu.Kernels;

/// <summary>
/// A whole Newton iteration, or the whole backward pass, in one launch of one thread group: the group strides
/// over each stage's values (<see cref="ChainElements"/>) with a group barrier between stages and between PCR
/// rounds, which also orders the global-memory writes within the group. For small problems (L B w^3 up to a
/// few hundred thousand multiply-adds per round) the device is limited by launches, not arithmetic: this path
/// replaces the ceil(log2 L) + 3 launches of an iteration (and the memset of the stopping slots: the group
/// reduces alone and writes them) by one, leaving one launch and one four-int readback per Newton iteration,
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
    /// next = z + d into v.Next, and the stopping ratio, the residual and update max-norms and the PCR rounds into
    /// v.Flags. Launch: 1 group.
    /// </summary>
    /// <param name="v">The workspace's views.</param>
    /// <param name="d">Sizes and activation.</param>
    /// <param name="atol">Absolute tolerance.</param>
    /// <param name="rtol">Relative tolerance.</param>
    public static void NewtonIteration(ChainViews v, ChainDims d, float atol, float rtol)
    {
        var norms = Norms.Allocate();
        int rounds = Iterate(v, d, v.States, v.Next, atol, rtol, norms);
        if (Group.IdxX == 0) norms.WriteTo(v.Flags, rounds);
    }

    /// <summary>
    /// The Newton loop from iteration <paramref name="first"/>, with the stopping test on the device: the iterate
    /// alternates between v.States (even steps from <paramref name="first"/>) and v.Next (odd ones). Ends when the
    /// test holds (status 0), at the iteration limit or at the last iteration the history holds (1: the host
    /// relaunches below the limit), or at a non-finite ratio or residual (2: the host recomputes that step in the
    /// DEER form and launches again). v.Flags receives the last iteration's measure (as
    /// <see cref="NewtonIteration"/>), the status, the last iteration and the parity of the buffer that holds its
    /// iterate; v.History[<see cref="NewtonKernels.HistoryStride"/> (n - first)] the residual and update max-norms
    /// of iteration n, for n from <paramref name="first"/> on. Launch: 1 group.
    /// </summary>
    /// <param name="v">The workspace's views.</param>
    /// <param name="d">Sizes and activation.</param>
    /// <param name="atol">Absolute tolerance.</param>
    /// <param name="rtol">Relative tolerance.</param>
    /// <param name="first">The first iteration's number (0 from the cold guess).</param>
    /// <param name="maxIterations">The iteration limit.</param>
    public static void NewtonLoop(ChainViews v, ChainDims d, float atol, float rtol, int first, int maxIterations)
    {
        var norms = Norms.Allocate();
        int last = XMath.Min(maxIterations, first + v.History.IntLength / NewtonKernels.HistoryStride - 1);
        int iteration = first, status = 1, rounds = 0;
        for (; ; iteration++)
        {
            bool even = ((iteration - first) & 1) == 0;
            rounds = Iterate(v, d, even ? v.States : v.Next, even ? v.Next : v.States, atol, rtol, norms);
            int ratioBits = norms.Ratios[0], residualBits = norms.Residuals[0];
            if (Group.IdxX == 0)
            {
                int at = NewtonKernels.HistoryStride * (iteration - first);
                v.History[at] = NewtonKernels.FromOrderedBits(residualBits);
                v.History[at + 1] = NewtonKernels.FromOrderedBits(norms.Updates[0]);
            }
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
            if (iteration >= last) break;
        }
        if (Group.IdxX == 0)
        {
            norms.WriteTo(v.Flags, rounds);
            v.Flags[NewtonKernels.StatusSlot] = status;
            v.Flags[NewtonKernels.IterationSlot] = iteration;
            v.Flags[NewtonKernels.ParitySlot] = (iteration - first) & 1;
        }
    }

    /// <summary>The bits of 1.0f: a ratio at most 1 passes the stopping test.</summary>
    private const int OneBits = 0x3F800000;

    /// <summary>The bits of +infinity (NaN is above it, as int.MaxValue).</summary>
    private const int PositiveInfinityBits = 0x7F800000;

    /// <summary>The group's shared reduction arrays of the stopping test (ordered float bits).</summary>
    private struct Norms
    {
        public ArrayView<int> Ratios;
        public ArrayView<int> Residuals;
        public ArrayView<int> Updates;

        public static Norms Allocate() => new()
        {
            Ratios = SharedMemory.Allocate<int>(MaxGroupSize),
            Residuals = SharedMemory.Allocate<int>(MaxGroupSize),
            Updates = SharedMemory.Allocate<int>(MaxGroupSize),
        };

        /// <summary>The reduced maxima and the rounds into the measure slots (one thread calls it).</summary>
        public readonly void WriteTo(ArrayView<int> flags, int rounds)
        {
            flags[NewtonKernels.RatioSlot] = Ratios[0];
            flags[NewtonKernels.ResidualSlot] = Residuals[0];
            flags[NewtonKernels.UpdateSlot] = Updates[0];
            flags[NewtonKernels.RoundsSlot] = rounds;
        }
    }

    /// <summary>
    /// One iteration from z into next; ends with the group's maxima of the stopping ratio, the residual and the
    /// update in element 0 of <paramref name="norms"/>' arrays, visible to every thread (a barrier follows the
    /// reduction). Returns the PCR rounds it ran.
    /// </summary>
    private static int Iterate(ChainViews v, ChainDims d, ArrayView<float> z, ArrayView<float> next, float atol, float rtol, Norms norms)
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

        int ratioBits = 0, residualBits = 0, updateBits = 0;
        for (int e = t; e < states; e += threads)
        {
            float current = z[e];
            float updated = current + correction[e];
            next[e] = updated;
            float update = XMath.Abs(updated - current);
            ratioBits = XMath.Max(ratioBits, DeviceMath.OrderedBits(update / (atol + rtol * XMath.Abs(current))));
            updateBits = XMath.Max(updateBits, DeviceMath.OrderedBits(update));
            residualBits = XMath.Max(residualBits, DeviceMath.OrderedBits(XMath.Abs(v.Outputs[e] - current)));
        }
        norms.Ratios[t] = ratioBits;
        norms.Residuals[t] = residualBits;
        norms.Updates[t] = updateBits;
        Group.Barrier();
        for (int half = threads / 2; half > 0; half /= 2)
        {
            if (t < half)
            {
                norms.Ratios[t] = XMath.Max(norms.Ratios[t], norms.Ratios[t + half]);
                norms.Residuals[t] = XMath.Max(norms.Residuals[t], norms.Residuals[t + half]);
                norms.Updates[t] = XMath.Max(norms.Updates[t], norms.Updates[t + half]);
            }
            Group.Barrier();
        }
        return rounds;
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
