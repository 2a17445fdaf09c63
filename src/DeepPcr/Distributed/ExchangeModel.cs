namespace DeepPcr.Distributed;

/// <summary>
/// What one linear solve of <see cref="RankLink{T}"/> sends, by the rules it follows (docs/distributed.md): in PCR
/// round s = 1, 2, 4, ... &lt; P every position q &lt; P - s sends to q + s, its state alone (B w values) when it is
/// already solved (q &lt; s), else its map and state ((w^2 + w) B values); then every position but the last hands its
/// state to the next (B w values).
/// </summary>
public static class ExchangeModel
{
    /// <summary>Bytes all ranks send in one solve by PCR across P ranks.</summary>
    /// <param name="ranks">P.</param>
    /// <param name="batch">B.</param>
    /// <param name="width">w.</param>
    /// <param name="elementSize">4 (float32) or 8 (float64).</param>
    public static long BytesPerSolve(int ranks, int batch, int width, int elementSize)
    {
        long state = (long)batch * width, map = (long)batch * width * width, values = 0;
        for (long s = 1; s < ranks; s *= 2)
        {
            for (long q = 0; q + s < ranks; q++) values += q < s ? state : map + state;
        }
        return (values + BytesInOrder(ranks, batch, width, 1)) * elementSize;
    }

    /// <summary>Bytes all ranks send in one solve rank after rank (and in the hand-over that ends a PCR solve): (P - 1) B w values.</summary>
    public static long BytesInOrder(int ranks, int batch, int width, int elementSize) => (long)(ranks - 1) * batch * width * elementSize;
}
