using DeepPcr.Cli.Progress;
using DeepPcr.Cli.Limits;
using DeepPcr.Cli.Files;
using DeepPcr.Cli.Errors;
using System.CommandLine;
using System.Text.Json;
using DeepPcr.Cli.Training;
using DeepPcr.Models.Data;

namespace DeepPcr.Cli.Commands;

/// <summary>`deeppcr train resnet`: trains a deep ResNet with each solver, epoch by epoch in turn.</summary>
public static class TrainCommand
{
    /// <summary>Builds `train` with its subcommand `resnet`.</summary>
    public static Command Create(string[] args)
    {
        var depth = new Option<int>("--depth") { Description = "Residual blocks L.", DefaultValueFactory = _ => 64 };
        var width = new Option<int>("--width") { Description = "Block width w.", DefaultValueFactory = _ => 8 };
        var epochs = new Option<int>("--epochs") { Description = "Epochs per solver.", DefaultValueFactory = _ => 6 };
        var batch = new Option<int>("--batch") { Description = "Minibatch size.", DefaultValueFactory = _ => 32 };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => 0.01 };
        var solver = new Option<string>("--solver") { Description = "sequential, sequential-host (the sequential pass with the host kernels' adjoint backward), deeppcr, deeppcr-warm, a comma-separated list, or all.", DefaultValueFactory = _ => "all" };
        var data = new Option<string>("--data") { Description = "digits (embedded UCI digits) or mnist:DIR (idx files).", DefaultValueFactory = _ => "digits" };
        var seed = new Option<long>("--seed") { Description = "Seed of the weights and the minibatch order.", DefaultValueFactory = _ => 0 };
        var output = new Option<string?>("--out") { Description = "Folder for training.csv, loss_vs_time.png, results.json and (with --save) the models." };
        var save = new Option<bool>("--save") { Description = "Also save each solver's trained model as safetensors in --out." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (envelope and one object per solver)." };

        var resnet = new Command("resnet", "Train a deep ResNet on handwritten digits with sequential, DeepPCR and warm-started DeepPCR passes, on identical weights and data order.");
        foreach (Option o in new Option[] { depth, width, epochs, batch, lr, solver, data, seed, output, save, json }) resnet.Options.Add(o);
        resnet.SetAction(parsed => CommandRunner.Run(() =>
        {
            var options = new ResNetTrainingOptions(parsed.GetValue(depth), parsed.GetValue(width), parsed.GetValue(epochs), parsed.GetValue(batch),
                parsed.GetValue(lr), ResNetTrainingOptions.ParseSolvers(parsed.GetValue(solver)!), parsed.GetValue(data)!, parsed.GetValue(seed));
            options.Validate();
            string? folder = parsed.GetValue(output);
            if (parsed.GetValue(save) && folder is null) throw new UsageException("--save needs --out DIR.");
            if (folder is not null) PathChecks.WritableFolder(folder, "--out");
            MemoryEstimates.ResNet($"train resnet at depth {options.Depth}, width {options.Width}, batch {options.Batch}", options.Depth, options.Width, options.Batch, options.Solvers.Length).Check();
            var dataset = LoadData(options.Data);
            IReadOnlyList<SolverRun> runs;
            using (var progress = ProgressReporter.Start("train resnet")) runs = ResNetTraining.Run(options, dataset, progress);
            try
            {
                var report = ResNetTraining.Report(runs, options, dataset, args);
                if (folder is not null)
                {
                    using var outputs = new AtomicOutputs();
                    outputs.WriteAllText(Path.Combine(folder, "training.csv"), ResNetTraining.Csv(runs));
                    outputs.WriteJson(Path.Combine(folder, "results.json"), report);
                    ResNetTraining.LossPlot(runs, options, Path.Combine(folder, "loss_vs_time.png"), outputs);
                    if (parsed.GetValue(save)) foreach (var run in runs) outputs.Save(Path.Combine(folder, $"resnet_{run.Name}.safetensors"), path => ResNetModelFile.Save(run.Model, path));
                    outputs.Commit();
                }
                if (parsed.GetValue(json)) Console.WriteLine(report.ToJsonString());
                else PrintTable(report, runs);
            }
            finally
            {
                foreach (var run in runs) run.Dispose();
            }
            return 0;
        }));
        var train = new Command("train", "Training: the ResNet experiment, the diffusion model and its quality classifier, the character language model.");
        train.Subcommands.Add(resnet);
        train.Subcommands.Add(TrainDiffusionCommands.Diffusion());
        train.Subcommands.Add(TrainDiffusionCommands.Classifier());
        train.Subcommands.Add(TrainCharLmCommand.Create(args));
        return train;
    }

    /// <summary>"digits" or "mnist:DIR".</summary>
    public static Dataset LoadData(string spec) => spec switch
    {
        "digits" => DigitsLoader.Load(),
        _ when spec.StartsWith("mnist:", StringComparison.Ordinal) => MnistIdxReader.Load(spec["mnist:".Length..]),
        _ => throw new UsageException($"Unknown --data '{spec}'; use digits or mnist:DIR."),
    };

    private static void PrintTable(System.Text.Json.Nodes.JsonObject report, IReadOnlyList<SolverRun> runs)
    {
        Console.WriteLine($"ResNet: {report["depth"]} blocks of width {report["width"]}, batch {report["batch"]}, {report["epochs"]} epochs on {report["data"]}; {report["machine"]}");
        Console.WriteLine($"{"solver",-15} {"median epoch ms",15} {"speed-up vs fastest sequential",31} {"test acc.",9} {"final loss",10} {"Newton it./solve",17} {"fallbacks",9}");
        foreach (var run in runs)
        {
            var r = report[run.Name]!;
            string speedup = r["speedup_vs_fastest_sequential"] is { } s ? $"{(double)s:0.00}x ({r["fastest_sequential"]})" : "-";
            Console.WriteLine($"{run.Name,-15} {(double)r["median_epoch_ms"]!,15:0.0} {speedup,31} {(double)r["test_accuracy"]!,9:0.000} {(double)r["final_train_loss"]!,10:0.0000} {run.Epochs.Average(e => e.MeanIterations),17:0.0} {(int)r["fallbacks"]!,9}");
        }
    }
}
