using System.Text.Json.Nodes;
using DeepPcr.Distributed;

namespace DeepPcr.Mpi.Tests;

/// <summary>
/// `mpirun -np P` on this machine, P = 1..4: every case (MLP and residual chains, recurrent cells with dense, diagonal
/// and 2 x 2 block-of-diagonals Jacobians (each rank's share of weight_hh's and bias_hh's gradients, summed over the
/// ranks, and its rows of the step-input gradients are compared too); L not divisible by P, and P &gt; L)
/// solved split across the ranks agrees with the single-process solve, forward, backward by PCR across ranks and
/// backward rank after rank, and the bytes the ranks counted are exactly those of the exchange model. An expansive
/// chain (tanh, gain 4) under an iteration limit of 2 cannot converge: every rank falls back to the sequential relay
/// alike, reports it, and the states and gradients equal the single-process sequential pass's. All cases of one P run
/// in one launch (each launch costs seconds).
/// </summary>
public sealed class DistributedAgreementTests
{
    private static readonly string[] Cases =
    {
        "mlp:7:3:2", "mlp:2:3:2", "mlp:5:1:3", "mlp:1:1:1", "residual:11:8:3", "residual:3:3:1", "mlp:1000:8:2", "mlp:5:3:2:float32",
        "gru:9:3:2", "gru-diag:10:4:2", "lstm-cifg-diag:7:3:2", "expansive:40:4:2",
    };

    [SkippableTheory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void SplitSolvesAgreeWithTheSingleProcessSolve(int ranks)
    {
        Skip.If(MpiJob.Mpirun is null, MpiJob.NoMpirun);
        var job = MpiJob.Launch(ranks, "DeepPcr.MpiCheck.dll", Cases, TimeSpan.FromMinutes(8));
        Assert.False(job.TimedOut, $"mpirun -np {ranks} did not finish in 8 minutes: {job.Error}");
        Assert.True(job.ExitCode == 0, $"exit {job.ExitCode}: {job.Error}");
        var reports = job.JsonLines.Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(Cases.Length, reports.Count);
        foreach (var r in reports)
        {
            string name = $"{r["case"]} on {ranks} ranks";
            bool single = r["case"]!.GetValue<string>().EndsWith("float32");
            double tolerance = single ? 1e-5 : 1e-10; // float32: a few eps of float32 over short chains; float64: the issue's 1e-10
            Assert.True(r["fallbacks_agree"]!.GetValue<bool>(), name);
            Assert.Equal("none", r["single_fallback"]!.GetValue<string>());
            Assert.Equal("None", r["backward_fallback"]!.GetValue<string>());
            if (r["case"]!.GetValue<string>().StartsWith("expansive"))
            {
                // Compared with the sequential pass in one process (the forward_error below); the limit of 2 was reached.
                Assert.False(r["converged"]!.GetValue<bool>(), name);
                Assert.Equal("sequential", r["fallback"]!.GetValue<string>());
                Assert.Equal("no convergence within 2 iterations", r["fallback_reason"]!.GetValue<string>());
                Assert.Equal(2, r["iterations"]!.GetValue<int>());
            }
            else
            {
                Assert.True(r["converged"]!.GetValue<bool>(), name);
                Assert.Equal("none", r["fallback"]!.GetValue<string>());
                Assert.Equal(r["single_iterations"]!.GetValue<int>(), r["iterations"]!.GetValue<int>());
            }
            Assert.Equal(ranks, r["ranks"]!.GetValue<int>());
            Assert.Equal(ChainPartition.RoundsFor(ranks), r["exchange_rounds"]!.GetValue<int>());
            foreach (var key in new[] { "forward_error", "backward_error", "sequential_backward_error" })
            {
                double error = r[key]!.GetValue<double>();
                Assert.True(error <= tolerance, $"{name}: {key} = {error:E2} > {tolerance:E0}");
            }
            AssertBytesAsModelled(r, ranks);
        }
    }

    /// <summary>
    /// The forward solve runs one linear solve per accepted iterate (iterations + 1), the backward one PCR solve and
    /// one rank-after-rank solve: the bytes counted where sent must be exactly the model's.
    /// </summary>
    private static void AssertBytesAsModelled(JsonNode r, int ranks)
    {
        var parts = r["case"]!.GetValue<string>().Split(':');
        int width = int.Parse(parts[2]), batch = int.Parse(parts[3]), size = parts[4] == "float32" ? 4 : 8;
        if (parts[0] is not ("mlp" or "residual")) return; // the recurrent cells' blocks and widths differ from (w, w)
        long perSolve = ExchangeModel.BytesPerSolve(ranks, batch, width, size);
        long relay = ExchangeModel.BytesInOrder(ranks, batch, width, size);
        long expected = (r["iterations"]!.GetValue<int>() + 2) * perSolve + relay;
        Assert.Equal(expected, r["bytes_exchanged"]!.GetValue<long>());
    }
}
