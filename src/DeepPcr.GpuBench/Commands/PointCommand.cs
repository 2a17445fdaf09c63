using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using DeepPcr.Gpu.Engine;
using DeepPcr.GpuBench.Bench;
using DeepPcr.GpuBench.Measuring;

namespace DeepPcr.GpuBench.Commands;

/// <summary>`deeppcr-gpu-bench point`: one cell, forward and backward, as a table or one JSON object.</summary>
public static class PointCommand
{
    /// <summary>Builds the command.</summary>
    /// <param name="args">The process's arguments (for the envelope's <c>command</c>).</param>
    /// <returns>The command.</returns>
    public static Command Create(string[] args)
    {
        var layers = new Option<int>("--layers") { Description = "L: number of layers.", Required = true };
        var width = new Option<int>("--width") { Description = "w: width of every layer (1..64).", Required = true };
        var batch = new Option<int>("--batch") { Description = "B: samples.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table." };
        var shared = new SharedOptions();
        var command = new Command("point", "Time DeepPCR against the per-layer and persistent sequential passes at one (L, w, B), forward and backward.");
        command.Options.Add(layers);
        command.Options.Add(width);
        command.Options.Add(batch);
        shared.AddTo(command);
        command.Options.Add(json);
        command.SetAction(parsed => CommandRunner.Run(() =>
        {
            var settings = shared.Read(parsed);
            var cell = new Cell(parsed.GetValue(layers), parsed.GetValue(width), parsed.GetValue(batch));
            BenchSettings.Validate(cell);
            using var device = GpuDevice.Open(settings.Accelerator);
            var report = Provenance.Envelope(device.Describe(), args);
            foreach (var pair in PointBenchmark.Run(device, cell, settings).ToArray())
            {
                report[pair.Key] = pair.Value?.DeepClone();
            }
            Console.WriteLine(parsed.GetValue(json) ? report.ToJsonString() : Table(report));
            return 0;
        }));
        return command;
    }

    private static string Table(JsonObject report)
    {
        var lines = new List<string>
        {
            $"Deep MLP: L = {report["layers"]}, w = {report["width"]}, B = {report["batch"]}, tanh, gain {report["gain"]}, float32, seed {report["seed"]}",
            $"device: {report["device"]}; jit: {report["jit"]}; median of {report["repeats"]} interleaved repetitions",
            "",
            $"{"pass",-9}{"iters",6}{"rounds",7} {"termination",-16}{"rel.error",10}{"deeppcr ms",12}{"per-layer ms",14}{"persist. ms",13}{"vs per-layer",14}{"vs persist.",13}",
        };
        foreach (string pass in new[] { "forward", "backward" })
        {
            var m = report[pass]!.AsObject();
            lines.Add($"{pass,-9}{m["iterations"],6}{m["pcr_rounds"],7} {m["termination"],-16}{Number(m["max_rel_error"], "0.0e0"),10}{Number(m["deeppcr_ms"], "0.000"),12}" +
                      $"{Number(m["per_layer_ms"], "0.000"),14}{Number(m["persistent_ms"], "0.000"),13}{Number(m["speedup_vs_per_layer"], "0.00") + "x",14}{Number(m["speedup_vs_persistent"], "0.00") + "x",13}");
            if (m["note"] is { } note) lines.Add($"  note: {note}");
        }
        return string.Join(Environment.NewLine, lines);
    }

    private static string Number(JsonNode? node, string format) =>
        node is JsonValue v && v.TryGetValue(out double d) ? d.ToString(format, CultureInfo.InvariantCulture) : "-";
}
