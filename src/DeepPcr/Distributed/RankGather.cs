using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Distributed;

/// <summary>
/// Brings results spread over the ranks together: rows first..first+n-1 of an (L, ...) tensor from each rank, on
/// every rank (summed over the ranks into one (L, ...) tensor, every other row 0 on each rank: a recurrent layer's
/// outputs, which the next layer reads), or on rank 0 only (sent to it rank after rank: results for rank 0 to write).
/// It moves results, never the Jacobians.
/// </summary>
public static class RankGather
{
    /// <summary>The (length, ...) tensor whose rows first..first+n-1 are this rank's <paramref name="rows"/> (n, ...).</summary>
    public static Tensor Rows(RankGroup group, Tensor rows, int first, long length, long[] rowShape, ScalarType dtype)
    {
        var shape = new[] { length }.Concat(rowShape).ToArray();
        var full = torch.zeros(shape, dtype: ScalarType.Float64);
        if (rows.size(0) > 0) full.narrow(0, first, rows.size(0)).copy_(rows.to_type(ScalarType.Float64));
        var values = full.data<double>().ToArray();
        group.Sum(values);
        return torch.tensor(values, shape, dtype: ScalarType.Float64).to_type(dtype);
    }

    /// <summary>A (rowShape) tensor that one rank holds (the others pass null), on every rank.</summary>
    public static Tensor One(RankGroup group, Tensor? held, long[] shape, ScalarType dtype) =>
        Rows(group, held is null ? torch.zeros(new long[] { 0 }.Concat(shape).ToArray()) : held.unsqueeze(0), 0, 1, shape, dtype)[0];

    /// <summary>
    /// The (L, ...) tensor of the rows that rank r holds, rows ChainPartition(L, P, r).First.., on rank 0; null elsewhere.
    /// Each other rank sends its rows to rank 0 (one point-to-point exchange each, counted in <see cref="RankGroup.BytesSent"/>),
    /// so only rank 0 ever holds all L rows.
    /// </summary>
    /// <param name="group">The ranks.</param>
    /// <param name="rows">(n, ...): this rank's rows, n = its partition's count of a chain of <paramref name="length"/> steps.</param>
    /// <param name="length">L.</param>
    /// <param name="rowShape">The shape of one row.</param>
    /// <param name="dtype">The result's dtype.</param>
    public static Tensor? RowsOnRoot(RankGroup group, Tensor rows, int length, long[] rowShape, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(group);
        long rowSize = rowShape.Aggregate(1L, (a, b) => a * b);
        var own = ChainPartition.Of(length, group);
        if (rows.size(0) != own.Count) throw new ArgumentException($"rows holds {rows.size(0)} rows but this rank's segment {own.Count}.", nameof(rows));
        var values = own.Count == 0 ? Array.Empty<double>() : rows.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        if (group.Rank != 0)
        {
            if (values.Length > 0) group.Exchange<double>(values, 0, Span<double>.Empty, -1);
            return null;
        }
        var all = new double[length * rowSize];
        values.CopyTo(all, own.First * rowSize);
        for (int r = 1; r < group.Size; r++)
        {
            var p = new ChainPartition(length, group.Size, r);
            if (p.Count > 0) group.Exchange<double>(ReadOnlySpan<double>.Empty, -1, all.AsSpan((int)(p.First * rowSize), (int)(p.Count * rowSize)), r);
        }
        return torch.tensor(all, new[] { (long)length }.Concat(rowShape).ToArray(), dtype: ScalarType.Float64).to_type(dtype);
    }
}
