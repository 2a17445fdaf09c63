using DeepPcr.Cli.Progress;
using DeepPcr.Cli.Files;
using DeepPcr.Cli.Errors;
using System.CommandLine;
using DeepPcr.Cli.Modules;

namespace DeepPcr.Cli.Commands;

/// <summary>`deeppcr bench modules`: a user's own TorchSharp modules called plainly, under auto and under deeppcr.</summary>
public static class BenchModulesCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(string[] args)
    {
        var output = new Option<string?>("--out") { Description = "Folder for results.json (optional)." };
        var json = new Option<bool>("--json") { Description = "Print the report as one JSON object." };
        var repeats = new Option<int>("--repeats") { Description = "Timed repetitions per case.", DefaultValueFactory = _ => 5 };
        var seed = new Option<long>("--seed") { Description = "Seed of the modules' weights and the input.", DefaultValueFactory = _ => 0 };
        var command = new Command("modules", "A user's TorchSharp modules (a recognised Sequential of Linear + Tanh, and unrecognised Linear -> LayerNorm -> Tanh blocks) called one after another, and as a ChainModule under auto and deeppcr: forward and forward + backward.");
        foreach (Option o in new Option[] { output, json, repeats, seed }) command.Options.Add(o);
        command.SetAction(parsed => CommandRunner.Run(() =>
        {
            int r = parsed.GetValue(repeats);
            if (r < 1) throw new UsageException($"--repeats must be at least 1 (got {r}).");
            string? folder = parsed.GetValue(output);
            if (folder is not null) PathChecks.WritableFolder(folder, "--out");
            System.Text.Json.Nodes.JsonObject report;
            using (var progress = ProgressReporter.Start("bench modules")) report = ModuleBench.Run(ModuleCase.Defaults, r, parsed.GetValue(seed), args, progress);
            if (folder is not null)
            {
                using var outputs = new AtomicOutputs();
                outputs.WriteJson(Path.Combine(folder, "results.json"), report);
                outputs.Commit();
            }
            if (parsed.GetValue(json))
            {
                Console.WriteLine(report.ToJsonString());
                return 0;
            }
            Console.WriteLine($"{"case",-13} {"L",5} {"w",3} {"B",3} {"pass",-16} {"solver",-8} {"engine",-6} {"method",-10} {"ms",9} {"plain ms",9} {"speedup",8} {"rel.error",9}");
            foreach (var row in report["cases"]!.AsArray())
            {
                Console.WriteLine($"{row!["case"],-13} {row["L"],5} {row["w"],3} {row["B"],3} {row["pass"],-16} {row["solver"],-8} {row["engine"],-6} {row["method"],-10} {(double)row["ms"]!,9:F3} {(double)row["plain_ms"]!,9:F3} {(double)row["speedup_vs_plain"]!,7:F2}x {(double)row["max_rel_error"]!,9:E1}");
            }
            return 0;
        }));
        return command;
    }
}
