using DeepPcr.Chains;
using DeepPcr.Engines;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Solvers;

/// <summary>
/// Picks the method expected to be fastest for this step, input and machine, runs it, and names it in the result
/// (never "auto"): the sequential pass (the fused host loop when the step has host kernels) or DeepPCR.
/// The cost model (<see cref="IAutoCostModel"/>; by default <see cref="MeasuredCostModel"/>, calibrated on the step
/// itself) is asked once per step and (batch, dtype, device). DeepPCR is predicted to need
/// <see cref="ExpectedIterations"/> iterations, and it is run with an iteration budget at the break-even point:
/// if it has not converged by then, the sequential pass takes over (reported as a fallback), so Auto never costs
/// much more than the better of the two and is never wrong.
/// </summary>
public sealed class AutoSolver : IChainSolver
{
    /// <summary>The Newton iterations the cost model expects of DeepPCR (typical of contractive chains).</summary>
    public const int ExpectedIterations = 5;

    /// <summary>Decisions per step and (batch, dtype, device): a training loop calibrates once.</summary>
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<IChainStep, Dictionary<(long, ScalarType, string), AutoDecision>> decisions = new();

    private readonly IAutoCostModel costModel;

    /// <summary>Auto with the given cost model; null for the model calibrated on the step (<see cref="MeasuredCostModel"/>).</summary>
    public AutoSolver(IAutoCostModel? costModel = null) => this.costModel = costModel ?? MeasuredCostModel.Instance;

    /// <summary>The shared instance, with the calibrated cost model.</summary>
    public static AutoSolver Instance { get; } = new();

    /// <inheritdoc />
    public string Name => "auto";

    /// <summary>The decision for this step and input, with the predicted times it rests on.</summary>
    /// <param name="step">The chain.</param>
    /// <param name="input">(B, w): z_0.</param>
    public AutoDecision Decide(IChainStep step, Tensor input)
    {
        ChainInput.Validate(step, input);
        var known = decisions.GetOrCreateValue(step);
        var key = (input.size(0), input.dtype, input.device.ToString());
        lock (known)
        {
            if (known.TryGetValue(key, out var cached)) return cached;
        }
        var decision = Decide(costModel.Measure(step, input), step.Length);
        lock (known) known[key] = decision;
        return decision;
    }

    /// <summary>The decision for predicted costs: DeepPCR when (k + 1) evaluations and k PCR solves (k = <see cref="ExpectedIterations"/>) beat the sequential pass.</summary>
    public static AutoDecision Decide(AutoCosts costs, int length)
    {
        ArgumentNullException.ThrowIfNull(costs);
        if (length < 2) return new AutoDecision(SequentialSolver.Instance.Name, costs.SequentialMs, double.PositiveInfinity, costs.StepMs, costs.EvaluationMs, costs.PcrMs);
        double deepPcr = (ExpectedIterations + 1) * costs.EvaluationMs + ExpectedIterations * costs.PcrMs;
        string choice = deepPcr < costs.SequentialMs ? ParallelChainSolver.DeepPcr.Name : SequentialSolver.Instance.Name;
        return new AutoDecision(choice, costs.SequentialMs, deepPcr, costs.StepMs, costs.EvaluationMs, costs.PcrMs);
    }

    /// <inheritdoc />
    public ChainSolution Solve(IChainStep step, Tensor input, SolverOptions? options = null)
    {
        options ??= SolverOptions.Default;
        var decision = Decide(step, input);
        if (decision.Method == SequentialSolver.Instance.Name) return SequentialSolver.Instance.Solve(step, input, options);

        // Break-even budget: the iterations DeepPCR can afford before the sequential pass would have finished.
        double perIteration = decision.EvaluationMs + decision.PcrMs;
        int budget = Math.Max(1, (int)Math.Floor((decision.SequentialMs - decision.EvaluationMs) / perIteration));
        int limit = Math.Min(options.MaxIterations ?? step.Length, budget);
        // No windowed retry: past the budget the sequential pass is the cheaper way to the answer.
        var run = ParallelChainSolver.DeepPcr.Solve(step, input, options with
        {
            MaxIterations = limit, Window = null, Safeguards = options.Policy with { FallbackWindow = 0 },
        });
        if (run.Termination == Termination.Converged && run.Fallback == Fallback.None) return run;
        bool overBudget = run.Iterations >= limit && run.FallbackReason?.StartsWith("no convergence", StringComparison.Ordinal) != false;
        string reason = overBudget
            ? $"auto: DeepPCR had not converged after {run.Iterations} iterations, the break-even count against the sequential pass"
            : $"auto: DeepPCR fell back ({run.FallbackReason})";
        if (run.Fallback == Fallback.Sequential) return run with { FallbackReason = reason };
        using var scope = torch.NewDisposeScope();
        run.States.Dispose();
        var states = SequentialPass.Run(step, input);
        return new ChainSolution(states, ChainMethod.Sequential, EngineSelection.ForSequential(step, input), run.Iterations, run.PcrRounds,
            run.ResidualNorms, run.ErrorEstimates, Termination.FellBack, Fallback.Sequential, reason).Adopt();
    }
}

/// <summary>What <see cref="AutoSolver"/> chose and the predicted times behind it (milliseconds).</summary>
/// <param name="Method">"sequential" or "deeppcr".</param>
/// <param name="SequentialMs">Predicted sequential pass: L times one step.</param>
/// <param name="DeepPcrMs">Predicted DeepPCR: (k + 1) evaluations and k PCR solves for k = <see cref="AutoSolver.ExpectedIterations"/>.</param>
/// <param name="StepMs">One step evaluated alone.</param>
/// <param name="EvaluationMs">One batched evaluation with Jacobians of all steps.</param>
/// <param name="PcrMs">One PCR solve, from its flop count.</param>
public sealed record AutoDecision(string Method, double SequentialMs, double DeepPcrMs, double StepMs, double EvaluationMs, double PcrMs);
