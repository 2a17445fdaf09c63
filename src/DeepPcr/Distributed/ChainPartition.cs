namespace DeepPcr.Distributed;

/// <summary>
/// The contiguous segment of an L-step chain that one of P ranks owns: rank r holds steps floor(r L / P) up to
/// floor((r + 1) L / P) - 1, so the segments differ by at most one step, and when P &gt; L some ranks hold none.
/// </summary>
/// <param name="Length">L.</param>
/// <param name="Ranks">P.</param>
/// <param name="Rank">r.</param>
public readonly record struct ChainPartition(int Length, int Ranks, int Rank)
{
    /// <summary>The first step of the segment (0-based; it reads z_First).</summary>
    public int First => (int)((long)Rank * Length / Ranks);

    /// <summary>The steps of the segment (0 when the rank holds none).</summary>
    public int Count => (int)((long)(Rank + 1) * Length / Ranks) - First;

    /// <summary>The PCR rounds across P ranks in one linear solve: ceil(log2 P).</summary>
    public static int RoundsFor(int ranks)
    {
        int rounds = 0;
        for (long s = 1; s < ranks; s *= 2) rounds++;
        return rounds;
    }

    /// <summary>The partition of a chain over a group.</summary>
    public static ChainPartition Of(int length, RankGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        return new ChainPartition(length, group.Size, group.Rank);
    }
}
