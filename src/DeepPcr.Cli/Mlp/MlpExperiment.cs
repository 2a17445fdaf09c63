using DeepPcr.Cli.Progress;
using System.Text.Json.Nodes;
using DeepPcr.Cli.Measuring;
using DeepPcr.Models.Mlp;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Mlp;

/// <summary>One point of the deep-MLP experiment: builds the seeded network and input, runs the passes, returns the report.</summary>
public static class MlpExperiment
{
    /// <summary>The report: the envelope, `layers`, `width`, `batch`, the network's settings, `forward` and `backward`
    /// (with the PyTorch peer's columns, <see cref="PyTorchPeer"/>).</summary>
    public static JsonObject Run(MlpPoint point, IEnumerable<string> args, ProgressReporter? progress = null)
    {
        var report = Provenance.Envelope(point.DtypeName, Threads, args);
        foreach (var (key, value) in RunPoint(point, progress)) report[key] = value?.DeepClone();
        PyTorchPeer.Attach(report, PyTorchPeer.Measure([point]));
        return report;
    }

    /// <summary>How the experiment sets threads, for the envelope.</summary>
    public const string Threads = "every threaded column timed on 1 thread and on every core, the count bounding TorchSharp and the host kernels alike; the best is reported with <label>_threads; fused_sequential_1t_ms and the C reference: 1 thread";

    /// <summary>What the report's `parameters` says.</summary>
    public const string Parameters = "frozen: every column reads the weights as copied once before timing (MlpChain.Freeze; the fused loops keep their own copies)";

    /// <summary>The point's seeded network (seed) and input (B, w) (seed + 1), in the point's dtype.</summary>
    public static (MlpChain Chain, Tensor Input) Network(MlpPoint point)
    {
        var chain = MlpChain.Random(point.Layers, point.Width, point.Gain, point.Activation, point.Dtype, point.Seed);
        var input = torch.randn(new long[] { point.Batch, point.Width }, dtype: ScalarType.Float64, generator: new Generator((ulong)point.Seed + 1))
            .to_type(point.Dtype);
        return (chain, input);
    }

    /// <summary>The point's fields of a report: `layers`, `width`, `batch`, `activation`, `gain`, `seed`, `repeats`.</summary>
    public static void AddPoint(JsonObject report, MlpPoint point)
    {
        report["layers"] = point.Layers;
        report["width"] = point.Width;
        report["batch"] = point.Batch;
        report["activation"] = point.Activation.Name();
        report["gain"] = point.Gain;
        report["seed"] = point.Seed;
        report["repeats"] = point.Repeats;
    }

    /// <summary>One point without the envelope: `layers`, `width`, `batch`, settings, `forward` and `backward`.</summary>
    /// <param name="point">The point.</param>
    /// <param name="progress">Advanced once after the forward and once after the backward benchmark, or null.</param>
    public static JsonObject RunPoint(MlpPoint point, ProgressReporter? progress = null)
    {
        point.Validate();
        using var scope = torch.NewDisposeScope();
        var (network, input) = Network(point);
        // Frozen, as the fused baseline copies its weights: the sequential passes of auto and DeepPCR read a transposed
        // copy too instead of transposing each layer's W per call (the network never changes during the benchmark).
        var chain = network.Freeze();

        var report = new JsonObject();
        AddPoint(report, point);
        report["parameters"] = Parameters;
        report["warmup"] = Warmup.Harness;
        if (progress is not null) progress.Total = 2;
        report["forward"] = MlpForwardBenchmark.Run(point, chain, input);
        progress?.Advance("forward pass timed");
        report["backward"] = MlpBackwardBenchmark.Run(point, chain, input);
        progress?.Advance("backward pass timed");
        return report;
    }
}
