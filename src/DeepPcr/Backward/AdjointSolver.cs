using DeepPcr.Chains;
using DeepPcr.Engines;
using DeepPcr.Linear;
using DeepPcr.Solvers;
using DeepPcr.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Backward;

/// <summary>
/// The parallel backward pass (DESIGN.md section 1.3). The adjoint recurrence
/// lambda_L = g_L, lambda_{l-1} = J_l^T lambda_l + g_{l-1} is linear, so it is one PCR solve on the
/// reversed chain (u_k = lambda_{L-k+1}) and no Newton iteration. It always uses the exact Jacobians at the
/// given states, whatever structure served the forward pass. Then the input gradient J_1^T lambda_1 and every
/// step's parameter gradients follow in parallel.
/// </summary>
public static class AdjointSolver
{
    /// <summary>Gradients of a loss whose cotangent is only on the final state z_L.</summary>
    /// <param name="step">The chain step.</param>
    /// <param name="input">(B, w): z_0.</param>
    /// <param name="states">(L, B, w): z_1..z_L, the accepted forward states.</param>
    /// <param name="finalCotangent">(B, w): dLoss/dz_L.</param>
    public static AdjointSolution Solve(IChainStep step, Tensor input, Tensor states, Tensor finalCotangent)
    {
        using var scope = torch.NewDisposeScope();
        TensorChecks.Shape(finalCotangent, "finalCotangent", input.shape[0], step.Width);
        if (EngineSelection.ForAdjoint(step, input) == ChainEngine.Host)
        {
            CheckStates(step, input, states);
            TensorChecks.SameKind(finalCotangent, "finalCotangent", input, "input");
            TensorChecks.Finite(finalCotangent, "finalCotangent");
            return Adopt(OnHost(step, input, states, finalCotangent, finalOnly: true));
        }
        var cotangents = torch.zeros_like(states);
        cotangents[step.Length - 1] = finalCotangent;
        var solution = SolveAll(step, input, states, cotangents);
        return Adopt(solution);
    }

    /// <summary>Gradients of a loss with cotangents g_l = dLoss/dz_l (direct dependence) on every state.</summary>
    /// <param name="step">The chain step.</param>
    /// <param name="input">(B, w): z_0.</param>
    /// <param name="states">(L, B, w): z_1..z_L, the accepted forward states.</param>
    /// <param name="cotangents">(L, B, w): g_1..g_L; row L holds the final state's cotangent.</param>
    /// <exception cref="ArgumentException">Shapes or dtypes that do not fit, or non-finite values.</exception>
    public static AdjointSolution SolveAll(IChainStep step, Tensor input, Tensor states, Tensor cotangents)
    {
        CheckStates(step, input, states);
        TensorChecks.Shape(cotangents, "cotangents", step.Length, input.shape[0], step.Width);
        TensorChecks.SameKind(cotangents, "cotangents", input, "input");
        TensorChecks.Finite(cotangents, "cotangents");

        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        int length = step.Length;
        if (EngineSelection.ForAdjoint(step, input) == ChainEngine.Host) return Adopt(OnHost(step, input, states, cotangents, finalOnly: false));
        var inputs = ChainStates.Shift(input, states.detach());
        var structure = BlockStructure.For(step.JacobianStructure);
        var transposed = structure.Transpose(AutogradJacobian.Of(step, 0, inputs));   // (L, B, block): J_l^T
        // Reversed chain: row 1 has no predecessor (z_0 = 0); row k >= 2 uses J_{L-k+2}^T.
        var first = torch.zeros_like(transposed.narrow(0, 0, 1));
        var blocks = length == 1 ? first : torch.cat(new[] { first, transposed.narrow(0, 1, length - 1).flip(0) }, 0);
        var reversed = new LinearRecurrence(structure, blocks, cotangents.flip(0), torch.zeros_like(input));
        var u = ParallelCyclicReduction.SolveUnchecked(reversed);
        var lambda = u.States.flip(0);
        var inputGradient = structure.Apply(transposed.narrow(0, 0, 1), lambda.narrow(0, 0, 1)).squeeze(0);
        var parameters = step is IDifferentiableChainStep d ? ParameterGradients(d, inputs, lambda) : Array.Empty<Tensor>();
        return Adopt(new AdjointSolution(lambda, inputGradient, parameters, u.Rounds, ChainEngine.Torch));
    }

    private static void CheckStates(IChainStep step, Tensor input, Tensor states)
    {
        ChainInput.Validate(step, input);
        TensorChecks.Shape(states, "states", step.Length, input.shape[0], step.Width);
        TensorChecks.SameKind(states, "states", input, "input");
        TensorChecks.Finite(states, "states");
    }

    /// <summary>The host engine's solve (<see cref="HostAdjoint"/>), parameter gradients from the step when it has no host ones.</summary>
    private static AdjointSolution OnHost(IChainStep step, Tensor input, Tensor states, Tensor cotangents, bool finalOnly)
    {
        using var noGrad = torch.no_grad();
        var (lambda, inputGradient, parameters, rounds) = HostAdjoint.Solve((IHostChainStep)step, input, states.detach(), cotangents, finalOnly);
        parameters ??= step is IDifferentiableChainStep d ? ParameterGradients(d, ChainStates.Shift(input, states.detach()), lambda) : Array.Empty<Tensor>();
        return new AdjointSolution(lambda, inputGradient, parameters, rounds, ChainEngine.Host);
    }

    /// <summary>The parameter gradients: analytic when the step gives them, else one autograd call over the batched step.</summary>
    private static IReadOnlyList<Tensor> ParameterGradients(IDifferentiableChainStep step, Tensor inputs, Tensor lambda)
    {
        var analytic = step.ParameterGradients(inputs, lambda);
        if (analytic is not null) return analytic;
        if (step.Parameters.Count == 0) return Array.Empty<Tensor>();
        using var grad = torch.enable_grad();
        var outputs = step.Evaluate(0, inputs.detach());
        return torch.autograd.grad(new[] { outputs }, step.Parameters.ToList(), new[] { lambda }, allow_unused: true)
            .Select((g, i) => g is null || g.IsInvalid ? torch.zeros_like(step.Parameters[i]) : g.detach())
            .ToArray();
    }

    private static AdjointSolution Adopt(AdjointSolution solution)
    {
        solution.StateGradients.MoveToOuterDisposeScope();
        solution.InputGradient.MoveToOuterDisposeScope();
        foreach (var g in solution.ParameterGradients) g.MoveToOuterDisposeScope();
        return solution;
    }
}
