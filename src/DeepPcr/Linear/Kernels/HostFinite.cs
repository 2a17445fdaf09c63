using System.Numerics;

namespace DeepPcr.Linear.Kernels;

/// <summary>Whether every value in host memory is finite, vectorised (x - x is 0 for a finite x and NaN otherwise).</summary>
internal static class HostFinite
{
    /// <summary>True when no value is NaN or infinite.</summary>
    public static bool All<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            for (; i + Vector<T>.Count <= values.Length; i += Vector<T>.Count)
            {
                var v = new Vector<T>(values.Slice(i));
                if (!Vector.EqualsAll(v - v, Vector<T>.Zero)) return false;
            }
        }
        for (; i < values.Length; i++)
        {
            if (!T.IsFinite(values[i])) return false;
        }
        return true;
    }
}
