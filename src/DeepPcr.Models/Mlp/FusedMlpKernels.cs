using System.Numerics;
using System.Runtime.CompilerServices;

namespace DeepPcr.Models.Mlp;

/// <summary>
/// The two kernels of the fused MLP loops, on raw host memory. Every product of the forward and the backward pass
/// is one linear combination of rows (<see cref="Combine{T}"/>): the pre-activations W z + b, the weight gradient
/// sum_b delta z^T, the bias gradient sum_b delta and the cotangent W^T delta; the slopes are one elementwise
/// pass (<see cref="Delta{T}"/>). Both run a width in the widest vectors that fit (see <see cref="ILanes{TSelf, T}"/>).
/// </summary>
internal static unsafe class FusedMlpKernels
{
    /// <summary>
    /// For r &lt; repeats and c &lt; width:
    /// target[r ts + c] = start[r ss + c] (0 when start is null) + sum_{k &lt; count} coefficients[r cr + k ck] rows[k rs + c].
    /// The target may be the start (same strides); it must not overlap rows or coefficients.
    /// </summary>
    public static void Combine<T>(in Combination<T> job, int width) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = 0;
        if (Lanes512<T>.Accelerated) c = Combine<T, Lanes512<T>>(job, width, c);
        if (Lanes256<T>.Accelerated) c = Combine<T, Lanes256<T>>(job, width, c);
        if (Lanes128<T>.Accelerated) c = Combine<T, Lanes128<T>>(job, width, c);
        Combine<T, Lane1<T>>(job, width, c);
    }

    /// <summary>
    /// delta[e] = h act'(x_e) lambda[e] for e &lt; n, with act' read from the activation's value v_e (tanh: 1 - v^2,
    /// sigmoid: v - v^2, relu: [v &gt; 0], identity: 1).
    /// </summary>
    public static void Delta<T>(Activation activation, T* values, T* lambda, T* delta, int n, T h) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int e = 0;
        if (Lanes512<T>.Accelerated) e = Delta<T, Lanes512<T>>(activation, values, lambda, delta, n, h, e);
        if (Lanes256<T>.Accelerated) e = Delta<T, Lanes256<T>>(activation, values, lambda, delta, n, h, e);
        if (Lanes128<T>.Accelerated) e = Delta<T, Lanes128<T>>(activation, values, lambda, delta, n, h, e);
        Delta<T, Lane1<T>>(activation, values, lambda, delta, n, h, e);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Combine<T, TL>(in Combination<T> j, int width, int c)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TL : struct, ILanes<TL, T>
    {
        // Locals, so that the loops keep the operands in registers.
        T* target = j.Target, start = j.Start, rows = j.Rows, coefficients = j.Coefficients;
        long ts = j.TargetStride, ss = j.StartStride, rs = j.RowStride, ck = j.CoefficientStride, cr = j.CoefficientRepeatStride;
        int count = j.Count, repeats = j.Repeats;
        for (; c + TL.Count <= width; c += TL.Count)
        {
            for (int r = 0; r < repeats; r++)
            {
                T* coefficient = coefficients + r * cr;
                T* row = rows + c;
                // Two accumulators: half the dependency chain of one.
                TL even = start is null ? TL.Splat(T.Zero) : TL.Load(start + r * ss + c);
                TL odd = TL.Splat(T.Zero);
                int k = 0;
                for (; k + 1 < count; k += 2, row += 2 * rs, coefficient += 2 * ck)
                {
                    even = TL.Fma(TL.Load(row), TL.Splat(*coefficient), even);
                    odd = TL.Fma(TL.Load(row + rs), TL.Splat(coefficient[ck]), odd);
                }
                if (k < count) even = TL.Fma(TL.Load(row), TL.Splat(*coefficient), even);
                TL.Add(even, odd).Store(target + r * ts + c);
            }
        }
        return c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Delta<T, TL>(Activation activation, T* values, T* lambda, T* delta, int n, T h, int e)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TL : struct, ILanes<TL, T>
    {
        TL one = TL.Splat(T.One), scale = TL.Splat(h);
        for (; e + TL.Count <= n; e += TL.Count)
        {
            TL v = TL.Load(values + e), scaled = TL.Multiply(TL.Load(lambda + e), scale);
            TL d = activation switch
            {
                Activation.Tanh => TL.Multiply(TL.Subtract(one, TL.Multiply(v, v)), scaled),
                Activation.Sigmoid => TL.Multiply(TL.Subtract(v, TL.Multiply(v, v)), scaled),
                Activation.Relu => TL.WherePositive(v, scaled),
                _ => scaled,
            };
            d.Store(delta + e);
        }
        return e;
    }
}

/// <summary>
/// The operands of <see cref="FusedMlpKernels.Combine{T}"/>: target[r ts + c] = start[r ss + c] +
/// sum_k coefficients[r cr + k ck] rows[k rs + c].
/// </summary>
internal readonly unsafe struct Combination<T> where T : unmanaged
{
    /// <summary>Written: repeats rows of width w, TargetStride apart.</summary>
    public T* Target { get; init; }

    /// <summary>Elements between successive targets.</summary>
    public long TargetStride { get; init; }

    /// <summary>What each target starts from, or null for zero.</summary>
    public T* Start { get; init; }

    /// <summary>Elements between successive starts (0: one start for every repeat).</summary>
    public long StartStride { get; init; }

    /// <summary>The rows combined: count rows of width w, RowStride apart.</summary>
    public T* Rows { get; init; }

    /// <summary>Elements between successive rows.</summary>
    public long RowStride { get; init; }

    /// <summary>The coefficient of row k in repeat r sits at r CoefficientRepeatStride + k CoefficientStride.</summary>
    public T* Coefficients { get; init; }

    /// <summary>Elements between the coefficients of successive rows.</summary>
    public long CoefficientStride { get; init; }

    /// <summary>Elements between the coefficients of successive repeats.</summary>
    public long CoefficientRepeatStride { get; init; }

    /// <summary>Rows in each combination.</summary>
    public int Count { get; init; }

    /// <summary>Combinations.</summary>
    public int Repeats { get; init; }
}
