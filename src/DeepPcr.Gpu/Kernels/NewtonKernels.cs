using ILGPU;
using ILGPU.Algorithms;

namespace DeepPcr.Gpu.Kernels;

/// <summary>
/// The Newton update and the two max-norms of the stopping test, in one pass over the states:
/// next = z + d (correction form) or next = d (DEER form, d already the new states); the stopping ratio
/// max |next - z| / (atol + rtol |z|) and the residual max |f(z) - z| go to two int slots as ordered float
/// bits (<see cref="DeviceMath.OrderedBits"/>), so that the host reads back one small buffer per iteration.
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

    /// <summary>Slot of the device loop's status (0 converged, 1 iteration limit, 2 non-finite).</summary>
    public const int StatusSlot = 2;

    /// <summary>Slot of the device loop's last iteration.</summary>
    public const int IterationSlot = 3;

    /// <summary>Slot of the parity of the buffer holding the device loop's last iterate (0 States, 1 Next).</summary>
    public const int ParitySlot = 4;

    /// <summary>The ints of the flags buffer.</summary>
    public const int FlagCount = 8;

    /// <summary>The float that ordered bits stand for (NaN for int.MaxValue).</summary>
    /// <param name="bits">Bits from <see cref="DeviceMath.OrderedBits"/>.</param>
    /// <returns>The value.</returns>
    public static float FromOrderedBits(int bits) => bits == int.MaxValue ? float.NaN : ILGPU.Interop.IntAsFloat((uint)bits);

    /// <summary>Applies the update and reduces the two norms. Launch with any grid of power-of-two groups.</summary>
    /// <param name="count">L B w: the number of state values.</param>
    /// <param name="deerForm">0: next = z + d; 1: next = d.</param>
    /// <param name="states">(L, B, w): the current iterate z.</param>
    /// <param name="solution">(L, B, w): d, the PCR solution.</param>
    /// <param name="outputs">(L, B, w): f(z) shifted, i.e. f_k(z_k) at row k.</param>
    /// <param name="next">(L, B, w): the next iterate, written.</param>
    /// <param name="flags">Two ints, zeroed before the launch: ratio and residual bits (maxima).</param>
    /// <param name="atol">Absolute tolerance.</param>
    /// <param name="rtol">Relative tolerance.</param>
    public static void UpdateAndMeasure(int count, int deerForm, ArrayView<float> states, ArrayView<float> solution,
        ArrayView<float> outputs, ArrayView<float> next, ArrayView<int> flags, float atol, float rtol)
    {
        var ratios = SharedMemory.Allocate<int>(MaxGroupSize);
        var residuals = SharedMemory.Allocate<int>(MaxGroupSize);
        int t = Group.IdxX;
        int ratioBits = 0, residualBits = 0;
        for (int e = Grid.GlobalIndex.X; e < count; e += Grid.DimX * Group.DimX)
        {
            float z = states[e];
            float updated = deerForm != 0 ? solution[e] : z + solution[e];
            next[e] = updated;
            float ratio = XMath.Abs(updated - z) / (atol + rtol * XMath.Abs(z));
            ratioBits = XMath.Max(ratioBits, DeviceMath.OrderedBits(ratio));
            residualBits = XMath.Max(residualBits, DeviceMath.OrderedBits(XMath.Abs(outputs[e] - z)));
        }
        ratios[t] = ratioBits;
        residuals[t] = residualBits;
        Group.Barrier();
        for (int half = Group.DimX / 2; half > 0; half /= 2)
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
            Atomic.Max(ref flags[RatioSlot], ratios[0]);
            Atomic.Max(ref flags[ResidualSlot], residuals[0]);
        }
    }
}
