using System.Globalization;
using System.Text.Json.Nodes;

namespace DeepPcr.Cli.Mlp;

/// <summary>Prints an MLP report as a table and one plain sentence on what the numbers mean.</summary>
public static class MlpReportPrinter
{
    /// <summary>Writes the table for every pass in the report.</summary>
    public static void Print(JsonObject report, TextWriter output)
    {
        output.WriteLine($"Deep MLP: L = {report["layers"]}, w = {report["width"]}, B = {report["batch"]}, {report["activation"]}, gain {report["gain"]}, {report["dtype"]}, seed {report["seed"]}");
        output.WriteLine($"machine: {report["machine"]}; jit: {report["jit"]}; median of {report["repeats"]} interleaved repetitions");
        output.WriteLine();
        string header = string.Format(CultureInfo.InvariantCulture, "{0,-8} {1,-8} {2,5} {3,6} {4,-11} {5,9} {6,11} {7,11} {8,11} {9,9} {10,9}",
            "pass", "method", "iters", "rounds", "termination", "rel.error", "deeppcr ms", "torch ms", "fused ms", "vs torch", "vs fused");
        output.WriteLine(header);
        output.WriteLine(new string('-', header.Length));
        foreach (string pass in new[] { "forward", "backward" })
        {
            if (report[pass] is not JsonObject p) continue;
            output.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "{0,-8} {1,-8} {2,5} {3,6} {4,-11} {5,9:0.0e+0} {6,11:0.000} {7,11:0.000} {8,11:0.000} {9,8:0.00}x {10,8:0.000}x",
                pass, p["method"], p["iterations"]?.ToString() ?? "-", p["pcr_rounds"], p["termination"]?.ToString() ?? "-",
                (double)p["max_rel_error"]!, (double?)p["deeppcr_ms"] ?? double.NaN, (double)p["torch_sequential_ms"]!, (double)p["fused_sequential_ms"]!,
                (double?)p["speedup_vs_torch_sequential"] ?? double.NaN, (double?)p["speedup_vs_fused_sequential"] ?? double.NaN));
            if (p["note"] is JsonNode note) output.WriteLine($"         note: {note}");
            output.WriteLine($"         {Baselines(p)}");
        }
        output.WriteLine();
        output.WriteLine(Meaning(report));
    }

    /// <summary>The compiled and PyTorch baselines of a pass, with their threads, in one line.</summary>
    public static string Baselines(JsonObject pass)
    {
        static string Ms(JsonNode? node) => node is null ? "-" : ((double)node).ToString("0.000", CultureInfo.InvariantCulture);
        string c = pass["c_reference_ms"] is null ? $"C reference {pass["c_reference"]}"
            : $"C reference {Ms(pass["c_reference_ms"])} ms (1 thread, {pass["c_reference"]}; fused 1 thread / C = {((double)pass["fused_sequential_1t_over_c_reference"]!).ToString("0.00", CultureInfo.InvariantCulture)})";
        string pytorch = pass["pytorch_ms"] is null ? $"PyTorch {pass["pytorch_version"]}" : $"PyTorch {pass["pytorch_version"]} eager {Ms(pass["pytorch_ms"])} ms ({pass["pytorch_threads"]} threads)";
        return $"fused C# {Ms(pass["fused_sequential_1t_ms"])} ms on 1 thread, best {Ms(pass["fused_sequential_ms"])} ms on {pass["fused_sequential_threads"]}; {c}; {pytorch}";
    }

    /// <summary>One sentence on what the forward numbers mean on this machine.</summary>
    public static string Meaning(JsonObject report)
    {
        var forward = (JsonObject)report["forward"]!;
        if (forward["deeppcr_ms"] is null) return $"DeepPCR's forward pass did not converge on its own here ({forward["termination"]}, fallback {forward["fallback"]}): this chain is outside the regime where Newton pays.";
        double vsTorch = (double)forward["speedup_vs_torch_sequential"]!;
        double vsFused = (double)forward["speedup_vs_fused_sequential"]!;
        string torchPart = vsTorch >= 1
            ? $"DeepPCR runs the forward pass {vsTorch:0.0}x faster than TorchSharp layer by layer, because it replaces {report["layers"]} rounds of framework calls (about 1 µs each) by {forward["iterations"]} Newton iterations of {forward["pcr_rounds"]} batched PCR rounds"
            : $"DeepPCR's forward pass is {1 / vsTorch:0.0}x slower than TorchSharp layer by layer here";
        string fusedPart = vsFused >= 1
            ? $"and {vsFused:0.0}x faster than a fused sequential C# loop"
            : $"but a fused sequential C# loop is {1 / vsFused:0.0}x faster still, since DeepPCR does about log2(L) times more arithmetic and this CPU has only {Environment.ProcessorCount} cores to spread it over";
        return $"{torchPart}, {fusedPart}: on a small CPU DeepPCR beats per-call framework overhead, not sequential arithmetic; its home is a GPU.";
    }
}
