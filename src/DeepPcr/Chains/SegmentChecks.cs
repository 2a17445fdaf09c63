namespace DeepPcr.Chains;

/// <summary>The argument checks of <see cref="ISegmentedChainStep.Segment"/>.</summary>
public static class SegmentChecks
{
    /// <summary>Throws unless 0 &lt;= first, 1 &lt;= count and first + count &lt;= length.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A run outside the chain.</exception>
    public static void Range(int first, int count, int length)
    {
        if (first < 0 || count < 1 || (long)first + count > length)
        {
            throw new ArgumentOutOfRangeException(nameof(first), $"Steps {first}..{(long)first + count - 1} are not a run of 1 or more steps of a chain of {length}.");
        }
    }
}
