using DeepPcr.Cli.Progress;
using System.CommandLine;
using System.Text.Json.Nodes;
using DeepPcr.Cli.Kernels;
using DeepPcr.Cli.Measuring;

namespace DeepPcr.Cli.Commands;

/// <summary>`deeppcr bench kernels`: PCR throughput per block structure on the host kernel and on TorchSharp ops, beside the machine's FMA peak.</summary>
public static class BenchKernelsCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(string[] args)
    {
        var repeats = new Option<int>("--repeats") { Description = "Timed repetitions per case.", DefaultValueFactory = _ => 7 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var peakOnlyOption = new Option<bool>("--peak-only") { Description = "Measure and print only the FMA peak (the first line, or the JSON without rows)." };
        var command = new Command("kernels", "GFLOP/s of one PCR round and of whole PCR solves (float32, 8x8 dense, diagonal and scalar blocks, L*B = 4096 and 16384; dense at B = 4 and 16 for each) on the host kernels and on TorchSharp ops, with the measured and theoretical FMA peak, and whole dense solves at L = 1024, B = 1 by width (4 to 64).");
        command.Options.Add(repeats);
        command.Options.Add(json);
        command.Options.Add(peakOnlyOption);
        command.SetAction(parsed => CommandRunner.Run(() =>
        {
            if (parsed.GetValue(repeats) < 1) throw new Errors.UsageException($"--repeats must be at least 1 (got {parsed.GetValue(repeats)}).");
            var report = Provenance.Envelope("float32", "host kernel: its own threads; torch ops: best of 1 and 2", args);
            report["fma_peak_measured_gflops"] = FmaPeak.Measure();
            report["fma_peak_theoretical_gflops"] = FmaPeak.Theoretical();
            report["fma_peak_measured_512_gflops"] = FmaPeak.Measure512();
            report["fma_peak_theoretical_512_gflops"] = FmaPeak.Theoretical(lanes: 16);
            bool peakOnly = parsed.GetValue(peakOnlyOption);
            var rows = new JsonArray();
            var widthRows = new JsonArray();
            if (!peakOnly)
            {
                using var progress = ProgressReporter.Start("bench kernels");
                progress.Total = DenseShapes.Length + 2 * OtherShapes.Length + WidthScan.Length;
                foreach (string structure in new[] { "dense", "diagonal", "scalar" })
                foreach (var (length, batch) in structure == "dense" ? DenseShapes : OtherShapes)
                {
                    rows.Add(PcrThroughput.Measure(structure, length, batch, 8, parsed.GetValue(repeats)));
                    progress.Advance($"{structure} blocks, L = {length}, B = {batch}");
                }
                foreach (int width in WidthScan)
                {
                    widthRows.Add(PcrWidthScan.Measure(1024, 1, width, parsed.GetValue(repeats)));
                    progress.Advance($"whole dense solve, w = {width}");
                }
            }
            report["warmup"] = Warmup.Harness;
            report["rows"] = rows;
            report["width_rows"] = widthRows;
            if (parsed.GetValue(json))
            {
                Console.WriteLine(report.ToJsonString());
                return 0;
            }
            Console.WriteLine($"FMA peak (float32, all {Environment.ProcessorCount} cores, best of {FmaPeak.Trials} trials): measured {(double?)report["fma_peak_measured_gflops"]:0.0} GFLOP/s with Vector256 (theoretical {(double?)report["fma_peak_theoretical_gflops"]:0.0} at the nominal clock), {(double?)report["fma_peak_measured_512_gflops"]:0.0} GFLOP/s with Vector512 (theoretical {(double?)report["fma_peak_theoretical_512_gflops"]:0.0})");
            if (peakOnly) return 0;
            double? peak256 = (double?)report["fma_peak_measured_gflops"], peak512 = (double?)report["fma_peak_measured_512_gflops"];
            double? peak = peak512 is null ? peak256 : Math.Max(peak512.Value, peak256 ?? 0);
            PrintRounds("One round (s = 1), row-major kernel (Vector256):", rows, "host_round", peak256, peak);
            PrintRounds("One round (s = 1), tiled kernel (AVX-512; the host engine's and the host solve's for dense blocks):", rows, "tiled_round", peak256, peak);
            Console.WriteLine("Whole solve (all rounds):");
            Console.WriteLine($"{"blocks",-9} {"L",5} {"B",3} {"host ms",9} {"host GFLOP/s",13} {"torch ms",9} {"torch GFLOP/s",14} {"speed-up",9}");
            foreach (var row in rows.OfType<JsonObject>())
            {
                Console.WriteLine($"{row["structure"],-9} {row["layers"],5} {row["batch"],3} {(double)row["host_kernel_ms"]!,9:0.000} {(double)row["host_kernel_gflops"]!,13:0.0} {(double)row["torch_ops_ms"]!,9:0.000} {(double)row["torch_ops_gflops"]!,14:0.0} {(double)row["speedup_vs_torch_ops"]!,8:0.0}x");
            }
            Console.WriteLine("Whole dense solves by width (L = 1024, B = 1): tiled and row-major host kernels, TorchSharp ops:");
            Console.WriteLine($"{"w",3} {"tiled ms",10} {"GFLOP/s",8} {"row-major ms",13} {"GFLOP/s",8} {"torch ms",10} {"GFLOP/s",8} {"vs row-major",13} {"vs torch",9}");
            foreach (var row in widthRows.OfType<JsonObject>())
            {
                double? tiled = (double?)row["tiled_solve_ms"];
                Console.WriteLine($"{row["width"],3} {(tiled is null ? "-" : $"{tiled:0.000}"),10} {(double?)row["tiled_solve_gflops"],8:0.0} {(double)row["row_major_solve_ms"]!,13:0.000} {(double)row["row_major_solve_gflops"]!,8:0.0} {(double)row["torch_ops_ms"]!,10:0.000} {(double)row["torch_ops_gflops"]!,8:0.0} {(double?)row["tiled_speedup_vs_row_major"],12:0.0}x {(double?)row["tiled_speedup_vs_torch_ops"],8:0.0}x");
            }
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// (L, B) of the dense rows: L B = 4096 and 16384, each at B = 4 and B = 16. In the tiled layout (16 float32 rows
    /// a tile) round 1's partner rows n - B straddle two tiles at B = 4 and fill one at B = 16, so the pairs separate
    /// that cost from the size.
    /// </summary>
    private static readonly (int Length, int Batch)[] DenseShapes = [(1024, 4), (256, 16), (4096, 4), (1024, 16)];

    /// <summary>(L, B) of the diagonal and scalar rows: L B = 4096 and 16384.</summary>
    private static readonly (int Length, int Batch)[] OtherShapes = [(1024, 4), (1024, 16)];

    /// <summary>The widths of the whole-solve scan: the MLP grid's and the GPU grid's, up to the tiled kernel's widest blocks.</summary>
    private static readonly int[] WidthScan = [4, 8, 16, 32, 64];

    /// <summary>One table of round timings: GFLOP/s, the share of each measured peak, and the speed-up over the torch-op round.</summary>
    private static void PrintRounds(string title, JsonArray rows, string label, double? peak256, double? peak)
    {
        var measured = rows.OfType<JsonObject>().Where(r => r[$"{label}_ms"] is not null).ToList();
        if (measured.Count == 0) return;
        Console.WriteLine(title);
        Console.WriteLine($"{"blocks",-9} {"L",5} {"B",3} {"ms",9} {"GFLOP/s",9} {"% 256-bit",10} {"% peak",7} {"torch ms",9} {"torch GFLOP/s",14} {"vs torch",9}");
        foreach (var row in measured)
        {
            double g = (double)row[$"{label}_gflops"]!;
            string speedup = label == "host_round" ? "round_speedup_vs_torch_ops" : $"{label}_speedup_vs_torch_ops";
            Console.WriteLine($"{row["structure"],-9} {row["layers"],5} {row["batch"],3} {(double)row[$"{label}_ms"]!,9:0.000} {g,9:0.0} {100 * g / peak256,9:0}% {100 * g / peak,6:0}% {(double)row["torch_round_ms"]!,9:0.000} {(double)row["torch_round_gflops"]!,14:0.0} {(double)row[speedup]!,8:0.0}x");
        }
    }
}
