using DeepPcr.Distributed;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Distributed;

/// <summary>max |value - reference| / max |reference| pooled over tensors that are spread over the ranks (the error measure of docs/measuring.md).</summary>
public static class PooledError
{
    /// <summary>The pooled relative error over every rank's pairs (an empty list on a rank contributes nothing).</summary>
    public static double Over(RankGroup group, IReadOnlyList<(Tensor Value, Tensor Reference)> pairs)
    {
        Span<double> both = stackalloc double[2];
        foreach (var (value, reference) in pairs)
        {
            if (reference.NumberOfElements == 0) continue;
            using var scope = torch.NewDisposeScope();
            var r = reference.to_type(ScalarType.Float64);
            both[0] = Math.Max(both[0], (value.to_type(ScalarType.Float64) - r).abs().max().ToDouble());
            both[1] = Math.Max(both[1], r.abs().max().ToDouble());
        }
        group.Max(both);
        return both[1] == 0 ? both[0] : both[0] / both[1];
    }
}
