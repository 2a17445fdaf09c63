using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Distributed;

/// <summary>
/// Brings results spread over the ranks together on every rank, for writing files: rows first..first+n-1 of an
/// (L, ...) tensor from each rank, summed over the ranks into one (L, ...) tensor (every other row is 0 on each rank).
/// It moves the results (states of one layer, parameter gradients), never the Jacobians.
/// </summary>
public static class RankGather
{
    /// <summary>The (length, ...) tensor whose rows first..first+n-1 are this rank's <paramref name="rows"/> (n, ...).</summary>
    public static Tensor Rows(RankGroup group, Tensor rows, int first, long length, long[] rowShape, ScalarType dtype)
    {
        var shape = new[] { length }.Concat(rowShape).ToArray();
        var full = torch.zeros(shape, dtype: ScalarType.Float64);
        if (rows.shape[0] > 0) full.narrow(0, first, rows.shape[0]).copy_(rows.to_type(ScalarType.Float64));
        var values = full.data<double>().ToArray();
        group.Sum(values);
        return torch.tensor(values, shape, dtype: ScalarType.Float64).to_type(dtype);
    }

    /// <summary>A (rowShape) tensor that one rank holds (the others pass null), on every rank.</summary>
    public static Tensor One(RankGroup group, Tensor? held, long[] shape, ScalarType dtype) =>
        Rows(group, held is null ? torch.zeros(new long[] { 0 }.Concat(shape).ToArray()) : held.unsqueeze(0), 0, 1, shape, dtype)[0];
}
