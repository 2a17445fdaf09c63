namespace DeepPcr.Chains;

/// <summary>
/// A step that can hand out a contiguous run of its steps as a chain of its own (views of its parameters, no copy),
/// so that a rank of a distributed solve works on its segment alone: its steps numbered from 0 and the parameter
/// gradients of its steps only.
/// </summary>
public interface ISegmentedChainStep : IChainStep
{
    /// <summary>Steps first..first+count-1 as a chain of length count, sharing this chain's parameters.</summary>
    /// <param name="first">The first step, 0 &lt;= first.</param>
    /// <param name="count">The steps, 1 &lt;= count and first + count &lt;= L.</param>
    /// <exception cref="ArgumentOutOfRangeException">A run outside the chain.</exception>
    IChainStep Segment(int first, int count);
}
