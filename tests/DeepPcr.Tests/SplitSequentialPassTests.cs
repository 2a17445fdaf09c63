using DeepPcr.Linear;
using DeepPcr.Models.Mlp;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// The MLP chain's host sequential pass splits large batches over the host threads (the fused loop's rule): on 2
/// threads it gives the 1-thread states bit for bit (each sample's arithmetic is the same), frozen or not, float32 and
/// float64, on batches that split evenly and not.
/// </summary>
[Collection(HostThreadsCollection.Name)]
public class SplitSequentialPassTests
{
    [Theory]
    [InlineData(1000, 8, 9, ScalarType.Float64, false)]
    [InlineData(1000, 8, 16, ScalarType.Float32, true)]
    [InlineData(300, 16, 3, ScalarType.Float32, false)]
    public void TwoThreadsGiveTheOneThreadStatesBitForBit(int length, int width, int batch, ScalarType dtype, bool frozen)
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(length, width, 0.9, Activation.Tanh, dtype, seed: 11);
        if (frozen) chain = chain.Freeze();
        var input = torch.randn(new long[] { batch, width }, generator: new Generator(12)).to_type(dtype);
        Assert.True(FusedMlpLoop<float>.ThreadsFor(length, width, batch) > 1 || HostThreads.Cores == 1, "the size must be one the pass splits");
        Tensor one, two;
        using (HostThreads.Use(1)) one = SequentialPass.Run(chain, input);
        using (HostThreads.Use(2)) two = SequentialPass.Run(chain, input);
        Assert.Equal(0.0, Recurrences.MaxAbsDiff(one, two));
        Assert.InRange(Recurrences.MaxAbsDiff(two, SequentialPass.Run(new TensorOnlyStep(chain), input)), 0.0, dtype == ScalarType.Float64 ? 1e-12 : 1e-5);
    }
}
