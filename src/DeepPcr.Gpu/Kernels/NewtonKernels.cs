using ILGPU;
using ILGPU.Algorithms;

namespace DeepPcr.Gpu.Kernels;

/// <summary>
/// The Newton update and the three max-norms of the stopping test, in one pass over the states:
/// next = z + d (correction form) or next = d (DEER form, d already the new states); the stopping ratio
/// max |next - z| / (atol + rtol |z|), the residual max |f(z) - z| and the update max |next - z| go to three int
/// slots as ordered float bits (<see cref="DeviceMath.OrderedBits"/>), so that the host reads back one small buffer per iteration.
/// Maxima need no wide accumulation, so float32 is exact here. Grid-stride loop, a shared-memory tree per
/// group and one atomic per group and slot (group size a power of two, at most <see cref="MaxGroupSize"/>).
/// </summary>
public static class NewtonKernels
{
    /// <summary>The largest group size the reduction's shared memory holds.</summary>
    public const int MaxGroupSize = 256;

    /// <summary>Slot of the stopping ratio in the flags buffer.</summary>
    public const int RatioSlot = 0;

    /// <summary>Slot of the residual max-norm in the flags buffer.</summary>
    public const int ResidualSlot = 1;

    /// <summary>Slot of the update max-norm max |next - z| (the stopping rule's error estimate) in the flags buffer.</summary>
    public const int UpdateSlot = 2;

    /// <summary>Slot of the PCR rounds the one-group kernels ran in their last linear solve.</summary>
    public const int RoundsSlot = 3;

    /// <summary>The slots one iteration's readback copies: ratio, residual, update, rounds.</summary>
    public const int MeasureSlots = 4;

    /// <summary>Slot of the device loop's status (0 converged, 1 iteration limit of the launch, 2 non-finite).</summary>
    public const int StatusSlot = 4;

    /// <summary>Slot of the device loop's last iteration.</summary>
    public const int IterationSlot = 5;

    /// <summary>Slot of the parity of the buffer holding the device loop's last iterate (0 States, 1 Next).</summary>
    public const int ParitySlot = 6;

    /// <summary>The ints of the flags buffer.</summary>
    public const int FlagCount = 8;

    /// <summary>Floats per iteration in the device loop's history: the residual max-norm, then the update max-norm.</summary>
    public const int HistoryStride = 2;

    /// <summary>The float that ordered bits stand for (NaN for int.MaxValue).</summary>
    /// <param name="bits">Bits from <see cref="DeviceMath.OrderedBits"/>.</param>
    /// <returns>The value.</returns>
    public static float FromOrderedBits(int bits) => bits == int.MaxValue ? float.NaN : ILGPU.Interop.IntAsFloat((uint)bits);

    /// <summary>Applies the update and reduces the three norms. Launch with any grid of power-of-two groups.</summary>
    /// <param name="count">L B w: the number of state values.</param>
    /// <param name="deerForm">0: next = z + d; 1: next = d.</param>
    /// <param name="states">(L, B, w): the current iterate z.</param>
    /// <param name="solution">(L, B, w): d, the PCR solution.</param>
    /// <param name="outputs">(L, B, w): f(z) shifted, i.e. f_k(z_k) at row k.</param>
    /// <param name="next">(L, B, w): the next iterate, written.</param>
    /// <param name="flags">The ratio, residual and update slots, zeroed before the launch: their bits (maxima).</param>
    /// <param name="atol">Absolute tolerance.</param>
    /// <param name="rtol">Relative tolerance.</param>
    public static void UpdateAndMeasure(int count, int deerForm, ArrayView<float> states, ArrayView<float> solution,
        ArrayView<float> outputs, ArrayView<float> next, ArrayView<int> flags, float atol, float rtol)
    {
        var ratios = SharedMemory.Allocate<int>(MaxGroupSize);
        var residuals = SharedMemory.Allocate<int>(MaxGroupSize);
        var updates = SharedMemory.Allocate<int>(MaxGroupSize);
        int t = Group.IdxX;
        int ratioBits = 0, residualBits = 0, updateBits = 0;
        for (int e = Grid.GlobalIndex.X; e < count; e += Grid.DimX * Group.DimX)
        {
            float z = states[e];
            float updated = deerForm != 0 ? solution[e] : z + solution[e];
            next[e] = updated;
            float update = XMath.Abs(updated - z);
            ratioBits = XMath.Max(ratioBits, DeviceMath.OrderedBits(update / (atol + rtol * XMath.Abs(z))));
            updateBits = XMath.Max(updateBits, DeviceMath.OrderedBits(update));
            residualBits = XMath.Max(residualBits, DeviceMath.OrderedBits(XMath.Abs(outputs[e] - z)));
        }
        ratios[t] = ratioBits;
        residuals[t] = residualBits;
        updates[t] = updateBits;
        Group.Barrier();
        for (int half = Group.DimX / 2; half > 0; half /= 2)
        {
            if (t < half)
            {
                ratios[t] = XMath.Max(ratios[t], ratios[t + half]);
                residuals[t] = XMath.Max(residuals[t], residuals[t + half]);
                updates[t] = XMath.Max(updates[t], updates[t + half]);
            }
            Group.Barrier();
        }
        if (t == 0)
        {
            Atomic.Max(ref flags[RatioSlot], ratios[0]);
            Atomic.Max(ref flags[ResidualSlot], residuals[0]);
            Atomic.Max(ref flags[UpdateSlot], updates[0]);
        }
    }

    /// <summary>Slot of the flags buffer that <see cref="NotFinite"/> sets for a backward pass's finiteness check.</summary>
    public const int NotFiniteSlot = 7;

    /// <summary>Sets Flags[slot] to 1 when any of the first count values is not finite. Index space: count.</summary>
    /// <param name="index">The value.</param>
    /// <param name="values">The values.</param>
    /// <param name="flags">The flags.</param>
    /// <param name="slot">The slot (zeroed before the launch).</param>
    public static void NotFinite(Index1D index, ArrayView<float> values, ArrayView<int> flags, int slot)
    {
        float x = values[index];
        if (XMath.IsNaN(x) || XMath.IsInfinity(x)) flags[slot] = 1;
    }
}
