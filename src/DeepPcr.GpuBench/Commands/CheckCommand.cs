using System.CommandLine;
using DeepPcr.Gpu.Engine;
using DeepPcr.GpuBench.Bench;
using DeepPcr.GpuBench.Measuring;

namespace DeepPcr.GpuBench.Commands;

/// <summary>`deeppcr-gpu-bench check`: every engine path and both baselines against the float64 reference on this device.</summary>
public static class CheckCommand
{
    /// <summary>Exit code when a check failed.</summary>
    public const int Failed = 3;

    /// <summary>Builds the command.</summary>
    /// <param name="args">The process's arguments (for the envelope's <c>command</c>).</param>
    /// <returns>The command.</returns>
    public static Command Create(string[] args)
    {
        var accelerator = new Option<string>("--accelerator") { Description = "cuda or cpu.", DefaultValueFactory = _ => "cuda" };
        var cells = new Option<string?>("--cells") { Description = "Cells as L:w:B separated by commas (default: a fixed set, tiny on cpu, up to L = 1024 and w = 64 on cuda)." };
        var seed = new Option<int>("--seed") { Description = "Seed of the problems.", DefaultValueFactory = _ => 1 };
        var gain = new Option<double>("--gain") { Description = "Weights are N(0, gain^2 / w).", DefaultValueFactory = _ => 1.0 };
        var command = new Command("check", "Check every engine path (device loop, one group per iteration, per entry, tiled) and both baselines, forward and backward, against the float64 host reference on this device; exit 3 if any check fails.");
        command.Options.Add(accelerator);
        command.Options.Add(cells);
        command.Options.Add(seed);
        command.Options.Add(gain);
        command.SetAction(parsed => CommandRunner.Run(() =>
        {
            var kind = SharedOptions.ParseAccelerator(parsed.GetValue(accelerator));
            var chosen = parsed.GetValue(cells) is { } text ? ParseCells(text) : EngineCheck.DefaultCells(kind == AcceleratorKind.Cpu);
            using var device = GpuDevice.Open(kind);
            var report = Provenance.Envelope(device.Describe(), args);
            foreach (var pair in EngineCheck.Run(device, chosen, parsed.GetValue(seed), parsed.GetValue(gain), Console.Error).ToArray())
                report[pair.Key] = pair.Value?.DeepClone();
            Console.WriteLine(report.ToJsonString());
            return (bool)report["ok"]! ? 0 : Failed;
        }));
        return command;
    }

    /// <summary>Parses "L:w:B,L:w:B".</summary>
    /// <param name="text">The list.</param>
    /// <returns>The cells.</returns>
    /// <exception cref="ArgumentException">An entry that is not three positive integers.</exception>
    public static IReadOnlyList<Cell> ParseCells(string text)
    {
        var result = new List<Cell>();
        foreach (string entry in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = SharedOptions.ParseList(entry.Replace(':', ','), "--cells");
            if (parts.Length != 3) throw new ArgumentException($"--cells: '{entry}' is not L:w:B.");
            var cell = new Cell(parts[0], parts[1], parts[2]);
            BenchSettings.Validate(cell);
            result.Add(cell);
        }
        if (result.Count == 0) throw new ArgumentException("--cells is empty; give L:w:B entries separated by commas.");
        return result;
    }
}
