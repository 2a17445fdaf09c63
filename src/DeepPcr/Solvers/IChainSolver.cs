using DeepPcr.Chains;
using static TorchSharp.torch;

namespace DeepPcr.Solvers;

/// <summary>A method that computes the states of a chain. All methods share this signature and result type.</summary>
public interface IChainSolver
{
    /// <summary>The method's name as results report it ("sequential", "deeppcr", ...).</summary>
    string Name { get; }

    /// <summary>Computes z_1..z_L from z_0.</summary>
    /// <param name="step">The chain step.</param>
    /// <param name="input">(B, w): z_0.</param>
    /// <param name="options">Settings; null for <see cref="SolverOptions.Default"/>.</param>
    /// <exception cref="ArgumentException">The input does not fit the chain, holds a non-finite value, or the options cannot work.</exception>
    ChainSolution Solve(IChainStep step, Tensor input, SolverOptions? options = null);
}
