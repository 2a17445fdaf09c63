using DeepPcr.Chains;
using DeepPcr.Models.Mlp;
using DeepPcr.Models.ResNet;
using DeepPcr.Recurrent;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.MpiCheck;

/// <summary>
/// One case of the check, written kind:L:w:B[:dtype]: kind mlp (tanh, gain 0.9), residual (h = 0.1), or a recurrent
/// cell (gru, gru-diag, lstm-cifg-diag: L time steps of hidden size w, seeded input projections), expansive (tanh,
/// gain 4, solved with an iteration limit of 2: DeepPCR cannot converge and must fall back), or fail:L:w:B:k for a
/// chain whose step k throws when it is evaluated (so only the rank that holds step k fails).
/// </summary>
public sealed record CheckCase(string Kind, int Length, int Width, int Batch, ScalarType Dtype, int FailingStep)
{
    /// <summary>Parses a case.</summary>
    public static CheckCase Parse(string text)
    {
        var parts = text.Split(':');
        if (parts.Length < 4) throw new ArgumentException($"A case is kind:L:w:B[:float32|float64|step] (got '{text}').");
        int length = int.Parse(parts[1]), width = int.Parse(parts[2]), batch = int.Parse(parts[3]);
        var dtype = parts.Length > 4 && parts[4] == "float32" ? ScalarType.Float32 : ScalarType.Float64;
        int failing = parts[0] == "fail" ? int.Parse(parts[4]) : -1;
        return new CheckCase(parts[0], length, width, batch, dtype, failing);
    }

    /// <summary>The solver settings of the distributed solve: an iteration limit of 2 for the expansive chain, else the defaults (null).</summary>
    public SolverOptions? Options => Kind == "expansive" ? new SolverOptions(MaxIterations: 2) : null;

    /// <summary>The seeded chain, input (B, w) and final cotangent (B, w).</summary>
    public (IChainStep Chain, Tensor Input, Tensor Cotangent) Build()
    {
        var generator = new Generator(7);
        if (Kind is "gru" or "gru-diag" or "lstm-cifg-diag") return Recurrent(RecurrentCells.Parse(Kind), generator);
        double gain = Kind == "expansive" ? 4.0 : 0.9;
        var weights = torch.randn(new long[] { Length, Width, Width }, dtype: ScalarType.Float64, generator: generator) * (gain / Math.Sqrt(Width));
        var biases = torch.randn(new long[] { Length, Width }, dtype: ScalarType.Float64, generator: generator) * 0.1;
        var input = torch.randn(new long[] { Batch, Width }, dtype: ScalarType.Float64, generator: generator).to_type(Dtype);
        var cotangent = torch.randn(new long[] { Batch, Width }, dtype: ScalarType.Float64, generator: generator).to_type(Dtype);
        weights = weights.to_type(Dtype);
        biases = biases.to_type(Dtype);
        IChainStep chain = Kind switch
        {
            "mlp" or "expansive" => new MlpChain(weights, biases, Activation.Tanh),
            "residual" => new ResidualChain(weights, biases, 0.1),
            "fail" => new FailingStep(new MlpChain(weights, biases, Activation.Tanh), FailingStep),
            _ => throw new ArgumentException($"Unknown case kind '{Kind}'; use mlp, expansive, residual, gru, gru-diag, lstm-cifg-diag or fail."),
        };
        return (chain, input, cotangent);
    }

    /// <summary>A recurrent layer along time: T = L steps, hidden size H = w, weights N(0, 0.5^2 / H).</summary>
    private (IChainStep Chain, Tensor Input, Tensor Cotangent) Recurrent(RecurrentCell cell, Generator generator)
    {
        int gates = RecurrentCells.Gates(cell), hidden = Width;
        var projections = torch.randn(new long[] { Length, Batch, gates * hidden }, dtype: ScalarType.Float64, generator: generator).to_type(Dtype);
        var shape = RecurrentCells.HasDiagonalRecurrence(cell) ? new long[] { gates * hidden } : new long[] { gates * hidden, hidden };
        var weightHh = (torch.randn(shape, dtype: ScalarType.Float64, generator: generator) * (0.5 / Math.Sqrt(hidden))).to_type(Dtype);
        var biasHh = (torch.randn(new long[] { gates * hidden }, dtype: ScalarType.Float64, generator: generator) * 0.1).to_type(Dtype);
        var step = new RecurrentStep(cell, projections, weightHh, biasHh);
        var input = torch.randn(new long[] { Batch, step.Width }, dtype: ScalarType.Float64, generator: generator).to_type(Dtype);
        var cotangent = torch.randn(new long[] { Batch, step.Width }, dtype: ScalarType.Float64, generator: generator).to_type(Dtype);
        return (step, input, cotangent);
    }
}
