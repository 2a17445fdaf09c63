using System.Numerics;

namespace DeepPcr.Linear.Kernels;

/// <summary>
/// The flush limits of the host kernels, per dtype. Products of hundreds of contracting blocks underflow into
/// subnormal numbers, whose arithmetic is about 100x slower on x86, and .NET cannot set the flush-to-zero mode. So
/// every entry of a composed block, and every sum, that falls below the smallest normal number is set to zero: a
/// subnormal value is computed at most once and never reused. An earlier cutoff at about the square root of the
/// smallest normal (1e-18 in float32) kept products normal but zeroed small terms that matter: the input gradient of a
/// 192-layer contractive float32 chain, near 1e-25, lost its whole value (tests/DeepPcr.Tests/TinyGradientTests.cs).
/// </summary>
internal static class Limits<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The smallest normal number: sums below it become 0.</summary>
    public static readonly T SmallestNormal = typeof(T) == typeof(float) ? T.CreateTruncating(1.17549435e-38f) : T.CreateTruncating(2.2250738585072014e-308);

    /// <summary>Entries of composed blocks below it become 0: the smallest normal number.</summary>
    public static readonly T Cutoff = SmallestNormal;
}
