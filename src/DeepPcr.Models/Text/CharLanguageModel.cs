using DeepPcr.Backward;
using DeepPcr.Recurrent;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Models.Text;

/// <summary>
/// A character-level language model: embedding (V to H) → <see cref="Layers"/> recurrent layers of one cell, each a
/// chain along the sequence solved by <see cref="RecurrentScan.Apply"/> with <see cref="Solver"/> → linear (H to V).
/// The recurrent parameters carry PyTorch's names (<c>weight_ih_l0</c>, ...), initialised as PyTorch does
/// (U(±1/√H), the diagonal recurrent weights too), so that two models built from one seed are equal whatever their solver.
/// </summary>
public sealed class CharLanguageModel : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> embedding;
    private readonly nn.Module<Tensor, Tensor> head;
    private readonly int layerCount;
    private readonly List<RecurrentScanResult> lastResults = new();

    /// <summary>A model with weights drawn from <paramref name="seed"/>.</summary>
    /// <param name="vocabulary">V, at least 2.</param>
    /// <param name="cell">The recurrent cell of every layer.</param>
    /// <param name="hidden">H, at least 1 (the embedding width too).</param>
    /// <param name="layerCount">Recurrent layers, at least 1.</param>
    /// <param name="seed">Seed of every weight.</param>
    public CharLanguageModel(int vocabulary, RecurrentCell cell, int hidden, int layerCount, long seed) : base(nameof(CharLanguageModel))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabulary, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(layerCount, 1);
        Cell = cell;
        Hidden = hidden;
        Vocabulary = vocabulary;
        torch.random.manual_seed(seed);
        embedding = nn.Embedding(vocabulary, hidden);
        var generator = new Generator((ulong)seed + 1);
        long rows = (long)RecurrentCells.Gates(cell) * hidden;
        double bound = 1 / Math.Sqrt(hidden);
        TorchSharp.Modules.Parameter Uniform(params long[] shape) => new((torch.rand(shape, generator: generator) * 2 - 1) * bound);
        this.layerCount = layerCount;
        for (int l = 0; l < layerCount; l++)
        {
            var weightIh = Uniform(rows, hidden);
            var weightHh = RecurrentCells.HasDiagonalRecurrence(cell) ? Uniform(rows) : Uniform(rows, hidden);
            var biasIh = Uniform(rows);
            var biasHh = Uniform(rows);
            register_parameter($"weight_ih_l{l}", weightIh);
            register_parameter($"weight_hh_l{l}", weightHh);
            register_parameter($"bias_ih_l{l}", biasIh);
            register_parameter($"bias_hh_l{l}", biasHh);
        }
        head = nn.Linear(hidden, vocabulary);
        RegisterComponents();
    }

    /// <summary>The recurrent cell.</summary>
    public RecurrentCell Cell { get; }

    /// <summary>H.</summary>
    public int Hidden { get; }

    /// <summary>V.</summary>
    public int Vocabulary { get; }

    /// <summary>The recurrent layers.</summary>
    public int Layers => layerCount;

    /// <summary>Layer <paramref name="layer"/>'s weights: the registered parameters as they are now (after <c>to()</c> too).</summary>
    public RecurrentWeights LayerWeights(int layer) => new(Parameter($"weight_ih_l{layer}"), Parameter($"weight_hh_l{layer}"),
        Parameter($"bias_ih_l{layer}"), Parameter($"bias_hh_l{layer}"));

    private Tensor Parameter(string name) => get_parameter(name) ?? throw new ArgumentOutOfRangeException(nameof(name), name, "No such layer.");

    /// <summary>The method that solves every layer's chain (sequential by default).</summary>
    public IChainSolver Solver { get; set; } = SequentialSolver.Instance;

    /// <summary>The solver's options, or null for its defaults.</summary>
    public SolverOptions? Options { get; set; }

    /// <summary>The forward solves of the last call, one per layer.</summary>
    public IReadOnlyList<ChainSolution> LastSolutions => lastResults.Select(r => r.Solution).ToArray();

    /// <summary>The backward passes through the last call's layers, once a backward pass has run (null where none did).</summary>
    public IReadOnlyList<AdjointSolution?> LastAdjoints => lastResults.Select(r => r.Adjoint).ToArray();

    /// <summary>Logits [B, T, V] of the next character after each of tokens [B, T] (int64), from zero states.</summary>
    public override Tensor forward(Tensor tokens) => Run(tokens, null).Logits;

    /// <summary>Logits [B, T, V] and the final states of every layer (h [B, H], and c for the cells with one), continuing
    /// from <paramref name="states"/> (null: zeros): what generation calls one character at a time.</summary>
    public (Tensor Logits, (Tensor H, Tensor? C)[] States) Run(Tensor tokens, (Tensor H, Tensor? C)[]? states)
    {
        if (tokens.dim() != 2 || tokens.dtype != ScalarType.Int64) throw new ArgumentException($"tokens must be [B, T] int64; got {tokens.dtype} of shape [{string.Join(", ", tokens.shape)}].", nameof(tokens));
        if (states is not null && states.Length != layerCount) throw new ArgumentException($"{states.Length} states for {layerCount} layers.", nameof(states));
        lastResults.Clear();
        var x = embedding.call(tokens).transpose(0, 1);
        var finals = new (Tensor, Tensor?)[layerCount];
        for (int l = 0; l < layerCount; l++)
        {
            var result = RecurrentScan.Apply(Cell, x, LayerWeights(l), states?[l].H, states?[l].C, Solver, Options);
            lastResults.Add(result);
            finals[l] = (result.HN, result.CN);
            x = result.Output;
        }
        return (head.call(x).transpose(0, 1), finals);
    }
}
