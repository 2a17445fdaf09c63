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
        var folder = Directory.CreateTempSubdirectory("deeppcr-mpi-").FullName;
        try
        {
            string F(string name) => Path.Combine(folder, name);
            Assert.Equal(0, DeepPcr.Cli.Program.Main($"make-model -L 13 -w 3 -B 2 --dtype float64 --out {folder}".Split(' ')));
            var common = $"--model {F("model.safetensors")} --input {F("input.safetensors")} --cotangent {F("cotangent.safetensors")}";
            Assert.Equal(0, DeepPcr.Cli.Program.Main($"run {common} --output {F("single.safetensors")}".Split(' ')));
            var job = MpiJob.Launch(4, "DeepPcr.Cli.dll", $"run {common} --output {F("split.safetensors")} --distributed --json".Split(' '), TimeSpan.FromMinutes(6));
            Assert.False(job.TimedOut, job.Error);
            Assert.True(job.ExitCode == 0, $"exit {job.ExitCode}: {job.Error}");
            Assert.Equal(4, JsonNode.Parse(job.JsonLines.Single())!["ranks"]!.GetValue<int>());
            var single = SafeTensorFile.Read(F("single.safetensors"));
            var split = SafeTensorFile.Read(F("split.safetensors"));
            Assert.Equal(single.Tensors.Select(t => t.Name).Order(), split.Tensors.Select(t => t.Name).Order());
            Assert.Equal(1 + 1 + 2 * 13, single.Tensors.Count);
            foreach (var t in single.Tensors)
            {
                var a = single.ReadFloat64(t.Name);
                var b = split.ReadFloat64(t.Name);
                double scale = Math.Max(a.Max(Math.Abs), 1e-300);
                Assert.True(a.Zip(b).Max(p => Math.Abs(p.First - p.Second)) / scale <= 1e-10, t.Name);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
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
