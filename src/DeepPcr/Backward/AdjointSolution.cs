using DeepPcr.Solvers;
using static TorchSharp.torch;

namespace DeepPcr.Backward;

/// <summary>The gradients of a loss through a chain.</summary>
/// <param name="StateGradients">(L, B, w): lambda_l = dLoss/dz_l, the total derivative through the rest of the chain; null
/// when the caller asked for none and the pass did not need them (the pass from the sequential states).</param>
/// <param name="InputGradient">(B, w): dLoss/dz_0 = J_1^T lambda_1.</param>
/// <param name="ParameterGradients">One per parameter of the step (empty for steps without parameters).</param>
/// <param name="PcrRounds">Rounds of the one PCR solve, as its kernel counted them: ceil(log2 L).</param>
/// <param name="Engine">The engine that ran the pass.</param>
/// <param name="Fallback">None, or Sequential when PCR's solution was not finite and the reversed chain was solved row by row.</param>
/// <param name="Method">How the reversed chain was solved: by PCR or row by row (never Auto).</param>
/// <param name="Finite">True when every state gradient is finite, or without them the input and parameter gradients (false: the
/// chain's own gradients overflow, as autograd's would).</param>
public sealed record AdjointSolution(
    Tensor? StateGradients, Tensor InputGradient, IReadOnlyList<Tensor> ParameterGradients, int PcrRounds, ChainEngine Engine,
    Fallback Fallback = Fallback.None, bool Finite = true, AdjointMethod Method = AdjointMethod.Parallel) : IDisposable
{
    /// <summary>(L, B, I): dLoss/dx_k for every step input of an <see cref="Chains.IDrivenChainStep"/>, or null for other steps.</summary>
    public Tensor? StepInputGradients { get; init; }

    /// <summary>Disposes every gradient tensor.</summary>
    public void Dispose()
    {
        StateGradients?.Dispose();
        InputGradient.Dispose();
        foreach (var g in ParameterGradients) g.Dispose();
        StepInputGradients?.Dispose();
    }
}
