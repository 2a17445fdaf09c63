using DeepPcr.Chains;
using DeepPcr.Cli.Diffusion;
using DeepPcr.Cli.Files;
using DeepPcr.Models.Diffusion;
using DeepPcr.SafeTensors;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>The diffusion experiment's schedule, chain, samplers and files, in float64 where samplers are compared.</summary>
public class DiffusionTests
{
    [Theory]
    [InlineData(1000)]
    [InlineData(20)]
    public void ScheduleMatchesItsClosedForm(int steps)
    {
        var schedule = new NoiseSchedule(steps);
        double product = 1;
        for (int t = 1; t <= steps; t++)
        {
            double beta = 1e-4 + (0.02 - 1e-4) * (t - 1) / (steps - 1);
            product *= 1 - beta;
            Assert.Equal(beta, schedule.Beta[t], 15);
            Assert.Equal(1 - beta, schedule.Alpha[t], 15);
            Assert.Equal(product, schedule.AlphaBar[t], 14);
            Assert.Equal(beta / Math.Sqrt(1 - product), schedule.NoiseWeight(t), 12);
        }
        Assert.Equal(0.0, schedule.Sigma(1));
        Assert.Equal(Math.Sqrt(schedule.Beta[2]), schedule.Sigma(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NoiseSchedule(0));
    }

    [Fact]
    public void DenoiserJacobianEqualsAutograd()
    {
        using var scope = torch.NewDisposeScope();
        var denoiser = new Denoiser(64, 16, seed: 1, ScalarType.Float64);
        var schedule = new NoiseSchedule(20);
        var (start, noise) = DiffusionChain.DrawNoise(schedule, 3, 64, seed: 2, ScalarType.Float64);
        var chain = new DiffusionChain(denoiser, schedule, noise);
        var inputs = torch.randn(new long[] { 5, 3, 64 }, dtype: ScalarType.Float64, generator: new Generator(3));
        var analytic = chain.Jacobian(4, inputs);
        var built = AutogradJacobian.Compute(chain, 4, inputs, JacobianStructure.Dense);
        Assert.InRange(Recurrences.MaxAbsDiff(analytic, built), 0.0, 1e-12);
        var meanDiagonal = chain.MeanDiagonal(4, inputs);
        Assert.InRange(Recurrences.MaxAbsDiff(meanDiagonal, analytic.diagonal(0, -2, -1).mean(new long[] { -1 })), 0.0, 1e-12);
    }

    [Theory]
    [InlineData("deeppcr-dense")]
    [InlineData("quasi-sqrt-alpha")]
    [InlineData("quasi-trace")]
    [InlineData("picard")]
    [InlineData("picard-window")]
    public void EverySamplerReproducesSequentialOnAShortChain(string name)
    {
        using var scope = torch.NewDisposeScope();
        var denoiser = new Denoiser(64, 32, seed: 4, ScalarType.Float64);
        var schedule = new NoiseSchedule(20);
        var (start, noise) = DiffusionChain.DrawNoise(schedule, 6, 64, seed: 5, ScalarType.Float64);
        var options = new SolverOptions(MaxIterations: 20, AbsoluteTolerance: 1e-12, RelativeTolerance: 0);
        var sequential = DiffusionSampling.Run(DiffusionSampler.Create("sequential", 7), denoiser, schedule, start, noise, options, chunk: 4);
        var result = DiffusionSampling.Run(DiffusionSampler.Create(name, 7), denoiser, schedule, start, noise, options, chunk: 4);
        Assert.Equal(0, result.Fallbacks);
        Assert.Equal(Termination.Converged, result.Termination);
        Assert.InRange(Recurrences.MaxAbsDiff(result.Samples, sequential.Samples), 0.0, 1e-9);
        Assert.Equal(20.0, sequential.FunctionEvaluations);
        Assert.True(result.FunctionEvaluations >= 20);
        if (name == "deeppcr-dense") Assert.InRange(result.Iterations, 1, 10);
    }

    [Fact]
    public void FrechetDistanceOfShiftedSetsIsTheSquaredShift()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.randn(new long[] { 400, 4 }, dtype: ScalarType.Float64, generator: new Generator(6));
        Assert.InRange(FrechetDistance.Compute(a, a)!.Value, -1e-8, 1e-8);
        var shift = torch.tensor(new double[] { 1, 2, 0, 0 });
        Assert.Equal(5.0, FrechetDistance.Compute(a, a + shift)!.Value, 6);
        Assert.Null(FrechetDistance.Compute(a.narrow(0, 0, 4), a));
    }

    [Fact]
    public void CommittedCheckpointsLoad()
    {
        var (denoiser, steps) = DiffusionFiles.LoadDenoiser(null);
        Assert.Equal(1000, steps);
        Assert.Equal(64, denoiser.Width);
        Assert.NotNull(DiffusionFiles.LoadClassifier(null));
    }

    [Fact]
    public void MalformedCheckpointsGiveClearErrors()
    {
        string folder = Directory.CreateTempSubdirectory("deeppcr-ddpm").FullName;
        try
        {
            string path = Path.Combine(folder, "m.safetensors");
            var denoiser = new Denoiser(64, 16, seed: 1);
            DiffusionFiles.SaveDenoiser(denoiser, 1000, path);
            Assert.Equal(16, DiffusionFiles.LoadDenoiser(path).Denoiser.HiddenWidth);

            var writer = new SafeTensorWriter();
            writer.Add("input.weight", new float[4], new long[] { 2, 2 });
            writer.Metadata["model"] = "deeppcr-ddpm";
            writer.Metadata["width"] = "64";
            writer.Metadata["hidden"] = "16";
            writer.Metadata["steps"] = "1000";
            writer.Save(path);
            Assert.Contains("input.weight", Assert.Throws<InvalidDataException>(() => DiffusionFiles.LoadDenoiser(path)).Message);

            writer.Metadata["model"] = "something-else";
            writer.Save(path);
            Assert.Contains("not a DeepPcr DDPM checkpoint", Assert.Throws<InvalidDataException>(() => DiffusionFiles.LoadDenoiser(path)).Message);

            File.WriteAllBytes(path, new byte[] { 1, 2, 3 });
            Assert.ThrowsAny<IOException>(() => DiffusionFiles.LoadDenoiser(path));
            Assert.Throws<FileNotFoundException>(() => DiffusionFiles.LoadDenoiser(Path.Combine(folder, "absent.safetensors")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
