using DeepPcr.Chains;
using DeepPcr.Cli.Limits;
using DeepPcr.Models.Mlp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Mlp;

/// <summary>One benchmark point of the deep-MLP experiment.</summary>
/// <param name="Layers">L.</param>
/// <param name="Width">w.</param>
/// <param name="Batch">B.</param>
/// <param name="Gain">Weights are N(0, gain^2 / w); biases N(0, 0.1^2).</param>
/// <param name="Activation">The activation of every layer.</param>
/// <param name="Dtype">Float32 or Float64: the dtype of every timed computation.</param>
/// <param name="Seed">Seed of the weights (the input uses seed + 1).</param>
/// <param name="Repeats">Timed repetitions per case (the median is reported).</param>
public sealed record MlpPoint(int Layers, int Width, int Batch, double Gain, Activation Activation, ScalarType Dtype, long Seed, int Repeats)
{
    /// <summary>The demo's embedded default: 1024 tanh layers of width 4, batch 1, float32, gain 0.9, seed 0.</summary>
    public static MlpPoint Demo { get; } = new(1024, 4, 1, 0.9, Activation.Tanh, ScalarType.Float32, 0, 7);

    /// <summary>"float32" or "float64".</summary>
    public string DtypeName => Dtype == ScalarType.Float32 ? "float32" : "float64";

    /// <summary>Throws <see cref="ArgumentException"/> for sizes that cannot run.</summary>
    public void Validate()
    {
        if (Layers < 1) throw new ArgumentException($"--layers must be at least 1 (got {Layers}).");
        if (Width < 1) throw new ArgumentException($"--width must be at least 1 (got {Width}).");
        if (Batch < 1) throw new ArgumentException($"--batch must be at least 1 (got {Batch}).");
        if (!double.IsFinite(Gain) || Gain <= 0) throw new ArgumentException($"--gain must be a positive number (got {Gain}).");
        if (Repeats < 1) throw new ArgumentException($"--repeats must be at least 1 (got {Repeats}).");
        if (Dtype != ScalarType.Float32 && Dtype != ScalarType.Float64) throw new ArgumentException("--dtype must be float32 or float64.");
    }

    /// <summary>The memory this point needs: dense DeepPCR forward and backward passes beside the float64 reference.</summary>
    public MemoryEstimate Memory() => MemoryEstimates.Mlp(
        $"L = {Layers}, w = {Width}, B = {Batch} ({DtypeName})", Layers, Width, Batch, Dtype == ScalarType.Float32 ? 4 : 8, JacobianStructure.Dense);

    /// <summary>Parses "float32" or "float64".</summary>
    public static ScalarType ParseDtype(string name) => name.ToLowerInvariant() switch
    {
        "float32" or "f32" => ScalarType.Float32,
        "float64" or "f64" => ScalarType.Float64,
        _ => throw new Errors.UsageException($"--dtype: unknown dtype '{name}'; use float32 or float64."),
    };
}
