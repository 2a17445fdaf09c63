using DeepPcr.Backward;
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
/// The host engine (host kernels of a step, planar PCR, host Newton and adjoint) against the TorchSharp-operation
/// path and the sequential pass, in float64 on awkward sizes. Bounds: PCR as in <see cref="PcrTests"/>
/// (4 w L eps max(1, max |z|)); solvers 1e-9 absolute against each other and against sequential.
/// </summary>
public class HostEngineTests
{
    public static TheoryData<int, int> Sizes()
    {
        var data = new TheoryData<int, int>();
        foreach (int length in new[] { 1, 2, 3, 5, 1000 })
        foreach (int width in new[] { 1, 3, 8, 17 })
            data.Add(length, width);
        return data;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public unsafe void DenseSolveFromPlanarBlocksEqualsForwardSubstitution(int length, int width)
    {
        using var scope = torch.NewDisposeScope();
        var recurrence = Recurrences.Random(JacobianStructure.Dense, length, batch: 2, width, ScalarType.Float64, seed: length + 7 * width);
        var reference = ForwardSubstitution.Solve(recurrence).States;
        long rows = (long)length * 2, stride = HostPcr.StrideFor<double>(rows);
        // Planar blocks: entry e of row r at e * stride + r.
        var rowMajor = recurrence.A.contiguous().data<double>().ToArray();
        var planar = new double[width * width * stride];
        for (long r = 0; r < rows; r++)
        for (int e = 0; e < width * width; e++) planar[e * stride + r] = rowMajor[r * width * width + e];
        var c = recurrence.C.contiguous().data<double>().ToArray();
        var z0 = recurrence.Z0.contiguous().data<double>().ToArray();
        using var scratch = HostScratch.Lease(HostPcr.ScratchFor<double>(width, stride) * sizeof(double));
        int rounds;
        fixed (double* pa = planar, pc = c, pz = z0) rounds = HostPcr.SolveDense(length, 2, width, pa, stride, pc, pz, (double*)scratch.Pointer);
        Assert.Equal(ParallelCyclicReduction.RoundsFor(length), rounds);
        var states = torch.tensor(c, new long[] { length, 2, width }, ScalarType.Float64);
        double bound = 4.0 * width * length * 2.2e-16 * Math.Max(1.0, Recurrences.MaxAbs(reference));
        Assert.InRange(Recurrences.MaxAbsDiff(states, reference), 0.0, bound);
    }

    [Theory]
    [InlineData(JacobianStructure.Dense, 8, 17, ScalarType.Float32)]
    [InlineData(JacobianStructure.Dense, 16, 5, ScalarType.Float32)]
    [InlineData(JacobianStructure.Dense, 17, 3, ScalarType.Float64)]
    [InlineData(JacobianStructure.Dense, 4, 9, ScalarType.Float64)]
    [InlineData(JacobianStructure.Diagonal, 17, 2, ScalarType.Float64)]
    [InlineData(JacobianStructure.Scalar, 3, 4, ScalarType.Float32)]
    public void OneHostRoundEqualsTheTorchRound(JacobianStructure kind, int width, int batch, ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        var structure = BlockStructure.For(kind);
        var recurrence = Recurrences.Random(kind, 100, batch, width, dtype, seed: width + batch);
        foreach (int s in new[] { 1, 3, 32, 64 })
        {
            var a = recurrence.A.narrow(0, s, 100 - s).contiguous();
            var (updated, composed) = PcrRound.RunWithTorchOps(structure, s, a, recurrence.C);
            var c = recurrence.C.clone();
            var aNext = torch.empty_like(a);
            PcrRound.RunOnHost(structure, s, a, c, aNext, torch.empty_like(c));
            double eps = dtype == ScalarType.Float32 ? 1.2e-7 : 2.2e-16;
            Assert.InRange(Recurrences.MaxAbsDiff(c.narrow(0, s, 100 - s), updated), 0.0, 4 * width * eps * Math.Max(1, Recurrences.MaxAbs(updated)));
            Assert.Equal(0.0, Recurrences.MaxAbsDiff(c.narrow(0, 0, s), recurrence.C.narrow(0, 0, s)));
            if (composed is not null)
            {
                Assert.InRange(Recurrences.MaxAbsDiff(aNext.narrow(0, 0, 100 - 2 * s), composed), 0.0, 4 * width * eps * Math.Max(1, Recurrences.MaxAbs(composed)));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void HostNewtonTakesTheTorchPathsIteratesAndEqualsSequential(int length, int width)
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(length, width, 0.9, Activation.Tanh, ScalarType.Float64, seed: length * 13 + width);
        var input = torch.randn(new long[] { 3, width }, dtype: ScalarType.Float64, generator: new Generator(5));
        Assert.True(chain.SupportsHost(ScalarType.Float64));
        var host = ParallelChainSolver.DeepPcr.Solve(chain, input);
        var reference = ParallelChainSolver.DeepPcr.Solve(new TensorOnlyStep(chain), input);
        var sequential = SequentialPass.Run(chain, input);

        Assert.Equal(Termination.Converged, host.Termination);
        Assert.Equal("none", host.FallbackName);
        Assert.Equal(reference.Iterations, host.Iterations);
        Assert.Equal(reference.PcrRounds, host.PcrRounds);
        Assert.Equal(reference.ResidualNorms.Count, host.ResidualNorms.Count);
        Assert.InRange(Recurrences.MaxAbsDiff(host.States, reference.States), 0.0, 1e-9);
        Assert.InRange(Recurrences.MaxAbsDiff(host.States, sequential), 0.0, 1e-9);
    }

    [Theory]
    [InlineData(Activation.Tanh, ScalarType.Float64)]
    [InlineData(Activation.Relu, ScalarType.Float64)]
    [InlineData(Activation.Sigmoid, ScalarType.Float64)]
    [InlineData(Activation.Identity, ScalarType.Float64)]
    [InlineData(Activation.Gelu, ScalarType.Float32)]
    [InlineData(Activation.Tanh, ScalarType.Float32)]
    public void HostEvaluationAndJacobianEqualTheTensorOnes(Activation activation, ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(6, 5, 1.2, activation, dtype, seed: 3);
        var inputs = torch.randn(new long[] { 4, 3, 5 }, dtype: ScalarType.Float64, generator: new Generator(2)).to_type(dtype);
        double tolerance = dtype == ScalarType.Float32 ? 5e-6 : 1e-13;
        Assert.True(chain.SupportsHost(dtype));
        long rows = 12, stride = 20;
        Tensor outputs, jacobian;
        if (dtype == ScalarType.Float32)
        {
            var o = new float[rows * 5];
            var j = new float[25 * stride];
            chain.EvaluateOnHost<float>(1, 3, inputs.data<float>().ToArray(), o, j, stride);
            outputs = torch.tensor(o, new long[] { 4, 3, 5 });
            jacobian = Unplanar(torch.tensor(j, new long[] { 25, stride }), rows);
        }
        else
        {
            var o = new double[rows * 5];
            var j = new double[25 * stride];
            chain.EvaluateOnHost<double>(1, 3, inputs.data<double>().ToArray(), o, j, stride);
            outputs = torch.tensor(o, new long[] { 4, 3, 5 });
            jacobian = Unplanar(torch.tensor(j, new long[] { 25, stride }), rows);
        }
        Assert.InRange(Recurrences.MaxAbsDiff(outputs, chain.Evaluate(1, inputs)), 0.0, tolerance);
        Assert.InRange(Recurrences.MaxAbsDiff(jacobian, chain.Jacobian(1, inputs)), 0.0, tolerance);
    }

    private static Tensor Unplanar(Tensor planes, long rows) =>
        planes.narrow(1, 0, rows).t().reshape(4, 3, 5, 5);

    [Fact]
    public void GeluInFloat64StaysOnTheTensorPath()
    {
        using var scope = torch.NewDisposeScope();
        Assert.False(MlpChain.Random(3, 2, 1, Activation.Gelu, ScalarType.Float64, 1).SupportsHost(ScalarType.Float64));
        Assert.False(MlpChain.Random(3, 2, 1, Activation.Tanh, ScalarType.Float64, 1).SupportsHost(ScalarType.Float32));
        // Reading float64 parameters as float32 would be silently wrong: it is refused.
        var chain = MlpChain.Random(3, 2, 1, Activation.Tanh, ScalarType.Float64, 1);
        Assert.Throws<InvalidOperationException>(() => chain.EvaluateOnHost<float>(0, 1, new float[6], new float[6], Span<float>.Empty, 0));
        Assert.Throws<InvalidOperationException>(() => chain.RunSequentialOnHost<float>(0, 1, new float[2], new float[6]));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 3)]
    [InlineData(5, 8)]
    [InlineData(1000, 3)]
    [InlineData(64, 17)]
    public void HostAdjointEqualsTheTorchAdjoint(int length, int width)
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(length, width, 0.9, Activation.Tanh, ScalarType.Float64, seed: length + width);
        var input = torch.randn(new long[] { 2, width }, dtype: ScalarType.Float64, generator: new Generator(8));
        var states = SequentialPass.Run(chain, input);
        var cotangents = torch.randn(new long[] { length, 2, width }, dtype: ScalarType.Float64, generator: new Generator(9));
        var host = AdjointSolver.SolveAll(chain, input, states, cotangents);
        var reference = AdjointSolver.SolveAll(new TensorOnlyStep(chain), input, states, cotangents);
        Assert.Equal(reference.PcrRounds, host.PcrRounds);
        double scale = Math.Max(1, Recurrences.MaxAbs(reference.StateGradients!));
        Assert.InRange(Recurrences.MaxAbsDiff(host.StateGradients!, reference.StateGradients!), 0.0, 1e-11 * scale);
        Assert.InRange(Recurrences.MaxAbsDiff(host.InputGradient, reference.InputGradient), 0.0, 1e-11 * scale);
        for (int i = 0; i < 2; i++)
        {
            Assert.InRange(Recurrences.MaxAbsDiff(host.ParameterGradients[i], reference.ParameterGradients[i]), 0.0, 1e-11 * scale);
        }

        // Only the final state's cotangent: the host path builds the reversed right-hand side itself.
        var final = cotangents[length - 1];
        var hostFinal = AdjointSolver.Solve(chain, input, states, final);
        var referenceFinal = AdjointSolver.Solve(new TensorOnlyStep(chain), input, states, final);
        double finalScale = Math.Max(1, Recurrences.MaxAbs(referenceFinal.StateGradients!));
        Assert.InRange(Recurrences.MaxAbsDiff(hostFinal.StateGradients!, referenceFinal.StateGradients!), 0.0, 1e-11 * finalScale);
        Assert.InRange(Recurrences.MaxAbsDiff(hostFinal.InputGradient, referenceFinal.InputGradient), 0.0, 1e-11 * finalScale);
        for (int i = 0; i < 2; i++)
        {
            Assert.InRange(Recurrences.MaxAbsDiff(hostFinal.ParameterGradients[i], referenceFinal.ParameterGradients[i]), 0.0, 1e-11 * finalScale);
        }
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(5, 8)]
    [InlineData(1000, 3)]
    public void ResidualChainHostPathsEqualTheTensorOnes(int length, int width)
    {
        using var scope = torch.NewDisposeScope();
        var generator = new Generator((ulong)(length + width));
        var weights = torch.randn(new long[] { length, width, width }, dtype: ScalarType.Float64, generator: generator) / Math.Sqrt(width);
        var biases = torch.randn(new long[] { length, width }, dtype: ScalarType.Float64, generator: generator) * 0.1;
        var chain = new Models.ResNet.ResidualChain(weights, biases, 1.0 / length);
        var input = torch.randn(new long[] { 2, width }, dtype: ScalarType.Float64, generator: generator);
        var reference = ParallelChainSolver.DeepPcr.Solve(new TensorOnlyStep(chain), input);
        var host = ParallelChainSolver.DeepPcr.Solve(chain, input);
        Assert.Equal(Termination.Converged, host.Termination);
        Assert.Equal(reference.Iterations, host.Iterations);
        Assert.InRange(Recurrences.MaxAbsDiff(host.States, reference.States), 0.0, 1e-10);
        Assert.InRange(Recurrences.MaxAbsDiff(host.States, SequentialPass.Run(new TensorOnlyStep(chain), input)), 0.0, 1e-10);

        var cotangents = torch.randn(new long[] { length, 2, width }, dtype: ScalarType.Float64, generator: generator);
        var hostAdjoint = AdjointSolver.SolveAll(chain, input, host.States, cotangents);
        var tensorAdjoint = AdjointSolver.SolveAll(new TensorOnlyStep(chain), input, host.States, cotangents);
        double scale = Math.Max(1, Recurrences.MaxAbs(tensorAdjoint.StateGradients!));
        Assert.InRange(Recurrences.MaxAbsDiff(hostAdjoint.InputGradient, tensorAdjoint.InputGradient), 0.0, 1e-11 * scale);
        for (int i = 0; i < 2; i++)
        {
            Assert.InRange(Recurrences.MaxAbsDiff(hostAdjoint.ParameterGradients[i], tensorAdjoint.ParameterGradients[i]), 0.0, 1e-11 * scale);
        }
    }

    [Theory]
    [InlineData(1, 1, ScalarType.Float64)]
    [InlineData(5, 3, ScalarType.Float64)]
    [InlineData(1000, 8, ScalarType.Float64)]
    [InlineData(1000, 4, ScalarType.Float32)]
    public void TheFusedSequentialPassEqualsTheTensorOne(int length, int width, ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(length, width, 1.0, Activation.Tanh, dtype, seed: length);
        var input = torch.randn(new long[] { 3, width }, dtype: ScalarType.Float64, generator: new Generator(1)).to_type(dtype);
        double tolerance = dtype == ScalarType.Float32 ? 1e-5 : 1e-12;
        Assert.InRange(Recurrences.MaxAbsDiff(SequentialPass.Run(chain, input), SequentialPass.Run(new TensorOnlyStep(chain), input)), 0.0, tolerance);
        var residual = new Models.ResNet.ResidualChain(chain.Weights, chain.Biases, 1.0 / length);
        Assert.InRange(Recurrences.MaxAbsDiff(SequentialPass.Run(residual, input), SequentialPass.Run(new TensorOnlyStep(residual), input)), 0.0, tolerance);
    }
}
