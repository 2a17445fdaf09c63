using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepPcr.Linear.Kernels;

/// <summary>
/// The two operations of a PCR round on one dense row-major w x w block: the product target = outer · inner
/// and y += A x. Widths that fill one SIMD register per block row (8 floats or 4 doubles in Vector256,
/// 4 floats or 2 doubles in Vector128) keep the whole inner block in registers and broadcast outer's
/// entries from memory, two accumulators per row so that the fused multiply-adds of a row overlap; widths that
/// are a multiple of the register carry up to four accumulators across a block row; all others run scalar.
/// Composed entries below the cutoff are flushed to zero (see <see cref="Limits{T}"/>).
/// </summary>
internal static unsafe class DenseBlockOps
{
    /// <summary>target = outer · inner; entries below <paramref name="cutoff"/> in magnitude become 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Compose<T>(T* outer, T* inner, T* target, int width, T cutoff)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Vector256.IsHardwareAccelerated)
        {
            if (width == Vector256<T>.Count)
            {
                if (width == 8) Compose8(outer, inner, target, cutoff);
                else Compose4Wide(outer, inner, target, cutoff);
                return;
            }
            if (width % Vector256<T>.Count == 0)
            {
                ComposeTiled256(outer, inner, target, width, cutoff);
                return;
            }
        }
        if (Vector128.IsHardwareAccelerated && width == Vector128<T>.Count)
        {
            if (width == 4) Compose4Narrow(outer, inner, target, cutoff);
            else Compose2(outer, inner, target, cutoff);
            return;
        }
        ComposeScalar(outer, inner, target, width, cutoff);
    }

    /// <summary>y += A x for one dense block; sums below <paramref name="normal"/> in magnitude become 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ApplyAdd<T>(T* a, T* x, T* y, int width, T normal)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Vector256.IsHardwareAccelerated && width % Vector256<T>.Count == 0)
        {
            for (int i = 0; i < width; i++)
            {
                var acc = Vector256<T>.Zero;
                for (int j = 0; j < width; j += Vector256<T>.Count) acc = SimdMath.Fma(Vector256.Load(a + i * width + j), Vector256.Load(x + j), acc);
                y[i] = Flush(y[i] + Vector256.Sum(acc), normal);
            }
            return;
        }
        if (Vector128.IsHardwareAccelerated && width % Vector128<T>.Count == 0)
        {
            for (int i = 0; i < width; i++)
            {
                var acc = Vector128<T>.Zero;
                for (int j = 0; j < width; j += Vector128<T>.Count) acc = SimdMath.Fma(Vector128.Load(a + i * width + j), Vector128.Load(x + j), acc);
                y[i] = Flush(y[i] + Vector128.Sum(acc), normal);
            }
            return;
        }
        for (int i = 0; i < width; i++)
        {
            T sum = y[i];
            T* row = a + i * width;
            for (int j = 0; j < width; j++) sum += row[j] * x[j];
            y[i] = Flush(sum, normal);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Flush<T>(T value, T limit) where T : unmanaged, IFloatingPointIeee754<T> =>
        T.Abs(value) < limit ? T.Zero : value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Flushed<T>(Vector256<T> v, Vector256<T> limit) where T : unmanaged =>
        Vector256.AndNot(v, Vector256.LessThan(Vector256.Abs(v), limit));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> Flushed<T>(Vector128<T> v, Vector128<T> limit) where T : unmanaged =>
        Vector128.AndNot(v, Vector128.LessThan(Vector128.Abs(v), limit));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> B256<T>(T* p) where T : unmanaged => Vector256.Create(*p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> B128<T>(T* p) where T : unmanaged => Vector128.Create(*p);

    /// <summary>Eight rows of eight lanes (float w = 8): the inner block lives in eight registers.</summary>
    private static void Compose8<T>(T* o, T* inner, T* t, T cutoff) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var limit = Vector256.Create(cutoff);
        var r0 = Vector256.Load(inner);
        var r1 = Vector256.Load(inner + 8);
        var r2 = Vector256.Load(inner + 16);
        var r3 = Vector256.Load(inner + 24);
        var r4 = Vector256.Load(inner + 32);
        var r5 = Vector256.Load(inner + 40);
        var r6 = Vector256.Load(inner + 48);
        var r7 = Vector256.Load(inner + 56);
        for (int i = 0; i < 8; i++, o += 8, t += 8)
        {
            var s0 = B256(o) * r0;
            var s1 = B256(o + 1) * r1;
            s0 = SimdMath.Fma(B256(o + 2), r2, s0);
            s1 = SimdMath.Fma(B256(o + 3), r3, s1);
            s0 = SimdMath.Fma(B256(o + 4), r4, s0);
            s1 = SimdMath.Fma(B256(o + 5), r5, s1);
            s0 = SimdMath.Fma(B256(o + 6), r6, s0);
            s1 = SimdMath.Fma(B256(o + 7), r7, s1);
            Flushed(s0 + s1, limit).Store(t);
        }
    }

    /// <summary>Four rows of four lanes in Vector256 (double w = 4).</summary>
    private static void Compose4Wide<T>(T* o, T* inner, T* t, T cutoff) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var limit = Vector256.Create(cutoff);
        var r0 = Vector256.Load(inner);
        var r1 = Vector256.Load(inner + 4);
        var r2 = Vector256.Load(inner + 8);
        var r3 = Vector256.Load(inner + 12);
        for (int i = 0; i < 4; i++, o += 4, t += 4)
        {
            var s0 = SimdMath.Fma(B256(o + 2), r2, B256(o) * r0);
            var s1 = SimdMath.Fma(B256(o + 3), r3, B256(o + 1) * r1);
            Flushed(s0 + s1, limit).Store(t);
        }
    }

    /// <summary>Four rows of four lanes in Vector128 (float w = 4).</summary>
    private static void Compose4Narrow<T>(T* o, T* inner, T* t, T cutoff) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var limit = Vector128.Create(cutoff);
        var r0 = Vector128.Load(inner);
        var r1 = Vector128.Load(inner + 4);
        var r2 = Vector128.Load(inner + 8);
        var r3 = Vector128.Load(inner + 12);
        for (int i = 0; i < 4; i++, o += 4, t += 4)
        {
            var s0 = SimdMath.Fma(B128(o + 2), r2, B128(o) * r0);
            var s1 = SimdMath.Fma(B128(o + 3), r3, B128(o + 1) * r1);
            Flushed(s0 + s1, limit).Store(t);
        }
    }

    /// <summary>Two rows of two lanes (double w = 2).</summary>
    private static void Compose2<T>(T* o, T* inner, T* t, T cutoff) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var limit = Vector128.Create(cutoff);
        var r0 = Vector128.Load(inner);
        var r1 = Vector128.Load(inner + 2);
        Flushed(SimdMath.Fma(B128(o + 1), r1, B128(o) * r0), limit).Store(t);
        Flushed(SimdMath.Fma(B128(o + 3), r1, B128(o + 2) * r0), limit).Store(t + 2);
    }

    /// <summary>Widths that are a multiple of the Vector256 lane count: up to four accumulators across a row.</summary>
    private static void ComposeTiled256<T>(T* outer, T* inner, T* target, int width, T cutoff) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lanes = Vector256<T>.Count;
        var limit = Vector256.Create(cutoff);
        for (int i = 0; i < width; i++)
        {
            T* o = outer + i * width;
            T* row = target + i * width;
            int j = 0;
            for (; j + 4 * lanes <= width; j += 4 * lanes)
            {
                Vector256<T> s0 = default, s1 = default, s2 = default, s3 = default;
                for (int k = 0; k < width; k++)
                {
                    var ok = B256(o + k);
                    T* r = inner + k * width + j;
                    s0 = SimdMath.Fma(ok, Vector256.Load(r), s0);
                    s1 = SimdMath.Fma(ok, Vector256.Load(r + lanes), s1);
                    s2 = SimdMath.Fma(ok, Vector256.Load(r + 2 * lanes), s2);
                    s3 = SimdMath.Fma(ok, Vector256.Load(r + 3 * lanes), s3);
                }
                Flushed(s0, limit).Store(row + j);
                Flushed(s1, limit).Store(row + j + lanes);
                Flushed(s2, limit).Store(row + j + 2 * lanes);
                Flushed(s3, limit).Store(row + j + 3 * lanes);
            }
            for (; j < width; j += lanes)
            {
                Vector256<T> s0 = default, s1 = default;
                int k = 0;
                for (; k + 1 < width; k += 2)
                {
                    s0 = SimdMath.Fma(B256(o + k), Vector256.Load(inner + k * width + j), s0);
                    s1 = SimdMath.Fma(B256(o + k + 1), Vector256.Load(inner + (k + 1) * width + j), s1);
                }
                if (k < width) s0 = SimdMath.Fma(B256(o + k), Vector256.Load(inner + k * width + j), s0);
                Flushed(s0 + s1, limit).Store(row + j);
            }
        }
    }

    /// <summary>Any width, scalar i-k-j loops.</summary>
    private static void ComposeScalar<T>(T* outer, T* inner, T* target, int width, T cutoff) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < width; i++)
        {
            T* row = target + i * width;
            for (int j = 0; j < width; j++) row[j] = T.Zero;
            for (int k = 0; k < width; k++)
            {
                T o = outer[i * width + k];
                T* innerRow = inner + k * width;
                for (int j = 0; j < width; j++) row[j] += o * innerRow[j];
            }
            for (int j = 0; j < width; j++) row[j] = Flush(row[j], cutoff);
        }
    }
}
