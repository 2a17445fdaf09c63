using System.Globalization;
using System.Text.Json.Nodes;
using DeepPcr.Cli.Files;
using DeepPcr.Cli.Measuring;
using DeepPcr.Cli.Mlp;
using DeepPcr.SafeTensors;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Rnn;

/// <summary>
/// The PyTorch CPU peer of `bench rnn`: where a Python with torch is found (<see cref="PyTorchPeer.Python"/>), every
/// measured point's weights, input and cotangent are written as safetensors (float32, PyTorch's parameter names) and
/// bench/peers/rnn_peers.py times torch.nn.GRU / torch.nn.LSTM (for the diagonal cells, which PyTorch lacks, the loop a
/// PyTorch user writes), forward under inference mode and forward + backward, in one child process per thread count,
/// after the .NET columns; the best over the counts is reported as <c>pytorch_ms</c>, <c>pytorch_threads</c>,
/// <c>pytorch_impl</c>, <c>pytorch_max_rel_error</c>, <c>pytorch_version</c>.
/// </summary>
public static class RnnPyTorchPeer
{
    private sealed record Cell(double Ms, int Threads, string Impl, double? MaxRelError);

    /// <summary>Times the points whose rows were measured and writes the PyTorch fields into every row.</summary>
    /// <param name="rows">The report's point rows (not-run rows are left alone but for the version).</param>
    /// <param name="points">The points measured.</param>
    /// <returns>Null, or why the peer did not run or failed.</returns>
    public static string? Attach(JsonArray rows, IReadOnlyList<RnnPoint> points)
    {
        string? failure = PyTorchPeer.Python is null ? PyTorchPeer.Version : null;
        var cells = new Dictionary<(string, int, int, int, string), Cell>();
        if (failure is null && points.Count > 0) failure = Measure(PyTorchPeer.Python!, points, cells);
        foreach (var row in rows.OfType<JsonObject>())
        {
            row["pytorch_version"] = PyTorchPeer.Version;
            if (row["not_run"] is JsonValue v && (bool)v) continue;
            var key = ((string)row["cell"]!, (int)row["T"]!, (int)row["H"]!, (int)row["B"]!, (string)row["pass"]!);
            if (cells.TryGetValue(key, out var cell))
            {
                row["pytorch_ms"] = cell.Ms;
                row["pytorch_threads"] = cell.Threads;
                row["pytorch_impl"] = cell.Impl;
                row["pytorch_max_rel_error"] = cell.MaxRelError;
            }
            else
            {
                row["notes"]!.AsObject()["pytorch"] = failure ?? "the peer reported no time for this point";
            }
            RnnExperiment.Speedups(row);
        }
        return failure;
    }

    private static string? Measure(string python, IReadOnlyList<RnnPoint> points, Dictionary<(string, int, int, int, string), Cell> cells)
    {
        string folder = PeerProcess.NewFolder("deeppcr-rnn-pytorch");
        try
        {
            PeerProcess.Extract("mlp_peers.py", folder);
            string script = PeerProcess.Extract("rnn_peers.py", folder), data = Path.Combine(folder, "points");
            Directory.CreateDirectory(data);
            foreach (var point in points) Write(point, data);
            string? failure = null;
            foreach (int threads in ThreadedCases.Counts)
            {
                string output = Path.Combine(folder, $"threads{threads}");
                var (exit, log) = PeerProcess.Run(python, [script, "--points", data, "--out", output,
                    "--threads", threads.ToString(CultureInfo.InvariantCulture), "--repeats", points.Max(p => p.Repeats).ToString(CultureInfo.InvariantCulture)],
                    TimeSpan.FromMinutes(60));
                if (exit != 0) failure = $"rnn_peers.py exited with {exit} on {threads} thread(s): {PyTorchPeer.LastLine(log)}";
                Merge(cells, Path.Combine(output, "peers.json"), threads);
            }
            return failure;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void Write(RnnPoint point, string folder)
    {
        using var scope = NewDisposeScope();
        var tensors = RnnTensors.Draw(point).To(ScalarType.Float32);
        var writer = new SafeTensorWriter();
        writer.Metadata["cell"] = point.Cell;
        foreach (var (name, value) in tensors.Parameters()) TensorFiles.Add(writer, name, value);
        TensorFiles.Add(writer, "input", tensors.Input);
        TensorFiles.Add(writer, "cotangent", tensors.Cotangent);
        writer.Save(Path.Combine(folder, $"rnn_{point.Cell}_T{point.Steps}_H{point.Hidden}_B{point.Batch}.safetensors"));
    }

    /// <summary>Keeps, per point and pass, the faster of what is there and what this thread count measured.</summary>
    private static void Merge(Dictionary<(string, int, int, int, string), Cell> cells, string path, int threads)
    {
        if (!File.Exists(path)) return;
        foreach (var m in JsonNode.Parse(File.ReadAllText(path))!["measurements"]!.AsArray())
        {
            if ((double?)m!["ms"] is not double ms) continue;
            var key = ((string)m["cell"]!, (int)m["T"]!, (int)m["H"]!, (int)m["B"]!, (string)m["pass"]!);
            if (!cells.TryGetValue(key, out var best) || ms < best.Ms) cells[key] = new Cell(ms, threads, (string)m["impl"]!, (double?)m["max_rel_error"]);
        }
    }
}
