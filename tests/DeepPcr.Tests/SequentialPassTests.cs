using DeepPcr.Chains;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

public class SequentialPassTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 3)]
    [InlineData(5, 8)]
    [InlineData(64, 3)]
    public void EqualsPlainLoop(int length, int width)
    {
        using var scope = torch.NewDisposeScope();
        using var step = TanhLayerStep.Random(length, width, 0.9, ScalarType.Float64, seed: 3);
        var input = torch.randn(new long[] { 2, width }, dtype: ScalarType.Float64, generator: new Generator(4));
        var states = SequentialPass.Run(step, input);
        Assert.Equal(new long[] { length, 2, width }, states.shape);

        // The same chain as plain C# arithmetic on arrays, no TorchSharp.
        double[] w = step.Weights.data<double>().ToArray(), b = step.Biases.data<double>().ToArray();
        double[] got = states.data<double>().ToArray();
        for (int s = 0; s < 2; s++)
        {
            var z = input[s].data<double>().ToArray();
            for (int k = 0; k < length; k++)
            {
                var next = new double[width];
                for (int i = 0; i < width; i++)
                {
                    double sum = b[k * width + i];
                    for (int j = 0; j < width; j++) sum += w[(k * width + i) * width + j] * z[j];
                    next[i] = Math.Tanh(sum);
                }
                z = next;
                for (int i = 0; i < width; i++) Assert.Equal(z[i], got[(k * 2 + s) * width + i], 1e-14);
            }
        }
        Assert.Equal(length, step.Evaluations);
    }

    [Fact]
    public void AutogradJacobianEqualsAnalytic()
    {
        using var scope = torch.NewDisposeScope();
        using var step = TanhLayerStep.Random(7, 3, 1.2, ScalarType.Float64, seed: 6);
        var inputs = torch.randn(new long[] { 7, 4, 3 }, dtype: ScalarType.Float64, generator: new Generator(7));
        var analytic = step.Jacobian(0, inputs)!;
        var built = AutogradJacobian.Compute(step, 0, inputs, JacobianStructure.Dense);
        Assert.Equal(analytic.shape, built.shape);
        Assert.InRange(Recurrences.MaxAbsDiff(analytic, built), 0.0, 1e-14);
        Assert.False(built.requires_grad);

        var part = AutogradJacobian.Compute(step, 2, inputs.narrow(0, 2, 3), JacobianStructure.Dense);
        Assert.InRange(Recurrences.MaxAbsDiff(part, analytic.narrow(0, 2, 3)), 0.0, 1e-14);
    }

    [Fact]
    public void AutogradDiagonalOfAnElementwiseStep()
    {
        using var scope = torch.NewDisposeScope();
        var step = new ElementwiseSinStep(5, 3);
        var inputs = torch.randn(new long[] { 5, 2, 3 }, dtype: ScalarType.Float64, generator: new Generator(8));
        var diagonal = AutogradJacobian.Of(step, 0, inputs);
        Assert.Equal(new long[] { 5, 2, 3 }, diagonal.shape);
        Assert.InRange(Recurrences.MaxAbsDiff(diagonal, inputs.cos() * 0.5), 0.0, 1e-15);
        var scalar = AutogradJacobian.Compute(step, 0, inputs, JacobianStructure.Scalar);
        Assert.InRange(Recurrences.MaxAbsDiff(scalar, (inputs.cos() * 0.5).mean(new long[] { -1 }, keepdim: true)), 0.0, 1e-15);
    }

    /// <summary>z_{k+1} = 0.5 sin(z_k), declared diagonal, with no Jacobian of its own.</summary>
    private sealed class ElementwiseSinStep(int length, int width) : IChainStep
    {
        public int Length => length;
        public int Width => width;
        public JacobianStructure JacobianStructure => JacobianStructure.Diagonal;
        public Tensor Evaluate(int first, Tensor inputs) => inputs.sin() * 0.5;
        public Tensor? Jacobian(int first, Tensor inputs) => null;
    }
}
