using System.Text.Json.Nodes;
using DeepPcr.Cli.Commands;
using DeepPcr.Cli.Errors;
using DeepPcr.Cli.Files;
using DeepPcr.Distributed;
using DeepPcr.Models.Mlp;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Distributed;

/// <summary>
/// `deeppcr run --distributed`: every rank reads the model, input and cotangent files and checks them before MPI
/// starts; the forward (and with a cotangent the backward) pass runs split across the ranks; rank 0 gathers the last
/// state and the gradients and writes the same output file as the single-process run, and prints the summary.
/// Recurrent model files run layer after layer, each chain split along time (<see cref="DistributedRecurrentRun"/>).
/// A solve that does not converge falls back to the chain solved rank after rank (<see cref="SequentialRelay"/>), which
/// the summary's `fallback` and `termination` report; states or gradients that are not finite end every rank with code 3.
/// </summary>
public static class DistributedRun
{
    /// <summary>Runs the command on this rank; returns its exit code.</summary>
    public static int Run(string modelPath, string inputPath, string outputPath, string? cotangentPath, bool json) => CommandRunner.Run(() =>
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var modelFile = RunCommand.OpenModel(modelPath, inputPath, outputPath, cotangentPath);
        if (RecurrentModelFile.IsRecurrent(modelFile)) return DistributedRecurrentRun.Run(modelFile, inputPath, outputPath, cotangentPath, json);
        // The Jacobians are split over the ranks: the memory check before MPI starts counts the states and parameters only.
        var (chain, x, g) = RunCommand.LoadMlp(modelFile, modelPath, inputPath, cotangentPath, structure: null);
        return DistributedCommand.Ranks(group => Solve(chain, x, g, outputPath, json, group));
    });

    /// <summary>The forward solve's record as `run --json` gives it: method, engine, iterations, pcr_rounds (across ranks),
    /// termination, fallback (and why, fallback_reason, where it fell back), ranks.</summary>
    public static JsonObject Summary(DistributedSolution forward)
    {
        var report = new JsonObject
        {
            ["method"] = forward.Fallback == Fallback.None ? "deeppcr" : "sequential",
            ["engine"] = "distributed",
            ["iterations"] = forward.Iterations,
            ["pcr_rounds"] = forward.ExchangeRounds,
            ["termination"] = Names.Of(forward.Termination),
            ["fallback"] = forward.Fallback.Name(),
            ["ranks"] = forward.Partition.Ranks,
        };
        if (forward.Fallback != Fallback.None) report["fallback_reason"] = forward.Alarm;
        return report;
    }

    /// <summary>Exit code 3 on every rank (rank 0 says why) unless the forward solve produced the chain's states, all finite.</summary>
    public static int? Failed(DistributedSolution forward, RankGroup group)
    {
        bool finite = group.All(forward.States.isfinite().all().ToBoolean());
        if (forward.Solved && finite) return null;
        if (group.Rank == 0)
        {
            string why = forward.Solved ? "the states are not finite" : $"{Names.Of(forward.Termination)}{(forward.Alarm is null ? "" : ": " + forward.Alarm)}";
            Console.Error.WriteLine($"error: the distributed solve did not converge ({why}).");
        }
        return ExitCodes.NumericalFailure;
    }

    private static int Solve(MlpChain chain, Tensor x, Tensor? g, string outputPath, bool json, RankGroup group)
    {
        var traffic = RankTraffic.Start(group);
        var forward = DistributedSolver.Solve(chain, x, group);
        if (Failed(forward, group) is int code) return code;
        var report = Summary(forward);
        int width = chain.Width, batch = (int)x.shape[0], length = chain.Length;
        var p = forward.Partition;
        var last = RankGather.One(group, p.Count > 0 && p.First + p.Count == length ? forward.States[p.Count - 1] : null, new long[] { batch, width }, x.dtype);
        Tensor[]? gradients = null;
        if (g is not null)
        {
            var backward = DistributedSolver.Backward(chain, forward, g, group);
            report["backward_pcr_rounds"] = backward.ExchangeRounds;
            var parameters = backward.ParameterGradients;
            gradients = new[]
            {
                RankGather.One(group, backward.InputGradient, new long[] { batch, width }, x.dtype),
                RankGather.Rows(group, parameters.Count > 0 ? parameters[0] : torch.zeros(0, width, width), p.First, length, new long[] { width, width }, x.dtype),
                RankGather.Rows(group, parameters.Count > 0 ? parameters[1] : torch.zeros(0, width), p.First, length, new long[] { width }, x.dtype),
            };
        }
        traffic.AddTo(report, group);
        if (group.Rank != 0) return 0;
        RunCommand.Write(outputPath, last, gradients);
        if (json) Console.WriteLine(report.ToJsonString());
        else Console.WriteLine($"deeppcr on {group.Size} ranks: {report["termination"]} after {report["iterations"]} iterations of {report["pcr_rounds"]} PCR rounds across ranks; wrote {outputPath}");
        return 0;
    }
}
