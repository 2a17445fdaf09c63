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
    /// <param name="block">The declared block structure.</param>
    /// <param name="a">(L, B, block), read only.</param>
    /// <param name="c">(L, B, w), overwritten with the solution.</param>
    /// <param name="z0">(B, w).</param>
    /// <returns>The rounds run: ceil(log2 L).</returns>
    public static int Solve<T>(int length, int batch, int width, HostBlock block, T* a, T* c, T* z0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int blockSize = block.Size;
        long rowA = (long)batch * blockSize, rowC = (long)batch * width;
        T normal = Limits<T>.SmallestNormal;
        for (int b = 0; b < batch; b++) block.ApplyAdd(a + b * blockSize, z0 + b * width, c + b * width, normal);
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
                RunRound(s, length, batch, width, block, aCur, aNext, cOld, c);
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

    /// <summary>
    /// Round s: for rows l = s..L-1 (0-based), c_l += A_l cOld_{l-s} and, for l &gt;= 2s, aNext_{l-2s} = A_l A_{l-s}.
    /// Rows are split over the cores when the round holds enough work. No allocation.
    /// </summary>
    /// <param name="s">The round's stride.</param>
    /// <param name="length">L.</param>
    /// <param name="batch">B.</param>
    /// <param name="width">w.</param>
    /// <param name="block">The declared block structure.</param>
    /// <param name="aCur">(L - s, B, block): the blocks of rows s..L-1.</param>
    /// <param name="aNext">(L - 2s, B, block), written when L &gt; 2s.</param>
    /// <param name="cOld">(L - s, B, w): c of rows 0..L-s-1 before the round.</param>
    /// <param name="c">(L, B, w): updated in rows s..L-1.</param>
    internal static void RunRound<T>(int s, int length, int batch, int width, HostBlock block, T* aCur, T* aNext, T* cOld, T* c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var round = new Round<T>(s, batch, width, block, aCur, aNext, cOld, c, Limits<T>.SmallestNormal, Limits<T>.Cutoff);
        long work = (long)(length - s) * batch * block.Size * (length - 2 * s > 0 ? width + 1 : 1);
        if (work < ParallelThreshold || HostThreads.Limit == 1)
        {
            round.Rows(s, length);
            return;
        }
        int parts = Math.Min(HostThreads.Limit, length - s);
        Parallel.For(0, parts, p => round.Rows(s + (length - s) * p / parts, s + (length - s) * (p + 1) / parts));
    }

    /// <summary>One round's state; <see cref="Rows"/> updates rows [from, to).</summary>
    private readonly struct Round<T>(int s, int batch, int width, HostBlock block, T* aCur, T* aNext, T* cOld, T* c, T normal, T cutoff)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Rows(int from, int to)
        {
            int blockSize = block.Size;
            long rowA = (long)batch * blockSize, rowC = (long)batch * width;
            for (int l = from; l < to; l++)
            {
                T* al = aCur + (l - s) * rowA;                 // A_l
                T* cl = c + l * rowC;                          // c_l, updated in place
                T* cPrev = cOld + (l - s) * rowC;              // c_{l-s} of the previous round
                T* aPrev = l >= 2 * s ? aCur + (l - 2 * s) * rowA : null;   // A_{l-s}
                T* target = l >= 2 * s ? aNext + (l - 2 * s) * rowA : null; // A_l of the next round
                if (block.Kind == Chains.JacobianStructure.Diagonal || (block.Kind != Chains.JacobianStructure.BlockDiagonal && width == 1))
                {
                    // Diagonal blocks (and w = 1): a whole row is one elementwise operation over B * w values.
                    ElementwiseOps.MultiplyAdd(al, cPrev, cl, (int)rowC, normal);
                    if (target != null) ElementwiseOps.Multiply(al, aPrev, target, (int)rowA, cutoff);
                }
                else if (block.Kind == Chains.JacobianStructure.Scalar)
                {
                    for (int b = 0; b < batch; b++) ElementwiseOps.ScaleAdd(al[b], cPrev + b * width, cl + b * width, width, normal);
                    if (target != null) ElementwiseOps.Multiply(al, aPrev, target, batch, cutoff);
                }
                else if (block.Kind == Chains.JacobianStructure.Dense)
                {
                    // The dense kernels called directly, as before the structure was declared: the per-block switch
                    // of HostBlock halved this round's rate in `deeppcr bench kernels`.
                    for (int b = 0; b < batch; b++) DenseBlockOps.ApplyAdd(al + b * blockSize, cPrev + b * width, cl + b * width, width, normal);
                    if (target != null)
                    {
                        for (int b = 0; b < batch; b++) DenseBlockOps.Compose(al + b * blockSize, aPrev + b * blockSize, target + b * blockSize, width, cutoff);
                    }
                }
                else
                {
                    for (int b = 0; b < batch; b++) block.ApplyAdd(al + b * blockSize, cPrev + b * width, cl + b * width, normal);
                    if (target != null)
                    {
                        for (int b = 0; b < batch; b++) block.Compose(al + b * blockSize, aPrev + b * blockSize, target + b * blockSize, cutoff);
                    }
                }
            }
        }
    }
}
