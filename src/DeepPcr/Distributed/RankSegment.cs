using System.Numerics;
using DeepPcr.Chains;
using static TorchSharp.torch;

namespace DeepPcr.Distributed;

/// <summary>
/// A chain as one rank of a distributed run holds it: the whole chain's length and width, and only the steps of this
/// rank's segment (for instance one rank's layers read from a model file), so that no rank needs the others' parameters.
/// <see cref="DistributedSolver"/> and <see cref="SequentialRelay"/> take it as the chain; asking it for a step outside
/// the segment is an error.
/// </summary>
public sealed class RankSegment : IHostChainStep, ISegmentedChainStep
{
    private readonly IHostChainStep? steps;

    /// <summary>The chain of <paramref name="length"/> steps of which this rank holds steps first..first+n-1.</summary>
    /// <param name="steps">The segment's steps as a chain of their own (n = its length), or null where the rank holds none.</param>
    /// <param name="length">L, the whole chain's length.</param>
    /// <param name="width">w.</param>
    /// <param name="first">The segment's first step in the whole chain.</param>
    /// <param name="structure">The Jacobian structure of every step (the segment's, where it has steps): dense, diagonal
    /// or scalar (a block-diagonal step needs its block count, which only the step itself knows).</param>
    /// <exception cref="ArgumentException">A segment outside the chain, or of another width.</exception>
    public RankSegment(IHostChainStep? steps, int length, int width, int first, JacobianStructure structure)
    {
        int count = steps?.Length ?? 0;
        if (structure == JacobianStructure.BlockDiagonal) throw new ArgumentException("A rank segment carries dense, diagonal or scalar Jacobians.", nameof(structure));
        if (length < 1 || first < 0 || first + count > length) throw new ArgumentException($"A segment of {count} steps from step {first} does not fit a chain of {length} steps.", nameof(steps));
        if (steps is not null && (steps.Width != width || steps.JacobianStructure != structure)) throw new ArgumentException("The segment's width or Jacobian structure differs from the chain's.", nameof(steps));
        this.steps = steps;
        Length = length;
        Width = width;
        First = first;
        JacobianStructure = structure;
    }

    /// <summary>The segment's first step.</summary>
    public int First { get; }

    /// <summary>The steps this rank holds.</summary>
    public int Count => steps?.Length ?? 0;

    /// <inheritdoc />
    public int Length { get; }

    /// <inheritdoc />
    public int Width { get; }

    /// <inheritdoc />
    public JacobianStructure JacobianStructure { get; }

    /// <summary>The segment's own chain for exactly its steps (first = <see cref="First"/>, count = <see cref="Count"/>),
    /// or a part of it where the segment can hand out parts.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Steps this rank does not hold.</exception>
    public IChainStep Segment(int first, int count)
    {
        var held = Held(first, count);
        if (first == First && count == Count) return held;
        return held is ISegmentedChainStep segmented ? segmented.Segment(first - First, count)
            : throw new ArgumentOutOfRangeException(nameof(count), $"This rank's steps {First}..{First + Count - 1} cannot be split.");
    }

    /// <inheritdoc />
    public Tensor Evaluate(int first, Tensor inputs) => Held(first, (int)inputs.size(0)).Evaluate(first - First, inputs);

    /// <inheritdoc />
    public Tensor? Jacobian(int first, Tensor inputs) => Held(first, (int)inputs.size(0)).Jacobian(first - First, inputs);

    /// <inheritdoc />
    public bool SupportsHost(ScalarType dtype) => steps?.SupportsHost(dtype) ?? dtype is ScalarType.Float32 or ScalarType.Float64;

    /// <inheritdoc />
    public void EvaluateOnHost<T>(int first, int batch, ReadOnlySpan<T> inputs, Span<T> outputs, Span<T> jacobian, long stride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (inputs.Length > 0) Held(first, inputs.Length / (batch * Width)).EvaluateOnHost(first - First, batch, inputs, outputs, jacobian, stride);
    }

    /// <inheritdoc />
    public void RunSequentialOnHost<T>(int first, int batch, ReadOnlySpan<T> start, Span<T> states)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (states.Length > 0) Held(first, states.Length / (batch * Width)).RunSequentialOnHost(first - First, batch, start, states);
    }

    private IHostChainStep Held(int first, int count)
    {
        if (steps is null || first < First || count < 0 || first + count > First + Count)
        {
            throw new ArgumentOutOfRangeException(nameof(first), $"Steps {first}..{first + count - 1} are not this rank's: it holds {(Count == 0 ? "none" : $"steps {First}..{First + Count - 1}")} of {Length}.");
        }
        return steps;
    }
}
