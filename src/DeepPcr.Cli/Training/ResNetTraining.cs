using DeepPcr.Cli.Progress;
using DeepPcr.Cli.Files;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DeepPcr.Cli.Measuring;
using DeepPcr.Models.Data;
using TorchSharp;

namespace DeepPcr.Cli.Training;

/// <summary>
/// Trains the same ResNet with every requested solver on identical initial weights, data order and seeds.
/// The solvers take turns epoch by epoch, so that slow phases of the machine hit all of them alike.
/// </summary>
public static class ResNetTraining
{
    /// <summary>Runs the training and returns every solver's run (disposed by the caller).</summary>
    public static IReadOnlyList<SolverRun> Run(ResNetTrainingOptions options, Dataset data, ProgressReporter progress)
    {
        options.Validate();
        torch.set_num_threads(1);
        var minibatches = Minibatches((int)data.TrainInputs.size(0), options.Batch, options.Seed);
        var runs = options.Solvers.Select(s => new SolverRun(s, options, data)).ToArray();
        progress.Total = options.Epochs * runs.Length;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            foreach (var run in runs)
            {
                var r = run.RunEpoch(epoch, minibatches, data);
                progress.Advance(string.Create(CultureInfo.InvariantCulture,
                    $"epoch {epoch}/{options.Epochs} {run.Name,-15} {r.EpochMs / 1000,7:0.00} s  loss {r.TrainLoss:0.0000}  test accuracy {r.TestAccuracy:0.000}  Newton iterations {r.MeanIterations:0.0}  fallbacks {r.Fallbacks}"));
            }
        }
        return runs;
    }

    /// <summary>The fixed minibatch order: one seeded permutation of the training set, cut into batches.</summary>
    public static IReadOnlyList<int[]> Minibatches(int samples, int batch, long seed)
    {
        var order = Enumerable.Range(0, samples).ToArray();
        new Random((int)seed).Shuffle(order);
        return order.Chunk(batch).ToArray();
    }

    /// <summary>The JSON report: the envelope and one object per solver keyed by its name.</summary>
    public static JsonObject Report(IReadOnlyList<SolverRun> runs, ResNetTrainingOptions options, Dataset data, IEnumerable<string> args)
    {
        var report = Provenance.Envelope("float32", "TorchSharp intra-op threads 1 for every solver", args);
        report["depth"] = options.Depth;
        report["width"] = options.Width;
        report["batch"] = options.Batch;
        report["epochs"] = options.Epochs;
        report["learning_rate"] = options.LearningRate;
        report["data"] = data.Name;
        report["warmup"] = Warmup.Training;
        report["train_samples"] = data.TrainInputs.size(0);
        report["test_samples"] = data.TestInputs.size(0);
        double? sequential = runs.FirstOrDefault(r => r.Name == "sequential") is { } s ? MedianEpochMs(s) : null;
        double? sequentialHost = runs.FirstOrDefault(r => r.Name == "sequential-host") is { } h ? MedianEpochMs(h) : null;
        var fastest = runs.Where(r => ResNetTrainingOptions.SequentialSolvers.Contains(r.Name)).MinBy(MedianEpochMs);
        foreach (var run in runs)
        {
            double median = MedianEpochMs(run);
            report[run.Name] = new JsonObject
            {
                ["method"] = run.Method,
                ["engine"] = string.Join("+", run.Engines),
                ["backward_engine"] = string.Join("+", run.BackwardEngines),
                ["train_ms"] = run.Epochs.Sum(e => e.EpochMs),
                ["median_epoch_ms"] = median,
                ["final_train_loss"] = run.Epochs[^1].TrainLoss,
                ["test_accuracy"] = run.Epochs[^1].TestAccuracy,
                ["iterations_per_epoch"] = new JsonArray(run.Epochs.Select(e => (JsonNode)e.MeanIterations).ToArray()),
                ["fallbacks"] = run.Epochs.Sum(e => e.Fallbacks),
                ["speedup_vs_sequential"] = sequential is double q ? q / median : null,
                ["speedup_vs_sequential_host"] = sequentialHost is double qh ? qh / median : null,
                ["fastest_sequential"] = fastest?.Name,
                ["speedup_vs_fastest_sequential"] = fastest is null ? null : MedianEpochMs(fastest) / median,
            };
        }
        return report;
    }

    /// <summary>The median epoch time over the epochs after the first (all epochs when there is only one).</summary>
    public static double MedianEpochMs(SolverRun run)
    {
        var epochs = run.Epochs.Count > 1 ? run.Epochs.Skip(1) : run.Epochs;
        return Timing.Median(epochs.Select(e => e.EpochMs).ToArray());
    }

    /// <summary>CSV: one row per solver and epoch.</summary>
    public static string Csv(IReadOnlyList<SolverRun> runs)
    {
        var text = new StringBuilder("solver,epoch,epoch_ms,wall_ms,train_loss,test_accuracy,mean_newton_iterations,fallbacks\n");
        foreach (var run in runs)
        foreach (var e in run.Epochs)
        {
            text.Append(string.Create(CultureInfo.InvariantCulture, $"{run.Name},{e.Epoch},{e.EpochMs:0.###},{e.WallMs:0.###},{e.TrainLoss:R},{e.TestAccuracy:R},{e.MeanIterations:0.###},{e.Fallbacks}\n"));
        }
        return text.ToString();
    }

    /// <summary>A PNG of training loss against training wall-clock time, one line per solver.</summary>
    public static void LossPlot(IReadOnlyList<SolverRun> runs, ResNetTrainingOptions options, string path, AtomicOutputs outputs) =>
        Plots.LossAgainstTime.Save(
            runs.Select(r => new Plots.LossAgainstTime.Line($"{r.Name} (test accuracy {r.Epochs[^1].TestAccuracy:0.000})",
                r.Epochs.Select(e => e.WallMs / 1000).ToArray(), r.Epochs.Select(e => e.TrainLoss).ToArray())).ToArray(),
            "mean training loss of the epoch", $"ResNet, {options.Depth} blocks of width {options.Width}, batch {options.Batch}",
            "one epoch: one point per solver, no curve (the numbers are in training.csv)", 7, path, outputs);
}
