using System.Text.Json.Nodes;
using DeepPcr.Cli.Commands;
using DeepPcr.Distributed;
using DeepPcr.SafeTensors;

namespace DeepPcr.Mpi.Tests;

/// <summary>`deeppcr mlp --distributed` and `deeppcr run --distributed` under mpirun, and the errors without mpirun or libmpi.</summary>
public sealed class CommandTests
{
    [SkippableFact]
    public void MlpDistributedReportsRanksErrorsAndBytes()
    {
        Skip.If(MpiJob.Mpirun is null, MpiJob.NoMpirun);
        var job = MpiJob.Launch(3, "DeepPcr.Cli.dll",
            "mlp --layers 400 --width 8 --batch 2 --dtype float64 --repeats 1 --distributed --json".Split(' '), TimeSpan.FromMinutes(8));
        Assert.False(job.TimedOut, job.Error);
        Assert.True(job.ExitCode == 0, $"exit {job.ExitCode}: {job.Error}");
        var lines = job.JsonLines.ToList();
        Assert.Single(lines); // only rank 0 writes stdout
        var r = JsonNode.Parse(lines[0])!;
        Assert.Equal(3, r["ranks"]!.GetValue<int>());
        Assert.Equal("converged", r["forward"]!["termination"]!.GetValue<string>());
        Assert.True(r["forward"]!["max_rel_error"]!.GetValue<double>() <= 1e-10, lines[0]);
        Assert.True(r["backward"]!["max_rel_error"]!.GetValue<double>() <= 1e-10, lines[0]);
        // The forward pass: one PCR solve per accepted iterate; the backward: one.
        long perSolve = ExchangeModel.BytesPerSolve(3, 2, 8, 8);
        Assert.Equal((r["forward"]!["iterations"]!.GetValue<int>() + 1) * perSolve, r["bytes_exchanged_forward"]!.GetValue<long>());
        Assert.Equal(perSolve, r["bytes_exchanged_backward"]!.GetValue<long>());
        Assert.True(r["bytes_exchanged"]!.GetValue<long>() * 10 < r["jacobian_bytes"]!.GetValue<long>(), lines[0]);
        Assert.Equal(3, r["rank_memory"]!.AsArray().Count);
        Assert.All(r["rank_memory"]!.AsArray(), m => Assert.True(m!["peak_working_set_bytes"]!.GetValue<long>() > 0));
    }

    [SkippableFact]
    public void RunDistributedWritesTheSingleProcessFile()
    {
        Skip.If(MpiJob.Mpirun is null, MpiJob.NoMpirun);
        InFolder(F =>
        {
            var common = SingleProcessRun(F, "-L 13 -w 3", cotangent: true);
            Assert.Equal(4, LaunchRun(4, $"{common} --output {F("split.safetensors")}")["ranks"]!.GetValue<int>());
            Assert.Equal(1 + 1 + 2 * 13, SafeTensorFile.Read(F("single.safetensors")).Tensors.Count);
            AssertSameTensors(F("single.safetensors"), F("split.safetensors"), 1e-10);
        });
    }

    /// <summary>
    /// Recurrent model files: `run --distributed` writes the single-process `run` file (output, h_n, c_n, and with a
    /// cotangent grad.input, grad.h0, grad.c0 and every parameter's gradient) to 1e-10 in float64, for each cell, on
    /// 1 to 4 ranks: stacked and bidirectional layers, with and without bias and initial states, T not divisible by P
    /// and P &gt; T.
    /// </summary>
    [SkippableTheory]
    [InlineData(1, "--cell gru --hidden 3 --input-size 2 -T 5", false)]
    [InlineData(2, "--cell lstm --hidden 3 --input-size 2 -T 7 --num-layers 2 --bidirectional --initial-state", true)]
    [InlineData(3, "--cell gru-diag --hidden 4 --input-size 3 -T 8 --bidirectional --no-bias", true)]
    [InlineData(4, "--cell lstm-cifg-diag --hidden 4 --input-size 3 -T 3 --num-layers 2 --initial-state", true)]
    public void RunDistributedOnRecurrentFilesWritesTheSingleProcessFile(int ranks, string model, bool cotangent)
    {
        Skip.If(MpiJob.Mpirun is null, MpiJob.NoMpirun);
        InFolder(F =>
        {
            var common = SingleProcessRun(F, model, cotangent);
            var r = LaunchRun(ranks, $"{common} --output {F("split.safetensors")}");
            Assert.Equal(ranks, r["ranks"]!.GetValue<int>());
            Assert.Equal("converged", r["termination"]!.GetValue<string>());
            Assert.Equal("none", r["fallback"]!.GetValue<string>());
            Assert.Equal(ChainPartition.RoundsFor(ranks), r["pcr_rounds"]!.GetValue<int>());
            Assert.Equal(ranks > 1, r["bytes_exchanged"]!.GetValue<long>() > 0);
            Assert.Equal(ranks > 1, r["bytes_all_reduced"]!.GetValue<long>() > 0);
            var names = SafeTensorFile.Read(F("single.safetensors")).Tensors.Select(t => t.Name).ToList();
            Assert.Contains("h_n", names);
            Assert.Equal(cotangent, names.Contains("grad.weight_hh_l0"));
            AssertSameTensors(F("single.safetensors"), F("split.safetensors"), 1e-10);
        });
    }

    /// <summary>
    /// An expansive chain (tanh, gain 30: DeepPCR's first Newton step overflows): `run --distributed` does not fail
    /// but falls back to the chain solved rank after rank, every rank alike, and says so in its JSON; the output equals
    /// the single-process sequential pass's to 1e-10 and the gradients (PCR across ranks, on a badly conditioned chain)
    /// the sequential autograd gradients to 1e-8, pooled over all gradients.
    /// </summary>
    [SkippableFact]
    public void RunDistributedFallsBackWhenDeepPcrDiverges()
    {
        Skip.If(MpiJob.Mpirun is null, MpiJob.NoMpirun);
        InFolder(F =>
        {
            var common = SingleProcessRun(F, "-L 300 -w 4 --gain 30", cotangent: true, solver: "sequential");
            var r = LaunchRun(3, $"{common} --output {F("split.safetensors")}");
            Assert.Equal("sequential", r["fallback"]!.GetValue<string>());
            Assert.Equal("fell_back", r["termination"]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(r["fallback_reason"]!.GetValue<string>()));
            AssertSameTensors(F("single.safetensors"), F("split.safetensors"), 1e-10, name => name == "output");
            AssertSameTensors(F("single.safetensors"), F("split.safetensors"), 1e-8, name => name.StartsWith("grad."), pooled: true);
        });
    }

    /// <summary>
    /// Each rank reads only its own layers: a NaN in layer 12 of 13 (held by rank 2 of 3) passes the header checks
    /// before MPI starts, then fails rank 2 alone when it reads its layers, which aborts the job with exit code 2
    /// (bad input) and a message naming rank 2 and the tensor.
    /// </summary>
    [SkippableFact]
    public void OnlyTheRankThatHoldsABadLayerReadsIt()
    {
        Skip.If(MpiJob.Mpirun is null, MpiJob.NoMpirun);
        InFolder(F =>
        {
            var common = SingleProcessRun(F, "-L 13 -w 3", cotangent: false);
            var model = SafeTensorFile.Read(F("model.safetensors"));
            var writer = new SafeTensorWriter();
            foreach (var (key, value) in model.Metadata) writer.Metadata[key] = value;
            foreach (var t in model.Tensors)
            {
                var values = model.ReadFloat64(t.Name);
                if (t.Name == "layers.12.bias") values[1] = double.NaN;
                writer.Add(t.Name, values, t.Shape);
            }
            writer.Save(F("model.safetensors"));
            var job = MpiJob.Launch(3, "DeepPcr.Cli.dll", $"run {common} --output {F("split.safetensors")} --distributed".Split(' '), TimeSpan.FromMinutes(4));
            Assert.False(job.TimedOut, job.Error);
            Assert.Equal(2, job.ExitCode);
            Assert.Contains("rank 2 of 3 failed", job.Error);
            Assert.Contains("'layers.12.bias' holds non-finite values", job.Error);
            Assert.DoesNotContain("rank 0 of 3 failed", job.Error);
            Assert.DoesNotContain("rank 1 of 3 failed", job.Error);
            Assert.False(File.Exists(F("split.safetensors")));
        });
    }

    /// <summary>
    /// `make-model MODEL -B 2 --dtype float64` into the folder, then `run` on it in this process (with the cotangent
    /// file, and the solver, where given) writing single.safetensors; returns run's --model, --input (and --cotangent) arguments.
    /// </summary>
    private static string SingleProcessRun(Func<string, string> file, string model, bool cotangent, string solver = "deeppcr")
    {
        Assert.Equal(0, DeepPcr.Cli.Program.Main($"make-model {model} -B 2 --dtype float64 --out {file("")}".Split(' ')));
        var common = $"--model {file("model.safetensors")} --input {file("input.safetensors")}" + (cotangent ? $" --cotangent {file("cotangent.safetensors")}" : "");
        Assert.Equal(0, DeepPcr.Cli.Program.Main($"run {common} --solver {solver} --output {file("single.safetensors")}".Split(' ')));
        return common;
    }

    /// <summary>`mpirun -np P deeppcr run ARGS --distributed --json`, which must exit 0 with one JSON line (rank 0's).</summary>
    private static JsonNode LaunchRun(int ranks, string args)
    {
        var job = MpiJob.Launch(ranks, "DeepPcr.Cli.dll", $"run {args} --distributed --json".Split(' '), TimeSpan.FromMinutes(4));
        Assert.False(job.TimedOut, job.Error);
        Assert.True(job.ExitCode == 0, $"exit {job.ExitCode}: {job.Error}");
        return JsonNode.Parse(job.JsonLines.Single())!;
    }

    /// <summary>Runs <paramref name="body"/> with a new temporary folder (given as a function from file name to path), then deletes it.</summary>
    private static void InFolder(Action<Func<string, string>> body)
    {
        var folder = Directory.CreateTempSubdirectory("deeppcr-mpi-").FullName;
        try
        {
            body(name => Path.Combine(folder, name));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// The two files hold the same tensor names and every selected tensor agrees: max |a - b| / max |a| at most
    /// <paramref name="tolerance"/>, per tensor, or with <paramref name="pooled"/> over all selected tensors together.
    /// </summary>
    private static void AssertSameTensors(string expectedPath, string actualPath, double tolerance, Func<string, bool>? select = null, bool pooled = false)
    {
        var expected = SafeTensorFile.Read(expectedPath);
        var actual = SafeTensorFile.Read(actualPath);
        Assert.Equal(expected.Tensors.Select(t => t.Name).Order(), actual.Tensors.Select(t => t.Name).Order());
        double worst = 0, scale = 1e-300;
        int compared = 0;
        foreach (var t in expected.Tensors.Where(t => select?.Invoke(t.Name) ?? true))
        {
            var a = expected.ReadFloat64(t.Name);
            var b = actual.ReadFloat64(t.Name);
            Assert.Equal(a.Length, b.Length);
            double difference = a.Zip(b).Max(p => Math.Abs(p.First - p.Second)), size = Math.Max(a.Max(Math.Abs), 1e-300);
            compared++;
            if (pooled) (worst, scale) = (Math.Max(worst, difference), Math.Max(scale, size));
            else Assert.True(difference / size <= tolerance, $"{t.Name}: {difference / size:E2} > {tolerance:E0}");
        }
        Assert.True(compared > 0);
        if (pooled) Assert.True(worst / scale <= tolerance, $"{worst / scale:E2} > {tolerance:E0}");
    }

    [Fact]
    public void DistributedWithoutMpirunIsAUsageError()
    {
        var job = MpiJob.Alone("DeepPcr.Cli.dll", "mlp --layers 8 --distributed".Split(' '), new Dictionary<string, string>(), TimeSpan.FromMinutes(4));
        Assert.Equal(2, job.ExitCode);
        Assert.Contains("not started by mpirun", job.Error);
        Assert.Contains("mpirun -np 4 deeppcr", job.Error);
    }

    [Fact]
    public void DistributedWithoutLibmpiSaysSo()
    {
        var environment = new Dictionary<string, string> { ["OMPI_COMM_WORLD_SIZE"] = "1", ["DEEPPCR_LIBMPI"] = "/nonexistent/libmpi.so.40" };
        var job = MpiJob.Alone("DeepPcr.Cli.dll", "mlp --layers 8 --distributed".Split(' '), environment, TimeSpan.FromMinutes(4));
        Assert.Equal(2, job.ExitCode);
        Assert.Contains("no libmpi could be loaded", job.Error);
        Assert.Contains("apt-get install openmpi-bin libopenmpi-dev", job.Error);
    }
}
