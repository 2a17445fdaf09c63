using System.CommandLine;
using System.Text.Json.Nodes;
using DeepPcr.Cli.Errors;
using DeepPcr.Cli.Files;
using DeepPcr.Cli.Progress;
using DeepPcr.Cli.Rnn;
using DeepPcr.Cli.Solvers;

namespace DeepPcr.Cli.Commands;

/// <summary>`deeppcr bench rnn`: recurrent cells along the sequence, the parallel solve against four sequential baselines.</summary>
public static class BenchRnnCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(string[] args)
    {
        var d = RnnGrid.Default;
        var output = new Option<string?>("--out") { Description = "Folder for results.json, results.csv and the speed-up plots (optional)." };
        var json = new Option<bool>("--json") { Description = "Print the report as one JSON object." };
        var cells = new Option<string>("--cells") { Description = "Comma-separated cells: gru, lstm, gru-diag, lstm-cifg-diag.", DefaultValueFactory = _ => string.Join(',', d.Cells) };
        var lengths = new Option<string>("--lengths") { Description = "Comma-separated sequence lengths T.", DefaultValueFactory = _ => string.Join(',', d.Lengths) };
        var hidden = new Option<string>("--hidden") { Description = "Comma-separated hidden widths H.", DefaultValueFactory = _ => string.Join(',', d.Hidden) };
        var batches = new Option<string>("--batches") { Description = "Comma-separated batch sizes B.", DefaultValueFactory = _ => string.Join(',', d.Batches) };
        var inputs = new Option<int?>("--inputs") { Description = "Input width I (default: I = H)." };
        var solver = new Option<string>("--solver") { Description = $"The parallel solve's method: {string.Join(", ", SolverCatalog.All.Where(e => e.Name != "sequential").Select(e => e.Name))}.", DefaultValueFactory = _ => d.Solver };
        var seed = new Option<long>("--seed") { Description = "Seed of the weights, inputs and cotangents.", DefaultValueFactory = _ => d.Seed };
        var repeats = new Option<int>("--repeats") { Description = "Timed repetitions per case (at least 5 for a median).", DefaultValueFactory = _ => d.Repeats };
        var cap = new Option<double>("--cap-ms") { Description = "Points whose estimated time (every column, thread count and repetition) exceeds this many ms are not run (reported with the estimate); memory is bounded by --max-memory or the available memory.", DefaultValueFactory = _ => d.CapMs };
        var command = new Command("rnn", "Recurrent cells (gru, lstm, gru-diag, lstm-cifg-diag) solved in parallel along the sequence against TorchSharp's nn.GRU/nn.LSTM, the TorchSharp cell called step by step, the fused sequential loop and PyTorch, forward and forward + backward.");
        foreach (Option o in new Option[] { output, json, cells, lengths, hidden, batches, inputs, solver, seed, repeats, cap }) command.Options.Add(o);
        command.SetAction(parsed => CommandRunner.Run(() =>
        {
            var grid = new RnnGrid(RnnGrid.ParseCells(parsed.GetValue(cells)!), RnnGrid.ParseList(parsed.GetValue(lengths)!, "--lengths"),
                RnnGrid.ParseList(parsed.GetValue(hidden)!, "--hidden"), RnnGrid.ParseList(parsed.GetValue(batches)!, "--batches"),
                parsed.GetValue(inputs), parsed.GetValue(solver)!, parsed.GetValue(seed), parsed.GetValue(repeats), parsed.GetValue(cap));
            if (grid.Repeats < 1) throw new UsageException($"--repeats must be at least 1 (got {grid.Repeats}).");
            if (grid.Inputs is int i && i < 1) throw new UsageException($"--inputs must be at least 1 (got {i}).");
            if (!(grid.CapMs > 0)) throw new UsageException($"--cap-ms must be positive (got {grid.CapMs}).");
            if (grid.Solver == "sequential") throw new UsageException("--solver sequential is the fused_sequential column already; name a parallel method.");
            var entry = SolverCatalog.Parse(grid.Solver).Single();
            string? folder = parsed.GetValue(output);
            if (folder is not null) PathChecks.WritableFolder(folder, "--out");
            JsonObject report;
            using (var progress = ProgressReporter.Start("bench rnn")) report = RnnGridRunner.Run(grid, entry.Solver, entry.Options, args, progress);
            var written = new List<string>();
            if (folder is not null)
            {
                using var outputs = new AtomicOutputs();
                outputs.WriteJson(Path.Combine(folder, "results.json"), report);
                outputs.WriteAllText(Path.Combine(folder, "results.csv"), RnnResultsCsv.Format(report));
                written.AddRange(RnnPlots.Write(report, folder, outputs));
                outputs.Commit();
                written.Add(Path.Combine(folder, "results.json"));
                written.Add(Path.Combine(folder, "results.csv"));
            }
            if (parsed.GetValue(json))
            {
                Console.WriteLine(report.ToJsonString());
                return 0;
            }
            PrintTable(report);
            foreach (string path in written) Console.WriteLine(path);
            return 0;
        }));
        return command;
    }

    private static void PrintTable(JsonObject report)
    {
        Console.WriteLine($"{"cell",-15} {"T",6} {"H",3} {"B",3} {"pass",-16} {"method",-16} {"engine",-6} {"it",3} {"parallel ms",11} {"vs module",9} {"vs loop",8} {"vs fused",8} {"vs pytorch",10} {"rel.error",9}");
        foreach (var row in report["points"]!.AsArray().OfType<JsonObject>())
        {
            string Ratio(string baseline) => (double?)row[$"speedup_vs_{baseline}"] is double s ? $"{s:0.00}x" : "-";
            string ms = (double?)row["parallel_ms"] is double p ? p.ToString("0.###") : (bool)row["not_run"]! ? "not run" : "-";
            string module = row["torch_module_ms"] is null && row["speedup_vs_dense_module"] is not null ? Ratio("dense_module") + "*" : Ratio("torch_module");
            string error = (double?)row["max_rel_error"] is double e ? e.ToString("0.0E0") : "-";
            Console.WriteLine($"{row["cell"],-15} {row["T"],6} {row["H"],3} {row["B"],3} {row["pass"],-16} {row["method"],-16} {row["engine"],-6} {row["iterations"],3} {ms,11} {module,9} {Ratio("torch_cell_loop"),8} {Ratio("fused_sequential"),8} {Ratio("pytorch"),10} {error,9}");
        }
        Console.WriteLine("* the diagonal cells against the dense nn.GRU / nn.LSTM of the same size (libtorch has no diagonal cell)");
    }
}
