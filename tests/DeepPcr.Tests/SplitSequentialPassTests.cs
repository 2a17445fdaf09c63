using DeepPcr.Chains;
using DeepPcr.Linear;
using DeepPcr.Linear.Kernels;
using DeepPcr.Models.Mlp;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// The MLP chain's host sequential pass splits large batches over the host threads (<see cref="MlpChain.SequentialThreadsFor"/>):
/// each thread runs every layer for its share of the samples, so the states are bitwise those of one thread, and they
/// equal the tensor path within 1e-12 (float64) or 1e-5 (float32) absolute.
/// </summary>
[Collection(HostThreadsCollection.Name)]
public class SplitSequentialPassTests
{
    [Theory]
    [InlineData(64, 64, 9, ScalarType.Float64, false)]
    [InlineData(64, 64, 9, ScalarType.Float64, true)]
    [InlineData(300, 32, 16, ScalarType.Float32, false)]
    [InlineData(1000, 32, 3, ScalarType.Float32, true)]
    public void TheSplitPassEqualsOneThreadAndTheTensorPath(int length, int width, int batch, ScalarType dtype, bool frozen)
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(length, width, 1.0, Activation.Tanh, dtype, seed: length);
        if (frozen) chain = chain.Freeze();
        var input = torch.randn(new long[] { batch, width }, dtype: ScalarType.Float64, generator: new Generator(3)).to_type(dtype);
        // The sizes are above the split threshold, so two threads split the batch wherever two cores exist.
        using (HostThreads.Use(2)) Assert.Equal(Math.Min(2, HostTeam.Size), MlpChain.SequentialThreadsFor(length, width, batch));
        using (HostThreads.Use(2)) Assert.Equal(1, MlpChain.SequentialThreadsFor(64, 8, 32));

        double tolerance = dtype == ScalarType.Float32 ? 1e-5 : 1e-12;
        AssertSplitEqualsOneThreadAndTheTensorPath(chain, input, tolerance);
        AssertSplitEqualsOneThreadAndTheTensorPath(new Models.ResNet.ResidualChain(chain.Weights, chain.Biases, 1.0 / length), input, tolerance);
    }

    /// <summary>The pass on 2 threads bitwise equal to the pass on 1, and within <paramref name="tolerance"/> of the tensor path.</summary>
    private static void AssertSplitEqualsOneThreadAndTheTensorPath(IDifferentiableChainStep step, Tensor input, double tolerance)
    {
        Tensor one, split;
        using (HostThreads.Use(1)) one = SequentialPass.Run(step, input);
        using (HostThreads.Use(2)) split = SequentialPass.Run(step, input);
        Assert.Equal(0.0, Recurrences.MaxAbsDiff(one, split));
        Assert.InRange(Recurrences.MaxAbsDiff(split, SequentialPass.Run(new TensorOnlyStep(step), input)), 0.0, tolerance);
    }
}
