using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using DeepPcr.Linear.Kernels;

namespace DeepPcr.Models.Mlp;

/// <summary>
/// A pack of lanes of T that the fused loops' kernels are written against once: 512-, 256- and 128-bit vectors and a
/// single scalar lane. A kernel runs a width in the widest packs that fit and finishes with narrower ones, so that
/// w = 4 float32 is one 128-bit pack, w = 16 one 512-bit pack and w = 3 three scalar lanes, all from one body.
/// </summary>
internal unsafe interface ILanes<TSelf, T>
    where TSelf : struct, ILanes<TSelf, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Lanes in a pack.</summary>
    static abstract int Count { get; }

    /// <summary>True where the hardware runs this pack as one vector (always for the scalar lane).</summary>
    static abstract bool Accelerated { get; }

    /// <summary>The pack at p (unaligned).</summary>
    static abstract TSelf Load(T* p);

    /// <summary>x in every lane.</summary>
    static abstract TSelf Splat(T x);

    /// <summary>a * b + c, fused.</summary>
    static abstract TSelf Fma(TSelf a, TSelf b, TSelf c);

    /// <summary>a + b.</summary>
    static abstract TSelf Add(TSelf a, TSelf b);

    /// <summary>a - b.</summary>
    static abstract TSelf Subtract(TSelf a, TSelf b);

    /// <summary>a * b.</summary>
    static abstract TSelf Multiply(TSelf a, TSelf b);

    /// <summary>Lanes of <paramref name="value"/> where <paramref name="test"/> is above zero, zero elsewhere (NaN: zero).</summary>
    static abstract TSelf WherePositive(TSelf test, TSelf value);

    /// <summary>Writes the pack at p (unaligned).</summary>
    void Store(T* p);
}

/// <summary>512 bits of T.</summary>
internal readonly unsafe struct Lanes512<T>(Vector512<T> v) : ILanes<Lanes512<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Vector512<T> v = v;

    public static int Count => Vector512<T>.Count;
    public static bool Accelerated => Vector512.IsHardwareAccelerated;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512<T> Load(T* p) => new(Vector512.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512<T> Splat(T x) => new(Vector512.Create(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512<T> Fma(Lanes512<T> a, Lanes512<T> b, Lanes512<T> c) => new(SimdMath.Fma(a.v, b.v, c.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512<T> Add(Lanes512<T> a, Lanes512<T> b) => new(a.v + b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512<T> Subtract(Lanes512<T> a, Lanes512<T> b) => new(a.v - b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512<T> Multiply(Lanes512<T> a, Lanes512<T> b) => new(a.v * b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512<T> WherePositive(Lanes512<T> test, Lanes512<T> value) =>
        new(Vector512.ConditionalSelect(Vector512.GreaterThan(test.v, Vector512<T>.Zero), value.v, Vector512<T>.Zero));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(T* p) => v.Store(p);
}

/// <summary>256 bits of T.</summary>
internal readonly unsafe struct Lanes256<T>(Vector256<T> v) : ILanes<Lanes256<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Vector256<T> v = v;

    public static int Count => Vector256<T>.Count;
    public static bool Accelerated => Vector256.IsHardwareAccelerated;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256<T> Load(T* p) => new(Vector256.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256<T> Splat(T x) => new(Vector256.Create(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256<T> Fma(Lanes256<T> a, Lanes256<T> b, Lanes256<T> c) => new(SimdMath.Fma(a.v, b.v, c.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256<T> Add(Lanes256<T> a, Lanes256<T> b) => new(a.v + b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256<T> Subtract(Lanes256<T> a, Lanes256<T> b) => new(a.v - b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256<T> Multiply(Lanes256<T> a, Lanes256<T> b) => new(a.v * b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256<T> WherePositive(Lanes256<T> test, Lanes256<T> value) =>
        new(Vector256.ConditionalSelect(Vector256.GreaterThan(test.v, Vector256<T>.Zero), value.v, Vector256<T>.Zero));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(T* p) => v.Store(p);
}

/// <summary>128 bits of T.</summary>
internal readonly unsafe struct Lanes128<T>(Vector128<T> v) : ILanes<Lanes128<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Vector128<T> v = v;

    public static int Count => Vector128<T>.Count;
    public static bool Accelerated => Vector128.IsHardwareAccelerated;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128<T> Load(T* p) => new(Vector128.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128<T> Splat(T x) => new(Vector128.Create(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128<T> Fma(Lanes128<T> a, Lanes128<T> b, Lanes128<T> c) => new(SimdMath.Fma(a.v, b.v, c.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128<T> Add(Lanes128<T> a, Lanes128<T> b) => new(a.v + b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128<T> Subtract(Lanes128<T> a, Lanes128<T> b) => new(a.v - b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128<T> Multiply(Lanes128<T> a, Lanes128<T> b) => new(a.v * b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes128<T> WherePositive(Lanes128<T> test, Lanes128<T> value) =>
        new(Vector128.ConditionalSelect(Vector128.GreaterThan(test.v, Vector128<T>.Zero), value.v, Vector128<T>.Zero));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(T* p) => v.Store(p);
}

/// <summary>One lane: the tail of a width that no vector fills.</summary>
internal readonly unsafe struct Lane1<T>(T v) : ILanes<Lane1<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T v = v;

    public static int Count => 1;
    public static bool Accelerated => true;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1<T> Load(T* p) => new(*p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1<T> Splat(T x) => new(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1<T> Fma(Lane1<T> a, Lane1<T> b, Lane1<T> c) => new(T.FusedMultiplyAdd(a.v, b.v, c.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1<T> Add(Lane1<T> a, Lane1<T> b) => new(a.v + b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1<T> Subtract(Lane1<T> a, Lane1<T> b) => new(a.v - b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1<T> Multiply(Lane1<T> a, Lane1<T> b) => new(a.v * b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lane1<T> WherePositive(Lane1<T> test, Lane1<T> value) => new(test.v > T.Zero ? value.v : T.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(T* p) => *p = v;
}
