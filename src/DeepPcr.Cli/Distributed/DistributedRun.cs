using System.Text.Json.Nodes;
using DeepPcr.Chains;
using DeepPcr.Cli.Commands;
using DeepPcr.Cli.Errors;
using DeepPcr.Cli.Files;
using DeepPcr.Distributed;
using DeepPcr.Models.Mlp;
using DeepPcr.SafeTensors;
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
        // The header only: each rank reads its own layers' tensors once MPI has started.
        var modelFile = RunCommand.OpenModel(modelPath, inputPath, outputPath, cotangentPath, headerOnly: true);
        if (RecurrentModelFile.IsRecurrent(modelFile)) return DistributedRecurrentRun.Run(modelFile, inputPath, outputPath, cotangentPath, json);
        // The Jacobians are split over the ranks: the memory check before MPI starts counts the states and parameters only.
        var (x, g) = RunCommand.LoadMlpInputs(modelFile, modelPath, inputPath, cotangentPath, structure: null);
        var (layers, width, _) = MlpModelFile.Check(modelFile);
        return DistributedCommand.Ranks(group => Solve(OwnLayers(modelFile, layers, (int)width, x.dtype, group), x, g, outputPath, json, group));
    });

    /// <summary>The chain as this rank holds it: its own layers read from the model file, none of the others'.</summary>
    private static RankSegment OwnLayers(SafeTensorFile modelFile, int layers, int width, ScalarType dtype, RankGroup group)
    {
        var p = ChainPartition.Of(layers, group);
        var own = p.Count == 0 ? null : MlpModelFile.ReadLayers(modelFile, dtype, p.First, p.Count);
        return new RankSegment(own, layers, width, p.First, JacobianStructure.Dense);
    }

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

    private static int Solve(RankSegment chain, Tensor x, Tensor? g, string outputPath, bool json, RankGroup group)
    {
        var traffic = RankTraffic.Start(group);
        var forward = DistributedSolver.Solve(chain, x, group);
        if (Failed(forward, group) is int code) return code;
        var report = Summary(forward);
        int width = chain.Width, batch = (int)x.size(0), length = chain.Length;
        var p = forward.Partition;
        var last = RankGather.One(group, p.Count > 0 && p.First + p.Count == length ? forward.States[p.Count - 1] : null, new long[] { batch, width }, x.dtype);
        Tensor[]? gradients = null;
        if (g is not null)
        {
            var backward = DistributedSolver.Backward(chain, forward, g, group);
            report["backward_pcr_rounds"] = backward.ExchangeRounds;
            var parameters = backward.ParameterGradients;
            // The solves' traffic; the gradients then go to rank 0 (which alone holds them all, to write them).
            traffic.AddTo(report, group);
            gradients = new[]
            {
                RankGather.One(group, backward.InputGradient, new long[] { batch, width }, x.dtype),
                RankGather.RowsOnRoot(group, parameters.Count > 0 ? parameters[0] : torch.zeros(0, width, width), length, new long[] { width, width }, x.dtype)!,
                RankGather.RowsOnRoot(group, parameters.Count > 0 ? parameters[1] : torch.zeros(0, width), length, new long[] { width }, x.dtype)!,
            };
        }
        else
        {
            traffic.AddTo(report, group);
        }
        if (group.Rank != 0) return 0;
        RunCommand.Write(outputPath, last, gradients);
        if (json) Console.WriteLine(report.ToJsonString());
        else Console.WriteLine($"deeppcr on {group.Size} ranks: {report["termination"]} after {report["iterations"]} iterations of {report["pcr_rounds"]} PCR rounds across ranks; wrote {outputPath}");
        return 0;
    }
}
