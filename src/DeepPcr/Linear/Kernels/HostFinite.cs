using System.Numerics;
using System.Runtime.InteropServices;

namespace DeepPcr.Linear.Kernels;

/// <summary>
/// Whether every value in host memory is finite, vectorised: x - x is 0 for a finite x and NaN otherwise, and a sum of
/// such differences is NaN as soon as one is. Four accumulators and one test per block keep the scan at the speed of
/// its loads (a test per vector was three times slower).
/// </summary>
internal static class HostFinite
{
    /// <summary>Values per block between two tests: an early exit without a branch per vector.</summary>
    private const int Block = 4096;

    /// <summary>True when no value is NaN or infinite.</summary>
    public static bool All<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            int n = Vector<T>.Count;
            ref T start = ref MemoryMarshal.GetReference(values);
            while (i + 4 * n <= values.Length)
            {
                Vector<T> a0 = Vector<T>.Zero, a1 = a0, a2 = a0, a3 = a0;
                int end = Math.Min(values.Length - 4 * n, i + Block);
                for (; i <= end; i += 4 * n)
                {
                    var v0 = Vector.LoadUnsafe(ref start, (nuint)i);
                    var v1 = Vector.LoadUnsafe(ref start, (nuint)(i + n));
                    var v2 = Vector.LoadUnsafe(ref start, (nuint)(i + 2 * n));
                    var v3 = Vector.LoadUnsafe(ref start, (nuint)(i + 3 * n));
                    a0 += v0 - v0;
                    a1 += v1 - v1;
                    a2 += v2 - v2;
                    a3 += v3 - v3;
                }
                if (!Vector.EqualsAll(a0 + a1 + (a2 + a3), Vector<T>.Zero)) return false;
            }
        }
        for (; i < values.Length; i++)
        {
            if (!T.IsFinite(values[i])) return false;
        }
        return true;
    }
}
