using DeepPcr.Chains;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests.Support;

/// <summary>
/// A test chain z_{k+1} = tanh(W_k z_k + b_k) with per-step weights W (L, w, w) and biases b (L, w).
/// With <c>analytic</c> false it gives no Jacobian, so callers must use autograd.
/// </summary>
public sealed class TanhLayerStep : IChainStep, IDisposable
{
    public TanhLayerStep(Tensor weights, Tensor biases, bool analytic = true)
    {
        Weights = weights;
        Biases = biases;
        Analytic = analytic;
    }

    public Tensor Weights { get; }
    public Tensor Biases { get; }
    public bool Analytic { get; }
    public int Evaluations { get; set; }
    public int Length => (int)Weights.shape[0];
    public int Width => (int)Weights.shape[1];
    public JacobianStructure JacobianStructure => JacobianStructure.Dense;

    /// <summary>Seeded weights N(0, gain^2 / w) and biases N(0, 0.1^2).</summary>
    public static TanhLayerStep Random(int length, int width, double gain, ScalarType dtype, long seed, bool analytic = true)
    {
        var generator = new Generator((ulong)seed);
        var w = torch.randn(new long[] { length, width, width }, dtype: ScalarType.Float64, generator: generator) * (gain / Math.Sqrt(width));
        var b = torch.randn(new long[] { length, width }, dtype: ScalarType.Float64, generator: generator) * 0.1;
        return new TanhLayerStep(w.to_type(dtype), b.to_type(dtype), analytic);
    }

    public Tensor Evaluate(int first, Tensor inputs)
    {
        Evaluations++;
        long n = inputs.shape[0];
        using var scope = torch.NewDisposeScope();
        var pre = PreActivation(first, inputs);
        return pre.tanh().MoveToOuterDisposeScope();
    }

    public Tensor? Jacobian(int first, Tensor inputs)
    {
        if (!Analytic) return null;
        using var scope = torch.NewDisposeScope();
        var pre = PreActivation(first, inputs);
        var slope = 1 - pre.tanh().square();                      // (n, B, w)
        var w = Weights.narrow(0, first, inputs.shape[0]).unsqueeze(1); // (n, 1, w, w)
        return (slope.unsqueeze(-1) * w).MoveToOuterDisposeScope();      // (n, B, w, w)
    }

    private Tensor PreActivation(int first, Tensor inputs)
    {
        long n = inputs.shape[0];
        var w = Weights.narrow(0, first, n);                        // (n, w, w)
        var b = Biases.narrow(0, first, n).unsqueeze(1);            // (n, 1, w)
        return torch.matmul(inputs, w.transpose(1, 2)) + b;         // (n, B, w)
    }

    public void Dispose()
    {
        Weights.Dispose();
        Biases.Dispose();
    }
}
