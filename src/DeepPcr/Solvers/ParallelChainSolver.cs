using DeepPcr.Chains;
using DeepPcr.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Solvers;

/// <summary>
/// A parallel method (Newton–PCR, quasi-Newton or Picard, by its <see cref="Linearization"/>) with the
/// sliding window and the safeguards of <see cref="SolverOptions"/>. With a window W, steps [k, k + W) are
/// solved at a time from the accepted state z_k, and k advances by W once the window has converged.
/// When a safeguard fires, the solver retries windowed, then sequentially, and reports which fallback ran.
/// </summary>
public class ParallelChainSolver : IChainSolver
{
    private readonly Linearization linearization;

    /// <summary>A parallel method using the given linearization.</summary>
    public ParallelChainSolver(Linearization linearization) =>
        this.linearization = linearization ?? throw new ArgumentNullException(nameof(linearization));

    /// <summary>DeepPCR: Newton with the step's exact Jacobian, each Newton step solved by PCR.</summary>
    public static ParallelChainSolver DeepPcr { get; } = new(Linearization.Exact);

    /// <summary>Picard / Jacobi iteration: z_l = f_l(z_{l-1}) for all l at once (A = 0).</summary>
    public static ParallelChainSolver Picard { get; } = new(Linearization.None);

    /// <summary>Quasi-Newton with a cheaper block structure than the step's (diagonal or scalar).</summary>
    public static ParallelChainSolver QuasiNewton(JacobianStructure structure) => new(Linearization.Cheaper(structure));

    /// <inheritdoc />
    public string Name => linearization.MethodName;

    /// <inheritdoc />
    public ChainSolution Solve(IChainStep step, Tensor input, SolverOptions? options = null)
    {
        options ??= SolverOptions.Default;
        ChainInput.Validate(step, input);
        options.Validate();
        ValidateGuess(step, input, options);
        linearization.StructureFor(step);

        using var scope = torch.NewDisposeScope();
        int window = Math.Min(options.Window ?? step.Length, step.Length);
        var attempt = RunWindows(step, input, options, window);
        if (attempt.Alarm is null)
        {
            return Solution(attempt, MethodName(window, step, options), attempt.Termination, "none", null).Adopt();
        }

        var policy = options.Policy;
        int retryWindow = Math.Min(policy.FallbackWindow, step.Length);
        if (retryWindow > 0 && retryWindow < window)
        {
            var retry = RunWindows(step, input, options with { MaxIterations = null }, retryWindow);
            if (retry.Alarm is null && retry.Termination == Termination.Converged)
            {
                return Solution(retry, MethodName(retryWindow, step, options), Termination.FellBack, "window", attempt.Alarm).Adopt();
            }
        }
        var states = SequentialPass.RunFrom(step, 0, step.Length, input);
        return new ChainSolution(states, SequentialSolver.Instance.Name, attempt.Iterations, attempt.PcrRounds,
            attempt.ResidualNorms, attempt.ErrorEstimates, Termination.FellBack, "sequential", attempt.Alarm).Adopt();
    }

    private string MethodName(int window, IChainStep step, SolverOptions options) =>
        Name + (options.ChunkSize is not null && linearization.StructureFor(step) is not null ? "-chunked" : "") + (window < step.Length ? "-window" : "");

    private Attempt RunWindows(IChainStep step, Tensor input, SolverOptions options, int window)
    {
        var pieces = new List<Tensor>();
        var residuals = new List<double>();
        var estimates = new List<double>();
        int iterations = 0, rounds = 0;
        var termination = Termination.Converged;
        double[]? carried = null;
        var start = input;
        for (int first = 0; first < step.Length; first += window)
        {
            int count = Math.Min(window, step.Length - first);
            var guess = Guess(step, options, start, first, count);
            var run = ParallelIteration.Run(step, linearization, first, count, start, guess, options, carried);
            pieces.Add(run.States);
            residuals.AddRange(run.ResidualNorms);
            estimates.AddRange(run.ErrorEstimates);
            iterations += run.Iterations;
            rounds = Math.Max(rounds, run.PcrRounds);
            if (run.Termination != Termination.Converged) termination = run.Termination;
            if (run.Alarm is not null)
            {
                return run with { Iterations = iterations, PcrRounds = rounds, ResidualNorms = residuals, ErrorEstimates = estimates };
            }
            carried = run.FinalError;
            start = run.States.select(0, count - 1);
        }
        var states = pieces.Count == 1 ? pieces[0] : torch.cat(pieces, 0);
        return new Attempt(states, iterations, rounds, residuals, estimates, termination, null, carried ?? Array.Empty<double>());
    }

    private static Tensor Guess(IChainStep step, SolverOptions options, Tensor start, int first, int count) => options.InitialGuess switch
    {
        InitialGuess.Zeros => torch.zeros(new long[] { count, start.shape[0], start.shape[1] }, dtype: start.dtype, device: start.device),
        InitialGuess.Input => start.unsqueeze(0).expand(count, -1, -1).clone(),
        _ => options.Guess!.narrow(0, first, count).to_type(start.dtype),
    };

    private static void ValidateGuess(IChainStep step, Tensor input, SolverOptions options)
    {
        if (options.InitialGuess != InitialGuess.Given) return;
        TensorChecks.Shape(options.Guess!, "Guess", step.Length, input.shape[0], step.Width);
        TensorChecks.SameKind(options.Guess!, "Guess", input, "input");
        TensorChecks.Finite(options.Guess!, "Guess");
    }

    private static ChainSolution Solution(Attempt a, string method, Termination termination, string fallback, string? reason) =>
        new(a.States, method, a.Iterations, a.PcrRounds, a.ResidualNorms, a.ErrorEstimates, termination, fallback, reason);
}
