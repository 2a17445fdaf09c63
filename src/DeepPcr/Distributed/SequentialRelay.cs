using DeepPcr.Backward;
using DeepPcr.Chains;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Distributed;

/// <summary>
/// The sequential pass over a chain split across ranks, rank after rank: each rank waits for the last state of the
/// segment before it, runs its steps one after another (the fused host loop where it applies) and hands its last state
/// on; the backward pass goes the other way with the row-by-row adjoint. It is the baseline a user of P ranks would
/// write without DeepPCR, and, run in float64, the reference the distributed solves are checked against; its memory
/// stays with each rank as the solve's does.
/// </summary>
public static class SequentialRelay
{
    /// <summary>This rank's segment of z_1..z_L: (start (B, w), states (n, B, w)), as in <see cref="DistributedSolution"/>.</summary>
    /// <param name="step">The chain, the same on every rank (an <see cref="ISegmentedChainStep"/> runs each rank's
    /// segment as a chain of its own, the fused host loop where it applies).</param>
    /// <param name="input">(B, w): z_0, read on rank 0.</param>
    /// <param name="group">The ranks.</param>
    public static (Tensor Start, Tensor States) Forward(IChainStep step, Tensor input, RankGroup group)
    {
        ChainInput.Validate(step, input);
        var p = ChainPartition.Of(step.Length, group);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var start = Receive(input, group, group.Rank - 1, group.Rank == 0 ? input : null);
        var states = p.Count == 0
            ? torch.empty(new long[] { 0, input.size(0), input.size(1) }, dtype: input.dtype)
            : step is ISegmentedChainStep segmented ? SequentialPass.Run(segmented.Segment(p.First, p.Count), start) : SequentialPass.RunFrom(step, p.First, p.Count, start);
        Send(p.Count == 0 ? start : states[p.Count - 1], group, group.Rank + 1);
        return (start.MoveToOuterDisposeScope(), states.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The gradients of a loss with cotangent <paramref name="finalCotangent"/> (B, w) on z_L: this rank's lambda
    /// (n, B, w), the input gradient on rank 0 (else null) and this segment's parameter gradients.
    /// </summary>
    public static (Tensor Lambda, Tensor? InputGradient, IReadOnlyList<Tensor> ParameterGradients) Backward(
        IChainStep step, Tensor start, Tensor states, Tensor finalCotangent, RankGroup group)
    {
        var segmented = Segmented(step);
        var p = ChainPartition.Of(step.Length, group);
        using var scope = torch.NewDisposeScope();
        bool last = group.Rank == group.Size - 1;
        var handed = Receive(finalCotangent, group, group.Rank + 1, last ? torch.zeros_like(finalCotangent) : null);
        Tensor lambda, v;
        IReadOnlyList<Tensor> parameters = Array.Empty<Tensor>();
        if (p.Count == 0)
        {
            lambda = torch.empty(new long[] { 0, start.size(0), start.size(1) }, dtype: start.dtype);
            v = handed;
        }
        else
        {
            var cotangent = p.First + p.Count == step.Length ? handed + finalCotangent : handed;
            var adjoint = AdjointSolver.Solve(segmented.Segment(p.First, p.Count), start, states, cotangent, AdjointMethod.Sequential);
            (lambda, v, parameters) = (adjoint.StateGradients!, adjoint.InputGradient, adjoint.ParameterGradients);
        }
        Send(v, group, group.Rank - 1);
        foreach (var g in parameters) g.MoveToOuterDisposeScope();
        return (lambda.MoveToOuterDisposeScope(), group.Rank == 0 ? v.MoveToOuterDisposeScope() : null, parameters);
    }

    private static ISegmentedChainStep Segmented(IChainStep step) => step as ISegmentedChainStep
        ?? throw new ArgumentException("The sequential relay runs each rank's segment as a chain of its own: the step must be an ISegmentedChainStep.", nameof(step));

    /// <summary>A (B, w) state from rank <paramref name="source"/>, or <paramref name="own"/> where this rank has it.</summary>
    private static Tensor Receive(Tensor like, RankGroup group, int source, Tensor? own)
    {
        if (own is not null) return own.detach().contiguous();
        var values = new double[like.NumberOfElements];
        group.Exchange<double>(ReadOnlySpan<double>.Empty, -1, values, source);
        return torch.tensor(values, like.shape, dtype: ScalarType.Float64).to_type(like.dtype);
    }

    private static void Send(Tensor state, RankGroup group, int destination)
    {
        using var values = state.detach().to_type(ScalarType.Float64).contiguous();
        group.Exchange<double>(values.data<double>().ToArray(), destination, Span<double>.Empty, -1);
    }
}
