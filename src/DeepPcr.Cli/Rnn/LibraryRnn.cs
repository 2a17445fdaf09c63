using DeepPcr.Recurrent;
using DeepPcr.Solvers;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Rnn;

/// <summary>
/// The cells library's layer (<see cref="RecurrentScan.Apply"/>) with one solver: the parallel solve, or the
/// sequential solver, whose host engine is the fused sequential loop (no second copy of the cell's arithmetic here).
/// Remembers the last forward solve and backward pass for the report.
/// </summary>
public sealed class LibraryRnn : IDisposable
{
    private readonly RecurrentCell cell;
    private readonly RecurrentWeights weights;
    private readonly IChainSolver solver;
    private readonly SolverOptions? options;

    /// <summary>The layer with copies of the point's weights in their dtype, trainable.</summary>
    public LibraryRnn(RnnPoint point, RnnTensors tensors, IChainSolver solver, SolverOptions? options)
    {
        cell = RecurrentCells.Parse(point.Cell);
        weights = RecurrentWeights.Create(cell, Leaf(tensors.WeightIh), Leaf(tensors.WeightHh), Leaf(tensors.BiasIh), Leaf(tensors.BiasHh));
        this.solver = solver;
        this.options = options;
    }

    /// <summary>The parameters in PyTorch's order.</summary>
    public IReadOnlyList<Tensor> Parameters => weights.Present.ToArray();

    /// <summary>The last forward solve.</summary>
    public ChainSolution? LastSolution { get; private set; }

    /// <summary>The last result (its Adjoint is set once a backward pass ran through it).</summary>
    public RecurrentScanResult? LastResult { get; private set; }

    /// <summary>[T, B, I] to [T, B, H].</summary>
    public Tensor Forward(Tensor input)
    {
        var result = RecurrentScan.Apply(cell, input, weights, null, null, solver, options);
        LastSolution = result.Solution;
        LastResult = result;
        return result.Output;
    }

    private static Tensor Leaf(Tensor t) => t.detach().clone().requires_grad_(true);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var p in weights.Present) p.Dispose();
    }
}
