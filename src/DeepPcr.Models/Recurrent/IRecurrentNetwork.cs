using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Models.Recurrent;

/// <summary>
/// What <see cref="ParallelGru"/> and <see cref="ParallelLstm"/> share, whatever their <c>forward</c> types: the
/// architecture, the method, a forward pass that returns every result, and the record of the last forward pass.
/// </summary>
public interface IRecurrentNetwork
{
    /// <summary>The architecture.</summary>
    RecurrentLayout Layout { get; }

    /// <summary>Sequential, parallel (the default) or auto; ignored while <see cref="Solver"/> is set.</summary>
    RecurrentMode Mode { get; set; }

    /// <summary>Any solver (for instance "elk" or "quasi-newton-diagonal"), used instead of <see cref="Mode"/>'s; null: <see cref="Mode"/>'s.</summary>
    IChainSolver? Solver { get; set; }

    /// <summary>Solver settings (tolerances, iteration limit, safeguards); null for the defaults.</summary>
    SolverOptions? Options { get; set; }

    /// <summary>The solver the next forward pass runs: <see cref="Solver"/>, or <see cref="Mode"/>'s.</summary>
    IChainSolver EffectiveSolver { get; }

    /// <summary>One record per chain (layer and direction) of the last forward pass, in h_n's order; empty before the first.</summary>
    IReadOnlyList<RecurrentChainReport> LastChains { get; }

    /// <summary>The forward pass with every result; differentiable (<c>loss.backward()</c> runs the adjoint solve).</summary>
    /// <param name="input">[T, B, I], [B, T, I] batch first, or [T, I] unbatched.</param>
    /// <param name="h0">[layers·D, B, H] or null for zeros.</param>
    /// <param name="c0">The LSTMs' initial cell states [layers·D, B, H], or null for zeros.</param>
    /// <exception cref="ArgumentException">Shapes, dtypes or devices that do not fit.</exception>
    RecurrentOutput Run(Tensor input, Tensor? h0 = null, Tensor? c0 = null);

    /// <summary>The parameters by PyTorch name (<c>weight_ih_l0</c>, ...).</summary>
    IEnumerable<(string name, TorchSharp.Modules.Parameter parameter)> named_parameters(bool recurse = true);
}
