using DeepPcr.Cli.Progress;
using DeepPcr.Cli.Limits;
using DeepPcr.Cli.Files;
using DeepPcr.Cli.Errors;
using System.CommandLine;
using System.Diagnostics;
using DeepPcr.Cli.Diffusion;
using DeepPcr.Models.Data;
using DeepPcr.Models.Diffusion;
using TorchSharp;

namespace DeepPcr.Cli.Commands;

/// <summary>`deeppcr train diffusion` and `deeppcr train classifier`: the DDPM and the quality classifier of the diffusion experiment.</summary>
public static class TrainDiffusionCommands
{
    /// <summary>`train diffusion`: a DDPM denoiser on the digits scaled to [-1, 1], saved with its EMA weights.</summary>
    public static Command Diffusion()
    {
        var steps = new Option<int>("--steps") { Description = "Diffusion steps T of the schedule.", DefaultValueFactory = _ => 1000 };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training digits.", DefaultValueFactory = _ => 400 };
        var hidden = new Option<int>("--hidden") { Description = "Hidden width H of the denoiser MLP.", DefaultValueFactory = _ => 128 };
        var seed = new Option<long>("--seed") { Description = "Seed of weights, batches and noise.", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out") { Description = "Where to write the checkpoint (safetensors).", Required = true };
        var command = new Command("diffusion", "Train the DDPM denoiser (MLP with a sinusoidal time embedding, Adam, EMA 0.999) on the 8x8 digits.");
        foreach (Option o in new Option[] { steps, epochs, hidden, seed, output }) command.Options.Add(o);
        command.SetAction(parsed => CommandRunner.Run(() =>
        {
            torch.set_num_threads(1);
            if (parsed.GetValue(steps) < 2) throw new UsageException($"--steps must be at least 2 (got {parsed.GetValue(steps)}).");
            if (parsed.GetValue(hidden) < 1) throw new UsageException($"--hidden must be at least 1 (got {parsed.GetValue(hidden)}).");
            if (parsed.GetValue(epochs) < 1) throw new UsageException($"--epochs must be at least 1 (got {parsed.GetValue(epochs)}).");
            PathChecks.WritableFile(parsed.GetValue(output)!, "--out");
            MemoryEstimates.DdpmTraining($"train diffusion with T = {parsed.GetValue(steps)}, H = {parsed.GetValue(hidden)}", parsed.GetValue(steps), parsed.GetValue(hidden), 64, 128).Check();
            var schedule = new NoiseSchedule(parsed.GetValue(steps));
            var data = DigitsLoader.Load();
            var x = data.TrainInputs * 2 - 1;
            var watch = Stopwatch.StartNew();
            Denoiser denoiser;
            using (var progress = ProgressReporter.Start("train diffusion"))
            {
                progress.Total = parsed.GetValue(epochs);
                denoiser = DdpmTraining.Train(x, schedule, parsed.GetValue(hidden), parsed.GetValue(epochs), batch: 128, learningRate: 1e-3, emaDecay: 0.999,
                    parsed.GetValue(seed), (epoch, loss) => progress.Advance($"epoch {epoch}: loss {loss:0.0000}"));
            }
            DiffusionFiles.SaveDenoiser(denoiser, schedule.Steps, parsed.GetValue(output)!);
            Console.WriteLine($"wrote {parsed.GetValue(output)} (T = {schedule.Steps}, H = {parsed.GetValue(hidden)}, {watch.Elapsed.TotalSeconds:0} s)");
            return 0;
        }));
        return command;
    }

    /// <summary>`train classifier`: the 64-128-64-10 feature classifier of the quality measure.</summary>
    public static Command Classifier()
    {
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training digits.", DefaultValueFactory = _ => 60 };
        var seed = new Option<long>("--seed") { Description = "Seed.", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out") { Description = "Where to write the classifier (safetensors).", Required = true };
        var command = new Command("classifier", "Train the digit classifier whose 64-dimensional features measure sample quality.");
        foreach (Option o in new Option[] { epochs, seed, output }) command.Options.Add(o);
        command.SetAction(parsed => CommandRunner.Run(() =>
        {
            if (parsed.GetValue(epochs) < 1) throw new UsageException($"--epochs must be at least 1 (got {parsed.GetValue(epochs)}).");
            PathChecks.WritableFile(parsed.GetValue(output)!, "--out");
            var data = DigitsLoader.Load();
            var classifier = new FeatureClassifier(parsed.GetValue(seed));
            double accuracy = classifier.Train(data.TrainInputs * 2 - 1, data.TrainLabels, data.TestInputs * 2 - 1, data.TestLabels, parsed.GetValue(epochs), parsed.GetValue(seed));
            DiffusionFiles.SaveClassifier(classifier, parsed.GetValue(output)!);
            Console.WriteLine($"wrote {parsed.GetValue(output)}; test accuracy {accuracy:0.000}");
            return 0;
        }));
        return command;
    }
}
