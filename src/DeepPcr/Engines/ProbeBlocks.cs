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
    private readonly T[] entries = new T[block.Size], x = new T[block.Width], y = new T[block.Width];

    /// <summary>y = A x, or |A| x with <paramref name="magnitudes"/>, for the block of <see cref="HostBlock.Size"/>
    /// entries at <paramref name="a"/>.</summary>
    public void Apply(T* a, ReadOnlySpan<double> input, Span<double> output, bool magnitudes)
    {
        for (int e = 0; e < entries.Length; e++) entries[e] = magnitudes ? T.Abs(a[e]) : a[e];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = T.CreateTruncating(input[i]);
            y[i] = T.Zero;
        }
        fixed (T* pa = entries, px = x, py = y) block.ApplyAdd(pa, px, py, Limits<T>.SmallestNormal);
        for (int i = 0; i < y.Length; i++) output[i] = double.CreateTruncating(y[i]);
    }
}
