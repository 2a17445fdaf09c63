using System.Text.Json.Nodes;
using DeepPcr.Cli.Measuring;
using DeepPcr.Linear;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Kernels;

/// <summary>
/// GFLOP/s of PCR on the host kernel and on TorchSharp operations, per block structure: one round (the first,
/// s = 1, the largest: L - 1 block-vector and L - 2 block products per sample; buffers made before timing, the
/// host round allocating nothing) and a whole solve (all ceil(log2 L) rounds), from the exact flop count of the reduction.
/// </summary>
public static class PcrThroughput
{
    /// <summary>
    /// Rounds run back to back per timed call (the time reported is per round): a solve runs its rounds back to
    /// back, and a single round of 0.1 ms would otherwise mostly time the thread pool waking up.
    /// </summary>
    public const int RoundsPerCall = 100;

    /// <summary>One measurement row.</summary>
    public static JsonObject Measure(string structureName, int length, int batch, int width, int repeats)
    {
        using var scope = torch.NewDisposeScope();
        var structure = StructureNamed(structureName);
        var shape = new long[] { length, batch }.Concat(structure.BlockShape(width)).ToArray();
        var generator = new Generator(1);
        var a = torch.randn(shape, generator: generator) * (0.9 / Math.Sqrt(structureName == "dense" ? width : 1));
        var recurrence = new LinearRecurrence(structure, a, torch.randn(new long[] { length, batch, width }, generator: generator), torch.randn(new long[] { batch, width }, generator: generator));

        // One round: the blocks of rows 1..L-1, a copy of c, and the host round's output buffers.
        var roundA = a.narrow(0, 1, length - 1).contiguous();
        var roundC = recurrence.C.clone();
        var aNext = torch.empty_like(roundA);
        var scratch = torch.empty_like(roundC);
        var cases = new List<BenchCase>();
        foreach (int threads in new[] { 1, 2 })
        {
            cases.Add(new($"torch_round_{threads}t", () =>
            {
                for (int i = 0; i < RoundsPerCall; i++)
                {
                    using var s = torch.NewDisposeScope();
                    PcrRound.RunWithTorchOps(structure, 1, roundA, roundC);
                }
            }, threads));
            cases.Add(new($"torch_solve_{threads}t", () => { using var s = torch.NewDisposeScope(); ParallelCyclicReduction.SolveWithTorchOps(recurrence); }, threads));
        }
        cases.Add(new("host_round", () =>
        {
            // The host round updates c in place: restore it first so that repeated rounds do not let it grow
            // without bound (a copy of about 1/200 of the calls' time).
            roundC.copy_(recurrence.C);
            for (int i = 0; i < RoundsPerCall; i++) PcrRound.RunOnHost(structure, 1, roundA, roundC, aNext, scratch);
        }));
        // The tiled kernel (AVX-512, dense blocks): ping-pong buffers in the tiled layout, made before timing.
        bool tiled = PcrRound.TiledSupported && structureName == "dense";
        if (tiled)
        {
            var tiledA = PcrRound.ToTiledLayout(a);
            var tiledC = PcrRound.ToTiledLayout(recurrence.C);
            var tiledANext = torch.zeros_like(tiledA);
            var tiledCNext = torch.zeros_like(tiledC);
            cases.Add(new("tiled_round", () =>
            {
                PcrRound.RunTiledOnHost(1, length, batch, width, tiledA, tiledANext, tiledC, tiledCNext, times: RoundsPerCall);
            }));
        }
        cases.Add(new("host_solve", () => { using var s = torch.NewDisposeScope(); ParallelCyclicReduction.SolveOnHost(recurrence); }));
        var timings = Harness.Measure(cases, warmup: 2, repeats: repeats);
        double roundFlops = PcrRound.Flops(structure, 1, length, batch, width), solveFlops = Flops(length, batch, width, structureName);
        double hostRound = timings.Single(t => t.Label == "host_round").MedianMs / RoundsPerCall;
        double torchRound = Harness.Best(timings, "torch_round_1t", "torch_round_2t").MedianMs / RoundsPerCall;
        double? tiledRound = tiled ? timings.Single(t => t.Label == "tiled_round").MedianMs / RoundsPerCall : null;
        double hostSolve = timings.Single(t => t.Label == "host_solve").MedianMs, torchSolve = Harness.Best(timings, "torch_solve_1t", "torch_solve_2t").MedianMs;
        return new JsonObject
        {
            ["structure"] = structureName,
            ["layers"] = length,
            ["batch"] = batch,
            ["width"] = width,
            ["pcr_rounds"] = ParallelCyclicReduction.RoundsFor(length),
            ["round_flops"] = roundFlops,
            ["host_round_ms"] = hostRound,
            ["torch_round_ms"] = torchRound,
            ["host_round_gflops"] = roundFlops / hostRound / 1e6,
            ["torch_round_gflops"] = roundFlops / torchRound / 1e6,
            ["round_speedup_vs_torch_ops"] = torchRound / hostRound,
            ["tiled_round_ms"] = tiledRound,
            ["tiled_round_gflops"] = roundFlops / tiledRound / 1e6,
            ["tiled_round_speedup_vs_torch_ops"] = torchRound / tiledRound,
            ["flops"] = solveFlops,
            ["host_kernel_ms"] = hostSolve,
            ["torch_ops_ms"] = torchSolve,
            ["host_kernel_gflops"] = solveFlops / hostSolve / 1e6,
            ["torch_ops_gflops"] = solveFlops / torchSolve / 1e6,
            ["speedup_vs_torch_ops"] = torchSolve / hostSolve,
        };
    }

    private static int BlockSize(BlockStructure structure, int width) => (int)structure.BlockShape(width).Aggregate(1L, (x, y) => x * y);

    /// <summary>The flops of a whole PCR solve: folding z_0 into row 1, then every round.</summary>
    public static double Flops(int length, int batch, int width, string structure)
    {
        var blocks = StructureNamed(structure);
        double total = batch * PcrRound.FlopsPerBlock(blocks, width).Apply;
        for (int s = 1; s < length; s *= 2) total += PcrRound.Flops(blocks, s, length, batch, width);
        return total;
    }

    private static BlockStructure StructureNamed(string name) => name switch
    {
        "dense" => BlockStructure.Dense,
        "diagonal" => BlockStructure.Diagonal,
        "scalar" => BlockStructure.Scalar,
        _ => throw new ArgumentException($"Unknown block structure '{name}'; expected dense, diagonal or scalar."),
    };
}
