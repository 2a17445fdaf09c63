using System.Numerics;
using DeepPcr.Chains;
using DeepPcr.Linear;
using DeepPcr.Linear.Kernels;

namespace DeepPcr.Distributed;

/// <summary>
/// The two walks of chunked elimination over one rank's segment of z_l = A_l z_{l-1} + c_l (n rows, blocks of the
/// declared structure in the host engine's planar layout: entry e of row r = l B + b at a[e * stride + r]):
/// <see cref="Reduce{T}"/> composes the segment into one affine map z_last = P z_start + e, and
/// <see cref="Substitute{T}"/> walks the rows from a known start state. Samples are independent and run in parallel on
/// <see cref="HostThreads.Limit"/> threads.
/// </summary>
internal static unsafe class SegmentWalk
{
    /// <summary>
    /// The segment's map: <paramref name="map"/> (B, block) = A_n ... A_1 and <paramref name="end"/> (B, w) = the last
    /// state from <paramref name="start"/> (B, w), or from 0 when it is null. With no rows the map is I and the end the start.
    /// A segment that starts from the chain's known input needs no map (<paramref name="withMap"/> false: it stays I).
    /// </summary>
    public static void Reduce<T>(int rows, int batch, HostBlock block, T* a, long stride, T* c, T* start, T[] map, T[] end, bool withMap)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int size = block.Size, width = block.Width;
        T* startAt = start;
        ForEachSample(batch, b =>
        {
            var buffers = new T[3 * size + width];
            fixed (T* pMap = map, pEnd = end, own = buffers)
            {
                T* current = own, other = own + size, blk = own + 2 * size, y = own + 3 * size, last = pEnd + b * width;
                for (int i = 0; i < width; i++) y[i] = startAt is null ? T.Zero : startAt[b * width + i];
                Identity(block, current);
                for (int l = 0; l < rows; l++)
                {
                    block.Gather(a, stride, (long)l * batch + b, blk);
                    Step(block, blk, y, c + ((long)l * batch + b) * width, last);
                    new Span<T>(last, width).CopyTo(new Span<T>(y, width));
                    if (!withMap) continue;
                    block.Compose(blk, current, other, Limits<T>.Cutoff);
                    T* swap = current;
                    current = other;
                    other = swap;
                }
                new Span<T>(y, width).CopyTo(new Span<T>(last, width));
                new Span<T>(current, size).CopyTo(new Span<T>(pMap + (long)b * size, size));
            }
        });
    }

    /// <summary>The rows from the start state (B, w): c_l is overwritten with z_l = A_l z_{l-1} + c_l.</summary>
    public static void Substitute<T>(int rows, int batch, HostBlock block, T* a, long stride, T* c, T* start)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int size = block.Size, width = block.Width;
        ForEachSample(batch, b =>
        {
            var buffers = new T[size + width];
            fixed (T* own = buffers)
            {
                T* blk = own, y = own + size;
                for (int i = 0; i < width; i++) y[i] = start[b * width + i];
                for (int l = 0; l < rows; l++)
                {
                    T* target = c + ((long)l * batch + b) * width;
                    block.Gather(a, stride, (long)l * batch + b, blk);
                    Step(block, blk, y, target, target);
                    new Span<T>(target, width).CopyTo(new Span<T>(y, width));
                }
            }
        });
    }

    /// <summary>The identity in the block's storage: I (dense), ones (diagonal, scalar), the identity's diagonals (block-diagonal).</summary>
    private static void Identity<T>(HostBlock block, T* target) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int size = block.Size;
        for (int e = 0; e < size; e++) target[e] = T.Zero;
        switch (block.Kind)
        {
            case JacobianStructure.Dense:
                for (int i = 0; i < block.Width; i++) target[i * block.Width + i] = T.One;
                break;
            case JacobianStructure.BlockDiagonal:
                for (int i = 0; i < block.Blocks; i++)
                {
                    for (int m = 0; m < block.Part; m++) target[(i * block.Blocks + i) * block.Part + m] = T.One;
                }
                break;
            default:
                for (int e = 0; e < size; e++) target[e] = T.One;
                break;
        }
    }

    /// <summary>target = A x + rhs (target may be rhs; x must not alias target).</summary>
    private static void Step<T>(HostBlock block, T* a, T* x, T* rhs, T* target) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (target != rhs) new Span<T>(rhs, block.Width).CopyTo(new Span<T>(target, block.Width));
        block.ApplyAdd(a, x, target, Limits<T>.SmallestNormal);
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
