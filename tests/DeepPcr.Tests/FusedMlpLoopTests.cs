using DeepPcr.Chains;
using DeepPcr.Linear;
using DeepPcr.Models.Mlp;
using DeepPcr.Models.ResNet;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// The fused sequential loops (the benchmark's physical baseline) in float64 against the sequential pass and
/// TorchSharp autograd, at awkward sizes: every activation, the residual form, widths that fill no vector and
/// batches split over the host threads.
/// </summary>
[Collection(HostThreadsCollection.Name)]
public class FusedMlpLoopTests
{
    public static TheoryData<int, int, int, Activation> Sizes()
    {
        var data = new TheoryData<int, int, int, Activation>();
        foreach (var activation in new[] { Activation.Tanh, Activation.Relu, Activation.Sigmoid, Activation.Gelu, Activation.Identity })
        {
            foreach (var (layers, width, batch) in new[] { (1, 1, 1), (2, 3, 1), (3, 8, 2), (5, 3, 7), (5, 1, 4), (3, 20, 3) })
            {
                data.Add(layers, width, batch, activation);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void MlpStatesAndGradientsMatchTheSequentialPassAndAutograd(int layers, int width, int batch, Activation activation)
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(layers, width, 1.1, activation, ScalarType.Float64, seed: layers * 31 + width);
        // GELU's host erf is good to about 1.2e-7 (HostActivation.ExactFor); every other activation to rounding.
        AssertMatches(new FusedMlpLoop<double>(chain), chain, batch, seed: batch, tolerance: activation == Activation.Gelu ? 1e-6 : 1e-12);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 3, 2)]
    [InlineData(5, 8, 5)]
    [InlineData(3, 17, 3)]
    public void ResidualStatesAndGradientsMatchTheSequentialPassAndAutograd(int layers, int width, int batch)
    {
        using var scope = torch.NewDisposeScope();
        var weights = torch.randn(new long[] { layers, width, width }, dtype: ScalarType.Float64, generator: new Generator(3)) / Math.Sqrt(width);
        var biases = torch.randn(new long[] { layers, width }, dtype: ScalarType.Float64, generator: new Generator(4)) * 0.1;
        var chain = new ResidualChain(weights, biases, 0.3);
        AssertMatches(FusedMlpLoop<double>.Residual(chain), chain, batch, seed: 7);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ASplitBatchGivesTheSameResultsAsOneThread(int threads)
    {
        // L B w (w + 8) = 64 * 64 * 8 * 16 is above MinParallelWork: the batch is split when threads allow it.
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(64, 8, 0.9, Activation.Tanh, ScalarType.Float64, seed: 2);
        Assert.True(64L * 64 * 8 * 16 >= FusedMlpLoop<double>.MinParallelWork);
        using var limit = HostThreads.Use(threads);
        var fused = new FusedMlpLoop<double>(chain);
        Assert.Equal(Math.Min(threads, HostThreads.Cores), fused.ThreadsFor(64));
        Assert.Equal(1, fused.ThreadsFor(1));
        AssertMatches(fused, chain, batch: 64, seed: 9);
    }

    [Fact]
    public void Float32LoopAgreesWithFloat64ToFloat32Rounding()
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(64, 4, 0.9, Activation.Tanh, ScalarType.Float32, seed: 5);
        var input = torch.randn(new long[] { 16, 4 }, generator: new Generator(6));
        var fused = new FusedMlpLoop<float>(chain);
        var output = new float[64];
        fused.Forward(input.data<float>().ToArray(), output);
        var reference = SequentialPass.Run(chain.To(ScalarType.Float64), input.to_type(ScalarType.Float64))[63];
        Assert.InRange(Recurrences.MaxAbsDiff(torch.tensor(output).reshape(16, 4), reference), 0.0, 1e-5);
    }

    [Fact]
    public void MismatchedLengthsAreRejected()
    {
        using var scope = torch.NewDisposeScope();
        var fused = new FusedMlpLoop<float>(MlpChain.Random(3, 4, 0.9, Activation.Tanh, ScalarType.Float32, seed: 1));
        Assert.Throws<ArgumentException>(() => fused.Forward(new float[6], new float[6]));
        Assert.Throws<ArgumentException>(() => fused.Forward(new float[8], fused.NewTape(1)));
        var tape = fused.NewTape(2);
        Assert.Throws<ArgumentException>(() => fused.Backward(tape, new float[8], new float[3 * 16], new float[12], new float[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => fused.NewTape(0));
        Assert.Throws<ArgumentException>(() => fused.ForwardStates(new float[8], new float[3 * 8]));
        Assert.Throws<ArgumentException>(() => fused.ForwardStates(new float[6], new float[4 * 6]));
    }

    /// <summary>Forward states (all three entry points) against the sequential pass; gradients against float64 autograd.</summary>
    private static void AssertMatches(FusedMlpLoop<double> fused, IDifferentiableChainStep chain, int batch, long seed, double tolerance = 1e-12)
    {
        int layers = chain.Length, width = chain.Width;
        var input = torch.randn(new long[] { batch, width }, dtype: ScalarType.Float64, generator: new Generator((ulong)seed));
        var cotangent = torch.randn(new long[] { batch, width }, dtype: ScalarType.Float64, generator: new Generator((ulong)seed + 1));
        var reference = SequentialPass.Run(chain, input);  // (L, B, w)

        var tape = fused.NewTape(batch);
        fused.Forward(input.data<double>().ToArray(), tape);
        var states = torch.tensor(tape.States).reshape(layers + 1, batch, width);
        Assert.InRange(Recurrences.MaxAbsDiff(states[1..], reference), 0.0, tolerance);
        var output = new double[batch * width];
        fused.Forward(input.data<double>().ToArray(), output);
        Assert.InRange(Recurrences.MaxAbsDiff(torch.tensor(output).reshape(batch, width), reference[layers - 1]), 0.0, tolerance);
        // All states into caller's memory: the tape's states bit for bit, the tape left as it was for the backward pass.
        var handedOut = new double[(layers + 1) * batch * width];
        fused.ForwardStates(input.data<double>().ToArray(), handedOut);
        Assert.Equal(tape.States, handedOut);

        double[] gw = new double[layers * width * width], gb = new double[layers * width], gx = new double[batch * width];
        Array.Fill(gw, double.NaN); // overwritten, never accumulated into
        fused.Backward(tape, cotangent.data<double>().ToArray(), gw, gb, gx);
        var expected = AutogradGradients(chain, input, cotangent);
        double scale = Math.Max(1.0, expected.Max(Recurrences.MaxAbs));
        Assert.InRange(Recurrences.MaxAbsDiff(torch.tensor(gx).reshape(batch, width), expected[0]), 0.0, tolerance * scale);
        Assert.InRange(Recurrences.MaxAbsDiff(torch.tensor(gw).reshape(layers, width, width), expected[1]), 0.0, tolerance * scale);
        Assert.InRange(Recurrences.MaxAbsDiff(torch.tensor(gb).reshape(layers, width), expected[2]), 0.0, tolerance * scale);
    }

    /// <summary>[input (B, w), weights (L, w, w), biases (L, w)] gradients of sum(z_L * g) through the chain's tensor steps.</summary>
    private static Tensor[] AutogradGradients(IDifferentiableChainStep chain, Tensor input, Tensor cotangent)
    {
        var weights = chain.Parameters[0].detach().clone().requires_grad_(true);
        var biases = chain.Parameters[1].detach().clone().requires_grad_(true);
        IChainStep copy = chain switch
        {
            MlpChain mlp => new MlpChain(weights, biases, mlp.Activation),
            ResidualChain residual => new ResidualChain(weights, biases, residual.StepScale),
            _ => throw new ArgumentException("An MLP or residual chain was expected."),
        };
        var x = input.detach().clone().requires_grad_(true);
        var z = x.unsqueeze(0);
        for (int k = 0; k < chain.Length; k++) z = copy.Evaluate(k, z);
        var grads = torch.autograd.grad(new[] { (z[0] * cotangent).sum() }, new[] { x, weights, biases });
        return grads.ToArray();
    }
}

/// <summary>Tests that set <see cref="HostThreads.Limit"/> run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HostThreadsCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "host threads";
}
