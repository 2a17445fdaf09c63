using System.Numerics;
using System.Runtime.InteropServices;

namespace DeepPcr.Linear.Kernels;

/// <summary>
/// Hybrid chunked PCR on host memory (row-major blocks, as <see cref="CpuPcrKernel"/>): the L rows are cut into
/// M chunks of c rows. (1) Each chunk, in parallel, walks its rows once, composing its blocks into one map
/// P_m = A_end ... A_start and its right-hand sides into e_m (the chunk's last state from a zero start; chunk 0
/// from z_0). (2) PCR solves the M boundary states Z_m = P_m Z_{m-1} + e_m in ceil(log2 M) rounds.
/// (3) Each chunk, in parallel, walks its rows again from Z_{m-1}. Work: about L block products and 2L
/// block-vector products plus M log2 M block products, against L log2 L block products for plain PCR.
/// </summary>
internal static unsafe class ChunkedPcrKernel
{
    /// <summary>Solves in place: on return <paramref name="c"/> holds z_1..z_L. Returns the PCR rounds over the chunks.</summary>
    /// <param name="length">L.</param>
    /// <param name="batch">B.</param>
    /// <param name="width">w.</param>
    /// <param name="blockSize">w * w, w or 1.</param>
    /// <param name="chunk">Rows per chunk, 1 &lt;= chunk.</param>
    /// <param name="a">(L, B, block), read only.</param>
    /// <param name="c">(L, B, w), overwritten with the solution.</param>
    /// <param name="z0">(B, w).</param>
    public static int Solve<T>(int length, int batch, int width, int blockSize, int chunk, T* a, T* c, T* z0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int chunks = (length + chunk - 1) / chunk;
        long rowA = (long)batch * blockSize, rowC = (long)batch * width;
        T* maps = (T*)NativeMemory.AllocZeroed((nuint)(chunks * rowA * 2), (nuint)sizeof(T));   // P_m, then scratch
        T* ends = (T*)NativeMemory.AllocZeroed((nuint)(chunks * rowC), (nuint)sizeof(T));       // e_m, then Z_m
        T* zeros = (T*)NativeMemory.AllocZeroed((nuint)rowC, (nuint)sizeof(T));
        try
        {
            T normal = Limits<T>.SmallestNormal, cutoff = Limits<T>.Cutoff;
            int parallelism = Math.Min(HostThreads.Limit, chunks);
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, m =>
            {
                int from = m * chunk, to = Math.Min(length, from + chunk);
                T* map = maps + m * rowA, spare = maps + (chunks + m) * rowA, end = ends + m * rowC;
                var state = new T[width];
                fixed (T* y = state)
                {
                    for (int b = 0; b < batch; b++)
                    {
                        // e_m: the chunk's walk from 0 (chunk 0: from z_0, whose map is then 0).
                        for (int i = 0; i < width; i++) y[i] = m == 0 ? z0[b * width + i] : T.Zero;
                        T* current = map + b * blockSize, other = spare + b * blockSize;
                        for (int l = from; l < to; l++)
                        {
                            T* al = a + l * rowA + b * blockSize;
                            Step(al, y, c + l * rowC + b * width, end + b * width, width, blockSize, normal);
                            new Span<T>(end + b * width, width).CopyTo(new Span<T>(y, width));
                            if (m == 0) continue;
                            if (l == from)
                            {
                                new Span<T>(al, blockSize).CopyTo(new Span<T>(current, blockSize));
                                continue;
                            }
                            CpuPcrKernel.Compose(al, current, other, width, blockSize, cutoff);
                            T* swap = current;
                            current = other;
                            other = swap;
                        }
                        if (current != map + b * blockSize) new Span<T>(current, blockSize).CopyTo(new Span<T>(map + b * blockSize, blockSize));
                    }
                }
            });

            // Boundary states: Z_m = P_m Z_{m-1} + e_m with Z_{-1} = 0 (chunk 0's map is 0).
            int rounds = CpuPcrKernel.Solve(chunks, batch, width, blockSize, maps, ends, zeros);

            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, m =>
            {
                int from = m * chunk, to = Math.Min(length, from + chunk);
                var state = new T[width];
                fixed (T* y = state)
                {
                    for (int b = 0; b < batch; b++)
                    {
                        T* start = m == 0 ? z0 + b * width : ends + (m - 1) * rowC + b * width;
                        for (int i = 0; i < width; i++) y[i] = start[i];
                        for (int l = from; l < to; l++)
                        {
                            T* target = c + l * rowC + b * width;
                            Step(a + l * rowA + b * blockSize, y, target, target, width, blockSize, normal);
                            new Span<T>(target, width).CopyTo(new Span<T>(y, width));
                        }
                    }
                }
            });
            return rounds;
        }
        finally
        {
            NativeMemory.Free(maps);
            NativeMemory.Free(ends);
            NativeMemory.Free(zeros);
        }
    }

    /// <summary>target = A x + rhs (target may be rhs; x must not alias target).</summary>
    private static void Step<T>(T* a, T* x, T* rhs, T* target, int width, int blockSize, T normal)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (target != rhs) new Span<T>(rhs, width).CopyTo(new Span<T>(target, width));
        CpuPcrKernel.ApplyAdd(a, x, target, width, blockSize, normal);
    }
}
