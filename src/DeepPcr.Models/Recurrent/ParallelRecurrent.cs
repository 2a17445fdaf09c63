using DeepPcr.Backward;
using DeepPcr.Solvers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepPcr.Models.Recurrent;

/// <summary>
/// The module behind <see cref="ParallelGru"/> and <see cref="ParallelLstm"/>: registers the parameters under
/// PyTorch's names with PyTorch's initialisation U(−1/√H, 1/√H) (the diagonal <c>weight_hh</c> too), runs the layers
/// with the chosen method, and keeps the last forward pass's records.
/// </summary>
/// <typeparam name="TState">The type of the initial state argument of <c>forward</c>.</typeparam>
/// <typeparam name="TResult">The type <c>forward</c> returns.</typeparam>
public abstract class ParallelRecurrent<TState, TResult> : nn.Module<Tensor, TState, TResult>, IRecurrentNetwork
{
    private IReadOnlyList<RecurrentChainReport> lastChains = Array.Empty<RecurrentChainReport>();

    /// <summary>Registers the layout's parameters, drawn from U(−1/√H, 1/√H) with TorchSharp's global generator.</summary>
    /// <param name="name">The module's name.</param>
    /// <param name="layout">The architecture.</param>
    /// <param name="device">Where the parameters live; null for the CPU.</param>
    /// <param name="dtype">Their dtype; null for the default dtype.</param>
    /// <exception cref="ArgumentException">A bad size or dropout probability.</exception>
    protected ParallelRecurrent(string name, RecurrentLayout layout, Device? device, ScalarType? dtype) : base(name)
    {
        Layout = layout.Validate();
        double bound = 1.0 / Math.Sqrt(layout.HiddenSize);
        using var noGrad = torch.no_grad();
        foreach (var (parameterName, shape) in layout.Parameters())
        {
            var parameter = new Parameter(torch.empty(shape, dtype ?? torch.get_default_dtype(), device));
            nn.init.uniform_(parameter, -bound, bound);
            register_parameter(parameterName, parameter);
        }
    }

    /// <inheritdoc />
    public RecurrentLayout Layout { get; }

    /// <inheritdoc />
    public RecurrentMode Mode { get; set; } = RecurrentMode.Parallel;

    /// <inheritdoc />
    public IChainSolver? Solver { get; set; }

    /// <inheritdoc />
    public SolverOptions? Options { get; set; }

    /// <summary>How the backward pass solves each reversed chain; null: row by row after the sequential solver, by PCR otherwise.</summary>
    public AdjointMethod? Adjoint { get; set; }

    /// <inheritdoc />
    public IChainSolver EffectiveSolver => Solver ?? Mode.Solver();

    /// <inheritdoc />
    public IReadOnlyList<RecurrentChainReport> LastChains => lastChains;

    /// <summary>The backward passes through the last forward pass's chains (engine, method, rounds, fallback), in h_n's order; null entries before <c>backward()</c>.</summary>
    public IReadOnlyList<AdjointSolution?> LastAdjoints => lastChains.Select(c => c.Adjoint).ToArray();

    /// <summary>The last forward pass's solutions (method, engine, iterations, termination, fallback), one per chain in h_n's order.</summary>
    public IReadOnlyList<ChainSolution> LastSolutions => lastChains.Select(c => c.Solution).ToArray();

    /// <inheritdoc />
    public RecurrentOutput Run(Tensor input, Tensor? h0 = null, Tensor? c0 = null)
    {
        var parameters = named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var result = RecurrentStack.Run(Layout, parameters, input, h0, c0, EffectiveSolver, Options, Adjoint, training);
        lastChains = result.Chains;
        return result;
    }

    /// <summary>
    /// Copies the parameters from a safetensors file written from PyTorch's <c>state_dict()</c> of the same
    /// architecture (any float dtype; converted to the parameters'). Nothing is copied unless every tensor is present
    /// with its exact shape, finite, and nothing else is in the file.
    /// </summary>
    /// <exception cref="InvalidDataException">A missing, extra, misshapen or non-finite tensor, or a malformed file.</exception>
    public void LoadSafeTensors(string path) => RecurrentStateDict.Load(this, SafeTensors.SafeTensorFile.Read(path));
}
