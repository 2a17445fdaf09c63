using System.Globalization;
using System.Text.Json.Nodes;

namespace DeepPcr.GpuBench.Bench;

/// <summary>
/// DIR/gpu_grid.csv, written row by row and flushed after each, so that a run cut short keeps what it measured:
/// one row per cell and pass with the columns of <see cref="Columns"/>. A cell that was not run has
/// <c>not_run</c> in the termination column (and <c>error</c> when it failed, message in its JSON file).
/// </summary>
public sealed class GridCsv : IDisposable
{
    /// <summary>The columns, in order.</summary>
    public static readonly string[] Columns =
    [
        "layers", "width", "batch", "pass", "iterations", "pcr_rounds", "termination", "max_rel_error",
        "deeppcr_ms", "per_layer_ms", "persistent_ms", "speedup_vs_per_layer", "speedup_vs_persistent",
    ];

    private readonly StreamWriter _writer;

    /// <summary>Creates (or replaces) the file and writes the header.</summary>
    /// <param name="path">The CSV file.</param>
    public GridCsv(string path)
    {
        _writer = new StreamWriter(path, append: false);
        Write(string.Join(',', Columns));
    }

    /// <summary>Writes the forward and backward rows of a measured cell.</summary>
    /// <param name="cell">The cell's JSON (with <c>forward</c> and <c>backward</c>).</param>
    public void Measured(JsonObject cell)
    {
        ArgumentNullException.ThrowIfNull(cell);
        foreach (string pass in new[] { "forward", "backward" })
        {
            var m = cell[pass]!.AsObject();
            var values = new[] { cell["layers"], cell["width"], cell["batch"], JsonValue.Create(pass) }
                .Concat(Columns.Skip(4).Select(c => m[c]))
                .Select(Text);
            Write(string.Join(',', values));
        }
    }

    /// <summary>Writes the two rows of a cell that did not run (or failed).</summary>
    /// <param name="cell">The cell.</param>
    /// <param name="status">"not_run" or "error".</param>
    public void Unmeasured(Cell cell, string status)
    {
        ArgumentNullException.ThrowIfNull(cell);
        foreach (string pass in new[] { "forward", "backward" })
            Write($"{cell.Layers},{cell.Width},{cell.Batch},{pass},,,{status},,,,,,");
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();

    private void Write(string line)
    {
        _writer.WriteLine(line);
        _writer.Flush();
    }

    private static string Text(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.TryGetValue(out double d) => d.ToString("R", CultureInfo.InvariantCulture),
        _ => node.ToString(),
    };
}
