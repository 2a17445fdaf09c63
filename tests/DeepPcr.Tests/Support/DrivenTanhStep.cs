using DeepPcr.Chains;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests.Support;

/// <summary>
/// A test chain with an input per step (an Elman recurrent cell): z_{k+1} = tanh(W z_k + U x_k + b), one W (w, w),
/// U (w, I) and b (w) shared by every step. Analytic Jacobian diag(1 - z_{k+1}^2) W; no analytic parameter or input
/// gradients, so the backward pass takes them from autograd.
/// </summary>
public sealed class DrivenTanhStep : IDrivenChainStep
{
    public DrivenTanhStep(Tensor w, Tensor u, Tensor b, Tensor stepInputs)
    {
        W = w;
        U = u;
        B = b;
        StepInputs = stepInputs;
    }

    public Tensor W { get; }
    public Tensor U { get; }
    public Tensor B { get; }
    public Tensor StepInputs { get; }
    public int Length => (int)StepInputs.shape[0];
    public int Width => (int)W.shape[0];
    public JacobianStructure JacobianStructure => JacobianStructure.Dense;
    public IReadOnlyList<Tensor> Parameters => new[] { W, U, B };

    /// <summary>Seeded weights W N(0, gain^2 / w), U N(0, 1 / I), b N(0, 0.1^2), step inputs N(0, 1) of shape (L, B, I); parameters and inputs require grad.</summary>
    public static DrivenTanhStep Random(int length, int width, int inputWidth, int batch, double gain, ScalarType dtype, long seed)
    {
        var g = new Generator((ulong)seed);
        Tensor Draw(long[] shape, double scale) => (torch.randn(shape, dtype: ScalarType.Float64, generator: g) * scale).to_type(dtype).requires_grad_(true);
        return new DrivenTanhStep(Draw(new long[] { width, width }, gain / Math.Sqrt(width)), Draw(new long[] { width, inputWidth }, 1 / Math.Sqrt(inputWidth)),
            Draw(new long[] { width }, 0.1), Draw(new long[] { length, batch, inputWidth }, 1));
    }

    public Tensor Evaluate(int first, Tensor inputs) => EvaluateDriven(first, inputs, StepInputs.narrow(0, first, inputs.shape[0]));

    public Tensor EvaluateDriven(int first, Tensor inputs, Tensor stepInputs)
    {
        using var scope = torch.NewDisposeScope();
        return (torch.matmul(inputs, W.t()) + torch.matmul(stepInputs, U.t()) + B).tanh().MoveToOuterDisposeScope();
    }

    public Tensor? Jacobian(int first, Tensor inputs)
    {
        using var scope = torch.NewDisposeScope();
        var slope = 1 - Evaluate(first, inputs).square();                 // (n, B, w)
        return (slope.unsqueeze(-1) * W).MoveToOuterDisposeScope();      // (n, B, w, w)
    }

    public IReadOnlyList<Tensor>? ParameterGradients(Tensor inputs, Tensor cotangents) => null;

    public Tensor? StepInputGradients(Tensor inputs, Tensor cotangents) => null;
}
