using DeepPcr.Autograd;
using DeepPcr.Backward;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// Steps with an input per step, z_{k+1} = f_k(z_k, x_k), float64: DeepPCR's states against the sequential pass
/// (1e-9 max(1, max |z|)), and the backward pass (dLoss/dz_0, dLoss/dx_k for every k, every parameter gradient, pooled)
/// against TorchSharp autograd through the sequential pass (max_rel_error 1e-8).
/// </summary>
public class DrivenChainTests
{
    public static TheoryData<int, int> Sizes()
    {
        var data = new TheoryData<int, int>();
        foreach (int length in new[] { 1, 2, 3, 5, 1000 })
        foreach (int width in new[] { 1, 3, 8 })
            data.Add(length, width);
        return data;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void ForwardAndBackwardEqualTheSequentialPass(int length, int width)
    {
        using var scope = torch.NewDisposeScope();
        var step = DrivenTanhStep.Random(length, width, inputWidth: 2, batch: 3, gain: 0.9, ScalarType.Float64, seed: length + width);
        var z0 = torch.randn(new long[] { 3, width }, dtype: ScalarType.Float64, generator: new Generator(7)).requires_grad_(true);
        var cotangent = torch.randn(new long[] { 3, width }, dtype: ScalarType.Float64, generator: new Generator(8));

        var reference = SequentialPass.Run(step, z0);
        var tensors = new List<Tensor> { z0, step.StepInputs };
        tensors.AddRange(step.Parameters);
        var expected = torch.autograd.grad(new[] { reference[length - 1] }, tensors, new[] { cotangent }).ToList();

        var solution = ParallelChainSolver.DeepPcr.Solve(step, z0.detach());
        Assert.Equal(Termination.Converged, solution.Termination);
        Assert.Equal(Fallback.None, solution.Fallback);
        Assert.InRange(Recurrences.MaxAbsDiff(solution.States, reference.detach()), 0.0, 1e-9 * Math.Max(1.0, Recurrences.MaxAbs(reference.detach())));

        var adjoint = AdjointSolver.Solve(step, z0.detach(), solution.States, cotangent);
        Assert.NotNull(adjoint.StepInputGradients);
        var actual = new List<Tensor> { adjoint.InputGradient, adjoint.StepInputGradients! };
        actual.AddRange(adjoint.ParameterGradients);
        Assert.InRange(Pooled(actual, expected), 0.0, 1e-8);
    }

    [Fact]
    public void ChainModuleFillsTheStepInputsGradient()
    {
        using var scope = torch.NewDisposeScope();
        var step = DrivenTanhStep.Random(17, 3, inputWidth: 2, batch: 2, gain: 0.9, ScalarType.Float64, seed: 3);
        var z0 = torch.randn(new long[] { 2, 3 }, dtype: ScalarType.Float64, generator: new Generator(4));
        var reference = SequentialPass.Run(step, z0)[16].square().sum();
        var expected = torch.autograd.grad(new[] { reference }, new[] { step.StepInputs })[0];

        var module = new ChainModule(step);
        module.call(z0).square().sum().backward();
        Assert.InRange(Recurrences.MaxAbsDiff(step.StepInputs.grad!, expected), 0.0, 1e-10 * Math.Max(1.0, Recurrences.MaxAbs(expected)));
        Assert.Equal(ChainMethod.DeepPcr, module.LastMethod);
    }

    [Fact]
    public void StepInputsOfTheWrongShapeAreRefused()
    {
        using var scope = torch.NewDisposeScope();
        var step = DrivenTanhStep.Random(5, 3, inputWidth: 2, batch: 2, gain: 0.9, ScalarType.Float64, seed: 3);
        var z0 = torch.zeros(new long[] { 4, 3 }, dtype: ScalarType.Float64);
        var error = Assert.Throws<ArgumentException>(() => ParallelChainSolver.DeepPcr.Solve(step, z0));
        Assert.Contains("step inputs", error.Message);
    }

    private static double Pooled(IReadOnlyList<Tensor> value, IReadOnlyList<Tensor> reference)
    {
        double delta = 0, scale = 0;
        for (int i = 0; i < reference.Count; i++)
        {
            delta = Math.Max(delta, Recurrences.MaxAbsDiff(value[i], reference[i]));
            scale = Math.Max(scale, Recurrences.MaxAbs(reference[i]));
        }
        return delta / scale;
    }
}
