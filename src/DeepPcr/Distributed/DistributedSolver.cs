using System.Numerics;
using DeepPcr.Chains;
using DeepPcr.Engines;
using DeepPcr.Newton;
using DeepPcr.Solvers;
using DeepPcr.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Distributed;

/// <summary>
/// DeepPCR with the chain split into contiguous segments, one per rank of a <see cref="RankGroup"/>
/// (docs/distributed.md): the one Newton loop (<see cref="NewtonLoop"/>) over the host backend with a
/// <see cref="RankLink{T}"/>, and the one backward pass (<see cref="AdjointPass"/>) over
/// <see cref="DistributedAdjoint{T}"/>. Each rank evaluates only its own steps and Jacobians; what crosses between
/// ranks per linear solve is ceil(log2 P) + 1 rounds of at most (w^2 + w) B values per rank, and a few reduced norms.
/// Every rank calls the same methods with the same chain, input and options (collective calls). Exact Newton with
/// Jacobians in the step's declared structure and plain steps, as the host engine runs it, on CPU float32/float64 states.
/// </summary>
public static class DistributedSolver
{
    /// <summary>The forward solve: this rank's segment of z_1..z_L.</summary>
    /// <param name="step">The chain, the same on every rank: an <see cref="IHostChainStep"/>;
    /// an <see cref="ISegmentedChainStep"/> hands each rank a segment of its own.</param>
    /// <param name="input">(B, w): z_0, the same on every rank (read on rank 0, and for the guess).</param>
    /// <param name="group">The ranks.</param>
    /// <param name="options">Tolerances, iteration limit, safeguards and initial guess; windows and chunk sizes do not apply.
    /// When the run raises an alarm (a non-finite iterate, a growing residual) or, with the safeguards on, stops at its
    /// iteration limit, the chain is solved again rank after rank (<see cref="SequentialRelay"/>) and the solution says
    /// so (<see cref="DistributedSolution.Fallback"/>); every rank decides alike, from the reduced record.</param>
    /// <exception cref="ArgumentException">Shapes, dtypes or a step the host engine cannot run.</exception>
    public static DistributedSolution Solve(IChainStep step, Tensor input, RankGroup group, SolverOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(group);
        options ??= SolverOptions.Default;
        var host = Check(step, input);
        options.Validate();
        if (options.InitialGuess == InitialGuess.Given)
        {
            TensorChecks.Shape(options.Guess!, "Guess", step.Length, input.size(0), step.Width);
            TensorChecks.SameKind(options.Guess!, "Guess", input, "input");
        }
        var partition = ChainPartition.Of(step.Length, group);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var (start, guess) = StartAndGuess(options, input.detach(), partition);
        var (segment, offset) = SegmentOf(host, partition);
        var settings = new NewtonSettings(options.MaxIterations ?? step.Length, options.Rule(input.dtype), options.Policy);
        var solution = input.dtype == ScalarType.Float32
            ? Run<float>(segment, offset, group, partition, start, guess, settings)
            : Run<double>(segment, offset, group, partition, start, guess, settings);
        string? reason = options.Policy.FallbackReason(solution.Alarm, solution.Termination, solution.Iterations);
        if (reason is null) return solution;
        var (first, states) = SequentialRelay.Forward(step, input, group);
        return solution with
        {
            Start = first.MoveToOuterDisposeScope(), States = states.MoveToOuterDisposeScope(),
            Termination = Termination.FellBack, Alarm = reason, Fallback = Fallback.Sequential,
        };
    }

    /// <summary>The backward pass of a loss whose cotangent is on the final state z_L only.</summary>
    /// <param name="step">The chain of the forward solve.</param>
    /// <param name="forward">This rank's forward solution.</param>
    /// <param name="finalCotangent">(B, w): dLoss/dz_L, the same on every rank (read where z_L lives).</param>
    /// <param name="group">The ranks of the forward solve.</param>
    /// <param name="sequential">Solve the reversed chain rank after rank instead of by PCR across ranks.</param>
    public static DistributedGradients Backward(IChainStep step, DistributedSolution forward, Tensor finalCotangent, RankGroup group, bool sequential = false)
    {
        ArgumentNullException.ThrowIfNull(forward);
        TensorChecks.Shape(finalCotangent, "finalCotangent", forward.Start.size(0), step.Width);
        using var scope = torch.NewDisposeScope();
        var partition = forward.Partition;
        var cotangents = torch.zeros_like(forward.States);
        if (partition.Count > 0 && partition.First + partition.Count == step.Length) cotangents[partition.Count - 1] = finalCotangent;
        return BackwardRows(step, forward, cotangents, group, sequential).MoveToOuterDisposeScope();
    }

    /// <summary>The backward pass of a loss with a cotangent on every state: this rank's rows of it.</summary>
    /// <param name="step">The chain of the forward solve.</param>
    /// <param name="forward">This rank's forward solution.</param>
    /// <param name="cotangents">(n, B, w): dLoss/dz_l of this rank's states (the segment's rows of the whole cotangent).</param>
    /// <param name="group">The ranks of the forward solve.</param>
    /// <param name="sequential">Solve the reversed chain rank after rank instead of by PCR across ranks.</param>
    public static DistributedGradients BackwardRows(IChainStep step, DistributedSolution forward, Tensor cotangents, RankGroup group, bool sequential = false)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(group);
        var host = Check(step, forward.Start);
        TensorChecks.Shape(cotangents, "cotangents", forward.States.size(0), forward.Start.size(0), step.Width);
        TensorChecks.SameKind(cotangents, "cotangents", forward.Start, "input");
        TensorChecks.Finite(cotangents, "cotangents");
        var partition = forward.Partition;
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var (segment, offset) = SegmentOf(host, partition);
        var result = forward.Start.dtype == ScalarType.Float32
            ? Adjoint<float>(segment, offset, group, step.Width, forward, cotangents, sequential)
            : Adjoint<double>(segment, offset, group, step.Width, forward, cotangents, sequential);
        return result.MoveToOuterDisposeScope();
    }

    private static DistributedSolution Run<T>(
        IHostChainStep segment, int offset, RankGroup group, ChainPartition partition, Tensor start, Tensor guess, NewtonSettings settings)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var link = new RankLink<T>(group, reversed: false);
        using var backend = new HostBackend<T>(segment, offset, start, guess, 0, link);
        var run = NewtonLoop.Run(backend, settings, PlainStep.Instance);
        var states = backend.TakeStates().MoveToOuterDisposeScope();
        var first = backend.TakeStart().MoveToOuterDisposeScope();
        return new DistributedSolution(partition, first, states, run.Iterations, link.Rounds, run.ResidualNorms, run.ErrorEstimates, run.Termination, run.Alarm);
    }

    private static DistributedGradients Adjoint<T>(
        IHostChainStep segment, int offset, RankGroup group, int width, DistributedSolution forward, Tensor cotangents, bool sequential)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var backend = new DistributedAdjoint<T>(segment, offset, new RankLink<T>(group, reversed: true),
            width, forward.Start, forward.States, cotangents);
        var run = AdjointPass.Run(backend, sequential);
        return new DistributedGradients(backend.Lambda, backend.InputGradient, backend.ParameterGradients ?? Array.Empty<Tensor>(),
            run.PcrRounds, run.Fallback, run.Finite, backend.StepInputGradients);
    }

    /// <summary>The start state and guess of this rank's run: z_0 on rank 0, else the initial guess of z_First.</summary>
    private static (Tensor Start, Tensor Guess) StartAndGuess(SolverOptions options, Tensor input, ChainPartition p)
    {
        long batch = input.size(0), width = input.size(1);
        Tensor Rows(int from, int count) => options.InitialGuess switch
        {
            InitialGuess.Zeros => torch.zeros(new long[] { count, batch, width }, dtype: input.dtype),
            InitialGuess.Input => input.unsqueeze(0).expand(count, -1, -1).clone(),
            _ => options.Guess!.detach().narrow(0, from, count).to_type(input.dtype).contiguous(),
        };
        var start = p.First == 0 ? input.contiguous() : Rows(p.First - 1, 1)[0];
        return (start, Rows(p.First, p.Count));
    }

    /// <summary>The segment as a chain of its own (first step 0) where the step can give one; else the step itself and the segment's first step.</summary>
    private static (IHostChainStep Chain, int First) SegmentOf(IHostChainStep step, ChainPartition p) =>
        p.Count > 0 && step is ISegmentedChainStep segmented && segmented.Segment(p.First, p.Count) is IHostChainStep segment
            ? (segment, 0)
            : (step, p.First);

    private static IHostChainStep Check(IChainStep step, Tensor input)
    {
        ChainInput.Validate(step, input);
        if (!EngineSelection.HostApplies(step, input))
        {
            throw new ArgumentException(
                "The distributed backend runs the host engine: a step with host kernels (IHostChainStep), on CPU float32 or float64 states outside autograd.",
                nameof(step));
        }
        return (IHostChainStep)step;
    }
}
