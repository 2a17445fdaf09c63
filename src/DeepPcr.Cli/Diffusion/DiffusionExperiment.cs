using DeepPcr.Cli.Progress;
using System.Text.Json.Nodes;
using DeepPcr.Chains;
using DeepPcr.Cli.Errors;
using DeepPcr.Cli.Limits;
using DeepPcr.Cli.Measuring;
using DeepPcr.Linear;
using DeepPcr.Models.Data;
using DeepPcr.Models.Diffusion;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Diffusion;

/// <summary>
/// Samples the same diffusion chain (same x_T and noise) with every requested sampler, compares each with the
/// sequential samples, and measures quality. Returns the report and the samples per sampler.
/// </summary>
public static class DiffusionExperiment
{
    /// <summary>Runs the samplers in order, one unit of <paramref name="progress"/> per sampling pass.</summary>
    public static (JsonObject Report, List<(string Name, Tensor Samples)> Panels) Run(DiffusionSettings settings, IEnumerable<string> args, ProgressReporter progress)
    {
        settings.Validate();
        torch.set_num_threads(1);
        var (denoiser, trainedSteps) = DiffusionFiles.LoadDenoiser(settings.Model);
        int steps = settings.Steps ?? trainedSteps;
        Memory(settings, steps, denoiser).Check();
        // A sweep has set the total over all its runs already; a single run sets its own.
        progress.Total = Math.Max(progress.Total, progress.Done + Passes(settings, denoiser.Width));
        var schedule = new NoiseSchedule(steps);
        var digits = DigitsLoader.Load();
        var real = torch.cat(new[] { digits.TrainInputs, digits.TestInputs }, 0) * 2 - 1;
        var quality = new SampleQuality(DiffusionFiles.LoadClassifier(null), real);
        var (start, noise) = DiffusionChain.DrawNoise(schedule, settings.Count, denoiser.Width, settings.Seed, ScalarType.Float32);
        var options = new SolverOptions(MaxIterations: settings.MaxIterations, AbsoluteTolerance: settings.Tolerance, RelativeTolerance: 0);

        var report = Provenance.Envelope("float32", "TorchSharp intra-op threads 1; host PCR kernel on 2 threads", args);
        report["steps"] = steps;
        report["trained_steps"] = trainedSteps;
        report["count"] = settings.Count;
        report["tolerance"] = settings.Tolerance;
        report["window"] = settings.Window;
        report["seed"] = settings.Seed;
        report["chunk"] = settings.Chunk;
        report["frechet_note"] = "Fréchet distances need more samples than the 64 feature dimensions (N >= 65); below that they are null.";

        report["warmup"] = Warmup.Samplers;
        Warmup.Run(new[] { "sequential" }.Concat(settings.Solvers).Distinct().Select(name => (Action)(() =>
            DiffusionSampling.Run(DiffusionSampler.Create(name, settings.Window), denoiser, schedule, start.narrow(0, 0, 1), noise.narrow(1, 0, 1), options, 1).Samples.Dispose())));
        var sequential = Sample(DiffusionSampler.Create("sequential", settings.Window), denoiser, schedule, start, noise, options, settings.Chunk, progress);
        var panels = new List<(string, Tensor)>();
        foreach (string name in settings.Solvers)
        {
            var result = name == "sequential" ? sequential : Sample(DiffusionSampler.Create(name, settings.Window), denoiser, schedule, start, noise, options, settings.Chunk, progress);
            NonFinite.Check(result.Samples, $"the samples of {name}", "sample");
            var entry = Describe(result, name, schedule, sequential);
            quality.Describe(result.Samples, entry);
            report[name] = entry;
            panels.Add((name, result.Samples));
        }
        if (settings.Count > denoiser.Width)
        {
            var (start2, noise2) = DiffusionChain.DrawNoise(schedule, settings.Count, denoiser.Width, settings.Seed + 1, ScalarType.Float32);
            var second = Sample(DiffusionSampler.Create("sequential", settings.Window), denoiser, schedule, start2, noise2, options, settings.Chunk, progress);
            report["sequential_second_seed_frechet_distance"] = quality.Frechet(second.Samples);
        }
        return (report, panels);
    }

    /// <summary>The memory of the run: the most demanding requested sampler's (dense Jacobians for deeppcr-dense, scalars for quasi-Newton, none for Picard and sequential).</summary>
    public static MemoryEstimate Memory(DiffusionSettings settings, int steps, Denoiser denoiser)
    {
        JacobianStructure? structure = settings.Solvers.Contains("deeppcr-dense") ? JacobianStructure.Dense
            : settings.Solvers.Any(s => s.StartsWith("quasi", StringComparison.Ordinal)) ? JacobianStructure.Scalar : null;
        return MemoryEstimates.Diffusion($"sampling with T = {steps}, N = {settings.Count}, chunk {settings.Chunk}", steps, settings.Count, settings.Chunk,
            denoiser.Width, denoiser.HiddenWidth, structure);
    }

    /// <summary>The sampling passes of one run: the sequential reference, every other sampler, and a second sequential seed when N exceeds the feature width.</summary>
    public static int Passes(DiffusionSettings settings, int width) => 1 + settings.Solvers.Count(s => s != "sequential") + (settings.Count > width ? 1 : 0);

    private static SamplingResult Sample(DiffusionSampler sampler, Denoiser denoiser, NoiseSchedule schedule, Tensor start, Tensor noise, SolverOptions options, int chunk, ProgressReporter progress)
    {
        var result = DiffusionSampling.Run(sampler, denoiser, schedule, start, noise, options, chunk);
        progress.Advance($"{sampler.Name}, tolerance {options.AbsoluteTolerance:g}: {result.Milliseconds / 1000:0.00} s, {result.Iterations} iterations, {result.Termination}, fallbacks {result.Fallbacks}");
        return result;
    }

    /// <summary>The JSON object of one sampler.</summary>
    public static JsonObject Describe(SamplingResult result, string name, NoiseSchedule schedule, SamplingResult sequential)
    {
        bool isSequential = name == "sequential", isPicard = name.StartsWith("picard", StringComparison.Ordinal);
        int depth = isSequential ? schedule.Steps
            : isPicard ? result.Iterations
            : result.Iterations * (2 + ParallelCyclicReduction.RoundsFor(schedule.Steps));
        return new JsonObject
        {
            ["method"] = result.Method,
            ["ms"] = result.Milliseconds,
            ["repeats"] = 1,
            ["iterations"] = result.Iterations,
            ["sequential_depth"] = depth,
            ["function_evaluations"] = result.FunctionEvaluations,
            ["jacobian_evaluations"] = result.JacobianEvaluations,
            ["max_abs_diff_vs_sequential"] = (result.Samples - sequential.Samples).abs().max().ToDouble(),
            ["error_estimate"] = isSequential ? null : result.ErrorEstimate,
            ["termination"] = Names.Of(result.Termination),
            ["fallback"] = result.Fallbacks == 0 ? "none" : $"{result.Fallbacks} chunk(s): {result.Method}",
            ["speedup_vs_sequential"] = sequential.Milliseconds / result.Milliseconds,
        };
    }
}
