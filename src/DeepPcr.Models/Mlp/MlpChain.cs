using DeepPcr.Chains;
using DeepPcr.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Models.Mlp;

/// <summary>
/// A deep MLP as a chain: z_{k+1} = act(W_k z_k + b_k), k = 0..L-1, every layer of width w.
/// Its Jacobian is analytic and dense: J_k = diag(act'(W_k z_k + b_k)) W_k.
/// </summary>
public sealed class MlpChain : IDifferentiableChainStep
{
    /// <summary>Wraps the given weights (L, w, w) and biases (L, w); the tensors stay the caller's.</summary>
    /// <exception cref="ArgumentException">Shapes or dtypes that do not fit, L = 0, or non-finite values.</exception>
    public MlpChain(Tensor weights, Tensor biases, Activation activation)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(biases);
        TensorChecks.FloatingPoint(weights, "weights");
        if (weights.dim() != 3 || weights.shape[1] != weights.shape[2])
        {
            throw new ArgumentException($"weights must have shape (L, w, w) but have {TensorChecks.Format(weights.shape)}.", nameof(weights));
        }
        if (weights.shape[0] == 0) throw new ArgumentException("The MLP has L = 0 layers; at least one is needed.", nameof(weights));
        TensorChecks.Shape(biases, "biases", weights.shape[0], weights.shape[1]);
        TensorChecks.SameKind(biases, "biases", weights, "weights");
        TensorChecks.Finite(weights, "weights");
        TensorChecks.Finite(biases, "biases");
        Weights = weights;
        Biases = biases;
        Activation = activation;
    }

    /// <summary>(L, w, w): W_k maps z_k to the pre-activation of layer k.</summary>
    public Tensor Weights { get; }

    /// <summary>(L, w).</summary>
    public Tensor Biases { get; }

    /// <summary>The activation of every layer.</summary>
    public Activation Activation { get; }

    /// <inheritdoc />
    public int Length => (int)Weights.shape[0];

    /// <inheritdoc />
    public int Width => (int)Weights.shape[1];

    /// <inheritdoc />
    public JacobianStructure JacobianStructure => JacobianStructure.Dense;

    /// <summary>
    /// A seeded random MLP: weights N(0, gain^2 / w), biases N(0, 0.1^2), drawn in float64 and cast to dtype.
    /// </summary>
    public static MlpChain Random(int layers, int width, double gain, Activation activation, ScalarType dtype, long seed)
    {
        if (layers < 1 || width < 1) throw new ArgumentException($"An MLP needs at least one layer and width 1; got L = {layers}, w = {width}.");
        var generator = new Generator((ulong)seed);
        using var scope = torch.NewDisposeScope();
        var w = (torch.randn(new long[] { layers, width, width }, dtype: ScalarType.Float64, generator: generator) * (gain / Math.Sqrt(width))).to_type(dtype);
        var b = (torch.randn(new long[] { layers, width }, dtype: ScalarType.Float64, generator: generator) * 0.1).to_type(dtype);
        return new MlpChain(w.MoveToOuterDisposeScope(), b.MoveToOuterDisposeScope(), activation);
    }

    /// <summary>The same network with parameters cast to another dtype (new tensors).</summary>
    public MlpChain To(ScalarType dtype) => new(Weights.to_type(dtype), Biases.to_type(dtype), Activation);

    /// <inheritdoc />
    public Tensor Evaluate(int first, Tensor inputs)
    {
        using var scope = torch.NewDisposeScope();
        return Activation.Apply(PreActivation(first, inputs)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Jacobian(int first, Tensor inputs)
    {
        using var scope = torch.NewDisposeScope();
        var slope = Activation.Derivative(PreActivation(first, inputs));     // (n, B, w)
        var weights = Weights.narrow(0, first, inputs.shape[0]).unsqueeze(1); // (n, 1, w, w)
        return (slope.unsqueeze(-1) * weights).MoveToOuterDisposeScope();     // (n, B, w, w)
    }

    /// <inheritdoc />
    public IReadOnlyList<Tensor> Parameters => new[] { Weights, Biases };

    /// <summary>
    /// Analytic parameter gradients: with delta_k = act'(W_k z_k + b_k) * cotangent_k (B, w), the weight
    /// gradient of layer k is delta_k^T z_k (w, w) and the bias gradient the sum of delta_k over samples.
    /// </summary>
    /// <returns>[weights (L, w, w), biases (L, w)].</returns>
    public IReadOnlyList<Tensor> ParameterGradients(Tensor inputs, Tensor cotangents)
    {
        using var scope = torch.NewDisposeScope();
        var delta = Activation.Derivative(PreActivation(0, inputs)) * cotangents;       // (L, B, w)
        var weights = torch.matmul(delta.transpose(1, 2), inputs);                       // (L, w, w)
        var biases = delta.sum(1);                                                      // (L, w)
        return new[] { weights.MoveToOuterDisposeScope(), biases.MoveToOuterDisposeScope() };
    }

    /// <summary>(n, B, w): W_k z_k + b_k for steps first..first+n-1.</summary>
    public Tensor PreActivation(int first, Tensor inputs)
    {
        long n = inputs.shape[0];
        var weights = Weights.narrow(0, first, n);               // (n, w, w)
        var biases = Biases.narrow(0, first, n).unsqueeze(1);    // (n, 1, w)
        return torch.matmul(inputs, weights.transpose(1, 2)).add_(biases);
    }
}
