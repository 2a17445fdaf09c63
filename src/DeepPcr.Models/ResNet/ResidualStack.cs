using DeepPcr.Chains;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepPcr.Models.ResNet;

/// <summary>
/// L residual blocks z_l = z_{l-1} + h tanh(W_l z_{l-1} + b_l) of width w as a module and one chain step, with
/// analytic Jacobians I + h diag(tanh') W_l and analytic parameter gradients. Parameters: "weight" (L, w, w), "bias" (L, w).
/// </summary>
public sealed class ResidualStack : nn.Module, IHostDifferentiableChainStep
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly ResidualChain chain;

    /// <summary>Blocks with copies of the given weights (L, w, w) and biases (L, w), and step scale h.</summary>
    public ResidualStack(Tensor weights, Tensor biases, double stepScale) : base("ResidualStack")
    {
        _ = new ResidualChain(weights, biases, stepScale); // validates
        weight = new Parameter(weights.detach().clone());
        bias = new Parameter(biases.detach().clone());
        chain = new ResidualChain(weight, bias, stepScale);
        register_parameter("weight", weight);
        register_parameter("bias", bias);
    }

    /// <summary>h.</summary>
    public double StepScale => chain.StepScale;

    /// <summary>(L, w, w).</summary>
    public Tensor Weight => weight;

    /// <summary>(L, w).</summary>
    public Tensor Bias => bias;

    /// <inheritdoc />
    public int Length => chain.Length;

    /// <inheritdoc />
    public int Width => chain.Width;

    /// <inheritdoc />
    public JacobianStructure JacobianStructure => JacobianStructure.Dense;

    /// <inheritdoc />
    public IReadOnlyList<Tensor> Parameters => new Tensor[] { weight, bias };

    /// <inheritdoc />
    public Tensor Evaluate(int first, Tensor inputs) => chain.Evaluate(first, inputs);

    /// <inheritdoc />
    public Tensor? Jacobian(int first, Tensor inputs) => chain.Jacobian(first, inputs);

    /// <inheritdoc />
    public IReadOnlyList<Tensor>? ParameterGradients(Tensor inputs, Tensor cotangents) => chain.ParameterGradients(inputs, cotangents);

    /// <inheritdoc />
    public bool SupportsHost(ScalarType dtype) => chain.SupportsHost(dtype);

    /// <inheritdoc />
    public void EvaluateOnHost<T>(int first, int batch, ReadOnlySpan<T> inputs, Span<T> outputs, Span<T> jacobian, long stride)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        chain.EvaluateOnHost(first, batch, inputs, outputs, jacobian, stride);

    /// <inheritdoc />
    public void RunSequentialOnHost<T>(int first, int batch, ReadOnlySpan<T> start, Span<T> states)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        chain.RunSequentialOnHost(first, batch, start, states);

    /// <inheritdoc />
    public IReadOnlyList<Tensor> ParameterGradientsOnHost<T>(int batch, ReadOnlySpan<T> inputs, ReadOnlySpan<T> outputs, ReadOnlySpan<T> cotangents)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        chain.ParameterGradientsOnHost(batch, inputs, outputs, cotangents);
}
