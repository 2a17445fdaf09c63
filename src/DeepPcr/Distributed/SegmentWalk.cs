using System.Numerics;
using DeepPcr.Linear;
using DeepPcr.Linear.Kernels;

namespace DeepPcr.Distributed;

/// <summary>
/// The two walks of chunked elimination over one rank's segment of z_l = A_l z_{l-1} + c_l (n rows, dense blocks in
/// the host engine's planar layout: entry e of row r = l B + b at a[e * stride + r]): <see cref="Reduce{T}"/> composes
/// the segment into one affine map z_last = P z_start + e, and <see cref="Substitute{T}"/> walks the rows from a known
/// start state. Samples are independent and run in parallel on <see cref="HostThreads.Limit"/> threads.
/// </summary>
internal static unsafe class SegmentWalk
{
    /// <summary>
    /// The segment's map: <paramref name="map"/> (B, w, w) = A_n ... A_1 and <paramref name="end"/> (B, w) = the last
    /// state from <paramref name="start"/> (B, w), or from 0 when it is null. With no rows the map is I and the end the start.
    /// A segment that starts from the chain's known input needs no map (<paramref name="withMap"/> false: it stays I).
    /// </summary>
    public static void Reduce<T>(int rows, int batch, int width, T* a, long stride, T* c, T* start, T[] map, T[] end, bool withMap)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int block = width * width;
        var dense = HostBlock.Dense(width);
        T* startAt = start;
        ForEachSample(batch, b =>
        {
            var buffers = new T[3 * block + width];
            fixed (T* pMap = map, pEnd = end, own = buffers)
            {
                T* current = own, other = own + block, blk = own + 2 * block, y = own + 3 * block, last = pEnd + b * width;
                for (int i = 0; i < width; i++) y[i] = startAt is null ? T.Zero : startAt[b * width + i];
                Identity(current, width);
                for (int l = 0; l < rows; l++)
                {
                    Gather(a, stride, (long)l * batch + b, block, blk);
                    Step(dense, blk, y, c + ((long)l * batch + b) * width, last, width);
                    new Span<T>(last, width).CopyTo(new Span<T>(y, width));
                    if (!withMap) continue;
                    dense.Compose(blk, current, other, Limits<T>.Cutoff);
                    T* swap = current;
                    current = other;
                    other = swap;
                }
                new Span<T>(y, width).CopyTo(new Span<T>(last, width));
                new Span<T>(current, block).CopyTo(new Span<T>(pMap + (long)b * block, block));
            }
        });
    }

    /// <summary>The rows from the start state (B, w): c_l is overwritten with z_l = A_l z_{l-1} + c_l.</summary>
    public static void Substitute<T>(int rows, int batch, int width, T* a, long stride, T* c, T* start)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int block = width * width;
        var dense = HostBlock.Dense(width);
        ForEachSample(batch, b =>
        {
            var buffers = new T[block + width];
            fixed (T* own = buffers)
            {
                T* blk = own, y = own + block;
                for (int i = 0; i < width; i++) y[i] = start[b * width + i];
                for (int l = 0; l < rows; l++)
                {
                    T* target = c + ((long)l * batch + b) * width;
                    Gather(a, stride, (long)l * batch + b, block, blk);
                    Step(dense, blk, y, target, target, width);
                    new Span<T>(target, width).CopyTo(new Span<T>(y, width));
                }
            }
        });
    }

    /// <summary>target = A x + rhs (target may be rhs; x must not alias target).</summary>
    private static void Step<T>(HostBlock dense, T* a, T* x, T* rhs, T* target, int width) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (target != rhs) new Span<T>(rhs, width).CopyTo(new Span<T>(target, width));
        dense.ApplyAdd(a, x, target, Limits<T>.SmallestNormal);
    }

    private static void Gather<T>(T* a, long stride, long row, int block, T* target) where T : unmanaged
    {
        for (int e = 0; e < block; e++) target[e] = a[e * stride + row];
    }

    private static void Identity<T>(T* target, int width) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < width; i++)
        {
            for (int j = 0; j < width; j++) target[i * width + j] = i == j ? T.One : T.Zero;
        }
    }

    private static void ForEachSample(int batch, Action<int> body)
    {
        if (batch == 1 || HostThreads.Limit == 1)
        {
            for (int b = 0; b < batch; b++) body(b);
            return;
        }
        Parallel.For(0, batch, new ParallelOptions { MaxDegreeOfParallelism = HostThreads.Limit }, body);
    }
}
