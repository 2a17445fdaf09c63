using DeepPcr.Cli.Mlp;
using DeepPcr.Models.Mlp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Bench;

/// <summary>The grid of `deeppcr bench mlp`: every combination of depth, width and batch size at one network setting.</summary>
/// <param name="Layers">Depths L (powers of two by default).</param>
/// <param name="Widths">Widths w.</param>
/// <param name="Batches">Batch sizes B.</param>
/// <param name="Gain">Weight gain.</param>
/// <param name="Activation">Activation.</param>
/// <param name="Dtype">Float32 or Float64.</param>
/// <param name="Seed">Seed of every point's weights.</param>
/// <param name="Repeats">Timed repetitions per case.</param>
/// <param name="CapMs">Points whose estimated DeepPCR forward exceeds this are not run and show their estimate.</param>
public sealed record MlpGrid(int[] Layers, int[] Widths, int[] Batches, double Gain, Activation Activation, ScalarType Dtype, long Seed, int Repeats, double CapMs)
{
    /// <summary>The default grid: L in {4, 16, 64, 256, 1024}, w in {1, 4, 16, 64}, B in {1, 16}; tanh, gain 0.9, float32, 5 repeats, 10 s cap.</summary>
    public static MlpGrid Default { get; } = new(
        new[] { 4, 16, 64, 256, 1024 }, new[] { 1, 4, 16, 64 }, new[] { 1, 16 }, 0.9, Activation.Tanh, ScalarType.Float32, 0, 5, 10000);

    /// <summary>Every point, batch-major then depth then width.</summary>
    public IEnumerable<MlpPoint> Points() =>
        from b in Batches from l in Layers from w in Widths select new MlpPoint(l, w, b, Gain, Activation, Dtype, Seed, Repeats);

    /// <summary>Parses a comma-separated list of positive integers.</summary>
    /// <exception cref="ArgumentException">An empty list, or an item that is not a positive integer.</exception>
    public static int[] ParseList(string text, string option)
    {
        var items = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (items.Length == 0) throw new ArgumentException($"{option} needs at least one value.");
        return items.Select(s => int.TryParse(s, out int v) && v > 0 ? v : throw new ArgumentException($"{option}: '{s}' is not a positive integer.")).ToArray();
    }
}
