using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DeepPcr.Linear.Kernels;

/// <summary>
/// PCR rounds on contiguous host memory, for float and double: the same reduction as the TorchSharp-op path
/// of <see cref="ParallelCyclicReduction"/> without a framework call per operation. Blocks are dense (w x w),
/// diagonal (w) or scalar (1) per row and sample. The rows of a round are independent and are split over
/// threads when the round holds enough work. Scratch: one copy of c and two ping-pong buffers for A,
/// allocated once per solve, never per round.
/// </summary>
internal static unsafe class CpuPcrKernel
{
    /// <summary>Multiply-adds in one round below which the round runs on one thread.</summary>
    private const long ParallelThreshold = 1 << 17;

    /// <summary>Solves in place: on return <paramref name="c"/> holds z_1..z_L.</summary>
    /// <param name="length">L.</param>
    /// <param name="batch">B.</param>
    /// <param name="width">w.</param>
    /// <param name="blockSize">w * w (dense), w (diagonal) or 1 (scalar).</param>
    /// <param name="a">(L, B, block), read only.</param>
    /// <param name="c">(L, B, w), overwritten with the solution.</param>
    /// <param name="z0">(B, w).</param>
    /// <returns>The rounds run: ceil(log2 L).</returns>
    public static int Solve<T>(int length, int batch, int width, int blockSize, T* a, T* c, T* z0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long rowA = (long)batch * blockSize, rowC = (long)batch * width;
        T normal = SmallestNormal<T>();
        for (int b = 0; b < batch; b++) ApplyAdd(a + b * blockSize, z0 + b * width, c + b * width, width, blockSize, normal);
        if (length == 1) return 0;

        nuint bytesA = (nuint)((length - 1) * rowA * sizeof(T)), bytesC = (nuint)(length * rowC * sizeof(T));
        T* aCur = (T*)NativeMemory.Alloc(bytesA), aNext = (T*)NativeMemory.Alloc(bytesA), cOld = (T*)NativeMemory.Alloc(bytesC);
        try
        {
            // aCur holds the blocks of rows s..L-1 (0-based) at the start of round s.
            Buffer.MemoryCopy(a + rowA, aCur, bytesA, bytesA);
            int rounds = 0;
            for (int s = 1; s < length; s *= 2)
            {
                Buffer.MemoryCopy(c, cOld, bytesC, (nuint)((length - s) * rowC * sizeof(T)));
                var round = new Round<T>(s, batch, width, blockSize, aCur, aNext, cOld, c, normal, Cutoff<T>());
                long work = (long)(length - s) * batch * blockSize * (length - 2 * s > 0 ? width + 1 : 1);
                if (work < ParallelThreshold || Environment.ProcessorCount == 1)
                {
                    round.Rows(s, length);
                }
                else
                {
                    int parts = Math.Min(Environment.ProcessorCount, length - s);
                    Parallel.For(0, parts, p => round.Rows(s + (length - s) * p / parts, s + (length - s) * (p + 1) / parts));
                }
                T* swap = aCur;
                aCur = aNext;
                aNext = swap;
                rounds++;
            }
            return rounds;
        }
        finally
        {
            NativeMemory.Free(aCur);
            NativeMemory.Free(aNext);
            NativeMemory.Free(cOld);
        }
    }

    /// <summary>One round's state; <see cref="Rows"/> updates rows [from, to).</summary>
    private readonly struct Round<T>(int s, int batch, int width, int blockSize, T* aCur, T* aNext, T* cOld, T* c, T normal, T cutoff)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Rows(int from, int to)
        {
            long rowA = (long)batch * blockSize, rowC = (long)batch * width;
            for (int l = from; l < to; l++)
            {
                T* al = aCur + (l - s) * rowA;                 // A_l
                T* cl = c + l * rowC;                          // c_l, updated in place
                T* cPrev = cOld + (l - s) * rowC;              // c_{l-s} of the previous round
                for (int b = 0; b < batch; b++) ApplyAdd(al + b * blockSize, cPrev + b * width, cl + b * width, width, blockSize, normal);
                if (l >= 2 * s)
                {
                    T* aPrev = aCur + (l - 2 * s) * rowA;      // A_{l-s}
                    T* target = aNext + (l - 2 * s) * rowA;    // A_l of the next round
                    for (int b = 0; b < batch; b++) Compose(al + b * blockSize, aPrev + b * blockSize, target + b * blockSize, width, blockSize, cutoff);
                }
            }
        }
    }

    /// <summary>
    /// Products of hundreds of contracting blocks underflow into subnormal numbers, whose arithmetic is about
    /// 100x slower on x86 (a 1024-layer float32 solve took 3 ms instead of 0.2 ms), and .NET cannot set the
    /// flush-to-zero mode. So every entry of a composed block below the cutoff (1e-18 in
    /// float32, 1e-150 in float64, about the square root of the smallest normal) is set to zero: every later
    /// product of two kept entries stays normal, and what is dropped weighs below 1e-18 relative, under either
    /// dtype's precision for states of order one. Sums are flushed at the smallest normal.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Flush<T>(T value, T limit) where T : unmanaged, IFloatingPointIeee754<T> =>
        T.Abs(value) < limit ? T.Zero : value;

    /// <summary>The smallest normal number of T; read once per solve, not per element.</summary>
    private static T SmallestNormal<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? T.CreateTruncating(1.17549435e-38f) : T.CreateTruncating(2.2250738585072014e-308);

    /// <summary>The cutoff for entries of composed blocks.</summary>
    private static T Cutoff<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float) ? T.CreateTruncating(1e-18f) : T.CreateTruncating(1e-150);

    /// <summary>y += A x for one block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ApplyAdd<T>(T* a, T* x, T* y, int width, int blockSize, T normal)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (blockSize == 1)
        {
            T scale = a[0];
            for (int i = 0; i < width; i++) y[i] = Flush(y[i] + scale * x[i], normal);
        }
        else if (blockSize == width)
        {
            for (int i = 0; i < width; i++) y[i] = Flush(y[i] + a[i] * x[i], normal);
        }
        else
        {
            for (int i = 0; i < width; i++)
            {
                T sum = y[i];
                T* row = a + i * width;
                for (int j = 0; j < width; j++) sum += row[j] * x[j];
                y[i] = Flush(sum, normal);
            }
        }
    }

    /// <summary>target = outer · inner for a dense block, rows in Vector256 lanes (w a multiple of the lane count).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ComposeVectorized256<T>(T* outer, T* inner, T* target, int width, T cutoff)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var limit = Vector256.Create(cutoff);
        for (int i = 0; i < width; i++)
        {
            for (int j = 0; j < width; j += Vector256<T>.Count)
            {
                var sum = Vector256<T>.Zero;
                for (int k = 0; k < width; k++) sum += Vector256.Create(outer[i * width + k]) * Vector256.Load(inner + k * width + j);
                Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(sum), limit), Vector256<T>.Zero, sum).Store(target + i * width + j);
            }
        }
    }

    /// <summary>target = outer · inner for a dense block, rows in Vector128 lanes (w a multiple of the lane count).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ComposeVectorized128<T>(T* outer, T* inner, T* target, int width, T cutoff)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var limit = Vector128.Create(cutoff);
        for (int i = 0; i < width; i++)
        {
            for (int j = 0; j < width; j += Vector128<T>.Count)
            {
                var sum = Vector128<T>.Zero;
                for (int k = 0; k < width; k++) sum += Vector128.Create(outer[i * width + k]) * Vector128.Load(inner + k * width + j);
                Vector128.ConditionalSelect(Vector128.LessThan(Vector128.Abs(sum), limit), Vector128<T>.Zero, sum).Store(target + i * width + j);
            }
        }
    }

    /// <summary>target = outer · inner for one block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Compose<T>(T* outer, T* inner, T* target, int width, int blockSize, T cutoff)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (blockSize != width * width || width == 1)
        {
            for (int i = 0; i < blockSize; i++)
            {
                T product = outer[i] * inner[i];
                target[i] = T.Abs(product) < cutoff ? T.Zero : product;
            }
            return;
        }
        if (Vector256.IsHardwareAccelerated && width % Vector256<T>.Count == 0)
        {
            ComposeVectorized256(outer, inner, target, width, cutoff);
            return;
        }
        if (Vector128.IsHardwareAccelerated && width % Vector128<T>.Count == 0)
        {
            ComposeVectorized128(outer, inner, target, width, cutoff);
            return;
        }
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
        }
        for (int i = 0; i < blockSize; i++)
        {
            if (T.Abs(target[i]) < cutoff) target[i] = T.Zero;
        }
    }
}
