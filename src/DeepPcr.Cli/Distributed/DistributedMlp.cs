using System.Diagnostics;
using System.Text.Json.Nodes;
using DeepPcr.Cli.Measuring;
using DeepPcr.Cli.Mlp;
using DeepPcr.Distributed;
using DeepPcr.Linear;
using DeepPcr.Models.Mlp;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Distributed;

/// <summary>
/// `deeppcr mlp --distributed` on one rank: the point's seeded network split across the ranks, DeepPCR's forward and
/// backward passes with <see cref="DistributedSolver"/>, the sequential relay in the point's dtype as the baseline, and
/// the errors against the float64 sequential relay (forward states; input, weight and bias gradients of
/// sum(z_L * g)), pooled over the ranks. The bytes are those the ranks sent during the first forward and backward
/// solve, counted where they were sent. Returns the report on rank 0, null on the others.
/// </summary>
public static class DistributedMlp
{
    /// <summary>How the ranks set threads, for the envelope.</summary>
    public static string Threads(int perRank) => $"each rank: {perRank} host and TorchSharp thread(s) (the cores divided by the ranks on the machine)";

    /// <summary>Runs the point on this rank.</summary>
    public static JsonObject? Run(MlpPoint point, IEnumerable<string> args, RankGroup group)
    {
        using var scope = torch.NewDisposeScope();
        var clock = new RankClock(group);
        var ((chain, input, cotangent), _, _, _) = clock.Time("setup", () =>
        {
            var (c, x) = MlpExperiment.Network(point);
            return (c, x, MlpBackwardBenchmark.Cotangent(point));
        });
        var partition = ChainPartition.Of(point.Layers, group);

        var (forward, _, forwardBytes, forwardRounds) = clock.Time("forward", () => DistributedSolver.Solve(chain, input, group));
        var (backward, _, backwardBytes, backwardRounds) = clock.Time("backward", () => DistributedSolver.Backward(chain, forward, cotangent, group));
        var forwardMs = Repeat(point.Repeats, clock, "forward_repeats", () => DistributedSolver.Solve(chain, input, group));
        var backwardMs = Repeat(point.Repeats, clock, "backward_repeats", () => DistributedSolver.Backward(chain, forward, cotangent, group));
        var relayMs = Repeat(point.Repeats, clock, "sequential_relay", () => SequentialRelay.Forward(chain, input, group));

        var (errors, _, _, _) = clock.Time("float64_reference", () => Errors(chain, input, cotangent, forward, backward, group));
        var peaks = group.Gather(Process.GetCurrentProcess().PeakWorkingSet64);
        if (group.Rank != 0) return null;

        var report = Provenance.Envelope(point.DtypeName, Threads(HostThreads.Limit), args);
        MlpExperiment.AddPoint(report, point);
        report["ranks"] = group.Size;
        report["threads_per_rank"] = HostThreads.Limit;
        report["bytes_exchanged"] = forwardBytes + backwardBytes;
        report["bytes_exchanged_forward"] = forwardBytes;
        report["bytes_exchanged_backward"] = backwardBytes;
        report["jacobian_bytes"] = (long)point.Layers * point.Batch * point.Width * point.Width * (point.Dtype == ScalarType.Float32 ? 4 : 8);
        report["exchange_rounds"] = forwardRounds + backwardRounds;
        report["exchange_rounds_per_solve"] = ChainPartition.RoundsFor(group.Size) + 1;
        report["phase_ms"] = new JsonObject(clock.PhaseMs.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)));
        report["communication_ms"] = new JsonObject(clock.CommunicationMs.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)));
        report["rank_memory"] = RankMemory(point.Layers, group.Size, peaks);
        var forwardReport = DistributedRun.Summary(forward);
        report["forward"] = forwardReport;
        forwardReport.Remove("ranks");
        foreach (var (key, value) in new JsonObject
        {
            ["max_rel_error"] = errors.Forward,
            ["error_estimate"] = forward.ErrorEstimates.Count > 0 ? forward.ErrorEstimates[^1] : null,
            ["deeppcr_ms"] = forwardMs,
            ["sequential_relay_ms"] = relayMs,
            ["speedup_vs_sequential_relay"] = relayMs / forwardMs,
            ["note"] = forward.Converged ? null
                : forward.Fallback != Fallback.None ? $"DeepPCR did not converge ({forward.Alarm}); the states are the sequential relay's"
                : $"DeepPCR did not converge ({Names.Of(forward.Termination)}{(forward.Alarm is null ? "" : ": " + forward.Alarm)})",
        }.ToArray())
        {
            forwardReport[key] = value?.DeepClone();
        }
        report["backward"] = new JsonObject
        {
            ["method"] = "deeppcr",
            ["engine"] = "distributed",
            ["pcr_rounds"] = backward.ExchangeRounds,
            ["fallback"] = backward.Fallback == Fallback.None ? "none" : "sequential",
            ["forward_method"] = "deeppcr",
            ["max_rel_error"] = errors.Backward,
            ["deeppcr_ms"] = backwardMs,
        };
        report["reference"] = "float64 sequential pass and row-by-row adjoint, relayed rank after rank (SequentialRelay)";
        return report;
    }

    /// <summary>The median of <paramref name="repeats"/> timed runs, each the slowest rank's time.</summary>
    private static double Repeat<TResult>(int repeats, RankClock clock, string phase, Func<TResult> body)
    {
        var samples = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            using var scope = torch.NewDisposeScope();
            samples.Add(clock.Time(phase, body).Ms);
        }
        return Timing.Median(samples);
    }

    /// <summary>Forward and backward errors against the float64 relay, pooled over the ranks.</summary>
    private static (double Forward, double Backward) Errors(
        MlpChain chain, Tensor input, Tensor cotangent, DistributedSolution forward, DistributedGradients backward, RankGroup group)
    {
        using var scope = torch.NewDisposeScope();
        var chain64 = chain.To(ScalarType.Float64);
        var (start, states) = SequentialRelay.Forward(chain64, input.to_type(ScalarType.Float64), group);
        var (_, inputGradient, parameters) = SequentialRelay.Backward(chain64, start, states, cotangent.to_type(ScalarType.Float64), group);
        double forwardError = PooledError.Over(group, new[] { (forward.States, states) });
        var pairs = new List<(Tensor, Tensor)>();
        if (inputGradient is not null) pairs.Add((backward.InputGradient!, inputGradient));
        for (int i = 0; i < Math.Min(parameters.Count, backward.ParameterGradients.Count); i++) pairs.Add((backward.ParameterGradients[i], parameters[i]));
        return (forwardError, PooledError.Over(group, pairs));
    }

    private static JsonArray RankMemory(int layers, int ranks, double[] peaks)
    {
        var array = new JsonArray();
        for (int r = 0; r < ranks; r++)
        {
            var p = new ChainPartition(layers, ranks, r);
            array.Add(new JsonObject { ["rank"] = r, ["first_step"] = p.First, ["steps"] = p.Count, ["peak_working_set_bytes"] = (long)peaks[r] });
        }
        return array;
    }
}
