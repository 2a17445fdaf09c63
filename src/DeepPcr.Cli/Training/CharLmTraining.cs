using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DeepPcr.Cli.Files;
using DeepPcr.Cli.Measuring;
using DeepPcr.Cli.Progress;
using DeepPcr.Linear;
using DeepPcr.Models.Text;
using DeepPcr.Recurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Training;

/// <summary>
/// `deeppcr train charlm`: every solver trains its own copy of one character language model (same seed, same initial
/// weights) on the same minibatches, taking turns step by step so that machine load falls on all alike; then each is
/// scored on held-out text and samples a line.
/// </summary>
public static class CharLmTraining
{
    /// <summary>The relative tolerance within which the solvers' logged losses must agree.</summary>
    public const double Agreement = 1e-3;

    /// <summary>Trains every solver of <paramref name="options"/>; the runs are the caller's to dispose.</summary>
    public static IReadOnlyList<CharLmRun> Train(CharLmOptions options, CharCorpus corpus, ProgressReporter progress)
    {
        if (corpus.TrainLength < options.Length + 2) throw new ArgumentException($"--length {options.Length} is longer than the training text ({corpus.TrainLength} characters).");
        var runs = options.Solvers.Select(s => new CharLmRun(s, options, corpus.Vocabulary.Length)).ToList();
        var random = new Random((int)(options.Seed & int.MaxValue));
        progress.Total = options.Steps;
        for (int step = 1; step <= options.Steps; step++)
        {
            using var scope = torch.NewDisposeScope();
            var window = Window(corpus, options, random);
            bool log = step == 1 || step % options.LogEvery == 0 || step == options.Steps;
            foreach (var run in runs) run.Step(step, window, log);
            if (log) progress.Advance($"step {step}: " + string.Join(", ", runs.Select(r => $"{r.Solver} loss {r.Log[^1].Loss:0.0000}")));
            else progress.Advance($"step {step}");
        }
        return runs;
    }

    /// <summary>Tokens [B, T + 1] of B training windows starting at random positions.</summary>
    private static Tensor Window(CharCorpus corpus, CharLmOptions options, Random random)
    {
        var tokens = new long[options.Batch * (options.Length + 1)];
        for (int b = 0; b < options.Batch; b++)
        {
            int start = random.Next(0, corpus.TrainLength - options.Length - 1);
            Array.Copy(corpus.Tokens, start, tokens, b * (options.Length + 1), options.Length + 1);
        }
        return torch.tensor(tokens).reshape(options.Batch, options.Length + 1);
    }

    /// <summary>Held-out windows [n, T' + 1] tiling the first <see cref="CharLmOptions.EvalChars"/> held-out characters
    /// (T' = T, or less where the held-out text is shorter).</summary>
    public static Tensor HeldOutWindows(CharCorpus corpus, CharLmOptions options)
    {
        var heldOut = corpus.HeldOut;
        int available = Math.Min(options.EvalChars, heldOut.Length - 1);
        int length = Math.Min(options.Length, available);
        int count = Math.Max(1, available / length);
        var tokens = new long[count * (length + 1)];
        for (int k = 0; k < count; k++) heldOut.Slice(k * length, length + 1).CopyTo(tokens.AsSpan(k * (length + 1)));
        return torch.tensor(tokens).reshape(count, length + 1);
    }

    /// <summary>The report: envelope, settings, one object per solver ("sequential", "parallel") and the agreement.</summary>
    public static JsonObject Report(IReadOnlyList<CharLmRun> runs, CharLmOptions options, CharCorpus corpus, Tensor heldOut,
        IReadOnlyDictionary<CharLmRun, (double Bits, string Sample)> scores, IEnumerable<string> args)
    {
        var report = Provenance.Envelope("float32", $"TorchSharp {torch.get_num_threads()} threads, host kernels {HostThreads.Limit}", args);
        report["corpus"] = $"{corpus.Name}: {corpus.Tokens.Length} characters, {corpus.Vocabulary.Length} distinct, last {CharCorpus.HeldOutFraction:P0} held out";
        report["cell"] = RecurrentCells.Name(options.Cell);
        report["layers"] = options.Layers;
        report["hidden"] = options.Hidden;
        report["steps"] = options.Steps;
        report["batch"] = options.Batch;
        report["length"] = options.Length;
        report["lr"] = options.LearningRate;
        report["seed"] = options.Seed;
        report["held_out_chars"] = heldOut.size(0) * (heldOut.size(1) - 1);
        report["logged_steps"] = new JsonArray(runs[0].Log.Select(l => (JsonNode)l.Step).ToArray());
        foreach (var run in runs)
        {
            var (bits, sample) = scores[run];
            report[CharLmOptions.Key(run.Solver)] = new JsonObject
            {
                ["solver"] = run.Solver,
                ["method"] = string.Join("+", run.Methods),
                ["engine"] = string.Join("+", run.Engines),
                ["backward_engine"] = string.Join("+", run.BackwardEngines),
                ["losses"] = new JsonArray(run.Log.Select(l => (JsonNode)l.Loss).ToArray()),
                ["wall_ms"] = new JsonArray(run.Log.Select(l => (JsonNode)l.WallMs).ToArray()),
                ["train_ms"] = run.TrainMs,
                ["tokens_per_second"] = (double)options.Steps * options.Batch * options.Length / (run.TrainMs / 1000),
                ["bits_per_char"] = bits,
                ["mean_newton_iterations"] = run.MeanIterations,
                ["fallbacks"] = run.Fallbacks,
                ["loss_fell"] = run.Log[^1].Loss < run.Log[0].Loss,
                ["sample"] = sample,
            };
        }
        report["agreement"] = Compare(runs);
        return report;
    }

    /// <summary>The largest relative difference between the solvers' logged losses, against <see cref="Agreement"/>.</summary>
    private static JsonObject Compare(IReadOnlyList<CharLmRun> runs)
    {
        if (runs.Count < 2) return new JsonObject { ["compared"] = false };
        double worst = 0;
        for (int i = 0; i < runs[0].Log.Count; i++)
        {
            double a = runs[0].Log[i].Loss, b = runs[1].Log[i].Loss;
            worst = Math.Max(worst, Math.Abs(a - b) / Math.Max(Math.Abs(a), Math.Abs(b)));
        }
        return new JsonObject { ["compared"] = true, ["max_loss_rel_diff"] = worst, ["tolerance"] = Agreement, ["losses_agree"] = worst <= Agreement };
    }

    /// <summary>CSV: one row per solver and logged step.</summary>
    public static string Csv(IReadOnlyList<CharLmRun> runs)
    {
        var text = new StringBuilder("solver,step,loss,wall_ms\n");
        foreach (var run in runs)
        foreach (var l in run.Log)
        {
            text.Append(string.Create(CultureInfo.InvariantCulture, $"{run.Solver},{l.Step},{l.Loss:R},{l.WallMs:0.###}\n"));
        }
        return text.ToString();
    }

    /// <summary>A PNG of training loss against training wall-clock time, one line per solver.</summary>
    public static void LossPlot(IReadOnlyList<CharLmRun> runs, CharLmOptions options, string path, AtomicOutputs outputs) =>
        Plots.LossAgainstTime.Save(
            runs.Select(r => new Plots.LossAgainstTime.Line($"{r.Solver} ({string.Join("+", r.Engines)} engine)",
                r.Log.Select(l => l.WallMs / 1000).ToArray(), r.Log.Select(l => l.Loss).ToArray())).ToArray(),
            "training loss, nats per character",
            $"charlm: {options.Layers} x {RecurrentCells.Name(options.Cell)} of {options.Hidden}, T = {options.Length}, B = {options.Batch}",
            "one logged step: one point per solver (the numbers are in training.csv)", 5, path, outputs);
}
