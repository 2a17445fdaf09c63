using DeepPcr.Cli.Errors;
using DeepPcr.Cli.Files;
using DeepPcr.Cli.Limits;
using DeepPcr.Models.Recurrent;
using DeepPcr.Recurrent;
using DeepPcr.SafeTensors;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Recurrent;

/// <summary>
/// What `deeppcr make-model --cell` writes: a recurrent model file with weights drawn from PyTorch's default
/// U(−1/√H, 1/√H) (seeded), an input file (<c>input</c> [B, T, I] ~ N(0, 1), and with initial states <c>h0</c>, and
/// <c>c0</c> for the LSTMs, [layers·D, B, H] ~ N(0, 1)) and a cotangent file (<c>cotangent</c> [B, T, D·H] ~ N(0, 1)).
/// </summary>
/// <param name="Layout">The architecture (batch first).</param>
/// <param name="Batch">B.</param>
/// <param name="Length">T.</param>
/// <param name="Dtype">float32 or float64: the files' dtype.</param>
/// <param name="Seed">Seed of the weights; the input uses seed + 1, the cotangent seed + 2, the initial states seed + 3.</param>
/// <param name="InitialState">Whether the input file holds initial states.</param>
public sealed record RecurrentModelSpec(RecurrentLayout Layout, long Batch, long Length, ScalarType Dtype, long Seed, bool InitialState)
{
    /// <summary>Writes the three files into <paramref name="folder"/> atomically (all or none).</summary>
    /// <exception cref="UsageException">A size below 1, or an unwritable folder.</exception>
    public void Write(string folder, string modelName, string inputName, string cotangentName)
    {
        Validate();
        PathChecks.WritableFolder(folder, "--out");
        var layout = Layout;
        double parameters = layout.Parameters().Sum(p => (double)p.Shape.Aggregate(1L, (a, b) => a * b));
        double inputs = Batch * Length * (layout.InputSize + layout.OutputSize) + (InitialState ? 2.0 * layout.Chains * Batch * layout.HiddenSize : 0);
        MemoryEstimates.RecurrentModelFiles($"make-model --cell {RecurrentCells.Name(layout.Cell)} at T = {Length}, B = {Batch}, H = {layout.HiddenSize}",
            parameters, inputs, Dtype == ScalarType.Float32 ? 4 : 8).Check();
        using var scope = torch.NewDisposeScope();
        var module = RecurrentNetworks.Create(layout, dtype: Dtype);
        Draw(module);
        var input = new SafeTensorWriter();
        TensorFiles.Add(input, "input", Normal(new[] { Batch, Length, layout.InputSize }, Seed + 1));
        if (InitialState)
        {
            var generator = new Generator((ulong)(Seed + 3));
            long[] state = { layout.Chains, Batch, layout.HiddenSize };
            TensorFiles.Add(input, "h0", torch.randn(state, dtype: ScalarType.Float64, generator: generator).to_type(Dtype));
            if (RecurrentCells.HasCellState(layout.Cell)) TensorFiles.Add(input, "c0", torch.randn(state, dtype: ScalarType.Float64, generator: generator).to_type(Dtype));
        }
        var cotangent = new SafeTensorWriter();
        TensorFiles.Add(cotangent, "cotangent", Normal(new[] { Batch, Length, layout.OutputSize }, Seed + 2));
        using var outputs = new AtomicOutputs();
        outputs.Write(Path.Combine(folder, modelName), RecurrentModelFile.Writer(module).WriteTo);
        outputs.Write(Path.Combine(folder, inputName), input.WriteTo);
        outputs.Write(Path.Combine(folder, cotangentName), cotangent.WriteTo);
        outputs.Commit();
    }

    /// <summary>"gru-diag, I = 8, H = 8, 1 layer(s), bias; input [B = 4, T = 64, I = 8]".</summary>
    public string Describe() =>
        $"{RecurrentCells.Name(Layout.Cell)}, {RecurrentStateDict.Describe(Layout)}, {(Dtype == ScalarType.Float32 ? "float32" : "float64")}; input [B = {Batch}, T = {Length}, I = {Layout.InputSize}]"
        + (InitialState ? " with initial states" : "");

    private void Validate()
    {
        try
        {
            Layout.Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message.Replace("input_size", "--input-size").Replace("hidden_size", "--hidden").Replace("num_layers", "--num-layers"));
        }
        if (Batch < 1) throw new UsageException($"--batch must be at least 1 (got {Batch}).");
        if (Length < 1) throw new UsageException($"--length must be at least 1 (got {Length}).");
    }

    /// <summary>Every parameter from U(−1/√H, 1/√H), drawn in float64 from the seed in PyTorch's parameter order.</summary>
    private void Draw(IRecurrentNetwork module)
    {
        var generator = new Generator((ulong)Seed);
        double bound = 1.0 / Math.Sqrt(Layout.HiddenSize);
        using var noGrad = torch.no_grad();
        foreach (var (_, parameter) in module.named_parameters())
        {
            parameter.copy_((torch.rand(parameter.shape, dtype: ScalarType.Float64, generator: generator) * 2 - 1) * bound);
        }
    }

    private Tensor Normal(long[] shape, long seed) => torch.randn(shape, dtype: ScalarType.Float64, generator: new Generator((ulong)seed)).to_type(Dtype);
}
