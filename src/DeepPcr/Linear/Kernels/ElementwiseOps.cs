using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepPcr.Linear.Kernels;

/// <summary>
/// The elementwise operations of PCR rounds on diagonal and scalar blocks, in Vector256 strides with a scalar
/// tail; results below a limit in magnitude are flushed to zero (see <see cref="Limits{T}"/>).
/// </summary>
internal static unsafe class ElementwiseOps
{
    /// <summary>target[i] = a[i] * b[i] for i &lt; n, flushed below <paramref name="cutoff"/>.</summary>
    public static void Multiply<T>(T* a, T* b, T* target, int n, T cutoff) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var limit = Vector256.Create(cutoff);
            for (; i + Vector256<T>.Count <= n; i += Vector256<T>.Count)
            {
                var p = Vector256.Load(a + i) * Vector256.Load(b + i);
                Vector256.AndNot(p, Vector256.LessThan(Vector256.Abs(p), limit)).Store(target + i);
            }
        }
        for (; i < n; i++) target[i] = Flush(a[i] * b[i], cutoff);
    }

    /// <summary>y[i] = y[i] + a[i] * x[i] for i &lt; n, flushed below <paramref name="normal"/>.</summary>
    public static void MultiplyAdd<T>(T* a, T* x, T* y, int n, T normal) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var limit = Vector256.Create(normal);
            for (; i + Vector256<T>.Count <= n; i += Vector256<T>.Count)
            {
                var p = SimdMath.Fma(Vector256.Load(a + i), Vector256.Load(x + i), Vector256.Load(y + i));
                Vector256.AndNot(p, Vector256.LessThan(Vector256.Abs(p), limit)).Store(y + i);
            }
        }
        for (; i < n; i++) y[i] = Flush(y[i] + a[i] * x[i], normal);
    }

    /// <summary>y[i] = y[i] + scale * x[i] for i &lt; n, flushed below <paramref name="normal"/>.</summary>
    public static void ScaleAdd<T>(T scale, T* x, T* y, int n, T normal) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var limit = Vector256.Create(normal);
            var sv = Vector256.Create(scale);
            for (; i + Vector256<T>.Count <= n; i += Vector256<T>.Count)
            {
                var p = SimdMath.Fma(sv, Vector256.Load(x + i), Vector256.Load(y + i));
                Vector256.AndNot(p, Vector256.LessThan(Vector256.Abs(p), limit)).Store(y + i);
            }
        }
        for (; i < n; i++) y[i] = Flush(y[i] + scale * x[i], normal);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static T Flush<T>(T value, T limit) where T : unmanaged, IFloatingPointIeee754<T> =>
        T.Abs(value) < limit ? T.Zero : value;
}
