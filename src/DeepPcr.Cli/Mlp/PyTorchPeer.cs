using System.Globalization;
using System.Text.Json.Nodes;
using DeepPcr.Cli.Files;
using DeepPcr.Cli.Measuring;
using DeepPcr.SafeTensors;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Mlp;

/// <summary>
/// The PyTorch CPU peer of the mlp benchmarks (issue 21): where a Python with torch is found, the same networks,
/// inputs and cotangents are written as safetensors and bench/peers/mlp_peers.py times PyTorch eager layer by layer
/// (addmm + in-place activation; backward = (forward + backward with autograd) minus forward with the graph) in one
/// child process per thread count, after the .NET cases; the best over the thread counts is reported. The interpreter
/// is $DEEPPCR_PYTHON ("none" turns the peer off), else /usr/bin/python3, else python3 on PATH, whichever imports torch.
/// JSON per pass: <c>pytorch_ms</c>, <c>pytorch_threads</c>, <c>pytorch_version</c> ("absent: ..." without torch),
/// <c>pytorch_max_rel_error</c>.
/// </summary>
public static class PyTorchPeer
{
    private static readonly Lazy<(string? Python, string Version)> Found = new(Find);

    /// <summary>torch's version, or "absent: " and why.</summary>
    public static string Version => Found.Value.Version;

    /// <summary>The interpreter that imports torch, or null (shared with the recurrent peer, bench rnn).</summary>
    public static string? Python => Found.Value.Python;

    /// <summary>One pass of one cell: the best median over thread counts (null when it did not run) and what ran.</summary>
    public sealed record Cell(double? Ms, int? Threads, double? MaxRelError, string? Note);

    /// <summary>Times every point's network; keys (L, w, B, pass). Empty when PyTorch is absent.</summary>
    public static IReadOnlyDictionary<(int, int, int, string), Cell> Measure(IReadOnlyList<MlpPoint> points)
    {
        var cells = new Dictionary<(int, int, int, string), Cell>();
        if (Found.Value.Python is not string python || points.Count == 0) return cells;
        string folder = PeerProcess.NewFolder("deeppcr-pytorch");
        try
        {
            string script = PeerProcess.Extract("mlp_peers.py", folder), models = Path.Combine(folder, "models");
            Directory.CreateDirectory(models);
            foreach (var point in points) WriteCell(point, models);
            foreach (int threads in ThreadedCases.Counts)
            {
                string output = Path.Combine(folder, $"threads{threads}");
                var (exit, log) = PeerProcess.Run(python, [script, "--models", models, "--out", output, "--device", "cpu", "--methods", "torch_eager",
                    "--threads", threads.ToString(CultureInfo.InvariantCulture), "--repeats", points.Max(p => p.Repeats).ToString(CultureInfo.InvariantCulture)],
                    TimeSpan.FromMinutes(30));
                Merge(cells, output, threads, exit == 0 ? null : $"mlp_peers.py exited with {exit}: {LastLine(log)}");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        return cells;
    }

    /// <summary>Writes the PyTorch columns into the point's forward and backward objects.</summary>
    public static void Attach(JsonObject point, IReadOnlyDictionary<(int, int, int, string), Cell> cells)
    {
        foreach (string pass in new[] { "forward", "backward" })
        {
            if (point[pass] is not JsonObject p) continue;
            cells.TryGetValue(((int)point["layers"]!, (int)point["width"]!, (int)point["batch"]!, pass), out var cell);
            p["pytorch_ms"] = cell?.Ms;
            p["pytorch_threads"] = cell?.Threads;
            p["pytorch_version"] = Version;
            p["pytorch_max_rel_error"] = cell?.MaxRelError;
            if (cell?.Note is string note) p["pytorch_note"] = note;
            p["speedup_vs_pytorch"] = cell?.Ms / (double?)p["deeppcr_ms"];
        }
    }

    private static void WriteCell(MlpPoint point, string models)
    {
        using var scope = NewDisposeScope();
        var (chain, input) = MlpExperiment.Network(point);
        var cotangent = MlpBackwardBenchmark.Cotangent(point);
        MlpModelFile.Save(chain, Path.Combine(models, $"mlp_L{point.Layers}_w{point.Width}.safetensors"));
        var io = new SafeTensorWriter();
        TensorFiles.Add(io, "input", input);
        TensorFiles.Add(io, "cotangent", cotangent);
        io.Save(Path.Combine(models, $"io_L{point.Layers}_w{point.Width}_b{point.Batch}.safetensors"));
    }

    /// <summary>Keeps, per cell and pass, the faster of what is there and what this thread count measured.</summary>
    private static void Merge(Dictionary<(int, int, int, string), Cell> cells, string output, int threads, string? failure)
    {
        string path = Path.Combine(output, "peers.json");
        if (!File.Exists(path)) return;
        foreach (var m in JsonNode.Parse(File.ReadAllText(path))!["measurements"]!.AsArray())
        {
            var key = ((int)m!["layers"]!, (int)m["width"]!, (int)m["batch"]!, (string)m["pass"]!);
            double? ms = (double?)m["ms"];
            var cell = new Cell(ms, ms is null ? null : threads, (double?)m["max_rel_error"], ms is null ? (string?)m["note"] ?? failure : null);
            if (!cells.TryGetValue(key, out var best) || best.Ms is null || (ms is not null && ms < best.Ms)) cells[key] = cell;
        }
    }

    private static (string?, string) Find()
    {
        string? chosen = Environment.GetEnvironmentVariable("DEEPPCR_PYTHON");
        if (chosen == "none") return (null, "absent: turned off (DEEPPCR_PYTHON=none)");
        var candidates = chosen is not null ? new[] { chosen } : new[] { "/usr/bin/python3", PeerProcess.FindOnPath("python3") };
        foreach (string? python in candidates.Where(c => c is not null && File.Exists(c)).Distinct())
        {
            try
            {
                var (exit, output) = PeerProcess.Run(python!, ["-c", "import torch; print(torch.__version__)"], TimeSpan.FromMinutes(2));
                if (exit == 0) return (python, LastLine(output));
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // not runnable: try the next one
            }
        }
        return (null, $"absent: no python3 with torch ({string.Join(", ", candidates.Where(c => c is not null))} tried; Debian: apt-get install python3-torch)");
    }

    /// <summary>The last non-empty line of a child's output (its error message).</summary>
    public static string LastLine(string text) => text.Trim().Split('\n').LastOrDefault()?.Trim() ?? "";
}
