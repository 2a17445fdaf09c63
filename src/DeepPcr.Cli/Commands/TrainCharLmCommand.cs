using System.CommandLine;
using System.Text.Json.Nodes;
using DeepPcr.Cli.Errors;
using DeepPcr.Cli.Files;
using DeepPcr.Cli.Progress;
using DeepPcr.Cli.Training;
using DeepPcr.Models.Text;
using DeepPcr.Recurrent;

namespace DeepPcr.Cli.Commands;

/// <summary>`deeppcr train charlm`: a character language model on the King James Bible, sequential and parallel.</summary>
public static class TrainCharLmCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(string[] args)
    {
        var d = CharLmOptions.Default;
        var cell = new Option<string>("--cell") { Description = "Recurrent cell: gru, lstm, gru-diag or lstm-cifg-diag.", DefaultValueFactory = _ => RecurrentCells.Name(d.Cell) };
        var layers = new Option<int>("--layers") { Description = "Recurrent layers.", DefaultValueFactory = _ => d.Layers };
        var hidden = new Option<int>("--hidden") { Description = "Hidden width H (the embedding width too).", DefaultValueFactory = _ => d.Hidden };
        var steps = new Option<int>("--steps") { Description = "Optimiser steps per solver.", DefaultValueFactory = _ => d.Steps };
        var batch = new Option<int>("--batch") { Description = "Sequences per step.", DefaultValueFactory = _ => d.Batch };
        var length = new Option<int>("--length") { Description = "Characters per sequence T (each layer's chain length).", DefaultValueFactory = _ => d.Length };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => d.LearningRate };
        var solver = new Option<string>("--solver") { Description = "both (sequential and deeppcr), sequential, a parallel method (deeppcr, quasi-newton-diagonal, elk, auto, ...), or sequential plus one of them, comma-separated.", DefaultValueFactory = _ => "both" };
        var seed = new Option<long>("--seed") { Description = "Seed of the weights, the minibatches and the sample.", DefaultValueFactory = _ => d.Seed };
        var logEvery = new Option<int>("--log-every") { Description = "Steps between logged losses (1 to 5).", DefaultValueFactory = _ => d.LogEvery };
        var evalChars = new Option<int>("--eval-chars") { Description = "Held-out characters scored for bits per character.", DefaultValueFactory = _ => d.EvalChars };
        var sampleChars = new Option<int>("--sample-chars") { Description = "Characters generated after the prompt.", DefaultValueFactory = _ => d.SampleChars };
        var output = new Option<string?>("--out") { Description = "Folder for training.csv, loss_vs_time.png and results.json." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (envelope, settings, `sequential` and `parallel`)." };
        var command = new Command("charlm", "Train a character-level language model (embedding -> recurrent layers -> linear) on the King James Bible, with the sequential and the parallel solver from the same seed: losses, held-out bits per character, tokens per second and a sample.");
        foreach (Option o in new Option[] { cell, layers, hidden, steps, batch, length, lr, solver, seed, logEvery, evalChars, sampleChars, output, json }) command.Options.Add(o);
        command.SetAction(parsed => CommandRunner.Run(() =>
        {
            var options = new CharLmOptions(RecurrentCells.Parse(parsed.GetValue(cell)!), parsed.GetValue(layers), parsed.GetValue(hidden), parsed.GetValue(steps),
                parsed.GetValue(batch), parsed.GetValue(length), parsed.GetValue(lr), CharLmOptions.ParseSolvers(parsed.GetValue(solver)!), parsed.GetValue(seed),
                parsed.GetValue(logEvery), parsed.GetValue(evalChars), parsed.GetValue(sampleChars));
            options.Validate();
            string? folder = parsed.GetValue(output);
            if (folder is not null) PathChecks.WritableFolder(folder, "--out");
            var corpus = KingJamesBible.Load();
            IReadOnlyList<CharLmRun> runs;
            using (var progress = ProgressReporter.Start("train charlm")) runs = CharLmTraining.Train(options, corpus, progress);
            try
            {
                using var heldOut = CharLmTraining.HeldOutWindows(corpus, options);
                var scores = runs.ToDictionary(r => r, r => (r.BitsPerChar(heldOut), r.Sample(corpus, CharLmOptions.Prompt, options.SampleChars, options.Seed)));
                var report = CharLmTraining.Report(runs, options, corpus, heldOut, scores, args);
                if (folder is not null)
                {
                    using var outputs = new AtomicOutputs();
                    outputs.WriteAllText(Path.Combine(folder, "training.csv"), CharLmTraining.Csv(runs));
                    outputs.WriteJson(Path.Combine(folder, "results.json"), report);
                    CharLmTraining.LossPlot(runs, options, Path.Combine(folder, "loss_vs_time.png"), outputs);
                    outputs.Commit();
                }
                if (parsed.GetValue(json)) Console.WriteLine(report.ToJsonString());
                else Print(report, runs);
            }
            finally
            {
                foreach (var run in runs) run.Dispose();
            }
            return 0;
        }));
        return command;
    }

    private static void Print(JsonObject report, IReadOnlyList<CharLmRun> runs)
    {
        Console.WriteLine($"charlm: {report["layers"]} x {report["cell"]} of {report["hidden"]}, T = {report["length"]}, B = {report["batch"]}, {report["steps"]} steps on {report["corpus"]}; {report["machine"]}");
        Console.WriteLine($"{"solver",-24} {"engine",-10} {"first loss",10} {"last loss",10} {"bits/char",9} {"tokens/s",10} {"Newton it.",10} {"fallbacks",9}");
        foreach (var run in runs)
        {
            var r = report[CharLmOptions.Key(run.Solver)]!;
            Console.WriteLine($"{run.Solver,-24} {(string)r["engine"]!,-10} {run.Log[0].Loss,10:0.0000} {run.Log[^1].Loss,10:0.0000} {(double)r["bits_per_char"]!,9:0.000} {(double)r["tokens_per_second"]!,10:0} {run.MeanIterations,10:0.0} {(int)r["fallbacks"]!,9}");
        }
        if (report["agreement"]!["compared"]!.GetValue<bool>())
        {
            Console.WriteLine($"largest relative difference of the logged losses: {(double)report["agreement"]!["max_loss_rel_diff"]!:0.0E0} (tolerance {CharLmTraining.Agreement:0E0})");
        }
        foreach (var run in runs) Console.WriteLine($"sample ({run.Solver}): {((string)report[CharLmOptions.Key(run.Solver)]!["sample"]!).ReplaceLineEndings(" / ")}");
    }
}
