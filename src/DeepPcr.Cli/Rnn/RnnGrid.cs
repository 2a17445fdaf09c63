using DeepPcr.Cli.Bench;

namespace DeepPcr.Cli.Rnn;

/// <summary>The grid of `deeppcr bench rnn`: every cell at every sequence length, hidden width and batch size.</summary>
/// <param name="Cells">Cell names.</param>
/// <param name="Lengths">Sequence lengths T.</param>
/// <param name="Hidden">Hidden widths H.</param>
/// <param name="Batches">Batch sizes B.</param>
/// <param name="Inputs">Input width I, or null for I = H.</param>
/// <param name="Solver">The parallel solve's method (a name of the solver catalog).</param>
/// <param name="Seed">Seed of every point's weights, input and cotangent.</param>
/// <param name="Repeats">Timed repetitions per case.</param>
/// <param name="CapMs">Points whose estimated time (every column, thread count and repetition) exceeds this are not run.</param>
public sealed record RnnGrid(string[] Cells, int[] Lengths, int[] Hidden, int[] Batches, int? Inputs, string Solver, long Seed, int Repeats, double CapMs)
{
    /// <summary>The cells the bench knows, in table order.</summary>
    public static IReadOnlyList<string> KnownCells { get; } = new[] { "gru", "lstm", "gru-diag", "lstm-cifg-diag" };

    /// <summary>The issue's grid: T in {256, 1024, 4096, 16384, 65536}, H in {4, 8, 16, 32, 64}, B in {1, 8}, every cell,
    /// deeppcr, 5 repeats, points estimated over 10 minutes not run.</summary>
    public static RnnGrid Default { get; } = new(KnownCells.ToArray(), new[] { 256, 1024, 4096, 16384, 65536 }, new[] { 4, 8, 16, 32, 64 },
        new[] { 1, 8 }, null, "deeppcr", 0, 5, 600_000);

    /// <summary>Every point, cell-major, then B, H and T.</summary>
    public IEnumerable<RnnPoint> Points() =>
        from c in Cells from b in Batches from h in Hidden from t in Lengths select new RnnPoint(c, t, h, b, Inputs ?? h, Seed, Repeats);

    /// <summary>Parses a comma-separated list of cell names.</summary>
    /// <exception cref="ArgumentException">An empty list or an unknown name.</exception>
    public static string[] ParseCells(string text)
    {
        var items = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (items.Length == 0) throw new ArgumentException("--cells needs at least one value.");
        foreach (string item in items)
        {
            if (!KnownCells.Contains(item)) throw new ArgumentException($"--cells: unknown cell '{item}'; use any of {string.Join(", ", KnownCells)}.");
        }
        return items.Distinct().ToArray();
    }

    /// <summary>Parses a comma-separated list of positive integers.</summary>
    public static int[] ParseList(string text, string option) => MlpGrid.ParseList(text, option);
}
