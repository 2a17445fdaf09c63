using System.Numerics;
using DeepPcr.Linear.Kernels;

namespace DeepPcr.Engines;

/// <summary>
/// One Jacobian block applied to the error probe of <see cref="Newton.ErrorProbe"/> (double vectors) by the host
/// kernels' block operation, in the block's declared structure and the states' dtype: no dense copy of diagonal or
/// block-diagonal Jacobians.
/// </summary>
/// <param name="block">The declared structure.</param>
internal sealed unsafe class ProbeBlocks<T>(HostBlock block) where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] entries = new T[block.Size], probe = new T[block.Width], result = new T[block.Width];

    /// <summary>y = A x and sums = |A| |input| for the block of <see cref="HostBlock.Size"/> entries at <paramref name="a"/>
    /// (<see cref="Newton.ErrorProbe.ApplyRow"/>).</summary>
    /// <param name="a">The block's entries in the declared structure's order.</param>
    /// <param name="input">(w): the step's input state z_{l-1}.</param>
    /// <param name="x">(w): the error probe carried into the step.</param>
    /// <param name="y">(w): receives A x.</param>
    /// <param name="sums">(w): receives |A| |z_{l-1}|.</param>
    public void Apply(T* a, T* input, ReadOnlySpan<double> x, Span<double> y, Span<double> sums)
    {
        for (int i = 0; i < probe.Length; i++) probe[i] = T.CreateTruncating(x[i]);
        ApplyInto(a, probe, y);
        for (int e = 0; e < entries.Length; e++) entries[e] = T.Abs(a[e]);
        for (int i = 0; i < probe.Length; i++) probe[i] = T.Abs(input[i]);
        fixed (T* magnitudes = entries) ApplyInto(magnitudes, probe, sums);
    }

    private void ApplyInto(T* a, T[] vector, Span<double> output)
    {
        Array.Clear(result);
        fixed (T* pv = vector, pr = result) block.ApplyAdd(a, pv, pr, Limits<T>.SmallestNormal);
        for (int i = 0; i < result.Length; i++) output[i] = double.CreateTruncating(result[i]);
    }
}
