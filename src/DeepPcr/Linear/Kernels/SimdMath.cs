using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepPcr.Linear.Kernels;

/// <summary>
/// Fused multiply-add a * b + c on generic vectors: .NET's FusedMultiplyAdd exists only for float and double,
/// so these dispatch on T (the branch is resolved when the method is compiled for T).
/// </summary>
internal static class SimdMath
{
    /// <summary>a * b + c, fused for float and double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Fma<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        if (typeof(T) == typeof(float)) return Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }

    /// <summary>a * b + c, fused for float and double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Fma<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (typeof(T) == typeof(float)) return Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }

    /// <summary>
    /// v with every lane below <paramref name="limit"/> in magnitude set to zero; NaN lanes stay NaN (the comparison
    /// is false for them), so that the safeguards still see them. A select, which AVX-512 runs as one masked blend.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Flushed<T>(Vector512<T> v, Vector512<T> limit) =>
        Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(v), limit), Vector512<T>.Zero, v);

    /// <summary>a * b + c, fused for float and double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Fma<T>(Vector128<T> a, Vector128<T> b, Vector128<T> c)
    {
        if (typeof(T) == typeof(float)) return Vector128.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector128.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }
}
