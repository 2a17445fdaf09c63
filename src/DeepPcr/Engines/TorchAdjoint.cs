using DeepPcr.Chains;
using DeepPcr.Linear;
using DeepPcr.Newton;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Engines;

/// <summary>
/// The backward pass's backend on TorchSharp operations: any device and dtype, Jacobians from the step or from
/// autograd, the reversed chain solved by PCR (its host kernel for CPU float32/float64) or by forward substitution,
/// parameter gradients analytic where the step gives them and from one autograd call over the batched step otherwise.
/// </summary>
internal sealed class TorchAdjoint(IChainStep step, Tensor input, Tensor states, Tensor cotangents) : IAdjointBackend, IDisposable
{
    private readonly BlockStructure structure = BlockStructure.Of(step);
    private Tensor? inputs, transposed, reversed, lambda;

    /// <summary>(L, B, w): lambda_l = dLoss/dz_l, after the solve.</summary>
    public Tensor Lambda => lambda!;

    /// <summary>(B, w): J_1^T lambda_1, after <see cref="Gradients"/>.</summary>
    public Tensor? InputGradient { get; private set; }

    /// <summary>One per parameter of the step, after <see cref="Gradients"/>.</summary>
    public IReadOnlyList<Tensor> ParameterGradients { get; private set; } = Array.Empty<Tensor>();

    /// <summary>(L, B, I): dLoss/dx_k of a driven step after <see cref="Gradients"/>, else null.</summary>
    public Tensor? StepInputGradients { get; private set; }

    /// <inheritdoc />
    public void Linearize()
    {
        using var scope = torch.NewDisposeScope();
        ChainStates.Replace(ref inputs, ChainStates.Shift(input, states));
        ChainStates.Replace(ref transposed, structure.Transpose(AutogradJacobian.Of(step, 0, inputs!)));   // (L, B, block): J_l^T
        // Reversed chain: row 1 has no predecessor (its start is 0); row k >= 2 uses J_{L-k+2}^T.
        int length = step.Length;
        var first = torch.zeros_like(transposed!.narrow(0, 0, 1));
        ChainStates.Replace(ref reversed, length == 1 ? first : torch.cat(new[] { first, transposed.narrow(0, 1, length - 1).flip(0) }, 0));
    }

    /// <inheritdoc />
    public int SolveReversed(bool sequential)
    {
        using var scope = torch.NewDisposeScope();
        var recurrence = new LinearRecurrence(structure, reversed!, cotangents.flip(0), torch.zeros_like(input));
        var u = sequential ? ForwardSubstitution.SolveUnchecked(recurrence) : ParallelCyclicReduction.SolveUnchecked(recurrence);
        ChainStates.Replace(ref lambda, u.States.flip(0));
        return u.Rounds;
    }

    /// <inheritdoc />
    public bool Finite => lambda!.isfinite().all().item<bool>();

    /// <inheritdoc />
    public void Gradients()
    {
        InputGradient = structure.Apply(transposed!.narrow(0, 0, 1), lambda!.narrow(0, 0, 1)).squeeze(0);
        ParameterGradients = step is IDifferentiableChainStep d ? OfParameters(d, inputs!, lambda!) : Array.Empty<Tensor>();
        StepInputGradients = OfStepInputs(step, inputs!, lambda!);
    }

    /// <summary>
    /// (L, B, I): dLoss/dx_k = (df_k/dx_k)^T lambda_k for a driven step: analytic when the step gives it, else one autograd
    /// call over the batched step; null for other steps.
    /// </summary>
    internal static Tensor? OfStepInputs(IChainStep step, Tensor inputs, Tensor lambda)
    {
        if (step is not IDrivenChainStep driven) return null;
        if (driven.StepInputGradients(inputs, lambda) is { } analytic) return analytic;
        using var grad = torch.enable_grad();
        var x = driven.StepInputs.detach().requires_grad_(true);
        var outputs = driven.EvaluateDriven(0, inputs.detach(), x);
        return torch.autograd.grad(new[] { outputs }, new[] { x }, new[] { lambda })[0].detach();
    }

    /// <summary>The parameter gradients: analytic when the step gives them, else one autograd call over the batched step.</summary>
    internal static IReadOnlyList<Tensor> OfParameters(IDifferentiableChainStep step, Tensor inputs, Tensor lambda)
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

    /// <inheritdoc />
    public void Dispose()
    {
        inputs?.Dispose();
        transposed?.Dispose();
        reversed?.Dispose();
    }
}
