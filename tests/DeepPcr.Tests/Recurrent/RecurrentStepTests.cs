using System.Runtime.InteropServices;
using DeepPcr.Backward;
using DeepPcr.Chains;
using DeepPcr.Linear;
using DeepPcr.Recurrent;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests.Recurrent;

/// <summary>
/// The recurrent step's pieces, float64: the analytic Jacobian against central finite differences (step 1e-6, 1e-8
/// relative: the truncation error is about 1e-12 times the third derivative); the host kernels (outputs, Jacobians in
/// the declared structure's planar layout, the fused sequential loop, the gradients) against the TorchSharp
/// expressions to 1e-12 relative; and DEER on the host engine against DEER on TorchSharp operations, forward and backward.
/// </summary>
public class RecurrentStepTests
{
    public static TheoryData<RecurrentCell, int> Cells()
    {
        var data = new TheoryData<RecurrentCell, int>();
        foreach (var cell in Enum.GetValues<RecurrentCell>())
        foreach (int hidden in new[] { 1, 3, 8 })
            data.Add(cell, hidden);
        return data;
    }

    private static (RecurrentStep Step, Tensor Start, Tensor Inputs) Make(RecurrentCell cell, int steps, int batch, int hidden, long seed, double gain = 1.0)
    {
        var weights = RecurrentReference.Weights(cell, 2, hidden, ScalarType.Float64, seed, gain);
        var (x, h0, c0) = RecurrentReference.Inputs(cell, steps, batch, 2, hidden, ScalarType.Float64, seed + 1);
        using var noGrad = torch.no_grad();
        var projections = torch.matmul(x, weights.WeightIh.t()) + weights.BiasIh!;
        var step = new RecurrentStep(cell, projections.detach(), weights.WeightHh.detach(), weights.BiasHh!.detach());
        var start = c0 is null ? h0.detach() : torch.cat(new[] { h0, c0 }, -1).detach();
        var inputs = torch.randn(new long[] { steps, batch, step.Width }, dtype: ScalarType.Float64, generator: new Generator((ulong)seed + 2)) * 0.8;
        return (step, start, inputs);
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void TheJacobianEqualsFiniteDifferences(RecurrentCell cell, int hidden)
    {
        using var scope = torch.NewDisposeScope();
        var (step, _, inputs) = Make(cell, 4, 2, hidden, seed: hidden);
        var dense = BlockStructure.Of(step).ToDense(step.Jacobian(0, inputs)!, step.Width);     // (n, B, w, w)
        const double eps = 1e-6;
        var columns = new List<Tensor>();
        for (int j = 0; j < step.Width; j++)
        {
            var e = torch.zeros(step.Width, dtype: ScalarType.Float64);
            e[j] = eps;
            columns.Add((step.Evaluate(0, inputs + e) - step.Evaluate(0, inputs - e)) / (2 * eps));
        }
        var numeric = torch.stack(columns, -1);
        RecurrentScanTests.AssertClose(dense, numeric, 1e-8, "Jacobian");
        // The declared structure is the true one: the dense Jacobian has nothing outside it.
        RecurrentScanTests.AssertClose(BlockStructure.Of(step).ToDense(BlockStructure.Of(step).FromDense(numeric), step.Width), numeric, 1e-8, "structure");
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void TheHostKernelsEqualTheTensorExpressions(RecurrentCell cell, int hidden)
    {
        using var scope = torch.NewDisposeScope();
        const int steps = 5, batch = 3;
        var (step, start, inputs) = Make(cell, steps, batch, hidden, seed: 10 + hidden);
        var structure = BlockStructure.Of(step);
        long rows = steps * batch, size = structure.BlockShape(step.Width).Aggregate(1L, (a, b) => a * b), stride = rows + 3;
        var values = inputs.contiguous().data<double>().ToArray();
        var outputs = new double[values.Length];
        var planar = new double[size * stride];
        step.EvaluateOnHost<double>(0, batch, values, outputs, planar, stride);
        RecurrentScanTests.AssertClose(torch.tensor(outputs).reshape(inputs.shape), step.Evaluate(0, inputs), 1e-12, "outputs");
        var jacobian = torch.tensor(planar).reshape(size, stride).narrow(1, 0, rows).t().reshape(new long[] { steps, batch }.Concat(structure.BlockShape(step.Width)).ToArray());
        RecurrentScanTests.AssertClose(jacobian, step.Jacobian(0, inputs)!, 1e-12, "Jacobian");

        // The fused sequential loop against the tensor step applied step by step.
        var states = new double[values.Length];
        step.RunSequentialOnHost<double>(0, batch, start.contiguous().data<double>().ToArray(), states);
        var z = start.unsqueeze(0);
        var expected = new List<Tensor>();
        for (int k = 0; k < steps; k++) expected.Add(z = step.Evaluate(k, z));
        RecurrentScanTests.AssertClose(torch.tensor(states).reshape(inputs.shape), torch.cat(expected, 0), 1e-12, "sequential loop");

        // Gradients from host memory against the tensor expressions.
        var lambda = torch.randn(inputs.shape, dtype: ScalarType.Float64, generator: new Generator(3));
        var (parameters, stepInputs) = step.GradientsOnHost<double>(batch, values, outputs, lambda.contiguous().data<double>().ToArray());
        var reference = step.ParameterGradients(inputs, lambda)!;
        for (int i = 0; i < reference.Count; i++) RecurrentScanTests.AssertClose(parameters[i], reference[i], 1e-12, $"parameter {i}");
        RecurrentScanTests.AssertClose(stepInputs, step.StepInputGradients(inputs, lambda)!, 1e-12, "step inputs");
    }

    [Theory]
    [InlineData(RecurrentCell.Gru, 200)]
    [InlineData(RecurrentCell.Lstm, 200)]
    [InlineData(RecurrentCell.GruDiag, 1000)]
    [InlineData(RecurrentCell.LstmCifgDiag, 1000)]
    public void DeerOnTheHostEngineEqualsDeerOnTensorOperations(RecurrentCell cell, int steps)
    {
        using var scope = torch.NewDisposeScope();
        var (step, start, _) = Make(cell, steps, 3, 4, seed: 7);
        var torchOnly = new TensorOnlyRecurrentStep(step);
        foreach (var options in new[] { SolverOptions.Default, new SolverOptions(ChunkSize: 0) })
        {
            var host = ParallelChainSolver.DeepPcr.Solve(step, start, options);
            var tensor = ParallelChainSolver.DeepPcr.Solve(torchOnly, start, options);
            Assert.Equal(ChainEngine.Host, host.Engine);
            Assert.Equal(ChainEngine.Torch, tensor.Engine);
            Assert.Equal(Termination.Converged, host.Termination);
            Assert.Equal(Fallback.None, host.Fallback);
            Assert.Equal(options.ChunkSize is not null, host.Chunked);
            var sequential = SequentialPass.Run(step, start);
            RecurrentScanTests.AssertClose(host.States, sequential, 1e-10, "host");
            RecurrentScanTests.AssertClose(tensor.States, sequential, 1e-10, "torch");
            CarriedErrorTests.AssertSameEstimate(host, tensor);
        }

        var states = SequentialPass.Run(step, start);
        var cotangents = torch.randn(states.shape, dtype: ScalarType.Float64, generator: new Generator(9));
        foreach (var method in new[] { AdjointMethod.Parallel, AdjointMethod.Sequential })
        {
            using var onHost = AdjointSolver.SolveAll(step, start, states, cotangents, method);
            using var onTorch = AdjointSolver.SolveAll(torchOnly, start, states, cotangents, method);
            Assert.Equal(ChainEngine.Host, onHost.Engine);
            Assert.Equal(ChainEngine.Torch, onTorch.Engine);
            RecurrentScanTests.AssertClose(onHost.InputGradient, onTorch.InputGradient, 1e-10, "input gradient");
            RecurrentScanTests.AssertClose(onHost.StepInputGradients!, onTorch.StepInputGradients!, 1e-10, "step-input gradients");
            for (int i = 0; i < onTorch.ParameterGradients.Count; i++)
            {
                RecurrentScanTests.AssertClose(onHost.ParameterGradients[i], onTorch.ParameterGradients[i], 1e-10, $"parameter {i}");
            }
        }
    }

    /// <summary>
    /// A segment (steps 2..5 of 7) is the step over those rows of the projections: the same outputs, Jacobians and host
    /// outputs as the whole chain's rows (exactly: the same kernels on the same numbers), and its gradients sum with
    /// the other segments' to the whole chain's (1e-12 relative; a sum in another order); runs outside the chain are refused.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cells))]
    public void ASegmentIsTheChainsRows(RecurrentCell cell, int hidden)
    {
        using var scope = torch.NewDisposeScope();
        var (step, _, inputs) = Make(cell, 7, 2, hidden, seed: 40 + hidden);
        var cotangents = torch.randn(inputs.shape, dtype: ScalarType.Float64, generator: new Generator(9));
        var parts = new[] { (0, 2), (2, 4), (6, 1) }.Select(r => ((RecurrentStep)step.Segment(r.Item1, r.Item2), r.Item1, r.Item2)).ToArray();
        var (middle, first, count) = parts[1];
        var rows = inputs.narrow(0, first, count);
        Assert.Equal(count, middle.Length);
        Assert.True(middle.Evaluate(0, rows).eq(step.Evaluate(first, rows)).all().item<bool>());
        Assert.True(middle.Jacobian(0, rows)!.eq(step.Jacobian(first, rows)!).all().item<bool>());
        var host = new double[rows.NumberOfElements];
        var whole = new double[rows.NumberOfElements];
        var values = rows.contiguous().data<double>().ToArray();
        middle.EvaluateOnHost<double>(0, 2, values, host, Span<double>.Empty, 0);
        step.EvaluateOnHost<double>(first, 2, values, whole, Span<double>.Empty, 0);
        Assert.Equal(whole, host);

        var expected = step.ParameterGradients(inputs, cotangents)!;
        var expectedInputs = step.StepInputGradients(inputs, cotangents)!;
        for (int k = 0; k < expected.Count; k++)
        {
            var sum = parts.Select(p => p.Item1.ParameterGradients(inputs.narrow(0, p.Item2, p.Item3), cotangents.narrow(0, p.Item2, p.Item3))![k]).Aggregate((a, b) => a + b);
            RecurrentScanTests.AssertClose(sum, expected[k], 1e-12, $"parameter gradient {k}");
        }
        var stepInputs = torch.cat(parts.Select(p => p.Item1.StepInputGradients(inputs.narrow(0, p.Item2, p.Item3), cotangents.narrow(0, p.Item2, p.Item3))!).ToArray(), 0);
        RecurrentScanTests.AssertClose(stepInputs, expectedInputs, 1e-12, "step-input gradients");
        Assert.Throws<ArgumentOutOfRangeException>(() => step.Segment(5, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => step.Segment(-1, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => step.Segment(0, 0));
    }
}
