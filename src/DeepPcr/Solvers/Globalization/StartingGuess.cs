using DeepPcr.Chains;
using DeepPcr.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Solvers.Globalization;

/// <summary>The first iterate of a whole-chain solve, from <see cref="SolverOptions.InitialGuess"/>.</summary>
internal static class StartingGuess
{
    /// <summary>Throws <see cref="ArgumentException"/> unless a given guess is a finite (L, B, w) tensor like the input.</summary>
    public static void Validate(IChainStep step, Tensor input, SolverOptions options)
    {
        if (options.InitialGuess != InitialGuess.Given) return;
        TensorChecks.Shape(options.Guess!, "Guess", step.Length, input.shape[0], step.Width);
        TensorChecks.SameKind(options.Guess!, "Guess", input, "input");
        TensorChecks.Finite(options.Guess!, "Guess");
    }

    /// <summary>(L, B, w): zeros, the input repeated, or a copy of the given guess.</summary>
    public static Tensor For(IChainStep step, Tensor input, SolverOptions options) => options.InitialGuess switch
    {
        InitialGuess.Zeros => torch.zeros(new long[] { step.Length, input.shape[0], input.shape[1] }, dtype: input.dtype, device: input.device),
        InitialGuess.Input => input.detach().unsqueeze(0).expand(step.Length, -1, -1).clone(),
        _ => options.Guess!.detach().clone(),
    };
}
