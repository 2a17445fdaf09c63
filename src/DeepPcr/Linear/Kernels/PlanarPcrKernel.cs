using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepPcr.Linear.Kernels;

/// <summary>
/// PCR rounds in the planar layout, vectorised across rows instead of inside blocks: entry e of the blocks of all
/// N = L B rows lies in one plane, a[e * stride + n] with n = l B + b (and likewise c[i * stride + n]). Row n's
/// partner in round s is row n - s B, so every operand of a round is a contiguous run of a plane: entry (i, j) of
/// A_l A_{l-s} for 16 consecutive rows is sum_k a_ik[n..n+16] * a_kj[n-sB..n-sB+16], a fused multiply-add of
/// whole Vector512 registers with no broadcast, no horizontal sum and no dependence on w being a multiple of the
/// lane count. Two block rows share each load of the partner's entries (16 accumulators), so the loop is bound by
/// the FMA units rather than the loads. Planes are padded (<see cref="StrideFor"/>) so that the w^2 streams of a
/// dense round do not fall on the same cache sets.
/// Used when the CPU has Vector512 (AVX-512); <see cref="CpuPcrKernel"/> covers every other CPU.
/// </summary>
internal static unsafe class PlanarPcrKernel
{
    /// <summary>True when Vector512 is hardware accelerated.</summary>
    public static bool IsSupported => Vector512.IsHardwareAccelerated;

    /// <summary>
    /// Multiply-adds in one round below which the round runs on one thread: waking the thread pool costs tens of
    /// microseconds, so (1024, 4, 1), 82 thousand multiply-adds a round, ran twice as fast on one thread.
    /// </summary>
    private const long ParallelThreshold = 1 << 20;

    /// <summary>Scratch values <see cref="Solve{T}"/> needs: two sets of block planes and one of state planes.</summary>
    public static long ScratchFor(int width, int blockSize, long stride) => (2L * blockSize + width) * stride;

    /// <summary>The plane stride for N rows: N rounded up to a whole cache line plus one cache line.</summary>
    public static long StrideFor<T>(long rows) where T : unmanaged => (rows + 2 * Vector512<T>.Count - 1) / Vector512<T>.Count * Vector512<T>.Count + Vector512<T>.Count;

    /// <summary>
    /// Solves in place: on return <paramref name="c"/> holds z_1..z_L (planar). <paramref name="a"/> is read only.
    /// </summary>
    /// <param name="length">L.</param>
    /// <param name="batch">B.</param>
    /// <param name="width">w.</param>
    /// <param name="blockSize">w * w (dense), w (diagonal) or 1 (scalar).</param>
    /// <param name="a">blockSize planes of N = L B values, plane stride <paramref name="stride"/>.</param>
    /// <param name="c">w planes of N values, overwritten with the solution.</param>
    /// <param name="z0">(B, w) row-major.</param>
    /// <param name="stride">The plane stride (at least N).</param>
    /// <returns>The rounds run.</returns>
    /// <param name="scratch">At least <see cref="ScratchFor"/> values, 64-byte aligned.</param>
    public static int Solve<T>(int length, int batch, int width, int blockSize, T* a, T* c, T* z0, long stride, T* scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T normal = Limits<T>.SmallestNormal;
        FoldStart(batch, width, blockSize, a, c, z0, stride, normal);
        if (length == 1) return 0;
        T* bufferA = scratch, cOld = scratch + 2 * blockSize * stride;
        T* aCur = a, aNext = bufferA;
        int rounds = 0;
        for (int s = 1; s < length; s *= 2)
        {
            long done = (long)(length - s) * batch;
            for (int i = 0; i < width; i++) Buffer.MemoryCopy(c + i * stride, cOld + i * stride, done * sizeof(T), done * sizeof(T));
            RunRound(s, length, batch, width, blockSize, aCur, aNext, cOld, c, stride);
            aCur = aNext;
            aNext = aNext == bufferA ? bufferA + blockSize * stride : bufferA;
            rounds++;
        }
        return rounds;
    }

    /// <summary>
    /// Round s: c[n] += A[n] cOld[n - sB] for n in [sB, N), aNext[n] = A[n] A[n - sB] for n in [2sB, N).
    /// Lanes are split over the cores when the round holds enough work. No allocation.
    /// </summary>
    public static void RunRound<T>(int s, int length, int batch, int width, int blockSize, T* aCur, T* aNext, T* cOld, T* c, long stride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long rows = (long)length * batch, back = (long)s * batch;
        var round = new Round<T>(width, blockSize, aCur, aNext, cOld, c, stride, back);
        long work = (rows - back) * blockSize * (rows > 2 * back ? width + 1 : 1);
        if (work < ParallelThreshold || Environment.ProcessorCount == 1)
        {
            round.Lanes(back, rows);
            return;
        }
        int parts = Environment.ProcessorCount;
        long span = rows - back, lanes = Vector512<T>.Count;
        Parallel.For(0, parts, p =>
        {
            // Part boundaries on whole vectors, so that no vector is split between two threads.
            long from = back + span * p / parts / lanes * lanes, to = p == parts - 1 ? rows : back + span * (p + 1) / parts / lanes * lanes;
            round.Lanes(from, to);
        });
    }

    /// <summary>c_1 += A_1 z_0 for every sample (rows n = 0..B-1).</summary>
    private static void FoldStart<T>(int batch, int width, int blockSize, T* a, T* c, T* z0, long stride, T normal)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < width; i++)
            {
                T sum = c[i * stride + b];
                if (blockSize == width * width && width > 1)
                {
                    for (int j = 0; j < width; j++) sum += a[(i * width + j) * stride + b] * z0[b * width + j];
                }
                else
                {
                    sum += a[(blockSize == 1 ? 0 : i) * stride + b] * z0[b * width + i];
                }
                c[i * stride + b] = T.Abs(sum) < normal ? T.Zero : sum;
            }
        }
    }

    /// <summary>One round's pointers; <see cref="Lanes"/> updates rows [from, to).</summary>
    private readonly struct Round<T>(int width, int blockSize, T* aCur, T* aNext, T* cOld, T* c, long stride, long back)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Lanes(long from, long to)
        {
            bool dense = blockSize == width * width && width > 1;
            long composeFrom = Math.Max(from, 2 * back);
            var normal = Vector512.Create(Limits<T>.SmallestNormal);
            var cutoff = Vector512.Create(Limits<T>.Cutoff);
            int lanes = Vector512<T>.Count;
            long n = from;
            for (; n + lanes <= to; n += lanes)
            {
                if (dense) ApplyDense(n, normal);
                else ApplyElementwise(n, normal);
            }
            ScalarApply(n, to, dense);
            n = composeFrom;
            for (; n + lanes <= to; n += lanes)
            {
                if (dense) ComposeDense(n, cutoff);
                else ComposeElementwise(n, cutoff);
            }
            ScalarCompose(Math.Max(n, composeFrom), to, dense);
        }

        private void ApplyDense(long n, Vector512<T> limit)
        {
            for (int i = 0; i < width; i++)
            {
                T* ai = aCur + (long)i * width * stride + n;
                T* x = cOld + n - back;
                var acc0 = Vector512.Load(c + i * stride + n);
                var acc1 = Vector512<T>.Zero;
                int j = 0;
                for (; j + 1 < width; j += 2)
                {
                    acc0 = SimdMath.Fma(Vector512.Load(ai + j * stride), Vector512.Load(x + j * stride), acc0);
                    acc1 = SimdMath.Fma(Vector512.Load(ai + (j + 1) * stride), Vector512.Load(x + (j + 1) * stride), acc1);
                }
                if (j < width) acc0 = SimdMath.Fma(Vector512.Load(ai + j * stride), Vector512.Load(x + j * stride), acc0);
                SimdMath.Flushed(acc0 + acc1, limit).Store(c + i * stride + n);
            }
        }

        private void ApplyElementwise(long n, Vector512<T> limit)
        {
            for (int i = 0; i < width; i++)
            {
                var ai = Vector512.Load(aCur + (blockSize == 1 ? 0 : i) * stride + n);
                var sum = SimdMath.Fma(ai, Vector512.Load(cOld + i * stride + n - back), Vector512.Load(c + i * stride + n));
                SimdMath.Flushed(sum, limit).Store(c + i * stride + n);
            }
        }

        private void ComposeElementwise(long n, Vector512<T> limit)
        {
            for (int e = 0; e < blockSize; e++)
            {
                var p = Vector512.Load(aCur + e * stride + n) * Vector512.Load(aCur + e * stride + n - back);
                SimdMath.Flushed(p, limit).Store(aNext + e * stride + n);
            }
        }

        private void ComposeDense(long n, Vector512<T> limit)
        {
            if (width == 4)
            {
                ComposeFourByFour(n, limit);
                return;
            }
            int i = 0;
            for (; i + 1 < width; i += 2)
            {
                int j = 0;
                for (; j + 8 <= width; j += 8) ComposeTwoRowsEight(i, j, n, limit);
                for (; j < width; j++) { ComposeOne(i, j, n, limit); ComposeOne(i + 1, j, n, limit); }
            }
            if (i < width)
            {
                for (int j = 0; j < width; j++) ComposeOne(i, j, n, limit);
            }
        }

        /// <summary>Entries (i..i+1, j..j+7) of A_n A_{n-sB} for 16 (or 8) lanes: 16 accumulators, 10 loads per 16 FMAs.</summary>
        private void ComposeTwoRowsEight(int i, int j, long n, Vector512<T> limit)
        {
            Vector512<T> p0 = default, p1 = default, p2 = default, p3 = default, p4 = default, p5 = default, p6 = default, p7 = default;
            Vector512<T> q0 = default, q1 = default, q2 = default, q3 = default, q4 = default, q5 = default, q6 = default, q7 = default;
            T* rowP = aCur + (long)i * width * stride + n;
            T* rowQ = rowP + (long)width * stride;
            T* inner = aCur + (long)j * stride + n - back;
            for (int k = 0; k < width; k++, rowP += stride, rowQ += stride, inner += width * stride)
            {
                var x = Vector512.Load(rowP);
                var y = Vector512.Load(rowQ);
                var v0 = Vector512.Load(inner);
                var v1 = Vector512.Load(inner + stride);
                var v2 = Vector512.Load(inner + 2 * stride);
                var v3 = Vector512.Load(inner + 3 * stride);
                p0 = SimdMath.Fma(x, v0, p0); q0 = SimdMath.Fma(y, v0, q0);
                p1 = SimdMath.Fma(x, v1, p1); q1 = SimdMath.Fma(y, v1, q1);
                p2 = SimdMath.Fma(x, v2, p2); q2 = SimdMath.Fma(y, v2, q2);
                p3 = SimdMath.Fma(x, v3, p3); q3 = SimdMath.Fma(y, v3, q3);
                var v4 = Vector512.Load(inner + 4 * stride);
                var v5 = Vector512.Load(inner + 5 * stride);
                var v6 = Vector512.Load(inner + 6 * stride);
                var v7 = Vector512.Load(inner + 7 * stride);
                p4 = SimdMath.Fma(x, v4, p4); q4 = SimdMath.Fma(y, v4, q4);
                p5 = SimdMath.Fma(x, v5, p5); q5 = SimdMath.Fma(y, v5, q5);
                p6 = SimdMath.Fma(x, v6, p6); q6 = SimdMath.Fma(y, v6, q6);
                p7 = SimdMath.Fma(x, v7, p7); q7 = SimdMath.Fma(y, v7, q7);
            }
            T* outP = aNext + ((long)i * width + j) * stride + n;
            T* outQ = outP + (long)width * stride;
            SimdMath.Flushed(p0, limit).Store(outP); SimdMath.Flushed(q0, limit).Store(outQ);
            SimdMath.Flushed(p1, limit).Store(outP + stride); SimdMath.Flushed(q1, limit).Store(outQ + stride);
            SimdMath.Flushed(p2, limit).Store(outP + 2 * stride); SimdMath.Flushed(q2, limit).Store(outQ + 2 * stride);
            SimdMath.Flushed(p3, limit).Store(outP + 3 * stride); SimdMath.Flushed(q3, limit).Store(outQ + 3 * stride);
            SimdMath.Flushed(p4, limit).Store(outP + 4 * stride); SimdMath.Flushed(q4, limit).Store(outQ + 4 * stride);
            SimdMath.Flushed(p5, limit).Store(outP + 5 * stride); SimdMath.Flushed(q5, limit).Store(outQ + 5 * stride);
            SimdMath.Flushed(p6, limit).Store(outP + 6 * stride); SimdMath.Flushed(q6, limit).Store(outQ + 6 * stride);
            SimdMath.Flushed(p7, limit).Store(outP + 7 * stride); SimdMath.Flushed(q7, limit).Store(outQ + 7 * stride);
        }

        /// <summary>The whole 4 x 4 product for one vector of lanes: 16 accumulators, 8 loads per 16 FMAs.</summary>
        private void ComposeFourByFour(long n, Vector512<T> limit)
        {
            Vector512<T> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default;
            Vector512<T> s20 = default, s21 = default, s22 = default, s23 = default, s30 = default, s31 = default, s32 = default, s33 = default;
            T* row = aCur + n;
            T* inner = aCur + n - back;
            for (int k = 0; k < 4; k++, row += stride, inner += 4 * stride)
            {
                var x0 = Vector512.Load(row);
                var x1 = Vector512.Load(row + 4 * stride);
                var x2 = Vector512.Load(row + 8 * stride);
                var x3 = Vector512.Load(row + 12 * stride);
                var v0 = Vector512.Load(inner);
                var v1 = Vector512.Load(inner + stride);
                var v2 = Vector512.Load(inner + 2 * stride);
                var v3 = Vector512.Load(inner + 3 * stride);
                s00 = SimdMath.Fma(x0, v0, s00); s01 = SimdMath.Fma(x0, v1, s01); s02 = SimdMath.Fma(x0, v2, s02); s03 = SimdMath.Fma(x0, v3, s03);
                s10 = SimdMath.Fma(x1, v0, s10); s11 = SimdMath.Fma(x1, v1, s11); s12 = SimdMath.Fma(x1, v2, s12); s13 = SimdMath.Fma(x1, v3, s13);
                s20 = SimdMath.Fma(x2, v0, s20); s21 = SimdMath.Fma(x2, v1, s21); s22 = SimdMath.Fma(x2, v2, s22); s23 = SimdMath.Fma(x2, v3, s23);
                s30 = SimdMath.Fma(x3, v0, s30); s31 = SimdMath.Fma(x3, v1, s31); s32 = SimdMath.Fma(x3, v2, s32); s33 = SimdMath.Fma(x3, v3, s33);
            }
            T* o = aNext + n;
            SimdMath.Flushed(s00, limit).Store(o); SimdMath.Flushed(s01, limit).Store(o + stride); SimdMath.Flushed(s02, limit).Store(o + 2 * stride); SimdMath.Flushed(s03, limit).Store(o + 3 * stride);
            o += 4 * stride;
            SimdMath.Flushed(s10, limit).Store(o); SimdMath.Flushed(s11, limit).Store(o + stride); SimdMath.Flushed(s12, limit).Store(o + 2 * stride); SimdMath.Flushed(s13, limit).Store(o + 3 * stride);
            o += 4 * stride;
            SimdMath.Flushed(s20, limit).Store(o); SimdMath.Flushed(s21, limit).Store(o + stride); SimdMath.Flushed(s22, limit).Store(o + 2 * stride); SimdMath.Flushed(s23, limit).Store(o + 3 * stride);
            o += 4 * stride;
            SimdMath.Flushed(s30, limit).Store(o); SimdMath.Flushed(s31, limit).Store(o + stride); SimdMath.Flushed(s32, limit).Store(o + 2 * stride); SimdMath.Flushed(s33, limit).Store(o + 3 * stride);
        }

        /// <summary>Entry (i, j) of A_n A_{n-sB} for one vector of lanes, two accumulators.</summary>
        private void ComposeOne(int i, int j, long n, Vector512<T> limit)
        {
            T* row = aCur + (long)i * width * stride + n;
            T* inner = aCur + (long)j * stride + n - back;
            Vector512<T> s0 = default, s1 = default;
            int k = 0;
            for (; k + 1 < width; k += 2)
            {
                s0 = SimdMath.Fma(Vector512.Load(row + k * stride), Vector512.Load(inner + (long)k * width * stride), s0);
                s1 = SimdMath.Fma(Vector512.Load(row + (k + 1) * stride), Vector512.Load(inner + (long)(k + 1) * width * stride), s1);
            }
            if (k < width) s0 = SimdMath.Fma(Vector512.Load(row + k * stride), Vector512.Load(inner + (long)k * width * stride), s0);
            SimdMath.Flushed(s0 + s1, limit).Store(aNext + ((long)i * width + j) * stride + n);
        }

        private void ScalarApply(long from, long to, bool dense)
        {
            T normal = Limits<T>.SmallestNormal;
            for (long n = from; n < to; n++)
            {
                for (int i = 0; i < width; i++)
                {
                    T sum = c[i * stride + n];
                    if (dense)
                    {
                        for (int j = 0; j < width; j++) sum += aCur[(i * width + j) * stride + n] * cOld[j * stride + n - back];
                    }
                    else
                    {
                        sum += aCur[(blockSize == 1 ? 0 : i) * stride + n] * cOld[i * stride + n - back];
                    }
                    c[i * stride + n] = T.Abs(sum) < normal ? T.Zero : sum;
                }
            }
        }

        private void ScalarCompose(long from, long to, bool dense)
        {
            T cutoff = Limits<T>.Cutoff;
            for (long n = from; n < to; n++)
            {
                if (!dense)
                {
                    for (int e = 0; e < blockSize; e++)
                    {
                        T p = aCur[e * stride + n] * aCur[e * stride + n - back];
                        aNext[e * stride + n] = T.Abs(p) < cutoff ? T.Zero : p;
                    }
                    continue;
                }
                for (int i = 0; i < width; i++)
                {
                    for (int j = 0; j < width; j++)
                    {
                        T sum = T.Zero;
                        for (int k = 0; k < width; k++) sum += aCur[(i * width + k) * stride + n] * aCur[(k * width + j) * stride + n - back];
                        aNext[(i * width + j) * stride + n] = T.Abs(sum) < cutoff ? T.Zero : sum;
                    }
                }
            }
        }
    }
}
