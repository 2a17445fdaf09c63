using System.Numerics;

namespace DeepPcr.Linear.Kernels;

/// <summary>
/// The flush limits of the host kernels, per dtype. Products of hundreds of contracting blocks underflow into
/// subnormal numbers, whose arithmetic is about 100x slower on x86 (a 1024-layer float32 solve took 3 ms instead
/// of 0.2 ms), and .NET cannot set the flush-to-zero mode. So every entry of a composed block below
/// <see cref="Cutoff"/> (about the square root of the smallest normal) is set to zero: every later product of two
/// kept entries stays normal, and what is dropped weighs below 1e-18 relative, under either dtype's precision for
/// states of order one. Sums are flushed at <see cref="SmallestNormal"/>.
/// </summary>
internal static class Limits<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The smallest normal number: sums below it become 0.</summary>
    public static readonly T SmallestNormal = typeof(T) == typeof(float) ? T.CreateTruncating(1.17549435e-38f) : T.CreateTruncating(2.2250738585072014e-308);

    /// <summary>Entries of composed blocks below it become 0: 1e-18 in float32, 1e-150 in float64.</summary>
    public static readonly T Cutoff = typeof(T) == typeof(float) ? T.CreateTruncating(1e-18f) : T.CreateTruncating(1e-150);
}
