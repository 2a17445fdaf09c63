using DeepPcr.Chains;
using DeepPcr.Engines;
using DeepPcr.Newton;
using DeepPcr.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Solvers;

/// <summary>A parallel method as the one Newton loop sees it: a Jacobian choice and a step control.</summary>
/// <param name="Linearization">The Jacobian choice (and the method's name).</param>
/// <param name="Control">Makes the step control of a solve for B samples under the given safeguards.</param>
/// <param name="LimitFactor">The default iteration limit in units of the run's length (1: undamped Newton is exact
/// after n iterations; 2 for damped and clipped steps, which lose that guarantee).</param>
/// <param name="Windows">Sliding windows and the windowed retry apply.</param>
internal sealed record MethodPlan(Linearization Linearization, Func<int, Safeguards, IStepControl> Control, int LimitFactor, bool Windows)
{
    /// <summary>The method in results.</summary>
    public ChainMethod Method { get; init; } = Linearization.Method;

    /// <summary>The plain step of a Jacobian choice.</summary>
    public static MethodPlan Plain(Linearization linearization) => new(linearization, (_, _) => PlainStep.Instance, 1, Windows: true);
}

/// <summary>
/// The one driver of a parallel solve: argument checks, the starting guess, sliding windows, the engine, the Newton loop
/// (<see cref="NewtonLoop"/>) and the fallback policy of <see cref="Safeguards"/>. When a run raises an alarm, or (with
/// the safeguards on) ends at its iteration limit, a windowed retry runs where the method allows windows, then the
/// sequential pass; the result says which fallback produced the states, and its iterations include the failed
/// attempts'. A wrong answer is never reported as converged.
/// </summary>
internal static class ChainSolve
{
    /// <summary>Solves the chain with the method of <paramref name="plan"/>.</summary>
    public static ChainSolution Solve(MethodPlan plan, IChainStep step, Tensor input, SolverOptions? options)
    {
        options ??= SolverOptions.Default;
        ChainInput.Validate(step, input);
        options.Validate();
        ValidateGuess(step, input, options);
        plan.Linearization.StructureFor(step);

        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var start = input.detach();
        int length = step.Length;
        int window = plan.Windows ? Math.Min(options.Window ?? length, length) : length;
        var attempt = RunWindows(plan, step, start, options, window);
        var policy = options.Policy;
        string? reason = policy.FallbackReason(attempt.Alarm, attempt.Termination, attempt.Iterations);
        if (reason is null) return attempt.Solution(plan.Method, attempt.Termination, Fallback.None, null).Adopt();

        int retryWindow = Math.Min(policy.FallbackWindow, length);
        if (plan.Windows && retryWindow > 0 && retryWindow < window)
        {
            var retry = RunWindows(plan, step, start, options with { MaxIterations = null }, retryWindow);
            if (retry.Alarm is null && retry.Termination == Termination.Converged)
            {
                return attempt.Then(retry).Solution(plan.Method, Termination.FellBack, Fallback.Window, reason).Adopt();
            }
            attempt = attempt.Then(retry);
        }
        var states = SequentialPass.RunFrom(step, 0, length, start);
        return new ChainSolution(states, ChainMethod.Sequential, EngineSelection.ForSequential(step, start), attempt.Iterations, attempt.PcrRounds,
            attempt.ResidualNorms, attempt.ErrorEstimates, Termination.FellBack, Fallback.Sequential, reason).Adopt();
    }

    /// <summary>The chain in windows of <paramref name="window"/> steps, each from the accepted last state of the one before.</summary>
    private static WindowedRun RunWindows(MethodPlan plan, IChainStep step, Tensor start, SolverOptions options, int window)
    {
        int length = step.Length, batch = (int)start.size(0);
        var structure = plan.Linearization.StructureFor(step);
        var rule = options.Rule(start.dtype);
        var run = new WindowedRun(window < length);
        IReadOnlyList<double>? carried = null;
        var from = start;
        for (int first = 0; first < length; first += window)
        {
            int count = Math.Min(window, length - first);
            using var guess = Guess(options, from, first, count);
            var control = plan.Control(batch, options.Policy);
            int chunk = structure is null ? 0 : options.ChunkFor(count, batch, step.Width, structure);
            using var backend = EngineSelection.Create(step, plan.Linearization, control, first, from, guess, chunk);
            var settings = new NewtonSettings(options.MaxIterations ?? plan.LimitFactor * count, rule, options.Policy, carried);
            var result = NewtonLoop.Run(backend, settings, control);
            var states = backend.TakeStates();
            run.Add(result, states, backend);
            if (result.Alarm is not null) break;
            carried = result.FinalError;
            from = states.select(0, count - 1);
        }
        return run;
    }

    private static Tensor Guess(SolverOptions options, Tensor start, int first, int count) => options.InitialGuess switch
    {
        InitialGuess.Zeros => torch.zeros(new long[] { count, start.size(0), start.size(1) }, dtype: start.dtype, device: start.device),
        InitialGuess.Input => start.unsqueeze(0).expand(count, -1, -1).clone(),
        _ => options.Guess!.detach().narrow(0, first, count).to_type(start.dtype),
    };

    private static void ValidateGuess(IChainStep step, Tensor input, SolverOptions options)
    {
        if (options.InitialGuess != InitialGuess.Given) return;
        TensorChecks.Shape(options.Guess!, "Guess", step.Length, input.size(0), step.Width);
        TensorChecks.SameKind(options.Guess!, "Guess", input, "input");
        TensorChecks.Finite(options.Guess!, "Guess");
    }

    /// <summary>What the windows of one attempt (and the attempts before it) did, together.</summary>
    private sealed class WindowedRun(bool windowed)
    {
        private bool Windowed => windowed;
        private readonly List<Tensor> pieces = new();
        private readonly List<double> residuals = new(), estimates = new();
        private ChainEngine engine = ChainEngine.Torch;
        private bool chunked;

        public int Iterations { get; private set; }
        public int PcrRounds { get; private set; }
        public Termination Termination { get; private set; } = Termination.Converged;
        public string? Alarm { get; private set; }
        public IReadOnlyList<double> ResidualNorms => residuals;
        public IReadOnlyList<double> ErrorEstimates => estimates;

        public void Add(NewtonRun run, Tensor states, IChainBackend backend)
        {
            pieces.Add(states);
            residuals.AddRange(run.ResidualNorms);
            estimates.AddRange(run.ErrorEstimates);
            Iterations += run.Iterations;
            PcrRounds = Math.Max(PcrRounds, run.PcrRounds);
            if (run.Termination != Termination.Converged) Termination = run.Termination;
            Alarm ??= run.Alarm;
            engine = backend.Engine;
            chunked |= backend.Chunked;
        }

        /// <summary>This attempt's counts followed by a later attempt's, with the later one's states and outcome.</summary>
        public WindowedRun Then(WindowedRun later)
        {
            var all = new WindowedRun(later.Windowed) { engine = later.engine, chunked = later.chunked, Termination = later.Termination, Alarm = later.Alarm };
            all.pieces.AddRange(later.pieces);
            all.residuals.AddRange(residuals.Concat(later.residuals));
            all.estimates.AddRange(estimates.Concat(later.estimates));
            all.Iterations = Iterations + later.Iterations;
            all.PcrRounds = Math.Max(PcrRounds, later.PcrRounds);
            return all;
        }

        public ChainSolution Solution(ChainMethod method, Termination termination, Fallback fallback, string? reason) =>
            new(pieces.Count == 1 ? pieces[0] : torch.cat(pieces, 0), method, engine, Iterations, PcrRounds, residuals, estimates,
                termination, fallback, reason, chunked, windowed);
    }
}
