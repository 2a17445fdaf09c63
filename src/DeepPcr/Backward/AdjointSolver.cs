using DeepPcr.Chains;
using DeepPcr.Engines;
using DeepPcr.Newton;
using DeepPcr.Solvers;
using DeepPcr.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Backward;

/// <summary>
/// The parallel backward pass (docs/design.md section 1.3): the one adjoint pass (<see cref="AdjointPass"/>) on the
/// engine that <see cref="EngineSelection"/> picks. The adjoint recurrence lambda_L = g_L, lambda_{l-1} = J_l^T lambda_l
/// + g_{l-1} is linear, so it is one PCR solve on the reversed chain (u_k = lambda_{L-k+1}) and no Newton iteration. It
/// always uses the exact Jacobians at the given states, whatever structure served the forward pass. Then the input
/// gradient J_1^T lambda_1 and every step's parameter gradients follow in parallel.
/// </summary>
public static class AdjointSolver
{
    /// <summary>Gradients of a loss whose cotangent is only on the final state z_L.</summary>
    /// <param name="step">The chain step.</param>
    /// <param name="input">(B, w): z_0.</param>
    /// <param name="states">(L, B, w): z_1..z_L, the accepted forward states.</param>
    /// <param name="finalCotangent">(B, w): dLoss/dz_L.</param>
    /// <param name="method">How to solve the reversed chain: PCR (the default), row by row, or the faster of the two.</param>
    /// <exception cref="ArgumentException">Shapes or dtypes that do not fit, or non-finite values.</exception>
    public static AdjointSolution Solve(IChainStep step, Tensor input, Tensor states, Tensor finalCotangent, AdjointMethod method = AdjointMethod.Parallel)
    {
        Check(step, input, states, finalCotangent, "finalCotangent", input.size(0), step.Width);
        if (EngineSelection.ForAdjoint(step, input) == ChainEngine.Host) return Choose(step, input, states, finalCotangent, method);
        using var scope = torch.NewDisposeScope();
        var cotangents = torch.zeros_like(states);
        cotangents[step.Length - 1] = finalCotangent;
        return Adopt(Choose(step, input, states, cotangents, method));
    }

    /// <summary>
    /// Gradients of a loss whose cotangent is only on the final state, at the states of a forward solution. When the
    /// forward pass was the sequential pass, its states are the step's own outputs, and a step with a backward pass
    /// from its states (<see cref="IHostDifferentiableChainStep.BackwardFromStatesOnHost{T}"/>) solves the reversed chain
    /// row by row without building a Jacobian (the fused loop's backward pass) when the row-by-row solve is asked for
    /// or chosen by Auto.
    /// </summary>
    /// <param name="step">The chain step the forward pass solved.</param>
    /// <param name="input">(B, w): z_0.</param>
    /// <param name="forward">The forward pass's solution on this step and input; its states (L, B, w) are used.</param>
    /// <param name="finalCotangent">(B, w): dLoss/dz_L.</param>
    /// <param name="method">How to solve the reversed chain: PCR (the default), row by row, or the faster of the two.</param>
    /// <param name="stateGradients">False when the caller needs no lambda: the pass from the states then writes none
    /// (<see cref="AdjointSolution.StateGradients"/> null); the passes over Jacobians return theirs anyway.</param>
    /// <exception cref="ArgumentException">Shapes or dtypes that do not fit, or non-finite values.</exception>
    public static AdjointSolution Solve(IChainStep step, Tensor input, ChainSolution forward, Tensor finalCotangent, AdjointMethod method = AdjointMethod.Parallel, bool stateGradients = true)
    {
        ArgumentNullException.ThrowIfNull(forward);
        if (!EngineSelection.BackwardFromStates(step, input, forward.Method)) return Solve(step, input, forward.States, finalCotangent, method);
        Check(step, input, forward.States, finalCotangent, "finalCotangent", input.size(0), step.Width);
        return ChooseFromStates(step, input, forward.States, finalCotangent, method, stateGradients);
    }

    /// <summary>
    /// Gradients of a loss with cotangents on every state, at the states of a forward pass run by
    /// <paramref name="forwardMethod"/>: as <see cref="Solve(IChainStep, Tensor, ChainSolution, Tensor, AdjointMethod, bool)"/>,
    /// the sequential pass's states let a step with a backward pass from its states skip the Jacobians.
    /// </summary>
    /// <param name="step">The chain step the forward pass solved.</param>
    /// <param name="input">(B, w): z_0.</param>
    /// <param name="states">(L, B, w): z_1..z_L, the forward pass's states.</param>
    /// <param name="forwardMethod">The method that produced <paramref name="states"/> (its solution's <c>Method</c>).</param>
    /// <param name="cotangents">(L, B, w): g_1..g_L.</param>
    /// <param name="method">How to solve the reversed chain: PCR (the default), row by row, or the faster of the two.</param>
    /// <param name="stateGradients">False when the caller needs no lambda (see the overload above).</param>
    /// <exception cref="ArgumentException">Shapes or dtypes that do not fit, or non-finite values.</exception>
    public static AdjointSolution SolveAll(IChainStep step, Tensor input, Tensor states, ChainMethod forwardMethod, Tensor cotangents, AdjointMethod method = AdjointMethod.Parallel, bool stateGradients = true)
    {
        if (!EngineSelection.BackwardFromStates(step, input, forwardMethod)) return SolveAll(step, input, states, cotangents, method);
        Check(step, input, states, cotangents, "cotangents", step.Length, input.size(0), step.Width);
        return ChooseFromStates(step, input, states, cotangents, method, stateGradients);
    }

    /// <summary>The pass at the sequential pass's states: row by row from the states, or PCR over the Jacobians.</summary>
    private static AdjointSolution ChooseFromStates(IChainStep step, Tensor input, Tensor states, Tensor cotangents, AdjointMethod method, bool stateGradients) =>
        Choose(step, input, method, fromStates: true, sequential => sequential
            ? FromStates((IHostDifferentiableChainStep)step, input, states, cotangents, stateGradients)
            : Run(step, input, states, cotangents, sequential: false));

    /// <summary>Gradients of a loss with cotangents g_l = dLoss/dz_l (direct dependence) on every state.</summary>
    /// <param name="step">The chain step.</param>
    /// <param name="input">(B, w): z_0.</param>
    /// <param name="states">(L, B, w): z_1..z_L, the accepted forward states.</param>
    /// <param name="cotangents">(L, B, w): g_1..g_L; row L holds the final state's cotangent.</param>
    /// <param name="method">How to solve the reversed chain: PCR (the default), row by row, or the faster of the two.</param>
    /// <exception cref="ArgumentException">Shapes or dtypes that do not fit, or non-finite values.</exception>
    public static AdjointSolution SolveAll(IChainStep step, Tensor input, Tensor states, Tensor cotangents, AdjointMethod method = AdjointMethod.Parallel)
    {
        Check(step, input, states, cotangents, "cotangents", step.Length, input.size(0), step.Width);
        return Choose(step, input, states, cotangents, method);
    }

    /// <summary>The pass with the given method, resolving Auto by the step's calibrated choice.</summary>
    private static AdjointSolution Choose(IChainStep step, Tensor input, Tensor states, Tensor cotangents, AdjointMethod method) =>
        Choose(step, input, method, fromStates: false, sequential => Run(step, input, states, cotangents, sequential));

    /// <summary>
    /// Runs <paramref name="run"/> (its argument: solve the reversed chain row by row) with the given method, resolving
    /// Auto by the step's calibrated choice for this kind of pass (from the states, or from the Jacobians).
    /// </summary>
    private static AdjointSolution Choose(IChainStep step, Tensor input, AdjointMethod method, bool fromStates, Func<bool, AdjointSolution> run)
    {
        if (method != AdjointMethod.Auto) return run(method == AdjointMethod.Sequential);
        if (AdjointChoice.Known(step, input, fromStates) is { } known) return run(known == AdjointMethod.Sequential);
        return AdjointChoice.Calibrate(step, m => run(m == AdjointMethod.Sequential), input, fromStates);
    }

    /// <summary>The row-by-row pass from the sequential pass's states, without a Jacobian (the fused backward pass).</summary>
    private static AdjointSolution FromStates(IHostDifferentiableChainStep step, Tensor input, Tensor states, Tensor cotangents, bool stateGradients)
    {
        // The backend reads and writes host memory only: no graph to detach from, and no graph recorded.
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        return Adopt(input.dtype == ScalarType.Float32
            ? FromStates(new HostStatesAdjoint<float>(step, input, states, cotangents, stateGradients))
            : FromStates(new HostStatesAdjoint<double>(step, input, states, cotangents, stateGradients)));
    }

    private static AdjointSolution FromStates<T>(HostStatesAdjoint<T> backend) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var run = AdjointPass.Run(backend, sequential: true);
        return new AdjointSolution(backend.Lambda, backend.InputGradient, backend.ParameterGradients, run.PcrRounds, ChainEngine.Host, run.Fallback, run.Finite, AdjointMethod.Sequential);
    }

    /// <summary>The pass on the selected engine; cotangents (L, B, w), or (B, w) on the final state for the host engine.</summary>
    private static AdjointSolution Run(IChainStep step, Tensor input, Tensor states, Tensor cotangents, bool sequential)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        input = input.detach();
        states = states.detach();
        if (EngineSelection.ForAdjoint(step, input) == ChainEngine.Host)
        {
            return Adopt(input.dtype == ScalarType.Float32
                ? OnHost<float>((IHostChainStep)step, input, states, cotangents, sequential)
                : OnHost<double>((IHostChainStep)step, input, states, cotangents, sequential));
        }
        using var backend = new TorchAdjoint(step, input, states, cotangents);
        var run = AdjointPass.Run(backend, sequential);
        return Adopt(new AdjointSolution(backend.Lambda, backend.InputGradient!, backend.ParameterGradients, run.PcrRounds, ChainEngine.Torch, run.Fallback, run.Finite, MethodOf(sequential))
        {
            StepInputGradients = backend.StepInputGradients,
        });
    }

    private static AdjointSolution OnHost<T>(IHostChainStep step, Tensor input, Tensor states, Tensor cotangents, bool sequential)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        using var backend = new HostAdjoint<T>(step, input, states, cotangents);
        var run = AdjointPass.Run(backend, sequential);
        var lambda = backend.Lambda;
        bool stepInputsMissing = step is IDrivenChainStep && backend.StepInputGradients is null;
        Tensor? inputs = backend.ParameterGradients is null || stepInputsMissing ? ChainStates.Shift(input, states) : null;
        var parameters = backend.ParameterGradients
            ?? (step is IDifferentiableChainStep d ? TorchAdjoint.OfParameters(d, inputs!, lambda) : Array.Empty<Tensor>());
        return new AdjointSolution(lambda, backend.InputGradient!, parameters, run.PcrRounds, ChainEngine.Host, run.Fallback, run.Finite, MethodOf(sequential))
        {
            StepInputGradients = backend.StepInputGradients ?? (stepInputsMissing ? TorchAdjoint.OfStepInputs(step, inputs!, lambda) : null),
        };
    }

    private static AdjointMethod MethodOf(bool sequential) => sequential ? AdjointMethod.Sequential : AdjointMethod.Parallel;

    /// <summary>Checks the chain, the states and the cotangents (shape <paramref name="shape"/>) before any work.</summary>
    private static void Check(IChainStep step, Tensor input, Tensor states, Tensor cotangents, string name, params long[] shape)
    {
        CheckStates(step, input, states);
        TensorChecks.Shape(cotangents, name, shape);
        TensorChecks.SameKind(cotangents, name, input, "input");
        TensorChecks.Finite(cotangents, name);
    }

    private static void CheckStates(IChainStep step, Tensor input, Tensor states)
    {
        ChainInput.Validate(step, input);
        TensorChecks.Shape(states, "states", step.Length, input.size(0), step.Width);
        TensorChecks.SameKind(states, "states", input, "input");
        TensorChecks.Finite(states, "states");
    }

    private static AdjointSolution Adopt(AdjointSolution solution)
    {
        solution.StateGradients?.MoveToOuterDisposeScope();
        solution.InputGradient.MoveToOuterDisposeScope();
        foreach (var g in solution.ParameterGradients) g.MoveToOuterDisposeScope();
        solution.StepInputGradients?.MoveToOuterDisposeScope();
        return solution;
    }
}
