using System.Numerics;
using DeepPcr.Linear.Kernels;

namespace DeepPcr.Distributed;

/// <summary>
/// Solves z_l = A_l z_{l-1} + c_l over a chain split into contiguous segments, one per rank (in rank order, or in
/// reverse for the backward pass's reversed chain): each rank reduces its segment to one affine map
/// z_last = P z_start + e (<see cref="SegmentWalk.Reduce{T}"/>), the maps are combined across ranks by parallel cyclic
/// reduction in ceil(log2 P) exchange rounds (the scan of DESIGN.md section 1.2 with the combine rule
/// (P_j, e_j) o (P_i, e_i) = (P_j P_i, P_j e_i + e_j), one segment per row), one more round hands each rank the last
/// state of the segment before it, and each rank back-substitutes its rows. A rank that is already solved sends only
/// its state (B w values); the others send their map and state ((w^2 + w) B values for dense blocks, (s + w) B for
/// blocks of s stored entries). The chain's start state z_0 is
/// known on the first segment's rank only.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
internal sealed unsafe class RankLink<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly RankGroup group;
    private readonly bool reversed;
    private readonly int position;

    /// <summary>A link over the group; <paramref name="reversed"/> orders the segments from the last rank to the first.</summary>
    public RankLink(RankGroup group, bool reversed)
    {
        this.group = group;
        this.reversed = reversed;
        position = reversed ? group.Size - 1 - group.Rank : group.Rank;
    }

    /// <summary>The group.</summary>
    public RankGroup Group => group;

    /// <summary>True on the rank whose segment starts the chain (it alone knows z_0).</summary>
    public bool StartsChain => position == 0;

    /// <summary>The PCR rounds across ranks of one solve: ceil(log2 P).</summary>
    public int Rounds => ChainPartition.RoundsFor(group.Size);

    /// <summary>
    /// Solves the chain; on return <paramref name="c"/> holds this segment's states and <paramref name="start"/> (B, w)
    /// the state before its first row. Returns the PCR rounds across ranks.
    /// </summary>
    /// <param name="rows">n, this segment's rows (0 allowed).</param>
    /// <param name="batch">B.</param>
    /// <param name="block">The declared block structure (w and how a block is stored, composed and applied).</param>
    /// <param name="a">Blocks in the planar layout with plane stride <paramref name="stride"/>.</param>
    /// <param name="stride">The plane stride.</param>
    /// <param name="c">(n, B, w), overwritten with the solution.</param>
    /// <param name="z0">(B, w): z_0, read on the rank that starts the chain.</param>
    /// <param name="start">(B, w), written.</param>
    public int Solve(int rows, int batch, HostBlock block, T* a, long stride, T* c, T* z0, T* start)
    {
        int rowSize = batch * block.Width;
        var map = new T[batch * block.Size];
        var end = new T[rowSize];
        SegmentWalk.Reduce(rows, batch, block, a, stride, c, StartsChain ? z0 : null, map, end, withMap: !StartsChain);
        int rounds = Combine(map, end, batch, block);
        ReceiveStart(end, z0, start, rowSize);
        SegmentWalk.Substitute(rows, batch, block, a, stride, c, start);
        return rounds;
    }

    /// <summary>
    /// The same chain row by row: each rank waits for the last state of the segment before it, walks its rows and
    /// hands its last state on (P - 1 exchange rounds on the critical path: the sequential fallback).
    /// </summary>
    public void SolveInOrder(int rows, int batch, HostBlock block, T* a, long stride, T* c, T* z0, T* start)
    {
        int rowSize = batch * block.Width;
        var received = new T[rowSize];
        if (StartsChain) new Span<T>(z0, rowSize).CopyTo(received);
        else group.Exchange<T>(ReadOnlySpan<T>.Empty, -1, received, Neighbour(-1));
        received.CopyTo(new Span<T>(start, rowSize));
        SegmentWalk.Substitute(rows, batch, block, a, stride, c, start);
        var last = rows == 0 ? received : new Span<T>(c + (long)(rows - 1) * rowSize, rowSize).ToArray();
        group.Exchange<T>(last, Neighbour(+1), Span<T>.Empty, -1);
    }

    /// <summary>
    /// PCR across ranks: in round s = 1, 2, 4, ... position q receives from q - s and sends to q + s; on return
    /// <paramref name="end"/> is this segment's last state in the solution.
    /// </summary>
    private int Combine(T[] map, T[] end, int batch, HostBlock block)
    {
        int size = block.Size, width = block.Width, rounds = 0;
        var composed = new T[size];
        for (int s = 1; s < group.Size; s *= 2, rounds++)
        {
            bool solved = position < s, senderSolved = position - s < s;
            var outgoing = solved ? end : Concat(map, end);
            var incoming = new T[position - s >= 0 ? (senderSolved ? end.Length : map.Length + end.Length) : 0];
            group.Exchange<T>(outgoing, Neighbour(+s), incoming, Neighbour(-s));
            if (incoming.Length == 0) continue;
            int offset = senderSolved ? 0 : map.Length;
            fixed (T* pMap = map, pEnd = end, pIn = incoming, pComposed = composed)
            {
                for (int b = 0; b < batch; b++)
                {
                    T* own = pMap + (long)b * size;
                    block.ApplyAdd(own, pIn + offset + b * width, pEnd + b * width, Limits<T>.SmallestNormal);
                    if (senderSolved) continue;
                    block.Compose(own, pIn + (long)b * size, pComposed, Limits<T>.Cutoff);
                    new Span<T>(pComposed, size).CopyTo(new Span<T>(own, size));
                }
            }
        }
        return rounds;
    }

    /// <summary>The state before this segment: z_0 on the first, else the last state of the segment before.</summary>
    private void ReceiveStart(T[] end, T* z0, T* start, int rowSize)
    {
        var received = new T[rowSize];
        group.Exchange<T>(end, Neighbour(+1), received, Neighbour(-1));
        if (StartsChain) new Span<T>(z0, rowSize).CopyTo(received);
        received.CopyTo(new Span<T>(start, rowSize));
    }

    /// <summary>The rank at position q + offset in the link's order, or -1 when there is none.</summary>
    private int Neighbour(int offset)
    {
        int q = position + offset;
        if (q < 0 || q >= group.Size) return -1;
        return reversed ? group.Size - 1 - q : q;
    }

    private static T[] Concat(T[] first, T[] second)
    {
        var all = new T[first.Length + second.Length];
        first.CopyTo(all, 0);
        second.CopyTo(all, first.Length);
        return all;
    }
}
